//! Decisions that keep slots alive without a person watching: when to restart a crashed
//! process, when a working slot counts as stuck, when its context is nearly full, and how
//! an autonomous run proceeds turn by turn.
//!
//! Everything here is pure: the daemon passes in the time (`Instant`s) and what it
//! observed, and carries out the answer (restart, interrupt, prompt, inbox message).
//!
//! - [`backoff`]: restart delays after crashes, and when to give up.
//! - [`stuck`]: a working slot that shows no sign of life is interrupted, then restarted.
//! - [`context`]: how much of the context window is left, and what to do when little is.
//! - [`autonomy`]: the guard rails of a run towards a goal.

pub mod autonomy;
pub mod backoff;
pub mod context;
pub mod stuck;

use std::time::Duration;

pub use autonomy::{Autonomy, AutonomyEvent, AutonomyLimits, Step, StopReason};
pub use backoff::{BackoffPolicy, RestartBackoff, RestartDecision};
pub use context::{Action, ContextPolicy, ContextWindows, TokenUsage, context_left_percent};
pub use stuck::{Observation, StuckDetector, Verdict, counts_as_working};

/// One slot's lifecycle settings, resolved: built-in defaults, overridden by its role's
/// section of `slots.yaml`, overridden by the slot's own `lifecycle:` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleSettings {
    /// What to do when the context is nearly full.
    pub context_policy: ContextPolicy,
    /// Act when less than this percentage of the context is left.
    pub context_threshold_percent: u8,
    /// A working slot with no sign of life for this long is interrupted.
    pub stuck_after: Duration,
    /// An interrupted slot still working after this long is restarted.
    pub stuck_grace: Duration,
    /// Restart delays and the give-up limit after crashes.
    pub backoff: BackoffPolicy,
}

/// Default for [`LifecycleSettings::context_threshold_percent`].
pub const DEFAULT_CONTEXT_THRESHOLD_PERCENT: u8 = 10;
/// Default for [`LifecycleSettings::stuck_after`]: longer than Claude Code's longest Bash
/// timeout (10 minutes), so a quiet but legitimate command is not taken for a hang.
pub const DEFAULT_STUCK_AFTER: Duration = Duration::from_secs(900);
/// Default for [`LifecycleSettings::stuck_grace`].
pub const DEFAULT_STUCK_GRACE: Duration = Duration::from_secs(30);

impl Default for LifecycleSettings {
    fn default() -> Self {
        LifecycleSettings {
            context_policy: ContextPolicy::default(),
            context_threshold_percent: DEFAULT_CONTEXT_THRESHOLD_PERCENT,
            stuck_after: DEFAULT_STUCK_AFTER,
            stuck_grace: DEFAULT_STUCK_GRACE,
            backoff: BackoffPolicy::default(),
        }
    }
}

impl LifecycleSettings {
    /// A stuck detector with these settings.
    pub fn stuck_detector(&self) -> StuckDetector {
        StuckDetector::new(self.stuck_after, self.stuck_grace)
    }

    /// A restart backoff with these settings.
    pub fn restart_backoff(&self) -> RestartBackoff {
        RestartBackoff::new(self.backoff.clone())
    }

    /// [`ContextPolicy::decide`] with this slot's policy and threshold.
    pub fn context_action(
        &self,
        left_from_status_bar: Option<u8>,
        left_from_transcript: Option<u8>,
        turn_in_progress: bool,
    ) -> Action {
        self.context_policy.decide(
            left_from_status_bar,
            left_from_transcript,
            self.context_threshold_percent,
            turn_in_progress,
        )
    }
}
