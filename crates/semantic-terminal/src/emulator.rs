//! The terminal emulator: `alacritty_terminal` driven by the caller's clock.
//!
//! Everything alacritty would ask a window system for (replies to queries, colours, the
//! title) is answered here, so the emulator behaves like a real terminal without one.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use alacritty_terminal::event::{Event, EventListener, WindowSize};
use alacritty_terminal::grid::Dimensions;
use alacritty_terminal::index::Line;
use alacritty_terminal::term::{Config as TermConfig, Term, TermMode};
use alacritty_terminal::vte::ansi::{Processor, Rgb, Timeout};

use crate::screen_text::{ScreenText, row_text};

/// Pixel size reported for one cell when an application asks for the text area in pixels.
const CELL_WIDTH_PX: u16 = 8;
const CELL_HEIGHT_PX: u16 = 16;

/// Cap on bytes waiting to be sent back to the application, so a flood of queries
/// from a misbehaving program cannot grow memory without bound.
const MAX_PENDING_REPLIES: usize = 64 * 1024;

/// The grid size, as alacritty wants it.
#[derive(Debug, Clone, Copy)]
struct GridSize {
    cols: usize,
    rows: usize,
}

impl Dimensions for GridSize {
    fn total_lines(&self) -> usize {
        self.rows
    }
    fn screen_lines(&self) -> usize {
        self.rows
    }
    fn columns(&self) -> usize {
        self.cols
    }
}

/// What the emulator reported while processing bytes.
#[derive(Debug, Default)]
struct Inbox {
    replies: Vec<u8>,
    /// `Some(None)` = the title was reset; `Some(Some(t))` = set to `t`.
    title_change: Option<Option<String>>,
    cols: u16,
    rows: u16,
}

/// Collects alacritty's events. Shared with the emulator through a mutex only because
/// `EventListener::send_event` takes `&self`; there is never contention.
#[derive(Clone, Default)]
struct Listener(Arc<Mutex<Inbox>>);

impl Listener {
    fn inbox(&self) -> MutexGuard<'_, Inbox> {
        // A poisoned lock only means a panic happened mid-push; the data is still usable.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl EventListener for Listener {
    fn send_event(&self, event: Event) {
        let mut inbox = self.inbox();
        let reply = match event {
            Event::PtyWrite(text) => text,
            Event::ColorRequest(index, format) => format(palette(index)),
            Event::TextAreaSizeRequest(format) => format(WindowSize {
                num_lines: inbox.rows,
                num_cols: inbox.cols,
                cell_width: CELL_WIDTH_PX,
                cell_height: CELL_HEIGHT_PX,
            }),
            Event::Title(title) => {
                inbox.title_change = Some(Some(title));
                return;
            }
            Event::ResetTitle => {
                inbox.title_change = Some(None);
                return;
            }
            // Clipboard reads are refused: a PTY host has no clipboard to leak.
            _ => return,
        };
        if inbox.replies.len() + reply.len() <= MAX_PENDING_REPLIES {
            inbox.replies.extend_from_slice(reply.as_bytes());
        }
    }
}

/// A plausible dark palette: xterm's 256 colours, light-grey on near-black.
fn palette(index: usize) -> Rgb {
    const ANSI: [(u8, u8, u8); 16] = [
        (0x1d, 0x1f, 0x21),
        (0xcc, 0x66, 0x66),
        (0xb5, 0xbd, 0x68),
        (0xf0, 0xc6, 0x74),
        (0x81, 0xa2, 0xbe),
        (0xb2, 0x94, 0xbb),
        (0x8a, 0xbe, 0xb7),
        (0xc5, 0xc8, 0xc6),
        (0x66, 0x66, 0x66),
        (0xd5, 0x4e, 0x53),
        (0xb9, 0xca, 0x4a),
        (0xe7, 0xc5, 0x47),
        (0x7a, 0xa6, 0xda),
        (0xc3, 0x97, 0xd8),
        (0x70, 0xc0, 0xb1),
        (0xea, 0xea, 0xea),
    ];
    let (r, g, b) = match index {
        0..=15 => ANSI[index],
        16..=231 => {
            let i = index - 16;
            let level = |v: usize| if v == 0 { 0 } else { (v * 40 + 55) as u8 };
            (level(i / 36), level((i / 6) % 6), level(i % 6))
        }
        232..=255 => {
            let v = (8 + (index - 232) * 10) as u8;
            (v, v, v)
        }
        // 256 = foreground, 257 = background, 258 = cursor, others (dim colours...).
        257 => (0x1d, 0x1f, 0x21),
        _ => (0xc5, 0xc8, 0xc6),
    };
    Rgb { r, g, b }
}

