//! The task dispatcher: routes queued tasks (missiond-core's [`TaskQueue`]) onto idle
//! Claude Code slots, runs each as one turn, and records how it ended.
//!
//! Decisions:
//! - **Event-driven.** A pass runs when a task is submitted or cancelled, when a slot
//!   becomes free for work or its process exits (one small watcher per slot follows the
//!   slot's change counter and wakes the dispatcher only when that changes), when a task
//!   ends, and on `mission_spawn`/`kill`/`restart`. A sweep every [`SWEEP`] is the safety
//!   net for anything missed.
//! - **Free slot** = Claude Code running, its screen `Idle` (or `Error`, whose prompt box
//!   takes the next prompt), no open turn, no `mission_pty_send` in progress (interactive
//!   use makes it busy for the dispatcher), no task of its own, no autonomous goal, not
//!   stopped by `mission_kill`. Other programs (bash ...) have no turn end, so they never
//!   take tasks.
//! - **Starting slots on demand.** Queued work starts the configured slots it needs:
//!   each queued task counts one running slot that may take it, and a task left over
//!   starts a stopped slot that may run it (once per [`RESPAWN_BACKOFF`] per slot, so a
//!   slot that dies at start-up is not restarted in a loop). Slots marked `autostart`
//!   start with the daemon. A slot stopped with `mission_kill` is left alone until
//!   `mission_spawn` or `mission_restart`.
//! - **Shutdown** leaves running tasks `running` on disk; the next start requeues them
//!   (as after a crash), so a stop the user asked for fails no task.
//! - **One owner per task run.** Every change of a running task (its turn ended, its slot
//!   was killed, it was cancelled) happens under one lock together with the in-memory
//!   claim, so a task is never finished twice or run twice at once; the queue's own
//!   unique indexes back this up on disk.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use missiond_core::catalogue::{SlotActivity, TaskAftermath};
use missiond_core::tasks::{
    RecoveryReport, RetryPolicy, SlotView, SubmitRequest, Task, TaskError, TaskId, TaskQueue,
};
use missiond_core::time::now_ms;
use semantic_terminal::State;
use tokio::sync::{Notify, watch};

use super::events::DaemonEvent;
use super::slot::Slot;
use super::supervisor::Supervisor;
use super::task_run::{self, Ending};
use super::turn::Turn;
use super::{lifecycle, pty_tools};

/// Period of the safety-net sweep.
pub const SWEEP: Duration = Duration::from_secs(5);
/// Seconds a cancelled task's turn gets to end after Esc before it is closed.
pub const CANCEL_TRIES: u32 = 15;
/// Least time between two on-demand starts of one slot.
pub const RESPAWN_BACKOFF: Duration = Duration::from_secs(30);

/// A task the dispatcher has handed to a slot.
#[derive(Debug, Clone, Copy)]
struct Claim {
    task: TaskId,
    /// Tells this run's runner from a later one on the same slot.
    generation: u64,
    /// Cancelled while running: the runner only frees the slot.
    cancelled: bool,
}

#[derive(Default)]
struct Book {
    /// Slot id to the task running there.
    claims: HashMap<String, Claim>,
    /// Slots stopped with `mission_kill`: not started on demand.
    held_down: HashSet<String>,
    /// When each slot was last started on demand.
    started_on_demand: HashMap<String, Instant>,
    next_generation: u64,
}

/// The dispatcher.
pub struct Dispatcher {
    sup: Arc<Supervisor>,
    queue: TaskQueue,
    state: Mutex<Book>,
    wake: Notify,
    /// Bumped whenever a task reaches a final state or changes slot.
    finished: watch::Sender<u64>,
}

impl Dispatcher {
    /// A dispatcher over `sup`'s slots and the store's task queue.
    pub fn new(sup: Arc<Supervisor>) -> Arc<Dispatcher> {
        let queue = TaskQueue::new(sup.ctx.records.shared_store(), RetryPolicy::default());
        Arc::new(Dispatcher {
            sup,
            queue,
            state: Mutex::new(Book::default()),
            wake: Notify::new(),
            finished: watch::channel(0).0,
        })
    }

