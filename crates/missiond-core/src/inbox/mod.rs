//! The orchestrator's inbox: what happened while it was not watching.
//!
//! Finished and failed tasks, agents' reports and questions (`mission_report`), permission
//! requests and daemon notices (such as what a restart recovered) are posted here and
//! read with `mission_inbox`. Messages are stored (see [`crate::store`]); task messages
//! are posted in the same transaction as the task's change, so the inbox and the queue
//! never disagree.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::tasks::TaskId;
use crate::time::rfc3339_ms;

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboxKind {
    /// A submitted task finished; `text` is its answer.
    TaskDone,
    /// A task failed; `text` says why.
    TaskFailed,
    /// A task's slot died or the daemon restarted; the task went back to the queue.
    TaskRetried,
    /// An agent reported progress (`mission_report` with kind `progress`).
    AgentReport,
    /// An agent reported its goal done (`mission_report` with kind `done`).
    AgentDone,
    /// An agent asks the orchestrator something (`mission_report` with kind `question`).
    AgentQuestion,
    /// A tool call waits for a permission decision.
    PermissionAsk,
    /// Something about the daemon itself (a restart, a recovery, a configuration problem).
    Notice,
}

impl InboxKind {
    /// Every kind.
    pub const ALL: [InboxKind; 8] = [
        InboxKind::TaskDone,
        InboxKind::TaskFailed,
        InboxKind::TaskRetried,
        InboxKind::AgentReport,
        InboxKind::AgentDone,
        InboxKind::AgentQuestion,
        InboxKind::PermissionAsk,
        InboxKind::Notice,
    ];

    /// The stored and wire spelling (`task_done`).
    pub fn as_str(self) -> &'static str {
        match self {
            InboxKind::TaskDone => "task_done",
            InboxKind::TaskFailed => "task_failed",
            InboxKind::TaskRetried => "task_retried",
            InboxKind::AgentReport => "agent_report",
            InboxKind::AgentDone => "agent_done",
            InboxKind::AgentQuestion => "agent_question",
            InboxKind::PermissionAsk => "permission_ask",
            InboxKind::Notice => "notice",
        }
    }

    /// The kind spelled `s`; unknown spellings (from a newer missiond) read as `Notice`.
    pub fn parse(s: &str) -> InboxKind {
        InboxKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or(InboxKind::Notice)
    }
}

/// What an agent reports with `mission_report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// The goal is reached (ends an autonomous run).
    Done,
    /// A step is done; work goes on.
    Progress,
    /// The agent needs an answer from the orchestrator to go on.
    Question,
}

impl ReportKind {
    /// The inbox kind a report is posted as.
    pub fn inbox_kind(self) -> InboxKind {
        match self {
            ReportKind::Done => InboxKind::AgentDone,
            ReportKind::Progress => InboxKind::AgentReport,
            ReportKind::Question => InboxKind::AgentQuestion,
        }
    }
}

/// A message being posted.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    /// What it is about.
    pub kind: InboxKind,
    /// The slot concerned.
    pub slot_id: Option<String>,
    /// The task concerned.
    pub task_id: Option<TaskId>,
    /// The message (an answer, a reason, a question).
    pub text: String,
    /// Details as a JSON object (`null` is stored as `{}`).
    pub data: Value,
    /// When, Unix ms.
    pub created_at: i64,
}

impl NewMessage {
    /// A message with no slot, task or data.
    pub fn new(kind: InboxKind, text: impl Into<String>, created_at: i64) -> NewMessage {
        NewMessage {
            kind,
            slot_id: None,
            task_id: None,
            text: text.into(),
            data: Value::Object(Default::default()),
            created_at,
        }
    }

    /// What `mission_report` posts for an agent on `slot_id`.
    pub fn report(slot_id: &str, kind: ReportKind, text: &str, created_at: i64) -> NewMessage {
        NewMessage {
            slot_id: Some(slot_id.to_string()),
            ..NewMessage::new(kind.inbox_kind(), text, created_at)
        }
    }
}

/// A stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Its id: grows with time, so `sinceId` pages through the inbox.
    pub id: i64,
    /// What it is about.
    pub kind: InboxKind,
    /// The slot concerned.
    pub slot_id: Option<String>,
    /// The task concerned.
    pub task_id: Option<TaskId>,
    /// The message.
    pub text: String,
    /// Details.
    pub data: Value,
    /// Posted, Unix ms.
    pub created_at: i64,
    /// Read, Unix ms (`None` while unread).
    pub read_at: Option<i64>,
}

impl Message {
    /// As `mission_inbox` reports it.
    pub fn info(&self) -> crate::catalogue::InboxMessage {
        crate::catalogue::InboxMessage {
            id: self.id,
            kind: self.kind,
            slot_id: self.slot_id.clone(),
            task_id: self.task_id,
            text: self.text.clone(),
            data: self.data.clone(),
            created_at: rfc3339_ms(self.created_at),
            read: self.read_at.is_some(),
        }
    }
}

/// Which messages to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxQuery {
    /// Only messages not yet marked read.
    pub unread_only: bool,
    /// Only messages with a greater id.
    pub since_id: Option<i64>,
    /// At most this many, oldest first.
    pub limit: u32,
}

impl Default for InboxQuery {
    fn default() -> InboxQuery {
        InboxQuery {
            unread_only: true,
            since_id: None,
            limit: 50,
        }
    }
}

/// `mission_inbox`: lists the messages `params` ask for and, unless told not to, marks
/// them read; all in the one store.
pub fn read(
    store: &crate::store::Store,
    params: &crate::catalogue::InboxParams,
    now: i64,
) -> Result<crate::catalogue::InboxResult, crate::store::StoreError> {
    let messages = store.inbox_messages(&params.query())?;
    if params.mark_read.unwrap_or(true) {
        let ids: Vec<i64> = messages.iter().map(|m| m.id).collect();
        store.mark_read(&ids, now)?;
    }
    Ok(crate::catalogue::InboxResult {
        messages: messages.iter().map(Message::info).collect(),
        unread: store.unread_count()?,
    })
}

#[cfg(test)]
mod tests;
