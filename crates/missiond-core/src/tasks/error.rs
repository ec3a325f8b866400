//! Why a task operation was refused, and the JSON-RPC error each reason becomes.

use serde_json::json;

use super::{TaskId, TaskStatus};
use crate::ipc::{ErrorCode, RpcError};
use crate::store::StoreError;

/// A refused or failed task operation.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// No task has this id.
    #[error("unknown task {0}: check the id mission_submit returned")]
    UnknownTask(TaskId),
    /// The task's status does not allow the change (a finished task cannot run again).
    #[error("task {id} is {status}: cannot {action}")]
    Transition {
        /// The task.
        id: TaskId,
        /// Its status now.
        status: TaskStatus,
        /// What was asked (`cancel it`, `start it`).
        action: &'static str,
    },
    /// The task runs on another slot (or none) than the one reporting on it.
    #[error("task {id} is not running on slot `{slot}`")]
    WrongSlot {
        /// The task.
        id: TaskId,
        /// The slot that reported.
        slot: String,
    },
    /// The slot already runs a task; a slot takes one at a time.
    #[error("slot `{slot}` is already running task {task}")]
    SlotBusy {
        /// The slot.
        slot: String,
        /// The task it runs.
        task: TaskId,
    },
    /// No slot with this id is configured.
    #[error("unknown slot `{0}`")]
    UnknownSlot(String),
    /// A parameter is out of range or empty; `field` is its wire name.
    #[error("invalid `{field}`: {message}")]
    Invalid {
        /// The parameter (`prompt`, `priority`, `role`).
        field: &'static str,
        /// What is wrong and what is accepted.
        message: String,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TaskError {
    /// As a JSON-RPC error: unknown ids and bad values are `invalid_params` naming the
    /// field; impossible changes are `invalid_choice`; a busy slot is `slot_busy`.
    pub fn to_rpc(&self) -> RpcError {
        match self {
            TaskError::UnknownTask(id) => RpcError::invalid_params("taskId", self)
                .with_data(json!({ "field": "taskId", "taskId": id })),
            TaskError::Transition { id, status, .. } => {
                RpcError::new(ErrorCode::InvalidChoice, self.to_string())
                    .with_data(json!({ "taskId": id, "status": status }))
            }
            TaskError::WrongSlot { id, slot } => {
                RpcError::new(ErrorCode::InvalidChoice, self.to_string())
                    .with_data(json!({ "taskId": id, "slotId": slot }))
            }
            TaskError::SlotBusy { slot, task } => {
                RpcError::new(ErrorCode::SlotBusy, format!("{self}: wait, or cancel it"))
                    .with_data(json!({ "slotId": slot, "taskId": task }))
            }
            TaskError::UnknownSlot(slot) => RpcError::unknown_slot(slot),
            TaskError::Invalid { field, message } => RpcError::invalid_params(field, message),
            TaskError::Store(e) => e.to_rpc(),
        }
    }
}

impl From<TaskError> for RpcError {
    fn from(e: TaskError) -> RpcError {
        e.to_rpc()
    }
}
