//! [`SemanticTerminal`]: the emulator plus the screen reader, glued by the debouncer.
//!
//! The screen is read at most once per `feed` (and once per `advance` that flushed a
//! synchronized update), and only when its text changed: an idle terminal costs nothing.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::classify::{
    Reading, last_answer_until, read_with, reread_spinner_into, same_dialog, transcript_end,
};
use crate::debounce::Debouncer;
use crate::emulator::{Emulator, TitleChange};
use crate::event::{ConfirmInfo, SessionEvent, State, Status, TimedEvent, Title};
use crate::memo::Memo;
use crate::reread::reread_transcript_into;
use crate::rules::Rules;
use crate::title::parse_title;
use crate::tools::ToolTracker;
use crate::{Config, Cursor, MAX_QUEUED_EVENTS, Timestamp};

/// Status updates that only move counters (elapsed seconds, tokens) are sent at most
/// this often, in seconds: they change many times a second while text streams.
const COUNTER_INTERVAL: f64 = 1.0;

/// While bytes stream in, the screen is read at most once per `debounce / EVAL_FRACTION`
/// seconds: a state must hold for the whole debounce anyway, and Claude Code redraws far
/// more often than that.
const EVAL_FRACTION: f64 = 3.0;

/// Tool output is looked for at most this often, in seconds (it needs a parse of the
/// whole transcript, and nothing waits on it the way it waits on a state change).
const TOOL_INTERVAL: f64 = 0.5;

/// What the debouncer tracks: the state, and which dialog is open, so a second dialog
/// right after the first is announced too.
#[derive(Debug, Clone, PartialEq)]
struct Key {
    state: State,
    dialog: Option<(String, String, Vec<String>)>,
}

impl Key {
    fn of(state: State, confirm: Option<&ConfirmInfo>) -> Self {
        Self {
            state,
            dialog: confirm.map(|c| {
                (
                    c.title.clone(),
                    c.question.clone(),
                    c.options.iter().map(|o| o.label.clone()).collect(),
                )
            }),
        }
    }
}

/// Sends a changing value at most once per interval, always ending on the latest.
#[derive(Debug, Default)]
struct Throttle {
    last_sent: Option<f64>,
    pending: bool,
}

impl Throttle {
    /// The interval is worked out only when something is pending (it compares statuses).
    fn due(&self, t: f64, interval: impl FnOnce() -> f64) -> bool {
        self.pending && self.last_sent.is_none_or(|last| t >= last + interval())
    }
    fn deadline(&self, interval: impl FnOnce() -> f64) -> Option<f64> {
        self.pending
            .then(|| self.last_sent.map_or(0.0, |last| last + interval()))
    }
}

/// A terminal emulator plus Claude Code semantics. See the crate docs.
pub struct SemanticTerminal {
    emu: Emulator,
    rules: Arc<Rules>,
    config: Config,
    debouncer: Debouncer<Key>,
    /// The newest reading of the screen.
    reading: Option<Reading>,
    /// Regions parsed from earlier frames, for the next reading.
    memo: Memo,
    /// When the screen was last read.
    last_read: Option<f64>,
    /// When bytes arrived that are not read yet: the time to read them.
    read_due: Option<f64>,
    /// Whether anything but `Starting` was ever read: afterwards a blank screen is
    /// `Unknown`, not `Starting`.
    started: bool,
    exited: bool,
    /// A turn is under way: the screen showed work or a tool dialog since the last
    /// announced idle. A turn can finish faster than the debounce, so this looks at
    /// every reading, not only announced states.
    turn_active: bool,
    /// The last dialog read, for `confirm()` while a closing dialog is debounced.
    last_confirm: Option<ConfirmInfo>,
    /// Since when the screen has read idle (reset by any other reading).
    idle_since: Option<f64>,
    title: Option<Title>,
    status_sent: Option<Status>,
    status_throttle: Throttle,
    /// How the newest reading's status differs from the one last sent (`None`: the
    /// reading shows none), worked out once per reading rather than on every check.
    status_news: Option<StatusNews>,
    tools: ToolTracker,
    tools_throttle: Throttle,
    events: VecDeque<TimedEvent>,
}

