//! What a question is: its status, its priority, the stored row and a new one.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::QuestionId;
use crate::tasks::TaskId;

/// How urgent something is for the person reviewing it (questions and board tasks).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Whenever convenient.
    Low,
    /// The default.
    #[default]
    Normal,
    /// Before normal work.
    High,
    /// Holding something up now.
    Urgent,
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];

    /// The stored rank (0 = low ... 3 = urgent), so SQL can sort by it.
    pub fn rank(self) -> i64 {
        match self {
            Priority::Low => 0,
            Priority::Normal => 1,
            Priority::High => 2,
            Priority::Urgent => 3,
        }
    }

    /// The priority of a stored rank; out-of-range ranks (the column is CHECKed) read
    /// as normal.
    pub fn from_rank(rank: i64) -> Priority {
        Priority::ALL
            .into_iter()
            .find(|p| p.rank() == rank)
            .unwrap_or_default()
    }
}

/// Where a question is in its life: `pending` until answered or dismissed, both final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionStatus {
    /// Waiting for a person.
    Pending,
    /// Answered; `answer` holds the answer.
    Answered,
    /// Dismissed without an answer.
    Dismissed,
}

impl QuestionStatus {
    /// Every status, in life order.
    pub const ALL: [QuestionStatus; 3] = [
        QuestionStatus::Pending,
        QuestionStatus::Answered,
        QuestionStatus::Dismissed,
    ];

    /// The stored and wire spelling (`pending`).
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionStatus::Pending => "pending",
            QuestionStatus::Answered => "answered",
            QuestionStatus::Dismissed => "dismissed",
        }
    }

    /// The status spelled `s`.
    pub fn parse(s: &str) -> Option<QuestionStatus> {
        QuestionStatus::ALL.into_iter().find(|q| q.as_str() == s)
    }
}

impl fmt::Display for QuestionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which questions `mission_question_list` shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionFilter {
    /// Waiting for an answer (the default).
    #[default]
    Pending,
    /// Answered ones.
    Answered,
    /// Dismissed ones.
    Dismissed,
    /// All of them.
    All,
}

impl QuestionFilter {
    /// The one status it keeps, or `None` for all.
    pub fn status(self) -> Option<QuestionStatus> {
        match self {
            QuestionFilter::Pending => Some(QuestionStatus::Pending),
            QuestionFilter::Answered => Some(QuestionStatus::Answered),
            QuestionFilter::Dismissed => Some(QuestionStatus::Dismissed),
            QuestionFilter::All => None,
        }
    }
}

/// A stored question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// Its id.
    pub id: QuestionId,
    /// The question.
    pub question: String,
    /// Background the asker gave.
    pub context: Option<String>,
    /// The slot that asked.
    pub slot_id: Option<String>,
    /// The task it is about.
    pub task_id: Option<TaskId>,
    /// Suggested answers.
    pub options: Vec<String>,
    /// How urgent.
    pub priority: Priority,
    /// Where it is.
    pub status: QuestionStatus,
    /// The answer, once answered.
    pub answer: Option<String>,
    /// Why it was dismissed, when a reason was given.
    pub dismiss_reason: Option<String>,
    /// The inbox message that announced it.
    pub inbox_id: Option<i64>,
    /// Asked, Unix ms.
    pub created_at: i64,
    /// Answered, Unix ms.
    pub answered_at: Option<i64>,
    /// Dismissed, Unix ms.
    pub dismissed_at: Option<i64>,
}

/// A question being asked, already checked (see [`super::validate`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQuestion {
    /// The question.
    pub question: String,
    /// Background.
    pub context: Option<String>,
    /// The asking slot.
    pub slot_id: Option<String>,
    /// The task it is about.
    pub task_id: Option<TaskId>,
    /// Suggested answers.
    pub options: Vec<String>,
    /// How urgent.
    pub priority: Priority,
    /// Asked, Unix ms.
    pub created_at: i64,
}
