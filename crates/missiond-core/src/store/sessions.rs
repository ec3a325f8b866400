//! `slot_sessions`: one row per Claude Code process a slot ran.

use rusqlite::{OptionalExtension, Row, params};

use super::{Store, StoreError, query_err};

/// A process being started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession<'a> {
    /// The slot.
    pub slot_id: &'a str,
    /// Claude Code's session id, if chosen up front (`--session-id`).
    pub session_id: Option<&'a str>,
    /// The process id.
    pub pid: Option<u32>,
    /// Its working folder.
    pub cwd: &'a str,
    /// The slot's role.
    pub role: &'a str,
    /// Start time, Unix ms.
    pub started_at: i64,
}

/// How a process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEnd<'a> {
    /// End time, Unix ms.
    pub ended_at: i64,
    /// Exit code, when it exited normally.
    pub exit_code: Option<i32>,
    /// Why (`exited`, `killed`, `crashed`, `daemon_stopped` ...).
    pub reason: &'a str,
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// Row id (what turns refer to).
    pub id: i64,
    /// The slot.
    pub slot_id: String,
    /// Claude Code's session id, once known.
    pub session_id: Option<String>,
    /// The process id.
    pub pid: Option<u32>,
    /// Working folder.
    pub cwd: String,
    /// Role.
    pub role: String,
    /// Start, Unix ms.
    pub started_at: i64,
    /// End, Unix ms; `None` while running (or after a daemon crash, until
    /// [`Store::close_open_sessions`]).
    pub ended_at: Option<i64>,
    /// Exit code.
    pub exit_code: Option<i32>,
    /// Why it ended.
    pub end_reason: Option<String>,
}

const COLUMNS: &str =
    "id, slot_id, session_id, pid, cwd, role, started_at, ended_at, exit_code, end_reason";

fn from_row(r: &Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok(SessionRow {
        id: r.get(0)?,
        slot_id: r.get(1)?,
        session_id: r.get(2)?,
        pid: r.get(3)?,
        cwd: r.get(4)?,
        role: r.get(5)?,
        started_at: r.get(6)?,
        ended_at: r.get(7)?,
        exit_code: r.get(8)?,
        end_reason: r.get(9)?,
    })
}

impl Store {
    /// Records a started process; returns its row id.
    pub fn insert_session(&self, s: &NewSession<'_>) -> Result<i64, StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO slot_sessions (slot_id, session_id, pid, cwd, role, started_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![s.slot_id, s.session_id, s.pid, s.cwd, s.role, s.started_at],
        )
        .map_err(query_err("recording a slot session"))?;
        Ok(conn.last_insert_rowid())
    }

    /// Records Claude Code's session id once it is known.
    pub fn set_session_id(&self, id: i64, session_id: &str) -> Result<(), StoreError> {
        let n = self
            .conn()
            .execute(
                "UPDATE slot_sessions SET session_id = ?2 WHERE id = ?1",
                params![id, session_id],
            )
            .map_err(query_err("recording a session id"))?;
        found(n, "slot session", id)
    }

    /// Records how a process ended.
    pub fn end_session(&self, id: i64, end: &SessionEnd<'_>) -> Result<(), StoreError> {
        let n = self
            .conn()
            .execute(
                "UPDATE slot_sessions SET ended_at = ?2, exit_code = ?3, end_reason = ?4
                 WHERE id = ?1",
                params![id, end.ended_at, end.exit_code, end.reason],
            )
            .map_err(query_err("ending a slot session"))?;
        found(n, "slot session", id)
    }

    /// One session by row id.
    pub fn session(&self, id: i64) -> Result<Option<SessionRow>, StoreError> {
        self.conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM slot_sessions WHERE id = ?1"),
                [id],
                from_row,
            )
            .optional()
            .map_err(query_err("reading a slot session"))
    }

    /// A slot's latest sessions, newest first.
    pub fn sessions_for_slot(
        &self,
        slot_id: &str,
        limit: u32,
    ) -> Result<Vec<SessionRow>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM slot_sessions WHERE slot_id = ?1
                 ORDER BY started_at DESC, id DESC LIMIT ?2"
            ))
            .map_err(query_err("listing slot sessions"))?;
        stmt.query_map(params![slot_id, limit], from_row)
            .and_then(Iterator::collect)
            .map_err(query_err("listing slot sessions"))
    }

    /// Marks every session still open as ended (at daemon start, after a crash left
    /// them open). Returns how many were closed.
    pub fn close_open_sessions(&self, ended_at: i64, reason: &str) -> Result<usize, StoreError> {
        self.conn()
            .execute(
                "UPDATE slot_sessions SET ended_at = ?1, end_reason = ?2 WHERE ended_at IS NULL",
                params![ended_at, reason],
            )
            .map_err(query_err("closing open slot sessions"))
    }
}

pub(super) fn found(changed: usize, what: &'static str, id: i64) -> Result<(), StoreError> {
    if changed == 0 {
        Err(StoreError::NotFound { what, id })
    } else {
        Ok(())
    }
}
