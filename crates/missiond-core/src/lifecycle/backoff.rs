//! Restarting a slot whose process died: exponential delays with a cap, a reset once a
//! run has stayed up long enough, and a limit of restarts per hour after which the daemon
//! stops trying and tells the inbox.
//!
//! Deterministic on purpose (no jitter): slots restart on their own schedules anyway, and
//! a person reading the inbox can predict the next attempt.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The window [`BackoffPolicy::max_restarts_per_hour`] counts over.
pub const WINDOW: Duration = Duration::from_secs(3600);

/// Restart delays and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Delay before the first restart; doubled for each further one in a row.
    pub min: Duration,
    /// The delay never exceeds this.
    pub max: Duration,
    /// A run that stayed up this long was healthy: the next crash starts again at `min`.
    pub stable_after: Duration,
    /// More restarts than this within an hour: give up.
    pub max_restarts_per_hour: u32,
}

/// Default for [`BackoffPolicy::min`].
pub const DEFAULT_MIN: Duration = Duration::from_secs(2);
/// Default for [`BackoffPolicy::max`].
pub const DEFAULT_MAX: Duration = Duration::from_secs(300);
/// Default for [`BackoffPolicy::stable_after`].
pub const DEFAULT_STABLE_AFTER: Duration = Duration::from_secs(600);
/// Default for [`BackoffPolicy::max_restarts_per_hour`].
pub const DEFAULT_MAX_RESTARTS_PER_HOUR: u32 = 6;

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy {
            min: DEFAULT_MIN,
            max: DEFAULT_MAX,
            stable_after: DEFAULT_STABLE_AFTER,
            max_restarts_per_hour: DEFAULT_MAX_RESTARTS_PER_HOUR,
        }
    }
}

impl BackoffPolicy {
    /// The delay before restart number `n` in a row (0-based): `min * 2^n`, capped at `max`.
    pub fn delay(&self, n: u32) -> Duration {
        2u32.checked_pow(n)
            .and_then(|factor| self.min.checked_mul(factor))
            .map_or(self.max, |d| d.min(self.max))
    }
}

/// What to do after an unexpected exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartDecision {
    /// Start the slot again after this delay.
    RestartAfter(Duration),
    /// Too many restarts within the last hour: leave the slot stopped and report.
    GiveUp {
        /// Restarts counted within the last hour.
        restarts_in_last_hour: u32,
    },
}

/// One slot's restart history.
///
/// Feed it unplanned restarts only (crashes, stuck restarts); a planned restart such as a
/// fresh start for a full context is not a failure and should not count.
#[derive(Debug, Clone)]
pub struct RestartBackoff {
    policy: BackoffPolicy,
    /// Restarts in a row without a stable run between them.
    in_a_row: u32,
    /// When the current run started, if one is running.
    started_at: Option<Instant>,
    /// When each restart within the last hour was decided, oldest first.
    recent: VecDeque<Instant>,
}

impl RestartBackoff {
    /// No history yet.
    pub fn new(policy: BackoffPolicy) -> Self {
        RestartBackoff {
            policy,
            in_a_row: 0,
            started_at: None,
            recent: VecDeque::new(),
        }
    }

    /// The policy in use.
    pub fn policy(&self) -> &BackoffPolicy {
        &self.policy
    }

    /// The slot's process started (first start or restart) at `now`.
    pub fn started(&mut self, now: Instant) {
        self.started_at = Some(now);
    }

    /// The slot's process exited unexpectedly at `now`: restart after a delay, or give up.
    /// A `RestartAfter` answer counts as a restart from then on.
    pub fn exited(&mut self, now: Instant) -> RestartDecision {
        if let Some(start) = self.started_at.take()
            && now.saturating_duration_since(start) >= self.policy.stable_after
        {
            self.in_a_row = 0;
        }
        let count = self.restarts_in_last_hour(now);
        if count >= self.policy.max_restarts_per_hour {
            return RestartDecision::GiveUp {
                restarts_in_last_hour: count,
            };
        }
        let delay = self.policy.delay(self.in_a_row);
        self.in_a_row = self.in_a_row.saturating_add(1);
        self.recent.push_back(now);
        RestartDecision::RestartAfter(delay)
    }

    /// Restarts decided within the hour before `now` (older ones are forgotten).
    pub fn restarts_in_last_hour(&mut self, now: Instant) -> u32 {
        while let Some(&oldest) = self.recent.front() {
            if now.saturating_duration_since(oldest) >= WINDOW {
                self.recent.pop_front();
            } else {
                break;
            }
        }
        u32::try_from(self.recent.len()).unwrap_or(u32::MAX)
    }

