//! `tasks` and `task_runs`: the task queue's rows.
//!
//! The `pub(crate)` functions are single statements run on the caller's transaction;
//! [`crate::tasks::TaskQueue`] composes them so that every change of a task is one
//! transaction. The `Store` methods are reads.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Store, StoreError, query_err};
use crate::tasks::{NewTask, RunOutcome, Task, TaskId, TaskOrigin, TaskRun, TaskStatus};

const COLUMNS: &str = "id, prompt, slot_id, role, priority, origin, status, assigned_slot, \
    attempts, max_attempts, result, error, created_at, started_at, ended_at";

/// The queue's order: higher priority first, then arrival.
const QUEUE_ORDER: &str = "priority DESC, id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Task> {
    let origin: String = r.get(5)?;
    let status: String = r.get(6)?;
    Ok(Task {
        id: TaskId(r.get(0)?),
        prompt: r.get(1)?,
        slot_id: r.get(2)?,
        role: r.get(3)?,
        priority: r.get(4)?,
        origin: TaskOrigin::parse(&origin),
        // The column is CHECKed to hold one of the five spellings.
        status: TaskStatus::parse(&status).unwrap_or(TaskStatus::Failed),
        assigned_slot: r.get(7)?,
        attempts: r.get(8)?,
        max_attempts: r.get(9)?,
        result: r.get(10)?,
        error: r.get(11)?,
        created_at: r.get(12)?,
        started_at: r.get(13)?,
        ended_at: r.get(14)?,
    })
}

fn run_from_row(r: &Row<'_>) -> rusqlite::Result<TaskRun> {
    let status: String = r.get(4)?;
    let outcome: Option<String> = r.get(7)?;
    Ok(TaskRun {
        task_id: TaskId(r.get(0)?),
        slot_id: r.get(1)?,
        attempt: r.get(2)?,
        prompt: r.get(3)?,
        task_status: TaskStatus::parse(&status).unwrap_or(TaskStatus::Failed),
        started_at: r.get(5)?,
        ended_at: r.get(6)?,
        outcome: outcome.as_deref().and_then(RunOutcome::parse),
        detail: r.get(8)?,
    })
}

/// Adds a queued task; returns its id.
pub(crate) fn insert_task(conn: &Connection, t: &NewTask<'_>) -> rusqlite::Result<TaskId> {
    conn.prepare_cached(
        "INSERT INTO tasks (prompt, slot_id, role, priority, origin, max_attempts, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        t.prompt,
        t.slot_id,
        t.role,
        t.priority,
        t.origin.as_str(),
        t.max_attempts,
        t.created_at
    ])?;
    Ok(TaskId(conn.last_insert_rowid()))
}

/// One task.
pub(crate) fn get_task(conn: &Connection, id: TaskId) -> rusqlite::Result<Option<Task>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM tasks WHERE id = ?1"))?
        .query_row([id.0], from_row)
        .optional()
}

/// The task running on `slot`, if any.
pub(crate) fn running_on(conn: &Connection, slot: &str) -> rusqlite::Result<Option<TaskId>> {
    conn.prepare_cached("SELECT task_id FROM task_runs WHERE slot_id = ?1 AND ended_at IS NULL")?
        .query_row([slot], |r| r.get(0).map(TaskId))
        .optional()
}

/// The first queued task `slot` (of `role`) may take: one pinned to it, or one for its
/// role, or one for any slot; in queue order.
pub(crate) fn next_for(
    conn: &Connection,
    slot: &str,
    role: &str,
) -> rusqlite::Result<Option<TaskId>> {
    conn.prepare_cached(&format!(
        "SELECT id FROM tasks
         WHERE status = 'queued'
           AND (slot_id = ?1 OR (slot_id IS NULL AND (role IS NULL OR role = ?2)))
         ORDER BY {QUEUE_ORDER} LIMIT 1"
    ))?
    .query_row(params![slot, role], |r| r.get(0).map(TaskId))
    .optional()
}

/// Every task with `status`, by id.
pub(crate) fn ids_with_status(
    conn: &Connection,
    status: TaskStatus,
) -> rusqlite::Result<Vec<TaskId>> {
    conn.prepare_cached("SELECT id FROM tasks WHERE status = ?1 ORDER BY id")?
        .query_map([status.as_str()], |r| r.get(0).map(TaskId))?
        .collect()
}

/// Queued → running on `slot`: counts the attempt and opens its run; false when the task
/// was not queued. The unique indexes on open runs refuse a second run of the task or a
/// second task on the slot.
pub(crate) fn start(conn: &Connection, id: TaskId, slot: &str, now: i64) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE tasks SET status = 'running', assigned_slot = ?2, attempts = attempts + 1,
                              started_at = ?3
             WHERE id = ?1 AND status = 'queued'",
        )?
        .execute(params![id.0, slot, now])?;
    if changed == 0 {
        return Ok(false);
    }
    conn.prepare_cached(
        "INSERT INTO task_runs (task_id, slot_id, attempt, started_at)
         SELECT id, assigned_slot, attempts, started_at FROM tasks WHERE id = ?1",
    )?
    .execute([id.0])?;
    Ok(true)
}

