//! Bringing slots back: a process that exits without the daemon asking is restarted
//! after a backoff delay (or given up on), and the watchdog's stuck and low-context
//! verdicts restart a slot on purpose. Each loss and return is told to the inbox. The
//! decisions themselves are missiond-core's (`lifecycle`); this module carries them out.
//!
//! The restart after a crash is decided while the exit itself is recorded (under the
//! slot's lock), so whoever sees the process gone also sees whether it comes back: the
//! task dispatcher keeps a task pinned to a crashed slot queued for its return.

use std::sync::{Arc, MutexGuard};
use std::time::{Duration, Instant};

use missiond_core::inbox::{InboxKind, NewMessage};
use missiond_core::lifecycle::{LifecycleSettings, RestartBackoff, RestartDecision, StuckDetector};
use missiond_core::time::now_ms;
use serde_json::{Value, json};

use super::slot::{Run, Slot};
use super::supervisor::KILL_GRACE;

/// One slot's lifecycle state (kept across its runs).
pub struct Life {
    /// The slot's resolved settings.
    pub settings: LifecycleSettings,
    backoff: RestartBackoff,
    /// Interrupt-then-restart for a working slot showing no sign of life.
    pub stuck: StuckDetector,
    /// A restart is scheduled or under way: nothing else may start one.
    pub restarting: bool,
    /// Names the scheduled restart; [`cancel_restart`] moves it on so that one is dropped.
    ticket: u64,
    /// The turn (`seq` in the current run) whose context use was last checked.
    pub context_checked: Option<u64>,
    /// The inbox was told once in this run that auto-compact will handle a full context.
    pub compact_noted: bool,
    /// Screen fingerprint and when it last changed.
    pub screen: Option<(u64, Instant)>,
    /// Transcript size and when it last changed.
    pub transcript: Option<(u64, Instant)>,
    /// When a hook event last came from the slot's Claude Code.
    pub last_hook: Option<Instant>,
    /// The slot's autonomous run, while it has one.
    pub autonomy: Option<super::autonomy::AutoRun>,
}

impl Life {
    /// Fresh state for a slot with `settings`.
    pub fn new(settings: &LifecycleSettings) -> Self {
        Life {
            settings: settings.clone(),
            backoff: settings.restart_backoff(),
            stuck: settings.stuck_detector(),
            restarting: false,
            ticket: 0,
            context_checked: None,
            compact_noted: false,
            screen: None,
            transcript: None,
            last_hook: None,
            autonomy: None,
        }
    }
}

/// The slot's lifecycle state, locked. Never held across an `.await`, and never taken
/// while holding the slot's own lock the other way round (slot lock first, then this).
pub fn life(slot: &Slot) -> MutexGuard<'_, Life> {
    slot.life.lock().unwrap_or_else(|e| e.into_inner())
}

/// A new process of `slot` started.
pub fn on_started(slot: &Slot) {
    let mut life = life(slot);
    life.backoff.started(Instant::now());
    life.stuck.reset();
    life.context_checked = None;
    life.compact_noted = false;
    life.screen = None;
    life.transcript = None;
    life.last_hook = None;
}

/// A hook event came from the slot: Claude Code is alive and working.
pub fn on_hook(slot: &Slot) {
    life(slot).last_hook = Some(Instant::now());
}

/// Post a message about `slot` to the inbox (secrets scrubbed); its id when stored.
pub fn post(slot: &Slot, kind: InboxKind, text: &str, data: Value) -> Option<i64> {
    let message = NewMessage {
        kind,
        slot_id: Some(slot.spec.id.clone()),
        task_id: None,
        text: super::secrets::scrub(text).into_owned(),
        data,
        created_at: now_ms(),
    };
    match slot.ctx.records.store().post_message(&message) {
        Ok(id) => Some(id),
        Err(e) => {
            tracing::warn!(slot = %slot.spec.id, "posting to the inbox: {e}");
            None
        }
    }
}

fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs_f32())
}

/// What to do after a process exit, decided by [`plan_after_exit`].
pub struct ExitPlan {
    reason: String,
    code: Option<i32>,
    decision: RestartDecision,
    ticket: u64,
}

/// The slot's process has exited and `run` records it (called by its I/O task, holding
/// the slot's lock). Unless the daemon ended it, decide now whether it is restarted,
/// marking the slot as restarting; [`after_exit`] then carries the plan out.
pub fn plan_after_exit(slot: &Slot, run: &Run) -> Option<ExitPlan> {
    if run.killed || slot.ctx.is_shutting_down() {
        return None;
    }
    let code = run.exit.flatten();
    let reason = match code {
        Some(code) => format!("exited unexpectedly (code {code})"),
        None => "was killed by a signal".to_string(),
    };
    let mut life = life(slot);
    if life.restarting {
        return None;
    }
    let decision = life.backoff.exited(Instant::now());
    life.restarting = matches!(decision, RestartDecision::RestartAfter(_));
    Some(ExitPlan {
        reason,
        code,
        decision,
        ticket: life.ticket,
    })
}

