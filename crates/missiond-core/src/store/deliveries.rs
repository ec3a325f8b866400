//! Answers on their way back to the asking slot: whether a question's slot wants to be
//! woken when it is answered, and when (and how) its answer reached the slot.
//!
//! A question's answer is delivered once: in the context of the slot's next prompt, in
//! a short prompt of its own when the slot is idle and asked for that, or when the slot
//! reads its questions with `mission_question_mine`, whichever comes first.

use rusqlite::params;

use super::{Store, StoreError, query_err};
use crate::questions::{Question, QuestionId};

/// The schema this area adds (one migration; see `migrations.rs`).
pub(super) const SCHEMA: &str = "
CREATE TABLE question_deliveries (
    question_id  INTEGER PRIMARY KEY REFERENCES questions(id) ON DELETE CASCADE,
    wake         INTEGER NOT NULL DEFAULT 0,      -- prompt the idle slot when answered
    delivered_at INTEGER,                          -- Unix ms; NULL until delivered
    how          TEXT CHECK (how IS NULL OR how IN ('prompt', 'wake', 'tool'))
) STRICT;
";

/// How an answer reached its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// In the context of the slot's next prompt.
    Prompt,
    /// In a prompt of its own, the slot being idle.
    Wake,
    /// The slot read it with a tool.
    Tool,
}

impl Delivery {
    fn as_str(self) -> &'static str {
        match self {
            Delivery::Prompt => "prompt",
            Delivery::Wake => "wake",
            Delivery::Tool => "tool",
        }
    }
}

impl Store {
    /// Asks for the slot of question `id` to be prompted when it is answered.
    pub fn question_wake_when_answered(&self, id: QuestionId) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO question_deliveries (question_id, wake) VALUES (?1, 1)
                 ON CONFLICT (question_id) DO UPDATE SET wake = 1",
                [id.0],
            )
            .map(drop)
            .map_err(query_err("recording a question's wake-up"))
    }

    /// Answered questions whose answer has not reached their slot: of `slot` (or of
    /// every slot), only those asking for a wake-up when `wake_only`; oldest first.
    pub fn questions_undelivered(
        &self,
        slot: Option<&str>,
        wake_only: bool,
    ) -> Result<Vec<Question>, StoreError> {
        const ACTION: &str = "listing undelivered answers";
        let ids: Vec<i64> = {
            let conn = self.conn();
            conn.prepare_cached(
                "SELECT q.id FROM questions q
                 LEFT JOIN question_deliveries d ON d.question_id = q.id
                 WHERE q.status = 'answered' AND q.slot_id IS NOT NULL
                   AND (?1 IS NULL OR q.slot_id = ?1)
                   AND d.delivered_at IS NULL
                   AND (NOT ?2 OR coalesce(d.wake, 0) = 1)
                 ORDER BY q.answered_at, q.id LIMIT 50",
            )
            .and_then(|mut s| {
                s.query_map(params![slot, wake_only], |r| r.get(0))?
                    .collect()
            })
            .map_err(query_err(ACTION))?
        };
        let mut out = Vec::new();
        for id in ids {
            if let Some(q) = self.question(QuestionId(id))? {
                out.push(q);
            }
        }
        Ok(out)
    }

    /// Records that the answers of `ids` reached their slot.
    pub fn questions_delivered(
        &self,
        ids: &[QuestionId],
        how: Delivery,
        now: i64,
    ) -> Result<(), StoreError> {
        const ACTION: &str = "recording delivered answers";
        self.write(ACTION, |tx| {
            for id in ids {
                tx.prepare_cached(
                    "INSERT INTO question_deliveries (question_id, delivered_at, how)
                     VALUES (?1, ?2, ?3)
                     ON CONFLICT (question_id) DO UPDATE SET delivered_at = ?2, how = ?3
                     WHERE delivered_at IS NULL",
                )
                .and_then(|mut s| s.execute(params![id.0, now, how.as_str()]))
                .map_err(query_err(ACTION))?;
            }
            Ok::<_, StoreError>(())
        })
    }

    /// Takes back a wake-up delivery of `id` whose prompt never reached the slot (it
    /// turned busy, or died): the answer goes with its next prompt or wake-up instead.
    /// A delivery made another way since is kept.
    pub fn question_wake_failed(&self, id: QuestionId) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "UPDATE question_deliveries SET delivered_at = NULL, how = NULL
                 WHERE question_id = ?1 AND how = 'wake'",
                [id.0],
            )
            .map(drop)
            .map_err(query_err("taking back a failed wake-up"))
    }
}
