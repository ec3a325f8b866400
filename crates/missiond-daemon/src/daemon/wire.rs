//! Conversions from the screen reader's types to the catalogue's wire types.

use missiond_core::catalogue as wire;
use semantic_terminal as st;

/// The wire state for a screen state.
pub fn state(s: st::State) -> wire::SlotState {
    match s {
        st::State::Starting => wire::SlotState::Starting,
        st::State::Idle => wire::SlotState::Idle,
        st::State::Thinking => wire::SlotState::Thinking,
        st::State::Responding => wire::SlotState::Responding,
        st::State::ToolRunning => wire::SlotState::ToolRunning,
        st::State::Confirming => wire::SlotState::Confirming,
        st::State::Error => wire::SlotState::Error,
        st::State::SlashMenu => wire::SlotState::SlashMenu,
        st::State::Exited => wire::SlotState::Exited,
        st::State::Unknown => wire::SlotState::Unknown,
    }
}

fn dialog_kind(k: &st::DialogKind) -> wire::DialogKind {
    match k {
        st::DialogKind::Bash => wire::DialogKind::Bash,
        st::DialogKind::FileWrite => wire::DialogKind::FileWrite,
        st::DialogKind::FileEdit => wire::DialogKind::FileEdit,
        st::DialogKind::McpTool => wire::DialogKind::McpTool,
        st::DialogKind::WebFetch => wire::DialogKind::WebFetch,
        st::DialogKind::OtherTool => wire::DialogKind::OtherTool,
        st::DialogKind::FolderTrust => wire::DialogKind::FolderTrust,
        st::DialogKind::ApiKeyApproval => wire::DialogKind::ApiKeyApproval,
        st::DialogKind::Onboarding => wire::DialogKind::Onboarding,
        st::DialogKind::Unrecognised => wire::DialogKind::Unrecognised,
    }
}

fn meaning(m: st::OptionMeaning) -> wire::OptionMeaning {
    match m {
        st::OptionMeaning::Yes => wire::OptionMeaning::Yes,
        st::OptionMeaning::YesAlways => wire::OptionMeaning::YesAlways,
        st::OptionMeaning::No => wire::OptionMeaning::No,
        st::OptionMeaning::Other => wire::OptionMeaning::Other,
    }
}

/// One dialog option.
pub fn option(o: &st::ConfirmOption) -> wire::DialogOption {
    wire::DialogOption {
        number: o.number,
        label: o.label.clone(),
        meaning: meaning(o.meaning),
        selected: o.selected,
    }
}

/// A parsed dialog.
pub fn dialog(d: &st::ConfirmInfo) -> wire::Dialog {
    wire::Dialog {
        kind: dialog_kind(&d.kind),
        title: d.title.clone(),
        tool: d.tool.clone(),
        command: d.command.clone(),
        target: d.target.clone(),
        details: d.details.clone(),
        question: d.question.clone(),
        options: d.options.iter().map(option).collect(),
    }
}

/// The status bar.
pub fn status_bar(s: &st::Status) -> wire::StatusBar {
    wire::StatusBar {
        spinner: s.spinner.clone(),
        verb: s.verb.clone(),
        elapsed_secs: s.elapsed_secs,
        tokens: s.tokens,
        interruptible: s.interruptible,
        permission_mode: s.permission_mode.clone(),
        context_left_percent: s.context_left_percent,
        footer: s.footer.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_screen_state_has_the_same_name_on_the_wire() {
        use st::State::*;
        for s in [
            Starting,
            Idle,
            Thinking,
            Responding,
            ToolRunning,
            Confirming,
            Error,
            SlashMenu,
            Exited,
            Unknown,
        ] {
            assert_eq!(state(s).as_str(), s.as_str());
        }
    }
}
