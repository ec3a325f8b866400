//! `questions`: the question queue's rows (see [`crate::questions`]).
//!
//! Every change is one transaction: a new question and the inbox message announcing
//! it land together or not at all; an answer or a dismissal checks the status and
//! changes it under the same write lock, so two answers cannot both win.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::json;

use super::inbox::insert_message;
use super::{Store, StoreError, query_err};
use crate::inbox::{InboxKind, NewMessage};
use crate::questions::{
    NewQuestion, Priority, Question, QuestionError, QuestionId, QuestionStatus,
};
use crate::tasks::TaskId;

/// The schema this area adds (one migration; see `migrations.rs`).
pub(super) const SCHEMA: &str = "CREATE TABLE questions (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,   -- shown as q-000123
        question       TEXT    NOT NULL CHECK (length(trim(question)) > 0),
        context        TEXT,
        slot_id        TEXT,                -- the asking slot, as the agent named it
        task_id        INTEGER REFERENCES tasks(id) ON DELETE SET NULL,
        options        TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(options)),
        priority       INTEGER NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 3),
        status         TEXT    NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'answered', 'dismissed')),
        answer         TEXT,
        dismiss_reason TEXT,
        inbox_id       INTEGER REFERENCES inbox(id) ON DELETE SET NULL,
        created_at     INTEGER NOT NULL,    -- Unix ms
        answered_at    INTEGER,
        dismissed_at   INTEGER,
        CHECK ((status = 'answered') = (answer IS NOT NULL AND answered_at IS NOT NULL)),
        CHECK ((status = 'dismissed') = (dismissed_at IS NOT NULL))
    ) STRICT;
    CREATE INDEX questions_by_status ON questions(status, priority DESC, id);
    CREATE INDEX questions_by_slot ON questions(slot_id, id);";

const COLUMNS: &str = "id, question, context, slot_id, task_id, options, priority, status, \
    answer, dismiss_reason, inbox_id, created_at, answered_at, dismissed_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Question> {
    let options: String = r.get(5)?;
    let status: String = r.get(7)?;
    Ok(Question {
        id: QuestionId(r.get(0)?),
        question: r.get(1)?,
        context: r.get(2)?,
        slot_id: r.get(3)?,
        task_id: r.get::<_, Option<i64>>(4)?.map(TaskId),
        // The column is CHECKed to be JSON, and only arrays of strings are written.
        options: serde_json::from_str(&options).unwrap_or_default(),
        priority: Priority::from_rank(r.get(6)?),
        // The column is CHECKed to hold one of the three spellings.
        status: QuestionStatus::parse(&status).unwrap_or(QuestionStatus::Pending),
        answer: r.get(8)?,
        dismiss_reason: r.get(9)?,
        inbox_id: r.get(10)?,
        created_at: r.get(11)?,
        answered_at: r.get(12)?,
        dismissed_at: r.get(13)?,
    })
}

fn get(conn: &Connection, id: QuestionId) -> rusqlite::Result<Option<Question>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM questions WHERE id = ?1"))?
        .query_row([id.0], from_row)
        .optional()
}

fn task_exists(conn: &Connection, id: TaskId) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM tasks WHERE id = ?1")?
        .exists([id.0])
}

/// The pending question `id`, or why it cannot change.
fn pending(
    conn: &Connection,
    id: QuestionId,
    action: &'static str,
) -> Result<Question, QuestionError> {
    let q = get(conn, id)
        .map_err(query_err("reading a question"))?
        .ok_or(QuestionError::NotFound(id))?;
    if q.status != QuestionStatus::Pending {
        return Err(QuestionError::NotPending {
            id,
            status: q.status,
            action,
        });
    }
    Ok(q)
}

/// The changed question `id`, read back inside the transaction.
fn reread(
    conn: &Connection,
    id: QuestionId,
    action: &'static str,
) -> Result<Question, QuestionError> {
    get(conn, id)
        .map_err(query_err(action))?
        .ok_or(QuestionError::NotFound(id))
}