/// How a status differs from the one sent before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusNews {
    /// It says the same, the spinner glyph aside (it changes every frame).
    Same,
    /// Only elapsed seconds or tokens moved.
    Counters,
    /// Something else changed, or nothing was sent yet.
    Other,
}

/// How `new` differs from `sent`.
fn status_news(sent: Option<&Status>, new: &Status) -> StatusNews {
    let Some(a) = sent else {
        return StatusNews::Other;
    };
    let b = new;
    let same = a.spinner.is_some() == b.spinner.is_some()
        && a.verb == b.verb
        && a.interruptible == b.interruptible
        && a.permission_mode == b.permission_mode
        && a.context_left_percent == b.context_left_percent
        && a.footer == b.footer;
    if !same {
        StatusNews::Other
    } else if a.elapsed_secs == b.elapsed_secs && a.tokens == b.tokens {
        StatusNews::Same
    } else {
        StatusNews::Counters
    }
}

impl SemanticTerminal {
    /// A blank terminal of `cols` x `rows`, in state [`State::Starting`].
    pub fn new(cols: u16, rows: u16, config: Config) -> Self {
        Self::with_rules(cols, rows, config, Rules::shared_builtin())
    }

    /// Like [`Self::new`], reading the screen with `rules` (see [`Rules::from_json`]).
    pub fn with_rules(cols: u16, rows: u16, config: Config, rules: Arc<Rules>) -> Self {
        Self {
            emu: Emulator::new(cols, rows, config.scrollback_lines),
            rules,
            debouncer: Debouncer::new(Key::of(State::Starting, None), 0.0),
            config,
            reading: None,
            memo: Memo::default(),
            last_read: None,
            read_due: None,
            started: false,
            exited: false,
            turn_active: false,
            idle_since: None,
            last_confirm: None,
            title: None,
            status_sent: None,
            status_throttle: Throttle::default(),
            status_news: None,
            tools: ToolTracker::default(),
            tools_throttle: Throttle::default(),
            events: VecDeque::new(),
        }
    }

    fn push(&mut self, t: Timestamp, event: SessionEvent) {
        if self.events.len() >= MAX_QUEUED_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(TimedEvent { t, event });
    }

    /// Process bytes written by the application at time `t`. Events that result are
    /// queued; take them with [`Self::drain_events`].
    pub fn feed(&mut self, t: Timestamp, bytes: &[u8]) {
        // What was pending held until now, with the old screen.
        self.settle(t);
        self.emu.feed(t, bytes);
        if let Some(change) = self.emu.take_title_change() {
            self.title_changed(t, change);
        }
        self.screen_touched(t);
        self.settle(t);
    }

    /// Let time pass with no new bytes: settles pending debounces and expired
    /// synchronized-update buffers. Cheap when nothing is pending.
    pub fn advance(&mut self, t: Timestamp) {
        if self.emu.advance(t) {
            self.screen_touched(t);
        } else if self.read_due.is_some_and(|due| t >= due) {
            self.read_screen(t);
        }
        self.settle(t);
    }

    /// Bytes changed the grid at `t`: read it now, or schedule the read if the screen
    /// was read less than a sampling interval ago.
    fn screen_touched(&mut self, t: Timestamp) {
        let interval = self.config.debounce / EVAL_FRACTION;
        match self.last_read {
            Some(last) if t < last + interval => {
                self.read_due.get_or_insert(last + interval);
            }
            _ => self.read_screen(t),
        }
    }

    /// Bring the text up to date and, if it changed, read it.
    fn read_screen(&mut self, t: Timestamp) {
        self.read_due = None;
        if self.emu.refresh() {
            self.last_read = Some(t);
            self.evaluate(t);
        }
    }

    /// When the caller should next call [`Self::advance`] if no bytes arrive, or `None`
    /// when nothing is pending (an idle terminal needs no timer at all).
    pub fn next_deadline(&self) -> Option<Timestamp> {
        let d = self.config.debounce;
        [
            self.emu.next_deadline(),
            self.read_due,
            self.turn_deadline(),
            self.debouncer.deadline(d),
            self.status_throttle.deadline(|| self.status_interval()),
            self.tools_throttle.deadline(|| TOOL_INTERVAL.max(d)),
        ]
        .into_iter()
        .flatten()
        .reduce(f64::min)
    }