    /// The daemon's start-up step: end slot processes a killed daemon left (see
    /// [`super::orphans`]), account for its tasks, start dispatching.
    pub fn boot(sup: &Arc<Supervisor>, endpoint: &str) -> Arc<Dispatcher> {
        let reaped = super::orphans::reap(endpoint, &sup.ctx.run_dir);
        if !reaped.is_empty() {
            eprintln!(
                "missiond: ended {} slot process(es) left by a previous daemon",
                reaped.len()
            );
        }
        let d = Dispatcher::new(Arc::clone(sup));
        match d.recover() {
            Ok(r) if !r.requeued.is_empty() || !r.failed.is_empty() => eprintln!(
                "missiond: tasks of the previous run: {} requeued, {} failed, {} queued",
                r.requeued.len(),
                r.failed.len(),
                r.queued
            ),
            Ok(_) => {}
            Err(e) => eprintln!("missiond: recovering the task queue: {e}"),
        }
        d.start();
        d
    }

    /// The task queue.
    pub fn queue(&self) -> &TaskQueue {
        &self.queue
    }

    /// The slots.
    pub fn supervisor(&self) -> &Arc<Supervisor> {
        &self.sup
    }

    fn lock(&self) -> MutexGuard<'_, Book> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Account for the tasks a previous daemon left (running ones go back to the queue
    /// or fail), and fail those no configured slot can run. Call before slots start.
    pub fn recover(&self) -> Result<RecoveryReport, TaskError> {
        let now = now_ms();
        let report = self.queue.recover_after_restart(now)?;
        let failed = self.queue.fail_unroutable(&self.views(&self.lock()), now)?;
        for task in failed {
            tracing::warn!(task = %task.id, "failed at start-up: {:?}", task.error);
        }
        Ok(report)
    }

    /// Start the event loop and one watcher per Claude Code slot.
    pub fn start(self: &Arc<Self>) {
        let d = Arc::downgrade(self);
        self.sup.on_each_slot(move |slot| {
            if slot.spec.claude {
                tokio::spawn(watch_slot(d.clone(), Arc::clone(slot)));
            }
        });
        let d = Arc::clone(self);
        tokio::spawn(async move {
            // `notify_one` keeps a permit when nobody waits, so a wake during a pass
            // is not lost.
            while !d.sup.ctx.is_shutting_down() {
                d.pass();
                let _ = tokio::time::timeout(SWEEP, d.wake.notified()).await;
            }
        });
    }

    /// Ask for a dispatch pass soon.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// A receiver that wakes whenever a task finishes or leaves its slot.
    pub fn subscribe_finished(&self) -> watch::Receiver<u64> {
        self.finished.subscribe()
    }

    fn announce(&self) {
        self.finished.send_modify(|v| *v = v.wrapping_add(1));
        self.wake();
    }

    /// The slots as the router sees them (Claude Code slots only).
    fn views(&self, st: &Book) -> Vec<SlotView> {
        self.sup
            .slots()
            .filter(|s| s.spec.claude)
            .map(|s| {
                let free = !st.claims.contains_key(&s.spec.id)
                    && !st.held_down.contains(&s.spec.id)
                    && is_free(&s);
                SlotView::new(s.spec.id.clone(), s.spec.config.role.clone(), free)
            })
            .collect()
    }

    /// Check and queue a task, then try to place it at once.
    pub fn submit(self: &Arc<Self>, req: &SubmitRequest) -> Result<Task, TaskError> {
        self.submit_with(req, false)
    }

