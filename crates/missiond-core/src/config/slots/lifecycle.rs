//! The optional lifecycle sections of `slots.yaml`:
//!
//! ```yaml
//! secrets:                          # how ${secret:path} in env values is resolved
//!   command: pass show {path}       # {path} is passed as one argument, no shell
//!   timeout_secs: 10                # default 10
//! roles:
//!   coder:                          # applies to every slot with `role: coder`
//!     context_policy: restart       # restart | auto_compact (default restart)
//!     context_threshold_percent: 10 # act below this much context left (1-90, default 10)
//!     stuck_after_secs: 900         # working without a sign of life: interrupt (default 900)
//!     stuck_grace_secs: 30          # still working after the interrupt: restart (default 30)
//!     restart_backoff:              # after crashes: min * 2^n, capped at max
//!       min_secs: 2                 # default 2
//!       max_secs: 300               # default 300
//!       stable_after_secs: 600      # a run this long resets the delay (default 600)
//!     max_restarts_per_hour: 6      # then give up and report (default 6)
//!     workspace: worktree           # a git worktree per slot (see `workspace`)
//! slots:
//!   - id: coder-1
//!     role: coder
//!     cwd: ~/src/app
//!     lifecycle:                    # the same keys, overriding the role's, one by one
//!       context_policy: auto_compact
//! ```
//!
//! A slot without a role has role `general`, so `roles: {general: ...}` applies to it.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use super::ConfigError;
use crate::lifecycle::{ContextPolicy, LifecycleSettings};
use crate::secrets::{DEFAULT_TIMEOUT, SecretsConfig, split_command};

/// A `roles.<name>` section or a slot's `lifecycle:` section, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLifecycle {
    #[serde(default)]
    context_policy: Option<Spanned<ContextPolicy>>,
    #[serde(default)]
    context_threshold_percent: Option<Spanned<u8>>,
    #[serde(default)]
    stuck_after_secs: Option<Spanned<u64>>,
    #[serde(default)]
    stuck_grace_secs: Option<Spanned<u64>>,
    #[serde(default)]
    restart_backoff: Option<RawBackoff>,
    #[serde(default)]
    max_restarts_per_hour: Option<Spanned<u32>>,
    /// A role's `workspace:` (see `workspace`); refused in a slot's `lifecycle:`.
    #[serde(default)]
    pub(super) workspace: Option<super::workspace::RawWorkspace>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackoff {
    #[serde(default)]
    min_secs: Option<Spanned<u64>>,
    #[serde(default)]
    max_secs: Option<Spanned<u64>>,
    #[serde(default)]
    stable_after_secs: Option<Spanned<u64>>,
}

/// The `secrets:` section, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSecrets {
    command: Spanned<RawCommand>,
    #[serde(default)]
    timeout_secs: Option<Spanned<u64>>,
}

/// A command as one line (split at spaces, quotes group) or as a list of words.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawCommand {
    Line(String),
    Words(Vec<String>),
}

/// Builds a [`ConfigError`] for `path` at a location.
pub(super) fn error_at(path: &Path, loc: Location, field: &str, message: String) -> ConfigError {
    ConfigError {
        path: path.to_path_buf(),
        line: Some(loc.line()).filter(|l| *l > 0),
        field: Some(field.to_string()),
        message,
    }
}

/// Checks the `secrets:` section.
pub(super) fn secrets(path: &Path, raw: &RawSecrets) -> Result<SecretsConfig, ConfigError> {
    let timeout = match &raw.timeout_secs {
        Some(t) => {
            in_range(path, t, "timeout_secs", "secrets", 1, 600)?;
            Duration::from_secs(t.value)
        }
        None => DEFAULT_TIMEOUT,
    };
    let loc = raw.command.referenced;
    let argv = match &raw.command.value {
        RawCommand::Line(line) => {
            split_command(line).map_err(|m| error_at(path, loc, "command", m))?
        }
        RawCommand::Words(words) => words.clone(),
    };
    SecretsConfig::new(argv, timeout)
        .map_err(|m| error_at(path, loc, "command", format!("secrets: {m}")))
}

