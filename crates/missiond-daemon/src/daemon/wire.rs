//! The screen reader's state as the catalogue's slot state (which adds `Stopped`).
//! Dialogs and the status bar need no conversion: the catalogue re-exports the screen
//! reader's own types.

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
