//! The daemon's records of slot runs and turns, in missiond-core's store. Failures are
//! logged and kept for `mission_health` until a write succeeds again, never fatal: a full
//! disk must not stop a slot from answering.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use missiond_core::catalogue::TurnSummary;
use missiond_core::store::{NewSession, NewTurn, SessionEnd, Store, StoreError, TurnEnd};
use missiond_core::time::{now_ms, system_time_ms};

use super::turn::Turn;
use missiond_core::catalogue::SlotState;

/// Records, backed by the store.
pub struct Records {
    store: Arc<Store>,
    path: PathBuf,
    last_error: Mutex<Option<String>>,
}

impl Records {
    /// Open (creating and migrating) the store at `path`. Sessions left open by a daemon
    /// that died are closed.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let store = Arc::new(Store::open(path)?);
        let records = Records {
            store,
            path: path.to_path_buf(),
            last_error: Mutex::new(None),
        };
        let closed = records
            .store
            .close_open_sessions(now_ms(), "daemon_stopped");
        records.check("closing sessions of a previous run", closed);
        Ok(records)
    }

    /// The store itself, for modules keeping their own tables (permission decisions).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, shared (the task queue keeps its own handle).
    pub fn shared_store(&self) -> Arc<Store> {
        Arc::clone(&self.store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The last storage failure, if any.
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Keeps the last failure for `mission_health`, and forgets it once a write succeeds
    /// again (after a full disk, say), so the warning says how things are now.
    fn check<T>(&self, what: &str, result: Result<T, StoreError>) -> Option<T> {
        match result {
            Ok(v) => {
                let mut last = self.last_error.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(old) = last.take() {
                    tracing::warn!("store: writing again ({what}) after: {old}");
                }
                Some(v)
            }
            Err(e) => {
                tracing::warn!("store: {what}: {e}");
                *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(format!("{what}: {e}"));
                None
            }
        }
    }

    /// A slot process started; returns its row id.
    pub fn session_started(
        &self,
        slot: &str,
        role: &str,
        session_id: Option<&str>,
        pid: Option<u32>,
        cwd: &Path,
    ) -> Option<i64> {
        let cwd = cwd.display().to_string();
        let row = NewSession {
            slot_id: slot,
            session_id,
            pid,
            cwd: &cwd,
            role,
            started_at: now_ms(),
        };
        self.check("recording a slot start", self.store.insert_session(&row))
    }

    /// Claude Code reported another session id than the one chosen (after `/clear`).
    pub fn session_id_changed(&self, id: i64, session_id: &str) {
        self.check(
            "recording a session id",
            self.store.set_session_id(id, session_id),
        );
    }

    /// A slot process ended; `killed` when the daemon ended it.
    pub fn session_ended(&self, id: i64, code: Option<i32>, killed: bool) {
        let end = SessionEnd {
            ended_at: now_ms(),
            exit_code: code,
            reason: if killed { "killed" } else { "exited" },
        };
        self.check("recording a slot exit", self.store.end_session(id, &end));
    }

    /// A prompt was typed; returns the turn's row id.
    pub fn turn_started(
        &self,
        slot: &str,
        session_ref: Option<i64>,
        prompt: &str,
        at: SystemTime,
    ) -> Option<i64> {
        // Stored text never holds a slot's secrets.
        let prompt = super::secrets::scrub(prompt);
        let row = NewTurn {
            slot_id: slot,
            session_ref,
            prompt: &prompt,
            started_at: system_time_ms(at),
        };
        self.check("recording a turn", self.store.insert_turn(&row))
    }

    /// Record `turn`'s end, once it has one.
    pub fn turn_finished(&self, turn: &Turn) {
        let (Some(id), Some(outcome)) = (turn.record_id, turn.outcome.as_ref()) else {
            return;
        };
        let answer = outcome.answer.as_deref().map(super::secrets::scrub);
        let tools = super::secrets::scrub_tools(&outcome.tools);
        let end = TurnEnd {
            answer: answer.as_deref(),
            end_state: SlotState::from(outcome.end_state),
            tools_used: &tools,
            ended_at: system_time_ms(outcome.ended_at),
        };
        self.check("recording a turn's end", self.store.finish_turn(id, &end));
    }

    /// The last `limit` turns of `slot`, oldest first.
    pub fn history(&self, slot: &str, limit: u32) -> Result<Vec<TurnSummary>, StoreError> {
        Ok(self
            .store
            .recent_turns(slot, limit)?
            .iter()
            .map(|row| row.summary())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::test_disk::{SmallDisk, fill};

    #[test]
    fn a_full_disk_is_reported_until_writes_succeed_again() {
        let Some(disk) = SmallDisk::mount(2048) else {
            return;
        };
        let records = Records::open(&disk.path().join("db/mission.db")).expect("open");
        let cwd = Path::new("/proj");
        assert!(
            records
                .session_started("s1", "coder", None, None, cwd)
                .is_some()
        );
        assert_eq!(records.last_error(), None);
        let filler = fill(disk.path());
        // SQLite may still find room in pages it holds: write until it fails.
        let long = "x".repeat(64 * 1024);
        let failed = (0..200).any(|_| {
            records
                .session_started("s1", "coder", None, None, Path::new(&long))
                .is_none()
        });
        assert!(failed, "no write failed on a full disk");
        let error = records
            .last_error()
            .expect("a warning while the disk is full");
        assert!(error.contains("recording a slot start"), "{error}");
        std::fs::remove_file(filler).unwrap();
        assert!(
            records
                .session_started("s1", "coder", None, None, cwd)
                .is_some()
        );
        assert_eq!(
            records.last_error(),
            None,
            "the warning outlived the full disk"
        );
    }
}
