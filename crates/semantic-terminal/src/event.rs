//! What the screen means: states, dialogs, status, tool output, titles, and the events
//! that announce changes to them.

use serde::{Deserialize, Serialize};

/// What Claude Code is doing, as read from its screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum State {
    /// Launched, nothing readable yet (no input box, no dialog).
    Starting,
    /// Waiting for a prompt: input box shown, no spinner.
    Idle,
    /// Spinner shown and no answer text streaming yet (including extended thinking).
    Thinking,
    /// Answer text is streaming.
    Responding,
    /// A tool call is executing.
    ToolRunning,
    /// A dialog waits for an answer: a tool permission or a start-up dialog
    /// (the [`ConfirmInfo::kind`] says which).
    Confirming,
    /// An API or runtime error is shown and the turn ended with it.
    Error,
    /// The `/` command menu, or a picker the user opened (`/model`, `/resume`, ...), is
    /// open: an overlay of the user's, never a dialog to answer.
    SlashMenu,
    /// The process has exited.
    Exited,
    /// The screen cannot be read with confidence.
    Unknown,
}

impl State {
    /// The name used in JSON and logs (`"Idle"`, `"ToolRunning"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Starting => "Starting",
            State::Idle => "Idle",
            State::Thinking => "Thinking",
            State::Responding => "Responding",
            State::ToolRunning => "ToolRunning",
            State::Confirming => "Confirming",
            State::Error => "Error",
            State::SlashMenu => "SlashMenu",
            State::Exited => "Exited",
            State::Unknown => "Unknown",
        }
    }

    /// Whether Claude Code is busy with a turn (a caller should not type a new prompt).
    pub fn is_working(self) -> bool {
        matches!(
            self,
            State::Thinking | State::Responding | State::ToolRunning
        )
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which kind of dialog is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DialogKind {
    /// Permission to run a shell command.
    Bash,
    /// Permission to create or overwrite a file.
    FileWrite,
    /// Permission to edit a file.
    FileEdit,
    /// Permission to call an MCP tool (`mcp__server__tool`).
    McpTool,
    /// Permission to fetch a URL.
    WebFetch,
    /// Permission for another tool, named in the dialog.
    OtherTool,
    /// Start-up: trust the files in this folder?
    FolderTrust,
    /// Start-up: use the API key found in the environment?
    ApiKeyApproval,
    /// Start-up: first-run onboarding (theme, login method, ...).
    Onboarding,
    /// The model asks the user a question (the AskUserQuestion tool): numbered answers,
    /// usually with a free-text option (see [`OptionMeaning::FreeText`]).
    AskUserQuestion,
    /// The model asks to leave plan mode and start on its plan (the ExitPlanMode tool).
    ExitPlanMode,
    /// A dialog the parser recognised as a dialog but could not classify.
    Unrecognised,
}

impl DialogKind {
    /// True for dialogs shown at start-up rather than for a tool call.
    pub fn is_startup(&self) -> bool {
        matches!(
            self,
            DialogKind::FolderTrust | DialogKind::ApiKeyApproval | DialogKind::Onboarding
        )
    }
}

/// What choosing an option means, so callers can answer by meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum OptionMeaning {
    /// Allow this once.
    Yes,
    /// Allow, and do not ask again (for this command, folder, session ...).
    YesAlways,
    /// Refuse (possibly with "tell Claude what to do differently").
    No,
    /// Anything else.
    Other,
    /// Type an answer of one's own (`Type something.` in a question dialog): chosen
    /// with a text, which is typed into the option.
    FreeText,
}

/// One option of a dialog, in screen order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "DialogOption")
)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmOption {
    /// The number shown before the label (`1.`), if any.
    pub number: Option<u32>,
    /// The label as shown, without number and selection marker.
    pub label: String,
    /// What choosing it means.
    pub meaning: OptionMeaning,
    /// Whether the selection marker (`❯`) is on it.
    pub selected: bool,
    /// The text shown under the label (question dialogs describe each answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A parsed dialog: enough to answer it by meaning without knowing the option order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "Dialog")
)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmInfo {
    /// What the dialog is about.
    pub kind: DialogKind,
    /// The dialog's title line (`Bash command`, `Create file`, ...).
    pub title: String,
    /// The tool the dialog is about, when one is (`Bash`, `Write`, `mcp__x__y`, ...).
    pub tool: Option<String>,
    /// The shell command, for Bash dialogs.
    pub command: Option<String>,
    /// The file path, for file dialogs; the URL for fetches.
    pub target: Option<String>,
    /// Other lines shown between the title and the question (descriptions, diffs,
    /// parameters), trimmed.
    #[serde(default)]
    pub details: Vec<String>,
    /// The question (`Do you want to proceed?`).
    pub question: String,
    /// Every option, in screen order.
    pub options: Vec<ConfirmOption>,
}

impl ConfirmInfo {
    /// Index (into [`Self::options`]) of the selected option.
    pub fn selected_index(&self) -> Option<usize> {
        self.options.iter().position(|o| o.selected)
    }

    /// Index of the first option with the given meaning.
    pub fn find(&self, meaning: OptionMeaning) -> Option<usize> {
        self.options.iter().position(|o| o.meaning == meaning)
    }

