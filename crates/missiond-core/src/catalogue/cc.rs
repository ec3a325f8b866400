//! Tools of the sessions watcher: every Claude Code session on this machine (the slots'
//! and any other), their live status, their task lists, and handing a task list's
//! pending tasks to slots.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Annotations, Tool, ToolDef};
use crate::cc::model::{CcListedTask, CcSession};
use crate::conversations::Usage;
use crate::tasks::TaskId;

/// Default of `recentHours`.
pub const CC_RECENT_HOURS_DEFAULT: u32 = 24;
/// Most sessions one `mission_cc_sessions` call returns.
pub const CC_SESSIONS_MAX: u32 = 500;

/// `mission_cc_sessions`.
pub struct CcSessions;
/// `mission_cc_tasks`.
pub struct CcTasks;
/// `mission_cc_overview`.
pub struct CcOverview;
/// `mission_cc_in_progress`.
pub struct CcInProgress;
/// `mission_cc_trigger_swarm`.
pub struct CcTriggerSwarm;

/// Arguments of `mission_cc_sessions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CcSessionsParams {
    /// Only sessions whose process runs now (default false: running and recent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_only: Option<bool>,
    /// Sessions active within this many hours count as recent (default 24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 8760))]
    pub recent_hours: Option<u32>,
    /// At most this many, latest activity first (default and most 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 500))]
    pub limit: Option<u32>,
}

/// Result of `mission_cc_sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CcSessionsResult {
    /// The sessions, running ones first, then latest activity first.
    pub sessions: Vec<CcSession>,
    /// The Claude Code config folders watched.
    pub config_dirs: Vec<String>,
}

impl Tool for CcSessions {
    const NAME: &'static str = "mission_cc_sessions";
    const TITLE: &'static str = "Claude Code sessions on this machine";
    const DESCRIPTION: &'static str = "List the Claude Code sessions on this machine, \
        the slots' and every other (started by a person, the orchestrator, scripts), \
        as the sessions watcher sees them in the watched config folders: running ones \
        and those active within recentHours (default 24). Each with session id, cwd \
        and project, status (idle, busy, waiting with waitingFor, shell; exited once \
        its process is gone; unknown without a status file), whether its process \
        lives, pid, model, tokens, last activity and the slot when it is a slot's. \
        activeOnly keeps running ones. Read a session's messages with \
        mission_conversation_get, its task list with mission_cc_tasks.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = CcSessionsParams;
    type Output = CcSessionsResult;
}

/// Arguments of `mission_cc_tasks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CcTasksParams {
    /// The session (or a task list id: a team's name, `CLAUDE_CODE_TASK_LIST_ID`).
    #[schemars(length(min = 1))]
    pub session_id: String,
}

/// Result of `mission_cc_tasks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CcTasksResult {
    /// The session (or list) asked about.
    pub session_id: String,
    /// Its tasks, by id (empty when it has no task list).
    pub tasks: Vec<CcListedTask>,
}

impl Tool for CcTasks {
    const NAME: &'static str = "mission_cc_tasks";
    const TITLE: &'static str = "A Claude Code session's task list";
    const DESCRIPTION: &'static str = "The task list of a Claude Code session (what its \
        TaskCreate/TaskUpdate tools keep under <config dir>/tasks/<list id>/): each \
        task's id, subject, description, status (pending, in_progress, completed), \
        owner, blocks and blockedBy. The list id is the session id, or a team's name. \
        Fails with invalid_params when neither a session nor a task list of that id \
        is known.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = CcTasksParams;
    type Output = CcTasksResult;
}

/// Task counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CcTaskCounts {
    /// Task lists.
    pub lists: u64,
    /// Tasks in them.
    pub total: u64,
    /// Pending.
    pub pending: u64,
    /// In progress.
    pub in_progress: u64,
    /// Completed.
    pub completed: u64,
}

/// Result of `mission_cc_overview`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CcOverviewResult {
    /// Sessions with a status file or activity within 24 hours.
    pub sessions: u64,
    /// Of which running now.
    pub active: u64,
    /// Running sessions per status (idle, busy, waiting, shell).
    pub by_status: std::collections::BTreeMap<String, u64>,
    /// Running sessions that are slots'.
    pub slot_sessions: u64,
    /// Tasks of every task list.
    pub tasks: CcTaskCounts,
    /// Tokens of every recorded session (each API response once).
    pub tokens: Usage,
    /// Of which the slots' sessions.
    pub slot_tokens: Usage,
    /// Of which other sessions.
    pub external_tokens: Usage,
    /// The config folders watched.
    pub config_dirs: Vec<String>,
}

