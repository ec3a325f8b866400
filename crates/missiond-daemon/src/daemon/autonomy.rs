//! Autonomous runs (`mission_autonomous_start` / `_stop`) and agents' reports
//! (`mission_report`): the slot is prompted turn after turn towards a goal until its agent
//! reports done, a limit is reached, or someone stops it. missiond-core's `Autonomy`
//! decides each step; this module types the prompts, follows the turns and tells the
//! inbox. Tool calls inside the run still go through the role's permissions.
//!
//! A run paused by a `question` report is resumed by calling `mission_autonomous_start`
//! again on the slot: its `goal` is then taken as the answer.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use missiond_core::catalogue::{
    AUTONOMOUS_MINUTES_DEFAULT, AUTONOMOUS_MINUTES_MAX, AUTONOMOUS_TURNS_DEFAULT,
    AUTONOMOUS_TURNS_MAX, AutonomousStartParams, AutonomousStartResult, AutonomousStopResult,
    ReportParams, ReportResult,
};
use missiond_core::inbox::{InboxKind, ReportKind};
use missiond_core::ipc::RpcError;
use missiond_core::lifecycle::{Autonomy, AutonomyEvent, AutonomyLimits, Step, StopReason};
use semantic_terminal::State;
use serde_json::json;
use tokio::sync::Notify;

use super::lifecycle::{self, life};
use super::pty_tools::rfc3339;
use super::slot::Slot;
use super::supervisor::Supervisor;
use super::{slot_turns, watchdog};

/// How long a run waits for its slot to come back from a restart before giving up.
const RESTART_WAIT: Duration = Duration::from_secs(120);

/// A slot's autonomous run.
pub struct AutoRun {
    /// The guard rails and turn count.
    pub run: Autonomy,
    /// Wakes the driving task when the run is stopped from outside.
    cancel: Arc<Notify>,
    /// When the run started, for the result's times.
    started_at: SystemTime,
}

fn limit(value: Option<u32>, default: u32, max: u32, field: &str) -> Result<u32, RpcError> {
    match value {
        None => Ok(default),
        Some(v) if (1..=max).contains(&v) => Ok(v),
        Some(v) => Err(RpcError::invalid_params(
            field,
            format!("{v} is out of range (1-{max})"),
        )),
    }
}

/// `mission_autonomous_start`.
pub fn start(
    sup: &Supervisor,
    p: AutonomousStartParams,
) -> Result<AutonomousStartResult, RpcError> {
    let slot = sup.get(&p.slot_id)?.clone();
    if p.goal.trim().is_empty() {
        return Err(RpcError::invalid_params("goal", "the goal is empty"));
    }
    let max_turns = limit(
        p.max_turns,
        AUTONOMOUS_TURNS_DEFAULT,
        AUTONOMOUS_TURNS_MAX,
        "maxTurns",
    )?;
    let max_minutes = limit(
        p.max_minutes,
        AUTONOMOUS_MINUTES_DEFAULT,
        AUTONOMOUS_MINUTES_MAX,
        "maxMinutes",
    )?;
    let state = {
        let inner = slot.lock();
        let Some(run) = inner.run.as_ref().filter(|r| r.is_alive()) else {
            return Err(RpcError::slot_not_running(&slot.spec.id));
        };
        let state = run.state();
        let busy = inner.sending
            || run.turn.as_ref().is_some_and(|t| t.is_open())
            || state.is_working()
            || matches!(state, State::Confirming | State::Starting);
        if busy {
            return Err(RpcError::slot_busy(&slot.spec.id, state.as_str()));
        }
        state
    };
    let now = Instant::now();
    let (step, result) = {
        let mut life = life(&slot);
        // (paused on a question) for a run that is not over.
        let current = life
            .autonomy
            .as_ref()
            .filter(|a| !a.run.is_over())
            .map(|a| a.run.stopped().is_some());
        let step = match (current, life.autonomy.as_mut()) {
            // A question pauses a run; starting again answers it.
            (Some(true), Some(auto)) => auto.run.answer(&p.goal, now),
            (Some(_), _) => return Err(RpcError::slot_busy(&slot.spec.id, state.as_str())),
            (None, _) => {
                let limits = AutonomyLimits {
                    max_turns,
                    max_duration: Duration::from_secs(u64::from(max_minutes) * 60),
                };
                let (run, step) = Autonomy::start(p.goal.clone(), limits, now);
                life.autonomy = Some(AutoRun {
                    run,
                    cancel: Arc::new(Notify::new()),
                    started_at: SystemTime::now(),
                });
                step
            }
        };
        let Some(auto) = life.autonomy.as_ref() else {
            return Err(RpcError::internal("the autonomous run vanished"));
        };
        let limits = auto.run.limits();
        let deadline = auto.started_at + limits.max_duration;
        let result = AutonomousStartResult {
            slot_id: slot.spec.id.clone(),
            max_turns: limits.max_turns,
            max_minutes: (limits.max_duration.as_secs() / 60) as u32,
            started_at: rfc3339(auto.started_at),
            deadline: rfc3339(deadline),
        };
        (step, result)
    };
    tracing::info!(slot = %slot.spec.id, max_turns, max_minutes, "autonomous run starts");
    tokio::spawn(drive(slot, step));
    Ok(result)
}

