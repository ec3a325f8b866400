//! A slot that says it is working but shows no sign of life: interrupt it, and restart
//! it if the interrupt does not bring it out of its working state within a grace period.
//!
//! Which states count as working (see [`counts_as_working`]):
//! - `Thinking`, `Responding`, `ToolRunning`: a turn is under way and should show progress.
//! - `Starting`: a launch that never reaches its input box is as stuck as a hung turn.
//!
//! Never stuck: `Idle` (waiting for a prompt), `Confirming` (a dialog waits on a person,
//! however long that takes), `SlashMenu`, `Error`, `Stopped`, `Exited` (nothing running
//! to interrupt; crashes are the backoff's business), and `Unknown` (an unreadable screen
//! may be a dialog we do not know; better to leave it than to type into it).
//!
//! Signs of life are the last screen change and the last transcript line. The daemon
//! decides what counts as a screen change: Claude Code's spinner redraws its timer every
//! second, so a daemon that counted those redraws would never see a hang.

use std::time::{Duration, Instant};

use crate::catalogue::SlotState;

/// Whether a slot in `state` is expected to show progress (see the module docs).
pub fn counts_as_working(state: SlotState) -> bool {
    matches!(
        state,
        SlotState::Starting | SlotState::Thinking | SlotState::Responding | SlotState::ToolRunning
    )
}

/// What the daemon saw of one slot at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// The slot's state.
    pub state: SlotState,
    /// When the screen last changed (or the process started, if it never did).
    pub last_screen_change: Instant,
    /// When Claude Code last reported work, if it ever did: its transcript grew or one of
    /// its hooks (a tool starting or ending, a notification) reached the daemon.
    pub last_reported_activity: Option<Instant>,
    /// The time of the observation.
    pub now: Instant,
}

impl Observation {
    /// The most recent sign of life.
    pub fn last_activity(&self) -> Instant {
        match self.last_reported_activity {
            Some(t) => t.max(self.last_screen_change),
            None => self.last_screen_change,
        }
    }
}

/// What to do about a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing.
    Fine,
    /// Interrupt the turn (Esc) and tell the inbox.
    Interrupt,
    /// The interrupt did not help: restart the slot and tell the inbox.
    Restart,
}

/// Interrupt-then-restart for one slot. Feed it an [`Observation`] whenever something
/// changes and on a timer (every few seconds); each verdict other than `Fine` is given once.
#[derive(Debug, Clone)]
pub struct StuckDetector {
    stuck_after: Duration,
    grace: Duration,
    /// When the detector asked for an interrupt that has not yet taken effect.
    interrupted_at: Option<Instant>,
}

impl StuckDetector {
    /// Interrupt after `stuck_after` without a sign of life; restart if the slot is still
    /// working `grace` after the interrupt.
    pub fn new(stuck_after: Duration, grace: Duration) -> Self {
        StuckDetector {
            stuck_after,
            grace,
            interrupted_at: None,
        }
    }

    /// Whether an interrupt was asked for and the slot has not left its working state yet.
    pub fn interrupt_pending(&self) -> bool {
        self.interrupted_at.is_some()
    }

    /// Judges one observation.
    ///
    /// After an interrupt only leaving the working states counts as recovery: a slot that
    /// redraws but keeps "working" after Esc is not responding to input.
    pub fn observe(&mut self, obs: &Observation) -> Verdict {
        if !counts_as_working(obs.state) {
            self.interrupted_at = None;
            return Verdict::Fine;
        }
        if let Some(at) = self.interrupted_at {
            if obs.now.saturating_duration_since(at) >= self.grace {
                self.interrupted_at = None;
                return Verdict::Restart;
            }
            return Verdict::Fine;
        }
        if obs.now.saturating_duration_since(obs.last_activity()) >= self.stuck_after {
            self.interrupted_at = Some(obs.now);
            return Verdict::Interrupt;
        }
        Verdict::Fine
    }

