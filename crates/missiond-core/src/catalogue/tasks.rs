//! Task queue tools: submit work, ask and wait, follow tasks, cancel, slot history.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::pty::{SEND_TIMEOUT_DEFAULT_MS, SEND_TIMEOUT_MAX_MS};
use super::types::SlotState;
use super::{Annotations, Tool};
use crate::tasks::{RunOutcome, TaskId, TaskStatus};

/// Default number of finished tasks `mission_status` lists.
pub const STATUS_RECENT_DEFAULT: u32 = 10;
/// Default number of runs `mission_slot_history` lists.
pub const SLOT_HISTORY_DEFAULT: u32 = 20;
/// Most task ids one `mission_task` call takes.
pub const TASK_IDS_MAX: usize = 100;

// Queue tools that hand work to agents, which talk to a model and run tools.
const QUEUES: Annotations = Annotations {
    read_only_hint: false,
    destructive_hint: false,
    idempotent_hint: false,
    open_world_hint: true,
};

/// `mission_submit`.
pub struct Submit;
/// `mission_task`.
pub struct TaskQuery;
/// `mission_ask`.
pub struct Ask;
/// `mission_status`.
pub struct QueueStatus;
/// `mission_cancel`.
pub struct Cancel;
/// `mission_slot_history`.
pub struct SlotHistory;

/// A task as the tools report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskInfo {
    /// The task's id.
    pub task_id: TaskId,
    /// Where it is: queued, running, done, failed or cancelled.
    pub status: TaskStatus,
    /// The prompt.
    pub prompt: String,
    /// The slot running it, or that ran it (absent while queued).
    pub slot_id: Option<String>,
    /// The slot it was submitted for, if one was named.
    pub requested_slot_id: Option<String>,
    /// The role it was submitted for, if one was named.
    pub requested_role: Option<String>,
    /// Its priority (higher runs first).
    pub priority: i32,
    /// How many times it was started (more than 1 after a slot died or a restart).
    pub attempts: u32,
    /// When it was submitted.
    pub created_at: String,
    /// When it last started.
    pub started_at: Option<String>,
    /// When it was done, failed or cancelled.
    pub ended_at: Option<String>,
    /// The answer: the exact text of the agent's turn, once done.
    pub result: Option<String>,
    /// Why it failed or was cancelled, or why it was last put back in the queue.
    pub error: Option<String>,
}

/// Arguments of `mission_submit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubmitParams {
    /// The prompt for the agent, as a user would type it (may span lines).
    #[schemars(length(min = 1))]
    pub prompt: String,
    /// Run on this slot only (the task waits for it if it is busy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_id: Option<String>,
    /// Run on the first idle slot of this role (ignored when slotId is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Higher runs first, from -100 to 100 (default 0); equal priorities run in arrival
    /// order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = -100, max = 100))]
    pub priority: Option<i32>,
    /// Start from a fresh worktree (slots with `workspace: worktree`; needs slotId): just
    /// before the prompt, the slot's branch is brought to its base's current head. The
    /// task fails instead, changing nothing, while the worktree holds uncommitted changes
    /// or commits the base lacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fresh_workspace: Option<bool>,
}

/// Result of `mission_submit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubmitResult {
    /// The new task's id: pass it to mission_task or mission_cancel.
    pub task_id: TaskId,
    /// `running` when a slot took it at once, else `queued`.
    pub status: TaskStatus,
    /// The slot running it, when it started at once.
    pub slot_id: Option<String>,
    /// Tasks ahead of it in the queue (0 = next), while queued.
    pub queue_position: Option<u32>,
}