/// Carry out an exit plan: schedule the restart with its backoff delay, or give up,
/// and say so in the inbox.
pub fn after_exit(slot: &Arc<Slot>, plan: ExitPlan) {
    let ExitPlan {
        reason,
        code,
        decision,
        ticket,
    } = plan;
    let id = &slot.spec.id;
    match decision {
        RestartDecision::RestartAfter(delay) => {
            tracing::warn!(slot = %id, "process {reason}; restarting in {}", seconds(delay));
            post(
                slot,
                InboxKind::Notice,
                &format!(
                    "Slot {id}: its process {reason}; restarting it in {}.",
                    seconds(delay)
                ),
                json!({"event": "crashed", "exitCode": code, "restartInMs": delay.as_millis() as u64}),
            );
            let slot = Arc::clone(slot);
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                relaunch(&slot, &reason, ticket).await;
            });
        }
        RestartDecision::GiveUp {
            restarts_in_last_hour,
        } => give_up(slot, &reason, restarts_in_last_hour),
    }
}

fn give_up(slot: &Slot, reason: &str, restarts: u32) {
    let id = &slot.spec.id;
    tracing::error!(slot = %id, "{reason}; {restarts} restarts within the hour: giving up");
    post(
        slot,
        InboxKind::Notice,
        &format!(
            "Slot {id}: {reason}, after {restarts} restarts within the last hour; it stays \
             stopped (start it again with mission_pty_spawn)."
        ),
        json!({"event": "gave_up", "restartsInLastHour": restarts}),
    );
}

/// Drop a scheduled restart of `slot` (someone stopped it on purpose meanwhile).
/// Returns whether one was pending.
pub fn cancel_restart(slot: &Slot) -> bool {
    let mut life = life(slot);
    let pending = life.restarting;
    life.ticket = life.ticket.wrapping_add(1);
    life.restarting = false;
    pending
}

/// Start `slot` again after it was lost for `why`, and say how that went; nothing when
/// the restart `ticket` was cancelled meanwhile.
async fn relaunch(slot: &Arc<Slot>, why: &str, ticket: u64) {
    let id = &slot.spec.id;
    {
        let mut life = life(slot);
        if life.ticket != ticket {
            tracing::info!(slot = %id, "scheduled restart cancelled");
            return;
        }
        if slot.ctx.is_shutting_down() {
            life.restarting = false;
            return;
        }
    }
    let started = super::secrets::start(slot).await;
    life(slot).restarting = false;
    match started {
        Ok(false) => {
            // Someone started it meanwhile (mission_pty_spawn, the dispatcher).
            tracing::debug!(slot = %id, "already running again; no restart needed");
        }
        Ok(true) => {
            let session_id = slot.lock().run.as_ref().and_then(|r| r.session_id.clone());
            tracing::info!(slot = %id, session = ?session_id, "restarted after: {why}");
            post(
                slot,
                InboxKind::Notice,
                &format!("Slot {id} was restarted with a fresh session (after: {why})."),
                json!({"event": "restarted", "sessionId": session_id}),
            );
        }
        Err(e) => {
            tracing::error!(slot = %id, "restarting: {}", e.message);
            post(
                slot,
                InboxKind::Notice,
                &format!("Slot {id} could not be restarted: {}", e.message),
                json!({"event": "restart_failed"}),
            );
        }
    }
}

/// End `slot`'s process on purpose and start it again with a fresh session. `counted`
/// restarts (a stuck slot) go through the crash backoff; a planned one (context full)
/// does not. Returns false when a restart is already under way.
pub fn restart(slot: &Arc<Slot>, why: String, counted: bool) -> bool {
    let ticket = {
        let mut life = life(slot);
        if life.restarting {
            return false;
        }
        life.restarting = true;
        life.stuck.reset();
        life.ticket
    };
    let slot = Arc::clone(slot);
    tokio::spawn(async move {
        if let Err(e) = slot.kill(KILL_GRACE).await {
            tracing::debug!(slot = %slot.spec.id, "ending for a restart: {}", e.message);
        }
        let delay = if counted {
            let decision = life(&slot).backoff.exited(Instant::now());
            match decision {
                RestartDecision::RestartAfter(d) => d,
                RestartDecision::GiveUp {
                    restarts_in_last_hour,
                } => {
                    life(&slot).restarting = false;
                    give_up(&slot, &why, restarts_in_last_hour);
                    return;
                }
            }
        } else {
            Duration::ZERO
        };
        tokio::time::sleep(delay).await;
        relaunch(&slot, &why, ticket).await;
    });
    true
}

/// Whether a restart of `slot` is scheduled or under way.
pub fn is_restarting(slot: &Slot) -> bool {
    life(slot).restarting
}
