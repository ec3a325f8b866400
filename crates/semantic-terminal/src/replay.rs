//! Replaying a [`Recording`] through a [`SemanticTerminal`] without sleeping.
//!
//! This is the one replay driver: `missiond replay`, the fixture tests and anything else
//! that turns a recording into events use it, so they all see the same thing. Time is the
//! recording's own: before each entry at time `t`, every pending deadline `d <= t` is
//! settled with `advance(d)`, exactly as a live host's timer would have done.

use crate::recording::{Entry, Recording};
use crate::{Config, SemanticTerminal, State, TimedEvent, Timestamp};

/// The size used when neither the caller nor the recording's header gives one.
pub const DEFAULT_SIZE: (u16, u16) = (120, 40);

/// How long after the last entry replay keeps settling deadlines, in seconds. Debounces
/// are fractions of a second; this bounds the work if a deadline keeps re-arming.
const SETTLE_WINDOW: f64 = 60.0;

/// Steps a recording through a terminal, entry by entry, collecting events.
pub struct Replayer<'a> {
    recording: &'a Recording,
    term: SemanticTerminal,
    next: usize,
    now: Timestamp,
    events: Vec<TimedEvent>,
}

impl<'a> Replayer<'a> {
    /// A replayer over `recording` on a fresh terminal of `size` (cols, rows).
    pub fn new(recording: &'a Recording, size: (u16, u16), config: Config) -> Self {
        Self {
            recording,
            term: SemanticTerminal::new(size.0, size.1, config),
            next: 0,
            now: 0.0,
            events: Vec::new(),
        }
    }

    /// Process every entry at or before `t`, then let time run to `t`: afterwards the
    /// terminal shows what a live host would have shown at `t`.
    pub fn run_until(&mut self, t: Timestamp) {
        while let Some(entry) = self.recording.entries.get(self.next) {
            if entry.t() > t {
                break;
            }
            self.apply(entry);
            self.next += 1;
        }
        self.settle_until(t);
    }

    /// Process every remaining entry, then settle whatever is still pending.
    pub fn finish(&mut self) {
        while let Some(entry) = self.recording.entries.get(self.next) {
            self.apply(entry);
            self.next += 1;
        }
        let end = self.now + SETTLE_WINDOW;
        while let Some(d) = self.term.next_deadline() {
            if d > end {
                break;
            }
            self.advance_to(d.max(self.now));
            if self.term.next_deadline() == Some(d) {
                // The terminal did not move its deadline on: stop rather than spin.
                break;
            }
        }
        self.collect();
    }

    /// The terminal as it stands.
    pub fn terminal(&self) -> &SemanticTerminal {
        &self.term
    }

    /// Events announced so far and not yet taken, oldest first.
    pub fn take_events(&mut self) -> Vec<TimedEvent> {
        self.collect();
        std::mem::take(&mut self.events)
    }

    /// The replay time reached so far.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    fn apply(&mut self, entry: &Entry) {
        let t = entry.t().max(self.now);
        self.settle_until(t);
        match entry {
            Entry::Output { bytes, .. } => self.term.feed(t, bytes),
            Entry::Resize { cols, rows, .. } => self.term.resize(t, *cols, *rows),
            Entry::Exit { .. } => self.term.mark_exited(t),
        }
        self.now = t;
        self.collect();
    }

    /// Settle every deadline up to `t`, in order, then advance to `t` itself.
    fn settle_until(&mut self, t: Timestamp) {
        while let Some(d) = self.term.next_deadline() {
            if d > t {
                break;
            }
            self.advance_to(d.max(self.now));
            if self.term.next_deadline() == Some(d) {
                break;
            }
        }
        if t > self.now {
            self.advance_to(t);
        }
    }

    fn advance_to(&mut self, t: Timestamp) {
        self.term.advance(t);
        self.now = t;
        self.collect();
    }

    fn collect(&mut self) {
        self.events.extend(self.term.drain_events());
        // Nobody listens during a replay: replies were answered when it was recorded.
        let _ = self.term.take_replies();
    }
}

/// Replay a whole recording at `size` with the default [`Config`]; every event, in order.
pub fn replay(recording: &Recording, size: (u16, u16)) -> Vec<TimedEvent> {
    let mut replayer = Replayer::new(recording, size, Config::default());
    replayer.finish();
    replayer.take_events()
}

/// The terminal as it stood at time `t` of the recording (default [`Config`]).
pub fn terminal_at(recording: &Recording, size: (u16, u16), t: Timestamp) -> SemanticTerminal {
    let mut replayer = Replayer::new(recording, size, Config::default());
    replayer.run_until(t);
    replayer.term
}

/// The announced state at time `t` of the recording.
pub fn state_at(recording: &Recording, size: (u16, u16), t: Timestamp) -> State {
    terminal_at(recording, size, t).state()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SessionEvent;

    fn recording() -> Recording {
        Recording {
            header: None,
            entries: vec![
                Entry::Output {
                    t: 1.0,
                    bytes: b"first\r\n".to_vec(),
                },
                Entry::Output {
                    t: 2.0,
                    bytes: b"second".to_vec(),
                },
                Entry::Resize {
                    t: 3.0,
                    cols: 20,
                    rows: 5,
                },
                Entry::Exit {
                    t: 4.0,
                    code: Some(0),
                },
            ],
        }
    }

    #[test]
    fn terminal_at_shows_only_what_came_before() {
        let rec = recording();
        let at = |t| terminal_at(&rec, (40, 10), t);
        assert_eq!(at(0.5).screen_text().trim(), "");
        let early = at(1.5).screen_text();
        assert!(
            early.contains("first") && !early.contains("second"),
            "{early}"
        );
        assert!(at(2.5).screen_text().contains("second"));
        assert_eq!(at(2.5).size(), (40, 10));
        assert_eq!(at(3.5).size(), (20, 5));
        assert_eq!(state_at(&rec, (40, 10), 5.0), State::Exited);
    }

    #[test]
    fn replay_is_ordered_and_ends_exited() {
        let events = replay(&recording(), (40, 10));
        assert!(events.windows(2).all(|w| w[0].t <= w[1].t));
        let last_state = events.iter().rev().find_map(|e| match e.event {
            SessionEvent::StateChange { new_state, .. } => Some((e.t, new_state)),
            _ => None,
        });
        let (t, state) = last_state.expect("a state change");
        assert_eq!(state, State::Exited);
        assert!(t >= 4.0, "exited at {t}");
    }

    #[test]
    fn run_until_in_steps_matches_one_pass() {
        let rec = recording();
        let mut stepped = Replayer::new(&rec, (40, 10), Config::default());
        let mut events = Vec::new();
        for t in [0.5, 1.0, 1.7, 2.0, 3.9, 4.0] {
            stepped.run_until(t);
            events.extend(stepped.take_events());
        }
        stepped.finish();
        events.extend(stepped.take_events());
        assert_eq!(events, replay(&rec, (40, 10)));
    }
}