impl Tool for CcOverview {
    const NAME: &'static str = "mission_cc_overview";
    const TITLE: &'static str = "Claude Code sessions: overview";
    const DESCRIPTION: &'static str = "Counts and totals over every Claude Code session \
        the watcher sees: sessions recent and running, running ones per status, task \
        counts over every task list (pending, in progress, completed), and token totals \
        of all recorded sessions, split between the slots' and the others.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = super::EmptyParams;
    type Output = CcOverviewResult;
}

/// Result of `mission_cc_in_progress`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CcInProgressResult {
    /// Every in-progress task, with its list.
    pub tasks: Vec<CcListedTask>,
}

impl Tool for CcInProgress {
    const NAME: &'static str = "mission_cc_in_progress";
    const TITLE: &'static str = "Claude Code tasks in progress";
    const DESCRIPTION: &'static str = "Every task in progress across all the Claude Code \
        task lists on this machine (status in_progress), each with its task list id \
        (usually the session id) and config folder.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = super::EmptyParams;
    type Output = CcInProgressResult;
}

/// Arguments of `mission_cc_trigger_swarm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CcTriggerSwarmParams {
    /// The session whose task list to hand out (or a task list id).
    #[schemars(length(min = 1))]
    pub session_id: String,
    /// Hand the tasks to these slots, one after the other in turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots: Option<Vec<String>>,
    /// Else to the first idle slot of this role (else any idle slot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Only say what would be handed, queue nothing (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// One Claude Code task handed out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CcHanded {
    /// The Claude Code task's id.
    pub cc_task_id: String,
    /// Its subject.
    pub subject: String,
    /// The missiond task queued for it (absent on a dry run).
    pub task_id: Option<TaskId>,
    /// The slot it was pinned to, when slots were given.
    pub slot_id: Option<String>,
}

/// A Claude Code task not handed out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CcSkipped {
    /// The Claude Code task's id.
    pub cc_task_id: String,
    /// `already handed (task N)`, `in_progress`, `completed`, `owned by X`, `blocked by 1, 2`.
    pub reason: String,
}

/// Result of `mission_cc_trigger_swarm`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CcTriggerSwarmResult {
    /// The task list handed out.
    pub task_list_id: String,
    /// Tasks queued as missiond tasks now.
    pub handed: Vec<CcHanded>,
    /// Tasks left, with the reason.
    pub skipped: Vec<CcSkipped>,
}

impl Tool for CcTriggerSwarm {
    const NAME: &'static str = "mission_cc_trigger_swarm";
    const TITLE: &'static str = "Hand a Claude Code task list to slots";
    const DESCRIPTION: &'static str = "Hand the pending tasks of a Claude Code session's \
        task list to slots: each task that is pending, has no owner and waits for no \
        unfinished task becomes one missiond task (as mission_submit would queue it) \
        whose prompt is the task's subject and description. With slots, tasks are \
        pinned to them in turn; else they go to the first idle slot of role, else any \
        idle slot, queueing while all are busy. Each Claude Code task is handed once, \
        ever (remembered in $MISSIOND_HOME/cc-swarm.json): calling again hands only \
        new ready tasks. Claude Code's own list is not changed; answers arrive in \
        mission_inbox and mission_task. dryRun shows what would be handed.";
    const ANNOTATIONS: Annotations = Annotations {
        read_only_hint: false,
        destructive_hint: false,
        idempotent_hint: true,
        open_world_hint: false,
    };
    type Params = CcTriggerSwarmParams;
    type Output = CcTriggerSwarmResult;
}

/// This area's tools, in display order.
pub(super) fn defs() -> Vec<ToolDef> {
    vec![
        ToolDef::of::<CcSessions>(),
        ToolDef::of::<CcTasks>(),
        ToolDef::of::<CcOverview>(),
        ToolDef::of::<CcInProgress>(),
        ToolDef::of::<CcTriggerSwarm>(),
    ]
}
