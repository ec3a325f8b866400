//! Automatic garbage collection of the knowledge base, on a schedule.
//!
//! Each run removes expired entries (as `mission_kb_gc` does) and entries nobody ever
//! read (`hits` 0) that were not stored again for `unused_days`, in the low-tier
//! categories (default `general`, where entries stored without a category go; `*`: every
//! category). Settings come from the environment:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `MISSION_KB_GC_INTERVAL` | `6h` | time between runs (`90s`, `30m`, `6h`, `1d`); `off` or `0` turns it off |
//! | `MISSION_KB_GC_UNUSED_DAYS` | `30` | age of a never-read entry before it goes (fractions allowed); `off` or `0`: expired entries only |
//! | `MISSION_KB_GC_UNUSED_CATEGORIES` | `general` | comma-separated categories (with their sub-tiers) the unused rule covers; `*`: all |

use std::time::Duration;

use crate::kb::{DAY_MS, GcPolicy, GcReport, validate};
use crate::store::{KbChange, Store, StoreError};

/// `MISSION_KB_GC_INTERVAL`.
pub const ENV_INTERVAL: &str = "MISSION_KB_GC_INTERVAL";
/// `MISSION_KB_GC_UNUSED_DAYS`.
pub const ENV_UNUSED_DAYS: &str = "MISSION_KB_GC_UNUSED_DAYS";
/// `MISSION_KB_GC_UNUSED_CATEGORIES`.
pub const ENV_UNUSED_CATEGORIES: &str = "MISSION_KB_GC_UNUSED_CATEGORIES";
/// Default time between runs.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(6 * 3600);
/// Default age of a never-read entry before it goes.
pub const DEFAULT_UNUSED_DAYS: f64 = 30.0;
/// Most unused entries one run removes (the next run takes the rest).
pub const UNUSED_PER_RUN: u32 = 10_000;

/// The schedule and what a run removes.
#[derive(Debug, Clone, PartialEq)]
pub struct GcSchedule {
    /// Time between runs; `None`: automatic GC is off.
    pub interval: Option<Duration>,
    /// Age in days of a never-read entry before it goes; `None`: only expired entries.
    pub unused_days: Option<f64>,
    /// Categories the unused rule covers (with sub-tiers); empty: all.
    pub unused_categories: Vec<String>,
}

impl Default for GcSchedule {
    fn default() -> Self {
        GcSchedule {
            interval: Some(DEFAULT_INTERVAL),
            unused_days: Some(DEFAULT_UNUSED_DAYS),
            unused_categories: vec![crate::kb::DEFAULT_CATEGORY.to_string()],
        }
    }
}

impl GcSchedule {
    /// From the process environment.
    pub fn from_env() -> Result<GcSchedule, String> {
        GcSchedule::from_vars(|name| std::env::var(name).ok())
    }

    /// From variables looked up by `get` (tests pass a map).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<GcSchedule, String> {
        let mut s = GcSchedule::default();
        let value = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        if let Some(v) = value(ENV_INTERVAL) {
            s.interval = if is_off(&v) {
                None
            } else {
                Some(parse_duration(&v).map_err(|m| format!("{ENV_INTERVAL}={v:?}: {m}"))?)
            };
        }
        if let Some(v) = value(ENV_UNUSED_DAYS) {
            s.unused_days = if is_off(&v) {
                None
            } else {
                match v.parse::<f64>() {
                    Ok(d) if d.is_finite() && d > 0.0 && d <= crate::kb::TTL_DAYS_MAX => Some(d),
                    _ => {
                        return Err(format!(
                            "{ENV_UNUSED_DAYS}={v:?}: give days (more than 0, fractions allowed) or off"
                        ));
                    }
                }
            };
        }
        if let Some(v) = value(ENV_UNUSED_CATEGORIES) {
            s.unused_categories = if v == "*" {
                Vec::new()
            } else {
                v.split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(|c| {
                        validate::category(ENV_UNUSED_CATEGORIES, c)
                            .map_err(|e| format!("{ENV_UNUSED_CATEGORIES}: `{c}` {}", e.reason))
                    })
                    .collect::<Result<_, _>>()?
            };
        }
        Ok(s)
    }
}

fn is_off(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "off" | "0" | "false" | "no" | "never"
    )
}

/// `90s`, `30m`, `6h`, `1d` or a bare number of seconds; at least one second.
pub fn parse_duration(v: &str) -> Result<Duration, String> {
    let (number, unit) = match v.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, "s"),
    };
    let n: f64 = number
        .trim()
        .parse()
        .map_err(|_| "give a duration like 90s, 30m, 6h or 1d, or off".to_string())?;
    let secs = match unit.trim() {
        "s" | "sec" | "secs" => n,
        "m" | "min" | "mins" => n * 60.0,
        "h" | "hour" | "hours" => n * 3600.0,
        "d" | "day" | "days" => n * 86_400.0,
        other => return Err(format!("unknown unit `{other}`: use s, m, h or d")),
    };
    if !secs.is_finite() || !(1.0..=366.0 * 86_400.0).contains(&secs) {
        return Err("must be between 1 second and a year".into());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// What one run removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcRun {
    /// Expired entries removed.
    pub expired: u64,
    /// Never-read entries removed.
    pub unused: u64,
    /// Their ids, expired first.
    pub ids: Vec<i64>,
}

/// One run at `now`: expired entries, then never-read ones under the schedule's rule.
/// An entry stored or read while the run looks is left for the next run.
pub fn run_once(store: &Store, s: &GcSchedule, now: i64) -> Result<GcRun, StoreError> {
    let report: GcReport = store.kb_gc(
        &GcPolicy {
            stale_before: None,
            stale_category: None,
            dry_run: false,
        },
        now,
    )?;
    let mut run = GcRun {
        expired: report.expired,
        ids: report.removed.iter().map(|r| r.id).collect(),
        ..GcRun::default()
    };
    if let Some(days) = s.unused_days {
        let before = now - (days * DAY_MS).round() as i64;
        for e in store.kb_unused(before, &s.unused_categories, now, UNUSED_PER_RUN)? {
            let change = KbChange {
                rewrite: None,
                delete: vec![e.id],
                expect: vec![(e.id, e.updated_at)],
            };
            if store.kb_apply_change(&change, now)?.is_ok() {
                run.unused += 1;
                run.ids.push(e.id);
            }
        }
    }
    Ok(run)
}
