//! Tasks that asked for a fresh worktree (`mission_submit {freshWorkspace: true}`): a
//! flag on the task's row, so a daemon restart before the task starts still starts it
//! fresh. Set in the submission's transaction; taken (cleared) once, just before the
//! first attempt's prompt, so a retried task is not made fresh a second time.

use rusqlite::{Connection, params};

use super::{Store, StoreError, query_err};
use crate::tasks::TaskId;

/// Migration: the flag on `tasks`.
pub(super) const SCHEMA: &str = "ALTER TABLE tasks ADD COLUMN fresh_workspace INTEGER NOT NULL \
     DEFAULT 0 CHECK (fresh_workspace IN (0, 1));";

/// Flags task `id` (on the submission's transaction).
pub(crate) fn mark(conn: &Connection, id: TaskId) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE tasks SET fresh_workspace = 1 WHERE id = ?1")?
        .execute(params![id.0])?;
    Ok(())
}

impl Store {
    /// Clears task `id`'s fresh-worktree flag; whether it was set. Exactly one caller
    /// gets `true` per flag, whatever the restarts.
    pub fn task_take_fresh_workspace(&self, id: TaskId) -> Result<bool, StoreError> {
        let changed = self
            .conn()
            .prepare_cached(
                "UPDATE tasks SET fresh_workspace = 0 WHERE id = ?1 AND fresh_workspace = 1",
            )
            .and_then(|mut s| s.execute(params![id.0]))
            .map_err(query_err("taking a task's fresh-worktree flag"))?;
        Ok(changed == 1)
    }
}