    /// The interval the pending status update waits for: longer when only counters
    /// moved since the last one sent.
    fn status_interval(&self) -> f64 {
        let d = self.config.debounce;
        match self.status_news {
            Some(StatusNews::Same | StatusNews::Counters) => COUNTER_INTERVAL.max(d),
            _ => d,
        }
    }

    /// The terminal was resized (the caller resizes the PTY too).
    pub fn resize(&mut self, t: Timestamp, cols: u16, rows: u16) {
        self.settle(t);
        self.emu.resize(cols, rows);
        self.screen_touched(t);
        self.settle(t);
    }

    /// The application's process has exited: the state becomes [`State::Exited`].
    pub fn mark_exited(&mut self, t: Timestamp) {
        self.settle(t);
        self.exited = true;
        if let Some(change) = self.debouncer.force(t, Key::of(State::Exited, None)) {
            self.push(
                t,
                SessionEvent::StateChange {
                    new_state: State::Exited,
                    prev_state: change.prev.state,
                },
            );
        }
    }

    fn title_changed(&mut self, t: Timestamp, change: TitleChange) {
        let title = match change {
            TitleChange::Set(raw) => Some(parse_title(&raw, &self.rules)),
            TitleChange::Reset => None,
        };
        // The working glyph animates; only a change of text or meaning is news.
        let same = |a: &Title, b: &Title| a.text == b.text && a.working == b.working;
        let news = match (&self.title, &title) {
            (Some(a), Some(b)) => !same(a, b),
            (None, None) => false,
            _ => true,
        };
        if title.as_ref().is_some_and(|t| t.working == Some(true)) {
            // Claude Code marks its title while a turn runs, even one too quick to see.
            self.turn_active = true;
        }
        self.title = title;
        if news && let Some(title) = self.title.clone() {
            self.push(t, SessionEvent::TitleChange(title));
        }
    }

    /// Read the screen and feed the debouncer and throttles.
    fn evaluate(&mut self, t: Timestamp) {
        if self.exited {
            return;
        }
        let text = self.emu.text();
        let (lines, changed) = (text.lines(), text.changed_rows());
        // A frame that changed only the spinner line, or only rows above an open dialog,
        // updates the last reading in place.
        let mut reading = match self.reading.take() {
            Some(mut prev) => {
                if reread_spinner_into(
                    &mut prev,
                    lines,
                    changed,
                    &mut self.memo.spinner,
                    &self.rules,
                ) {
                    if let Some(row) = prev.spinner_row {
                        // Only the spinner line changed: the transcript still ends at it.
                        self.memo.end = Some((text.generation(), row));
                    }
                    prev
                } else if same_dialog(&prev, lines, changed, &self.rules)
                    || reread_transcript_into(&mut prev, text, &mut self.memo, &self.rules)
                {
                    prev
                } else {
                    read_with(lines, Some(text), &mut self.memo, &self.rules)
                }
            }
            None => read_with(lines, Some(text), &mut self.memo, &self.rules),
        };
        if reading.state == State::Starting && self.started {
            reading.state = State::Unknown;
        }
        if !matches!(reading.state, State::Starting | State::Unknown) {
            self.started = true;
        }
        let tool_dialog = reading
            .confirm
            .as_ref()
            .is_some_and(|c| !c.kind.is_startup());
        if reading.state.is_working() || tool_dialog {
            self.turn_active = true;
        }
        // Copied only when it changed: an open dialog is read again on many frames.
        if let Some(info) = &reading.confirm
            && self.last_confirm.as_ref() != Some(info)
        {
            self.last_confirm = Some(info.clone());
        }
        if reading.state == State::Idle {
            self.idle_since.get_or_insert(t);
        } else {
            self.idle_since = None;
        }
        // Thinking, answering and running a tool are one kind of change: while the
        // screen stays busy, the debounce runs from when it first read busy.
        self.debouncer.observe_merging(
            t,
            Key::of(reading.state, reading.confirm.as_ref()),
            |a, b| a.state.is_working() && b.state.is_working(),
        );
        self.status_news = reading
            .status
            .as_ref()
            .map(|status| status_news(self.status_sent.as_ref(), status));
        if self
            .status_news
            .is_some_and(|news| news != StatusNews::Same)
        {
            self.status_throttle.pending = true;
        }
        // Tool output is looked for when the throttle lets it out, not on every read.
        self.tools_throttle.pending = true;
        self.reading = Some(reading);
    }

