//! `turns`: each prompt sent to a slot and how it ended.

use rusqlite::{Row, params};

use super::sessions::found;
use super::{Store, StoreError, query_err};
use crate::catalogue::{SlotState, ToolUse, TurnSummary};
use crate::time::rfc3339_ms;

/// A prompt being sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTurn<'a> {
    /// The slot.
    pub slot_id: &'a str,
    /// The `slot_sessions` row of the process receiving it.
    pub session_ref: Option<i64>,
    /// The prompt.
    pub prompt: &'a str,
    /// When it was sent, Unix ms.
    pub started_at: i64,
}

/// How a turn ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnEnd<'a> {
    /// The answer text, if any.
    pub answer: Option<&'a str>,
    /// The state it ended in.
    pub end_state: SlotState,
    /// Tool calls made during it.
    pub tools_used: &'a [ToolUse],
    /// When it ended, Unix ms.
    pub ended_at: i64,
}

/// A stored turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnRow {
    /// Row id.
    pub id: i64,
    /// The slot.
    pub slot_id: String,
    /// The `slot_sessions` row.
    pub session_ref: Option<i64>,
    /// Claude Code's session id (from the session row).
    pub session_id: Option<String>,
    /// The prompt.
    pub prompt: String,
    /// The answer.
    pub answer: Option<String>,
    /// The end state; `None` while running, or a name this version does not know.
    pub end_state: Option<SlotState>,
    /// Tool calls.
    pub tools_used: Vec<ToolUse>,
    /// Sent, Unix ms.
    pub started_at: i64,
    /// Ended, Unix ms.
    pub ended_at: Option<i64>,
}

impl TurnRow {
    /// As `mission_pty_history` reports it.
    pub fn summary(&self) -> TurnSummary {
        TurnSummary {
            session_id: self.session_id.clone(),
            prompt: self.prompt.clone(),
            answer: self.answer.clone(),
            end_state: self.end_state,
            tools_used: self.tools_used.clone(),
            started_at: rfc3339_ms(self.started_at),
            ended_at: self.ended_at.map(rfc3339_ms),
        }
    }
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<TurnRow> {
    let end_state: Option<String> = r.get(6)?;
    let tools: String = r.get(7)?;
    Ok(TurnRow {
        id: r.get(0)?,
        slot_id: r.get(1)?,
        session_ref: r.get(2)?,
        session_id: r.get(3)?,
        prompt: r.get(4)?,
        answer: r.get(5)?,
        end_state: end_state
            .and_then(|s| serde_json::from_value(serde_json::Value::String(s)).ok()),
        // The column is checked to be JSON; an unknown shape reads as no tools.
        tools_used: serde_json::from_str(&tools).unwrap_or_default(),
        started_at: r.get(8)?,
        ended_at: r.get(9)?,
    })
}

impl Store {
    /// Records a prompt being sent; returns the turn's row id.
    pub fn insert_turn(&self, t: &NewTurn<'_>) -> Result<i64, StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO turns (slot_id, session_ref, prompt, started_at) VALUES (?1, ?2, ?3, ?4)",
            params![t.slot_id, t.session_ref, t.prompt, t.started_at],
        )
        .map_err(query_err("recording a turn"))?;
        Ok(conn.last_insert_rowid())
    }

    /// Records how a turn ended.
    pub fn finish_turn(&self, id: i64, end: &TurnEnd<'_>) -> Result<(), StoreError> {
        let tools = serde_json::to_string(end.tools_used).unwrap_or_else(|_| "[]".into());
        let n = self
            .conn()
            .execute(
                "UPDATE turns SET answer = ?2, end_state = ?3, tools_used = ?4, ended_at = ?5
                 WHERE id = ?1",
                params![id, end.answer, end.end_state.as_str(), tools, end.ended_at],
            )
            .map_err(query_err("finishing a turn"))?;
        found(n, "turn", id)
    }

    /// A slot's latest `limit` turns, oldest first.
    pub fn recent_turns(&self, slot_id: &str, limit: u32) -> Result<Vec<TurnRow>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT * FROM (
                    SELECT t.id, t.slot_id, t.session_ref, s.session_id, t.prompt, t.answer,
                           t.end_state, t.tools_used, t.started_at, t.ended_at
                    FROM turns t LEFT JOIN slot_sessions s ON s.id = t.session_ref
                    WHERE t.slot_id = ?1
                    ORDER BY t.started_at DESC, t.id DESC LIMIT ?2
                 ) ORDER BY started_at, id",
            )
            .map_err(query_err("listing turns"))?;
        stmt.query_map(params![slot_id, limit], from_row)
            .and_then(Iterator::collect)
            .map_err(query_err("listing turns"))
    }
}