    /// Forget any pending interrupt (call it when the slot is restarted for any reason).
    pub fn reset(&mut self) {
        self.interrupted_at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [SlotState; 11] = [
        SlotState::Stopped,
        SlotState::Starting,
        SlotState::Idle,
        SlotState::Thinking,
        SlotState::Responding,
        SlotState::ToolRunning,
        SlotState::Confirming,
        SlotState::Error,
        SlotState::SlashMenu,
        SlotState::Exited,
        SlotState::Unknown,
    ];

    #[test]
    fn which_states_count_as_working() {
        let working: Vec<_> = ALL.into_iter().filter(|s| counts_as_working(*s)).collect();
        assert_eq!(
            working,
            [
                SlotState::Starting,
                SlotState::Thinking,
                SlotState::Responding,
                SlotState::ToolRunning
            ]
        );
    }

    /// One step: seconds since start, state, seconds of the last screen change, seconds
    /// of the last transcript line, expected verdict. stuck_after = 100 s, grace = 10 s.
    type Step = (u64, SlotState, u64, Option<u64>, Verdict);

    fn run(name: &str, steps: &[Step]) {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut d = StuckDetector::new(Duration::from_secs(100), Duration::from_secs(10));
        for (i, &(now, state, screen, transcript, want)) in steps.iter().enumerate() {
            let obs = Observation {
                state,
                last_screen_change: at(screen),
                last_reported_activity: transcript.map(at),
                now: at(now),
            };
            assert_eq!(d.observe(&obs), want, "{name}, step {i}");
        }
    }

    #[test]
    fn interrupt_then_restart_table() {
        use SlotState::*;
        use Verdict::*;
        let cases: [(&str, &[Step]); 9] = [
            (
                "busy and lively",
                &[
                    (50, Thinking, 45, Some(48), Fine),
                    (150, ToolRunning, 140, None, Fine),
                ],
            ),
            (
                "quiet for exactly the limit",
                &[
                    (99, Thinking, 0, None, Fine),
                    (100, Thinking, 0, None, Interrupt),
                ],
            ),
            (
                "the transcript alone keeps it alive",
                &[(150, Responding, 0, Some(120), Fine)],
            ),
            (
                "the screen alone keeps it alive",
                &[(150, ToolRunning, 120, Some(10), Fine)],
            ),
            (
                "interrupt works: it goes idle",
                &[
                    (100, Thinking, 0, None, Interrupt),
                    (105, Thinking, 0, None, Fine),
                    (106, Idle, 106, None, Fine),
                    (300, Idle, 106, None, Fine),
                ],
            ),
            (
                "interrupt ignored: restart after the grace, once",
                &[
                    (100, ToolRunning, 0, None, Interrupt),
                    (109, ToolRunning, 105, None, Fine),
                    (110, ToolRunning, 105, None, Restart),
                    (111, ToolRunning, 105, None, Fine),
                ],
            ),
            (
                "a dialog waiting on a person is never stuck",
                &[
                    (1000, Confirming, 0, None, Fine),
                    (5000, Confirming, 0, None, Fine),
                ],
            ),
            (
                "a dialog during the grace cancels the restart",
                &[
                    (100, Thinking, 0, None, Interrupt),
                    (105, Confirming, 105, None, Fine),
                    (200, Thinking, 105, None, Fine),
                    (205, Thinking, 105, None, Interrupt),
                ],
            ),
            (
                "a hung start-up",
                &[
                    (100, Starting, 0, None, Interrupt),
                    (110, Starting, 0, None, Restart),
                ],
            ),
        ];
        for (name, steps) in cases {
            run(name, steps);
        }
    }

    #[test]
    fn states_that_are_not_working_never_fire() {
        for state in ALL.into_iter().filter(|s| !counts_as_working(*s)) {
            run(state.as_str(), &[(10_000, state, 0, None, Verdict::Fine)]);
        }
    }

    #[test]
    fn activity_stamped_after_now_is_not_stuck() {
        // Observations can race with the clock; a later stamp is simply recent.
        run(
            "future",
            &[(50, SlotState::Thinking, 60, None, Verdict::Fine)],
        );
    }

    #[test]
    fn reset_forgets_the_pending_interrupt() {
        let t0 = Instant::now();
        let mut d = StuckDetector::new(Duration::from_secs(5), Duration::from_secs(5));
        let obs = |now: u64| Observation {
            state: SlotState::Thinking,
            last_screen_change: t0,
            last_reported_activity: None,
            now: t0 + Duration::from_secs(now),
        };
        assert_eq!(d.observe(&obs(5)), Verdict::Interrupt);
        assert!(d.interrupt_pending());
        d.reset();
        assert!(!d.interrupt_pending());
        // Still quiet: a fresh interrupt, not a restart.
        assert_eq!(d.observe(&obs(20)), Verdict::Interrupt);
    }
}
