//! Remote slots: a slot with `host:` runs its program on that host, under a
//! `missiond runner` the daemon starts there over the system's OpenSSH client.
//!
//! `ssh` builds the ssh command lines (multiplexed connections under the daemon's run
//! folder); `install` checks the host's OS and copies the runner there; `launch` turns a
//! slot's spec into what the runner starts; `link` is the connection to one runner, with
//! reconnects; `mirror` is the local copy of a remote Claude Code's transcript and
//! status file; `health` is what `mission_health` says of each host.

pub mod health;
pub mod install;
pub mod launch;
pub mod link;
pub mod mirror;
pub mod ssh;

/// Seconds a runner keeps a program without a daemon by default (`MISSIOND_REMOTE_DETACHED_SECS`
/// overrides it).
pub const DEFAULT_DETACHED_SECS: u64 = 600;
/// Environment variable overriding [`DEFAULT_DETACHED_SECS`].
pub const DETACHED_ENV: &str = "MISSIOND_REMOTE_DETACHED_SECS";

/// How long a runner keeps a program with no daemon connected.
pub fn detached_secs() -> u64 {
    std::env::var(DETACHED_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|v| *v > 0)
        .unwrap_or(DEFAULT_DETACHED_SECS)
}
