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

pub mod event;
pub mod recording;

pub use event::{
    ConfirmInfo, ConfirmOption, DialogKind, OptionMeaning, SessionEvent, State, Status, TimedEvent,
    Title, ToolOutput,
};

/// Seconds since an origin chosen by the caller (a recording's start, a slot's spawn).
pub type Timestamp = f64;

/// Tunables for one terminal.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long a newly read state must hold before it is announced, in seconds.
    /// Spinner glyphs and partial redraws flicker; this keeps events meaningful.
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

/// A terminal emulator plus Claude Code semantics. See the crate docs.
pub struct SemanticTerminal {
    _private: (),
}

impl SemanticTerminal {
    /// A blank terminal of `cols` x `rows`, in state [`State::Starting`].
    pub fn new(cols: u16, rows: u16, config: Config) -> Self {
        let _ = (cols, rows, config);
        todo!()
    }

    /// Process bytes written by the application at time `t`. Events that result are
    /// queued; take them with [`Self::drain_events`].
    pub fn feed(&mut self, t: Timestamp, bytes: &[u8]) {
        let _ = (t, bytes);
        todo!()
    }

    /// Let time pass with no new bytes: settles pending debounces and expired
    /// synchronized-update buffers. Cheap when nothing is pending.
    pub fn advance(&mut self, t: Timestamp) {
        let _ = t;
        todo!()
    }

    /// When the caller should next call [`Self::advance`] if no bytes arrive, or `None`
    /// when nothing is pending (an idle terminal needs no timer at all).
    pub fn next_deadline(&self) -> Option<Timestamp> {
        todo!()
    }

    /// The terminal was resized (the caller resizes the PTY too).
    pub fn resize(&mut self, t: Timestamp, cols: u16, rows: u16) {
        let _ = (t, cols, rows);
        todo!()
    }

    /// The application's process has exited: the state becomes [`State::Exited`].
    pub fn mark_exited(&mut self, t: Timestamp) {
        let _ = t;
        todo!()
    }

    /// Events produced since the last call, oldest first.
    pub fn drain_events(&mut self) -> Vec<TimedEvent> {
        todo!()
    }

    /// Bytes the terminal must send back to the application (answers to device
    /// attribute, cursor position and similar queries). Empty most of the time.
    pub fn take_replies(&mut self) -> Vec<u8> {
        todo!()
    }

    /// The announced (debounced) state.
    pub fn state(&self) -> State {
        todo!()
    }

    /// The time at which the announced state began.
    pub fn state_since(&self) -> Timestamp {
        todo!()
    }

    /// The open permission or start-up dialog, when the state is [`State::Confirming`].
    pub fn confirm(&self) -> Option<&ConfirmInfo> {
        todo!()
    }

    /// The last parsed status (spinner line and footer).
    pub fn status(&self) -> Option<&Status> {
        todo!()
    }

    /// The last terminal title set by the application.
    pub fn title(&self) -> Option<&Title> {
        todo!()
    }

    /// The visible screen, one string per row, trailing spaces trimmed.
    pub fn screen_lines(&self) -> Vec<String> {
        todo!()
    }

    /// The visible screen as text, rows joined by `\n`.
    pub fn screen_text(&self) -> String {
        self.screen_lines().join("\n")
    }

    /// Up to `max_lines` lines of scrollback above the screen, oldest first.
    pub fn scrollback_lines(&self, max_lines: usize) -> Vec<String> {
        let _ = max_lines;
        todo!()
    }

    /// The cursor position (0-based) and visibility.
    pub fn cursor(&self) -> Cursor {
        todo!()
    }

    /// Current size as (cols, rows).
    pub fn size(&self) -> (u16, u16) {
        todo!()
    }
}
