//! The task queue: work for agents that survives crashes.
//!
//! A task is a prompt for an agent, submitted by the orchestrator (`mission_submit`,
//! `mission_ask`). It waits in the queue (SQLite) until [`route()`] gives it a slot, runs
//! there (one task per slot), and ends done (with the exact text of the turn), failed or
//! cancelled. A task whose slot dies goes back to the queue, or fails with the reason;
//! after a daemon crash [`TaskQueue::recover_after_restart`] does the same for every task
//! that was running. Each change is one transaction, and unique indexes on open runs
//! keep a task from running twice at once and a slot from taking two tasks.
//!
//! - [`model`]: ids, statuses and their allowed changes, the stored rows.
//! - [`mod@route`]: the pure choice of which task goes to which idle slot.
//! - [`queue`]: [`TaskQueue`], the operations the daemon calls.
//! - [`error`]: [`TaskError`] and the JSON-RPC errors it becomes.
//! - `wire`: conversions to and from the tool types of [`crate::catalogue`].
//!
//! The daemon's loop, in short: on every change that may free a slot or add work, call
//! [`TaskQueue::assign`] with the slots' views and send each returned task's prompt to
//! its slot; when the turn ends, [`TaskQueue::complete`] (or [`TaskQueue::fail`]); when a
//! slot dies, [`TaskQueue::slot_lost`]; on `mission_cancel`, [`TaskQueue::cancel`] and
//! interrupt the slot it names.

pub mod error;
pub mod model;
pub mod queue;
pub mod route;
mod wire;

pub use error::TaskError;
pub use model::{BadTaskId, NewTask, RunOutcome, Task, TaskId, TaskOrigin, TaskRun, TaskStatus};
pub use queue::{
    Cancelled, PRIORITY_MAX, PRIORITY_MIN, PROMPT_MAX_BYTES, RecoveryReport, Retried, RetryPolicy,
    SubmitRequest, TaskQueue,
};
pub use route::{Assignment, SlotView, route};

#[cfg(test)]
mod tests;