    /// The keys that choose option `index`: arrow keys from the selected option, then Enter.
    /// Arrow keys work for numbered and unnumbered menus alike.
    pub fn keys_for(&self, index: usize) -> Option<Vec<u8>> {
        if index >= self.options.len() {
            return None;
        }
        let from = self.selected_index().unwrap_or(0);
        let mut keys = Vec::new();
        let (step, n): (&[u8], usize) = if index >= from {
            (b"\x1b[B", index - from)
        } else {
            (b"\x1b[A", from - index)
        };
        for _ in 0..n {
            keys.extend_from_slice(step);
        }
        keys.push(b'\r');
        Some(keys)
    }
}

/// The status line above the input box while Claude Code works, plus the footer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "StatusBar")
)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// The spinner glyph (`✻`, `✶`, `*`, ...), when a spinner shows.
    pub spinner: Option<String>,
    /// The spinner's verb (`Bootstrapping`, `Churning`, ...).
    pub verb: Option<String>,
    /// Seconds elapsed in the turn, when shown.
    pub elapsed_secs: Option<u64>,
    /// Tokens shown (`↓ 8 tokens`), when shown.
    pub tokens: Option<u64>,
    /// Whether `esc to interrupt` shows.
    pub interruptible: bool,
    /// The permission mode named in the footer (`manual`, `accept edits`, ...), if any.
    pub permission_mode: Option<String>,
    /// Context left before auto-compact, in percent, when the footer shows it.
    pub context_left_percent: Option<u8>,
    /// The footer line(s) under the input box, as shown.
    pub footer: Option<String>,
    /// Subagents running in the background (the panel under the footer), in screen
    /// order. While any runs, the turn is not over even though the input box is free.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subagents: Vec<Subagent>,
    /// Background agents the transcript says the turn waits for (`Waiting for N
    /// background agents to finish`), when its last line says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_for_agents: Option<u32>,
    /// Shells still running in the background (`1 shell` in the footer: a command sent
    /// there with ctrl+b). They do not keep the turn open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_shells: Option<u32>,
}

/// A subagent running in the background, as its row in the panel under the footer
/// shows it (`◯ general-purpose  Survey module alpha   4s · ↑ 7.0k tokens`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Subagent {
    /// The agent type (`general-purpose`, `Explore`, ...).
    pub kind: String,
    /// The task's description.
    pub description: String,
    /// Seconds it has been running, when shown.
    pub elapsed_secs: Option<u64>,
}

/// Output of a tool call, tied to the call it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolOutput {
    /// The tool call line as shown (`Bash(ls -la)`), without the leading bullet.
    pub call: String,
    /// The tool name parsed from the call (`Bash`), when it has one.
    pub tool: Option<String>,
    /// The call's argument text (`ls -la`), when shown.
    pub args: Option<String>,
    /// The output lines shown under the call, joined with `\n`.
    pub output: String,
    /// True when the output was drawn in a box rather than inline after `⎿`.
    pub boxed: bool,
}

/// The terminal title (OSC 0 or 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Title {
    /// The title exactly as set.
    pub raw: String,
    /// The title without a leading status glyph.
    pub text: String,
    /// Whether the glyph says Claude Code is working, when it says anything.
    pub working: Option<bool>,
}

/// Something that changed on the screen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum SessionEvent {
    /// The announced state changed (after debounce).
    StateChange { new_state: State, prev_state: State },
    /// A dialog opened; `prompt` is its question.
    ConfirmRequired { prompt: String, info: ConfirmInfo },
    /// The status line or footer changed.
    StatusUpdate(Status),
    /// New tool output appeared (or grew).
    ToolOutput(ToolOutput),
    /// The title changed.
    TitleChange(Title),
    /// A turn finished; the answer text as read from the screen (best effort: the
    /// transcript is the exact record).
    TextComplete(String),
}

/// An event and the time it was announced.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedEvent {
    pub t: f64,
    pub event: SessionEvent,
}

impl TimedEvent {
    /// One JSON object in the replay format: `{"t": 3.52, "event": "state", "state":
    /// "Idle", "prev": "Responding"}`; `confirm` carries `info`, `status` carries
    /// `status`, `tool_output` carries `output`, `title` carries `title`, `text` carries
    /// `text`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let t = (self.t * 1000.0).round() / 1000.0;
        match &self.event {
            SessionEvent::StateChange {
                new_state,
                prev_state,
            } => {
                json!({"t": t, "event": "state", "state": new_state, "prev": prev_state})
            }
            SessionEvent::ConfirmRequired { prompt, info } => {
                json!({"t": t, "event": "confirm", "prompt": prompt, "info": info})
            }
            SessionEvent::StatusUpdate(status) => {
                json!({"t": t, "event": "status", "status": status})
            }
            SessionEvent::ToolOutput(output) => {
                json!({"t": t, "event": "tool_output", "output": output})
            }
            SessionEvent::TitleChange(title) => json!({"t": t, "event": "title", "title": title}),
            SessionEvent::TextComplete(text) => json!({"t": t, "event": "text", "text": text}),
        }
    }
}