    /// When a finished turn will be announced, if one is waiting.
    /// `None` while something else must happen first (the announced state becoming idle,
    /// the title dropping its working glyph): those arrive with bytes or their own
    /// deadline, so a caller looping on deadlines never spins.
    fn turn_deadline(&self) -> Option<f64> {
        let title_busy = self.title.as_ref().is_some_and(|t| t.working == Some(true));
        if !self.turn_active || title_busy || self.state() != State::Idle {
            return None;
        }
        self.idle_since.map(|since| since + self.config.debounce)
    }

    /// Where the transcript ends on the cached screen: as the last reading found, when
    /// it read this very text.
    fn transcript_end(&self) -> usize {
        let text = self.emu.text();
        self.memo
            .transcript_end(text)
            .unwrap_or_else(|| transcript_end(text.lines(), &self.rules))
    }

    /// A turn is over when the screen has read idle for the debounce time (and the title,
    /// if it says anything, no longer says working). A turn can be quicker than the
    /// debounce, so this does not wait for an announced state change.
    fn finish_turn(&mut self, t: Timestamp) {
        if !self.turn_deadline().is_some_and(|due| t >= due) {
            return;
        }
        self.turn_active = false;
        self.idle_since = None;
        let end = self.transcript_end();
        let infos = self.memo.row_infos(self.emu.text(), 0..end, &self.rules);
        if let Some(answer) = last_answer_until(self.emu.cached_lines(), infos, end, &self.rules) {
            self.push(t, SessionEvent::TextComplete(answer));
        }
    }

    /// Announce what has held long enough by `t`.
    fn settle(&mut self, t: Timestamp) {
        let d = self.config.debounce;
        if let Some(change) = self.debouncer.settle(t, d) {
            let (prev, new) = (change.prev.state, change.new.state);
            if prev != new {
                self.push(
                    t,
                    SessionEvent::StateChange {
                        new_state: new,
                        prev_state: prev,
                    },
                );
            }
            let reading = self.reading.as_ref();
            if new == State::Confirming
                && let Some(info) = reading.and_then(|r| r.confirm.clone())
            {
                self.push(
                    t,
                    SessionEvent::ConfirmRequired {
                        prompt: info.question.clone(),
                        info,
                    },
                );
            }
            if new == State::Error {
                self.turn_active = false;
            }
        }
        self.finish_turn(t);
        if self.status_throttle.due(t, || self.status_interval()) {
            self.status_throttle.pending = false;
            let status = self.reading.as_ref().and_then(|r| r.status.as_ref());
            if let Some(status) = status
                && self.status_news != Some(StatusNews::Same)
            {
                let status = status.clone();
                self.status_throttle.last_sent = Some(t);
                self.status_news = Some(StatusNews::Same);
                self.status_sent = Some(status.clone());
                self.push(t, SessionEvent::StatusUpdate(status));
            }
        }
        if self.tools_throttle.due(t, || TOOL_INTERVAL.max(d)) {
            self.tools_throttle.pending = false;
            // Looking costs a transcript parse: at most once per interval.
            self.tools_throttle.last_sent = Some(t);
            let end = self.transcript_end();
            let text = self.emu.text();
            // Only the rows the look reads again need their infos up to date.
            if let Some(from) = self.tools.to_read(text, end) {
                let rows = from.saturating_sub(1)..end;
                let infos = self.memo.row_infos_upto(text, rows, &self.rules);
                for tool in self.tools.look(text, infos, end, from, &self.rules) {
                    self.push(t, SessionEvent::ToolOutput(tool));
                }
            }
        }
    }

    /// Events produced since the last call, oldest first. At most
    /// [`MAX_QUEUED_EVENTS`] are kept between calls (the oldest are dropped).
    pub fn drain_events(&mut self) -> Vec<TimedEvent> {
        // Callers drain after every feed; most find nothing.
        if self.events.is_empty() {
            return Vec::new();
        }
        self.events.drain(..).collect()
    }