    /// [`Dispatcher::submit`], the task flagged to start in a fresh worktree when
    /// `fresh_workspace` (stored with it: see `workspace_task`).
    pub fn submit_with(
        self: &Arc<Self>,
        req: &SubmitRequest,
        fresh_workspace: bool,
    ) -> Result<Task, TaskError> {
        if let Some(id) = &req.slot_id
            && let Ok(slot) = self.sup.get(id)
            && !slot.spec.claude
        {
            return Err(TaskError::Invalid {
                field: "slotId",
                message: format!(
                    "slot `{id}` does not run Claude Code; tasks run on Claude Code slots only"
                ),
            });
        }
        let task = {
            let st = self.lock();
            self.queue
                .submit_with(req, &self.views(&st), now_ms(), fresh_workspace)?
        };
        super::jarvis::task_submitted(&task.id.to_string());
        self.sup.ctx.events.publish(DaemonEvent::TaskQueued {
            task_id: task.id,
            slot_id: task.slot_id.clone(),
            role: task.role.clone(),
            priority: task.priority,
        });
        self.pass();
        self.queue.get(task.id)
    }

    /// One dispatch pass: start queued tasks on free slots, and start stopped slots that
    /// queued tasks need.
    pub fn pass(self: &Arc<Self>) {
        if self.sup.ctx.is_shutting_down() {
            return;
        }
        let mut st = self.lock();
        let views = self.views(&st);
        let started = match self.queue.assign(&views, now_ms()) {
            Ok(tasks) => tasks,
            Err(e) => {
                tracing::warn!("task queue: assigning tasks: {e}");
                Vec::new()
            }
        };
        for task in started {
            let Some(slot_id) = task.assigned_slot.clone() else {
                continue;
            };
            let Ok(slot) = self.sup.get(&slot_id) else {
                continue;
            };
            st.next_generation += 1;
            let generation = st.next_generation;
            st.claims.insert(
                slot_id.clone(),
                Claim {
                    task: task.id,
                    generation,
                    cancelled: false,
                },
            );
            // The run is traced to the request that submitted the task (log center).
            let span = super::jarvis::task_span(&task.id.to_string(), &slot_id);
            span.in_scope(|| {
                tracing::info!(task = %task.id, slot = %slot_id, attempt = task.attempts, "task started");
            });
            self.sup.ctx.events.publish(DaemonEvent::TaskStarted {
                task_id: task.id,
                slot_id: slot_id.clone(),
                attempt: task.attempts,
            });
            let me = Arc::clone(self);
            tokio::spawn(tracing::Instrument::instrument(
                async move {
                    let ending = task_run::run(&slot, &task).await;
                    me.finish(&slot.spec.id, generation, ending);
                },
                span,
            ));
        }
        self.start_needed(&mut st, &views);
    }

    /// Start stopped slots that queued tasks wait for (see the module doc): each queued
    /// task counts one running (or starting) slot that may take it; a task left without
    /// one starts a stopped slot that may.
    fn start_needed(&self, st: &mut Book, views: &[SlotView]) {
        let queued = match self.queue.queued(1000) {
            Ok(q) if !q.is_empty() => q,
            Ok(_) => return,
            Err(e) => {
                tracing::warn!("task queue: listing queued tasks: {e}");
                return;
            }
        };
        let mut counted: HashSet<&str> = HashSet::new();
        for task in &queued {
            let candidates: Vec<&SlotView> = views
                .iter()
                .filter(|v| v.accepts(task) && !counted.contains(v.slot_id.as_str()))
                .collect();
            // A slot that lifecycle is bringing back (after its backoff) counts as running:
            // starting it here would skip the backoff and race the restart.
            if let Some(v) = candidates.iter().find(|v| {
                self.sup
                    .get(&v.slot_id)
                    .is_ok_and(|s| is_alive(&s) || lifecycle::is_restarting(&s))
            }) {
                counted.insert(&v.slot_id);
                continue;
            }
            let pick = candidates.into_iter().find(|v| {
                !st.held_down.contains(&v.slot_id)
                    && st
                        .started_on_demand
                        .get(&v.slot_id)
                        .is_none_or(|at| at.elapsed() >= RESPAWN_BACKOFF)
            });
            let Some(view) = pick else { continue };
            counted.insert(&view.slot_id);
            let Ok(slot) = self.sup.get(&view.slot_id) else {
                continue;
            };
            st.started_on_demand
                .insert(view.slot_id.clone(), Instant::now());
            match slot.spawn() {
                Ok(_) => {
                    tracing::info!(slot = %view.slot_id, task = %task.id, "started for a queued task")
                }
                Err(e) => {
                    tracing::warn!(slot = %view.slot_id, "starting for a queued task: {}", e.message)
                }
            }
        }
    }

