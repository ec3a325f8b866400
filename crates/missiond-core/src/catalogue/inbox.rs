//! `mission_inbox`: messages for the orchestrator.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Annotations, Tool};
use crate::inbox::InboxKind;
use crate::tasks::TaskId;

/// Default number of messages one `mission_inbox` call returns.
pub const INBOX_LIMIT_DEFAULT: u32 = 50;
/// Most messages one call returns.
pub const INBOX_LIMIT_MAX: u32 = 500;

/// `mission_inbox`.
pub struct InboxRead;

/// Arguments of `mission_inbox`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InboxParams {
    /// Only unread messages (default true); false lists read ones too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread_only: Option<bool>,
    /// Only messages with an id greater than this (to page on from the last one seen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_id: Option<i64>,
    /// At most this many, oldest first (default 50, at most 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 500))]
    pub limit: Option<u32>,
    /// Mark the returned messages read (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_read: Option<bool>,
}

impl InboxParams {
    /// The query these arguments ask for, defaults applied.
    pub fn query(&self) -> crate::inbox::InboxQuery {
        crate::inbox::InboxQuery {
            unread_only: self.unread_only.unwrap_or(true),
            since_id: self.since_id,
            limit: self
                .limit
                .unwrap_or(INBOX_LIMIT_DEFAULT)
                .clamp(1, INBOX_LIMIT_MAX),
        }
    }
}

/// A message in the inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InboxMessage {
    /// Its id (grows with time; pass the last one as sinceId to page on).
    pub id: i64,
    /// What it is about: task_done, task_failed, task_retried, agent_report,
    /// agent_done, agent_question, permission_ask or notice.
    pub kind: InboxKind,
    /// The slot concerned.
    pub slot_id: Option<String>,
    /// The task concerned.
    pub task_id: Option<TaskId>,
    /// The message: a task's answer, a failure's reason, an agent's report or question.
    pub text: String,
    /// Details (for tasks: status, attempts and the start of the prompt).
    pub data: Value,
    /// When it was posted.
    pub created_at: String,
    /// Whether it had been read before this call.
    pub read: bool,
}

/// Result of `mission_inbox`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InboxResult {
    /// The messages, oldest first.
    pub messages: Vec<InboxMessage>,
    /// Messages still unread after this call.
    pub unread: u64,
}

impl Tool for InboxRead {
    const NAME: &'static str = "mission_inbox";
    const TITLE: &'static str = "Messages for the orchestrator";
    const DESCRIPTION: &'static str = "Read the orchestrator's inbox: finished tasks \
        (task_done, with the answer), failures (task_failed), tasks put back in the \
        queue after a slot died (task_retried), agents' reports and questions \
        (agent_report, agent_done, agent_question), permission requests and daemon \
        notices such as what a restart recovered. Returns unread messages oldest first \
        and marks them read (markRead false only peeks). Check it after submitting work \
        and whenever mission_status shows unread messages.";
    const ANNOTATIONS: Annotations = Annotations {
        read_only_hint: false,
        destructive_hint: false,
        idempotent_hint: true,
        open_world_hint: false,
    };
    type Params = InboxParams;
    type Output = InboxResult;
}
