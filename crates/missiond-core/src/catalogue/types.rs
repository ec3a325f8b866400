//! Wire types shared by several tools' results: slot state, dialogs, the status bar.
//!
//! They mirror `semantic-terminal`'s types (same names and JSON spellings) but add
//! `Deserialize` and `JsonSchema`, so clients can read them and docs can describe them;
//! the daemon converts field by field.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a slot's Claude Code is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum SlotState {
    /// No process: never spawned, or killed.
    Stopped,
    /// Launched; nothing readable on screen yet.
    Starting,
    /// Waiting for a prompt.
    Idle,
    /// Working, no answer text yet (including extended thinking).
    Thinking,
    /// Answer text is streaming.
    Responding,
    /// A tool call is executing.
    ToolRunning,
    /// A dialog waits for an answer (see `dialog`; answer it with mission_pty_confirm).
    Confirming,
    /// The turn ended with an API or runtime error shown on screen.
    Error,
    /// The `/` command menu is open.
    SlashMenu,
    /// The process exited on its own.
    Exited,
    /// The screen could not be read with confidence.
    Unknown,
}

impl SlotState {
    /// The JSON spelling (`"Idle"`).
    pub fn as_str(self) -> &'static str {
        match self {
            SlotState::Stopped => "Stopped",
            SlotState::Starting => "Starting",
            SlotState::Idle => "Idle",
            SlotState::Thinking => "Thinking",
            SlotState::Responding => "Responding",
            SlotState::ToolRunning => "ToolRunning",
            SlotState::Confirming => "Confirming",
            SlotState::Error => "Error",
            SlotState::SlashMenu => "SlashMenu",
            SlotState::Exited => "Exited",
            SlotState::Unknown => "Unknown",
        }
    }

    /// Working on a turn: a new prompt would not be taken now.
    pub fn is_working(self) -> bool {
        matches!(
            self,
            SlotState::Thinking | SlotState::Responding | SlotState::ToolRunning
        )
    }

    /// A process is alive for this slot.
    pub fn is_running(self) -> bool {
        !matches!(self, SlotState::Stopped | SlotState::Exited)
    }
}

impl std::fmt::Display for SlotState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which kind of dialog is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DialogKind {
    /// Permission to run a shell command.
    Bash,
    /// Permission to create or overwrite a file.
    FileWrite,
    /// Permission to edit a file.
    FileEdit,
    /// Permission to call an MCP tool.
    McpTool,
    /// Permission to fetch a URL.
    WebFetch,
    /// Permission for another tool, named in `tool`.
    OtherTool,
    /// Start-up: trust the files in this folder?
    FolderTrust,
    /// Start-up: use the API key from the environment?
    ApiKeyApproval,
    /// Start-up: first-run onboarding.
    Onboarding,
    /// A dialog that could not be classified.
    Unrecognised,
}

/// What choosing an option means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OptionMeaning {
    /// Allow once.
    Yes,
    /// Allow and stop asking (for this command, folder or session).
    YesAlways,
    /// Refuse.
    No,
    /// Anything else.
    Other,
}

/// One option of a dialog, in screen order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DialogOption {
    /// The number shown before the label, if any; pass it to mission_pty_confirm.
    pub number: Option<u32>,
    /// The label as shown.
    pub label: String,
    /// What choosing it means.
    pub meaning: OptionMeaning,
    /// Whether it is the highlighted option.
    pub selected: bool,
}

/// An open dialog: a permission prompt or a start-up question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Dialog {
    /// What the dialog is about.
    pub kind: DialogKind,
    /// Its title line (`Bash command`, `Create file`).
    pub title: String,
    /// The tool asking, when there is one (`Bash`, `Write`, `mcp__server__tool`).
    pub tool: Option<String>,
    /// The shell command, for Bash dialogs.
    pub command: Option<String>,
    /// The file path or URL concerned, when there is one.
    pub target: Option<String>,
    /// Other lines shown (descriptions, diffs, parameters).
    #[serde(default)]
    pub details: Vec<String>,
    /// The question asked.
    pub question: String,
    /// The options, in screen order.
    pub options: Vec<DialogOption>,
}

/// The spinner/status line and footer, as read from the screen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusBar {
    /// The spinner glyph, while one shows.
    pub spinner: Option<String>,
    /// The spinner's verb (`Churning`).
    pub verb: Option<String>,
    /// Seconds into the turn, when shown.
    pub elapsed_secs: Option<u64>,
    /// Tokens shown, when shown.
    pub tokens: Option<u64>,
    /// Whether `esc to interrupt` shows.
    pub interruptible: bool,
    /// The permission mode named in the footer, if any.
    pub permission_mode: Option<String>,
    /// Context left before auto-compact, in percent, when shown.
    pub context_left_percent: Option<u8>,
    /// The footer text as shown.
    pub footer: Option<String>,
}

/// A tool call made during a turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToolUse {
    /// The tool's name (`Bash`, `Write`).
    pub tool: String,
    /// A one-line summary of its input (the command, the path), when known.
    pub summary: Option<String>,
}
