//! What a task is: its id, status, and the row the queue keeps for it.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A task's id: the queue's row number, shown as `t-000123`.
///
/// Ids grow with arrival, so they also give the order of arrival. Parsing accepts
/// `t-000123`, `t-123` and `123`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub i64);

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t-{:06}", self.0)
    }
}

/// Why a string is not a task id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a task id (expected something like t-000123)")]
pub struct BadTaskId(pub String);

impl FromStr for TaskId {
    type Err = BadTaskId;

    fn from_str(s: &str) -> Result<TaskId, BadTaskId> {
        let t = s.trim();
        let digits = t
            .strip_prefix("t-")
            .or_else(|| t.strip_prefix("T-"))
            .unwrap_or(t);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BadTaskId(s.to_string()));
        }
        match digits.parse::<i64>() {
            Ok(n) if n > 0 => Ok(TaskId(n)),
            _ => Err(BadTaskId(s.to_string())),
        }
    }
}

impl Serialize for TaskId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TaskId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TaskId, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for TaskId {
    fn schema_name() -> Cow<'static, str> {
        "TaskId".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^(t-)?[0-9]+$",
            "description": "A task id as mission_submit returned it (`t-000123`)."
        })
    }
}

/// Where a task is in its life. `queued` and `running` are open; the rest are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Waiting for a slot.
    Queued,
    /// Sent to a slot, whose turn has not ended.
    Running,
    /// The turn ended; `result` holds the answer.
    Done,
    /// It could not be run or finished; `error` says why.
    Failed,
    /// Cancelled before it finished.
    Cancelled,
}

impl TaskStatus {
    /// Every status, in life order.
    pub const ALL: [TaskStatus; 5] = [
        TaskStatus::Queued,
        TaskStatus::Running,
        TaskStatus::Done,
        TaskStatus::Failed,
        TaskStatus::Cancelled,
    ];

    /// The stored and wire spelling (`queued`).
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Queued => "queued",
            TaskStatus::Running => "running",
            TaskStatus::Done => "done",
            TaskStatus::Failed => "failed",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    /// The status spelled `s`.
    pub fn parse(s: &str) -> Option<TaskStatus> {
        TaskStatus::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Done, failed or cancelled: nothing more will happen to it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TaskStatus::Done | TaskStatus::Failed | TaskStatus::Cancelled
        )
    }

    /// Whether a task may go from `self` to `to`. Final states never change; a task
    /// is only done after running; a running task may go back to the queue (its slot
    /// died or the daemon restarted).
    pub fn can_become(self, to: TaskStatus) -> bool {
        use TaskStatus::*;
        matches!(
            (self, to),
            (Queued, Running | Failed | Cancelled) | (Running, Queued | Done | Failed | Cancelled)
        )
    }
}

impl fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a task came in: it decides whether its answer also goes to the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskOrigin {
    /// `mission_submit`: the answer is announced in the inbox.
    Submit,
    /// `mission_ask`: the caller waits for the answer, so only failures are announced.
    Ask,
}

impl TaskOrigin {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskOrigin::Submit => "submit",
            TaskOrigin::Ask => "ask",
        }
    }

    /// The origin spelled `s` (unknown spellings read as `Submit`).
    pub fn parse(s: &str) -> TaskOrigin {
        if s == "ask" {
            TaskOrigin::Ask
        } else {
            TaskOrigin::Submit
        }
    }
}

/// A task as stored. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Its id.
    pub id: TaskId,
    /// The prompt sent to the slot.
    pub prompt: String,
    /// The slot it must run on, when the submitter named one.
    pub slot_id: Option<String>,
    /// The role it must run on, when the submitter named one.
    pub role: Option<String>,
    /// Higher runs first.
    pub priority: i32,
    /// Submit or ask.
    pub origin: TaskOrigin,
    /// Where it is.
    pub status: TaskStatus,
    /// The slot running it, or that ran it last (`None` while queued).
    pub assigned_slot: Option<String>,
    /// How many times it was started.
    pub attempts: u32,
    /// Starts allowed before it is failed instead of requeued.
    pub max_attempts: u32,
    /// The answer: the text of the turn, once done.
    pub result: Option<String>,
    /// Why it failed, was cancelled, or was last requeued.
    pub error: Option<String>,
    /// Submitted.
    pub created_at: i64,
    /// Last started.
    pub started_at: Option<i64>,
    /// Reached a final state.
    pub ended_at: Option<i64>,
}

/// A task being submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask<'a> {
    /// The prompt (not empty).
    pub prompt: &'a str,
    /// Run on this slot only.
    pub slot_id: Option<&'a str>,
    /// Run on a slot of this role.
    pub role: Option<&'a str>,
    /// Higher first.
    pub priority: i32,
    /// Submit or ask.
    pub origin: TaskOrigin,
    /// Starts allowed.
    pub max_attempts: u32,
    /// Submission time, Unix ms.
    pub created_at: i64,
}

/// How one attempt of a task on a slot ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// The turn ended and the task is done.
    Done,
    /// The task failed on this slot.
    Failed,
    /// The task was cancelled while on this slot.
    Cancelled,
    /// The slot died or the daemon restarted; the task went back to the queue or failed.
    Interrupted,
}

impl RunOutcome {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Done => "done",
            RunOutcome::Failed => "failed",
            RunOutcome::Cancelled => "cancelled",
            RunOutcome::Interrupted => "interrupted",
        }
    }

    /// The outcome spelled `s`.
    pub fn parse(s: &str) -> Option<RunOutcome> {
        [
            RunOutcome::Done,
            RunOutcome::Failed,
            RunOutcome::Cancelled,
            RunOutcome::Interrupted,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// One attempt of a task on a slot: what `mission_slot_history` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRun {
    /// The task.
    pub task_id: TaskId,
    /// The slot.
    pub slot_id: String,
    /// 1 for the first start, 2 for the first retry ...
    pub attempt: u32,
    /// The task's prompt.
    pub prompt: String,
    /// The task's status now.
    pub task_status: TaskStatus,
    /// Started, Unix ms.
    pub started_at: i64,
    /// Ended, Unix ms (`None` while running).
    pub ended_at: Option<i64>,
    /// How it ended (`None` while running).
    pub outcome: Option<RunOutcome>,
    /// Why, for failures and interruptions.
    pub detail: Option<String>,
}
