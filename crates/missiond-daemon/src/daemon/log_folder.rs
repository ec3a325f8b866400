//! The PTY logs folder as a whole: how big its files grow, what each slot and the folder
//! may hold, and pruning the oldest files past those caps.
//!
//! Each log file is capped and rotated by [`super::pty_log::PtyLog`]; here the folder is
//! kept bounded: after a log file is opened, the slot's files beyond
//! `MISSION_LOG_MAX_SLOT_BYTES`, then any files beyond `MISSION_LOG_MAX_TOTAL_BYTES`
//! (every slot's, configured or not), are deleted oldest first. A file a live run is
//! writing is never deleted; it counts at the size it may still reach, so the caps hold
//! before the live files grow into them.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use super::pty_log;

/// Largest size a log file reaches before rotation.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Smallest rotation size however small the caps (a header and a few chunks).
const MIN_FILE_BYTES: u64 = 4 * 1024;
/// How long a log that could not be written waits before it tries again: long enough
/// not to hammer a full disk on every output chunk, short enough to lose little once
/// space is back.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(5);

/// Sizes and timings for the logs folder (bytes; 0 means no cap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLimits {
    /// A file is rotated past this size.
    pub file_bytes: u64,
    /// One slot's files together.
    pub slot_bytes: u64,
    /// The whole folder.
    pub total_bytes: u64,
    /// Wait after a failed write before trying again.
    pub retry_after: Duration,
}

impl LogLimits {
    /// Caps for a slot and the folder; files rotate at 16 MiB, or smaller so that a
    /// slot's cap holds at least four of them and the folder's eight.
    pub fn new(slot_bytes: u64, total_bytes: u64) -> LogLimits {
        let file_bytes = [MAX_FILE_BYTES, slot_bytes / 4, total_bytes / 8]
            .into_iter()
            .filter(|b| *b > 0)
            .min()
            .unwrap_or(MAX_FILE_BYTES)
            .max(MIN_FILE_BYTES);
        LogLimits {
            file_bytes,
            slot_bytes,
            total_bytes,
            retry_after: DEFAULT_RETRY_AFTER,
        }
    }

    /// Files rotated at `file_bytes`, no caps on the folder (tests).
    #[cfg(test)]
    pub fn uncapped(file_bytes: u64) -> LogLimits {
        LogLimits {
            file_bytes,
            slot_bytes: 0,
            total_bytes: 0,
            retry_after: DEFAULT_RETRY_AFTER,
        }
    }
}

impl Default for LogLimits {
    fn default() -> LogLimits {
        LogLimits::new(
            missiond_core::paths::DEFAULT_LOG_MAX_SLOT_BYTES,
            missiond_core::paths::DEFAULT_LOG_MAX_TOTAL_BYTES,
        )
    }
}

/// The logs folder, shared by every slot's log.
#[derive(Debug)]
pub struct LogFolder {
    dir: PathBuf,
    limits: LogLimits,
    /// Files live runs are writing: never pruned.
    live: Mutex<HashSet<PathBuf>>,
}

/// A log file found in the folder.
struct Found {
    path: PathBuf,
    bytes: u64,
    modified: SystemTime,
}

impl LogFolder {
    /// The folder `dir` with `limits`.
    pub fn new(dir: PathBuf, limits: LogLimits) -> LogFolder {
        LogFolder {
            dir,
            limits,
            live: Mutex::new(HashSet::new()),
        }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its limits.
    pub fn limits(&self) -> LogLimits {
        self.limits
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashSet<PathBuf>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `path` is being written by a live run.
    pub fn register(&self, path: &Path) {
        self.live().insert(path.to_path_buf());
    }

    /// `path` is no longer written.
    pub fn release(&self, path: &Path) {
        self.live().remove(path);
    }

    /// Deletes `slot`'s oldest files past the slot cap, then anyone's past the folder
    /// cap. Returns the files deleted.
    pub fn prune(&self, slot: &str) -> Vec<PathBuf> {
        let mut deleted = Vec::new();
        if self.limits.slot_bytes > 0 {
            // A slot's files in the order their names give (start time, rotation).
            let files: Vec<Found> = pty_log::list_logs(&self.dir, slot)
                .into_iter()
                .filter_map(|p| found(&p))
                .collect();
            deleted.extend(self.trim(files, self.limits.slot_bytes));
        }
        deleted.extend(self.prune_total());
        deleted
    }

    /// Deletes the oldest log files (any slot's) past the folder cap.
    pub fn prune_total(&self) -> Vec<PathBuf> {
        if self.limits.total_bytes == 0 {
            return Vec::new();
        }
        let mut files: Vec<Found> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .filter_map(|p| found(&p))
            .collect();
        // Across slots, by when each file was last written.
        files.sort_by(|a, b| (a.modified, &a.path).cmp(&(b.modified, &b.path)));
        self.trim(files, self.limits.total_bytes)
    }

    /// Deletes the first of `files` (oldest first; not live ones) until they fit in `cap`.
    fn trim(&self, files: Vec<Found>, cap: u64) -> Vec<PathBuf> {
        let live = self.live().clone();
        let size = |f: &Found| {
            if live.contains(&f.path) {
                f.bytes.max(self.limits.file_bytes)
            } else {
                f.bytes
            }
        };
        let mut total: u64 = files.iter().map(size).sum();
        let mut deleted = Vec::new();
        for f in files {
            if total <= cap {
                break;
            }
            if live.contains(&f.path) {
                continue;
            }
            match std::fs::remove_file(&f.path) {
                Ok(()) => {
                    total = total.saturating_sub(f.bytes);
                    deleted.push(f.path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    total = total.saturating_sub(f.bytes);
                }
                Err(e) => tracing::warn!("pruning {}: {e}", f.path.display()),
            }
        }
        if !deleted.is_empty() {
            tracing::info!(count = deleted.len(), "pruned old PTY logs");
        }
        deleted
    }
}

fn found(path: &Path) -> Option<Found> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    meta.is_file().then(|| Found {
        path: path.to_path_buf(),
        bytes: meta.len(),
        modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
    })
}
