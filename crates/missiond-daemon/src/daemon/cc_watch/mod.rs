//! The sessions watcher: every Claude Code session on this machine, not only the slots'.
//!
//! It watches every config folder `history::sources::discover` finds (`CLAUDE_CONFIG_DIR`,
//! `~/.claude`, each slot's, the `watch:` list of `$MISSIOND_HOME/history.yaml`) with
//! inotify (the `notify` crate), recursively. Changes under `projects/`, `sessions/`,
//! `tasks/`, `teams/` or `jobs/` start a refresh once writes pause ([`DEBOUNCE`], at most
//! [`MAX_DELAY`] after the first); a slow rescan ([`RESCAN`]) runs anyway, as a safety
//! net for lost events and for config folders created later. A refresh:
//! 1. brings the history index (`history.db`, what `missiond usage` reads) up to date,
//!    incrementally by byte offsets;
//! 2. stores the new messages of sessions the daemon did not start (and subagent
//!    transcripts) as conversations ([`external`]);
//! 3. reads the live session files and task lists ([`live`]) and publishes what changed.
//!
//! Everything runs on one thread of its own: nothing here holds up the async runtime.

pub mod external;
pub mod live;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use missiond_core::history::{self, HistoryIndex};
use missiond_core::paths::Paths;
use notify::{RecursiveMode, Watcher};

use super::supervisor::Supervisor;

/// Quiet time after a change before a refresh.
pub const DEBOUNCE: Duration = Duration::from_millis(250);
/// Longest a refresh waits for writes to pause.
pub const MAX_DELAY: Duration = Duration::from_secs(2);
/// The safety-net rescan, events or not.
pub const RESCAN: Duration = Duration::from_secs(30);

/// The folders under a config folder whose changes matter.
const WATCHED: [&str; 5] = ["projects", "sessions", "tasks", "teams", "jobs"];

/// Starts the watcher thread (once, at daemon start).
pub fn start(sup: &Arc<Supervisor>, paths: Paths) {
    let sup = Arc::clone(sup);
    let spawned = std::thread::Builder::new()
        .name("cc-watch".into())
        .spawn(move || run(&sup, &paths));
    if let Err(e) = spawned {
        tracing::error!("sessions watcher: cannot start its thread: {e}");
    }
}

/// Whether a changed path can matter: under one of [`WATCHED`] of a root.
fn relevant(path: &Path, roots: &[PathBuf]) -> bool {
    roots.iter().any(|root| {
        path.strip_prefix(root).is_ok_and(|rel| {
            rel.components()
                .next()
                .is_some_and(|c| WATCHED.iter().any(|w| c.as_os_str() == *w))
        })
    })
}

fn run(sup: &Arc<Supervisor>, paths: &Paths) {
    let (tx, rx) = mpsc::channel::<PathBuf>();
    let mut watcher =
        match notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if let Ok(event) = event
                && !matches!(event.kind, notify::EventKind::Access(_))
            {
                for path in event.paths {
                    let _ = tx.send(path);
                }
            }
        }) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(
                    "sessions watcher: inotify unavailable ({e}); rescanning every {RESCAN:?} only"
                );
                None
            }
        };
    let mut index = match HistoryIndex::open(&history::db_path(paths)) {
        Ok(i) => Some(i),
        Err(e) => {
            tracing::warn!("sessions watcher: history index: {e}");
            None
        }
    };
    let store = sup.ctx.records.shared_store();
    let mut external = external::External::new(Arc::clone(&store));
    let mut live = live::Live::new(Arc::clone(sup));
    let mut roots: Vec<PathBuf> = Vec::new();
    let mut last_rescan = Instant::now();
    loop {
        if let Some(found) = discover(paths)
            && found != roots
        {
            if let Some(w) = watcher.as_mut() {
                for old in roots.iter().filter(|r| !found.contains(r)) {
                    let _ = w.unwatch(old);
                }
                for new in found.iter().filter(|r| !roots.contains(r)) {
                    if let Err(e) = w.watch(new, RecursiveMode::Recursive) {
                        tracing::warn!(dir = %new.display(), "sessions watcher: cannot watch: {e}");
                    }
                }
            }
            tracing::info!(roots = ?found, "sessions watcher: config folders");
            roots = found;
        }
        refresh(&roots, index.as_mut(), &mut external, &mut live);
        last_rescan = wait(&rx, &roots, last_rescan);
    }
}

/// The config folders in use now; `None` (keep the last ones) when they cannot be read.
fn discover(paths: &Paths) -> Option<Vec<PathBuf>> {
    match history::sources::discover(paths) {
        Ok((roots, warnings)) => {
            for w in warnings {
                tracing::debug!("sessions watcher: {w}");
            }
            Some(roots)
        }
        Err(e) => {
            tracing::warn!("sessions watcher: {e}");
            None
        }
    }
}

/// One refresh: index, conversations, live state. Errors are logged, never fatal.
fn refresh(
    roots: &[PathBuf],
    index: Option<&mut HistoryIndex>,
    external: &mut external::External,
    live: &mut live::Live,
) {
    if let Some(index) = index
        && let Err(e) = index.sync(roots)
    {
        tracing::warn!("sessions watcher: history index: {e}");
    }
    let slot_sessions = live.slot_sessions();
    external.look(roots, &slot_sessions);
    live.refresh(roots);
}

/// Waits for a relevant change (then for writes to pause) or for the rescan time;
/// returns when the last rescan was.
fn wait(rx: &mpsc::Receiver<PathBuf>, roots: &[PathBuf], last_rescan: Instant) -> Instant {
    loop {
        let left = RESCAN.saturating_sub(last_rescan.elapsed());
        match rx.recv_timeout(left) {
            Ok(path) if relevant(&path, roots) => break,
            Ok(_) => continue,
            Err(RecvTimeoutError::Timeout) => return Instant::now(),
            Err(RecvTimeoutError::Disconnected) => {
                std::thread::sleep(left);
                return Instant::now();
            }
        }
    }
    let first = Instant::now();
    while first.elapsed() < MAX_DELAY {
        match rx.recv_timeout(DEBOUNCE) {
            Ok(_) => continue,
            Err(_) => break,
        }
    }
    last_rescan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changes_under_the_watched_folders_of_a_root_matter() {
        let roots = vec![PathBuf::from("/c")];
        assert!(relevant(Path::new("/c/projects/-w/s.jsonl"), &roots));
        assert!(relevant(Path::new("/c/sessions/42.json"), &roots));
        assert!(relevant(Path::new("/c/tasks/s/1.json"), &roots));
        assert!(!relevant(Path::new("/c/debug/latest"), &roots));
        assert!(!relevant(Path::new("/c"), &roots));
        assert!(!relevant(Path::new("/other/projects/x.jsonl"), &roots));
    }
}
