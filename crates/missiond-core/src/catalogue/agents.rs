//! Slot lifecycle tools at the task level: start, stop, restart an agent, with what
//! happens to the task it was running.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::params::SlotParams;
use super::pty::PtySpawnResult;
use super::types::SlotState;
use super::{Annotations, Tool};
use crate::tasks::{TaskId, TaskStatus};

const LIFECYCLE: Annotations = Annotations {
    read_only_hint: false,
    destructive_hint: true,
    idempotent_hint: false,
    open_world_hint: true,
};

/// `mission_spawn`.
pub struct Spawn;
/// `mission_kill`.
pub struct Kill;
/// `mission_restart`.
pub struct Restart;

impl Tool for Spawn {
    const NAME: &'static str = "mission_spawn";
    const TITLE: &'static str = "Start an agent for queued work";
    const DESCRIPTION: &'static str = "Start a configured slot's agent and wait until it \
        is ready; once idle it takes tasks from the queue (mission_submit). Calling it \
        on a running slot does nothing and says so (alreadyRunning). Returns the state \
        (normally Idle), process and session ids; state Confirming means a start-up \
        dialog needs an answer (see `dialog`, answer with mission_pty_confirm). Fails \
        with unknown_slot or spawn_failed.";
    const ANNOTATIONS: Annotations = Annotations {
        destructive_hint: false,
        idempotent_hint: true,
        ..LIFECYCLE
    };
    type Params = SlotParams;
    type Output = PtySpawnResult;
}

/// What happened to the task a stopped slot was running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskAftermath {
    /// The task.
    pub task_id: TaskId,
    /// `queued` (it will run on another slot, or here after a restart), `failed`
    /// (it was submitted for this stopped slot, or used all its attempts) or
    /// `cancelled`.
    pub status: TaskStatus,
    /// Why.
    pub reason: Option<String>,
}

/// Arguments of `mission_kill`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KillParams {
    /// The slot's id.
    pub slot_id: String,
    /// What to do with the task it is running: true (default) puts it back in the
    /// queue for another slot; false cancels it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requeue: Option<bool>,
}

/// Result of `mission_kill`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KillResult {
    /// The slot.
    pub slot_id: String,
    /// False when it was not running (nothing was done).
    pub was_running: bool,
    /// The process's exit code, when it exited normally.
    pub exit_code: Option<i32>,
    /// The task it was running, and what became of it.
    pub task: Option<TaskAftermath>,
}

impl Tool for Kill {
    const NAME: &'static str = "mission_kill";
    const TITLE: &'static str = "Stop an agent";
    const DESCRIPTION: &'static str = "Stop a slot's agent (its Claude Code process) so \
        it takes no more tasks. The task it was running goes back to the queue for \
        another slot (requeue true, the default; a task submitted for this very slot \
        fails instead) or is cancelled (requeue false); the result says which. Its \
        history stays. Killing a stopped slot does nothing (wasRunning false). Fails \
        with unknown_slot.";
    const ANNOTATIONS: Annotations = LIFECYCLE;
    type Params = KillParams;
    type Output = KillResult;
}

/// Result of `mission_restart`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RestartResult {
    /// The slot.
    pub slot_id: String,
    /// Its state after start-up (normally `Idle`).
    pub state: SlotState,
    /// The new process id.
    pub pid: Option<u32>,
    /// The new session id.
    pub session_id: Option<String>,
    /// The task it was running before the restart, and what became of it.
    pub task: Option<TaskAftermath>,
}

impl Tool for Restart {
    const NAME: &'static str = "mission_restart";
    const TITLE: &'static str = "Restart an agent";
    const DESCRIPTION: &'static str = "Stop a slot's agent if it runs and start it again \
        with a fresh session, then wait until it is ready. Use it for a stuck or \
        confused agent. The task it was running goes back to the queue (it may run on \
        this slot again). Returns the new state, process and session ids, and what \
        became of the task. Fails with unknown_slot or spawn_failed.";
    const ANNOTATIONS: Annotations = LIFECYCLE;
    type Params = SlotParams;
    type Output = RestartResult;
}