/// vte's synchronized-update timer, on the caller's clock. vte calls `set_timeout` from
/// inside `advance`, where no time is available; the emulator stamps the deadline right
/// after, with the time the bytes arrived.
#[derive(Debug, Default)]
struct CallerClockTimeout {
    /// Set by vte: a synchronized update is open, flush after this long.
    requested: Option<Duration>,
    /// Counts `set_timeout` calls, so the emulator sees each (re)arm and stamps it.
    generation: u64,
}

impl Timeout for CallerClockTimeout {
    fn set_timeout(&mut self, duration: Duration) {
        self.requested = Some(duration);
        self.generation = self.generation.wrapping_add(1);
    }
    fn clear_timeout(&mut self) {
        self.requested = None;
    }
    fn pending_timeout(&self) -> bool {
        self.requested.is_some()
    }
}

/// Where the cursor is, 0-based, and whether it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CursorPos {
    pub row: u16,
    pub col: u16,
    pub visible: bool,
}

/// The emulator, driven by the caller's time.
pub struct Emulator {
    term: Term<Listener>,
    processor: Processor<CallerClockTimeout>,
    listener: Listener,
    /// When an open synchronized update must be flushed (caller's clock).
    sync_deadline: Option<f64>,
    /// The timer generation `sync_deadline` was stamped for.
    sync_generation: u64,
    cols: u16,
    rows: u16,
    /// The visible rows as text, kept up to date from alacritty's damage tracking.
    text: ScreenText,
    /// Bytes were processed since `text` was last refreshed.
    stale: bool,
}

/// A title event seen while processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TitleChange {
    Set(String),
    Reset,
}

impl Emulator {
    /// A blank terminal; sizes below 2x2 are raised to 2x2 (alacritty needs room).
    pub fn new(cols: u16, rows: u16, scrollback: usize) -> Self {
        let (cols, rows) = (cols.max(2), rows.max(2));
        let listener = Listener::default();
        {
            let mut inbox = listener.inbox();
            inbox.cols = cols;
            inbox.rows = rows;
        }
        let config = TermConfig {
            scrolling_history: scrollback,
            ..TermConfig::default()
        };
        let size = GridSize {
            cols: cols as usize,
            rows: rows as usize,
        };
        Self {
            term: Term::new(config, &size, listener.clone()),
            processor: Processor::new(),
            listener,
            sync_deadline: None,
            sync_generation: 0,
            cols,
            rows,
            text: ScreenText::new(rows as usize),
            stale: false,
        }
    }

    /// Bring the text cache up to date by re-reading what alacritty marked as damaged;
    /// returns whether any text changed. Cheap when nothing was fed.
    pub fn refresh(&mut self) -> bool {
        if !std::mem::take(&mut self.stale) {
            self.text.clear_changed();
            return false;
        }
        self.text.update(&mut self.term)
    }

    /// Process bytes that arrived at `t`.
    pub fn feed(&mut self, t: f64, bytes: &[u8]) {
        self.flush_sync_if_due(t);
        self.processor.advance(&mut self.term, bytes);
        self.stale = true;
        let timer = self.processor.sync_timeout();
        match timer.requested {
            None => self.sync_deadline = None,
            Some(d) if timer.generation != self.sync_generation || self.sync_deadline.is_none() => {
                self.sync_deadline = Some(t + d.as_secs_f64());
                self.sync_generation = timer.generation;
            }
            Some(_) => {}
        }
    }

    /// Let time pass: flush a synchronized update whose deadline has come.
    /// Returns whether the screen may have changed.
    pub fn advance(&mut self, t: f64) -> bool {
        self.flush_sync_if_due(t)
    }

    fn flush_sync_if_due(&mut self, t: f64) -> bool {
        match self.sync_deadline {
            Some(deadline) if t >= deadline => {
                self.processor.stop_sync(&mut self.term);
                self.sync_deadline = None;
                self.stale = true;
                true
            }
            _ => false,
        }
    }

    /// When an open synchronized update will be flushed, if one is open.
    pub fn next_deadline(&self) -> Option<f64> {
        self.sync_deadline
    }