impl Tool for Submit {
    const NAME: &'static str = "mission_submit";
    const TITLE: &'static str = "Queue a task for an agent";
    const DESCRIPTION: &'static str = "Queue a prompt for an agent and return its task id \
        at once, without waiting. It runs on the slot named by slotId (waiting for it if \
        busy), else on the first idle slot of the role, else on any idle slot; busy slots \
        make it wait in the queue (higher priority first, then arrival). The answer \
        (the exact text of the agent's turn) arrives in mission_inbox and in \
        mission_task. Use it to hand out several pieces of work in parallel; use \
        mission_ask to wait for one answer. Fails with unknown_slot for an unknown slotId \
        and invalid_params for an empty prompt, an unknown role or a priority outside \
        -100..100.";
    const ANNOTATIONS: Annotations = QUEUES;
    type Params = SubmitParams;
    type Output = SubmitResult;
}

/// Arguments of `mission_task`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskParams {
    /// The tasks to report on (1 to 100 ids from mission_submit).
    #[schemars(length(min = 1, max = 100))]
    pub task_ids: Vec<TaskId>,
}

/// Result of `mission_task`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TaskResult {
    /// The tasks, in the order asked.
    pub tasks: Vec<TaskInfo>,
}

impl Tool for TaskQuery {
    const NAME: &'static str = "mission_task";
    const TITLE: &'static str = "Tasks' status and results";
    const DESCRIPTION: &'static str = "Report on tasks by id: status (queued, running, \
        done, failed, cancelled), the slot running or that ran it, attempts, when it was \
        submitted, started and ended, and the result (the agent's answer) or the error. \
        Use it to collect answers of tasks from mission_submit, or to see whether they \
        are still waiting. An unknown id fails the call with invalid_params naming it.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = TaskParams;
    type Output = TaskResult;
}

/// Arguments of `mission_ask`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AskParams {
    /// The question or request for the agent.
    #[schemars(length(min = 1))]
    pub prompt: String,
    /// Ask an agent of this role (the first idle one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Ask this slot (wins over role).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_id: Option<String>,
    /// How long to wait for the answer, queueing included, in milliseconds (default
    /// 300000, at most 3600000). The task keeps going after a timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3_600_000))]
    pub timeout_ms: Option<u64>,
}

impl AskParams {
    /// The wait, defaulted and capped.
    pub fn timeout_ms(&self) -> u64 {
        self.timeout_ms
            .unwrap_or(SEND_TIMEOUT_DEFAULT_MS)
            .clamp(1, SEND_TIMEOUT_MAX_MS)
    }
}

/// Result of `mission_ask`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AskResult {
    /// The task that carried the question.
    pub task_id: TaskId,
    /// The agent's answer: the exact text of its turn.
    pub answer: String,
    /// The slot that answered.
    pub slot_id: String,
    /// From the call to the answer, queueing included, in milliseconds.
    pub duration_ms: u64,
}

impl Tool for Ask {
    const NAME: &'static str = "mission_ask";
    const TITLE: &'static str = "Ask an agent and wait for the answer";
    const DESCRIPTION: &'static str = "Consult an expert agent: queue the prompt like \
        mission_submit (slotId, else role, else any idle slot) and wait until the \
        answer comes back, then return it. Use it when the next step needs the answer; \
        for parallel work use mission_submit. On timeout it fails with a timeout error \
        whose data holds the taskId: the task keeps running, and mission_task gives \
        the answer later. Fails like mission_submit on bad arguments, and with the \
        task's error if it fails.";
    const ANNOTATIONS: Annotations = QUEUES;
    type Params = AskParams;
    type Output = AskResult;
}

/// Arguments of `mission_status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusParams {
    /// How many recently finished tasks to list (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 100))]
    pub recent: Option<u32>,
}

/// How many tasks are in each status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TaskCounts {
    /// Waiting for a slot.
    pub queued: u64,
    /// On a slot now.
    pub running: u64,
    /// Finished with an answer.
    pub done: u64,
    /// Failed.
    pub failed: u64,
    /// Cancelled.
    pub cancelled: u64,
}

/// One slot in `mission_status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlotActivity {
    /// The slot.
    pub slot_id: String,
    /// Its role.
    pub role: String,
    /// What its agent is doing.
    pub state: SlotState,
    /// The task it runs, if any.
    pub task_id: Option<TaskId>,
    /// Whether it works on an autonomous goal (mission_autonomous_start).
    pub autonomous: bool,
}