impl Store {
    /// Adds a pending question and posts an `agent_question` inbox message about it, in
    /// one transaction. Fails if `q.task_id` names no task.
    pub fn insert_question(&self, q: &NewQuestion) -> Result<Question, QuestionError> {
        const ACTION: &str = "adding a question";
        self.write(ACTION, |tx| {
            if let Some(task) = q.task_id
                && !task_exists(tx, task).map_err(query_err(ACTION))?
            {
                return Err(QuestionError::UnknownTask(task));
            }
            let options = serde_json::to_string(&q.options).unwrap_or_else(|_| "[]".into());
            tx.prepare_cached(
                "INSERT INTO questions
                   (question, context, slot_id, task_id, options, priority, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    q.question,
                    q.context,
                    q.slot_id,
                    q.task_id.map(|t| t.0),
                    options,
                    q.priority.rank(),
                    q.created_at
                ])
            })
            .map_err(query_err(ACTION))?;
            let id = QuestionId(tx.last_insert_rowid());
            let message = NewMessage {
                kind: InboxKind::AgentQuestion,
                slot_id: q.slot_id.clone(),
                task_id: q.task_id,
                text: q.question.clone(),
                data: json!({
                    "questionId": id,
                    "priority": q.priority,
                    "options": q.options,
                    "context": q.context,
                }),
                created_at: q.created_at,
            };
            let inbox_id = insert_message(tx, &message).map_err(query_err(ACTION))?;
            tx.execute(
                "UPDATE questions SET inbox_id = ?2 WHERE id = ?1",
                params![id.0, inbox_id],
            )
            .map_err(query_err(ACTION))?;
            reread(tx, id, ACTION)
        })
    }

    /// One question, if it exists.
    pub fn question(&self, id: QuestionId) -> Result<Option<Question>, StoreError> {
        get(&self.conn(), id).map_err(query_err("reading a question"))
    }

    /// Questions with `status` (all when `None`), of `slot` when given, at most
    /// `limit`. Pending ones come most urgent first, then oldest first (the order to
    /// review them in); otherwise newest first.
    pub fn questions(
        &self,
        status: Option<QuestionStatus>,
        slot: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Question>, StoreError> {
        const ACTION: &str = "listing questions";
        let order = if status == Some(QuestionStatus::Pending) {
            "priority DESC, id"
        } else {
            "id DESC"
        };
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM questions
                 WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR slot_id = ?2)
                 ORDER BY {order} LIMIT ?3"
            ))
            .map_err(query_err(ACTION))?;
        stmt.query_map(
            params![status.map(QuestionStatus::as_str), slot, limit],
            from_row,
        )
        .and_then(Iterator::collect)
        .map_err(query_err(ACTION))
    }

    /// How many questions are pending, answered and dismissed (of `slot` when given).
    pub fn question_counts(&self, slot: Option<&str>) -> Result<[u64; 3], StoreError> {
        const ACTION: &str = "counting questions";
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT status, count(*) FROM questions
                 WHERE ?1 IS NULL OR slot_id = ?1 GROUP BY status",
            )
            .map_err(query_err(ACTION))?;
        let rows: Vec<(String, i64)> = stmt
            .query_map(params![slot], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(Iterator::collect)
            .map_err(query_err(ACTION))?;
        let mut counts = [0u64; 3];
        for (status, n) in rows {
            if let Some(i) = QuestionStatus::ALL
                .iter()
                .position(|s| s.as_str() == status)
            {
                counts[i] = n.unsigned_abs();
            }
        }
        Ok(counts)
    }

    /// Answers the pending question `id` at `now`.
    pub fn answer_question(
        &self,
        id: QuestionId,
        answer: &str,
        now: i64,
    ) -> Result<Question, QuestionError> {
        const ACTION: &str = "answering a question";
        self.write(ACTION, |tx| {
            pending(tx, id, "answered")?;
            tx.execute(
                "UPDATE questions SET status = 'answered', answer = ?2, answered_at = ?3
                 WHERE id = ?1",
                params![id.0, answer, now],
            )
            .map_err(query_err(ACTION))?;
            reread(tx, id, ACTION)
        })
    }

    /// Dismisses the pending question `id` at `now`, keeping `reason` when given.
    pub fn dismiss_question(
        &self,
        id: QuestionId,
        reason: Option<&str>,
        now: i64,
    ) -> Result<Question, QuestionError> {
        const ACTION: &str = "dismissing a question";
        self.write(ACTION, |tx| {
            pending(tx, id, "dismissed")?;
            tx.execute(
                "UPDATE questions
                 SET status = 'dismissed', dismiss_reason = ?2, dismissed_at = ?3
                 WHERE id = ?1",
                params![id.0, reason, now],
            )
            .map_err(query_err(ACTION))?;
            reread(tx, id, ACTION)
        })
    }
}
