//! One task's run on one slot: type its prompt, wait for the turn to end, and say how it
//! ended. The answer is the turn's exact text, as `mission_pty_send` gets it (`Stop`
//! hook, else the transcript).
//!
//! A permission dialog does not end the task: the inbox gets a `permission_ask` message
//! naming the task, and the run keeps waiting while the orchestrator answers it with
//! `mission_pty_confirm`. A turn ending on an error screen fails the task with the error
//! text from the screen; a process that ends loses the task (the dispatcher requeues it).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use missiond_core::catalogue::SEND_TIMEOUT_MAX_MS;
use missiond_core::inbox::{InboxKind, NewMessage};
use missiond_core::ipc::ErrorCode;
use missiond_core::tasks::Task;
use missiond_core::time::now_ms;
use semantic_terminal::{ConfirmInfo, State};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::secrets::{scrub, scrub_value};
use super::slot::Slot;
use super::slot_turns::{self, TurnWait};
use super::turn::{AnswerSource, Outcome};

/// The longest one task's turn may take before it is interrupted and failed.
pub const TASK_TURN_LIMIT: Duration = Duration::from_millis(SEND_TIMEOUT_MAX_MS);

/// How a task's run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The turn ended; its text.
    Done(String),
    /// The task failed here, for this reason.
    Failed(String),
    /// The slot's process ended (or was replaced) before the turn did.
    Lost(String),
    /// The prompt could not be typed: someone else was using the slot.
    NotStarted(String),
}

/// Run `task` on `slot` until its turn ends.
pub async fn run(slot: &Arc<Slot>, task: &Task) -> Ending {
    let Some(run_start) = current_run(slot) else {
        return Ending::Lost(exit_reason(slot));
    };
    if let Err(why) = super::workspace_task::before_task(slot, task).await {
        return Ending::Failed(why);
    }
    let deadline = Instant::now() + TASK_TURN_LIMIT;
    let sent = tokio::select! {
        sent = slot_turns::send(slot, &task.prompt, TASK_TURN_LIMIT) => sent,
        () = run_ended(slot, run_start) => return Ending::Lost(exit_reason(slot)),
    };
    let mut waited = match sent {
        Ok(w) => w,
        Err(e) if e.kind() == Some(ErrorCode::SlotNotRunning) => {
            return Ending::Lost(exit_reason(slot));
        }
        Err(e) if e.kind() == Some(ErrorCode::SlotBusy) => {
            // Someone typed into it between the dispatcher's look and the prompt.
            return Ending::NotStarted(format!("it was busy when the task began: {}", e.message));
        }
        Err(e) => return Ending::Failed(e.message),
    };
    loop {
        if let Some(outcome) = &waited.outcome {
            return ending_of(slot, outcome);
        }
        if current_run(slot) != Some(run_start) {
            return Ending::Lost(exit_reason(slot));
        }
        if waited.timed_out {
            let _ = slot.interrupt();
            slot_turns::close_turn(slot, None, waited.state);
            return Ending::Failed(format!(
                "the turn did not end within {} s; it was interrupted",
                TASK_TURN_LIMIT.as_secs()
            ));
        }
        let Some(dialog) = waited.dialog.clone() else {
            return Ending::Lost(exit_reason(slot));
        };
        post_dialog(slot, task, &dialog, &waited);
        let Some(seq) = turn_seq(slot) else {
            return Ending::Lost(exit_reason(slot));
        };
        waited = tokio::select! {
            w = slot_turns::wait_turn(slot, seq, deadline, Some(dialog)) => w,
            () = run_ended(slot, run_start) => return Ending::Lost(exit_reason(slot)),
        };
    }
}

/// The task's ending from its turn's outcome.
fn ending_of(slot: &Slot, outcome: &Outcome) -> Ending {
    match outcome.end_state {
        State::Exited => Ending::Lost(exit_reason(slot)),
        // An error line from an earlier turn may still be on screen: a turn that Claude
        // Code closed with its Stop hook answered.
        State::Error if outcome.source != Some(AnswerSource::StopHook) => {
            Ending::Failed(error_text(slot))
        }
        _ => Ending::Done(outcome.answer.clone().unwrap_or_default()),
    }
}