    /// Forget the history, e.g. when a person starts the slot by hand after a give-up.
    pub fn reset(&mut self) {
        self.in_a_row = 0;
        self.started_at = None;
        self.recent.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn policy(min: u64, max: u64, stable: u64, per_hour: u32) -> BackoffPolicy {
        BackoffPolicy {
            min: secs(min),
            max: secs(max),
            stable_after: secs(stable),
            max_restarts_per_hour: per_hour,
        }
    }

    #[test]
    fn delays_double_up_to_the_cap() {
        let p = policy(2, 60, 600, 100);
        let cases = [
            (0, 2),
            (1, 4),
            (2, 8),
            (3, 16),
            (4, 32),
            (5, 60),
            (6, 60),
            (40, 60),
        ];
        for (n, want) in cases {
            assert_eq!(p.delay(n), secs(want), "restart {n}");
        }
        // Overflowing factors saturate at the cap instead of wrapping.
        assert_eq!(p.delay(u32::MAX), secs(60));
        assert_eq!(policy(0, 60, 600, 100).delay(5), Duration::ZERO);
    }

    /// Each row: seconds of uptime before the crash, expected delay (or None = give up).
    #[test]
    fn crash_sequences() {
        type Case = (&'static str, BackoffPolicy, &'static [(u64, Option<u64>)]);
        let cases: [Case; 4] = [
            (
                "quick crashes back off",
                policy(1, 10, 600, 100),
                &[
                    (1, Some(1)),
                    (1, Some(2)),
                    (1, Some(4)),
                    (1, Some(8)),
                    (1, Some(10)),
                ],
            ),
            (
                "a stable run resets the delay",
                policy(1, 10, 600, 100),
                &[(1, Some(1)), (1, Some(2)), (600, Some(1)), (5, Some(2))],
            ),
            (
                "just short of stable does not reset",
                policy(1, 10, 600, 100),
                &[(1, Some(1)), (599, Some(2))],
            ),
            (
                "the hourly limit gives up",
                policy(1, 10, 600, 3),
                &[(1, Some(1)), (1, Some(2)), (1, Some(4)), (1, None)],
            ),
        ];
        for (name, policy, steps) in cases {
            let mut b = RestartBackoff::new(policy);
            let mut now = Instant::now();
            for (i, &(uptime, want)) in steps.iter().enumerate() {
                b.started(now);
                now += secs(uptime);
                let got = b.exited(now);
                let want = match want {
                    Some(d) => RestartDecision::RestartAfter(secs(d)),
                    None => RestartDecision::GiveUp {
                        restarts_in_last_hour: b.policy().max_restarts_per_hour,
                    },
                };
                assert_eq!(got, want, "{name}, step {i}");
                if let RestartDecision::RestartAfter(d) = got {
                    now += d;
                }
            }
        }
    }

    #[test]
    fn the_hourly_window_slides_and_reset_forgets() {
        let mut b = RestartBackoff::new(policy(1, 1, 10_000, 2));
        let t0 = Instant::now();
        assert_eq!(b.exited(t0), RestartDecision::RestartAfter(secs(1)));
        assert_eq!(
            b.exited(t0 + secs(1800)),
            RestartDecision::RestartAfter(secs(1))
        );
        assert_eq!(
            b.exited(t0 + secs(3599)),
            RestartDecision::GiveUp {
                restarts_in_last_hour: 2
            }
        );
        // The first restart falls out of the window after exactly an hour.
        assert_eq!(
            b.exited(t0 + secs(3600)),
            RestartDecision::RestartAfter(secs(1))
        );
        assert_eq!(b.restarts_in_last_hour(t0 + secs(3600)), 2);
        assert_eq!(b.restarts_in_last_hour(t0 + secs(3600 + 1800)), 1);
        b.reset();
        assert_eq!(b.restarts_in_last_hour(t0 + secs(3601)), 0);
    }

    #[test]
    fn an_exit_without_a_recorded_start_keeps_backing_off() {
        let mut b = RestartBackoff::new(policy(3, 100, 1, 100));
        let t0 = Instant::now();
        assert_eq!(b.exited(t0), RestartDecision::RestartAfter(secs(3)));
        // No `started` call: uptime unknown, so no reset however late the exit is.
        assert_eq!(
            b.exited(t0 + secs(50)),
            RestartDecision::RestartAfter(secs(6))
        );
    }
}