/// `mission_autonomous_stop`.
pub fn stop(slot: &Arc<Slot>) -> AutonomousStopResult {
    let now = Instant::now();
    let stopped = {
        let mut life = life(slot);
        match life.autonomy.as_mut() {
            Some(auto) if !auto.run.is_over() => {
                let paused = auto.run.stopped().is_some();
                auto.run.next(AutonomyEvent::Cancelled, now);
                auto.cancel.notify_one();
                let turns = auto.run.turns_taken();
                if paused {
                    // No task drives a paused run: end it here.
                    life.autonomy = None;
                }
                Some((turns, paused))
            }
            _ => None,
        }
    };
    let Some((turns, paused)) = stopped else {
        return AutonomousStopResult {
            slot_id: slot.spec.id.clone(),
            was_running: false,
            turns: 0,
        };
    };
    if paused {
        announce_end(slot, &StopReason::Cancelled, turns);
    }
    AutonomousStopResult {
        slot_id: slot.spec.id.clone(),
        was_running: true,
        turns,
    }
}

/// `mission_report`: post the agent's report; `done` and `question` also steer its
/// autonomous run, if it has one.
pub fn report(sup: &Supervisor, p: ReportParams) -> Result<ReportResult, RpcError> {
    let Some(slot_id) = p.slot_id.as_deref() else {
        return Err(RpcError::invalid_params(
            "slotId",
            "mission_report is for agents in slots: the slot id is missing",
        ));
    };
    let slot = &*sup.get(slot_id)?;
    let kind: InboxKind = p.kind.inbox_kind();
    let turns = life(slot).autonomy.as_ref().map(|a| a.run.turns_taken());
    let message_id = lifecycle::post(
        slot,
        kind,
        &p.text,
        json!({"report": true, "autonomousTurns": turns}),
    )
    .ok_or_else(|| RpcError::internal("the report could not be stored"))?;
    let event = match p.kind {
        ReportKind::Done => Some(AutonomyEvent::ReportedDone(p.text.clone())),
        ReportKind::Question => Some(AutonomyEvent::ReportedQuestion(p.text.clone())),
        ReportKind::Progress => None,
    };
    let mut autonomous_ended = false;
    if let Some(event) = event {
        let mut life = life(slot);
        if let Some(auto) = life.autonomy.as_mut().filter(|a| a.run.stopped().is_none()) {
            let step = auto.run.next(event, Instant::now());
            autonomous_ended = matches!(step, Step::Stop(StopReason::Done(_)));
        }
    }
    Ok(ReportResult {
        message_id,
        autonomous_ended,
    })
}

fn announce_end(slot: &Slot, reason: &StopReason, turns: u32) {
    let id = &slot.spec.id;
    tracing::info!(slot = %id, turns, "autonomous run ended: {reason}");
    lifecycle::post(
        slot,
        InboxKind::Notice,
        &format!("Slot {id}'s autonomous run ended after {turns} turn(s): {reason}."),
        json!({"event": "autonomous_ended", "turns": turns, "reason": reason_code(reason)}),
    );
}