/// Result of `mission_status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusResult {
    /// Tasks per status.
    pub counts: TaskCounts,
    /// Every slot, with its state and task, in configuration order.
    pub slots: Vec<SlotActivity>,
    /// Running tasks, oldest start first.
    pub running: Vec<TaskInfo>,
    /// Waiting tasks in the order they will run (at most 100).
    pub queued: Vec<TaskInfo>,
    /// Recently finished tasks, newest first.
    pub recent: Vec<TaskInfo>,
    /// Unread messages in mission_inbox.
    pub unread_messages: u64,
}

impl Tool for QueueStatus {
    const NAME: &'static str = "mission_status";
    const TITLE: &'static str = "The work going on";
    const DESCRIPTION: &'static str = "Overview of the task queue: how many tasks are \
        queued, running, done, failed and cancelled; what each slot is doing and which \
        task it runs; the running and waiting tasks in the order they will run; the \
        latest finished ones; and how many inbox messages are unread. Use it to decide \
        what to submit next or whether to wait; mission_task gives full results.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = StatusParams;
    type Output = StatusResult;
}

/// Arguments of `mission_cancel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelParams {
    /// The task to cancel.
    pub task_id: TaskId,
    /// Why, kept with the task (default: "cancelled by the orchestrator").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Result of `mission_cancel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CancelResult {
    /// The task.
    pub task_id: TaskId,
    /// Its status before the call.
    pub previous_status: TaskStatus,
    /// Its status now (`cancelled`).
    pub status: TaskStatus,
    /// The slot whose turn was interrupted, when the task was running.
    pub interrupted_slot: Option<String>,
}

impl Tool for Cancel {
    const NAME: &'static str = "mission_cancel";
    const TITLE: &'static str = "Cancel a task";
    const DESCRIPTION: &'static str = "Cancel a queued or running task. A queued task \
        leaves the queue; a running one has its agent's turn interrupted (as Esc would) \
        and the slot becomes free for the next task. Cancelling a cancelled task does \
        nothing. Fails with invalid_choice for a task already done or failed, and \
        invalid_params for an unknown task id.";
    const ANNOTATIONS: Annotations = Annotations {
        destructive_hint: true,
        idempotent_hint: true,
        ..QUEUES
    };
    type Params = CancelParams;
    type Output = CancelResult;
}

/// Arguments of `mission_slot_history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlotHistoryParams {
    /// The slot's id.
    pub slot_id: String,
    /// How many runs to return, newest first (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u32>,
}

/// One start of a task on a slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskRunInfo {
    /// The task.
    pub task_id: TaskId,
    /// 1 for its first start, 2 for its first retry, ...
    pub attempt: u32,
    /// The task's prompt.
    pub prompt: String,
    /// The task's status now.
    pub task_status: TaskStatus,
    /// When this run started.
    pub started_at: String,
    /// When it ended (absent while running).
    pub ended_at: Option<String>,
    /// How it ended: done, failed, cancelled, or interrupted (the slot died or the
    /// daemon restarted).
    pub outcome: Option<RunOutcome>,
    /// Why, for failures and interruptions.
    pub detail: Option<String>,
}

/// Result of `mission_slot_history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlotHistoryResult {
    /// The slot.
    pub slot_id: String,
    /// Its task runs, newest first.
    pub runs: Vec<TaskRunInfo>,
}

impl Tool for SlotHistory {
    const NAME: &'static str = "mission_slot_history";
    const TITLE: &'static str = "Which tasks a slot ran";
    const DESCRIPTION: &'static str = "List the tasks a slot ran, newest first: task id, \
        attempt, prompt, when it started and ended and how (done, failed, cancelled, \
        interrupted). Use it to see what an agent has worked on, or why a task moved \
        between slots; mission_pty_history lists the raw turns instead. Fails with \
        unknown_slot for an unknown slot.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = SlotHistoryParams;
    type Output = SlotHistoryResult;
}
