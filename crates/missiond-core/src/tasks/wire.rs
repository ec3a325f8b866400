//! Conversions between the queue's types and the tools' wire types.

use super::{Task, TaskError, TaskQueue, TaskRun, TaskStatus};
use crate::catalogue::{
    AskParams, SlotActivity, StatusResult, SubmitParams, TaskCounts, TaskInfo, TaskRunInfo,
};
use crate::tasks::SubmitRequest;
use crate::time::rfc3339_ms;

/// Most queued tasks `mission_status` lists.
const STATUS_QUEUED_MAX: u32 = 100;

impl Task {
    /// As `mission_task` and `mission_status` report it.
    pub fn info(&self) -> TaskInfo {
        TaskInfo {
            task_id: self.id,
            status: self.status,
            prompt: self.prompt.clone(),
            slot_id: self.assigned_slot.clone(),
            requested_slot_id: self.slot_id.clone(),
            requested_role: self.role.clone(),
            priority: self.priority,
            attempts: self.attempts,
            created_at: rfc3339_ms(self.created_at),
            started_at: self.started_at.map(rfc3339_ms),
            ended_at: self.ended_at.map(rfc3339_ms),
            result: self.result.clone(),
            error: self.error.clone(),
        }
    }
}

impl TaskRun {
    /// As `mission_slot_history` reports it.
    pub fn info(&self) -> TaskRunInfo {
        TaskRunInfo {
            task_id: self.task_id,
            attempt: self.attempt,
            prompt: self.prompt.clone(),
            task_status: self.task_status,
            started_at: rfc3339_ms(self.started_at),
            ended_at: self.ended_at.map(rfc3339_ms),
            outcome: self.outcome,
            detail: self.detail.clone(),
        }
    }
}

impl From<SubmitParams> for SubmitRequest {
    fn from(p: SubmitParams) -> SubmitRequest {
        SubmitRequest {
            prompt: p.prompt,
            slot_id: p.slot_id,
            role: p.role,
            priority: p.priority,
            ask: false,
        }
    }
}

impl From<&AskParams> for SubmitRequest {
    fn from(p: &AskParams) -> SubmitRequest {
        SubmitRequest {
            prompt: p.prompt.clone(),
            slot_id: p.slot_id.clone(),
            role: p.role.clone(),
            priority: None,
            ask: true,
        }
    }
}

impl TaskQueue {
    /// `mission_status`'s answer: the queue's side, with the daemon's view of the slots.
    pub fn status(&self, slots: Vec<SlotActivity>, recent: u32) -> Result<StatusResult, TaskError> {
        let store = self.store();
        let [queued, running, done, failed, cancelled] = store.task_counts()?;
        let infos = |status: TaskStatus, limit: u32| -> Result<Vec<TaskInfo>, TaskError> {
            Ok(store
                .tasks_with_status(status, limit)?
                .iter()
                .map(Task::info)
                .collect())
        };
        let mut recent_tasks = Vec::new();
        for status in [TaskStatus::Done, TaskStatus::Failed, TaskStatus::Cancelled] {
            recent_tasks.extend(infos(status, recent)?);
        }
        // Newest first across the three lists; RFC 3339 strings sort as times.
        recent_tasks.sort_by(|a, b| b.ended_at.cmp(&a.ended_at).then(b.task_id.cmp(&a.task_id)));
        recent_tasks.truncate(recent as usize);
        Ok(StatusResult {
            counts: TaskCounts {
                queued,
                running,
                done,
                failed,
                cancelled,
            },
            slots,
            running: infos(TaskStatus::Running, u32::MAX)?,
            queued: infos(TaskStatus::Queued, STATUS_QUEUED_MAX)?,
            recent: recent_tasks,
            unread_messages: store.unread_count()?,
        })
    }
}