    /// A runner's report: record how the task's run ended, unless someone else (kill,
    /// restart, cancel) already did.
    fn finish(&self, slot: &str, generation: u64, ending: Ending) {
        if self.sup.ctx.is_shutting_down() {
            // The daemon is ending its slots: the task stays `running` on disk, and the
            // next start's recovery requeues it like after a crash (a task pinned to a
            // slot is not failed for a stop the user asked for).
            return;
        }
        {
            let mut st = self.lock();
            let Some(claim) = st
                .claims
                .get(slot)
                .copied()
                .filter(|c| c.generation == generation)
            else {
                return;
            };
            st.claims.remove(slot);
            if !claim.cancelled {
                let now = now_ms();
                let result = match &ending {
                    Ending::Done(answer) => self
                        .queue
                        .complete(claim.task, slot, answer, now)
                        .map(|t| t.status.to_string()),
                    Ending::Failed(reason) => self
                        .queue
                        .fail(claim.task, slot, reason, now)
                        .map(|t| t.status.to_string()),
                    Ending::Lost(reason) | Ending::NotStarted(reason) => {
                        // A slot that was only busy is still there, and a crashed one
                        // being restarted comes back: a task pinned to it waits for it
                        // instead of failing. (The restart is decided as the exit is
                        // recorded, before the runner can see the exit.)
                        let returns = matches!(ending, Ending::NotStarted(_))
                            || self
                                .sup
                                .get(slot)
                                .is_ok_and(|s| lifecycle::is_restarting(&s));
                        self.queue.slot_lost(slot, reason, returns, now).map(|r| {
                            r.map_or("already settled".to_string(), |r| r.task.status.to_string())
                        })
                    }
                };
                match result {
                    Ok(status) => {
                        tracing::info!(task = %claim.task, slot, %status, "task run ended");
                        self.sup.ctx.events.publish(DaemonEvent::TaskEnded {
                            task_id: claim.task,
                            slot_id: slot.to_string(),
                            status,
                        });
                    }
                    Err(e) => {
                        tracing::warn!(task = %claim.task, slot, "recording the task's end: {e}")
                    }
                }
            }
        }
        self.announce();
    }

    /// Cancel a task; a running one has its slot's turn interrupted.
    pub fn cancel(
        self: &Arc<Self>,
        id: TaskId,
        reason: &str,
    ) -> Result<missiond_core::tasks::Cancelled, TaskError> {
        let cancelled = {
            let mut st = self.lock();
            let cancelled = self.queue.cancel(id, reason, now_ms())?;
            if let Some(slot) = &cancelled.interrupt_slot
                && let Some(claim) = st.claims.get_mut(slot).filter(|c| c.task == id)
            {
                claim.cancelled = true;
            }
            cancelled
        };
        self.sup
            .ctx
            .events
            .publish(DaemonEvent::TaskCancelled { task_id: id });
        if let Some(slot) = cancelled
            .interrupt_slot
            .as_ref()
            .and_then(|s| self.sup.get(s).ok())
        {
            tokio::spawn(Arc::clone(self).stop_cancelled(slot, id));
        }
        self.announce();
        Ok(cancelled)
    }

    /// Interrupt the turn of a cancelled task until it ends: Esc while Claude Code works
    /// (an Esc sent before it took the prompt up is lost, so it is repeated), and the
    /// slot stays busy until the runner saw the turn end. A turn that never ends is
    /// closed after [`CANCEL_TRIES`] seconds.
    async fn stop_cancelled(self: Arc<Self>, slot: Arc<Slot>, task: TaskId) {
        let holds = || {
            self.lock()
                .claims
                .get(&slot.spec.id)
                .is_some_and(|c| c.task == task)
        };
        let mut rx = slot.subscribe();
        for _ in 0..CANCEL_TRIES {
            if !holds() {
                return;
            }
            if slot
                .state()
                .is_some_and(|s| s.is_working() || s == State::Confirming)
            {
                let _ = slot.interrupt();
            }
            let pause = tokio::time::sleep(Duration::from_secs(1));
            tokio::pin!(pause);
            // Wake early when the runner lets go of the slot.
            while holds() {
                tokio::select! {
                    () = &mut pause => break,
                    changed = rx.changed() => if changed.is_err() { return },
                }
            }
        }
        if holds() {
            let state = slot.state().unwrap_or(State::Exited);
            super::slot_turns::close_turn(&slot, None, state);
        }
    }

