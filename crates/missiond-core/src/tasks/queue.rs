//! [`TaskQueue`]: the task queue over the store. Every change of a task is one SQLite
//! transaction (status, run history and inbox message together), so a crash between two
//! statements cannot leave a task in two places.

use std::sync::Arc;

use rusqlite::Connection;
use serde_json::json;

use super::route::{SlotView, route};
use super::{NewTask, RunOutcome, Task, TaskError, TaskId, TaskOrigin, TaskRun, TaskStatus};
use crate::inbox::{InboxKind, NewMessage};
use crate::store::inbox::insert_message;
use crate::store::tasks as sql;
use crate::store::{Store, query_err};

/// Lowest priority accepted.
pub const PRIORITY_MIN: i32 = -100;
/// Highest priority accepted.
pub const PRIORITY_MAX: i32 = 100;
/// Longest prompt accepted, in bytes.
pub const PROMPT_MAX_BYTES: usize = 1_000_000;

/// When an interrupted task is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Starts allowed per task; an interrupted task that used them all is failed.
    pub max_attempts: u32,
    /// Whether a task pinned to a slot that died waits for that slot to come back
    /// (`true`) or fails at once (`false`: no other slot may run it).
    pub requeue_pinned: bool,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            requeue_pinned: false,
        }
    }
}

/// A task to submit, as the tools give it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmitRequest {
    /// The prompt (not blank).
    pub prompt: String,
    /// Run on this slot only.
    pub slot_id: Option<String>,
    /// Run on a slot of this role.
    pub role: Option<String>,
    /// Higher first, from [`PRIORITY_MIN`] to [`PRIORITY_MAX`]; default 0.
    pub priority: Option<i32>,
    /// `mission_ask` sets this to [`TaskOrigin::Ask`].
    pub ask: bool,
}

/// What cancelling did. The run is closed at once, so the queue counts the slot as
/// free: the daemon must interrupt it and only report it idle once the turn has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancelled {
    /// The task after the change.
    pub task: Task,
    /// Its status before.
    pub was: TaskStatus,
    /// The slot whose turn the daemon must interrupt (the task was running there).
    pub interrupt_slot: Option<String>,
}

/// What happened to a task whose run was cut short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retried {
    /// The task after the change: `Queued` again, or `Failed` with the reason.
    pub task: Task,
    /// The slot it was running on.
    pub slot_id: String,
}

/// What [`TaskQueue::recover_after_restart`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Tasks that were running and are queued again.
    pub requeued: Vec<TaskId>,
    /// Tasks that were running and used all their attempts, with the reason.
    pub failed: Vec<(TaskId, String)>,
    /// Tasks waiting in the queue now (including the requeued ones).
    pub queued: usize,
    /// The inbox notice describing the recovery, when there was anything to say.
    pub notice: Option<i64>,
}

/// The task queue.
#[derive(Debug, Clone)]
pub struct TaskQueue {
    store: Arc<Store>,
    policy: RetryPolicy,
}

impl TaskQueue {
    /// A queue over `store`.
    pub fn new(store: Arc<Store>, policy: RetryPolicy) -> TaskQueue {
        TaskQueue { store, policy }
    }

    /// The store.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The retry policy.
    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    /// Checks and queues a task; `slots` are the configured slots (an unknown slot or
    /// role would wait forever, so it is refused).
    pub fn submit(
        &self,
        req: &SubmitRequest,
        slots: &[SlotView],
        now: i64,
    ) -> Result<Task, TaskError> {
        self.submit_with(req, slots, now, false)
    }