fn reason_code(reason: &StopReason) -> &'static str {
    match reason {
        StopReason::Done(_) => "done",
        StopReason::Question(_) => "question",
        StopReason::MaxTurns(_) => "max_turns",
        StopReason::TimeLimit(_) => "time_limit",
        StopReason::Error(_) => "error",
        StopReason::Cancelled => "cancelled",
    }
}

/// Carry out steps until the run stops or pauses.
async fn drive(slot: Arc<Slot>, mut step: Step) {
    loop {
        let prompt = match step {
            Step::SendPrompt(prompt) => prompt,
            Step::Wait => return,
            Step::Stop(reason) => return finish(&slot, reason),
        };
        let event = turn(&slot, &prompt).await;
        step = {
            let mut life = life(&slot);
            match life.autonomy.as_mut() {
                Some(auto) => auto.run.next(event, Instant::now()),
                None => return,
            }
        };
    }
}

/// The run stopped (or paused on a question) for `reason`.
fn finish(slot: &Slot, reason: StopReason) {
    let (turns, over) = {
        let mut life = life(slot);
        let Some(auto) = life.autonomy.as_ref() else {
            return;
        };
        let turns = auto.run.turns_taken();
        let over = auto.run.is_over();
        if over {
            life.autonomy = None;
        }
        (turns, over)
    };
    if matches!(reason, StopReason::TimeLimit(_) | StopReason::Cancelled) {
        // Whatever the agent was doing is not wanted any more.
        let open = slot
            .lock()
            .run
            .as_ref()
            .is_some_and(|r| r.turn.as_ref().is_some_and(|t| t.is_open()));
        if open {
            let _ = slot.interrupt();
        }
    }
    if over {
        announce_end(slot, &reason, turns);
    }
}

/// Send one prompt and follow its turn to the end; what happened, as an event.
async fn turn(slot: &Arc<Slot>, prompt: &str) -> AutonomyEvent {
    let Some((cancel, deadline)) = life(slot).autonomy.as_ref().map(|a| {
        (
            Arc::clone(&a.cancel),
            tokio::time::Instant::from_std(a.run.deadline()),
        )
    }) else {
        return AutonomyEvent::Cancelled;
    };
    tokio::select! {
        event = follow(slot, prompt, deadline) => event,
        () = cancel.notified() => AutonomyEvent::Cancelled,
        () = tokio::time::sleep_until(deadline) => AutonomyEvent::Timeout,
    }
}

async fn follow(slot: &Arc<Slot>, prompt: &str, deadline: tokio::time::Instant) -> AutonomyEvent {
    // A finished turn may have left the context nearly full: let that restart happen
    // before the next prompt rather than race it.
    watchdog::check_context(slot);
    if let Err(e) = wait_restarted(slot).await {
        return AutonomyEvent::Error(e);
    }
    let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
    let mut waited = match slot_turns::send(slot, prompt, remaining).await {
        Ok(waited) => waited,
        Err(e) => return AutonomyEvent::Error(e.message),
    };
    // A permission dialog waits for the orchestrator (or the policy): keep following.
    while let Some(dialog) = waited.dialog.take() {
        let seq = slot
            .lock()
            .run
            .as_ref()
            .and_then(|r| r.turn.as_ref().filter(|t| t.is_open()).map(|t| t.seq));
        let Some(seq) = seq else { break };
        waited = slot_turns::wait_turn(slot, seq, deadline, Some(dialog)).await;
    }
    match waited.outcome {
        Some(outcome) if outcome.end_state == State::Exited => {
            AutonomyEvent::Error("the slot's process exited during the turn".into())
        }
        Some(_) => AutonomyEvent::TurnEnded,
        None if waited.timed_out => AutonomyEvent::Timeout,
        None => AutonomyEvent::Error(format!(
            "the turn ended without an answer (state {})",
            waited.state
        )),
    }
}

/// Wait (bounded) while the slot is being restarted, then require it to run.
async fn wait_restarted(slot: &Arc<Slot>) -> Result<(), String> {
    let give_up = Instant::now() + RESTART_WAIT;
    while lifecycle::is_restarting(slot) && Instant::now() < give_up {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if slot.lock().run.as_ref().is_some_and(|r| r.is_alive()) {
        Ok(())
    } else {
        Err("the slot is not running".into())
    }
}
