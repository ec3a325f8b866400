//! `inbox`: messages for the orchestrator (see [`crate::inbox`]).

use rusqlite::{Connection, Row, params};
use serde_json::Value;

use super::{Store, StoreError, query_err};
use crate::inbox::{InboxKind, InboxQuery, Message, NewMessage};
use crate::tasks::TaskId;

const COLUMNS: &str = "id, kind, slot_id, task_id, text, data, created_at, read_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    let kind: String = r.get(1)?;
    let data: String = r.get(5)?;
    Ok(Message {
        id: r.get(0)?,
        kind: InboxKind::parse(&kind),
        slot_id: r.get(2)?,
        task_id: r.get::<_, Option<i64>>(3)?.map(TaskId),
        text: r.get(4)?,
        // The column is checked to be JSON.
        data: serde_json::from_str(&data).unwrap_or(Value::Null),
        created_at: r.get(6)?,
        read_at: r.get(7)?,
    })
}

/// Posts `m` on `conn` (inside the caller's transaction); returns its id.
pub(crate) fn insert_message(conn: &Connection, m: &NewMessage) -> rusqlite::Result<i64> {
    let data = match &m.data {
        Value::Null => "{}".to_string(),
        other => other.to_string(),
    };
    conn.prepare_cached(
        "INSERT INTO inbox (kind, slot_id, task_id, text, data, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        m.kind.as_str(),
        m.slot_id,
        m.task_id.map(|t| t.0),
        m.text,
        data,
        m.created_at
    ])?;
    Ok(conn.last_insert_rowid())
}

impl Store {
    /// Posts a message; returns its id.
    pub fn post_message(&self, m: &NewMessage) -> Result<i64, StoreError> {
        insert_message(&self.conn(), m).map_err(query_err("posting an inbox message"))
    }

    /// Names the task a posted message is about and replaces its text and data (a
    /// dialog first announced by a hook, then found to hold up a task). Returns whether
    /// the message exists.
    pub fn attach_task(
        &self,
        id: i64,
        task: TaskId,
        text: &str,
        data: &Value,
    ) -> Result<bool, StoreError> {
        let changed = self
            .conn()
            .prepare_cached("UPDATE inbox SET task_id = ?2, text = ?3, data = ?4 WHERE id = ?1")
            .and_then(|mut stmt| stmt.execute(params![id, task.0, text, data.to_string()]))
            .map_err(query_err("attaching a task to an inbox message"))?;
        Ok(changed == 1)
    }

    /// One message, if it exists.
    pub fn inbox_message(&self, id: i64) -> Result<Option<Message>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM inbox WHERE id = ?1"))
            .map_err(query_err("reading an inbox message"))?;
        let mut rows = stmt
            .query_map(params![id], from_row)
            .map_err(query_err("reading an inbox message"))?;
        rows.next()
            .transpose()
            .map_err(query_err("reading an inbox message"))
    }

    /// Messages matching `q`, oldest first.
    pub fn inbox_messages(&self, q: &InboxQuery) -> Result<Vec<Message>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM inbox
                 WHERE (?1 = 0 OR read_at IS NULL) AND id > ?2
                 ORDER BY id LIMIT ?3"
            ))
            .map_err(query_err("listing the inbox"))?;
        stmt.query_map(
            params![q.unread_only, q.since_id.unwrap_or(0), q.limit],
            from_row,
        )
        .and_then(Iterator::collect)
        .map_err(query_err("listing the inbox"))
    }

    /// Marks these messages read (already-read ones keep their first read time);
    /// returns how many changed.
    pub fn mark_read(&self, ids: &[i64], now: i64) -> Result<usize, StoreError> {
        self.write("marking inbox messages read", |tx| {
            let mut stmt = tx
                .prepare_cached("UPDATE inbox SET read_at = ?2 WHERE id = ?1 AND read_at IS NULL")
                .map_err(query_err("marking inbox messages read"))?;
            let mut changed = 0;
            for id in ids {
                changed += stmt
                    .execute(params![id, now])
                    .map_err(query_err("marking inbox messages read"))?;
            }
            Ok::<_, StoreError>(changed)
        })
    }

    /// How many messages are unread.
    pub fn unread_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()
            .query_row(
                "SELECT count(*) FROM inbox WHERE read_at IS NULL",
                [],
                |r| r.get(0),
            )
            .map_err(query_err("counting unread messages"))?;
        Ok(n.unsigned_abs())
    }
}