    /// Bytes the terminal must send back to the application (answers to device
    /// attribute, cursor position and similar queries). Empty most of the time.
    pub fn take_replies(&mut self) -> Vec<u8> {
        self.emu.take_replies()
    }

    /// The announced (debounced) state.
    pub fn state(&self) -> State {
        self.debouncer.announced().state
    }

    /// The time at which the announced state began (when the screen first showed it).
    pub fn state_since(&self) -> Timestamp {
        self.debouncer.since()
    }

    /// The state the screen shows right now, before debouncing (for diagnostics).
    pub fn raw_state(&self) -> State {
        self.reading.as_ref().map_or(State::Starting, |r| r.state)
    }

    /// The open permission or start-up dialog, when the state is [`State::Confirming`].
    /// It follows the screen: moving the selection updates it without an event.
    pub fn confirm(&self) -> Option<&ConfirmInfo> {
        if self.state() != State::Confirming {
            return None;
        }
        // While the dialog is leaving (the debounce still runs), keep the last one read.
        self.reading
            .as_ref()
            .and_then(|r| r.confirm.as_ref())
            .or(self.last_confirm.as_ref())
    }

    /// The last parsed status (spinner line and footer).
    pub fn status(&self) -> Option<&Status> {
        self.reading
            .as_ref()
            .and_then(|r| r.status.as_ref())
            .or(self.status_sent.as_ref())
    }

    /// The last terminal title set by the application.
    pub fn title(&self) -> Option<&Title> {
        self.title.as_ref()
    }

    /// The visible screen, one string per row, trailing spaces trimmed.
    pub fn screen_lines(&self) -> Vec<String> {
        self.emu.screen_lines().to_vec()
    }

    /// The visible screen as text, rows joined by `\n`.
    pub fn screen_text(&self) -> String {
        self.emu.screen_lines().join("\n")
    }

    /// Bytes that repaint the visible screen with its colours, attributes and cursor on
    /// a blank terminal of the same size (for a viewer attaching mid-session).
    pub fn paint(&self) -> String {
        self.emu.paint()
    }

    /// [`Self::paint`] with `mask(row, col)` replacing some cells' characters (a secret
    /// scrubber's redaction marker), colours kept.
    pub fn paint_masked(&self, mask: &dyn Fn(usize, usize) -> Option<char>) -> String {
        self.emu.paint_masked(mask)
    }

    /// How many lines of scrollback there are above the screen (none while an
    /// application uses the alternate screen).
    pub fn scrollback_len(&self) -> usize {
        self.emu.scrollback_len()
    }

    /// Up to `max_lines` lines of scrollback above the screen, oldest first.
    pub fn scrollback_lines(&self, max_lines: usize) -> Vec<String> {
        self.emu.scrollback_lines(max_lines)
    }

    /// The cursor position (0-based) and visibility.
    pub fn cursor(&self) -> Cursor {
        let c = self.emu.cursor();
        Cursor {
            row: c.row,
            col: c.col,
            visible: c.visible,
        }
    }

    /// Current size as (cols, rows).
    pub fn size(&self) -> (u16, u16) {
        self.emu.size()
    }

    /// The visible screen as cells with resolved colours and attributes, for renderers
    /// (see [`crate::ScreenCells`]).
    pub fn cells(&self) -> crate::ScreenCells {
        self.emu.cells(self.cursor())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_news_tells_counters_from_other_changes() {
        let sent = Status {
            spinner: Some("✻".into()),
            verb: Some("Churning".into()),
            elapsed_secs: Some(3),
            tokens: Some(10),
            ..Status::default()
        };
        let glyph = Status {
            spinner: Some("✶".into()),
            ..sent.clone()
        };
        assert_eq!(status_news(Some(&sent), &glyph), StatusNews::Same);
        let later = Status {
            elapsed_secs: Some(4),
            ..sent.clone()
        };
        assert_eq!(status_news(Some(&sent), &later), StatusNews::Counters);
        let verb = Status {
            verb: Some("Baking".into()),
            elapsed_secs: Some(4),
            ..sent.clone()
        };
        assert_eq!(status_news(Some(&sent), &verb), StatusNews::Other);
        assert_eq!(status_news(None, &sent), StatusNews::Other);
    }
}
