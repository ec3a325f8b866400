//! The task tools (`mission_submit`, `mission_task`, `mission_ask`, `mission_status`,
//! `mission_cancel`, `mission_slot_history`) and `mission_inbox`, over the dispatcher.

use std::sync::Arc;
use std::time::Duration;

use missiond_core::catalogue::{
    self as cat, AskParams, AskResult, CancelParams, CancelResult, InboxParams, InboxResult,
    SlotHistoryParams, SlotHistoryResult, StatusParams, StatusResult, SubmitParams, SubmitResult,
    TaskParams, TaskResult,
};
use missiond_core::ipc::{ErrorCode, RpcError};
use missiond_core::tasks::{SubmitRequest, Task, TaskRun, TaskStatus};
use missiond_core::time::now_ms;
use serde_json::json;
use tokio::time::Instant;

use super::dispatch::Dispatcher;

/// `mission_submit`.
pub fn submit(d: &Arc<Dispatcher>, p: SubmitParams) -> Result<SubmitResult, RpcError> {
    let fresh = p.fresh_workspace == Some(true);
    let task = d.submit_with(&SubmitRequest::from(p), fresh)?;
    let queue_position = match task.status {
        TaskStatus::Queued => d.queue().position(task.id)?,
        _ => None,
    };
    Ok(SubmitResult {
        task_id: task.id,
        status: task.status,
        slot_id: task
            .assigned_slot
            .filter(|_| task.status == TaskStatus::Running),
        queue_position,
    })
}

/// `mission_task`.
pub fn task(d: &Dispatcher, p: &TaskParams) -> Result<TaskResult, RpcError> {
    if p.task_ids.is_empty() || p.task_ids.len() > cat::TASK_IDS_MAX {
        return Err(RpcError::invalid_params(
            "taskIds",
            format!("give 1 to {} task ids", cat::TASK_IDS_MAX),
        ));
    }
    let tasks = d.queue().get_many(&p.task_ids)?;
    Ok(TaskResult {
        tasks: tasks.iter().map(Task::info).collect(),
    })
}

/// `mission_ask`: submit, then wait for the task to end.
pub async fn ask(d: &Arc<Dispatcher>, p: AskParams) -> Result<AskResult, RpcError> {
    let began = std::time::Instant::now();
    let timeout_ms = p.timeout_ms();
    let deadline = Instant::now() + Duration::from_millis(timeout_ms);
    let mut rx = d.subscribe_finished();
    let id = d.submit(&SubmitRequest::from(&p))?.id;
    loop {
        let task = d.queue().get(id)?;
        match task.status {
            TaskStatus::Done => {
                return Ok(AskResult {
                    task_id: id,
                    answer: task.result.unwrap_or_default(),
                    slot_id: task.assigned_slot.unwrap_or_default(),
                    duration_ms: began.elapsed().as_millis() as u64,
                });
            }
            TaskStatus::Failed | TaskStatus::Cancelled => {
                let why = task.error.unwrap_or_default();
                return Err(RpcError::new(
                    ErrorCode::Internal,
                    format!("task {id} {}: {why}", task.status),
                )
                .with_data(json!({"taskId": id, "status": task.status, "error": why})));
            }
            TaskStatus::Queued | TaskStatus::Running => {}
        }
        if tokio::time::timeout_at(deadline, rx.changed())
            .await
            .is_err()
        {
            return Err(RpcError::new(
                ErrorCode::Timeout,
                format!(
                    "task {id} had no answer within {timeout_ms} ms; it keeps going: \
                     mission_task gives its answer later"
                ),
            )
            .with_data(json!({"taskId": id, "status": task.status, "timeoutMs": timeout_ms})));
        }
    }
}

/// `mission_status`.
pub fn status(d: &Dispatcher, p: &StatusParams) -> Result<StatusResult, RpcError> {
    let recent = p.recent.unwrap_or(cat::STATUS_RECENT_DEFAULT).clamp(0, 100);
    Ok(d.queue().status(d.activity(), recent)?)
}

/// `mission_cancel`.
pub fn cancel(d: &Arc<Dispatcher>, p: CancelParams) -> Result<CancelResult, RpcError> {
    let reason = p
        .reason
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| "cancelled by the orchestrator".to_string());
    let c = d.cancel(p.task_id, &reason)?;
    Ok(CancelResult {
        task_id: c.task.id,
        previous_status: c.was,
        status: c.task.status,
        interrupted_slot: c.interrupt_slot,
    })
}

/// `mission_slot_history`.
pub fn slot_history(d: &Dispatcher, p: &SlotHistoryParams) -> Result<SlotHistoryResult, RpcError> {
    d.supervisor().get(&p.slot_id)?;
    let limit = p.limit.unwrap_or(cat::SLOT_HISTORY_DEFAULT).clamp(1, 1000);
    let runs = d.queue().slot_history(&p.slot_id, limit)?;
    Ok(SlotHistoryResult {
        slot_id: p.slot_id.clone(),
        runs: runs.iter().map(TaskRun::info).collect(),
    })
}

/// `mission_inbox`.
pub fn inbox(d: &Dispatcher, p: &InboxParams) -> Result<InboxResult, RpcError> {
    missiond_core::inbox::read(d.queue().store(), p, now_ms()).map_err(|e| e.to_rpc())
}
