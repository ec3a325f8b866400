//! Bringing slots back: a process that exits without the daemon asking is restarted
//! after a backoff delay (or given up on), and the watchdog's stuck and low-context
//! verdicts restart a slot on purpose. Each loss and return is told to the inbox. The
//! decisions themselves are missiond-core's (`lifecycle`); this module carries them out.
//!
//! Not yet done: the task dispatcher learns of a crash only by seeing the process exit,
//! so a task pinned to a crashed slot fails instead of waiting for its restart.

use std::sync::{Arc, MutexGuard};
use std::time::{Duration, Instant};

use missiond_core::inbox::{InboxKind, NewMessage};
use missiond_core::lifecycle::{LifecycleSettings, RestartBackoff, RestartDecision, StuckDetector};
use missiond_core::time::now_ms;
use serde_json::{Value, json};

use super::slot::Slot;
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

/// The slot's process has exited (called by its I/O task). Unless the daemon ended it,
/// schedule a restart with backoff, or give up, and say so.
pub fn after_exit(slot: &Arc<Slot>) {
    let code = {
        let inner = slot.lock();
        match inner.run.as_ref() {
            Some(run) if !run.killed => run.exit.flatten(),
            _ => return,
        }
    };
    if slot.ctx.is_shutting_down() {
        return;
    }
    let reason = match code {
        Some(code) => format!("exited unexpectedly (code {code})"),
        None => "was killed by a signal".to_string(),
    };
    let decision = {
        let mut life = life(slot);
        if life.restarting {
            return;
        }
        let decision = life.backoff.exited(Instant::now());
        life.restarting = matches!(decision, RestartDecision::RestartAfter(_));
        (decision, life.ticket)
    };
    let (decision, ticket) = decision;
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
