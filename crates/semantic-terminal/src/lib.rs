//! `semantic-terminal` reads Claude Code's terminal the way a person would.
//!
//! Feed it the bytes a Claude Code process writes to its pseudo-terminal, each with the
//! time it arrived; it keeps a full terminal emulation (via `alacritty_terminal`) and
//! turns what the screen shows into [`SessionEvent`]s: state changes, permission
//! dialogs, status-bar updates, tool output, title changes and finished answers.
//!
//! The crate does no I/O and starts no threads. Time is whatever the caller says it is
//! (seconds since an origin the caller picks), so a recording replays exactly as it ran
//! live, without sleeping.
//!
//! ```
//! use semantic_terminal::{SemanticTerminal, Config};
//! let mut term = SemanticTerminal::new(120, 40, Config::default());
//! term.feed(0.0, b"hello");
//! assert!(term.screen_text().contains("hello"));
//! ```
//!
//! # Driving it
//! After every [`SemanticTerminal::feed`], write [`SemanticTerminal::take_replies`] back
//! to the program (Claude Code waits for answers to its terminal queries), and arm a
//! timer for [`SemanticTerminal::next_deadline`]; when it fires, call
//! [`SemanticTerminal::advance`]. `None` means no timer is needed.
//!
//! # How the screen is read
//! The bottom of the screen decides the state: a dialog under the last full-width rule,
//! else the input box between two rules with the spinner line just above it and the
//! footer below, else nothing readable (`Starting` for a blank screen or the banner,
//! `Unknown` otherwise). The transcript above is only used to tell thinking, answering
//! and running a tool apart, and for tool output and finished answers. Glyphs, phrases,
//! dialog titles and option wordings live in `src/rules.json` (see [`Rules`]), so a
//! change in Claude Code's TUI is mostly a rules edit.
//!
//! Cost: the screen is read only after bytes changed its text, at most once per
//! `debounce / 3` seconds of caller time while output streams; a frame that only moves
//! the spinner re-reads one line. Rows are re-read only where alacritty reports damage
//! that changed their text, and each region (footer, dialog, the transcript's last
//! block, tool calls) is parsed again only when its rows changed. An idle terminal does
//! nothing.

mod cells;
mod classify;
mod debounce;
mod dialog;
mod emulator;
pub mod event;
mod footer_rows;
mod memo;
mod paint;
pub mod recording;
pub mod replay;
mod reread;
pub mod rules;
mod screen;
mod screen_text;
mod session;
mod status;
mod text_memo;
mod title;
mod tool_output;
mod tools;
mod trim;

pub use cells::{CellView, DEFAULT_BG, DEFAULT_FG, Rgb, ScreenCells, palette};
/// The bare terminal emulator under [`SemanticTerminal`] (no reading of Claude Code's
/// screen), for callers that only need what the screen shows.
pub use emulator::Emulator;
pub use event::{
    ConfirmInfo, ConfirmOption, DialogKind, OptionMeaning, SessionEvent, State, Status, Subagent,
    TimedEvent, Title, ToolOutput,
};
pub use rules::{Rules, RulesError};
pub use session::SemanticTerminal;

/// Seconds since an origin chosen by the caller (a recording's start, a slot's spawn).
pub type Timestamp = f64;

/// Most events kept when the caller never drains them; the oldest are dropped first.
pub const MAX_QUEUED_EVENTS: usize = 4096;

/// Tunables for one terminal.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long a newly read state must hold before it is announced, in seconds.
    /// Spinner glyphs and partial redraws flicker; this keeps events meaningful.
    /// Status and tool-output updates are also sent at most once per this interval.
    pub debounce: f64,
    /// Lines of scrollback kept by the emulator (bounds memory).
    pub scrollback_lines: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            debounce: 0.15,
            scrollback_lines: 10_000,
        }
    }
}

/// Where the cursor is and whether the application shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Cursor {
    pub row: u16,
    pub col: u16,
    pub visible: bool,
}