    /// [`TaskQueue::submit`]; `fresh_workspace` flags the task, in the same transaction,
    /// to start in a fresh worktree (see [`Store::task_take_fresh_workspace`]).
    pub fn submit_with(
        &self,
        req: &SubmitRequest,
        slots: &[SlotView],
        now: i64,
        fresh_workspace: bool,
    ) -> Result<Task, TaskError> {
        let priority = validate(req, slots)?;
        let new = NewTask {
            prompt: &req.prompt,
            slot_id: req.slot_id.as_deref(),
            role: req.role.as_deref(),
            priority,
            origin: if req.ask {
                TaskOrigin::Ask
            } else {
                TaskOrigin::Submit
            },
            max_attempts: self.policy.max_attempts.max(1),
            created_at: now,
        };
        self.store.write("submitting a task", |tx| {
            let id = sql::insert_task(tx, &new).map_err(query_err("submitting a task"))?;
            if fresh_workspace {
                crate::store::task_fresh::mark(tx, id).map_err(query_err("submitting a task"))?;
            }
            load(tx, id)
        })
    }

    /// One task.
    pub fn get(&self, id: TaskId) -> Result<Task, TaskError> {
        self.store.task(id)?.ok_or(TaskError::UnknownTask(id))
    }

    /// Several tasks, in the order asked; the first unknown id is an error.
    pub fn get_many(&self, ids: &[TaskId]) -> Result<Vec<Task>, TaskError> {
        ids.iter().map(|id| self.get(*id)).collect()
    }

    /// How many tasks wait ahead of `id` (0 = next), `None` if it is not queued.
    pub fn position(&self, id: TaskId) -> Result<Option<u32>, TaskError> {
        Ok(sql::queue_position(&self.store.conn(), id)
            .map_err(query_err("reading a queue position"))?)
    }

    /// The waiting tasks, in queue order (at most `limit`).
    pub fn queued(&self, limit: u32) -> Result<Vec<Task>, TaskError> {
        Ok(self.store.tasks_with_status(TaskStatus::Queued, limit)?)
    }

    /// Which tasks `slot` ran, newest first.
    pub fn slot_history(&self, slot: &str, limit: u32) -> Result<Vec<TaskRun>, TaskError> {
        Ok(self.store.slot_task_runs(slot, limit)?)
    }

