//! Question queue tools: agents leave questions for a person instead of blocking; the
//! person (or the orchestrator) answers or dismisses them later.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Annotations, Tool, ToolDef};
use crate::questions::{Priority, QuestionFilter, QuestionId, QuestionStatus};
use crate::tasks::TaskId;

/// Default number of questions one `mission_question_list` call returns.
pub const QUESTION_LIST_DEFAULT: u32 = 50;
/// Most questions one `mission_question_list` call returns.
pub const QUESTION_LIST_MAX: u32 = 500;

// Tools that change the question queue (and nothing outside missiond).
const CHANGES: Annotations = Annotations {
    read_only_hint: false,
    destructive_hint: false,
    idempotent_hint: false,
    open_world_hint: false,
};

/// `mission_question_create`.
pub struct QuestionCreate;
/// `mission_question_list`.
pub struct QuestionList;
/// `mission_question_get`.
pub struct QuestionGet;
/// `mission_question_answer`.
pub struct QuestionAnswer;
/// `mission_question_dismiss`.
pub struct QuestionDismiss;

/// A question as the tools report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuestionInfo {
    /// The question's id (`q-000123`).
    pub question_id: QuestionId,
    /// The question.
    pub question: String,
    /// Background the asker gave.
    pub context: Option<String>,
    /// The slot that asked, if one was named.
    pub slot_id: Option<String>,
    /// The task it is about, if one was named.
    pub task_id: Option<TaskId>,
    /// Suggested answers (any text may still be given as the answer).
    pub options: Vec<String>,
    /// How urgent: low, normal, high or urgent.
    pub priority: Priority,
    /// pending, answered or dismissed.
    pub status: QuestionStatus,
    /// The answer, once answered.
    pub answer: Option<String>,
    /// Why it was dismissed, when a reason was given.
    pub dismiss_reason: Option<String>,
    /// The mission_inbox message (kind agent_question) that announced it.
    pub inbox_message_id: Option<i64>,
    /// When it was asked.
    pub created_at: String,
    /// When it was answered.
    pub answered_at: Option<String>,
    /// When it was dismissed.
    pub dismissed_at: Option<String>,
}

/// Arguments of `mission_question_create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuestionCreateParams {
    /// The question, as a person should read it (not blank, at most 64 KiB).
    #[schemars(length(min = 1, max = 65536))]
    pub question: String,
    /// What the person needs to know to answer: what was tried, what is at stake (at
    /// most 64 KiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 65536))]
    pub context: Option<String>,
    /// The asking slot's id (one line, at most 300 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 300))]
    pub slot_id: Option<String>,
    /// The task the question is about (`t-000123`); it must exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<TaskId>,
    /// Suggested answers, at most 20, each one line of at most 300 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub options: Option<Vec<String>>,
    /// How urgent: low, normal (default), high or urgent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// Prompt the asking slot with the answer as soon as it is given, if the slot is
    /// idle then (default false: the answer comes with its next prompt either way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wake_when_answered: Option<bool>,
}

impl Tool for QuestionCreate {
    const NAME: &'static str = "mission_question_create";
    const TITLE: &'static str = "Leave a question for a person";
    const DESCRIPTION: &'static str = "Record a question for human review instead of \
        blocking on it, and announce it in mission_inbox (kind agent_question, data \
        holding the questionId). Give context so it can be answered cold, options when \
        the answer is a choice, and the slotId/taskId it concerns. Returns the question \
        with its id (q-000123) and status pending. An asking slot gets the answer in \
        the context of its next prompt, at once in a prompt of its own when it set \
        wakeWhenAnswered and is idle, or with mission_question_mine; others read it \
        with mission_question_get. Fails with invalid_params naming the field for a blank \
        question, a text over 64 KiB, more than 20 options, or an unknown taskId.";
    const ANNOTATIONS: Annotations = CHANGES;
    type Params = QuestionCreateParams;
    type Output = QuestionInfo;
}

/// Arguments of `mission_question_list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuestionListParams {
    /// Which ones: pending (default), answered, dismissed or all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<QuestionFilter>,
    /// Only those asked by this slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_id: Option<String>,
    /// At most this many (default 50, at most 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 500))]
    pub limit: Option<u32>,
}

