//! Wire types shared by several tools' results: slot state, dialogs, the status bar.
//!
//! Dialogs and the status bar are `semantic-terminal`'s own types, re-exported under
//! their wire names (their schemas come from that crate's `schema` feature), so what the
//! screen reader parses is what clients receive, with no copy to keep in step.
//! [`SlotState`] is its own type: it adds `Stopped` (no process), which a screen cannot
//! show.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use semantic_terminal::{
    ConfirmInfo as Dialog, ConfirmOption as DialogOption, DialogKind, OptionMeaning,
    Status as StatusBar,
};

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
    /// The `/` command menu, or a picker the user opened (`/model`, `/resume`, ...), is
    /// open: an overlay of the user's, never a dialog to answer.
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

impl From<semantic_terminal::State> for SlotState {
    /// The screen reader's state; every one has a slot state of the same name.
    fn from(s: semantic_terminal::State) -> SlotState {
        use semantic_terminal::State as S;
        match s {
            S::Starting => SlotState::Starting,
            S::Idle => SlotState::Idle,
            S::Thinking => SlotState::Thinking,
            S::Responding => SlotState::Responding,
            S::ToolRunning => SlotState::ToolRunning,
            S::Confirming => SlotState::Confirming,
            S::Error => SlotState::Error,
            S::SlashMenu => SlotState::SlashMenu,
            S::Exited => SlotState::Exited,
            S::Unknown => SlotState::Unknown,
        }
    }
}

impl std::fmt::Display for SlotState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