/// Identifies the slot's current process (its start time), if one runs.
fn current_run(slot: &Slot) -> Option<SystemTime> {
    slot.lock()
        .run
        .as_ref()
        .filter(|r| r.is_alive())
        .map(|r| r.started_at)
}

/// The number of the slot's current turn.
fn turn_seq(slot: &Slot) -> Option<u64> {
    slot.lock()
        .run
        .as_ref()
        .and_then(|r| r.turn.as_ref())
        .map(|t| t.seq)
}

/// Resolves once the process that started at `start` is no longer the slot's live one.
async fn run_ended(slot: &Slot, start: SystemTime) {
    let mut rx = slot.subscribe();
    while current_run(slot) == Some(start) {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

/// Why the slot's process is gone, for the task's record.
fn exit_reason(slot: &Slot) -> String {
    let inner = slot.lock();
    match inner
        .run
        .as_ref()
        .and_then(|r| r.exit.map(|code| (code, r.killed)))
    {
        Some((_, true)) => "its process was stopped by missiond".to_string(),
        Some((Some(code), false)) => format!("its process exited with code {code}"),
        Some((None, false)) => "its process was killed by a signal".to_string(),
        None => "its process was replaced".to_string(),
    }
}

/// The error the screen shows: its lines mentioning an error, else its last lines.
fn error_text(slot: &Slot) -> String {
    let lines: Vec<String> = slot
        .lock()
        .run
        .as_ref()
        .map(|r| r.term.screen_lines())
        .unwrap_or_default()
        .into_iter()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let mut errors: Vec<&str> = Vec::new();
    for line in lines.iter().filter(|l| l.to_lowercase().contains("error")) {
        if !errors.contains(&line.as_str()) {
            errors.push(line);
        }
    }
    let text = if errors.is_empty() {
        lines[lines.len().saturating_sub(5)..].join("\n")
    } else {
        errors.join("\n")
    };
    format!("the turn ended in an error: {text}")
}

/// Tell the orchestrator the task waits on a dialog: in the message the `PreToolUse`
/// hook already posted for it (when the slot's rules asked), else in a new one.
fn post_dialog(slot: &Slot, task: &Task, dialog: &ConfirmInfo, waited: &TurnWait) {
    let what = dialog
        .command
        .as_deref()
        .or(dialog.target.as_deref())
        .unwrap_or_default();
    let text = format!(
        "task {} on slot {} waits at a dialog: {} {what}. Answer with mission_pty_confirm.",
        task.id,
        slot.spec.id,
        dialog.title.trim()
    );
    let mut data = json!({
        "dialog": dialog.clone(),
        "answerSoFar": waited.partial.answer,
    });
    let store = slot.ctx.records.store();
    if let Some(id) = take_hook_ask(slot) {
        // Keep what the hook said (tool, rules, reason) beside the dialog.
        let hook_data = store
            .inbox_message(id)
            .ok()
            .flatten()
            .map(|m| m.data)
            .unwrap_or_default();
        if let (Some(merged), Value::Object(hook)) = (data.as_object_mut(), hook_data) {
            for (k, v) in hook {
                merged.entry(k).or_insert(v);
            }
        }
        match store.attach_task(id, task.id, &scrub(&text), &scrub_value(&data)) {
            Ok(true) => return,
            Ok(false) => {}
            Err(e) => tracing::warn!(slot = %slot.spec.id, "store: {e}"),
        }
    }
    let message = NewMessage {
        kind: InboxKind::PermissionAsk,
        slot_id: Some(slot.spec.id.clone()),
        task_id: Some(task.id),
        text: scrub(&text).into_owned(),
        data: scrub_value(&data),
        created_at: now_ms(),
    };
    if let Err(e) = store.post_message(&message) {
        tracing::warn!(slot = %slot.spec.id, "store: posting a dialog message: {e}");
    }
}

/// The hook's unclaimed `permission_ask` message for the slot's open turn, claimed.
fn take_hook_ask(slot: &Slot) -> Option<i64> {
    let mut inner = slot.lock();
    inner
        .run
        .as_mut()
        .and_then(|r| r.turn.as_mut())
        .and_then(|t| t.ask_message.take())
}