/// Closes every run still open (after a crash, with their tasks already handled).
pub(crate) fn close_open_runs(
    conn: &Connection,
    detail: &str,
    now: i64,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "UPDATE task_runs SET ended_at = ?1, outcome = 'interrupted', detail = ?2
         WHERE ended_at IS NULL",
    )?
    .execute(params![now, detail])
}

/// Closes the task's open run, if it has one.
pub(crate) fn close_run(
    conn: &Connection,
    id: TaskId,
    outcome: RunOutcome,
    detail: Option<&str>,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE task_runs SET ended_at = ?2, outcome = ?3, detail = ?4
         WHERE task_id = ?1 AND ended_at IS NULL",
    )?
    .execute(params![id.0, now, outcome.as_str(), detail])?;
    Ok(())
}

/// To a final status, with the answer or the reason.
pub(crate) fn finish(
    conn: &Connection,
    id: TaskId,
    status: TaskStatus,
    result: Option<&str>,
    error: Option<&str>,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE tasks SET status = ?2, result = ?3, error = ?4, ended_at = ?5 WHERE id = ?1",
    )?
    .execute(params![id.0, status.as_str(), result, error, now])?;
    Ok(())
}

/// Running → queued, keeping its place (priority and arrival) in the queue.
pub(crate) fn requeue(conn: &Connection, id: TaskId, reason: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE tasks SET status = 'queued', assigned_slot = NULL, error = ?2 WHERE id = ?1",
    )?
    .execute(params![id.0, reason])?;
    Ok(())
}

/// How many tasks are queued ahead of `id` (0 = next), or `None` if it is not queued.
pub(crate) fn queue_position(conn: &Connection, id: TaskId) -> rusqlite::Result<Option<u32>> {
    conn.prepare_cached(
        "SELECT (SELECT count(*) FROM tasks o WHERE o.status = 'queued'
                   AND (o.priority > t.priority OR (o.priority = t.priority AND o.id < t.id)))
         FROM tasks t WHERE t.id = ?1 AND t.status = 'queued'",
    )?
    .query_row([id.0], |r| r.get(0))
    .optional()
}

impl Store {
    /// One task.
    pub fn task(&self, id: TaskId) -> Result<Option<Task>, StoreError> {
        get_task(&self.conn(), id).map_err(query_err("reading a task"))
    }

    /// Tasks with `status`, at most `limit`: queued ones in queue order, running ones by
    /// start, final ones newest first.
    pub fn tasks_with_status(
        &self,
        status: TaskStatus,
        limit: u32,
    ) -> Result<Vec<Task>, StoreError> {
        let order = match status {
            TaskStatus::Queued => QUEUE_ORDER,
            TaskStatus::Running => "started_at, id",
            _ => "ended_at DESC, id DESC",
        };
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM tasks WHERE status = ?1 ORDER BY {order} LIMIT ?2"
            ))
            .map_err(query_err("listing tasks"))?;
        stmt.query_map(params![status.as_str(), limit], from_row)
            .and_then(Iterator::collect)
            .map_err(query_err("listing tasks"))
    }

    /// How many tasks have each status, in [`TaskStatus::ALL`] order.
    pub fn task_counts(&self) -> Result<[u64; 5], StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT status, count(*) FROM tasks GROUP BY status")
            .map_err(query_err("counting tasks"))?;
        let rows: Vec<(String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(Iterator::collect)
            .map_err(query_err("counting tasks"))?;
        let mut counts = [0; 5];
        for (status, n) in rows {
            if let Some(i) = TaskStatus::ALL.iter().position(|s| s.as_str() == status) {
                counts[i] = n.unsigned_abs();
            }
        }
        Ok(counts)
    }

    /// The runs of tasks on `slot`, newest first.
    pub fn slot_task_runs(&self, slot: &str, limit: u32) -> Result<Vec<TaskRun>, StoreError> {
        self.task_runs_where(
            "r.slot_id = ?1",
            rusqlite::types::Value::from(slot.to_string()),
            limit,
        )
    }

    /// The runs of one task, newest first.
    pub fn task_runs(&self, id: TaskId) -> Result<Vec<TaskRun>, StoreError> {
        self.task_runs_where(
            "r.task_id = ?1",
            rusqlite::types::Value::from(id.0),
            u32::MAX,
        )
    }

    fn task_runs_where(
        &self,
        filter: &str,
        key: rusqlite::types::Value,
        limit: u32,
    ) -> Result<Vec<TaskRun>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT r.task_id, r.slot_id, r.attempt, t.prompt, t.status, r.started_at,
                        r.ended_at, r.outcome, r.detail
                 FROM task_runs r JOIN tasks t ON t.id = r.task_id
                 WHERE {filter} ORDER BY r.started_at DESC, r.id DESC LIMIT ?2"
            ))
            .map_err(query_err("listing task runs"))?;
        stmt.query_map(params![key, limit], run_from_row)
            .and_then(Iterator::collect)
            .map_err(query_err("listing task runs"))
    }
}
