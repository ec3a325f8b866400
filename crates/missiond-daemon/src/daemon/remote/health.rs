//! What the daemon knows of each remote host: reachable or not, the round trip of the
//! last keep-alive, the runner version running there, the last error. `mission_health`
//! reports it under `hosts`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

pub use missiond_core::catalogue::HostHealth;

static HOSTS: Mutex<BTreeMap<String, HostHealth>> = Mutex::new(BTreeMap::new());

fn update(host: &str, f: impl FnOnce(&mut HostHealth)) {
    let mut hosts = HOSTS.lock().unwrap_or_else(|e| e.into_inner());
    let entry = hosts.entry(host.to_string()).or_default();
    f(entry);
    entry.checked_at = Some(missiond_core::time::rfc3339_ms(
        missiond_core::time::system_time_ms(SystemTime::now()),
    ));
}

/// The host answered in `rtt`.
pub fn reachable(host: &str, rtt: Duration) {
    update(host, |h| {
        h.reachable = true;
        h.latency_ms = Some(rtt.as_secs_f64() * 1000.0);
        h.error = None;
    });
}

/// ssh could not reach the host.
pub fn unreachable(host: &str, why: &str) {
    update(host, |h| {
        h.reachable = false;
        h.latency_ms = None;
        h.error = Some(why.to_string());
    });
}

/// The host answers but cannot run slots (another platform, a failed copy).
pub fn failed(host: &str, why: &str) {
    update(host, |h| h.error = Some(why.to_string()));
}

/// The runner version on the host.
pub fn runner(host: &str, version: &str) {
    update(host, |h| h.runner_version = Some(version.to_string()));
}

/// A link to the host came up (+1) or went down (-1).
pub fn link(host: &str, up: bool) {
    update(host, |h| {
        if up {
            h.links_up += 1;
            h.reachable = true;
            h.error = None;
        } else {
            h.links_up = h.links_up.saturating_sub(1);
        }
    });
}

/// Every host seen so far.
pub fn snapshot() -> BTreeMap<String, HostHealth> {
    HOSTS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}