    /// The slot is being stopped (`mission_kill`, `mission_restart`): its task, if any,
    /// is requeued (`requeue`; a task pinned to the slot waits for it when `returns`,
    /// else fails) or cancelled. A killed slot is not started on demand until
    /// [`Dispatcher::release`].
    pub fn stopping(
        &self,
        slot: &str,
        requeue: bool,
        returns: bool,
        why: &str,
    ) -> Result<Option<TaskAftermath>, TaskError> {
        let aftermath = {
            let mut st = self.lock();
            if !returns {
                st.held_down.insert(slot.to_string());
            }
            let Some(claim) = st.claims.remove(slot) else {
                return Ok(None);
            };
            if claim.cancelled {
                None
            } else if requeue {
                let retried = self.queue.slot_lost(slot, why, returns, now_ms())?;
                retried.map(|r| TaskAftermath {
                    task_id: r.task.id,
                    status: r.task.status,
                    reason: r.task.error,
                })
            } else {
                let reason = format!("cancelled: {why}");
                let c = self.queue.cancel(claim.task, &reason, now_ms())?;
                Some(TaskAftermath {
                    task_id: c.task.id,
                    status: c.task.status,
                    reason: c.task.error,
                })
            }
        };
        self.announce();
        Ok(aftermath)
    }

    /// The slot may be started on demand again (after `mission_spawn`/`restart`).
    pub fn release(&self, slot: &str) {
        let mut st = self.lock();
        st.held_down.remove(slot);
        st.started_on_demand.remove(slot);
        drop(st);
        self.wake();
    }

    /// What every slot is doing, for `mission_status`.
    pub fn activity(&self) -> Vec<SlotActivity> {
        let st = self.lock();
        self.sup
            .slots()
            .map(|s| SlotActivity {
                slot_id: s.spec.id.clone(),
                role: s.spec.config.role.clone(),
                state: pty_tools::slot_state(&s).0,
                task_id: st
                    .claims
                    .get(&s.spec.id)
                    .filter(|c| !c.cancelled)
                    .map(|c| c.task),
                autonomous: is_autonomous(&s),
            })
            .collect()
    }
}

/// Claude Code is running, shows its prompt, nobody is typing into it, and it works on
/// no autonomous goal.
pub(crate) fn is_free(slot: &Slot) -> bool {
    let ready = {
        let inner = slot.lock();
        !inner.sending
            && inner.run.as_ref().is_some_and(|r| {
                r.is_alive()
                // An error screen still has the prompt box: the next prompt is typed there.
                && matches!(r.state(), State::Idle | State::Error)
                && !r.turn.as_ref().is_some_and(Turn::is_open)
            })
    };
    ready && !is_autonomous(slot)
}

/// The slot runs an autonomous goal (`mission_autonomous_start`).
fn is_autonomous(slot: &Slot) -> bool {
    super::lifecycle::life(slot).autonomy.is_some()
}

fn is_alive(slot: &Slot) -> bool {
    slot.lock().run.as_ref().is_some_and(|r| r.is_alive())
}

/// Wake the dispatcher when `slot` becomes free or its process ends (or starts).
async fn watch_slot(d: std::sync::Weak<Dispatcher>, slot: Arc<Slot>) {
    let mut rx = slot.subscribe();
    let mut last = (false, false);
    loop {
        let now = (is_free(&slot), is_alive(&slot));
        if now != last {
            last = now;
            match d.upgrade() {
                Some(d) => d.wake(),
                None => return,
            }
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}