    /// Routes the queue onto the idle `slots` and starts each assignment; returns the
    /// tasks now running, for the daemon to send their prompts. An assignment another
    /// caller got to first is skipped.
    pub fn assign(&self, slots: &[SlotView], now: i64) -> Result<Vec<Task>, TaskError> {
        if !slots.iter().any(|s| s.idle) {
            return Ok(Vec::new());
        }
        let queued = self.queued(u32::MAX)?;
        let mut started = Vec::new();
        for a in route(&queued, slots) {
            match self.claim(a.task_id, &a.slot_id, now) {
                Ok(task) => started.push(task),
                Err(TaskError::Transition { .. } | TaskError::SlotBusy { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(started)
    }

    /// Starts task `id` on `slot`, atomically: fails if the task is no longer queued or
    /// the slot already runs a task, so two callers can never both take it. A task
    /// pinned to another slot is refused; the role is the caller's to check
    /// ([`SlotView::accepts`]), as [`assign`](TaskQueue::assign) does through routing.
    pub fn claim(&self, id: TaskId, slot: &str, now: i64) -> Result<Task, TaskError> {
        self.store.write("starting a task", |tx| {
            let task = load(tx, id)?;
            if task.status != TaskStatus::Queued {
                return Err(transition(&task, "start it"));
            }
            if task.slot_id.as_deref().is_some_and(|s| s != slot) {
                return Err(TaskError::WrongSlot {
                    id,
                    slot: slot.to_string(),
                });
            }
            start(tx, id, slot, now)
        })
    }

    /// Starts the first queued task `slot` may run, if any (atomically, as [`claim`]).
    ///
    /// [`claim`]: TaskQueue::claim
    pub fn claim_next(&self, slot: &SlotView, now: i64) -> Result<Option<Task>, TaskError> {
        self.store.write("starting a task", |tx| {
            let next = sql::next_for(tx, &slot.slot_id, &slot.role)
                .map_err(query_err("choosing a task"))?;
            next.map(|id| start(tx, id, &slot.slot_id, now)).transpose()
        })
    }

    /// The task's turn on `slot` ended: it is done, with the turn's text as its answer.
    pub fn complete(
        &self,
        id: TaskId,
        slot: &str,
        answer: &str,
        now: i64,
    ) -> Result<Task, TaskError> {
        self.end_run(id, slot, TaskStatus::Done, answer, now)
    }

    /// The task failed on `slot` (an error on screen, a refused tool ...), for `reason`.
    pub fn fail(&self, id: TaskId, slot: &str, reason: &str, now: i64) -> Result<Task, TaskError> {
        self.end_run(id, slot, TaskStatus::Failed, reason, now)
    }

    fn end_run(
        &self,
        id: TaskId,
        slot: &str,
        to: TaskStatus,
        text: &str,
        now: i64,
    ) -> Result<Task, TaskError> {
        let (outcome, result, error, kind) = match to {
            TaskStatus::Done => (RunOutcome::Done, Some(text), None, InboxKind::TaskDone),
            _ => (RunOutcome::Failed, None, Some(text), InboxKind::TaskFailed),
        };
        self.store.write("finishing a task", |tx| {
            let task = load(tx, id)?;
            if !task.status.can_become(to) {
                return Err(transition(&task, "finish it"));
            }
            if task.assigned_slot.as_deref() != Some(slot) {
                return Err(TaskError::WrongSlot {
                    id,
                    slot: slot.to_string(),
                });
            }
            sql::close_run(tx, id, outcome, error, now).map_err(query_err("finishing a task"))?;
            sql::finish(tx, id, to, result, error, now).map_err(query_err("finishing a task"))?;
            let task = load(tx, id)?;
            if kind == InboxKind::TaskFailed || task.origin == TaskOrigin::Submit {
                post(tx, task_message(&task, kind, text, now))?;
            }
            Ok(task)
        })
    }

    /// Cancels a queued or running task. A running task's slot must then be
    /// interrupted by the daemon ([`Cancelled::interrupt_slot`]). Cancelling a cancelled
    /// task changes nothing; a done or failed one is refused.
    pub fn cancel(&self, id: TaskId, reason: &str, now: i64) -> Result<Cancelled, TaskError> {
        self.store.write("cancelling a task", |tx| {
            let task = load(tx, id)?;
            let was = task.status;
            if was == TaskStatus::Cancelled {
                return Ok(Cancelled {
                    task,
                    was,
                    interrupt_slot: None,
                });
            }
            if !was.can_become(TaskStatus::Cancelled) {
                return Err(transition(&task, "cancel it"));
            }
            sql::close_run(tx, id, RunOutcome::Cancelled, Some(reason), now)
                .map_err(query_err("cancelling a task"))?;
            sql::finish(tx, id, TaskStatus::Cancelled, None, Some(reason), now)
                .map_err(query_err("cancelling a task"))?;
            let interrupt_slot = (was == TaskStatus::Running)
                .then(|| task.assigned_slot.clone())
                .flatten();
            Ok(Cancelled {
                task: load(tx, id)?,
                was,
                interrupt_slot,
            })
        })
    }

    /// The slot's process ended (crashed, killed, restarted): the task it was running,
    /// if any, goes back to the queue, or fails with `reason` when it used all its
    /// attempts. A task pinned to this slot waits for it when it `returns` (a restart)
    /// or the policy says so ([`RetryPolicy::requeue_pinned`]), and fails otherwise.
    pub fn slot_lost(
        &self,
        slot: &str,
        reason: &str,
        returns: bool,
        now: i64,
    ) -> Result<Option<Retried>, TaskError> {
        self.store.write("requeueing a task", |tx| {
            let Some(id) = sql::running_on(tx, slot).map_err(query_err("finding a slot's task"))?
            else {
                return Ok(None);
            };
            let task = load(tx, id)?;
            let pinned_fails = task.slot_id.is_some() && !returns && !self.policy.requeue_pinned;
            let detail = format!("slot `{slot}` stopped: {reason}");
            let task = interrupt(tx, &task, &detail, pinned_fails, now)?;
            Ok(Some(Retried {
                task,
                slot_id: slot.to_string(),
            }))
        })
    }

    /// Fails the queued tasks no configured slot can ever run (pinned to a slot, or
    /// naming a role, that `slots` no longer has), so they do not wait forever. Call it
    /// at start-up and after the slot configuration changes.
    pub fn fail_unroutable(&self, slots: &[SlotView], now: i64) -> Result<Vec<Task>, TaskError> {
        self.store.write("failing unroutable tasks", |tx| {
            let mut failed = Vec::new();
            let queued = sql::ids_with_status(tx, TaskStatus::Queued)
                .map_err(query_err("failing unroutable tasks"))?;
            for id in queued {
                let task = load(tx, id)?;
                if slots.iter().any(|s| s.accepts(&task)) {
                    continue;
                }
                let reason = match (&task.slot_id, &task.role) {
                    (Some(slot), _) => format!("slot `{slot}` is no longer configured"),
                    (None, Some(role)) => format!("no configured slot has the role `{role}`"),
                    (None, None) => "no slot is configured".to_string(),
                };
                sql::finish(tx, id, TaskStatus::Failed, None, Some(&reason), now)
                    .map_err(query_err("failing unroutable tasks"))?;
                let task = load(tx, id)?;
                post(tx, task_message(&task, InboxKind::TaskFailed, &reason, now))?;
                failed.push(task);
            }
            Ok(failed)
        })
    }

    /// Accounts for every task after a daemon crash or restart, in one transaction:
    /// tasks that were running go back to the queue (attempt counted), or fail when they
    /// used all their attempts; queued tasks stay. A notice goes to the inbox when
    /// anything was interrupted. Call it once at start-up, before any slot takes work.
    pub fn recover_after_restart(&self, now: i64) -> Result<RecoveryReport, TaskError> {
        self.store.write("recovering the task queue", |tx| {
            let running = sql::ids_with_status(tx, TaskStatus::Running)
                .map_err(query_err("recovering the task queue"))?;
            let mut report = RecoveryReport::default();
            for id in running {
                let task = load(tx, id)?;
                let after = interrupt(tx, &task, "the daemon restarted", false, now)?;
                match after.status {
                    TaskStatus::Queued => report.requeued.push(id),
                    _ => report.failed.push((id, after.error.unwrap_or_default())),
                }
            }
            // Runs whose task is no longer running cannot exist (one transaction per
            // change), but close any defensively so the slots are free.
            sql::close_open_runs(tx, "the daemon restarted", now)
                .map_err(query_err("recovering the task queue"))?;
            report.queued = sql::ids_with_status(tx, TaskStatus::Queued)
                .map_err(query_err("recovering the task queue"))?
                .len();
            if !report.requeued.is_empty() || !report.failed.is_empty() {
                report.notice = Some(post(tx, recovery_notice(&report, now))?);
            }
            Ok(report)
        })
    }
}

/// Validates a submission; returns its priority.
fn validate(req: &SubmitRequest, slots: &[SlotView]) -> Result<i32, TaskError> {
    let invalid = |field, message: String| TaskError::Invalid { field, message };
    if req.prompt.trim().is_empty() {
        return Err(invalid("prompt", "the prompt is empty".into()));
    }
    if req.prompt.len() > PROMPT_MAX_BYTES {
        return Err(invalid(
            "prompt",
            format!(
                "the prompt is {} bytes; the limit is {PROMPT_MAX_BYTES}",
                req.prompt.len()
            ),
        ));
    }
    let priority = req.priority.unwrap_or(0);
    if !(PRIORITY_MIN..=PRIORITY_MAX).contains(&priority) {
        return Err(invalid(
            "priority",
            format!(
                "{priority} is out of range: use {PRIORITY_MIN} to {PRIORITY_MAX} \
                 (higher runs first)"
            ),
        ));
    }
    if let Some(slot) = &req.slot_id
        && !slots.iter().any(|s| s.slot_id == *slot)
    {
        return Err(TaskError::UnknownSlot(slot.clone()));
    }
    if let Some(role) = &req.role
        && req.slot_id.is_none()
        && !slots.iter().any(|s| s.role == *role)
    {
        let mut roles: Vec<&str> = slots.iter().map(|s| s.role.as_str()).collect();
        roles.sort_unstable();
        roles.dedup();
        return Err(invalid(
            "role",
            format!(
                "no slot has the role `{role}`; configured roles: {}",
                roles.join(", ")
            ),
        ));
    }
    Ok(priority)
}

fn load(conn: &Connection, id: TaskId) -> Result<Task, TaskError> {
    sql::get_task(conn, id)
        .map_err(query_err("reading a task"))?
        .ok_or(TaskError::UnknownTask(id))
}

fn transition(task: &Task, action: &'static str) -> TaskError {
    TaskError::Transition {
        id: task.id,
        status: task.status,
        action,
    }
}

/// Starts a queued task on `slot` (inside the caller's transaction).
fn start(conn: &Connection, id: TaskId, slot: &str, now: i64) -> Result<Task, TaskError> {
    if let Some(task) = sql::running_on(conn, slot).map_err(query_err("starting a task"))? {
        return Err(TaskError::SlotBusy {
            slot: slot.to_string(),
            task,
        });
    }
    if !sql::start(conn, id, slot, now).map_err(query_err("starting a task"))? {
        return Err(transition(&load(conn, id)?, "start it"));
    }
    load(conn, id)
}

/// Ends a running task's run as interrupted; requeues it, or fails it when `fail` is set
/// or it used all its attempts. Posts what happened to the inbox.
fn interrupt(
    conn: &Connection,
    task: &Task,
    detail: &str,
    fail: bool,
    now: i64,
) -> Result<Task, TaskError> {
    if task.status != TaskStatus::Running {
        return Err(transition(task, "requeue it"));
    }
    sql::close_run(conn, task.id, RunOutcome::Interrupted, Some(detail), now)
        .map_err(query_err("requeueing a task"))?;
    let kind = if fail || task.attempts >= task.max_attempts {
        let reason = if fail {
            format!("{detail}; the task is pinned to that slot")
        } else {
            format!("{detail}; gave up after {} attempts", task.attempts)
        };
        sql::finish(conn, task.id, TaskStatus::Failed, None, Some(&reason), now)
            .map_err(query_err("requeueing a task"))?;
        InboxKind::TaskFailed
    } else {
        sql::requeue(conn, task.id, detail).map_err(query_err("requeueing a task"))?;
        InboxKind::TaskRetried
    };
    let after = load(conn, task.id)?;
    let text = after.error.clone().unwrap_or_default();
    post(conn, task_message(&after, kind, &text, now))?;
    Ok(after)
}

fn task_message(task: &Task, kind: InboxKind, text: &str, now: i64) -> NewMessage {
    NewMessage {
        slot_id: task.assigned_slot.clone(),
        task_id: Some(task.id),
        data: json!({
            "status": task.status,
            "attempts": task.attempts,
            "prompt": excerpt(&task.prompt, 200),
        }),
        ..NewMessage::new(kind, text, now)
    }
}

fn recovery_notice(r: &RecoveryReport, now: i64) -> NewMessage {
    let text = format!(
        "missiond restarted: {} interrupted task(s) requeued, {} failed, {} waiting in the queue",
        r.requeued.len(),
        r.failed.len(),
        r.queued
    );
    let failed: Vec<_> = r
        .failed
        .iter()
        .map(|(id, why)| json!({"taskId": id, "reason": why}))
        .collect();
    NewMessage {
        data: json!({
            "requeued": r.requeued,
            "failed": failed,
            "queued": r.queued,
        }),
        ..NewMessage::new(InboxKind::Notice, text, now)
    }
}

fn post(conn: &Connection, m: NewMessage) -> Result<i64, TaskError> {
    Ok(insert_message(conn, &m).map_err(query_err("posting an inbox message"))?)
}

/// The first `max` characters of `s`, with `…` when cut.
fn excerpt(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