    /// Resize the grid; sizes below 2x2 are raised to 2x2.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        let (cols, rows) = (cols.max(2), rows.max(2));
        self.cols = cols;
        self.rows = rows;
        {
            let mut inbox = self.listener.inbox();
            inbox.cols = cols;
            inbox.rows = rows;
        }
        self.term.resize(GridSize {
            cols: cols as usize,
            rows: rows as usize,
        });
        self.stale = true;
    }

    /// Bytes to send back to the application.
    pub fn take_replies(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.listener.inbox().replies)
    }

    /// The last title change since the previous call, if any.
    pub fn take_title_change(&mut self) -> Option<TitleChange> {
        self.listener
            .inbox()
            .title_change
            .take()
            .map(|t| t.map_or(TitleChange::Reset, TitleChange::Set))
    }

    /// (cols, rows).
    pub fn size(&self) -> (u16, u16) {
        (self.cols, self.rows)
    }

    /// The visible screen, one string per row, trailing spaces trimmed.
    /// Read while bytes are pending a refresh, the rows come straight from the grid.
    pub fn screen_lines(&self) -> std::borrow::Cow<'_, [String]> {
        if self.stale {
            std::borrow::Cow::Owned(
                (0..self.rows as i32)
                    .map(|r| self.line_text(Line(r)))
                    .collect(),
            )
        } else {
            std::borrow::Cow::Borrowed(self.text.lines())
        }
    }

    /// The cached rows, as of the last [`Self::refresh`].
    pub fn cached_lines(&self) -> &[String] {
        self.text.lines()
    }

    /// The cached text, with its change tracking.
    pub fn text(&self) -> &ScreenText {
        &self.text
    }

    /// How many lines of scrollback there are above the screen.
    pub fn scrollback_len(&self) -> usize {
        self.term.grid().history_size()
    }

    /// Up to `max` lines of scrollback above the screen, oldest first.
    pub fn scrollback_lines(&self, max: usize) -> Vec<String> {
        let history = self.term.grid().history_size();
        let n = history.min(max) as i32;
        (-n..0).map(|r| self.line_text(Line(r))).collect()
    }

    /// The cursor position and visibility.
    pub fn cursor(&self) -> CursorPos {
        let point = self.term.grid().cursor.point;
        CursorPos {
            row: point.line.0.max(0) as u16,
            col: point.column.0 as u16,
            visible: self.term.mode().contains(TermMode::SHOW_CURSOR),
        }
    }

    /// Bytes that repaint the visible screen (colours, attributes, cursor) on a blank
    /// terminal of the same size: what a viewer attaching mid-session writes first.
    pub fn paint(&self) -> String {
        crate::paint::paint(&self.term, self.cursor(), &|_, _| None)
    }

    /// [`Self::paint`] with some cells' characters replaced: `mask(row, col)` (0-based)
    /// gives the character to draw instead, keeping the cell's colours.
    pub fn paint_masked(&self, mask: &dyn Fn(usize, usize) -> Option<char>) -> String {
        crate::paint::paint(&self.term, self.cursor(), mask)
    }

    /// The visible screen as cells with resolved colours.
    pub fn cells(&self, cursor: crate::Cursor) -> crate::ScreenCells {
        crate::cells::from_term(&self.term, cursor)
    }

    fn line_text(&self, line: Line) -> String {
        let mut text = String::new();
        row_text(&self.term.grid()[line][..], &mut text);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    #[test]
    fn answers_device_attribute_and_cursor_queries() {
        let mut emu = Emulator::new(80, 24, 100);
        emu.feed(0.0, b"\x1b[c\x1b[6n");
        let replies = String::from_utf8(emu.take_replies()).unwrap();
        assert!(replies.starts_with("\x1b[?6c"), "{replies:?}");
        assert!(replies.contains("\x1b[1;1R"), "{replies:?}");
        assert!(emu.take_replies().is_empty());
    }

    #[test]
    fn answers_colour_queries_with_a_dark_background() {
        let mut emu = Emulator::new(80, 24, 100);
        emu.feed(0.0, b"\x1b]11;?\x07");
        let replies = String::from_utf8(emu.take_replies()).unwrap();
        assert_eq!(replies, "\x1b]11;rgb:1d1d/1f1f/2121\x07");
    }

    #[test]
    fn synchronized_updates_follow_the_callers_clock() {
        let mut emu = Emulator::new(20, 4, 100);
        emu.feed(1.0, b"\x1b[?2026hhidden");
        assert_eq!(emu.screen_lines()[0], "");
        let deadline = emu.next_deadline().expect("sync open");
        assert!(deadline > 1.0 && deadline < 2.0);
        emu.advance(deadline - 0.01);
        assert_eq!(emu.screen_lines()[0], "");
        emu.advance(deadline);
        assert_eq!(emu.screen_lines()[0], "hidden");
        assert_eq!(emu.next_deadline(), None);
    }

    #[test]
    fn synchronized_update_end_shows_at_once() {
        let mut emu = Emulator::new(20, 4, 100);
        emu.feed(0.0, b"\x1b[?2026hab");
        emu.feed(0.01, b"c\x1b[?2026l");
        assert_eq!(emu.screen_lines()[0], "abc");
        assert_eq!(emu.next_deadline(), None);
    }

    #[test]
    fn wide_and_combining_characters_read_back() {
        let mut emu = Emulator::new(20, 4, 100);
        emu.feed(0.0, "日本 e\u{301}".as_bytes());
        assert_eq!(emu.screen_lines()[0], "日本 e\u{301}");
    }

    proptest::proptest! {
        /// The text cache kept from damage tracking always equals a fresh read.
        #[test]
        fn cached_lines_match_the_grid(
            chunks in proptest::collection::vec(
                proptest::collection::vec(proptest::prop_oneof![
                    proptest::prelude::any::<u8>(),
                    proptest::sample::select(b"\x1b[;?0123456789HJKLABCDmrhlSTPX@\n\r ab".to_vec()),
                ], 0..64),
                1..24,
            ),
            resize_at in 0usize..24,
        ) {
            let mut emu = Emulator::new(12, 5, 20);
            for (i, chunk) in chunks.iter().enumerate() {
                if i == resize_at {
                    emu.resize(9, 7);
                }
                emu.feed(i as f64 * 0.01, chunk);
                emu.refresh();
                let fresh: Vec<String> =
                    (0..emu.rows as i32).map(|r| emu.line_text(Line(r))).collect();
                proptest::prop_assert_eq!(emu.cached_lines(), fresh.as_slice());
            }
        }
    }

    /// Pieces that move the cursor around and write wide characters, combining marks,
    /// tabs, links and edits in place: what the damage-span comparison must get right.
    fn cell_edits() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        let pieces: Vec<&'static str> = vec![
            "ab",
            " ",
            "日",
            "本x",
            "e\u{301}",
            "\u{301}",
            "\t",
            "\x08",
            "\r",
            "\n",
            "\x1b[4h",
            "\x1b[4l",
            "\x1b[2;3H",
            "\x1b[5;9H",
            "\x1b[1;1H",
            "\x1b[C",
            "\x1b[3D",
            "\x1b[2X",
            "\x1b[P",
            "\x1b[2@",
            "\x1b[K",
            "\x1b[1K",
            "\x1b[2J",
            "\x1b[S",
            "\x1b]8;;http://x\x07",
            "\x1b]8;;\x07",
            "\x1b[7m",
            "\x1b[0m",
            "●",
            "─",
        ];
        proptest::collection::vec(proptest::sample::select(pieces), 0..16)
            .prop_map(|p| p.concat().into_bytes())
    }

    proptest::proptest! {
        /// Text kept from damage spans (compared cell by cell) equals a fresh read, also
        /// when wide characters and combining marks change cells beside the damage.
        #[test]
        fn cached_lines_follow_cell_edits(
            chunks in proptest::collection::vec(cell_edits(), 1..32),
            shrink_at in 0usize..32,
        ) {
            let mut emu = Emulator::new(10, 6, 20);
            for (i, chunk) in chunks.iter().enumerate() {
                if i == shrink_at {
                    emu.resize(10, 3);
                    emu.refresh();
                    emu.resize(10, 6);
                }
                emu.feed(i as f64 * 0.01, chunk);
                emu.refresh();
                let fresh: Vec<String> =
                    (0..emu.rows as i32).map(|r| emu.line_text(Line(r))).collect();
                proptest::prop_assert_eq!(emu.cached_lines(), fresh.as_slice());
            }
        }
    }

    #[test]
    fn titles_and_scrollback() {
        let mut emu = Emulator::new(10, 3, 5);
        emu.feed(0.0, b"\x1b]0;\xe2\x9c\xb3 Claude Code\x07");
        assert_eq!(
            emu.take_title_change(),
            Some(TitleChange::Set("✳ Claude Code".into()))
        );
        for i in 0..20 {
            emu.feed(0.0, format!("l{i}\r\n").as_bytes());
        }
        let back = emu.scrollback_lines(100);
        assert_eq!(back.len(), 5);
        assert_eq!(back.last().unwrap(), "l17");
        assert_eq!(emu.screen_lines().as_ref(), ["l18", "l19", ""]);
    }
}