/// How many questions are in each status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct QuestionCounts {
    /// Waiting for an answer.
    pub pending: u64,
    /// Answered.
    pub answered: u64,
    /// Dismissed.
    pub dismissed: u64,
}

/// Result of `mission_question_list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct QuestionListResult {
    /// The questions: pending ones most urgent first, then oldest first; otherwise
    /// newest first.
    pub questions: Vec<QuestionInfo>,
    /// Questions per status (of the slot, when slotId was given), whatever the filter
    /// and limit.
    pub counts: QuestionCounts,
}

impl Tool for QuestionList {
    const NAME: &'static str = "mission_question_list";
    const TITLE: &'static str = "Questions waiting for review";
    const DESCRIPTION: &'static str = "List the question queue: by default the pending \
        questions, most urgent first and then oldest first, the order to review them \
        in; status answered, dismissed or all lists those instead, newest first. \
        slotId keeps one slot's questions. Also returns how many questions are \
        pending, answered and dismissed. Answer one with mission_question_answer.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = QuestionListParams;
    type Output = QuestionListResult;
}

/// Arguments of `mission_question_get`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuestionGetParams {
    /// The question (`q-000123`).
    pub question_id: QuestionId,
}

impl Tool for QuestionGet {
    const NAME: &'static str = "mission_question_get";
    const TITLE: &'static str = "One question and its answer";
    const DESCRIPTION: &'static str = "Return one question by id: its text, context, \
        options, priority, status (pending, answered, dismissed) and, once given, the \
        answer or the dismissal reason with their times. An agent that left a question \
        uses it to see whether it was answered. Fails with invalid_params naming \
        questionId for a malformed or unknown id.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = QuestionGetParams;
    type Output = QuestionInfo;
}

/// Arguments of `mission_question_answer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuestionAnswerParams {
    /// The question (`q-000123`).
    pub question_id: QuestionId,
    /// The answer: one of the options or any text (not blank, at most 64 KiB).
    #[schemars(length(min = 1, max = 65536))]
    pub answer: String,
}

impl Tool for QuestionAnswer {
    const NAME: &'static str = "mission_question_answer";
    const TITLE: &'static str = "Answer a question";
    const DESCRIPTION: &'static str = "Answer a pending question: records the answer \
        and when it was given, and the question becomes answered (final). The asker \
        reads it with mission_question_get; to pass it on to a busy agent, also send \
        it with mission_submit. Fails with invalid_choice naming the current status \
        when the question was already answered or dismissed, and invalid_params for \
        a blank answer or an unknown questionId.";
    const ANNOTATIONS: Annotations = CHANGES;
    type Params = QuestionAnswerParams;
    type Output = QuestionInfo;
}

/// Arguments of `mission_question_dismiss`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuestionDismissParams {
    /// The question (`q-000123`).
    pub question_id: QuestionId,
    /// Why it needs no answer (at most 64 KiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 65536))]
    pub reason: Option<String>,
}

impl Tool for QuestionDismiss {
    const NAME: &'static str = "mission_question_dismiss";
    const TITLE: &'static str = "Dismiss a question";
    const DESCRIPTION: &'static str = "Close a pending question without answering it \
        (it became moot, or was answered elsewhere), keeping the reason when given; \
        it becomes dismissed (final) and leaves the pending list. Fails with \
        invalid_choice naming the current status when it was already answered or \
        dismissed, and invalid_params for an unknown questionId.";
    const ANNOTATIONS: Annotations = CHANGES;
    type Params = QuestionDismissParams;
    type Output = QuestionInfo;
}

/// This area's tools, in display order.
pub(super) fn defs() -> Vec<ToolDef> {
    vec![
        ToolDef::of::<QuestionCreate>(),
        ToolDef::of::<QuestionList>(),
        ToolDef::of::<QuestionGet>(),
        ToolDef::of::<QuestionAnswer>(),
        ToolDef::of::<QuestionDismiss>(),
    ]
}
