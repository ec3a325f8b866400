//! Node.js bindings of [`semantic_terminal`], published on npm as `@missiond/semantic-terminal`.
//!
//! A thin layer: every method maps to one of the library's, values cross as plain JS
//! objects in the shapes the library serialises (events in the replay format of
//! [`semantic_terminal::TimedEvent::to_json`], dialogs and status bars as in
//! `mission_pty_status`). The hand-written `index.d.ts` of the npm package types them; its
//! tests check that every name it declares exists here.
//!
//! Bad input (a size of 0, a time that is not finite, rules or a recording that do not
//! parse) throws a JS `Error` that says what was wrong; nothing here panics on input. The
//! calls that drive the emulator (`feed`, `advance`, `resize`, `markExited`) also turn a
//! panic inside the library into a JS `Error` (`catch_unwind`) instead of aborting the
//! whole Node process.

use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, Either, Uint8Array};
use napi::{Error, Result, Status};
use napi_derive::napi;
use semantic_terminal::recording::Recording;
use semantic_terminal::replay::{self, DEFAULT_SIZE};
use semantic_terminal::{Config, Rules, SemanticTerminal as Terminal, TimedEvent, Timestamp};

/// Options of a new terminal; each falls back to the library's default.
#[napi(object)]
pub struct TerminalOptions {
    /// Seconds a newly read state must hold before it is announced (default 0.15).
    pub debounce: Option<f64>,
    /// Lines of scrollback kept (default 10000).
    pub scrollback_lines: Option<u32>,
    /// Detection rules as JSON, in the format of the crate's `src/rules.json`, replacing
    /// the built-in ones.
    pub rules: Option<String>,
}

/// The size to replay a recording at, when not the one its header gives.
#[napi(object)]
pub struct ReplayOptions {
    pub cols: Option<u32>,
    pub rows: Option<u32>,
}

/// Where the cursor is, and whether the program shows it.
#[napi(object)]
pub struct Cursor {
    pub row: u32,
    pub col: u32,
    pub visible: bool,
}

/// A terminal's size in cells.
#[napi(object)]
pub struct Size {
    pub cols: u32,
    pub rows: u32,
}

/// One Claude Code terminal being read: feed it output, read its state, events and screen.
#[napi]
pub struct SemanticTerminal {
    inner: Terminal,
}

#[napi]
impl SemanticTerminal {
    /// A blank terminal of `cols` x `rows` cells.
    #[napi(constructor)]
    pub fn new(cols: u32, rows: u32, options: Option<TerminalOptions>) -> Result<Self> {
        let (cols, rows) = (dimension("cols", cols)?, dimension("rows", rows)?);
        let mut config = Config::default();
        let mut rules = None;
        if let Some(options) = options {
            if let Some(debounce) = options.debounce {
                if !debounce.is_finite() || debounce < 0.0 {
                    return Err(invalid(format!(
                        "debounce must be a number of seconds >= 0, got {debounce}"
                    )));
                }
                config.debounce = debounce;
            }
            if let Some(lines) = options.scrollback_lines {
                config.scrollback_lines = lines as usize;
            }
            if let Some(json) = options.rules {
                let parsed = Rules::from_json(&json)
                    .map_err(|e| invalid(format!("the rules do not load: {e}")))?;
                rules = Some(Arc::new(parsed));
            }
        }
        let inner = match rules {
            Some(rules) => Terminal::with_rules(cols, rows, config, rules),
            None => Terminal::new(cols, rows, config),
        };
        Ok(Self { inner })
    }

    /// Feeds what the program wrote (bytes, or a string sent as UTF-8) at time `t`
    /// (seconds since an origin you pick; never going back).
    #[napi(catch_unwind)]
    pub fn feed(&mut self, t: f64, data: Either<Uint8Array, String>) -> Result<()> {
        let t = time(t)?;
        match data {
            Either::A(bytes) => self.inner.feed(t, &bytes),
            Either::B(text) => self.inner.feed(t, text.as_bytes()),
        }
        Ok(())
    }

    /// Lets time run to `t` with no output: call it when `nextDeadline()` is reached.
    #[napi(catch_unwind)]
    pub fn advance(&mut self, t: f64) -> Result<()> {
        self.inner.advance(time(t)?);
        Ok(())
    }

    /// When to call `advance` next, or null when no timer is needed.
    #[napi]
    pub fn next_deadline(&self) -> Option<f64> {
        self.inner.next_deadline()
    }

    /// Resizes the terminal at time `t`.
    #[napi(catch_unwind)]
    pub fn resize(&mut self, t: f64, cols: u32, rows: u32) -> Result<()> {
        let t = time(t)?;
        let (cols, rows) = (dimension("cols", cols)?, dimension("rows", rows)?);
        self.inner.resize(t, cols, rows);
        Ok(())
    }