/// Checks the ranges in one section; `owner` says whose section it is in messages
/// (`role "coder"`, `slot "a"`).
pub(super) fn check(path: &Path, raw: &RawLifecycle, owner: &str) -> Result<(), ConfigError> {
    let range = |v: &Option<Spanned<u64>>, field: &str, min: u64, max: u64| match v {
        Some(v) => in_range(path, v, field, owner, min, max),
        None => Ok(()),
    };
    if let Some(t) = &raw.context_threshold_percent {
        let t = Spanned::new(u64::from(t.value), t.referenced, t.defined);
        in_range(path, &t, "context_threshold_percent", owner, 1, 90)?;
    }
    range(&raw.stuck_after_secs, "stuck_after_secs", 10, 7 * 86_400)?;
    range(&raw.stuck_grace_secs, "stuck_grace_secs", 1, 3600)?;
    if let Some(n) = &raw.max_restarts_per_hour {
        let n = Spanned::new(u64::from(n.value), n.referenced, n.defined);
        in_range(path, &n, "max_restarts_per_hour", owner, 1, 1000)?;
    }
    if let Some(b) = &raw.restart_backoff {
        range(&b.min_secs, "min_secs", 0, 3600)?;
        range(&b.max_secs, "max_secs", 1, 86_400)?;
        range(&b.stable_after_secs, "stable_after_secs", 1, 86_400)?;
    }
    Ok(())
}

/// The settings of a slot: its own section over its role's over the defaults. Refuses a
/// backoff whose minimum ends up above its maximum.
pub(super) fn resolve(
    path: &Path,
    slot: Option<&RawLifecycle>,
    role: Option<&RawLifecycle>,
    owner: &str,
) -> Result<LifecycleSettings, ConfigError> {
    let layers: Vec<&RawLifecycle> = slot.into_iter().chain(role).collect();
    let pick = |get: fn(&RawLifecycle) -> Option<u64>| layers.iter().find_map(|l| get(l));
    let secs = |get: fn(&RawLifecycle) -> Option<u64>, default: Duration| {
        pick(get).map_or(default, Duration::from_secs)
    };
    let backoff_field = |get: fn(&RawBackoff) -> Option<&Spanned<u64>>| {
        layers
            .iter()
            .find_map(|l| l.restart_backoff.as_ref().and_then(get))
    };
    let mut s = LifecycleSettings::default();
    if let Some(p) = layers.iter().find_map(|l| l.context_policy.as_ref()) {
        s.context_policy = p.value;
    }
    if let Some(t) = layers
        .iter()
        .find_map(|l| l.context_threshold_percent.as_ref())
    {
        s.context_threshold_percent = t.value;
    }
    s.stuck_after = secs(
        |l| l.stuck_after_secs.as_ref().map(|v| v.value),
        s.stuck_after,
    );
    s.stuck_grace = secs(
        |l| l.stuck_grace_secs.as_ref().map(|v| v.value),
        s.stuck_grace,
    );
    if let Some(n) = layers.iter().find_map(|l| l.max_restarts_per_hour.as_ref()) {
        s.backoff.max_restarts_per_hour = n.value;
    }
    let min = backoff_field(|b| b.min_secs.as_ref());
    let max = backoff_field(|b| b.max_secs.as_ref());
    if let Some(v) = min {
        s.backoff.min = Duration::from_secs(v.value);
    }
    if let Some(v) = max {
        s.backoff.max = Duration::from_secs(v.value);
    }
    if let Some(v) = backoff_field(|b| b.stable_after_secs.as_ref()) {
        s.backoff.stable_after = Duration::from_secs(v.value);
    }
    if s.backoff.min > s.backoff.max {
        // Point at whichever of the two was written (the maximum if both were).
        let (loc, field) = match (max, min) {
            (Some(m), _) => (m.referenced, "max_secs"),
            (None, Some(m)) => (m.referenced, "min_secs"),
            (None, None) => (Location::UNKNOWN, "restart_backoff"),
        };
        return Err(error_at(
            path,
            loc,
            field,
            format!(
                "{owner}: restart_backoff min_secs ({}) is above max_secs ({})",
                s.backoff.min.as_secs(),
                s.backoff.max.as_secs()
            ),
        ));
    }
    Ok(s)
}

fn in_range(
    path: &Path,
    v: &Spanned<u64>,
    field: &str,
    owner: &str,
    min: u64,
    max: u64,
) -> Result<(), ConfigError> {
    if (min..=max).contains(&v.value) {
        return Ok(());
    }
    Err(error_at(
        path,
        v.referenced,
        field,
        format!("{owner}: {} is out of range ({min}-{max})", v.value),
    ))
}