    /// Records that the program exited at time `t` (the state becomes `Exited`).
    #[napi(catch_unwind)]
    pub fn mark_exited(&mut self, t: f64) -> Result<()> {
        self.inner.mark_exited(time(t)?);
        Ok(())
    }

    /// Events announced since the last call, oldest first.
    #[napi]
    pub fn drain_events(&mut self) -> Vec<serde_json::Value> {
        self.inner
            .drain_events()
            .iter()
            .map(TimedEvent::to_json)
            .collect()
    }

    /// Answers to the program's terminal queries: write them back to it (Claude Code
    /// waits for some). Empty when there are none.
    #[napi]
    pub fn take_replies(&mut self) -> Buffer {
        Buffer::from(self.inner.take_replies())
    }

    /// The announced state (`Idle`, `Thinking`, `Confirming`, ...).
    #[napi]
    pub fn state(&self) -> &'static str {
        self.inner.state().as_str()
    }

    /// When the announced state began.
    #[napi]
    pub fn state_since(&self) -> f64 {
        self.inner.state_since()
    }

    /// The state read from the screen right now, before debouncing.
    #[napi]
    pub fn raw_state(&self) -> &'static str {
        self.inner.raw_state().as_str()
    }

    /// The open dialog, parsed, or null.
    #[napi]
    pub fn confirm(&self) -> Result<Option<serde_json::Value>> {
        self.inner.confirm().map(to_json).transpose()
    }

    /// The status line and footer as last read, or null before any.
    #[napi]
    pub fn status(&self) -> Result<Option<serde_json::Value>> {
        self.inner.status().map(to_json).transpose()
    }

    /// The terminal title, or null when none was set.
    #[napi]
    pub fn title(&self) -> Result<Option<serde_json::Value>> {
        self.inner.title().map(to_json).transpose()
    }

    /// The visible screen as text, one line per row, trailing blanks trimmed.
    #[napi]
    pub fn screen_text(&self) -> String {
        self.inner.screen_text()
    }

    /// The visible screen's rows.
    #[napi]
    pub fn screen_lines(&self) -> Vec<String> {
        self.inner.screen_lines()
    }

    /// Up to `maxLines` of the scrollback above the screen, oldest first.
    #[napi]
    pub fn scrollback_lines(&self, max_lines: u32) -> Vec<String> {
        self.inner.scrollback_lines(max_lines as usize)
    }

    /// Where the cursor is.
    #[napi]
    pub fn cursor(&self) -> Cursor {
        let c = self.inner.cursor();
        Cursor {
            row: c.row.into(),
            col: c.col.into(),
            visible: c.visible,
        }
    }

    /// The terminal's size.
    #[napi]
    pub fn size(&self) -> Size {
        let (cols, rows) = self.inner.size();
        Size {
            cols: cols.into(),
            rows: rows.into(),
        }
    }
}

/// Every event of a recording (the JSON lines `missiond record` writes), replayed at its
/// header's size unless `options` give one; the same events `missiond replay` prints.
#[napi]
pub fn replay(recording: String, options: Option<ReplayOptions>) -> Result<Vec<serde_json::Value>> {
    let (recording, size) = parse_recording(&recording, options)?;
    Ok(replay::replay(&recording, size)
        .iter()
        .map(TimedEvent::to_json)
        .collect())
}

/// The terminal as it stood at time `t` of a recording: read its state, dialog, screen.
#[napi]
pub fn terminal_at(
    recording: String,
    t: f64,
    options: Option<ReplayOptions>,
) -> Result<SemanticTerminal> {
    let t = time(t)?;
    let (recording, size) = parse_recording(&recording, options)?;
    Ok(SemanticTerminal {
        inner: replay::terminal_at(&recording, size, t),
    })
}

fn parse_recording(text: &str, options: Option<ReplayOptions>) -> Result<(Recording, (u16, u16))> {
    let recording = Recording::parse(text)
        .map_err(|e| invalid(format!("the recording does not parse: {e}")))?;
    let (mut cols, mut rows) = recording.size_or(DEFAULT_SIZE);
    if let Some(options) = options {
        if let Some(c) = options.cols {
            cols = dimension("cols", c)?;
        }
        if let Some(r) = options.rows {
            rows = dimension("rows", r)?;
        }
    }
    Ok((recording, (cols, rows)))
}

fn dimension(name: &str, value: u32) -> Result<u16> {
    match u16::try_from(value) {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(invalid(format!(
            "{name} must be between 1 and {}, got {value}",
            u16::MAX
        ))),
    }
}

fn time(t: f64) -> Result<Timestamp> {
    if t.is_finite() {
        Ok(t)
    } else {
        Err(invalid(format!(
            "time must be a finite number of seconds, got {t}"
        )))
    }
}

fn to_json(value: &impl serde::Serialize) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| Error::new(Status::GenericFailure, e.to_string()))
}

fn invalid(reason: String) -> Error {
    Error::new(Status::InvalidArg, reason)
}
