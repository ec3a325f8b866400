//! The I/O task of a running slot: feeds PTY output to the screen reader and the PTY log,
//! writes the terminal's replies back, answers folder trust when the slot is trusted, and
//! ends turns that the screen shows as settled when no `Stop` hook came. It sleeps until
//! output arrives or the next deadline (the reader's debounce, a turn's settle grace):
//! an idle slot has no timer at all.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use semantic_terminal::recording::Entry;
use semantic_terminal::{DialogKind, OptionMeaning, SessionEvent, State};

use super::events::DaemonEvent;
use super::lifecycle::ExitPlan;
use super::pty::PtyStreams;
use super::slot::{Run, Slot};
use missiond_core::catalogue::SlotState;

/// How long to keep reading output after the process exited (children may still hold
/// the terminal open; the reader then never sees EOF).
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(500);

/// Run until the slot's process has exited.
pub async fn drive(slot: Arc<Slot>, streams: PtyStreams) {
    let PtyStreams {
        mut output,
        mut exit,
    } = streams;
    let mut output_open = true;
    // Hooks arrive on IPC tasks and may set a new deadline (see `state_merge`).
    let mut changes = slot.subscribe();
    // Claude Code's status file: a third signal, watched for as long as the run lives.
    let mut status = watch_status_file(&slot);
    loop {
        let wake = next_wakeup(&slot);
        let sleep = async {
            match wake {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            chunk = output.recv(), if output_open => match chunk {
                Some(bytes) => on_output(&slot, &bytes),
                None => output_open = false,
            },
            code = &mut exit => {
                let drain = async {
                    while let Some(bytes) = output.recv().await {
                        on_output(&slot, &bytes);
                    }
                };
                let _ = tokio::time::timeout(DRAIN_AFTER_EXIT, drain).await;
                if let Some(plan) = on_exit(&slot, code.unwrap_or(None)) {
                    super::lifecycle::after_exit(&slot, plan);
                }
                return;
            }
            () = sleep => on_tick(&slot),
            _ = changes.changed() => {}
            Some(record) = next_status(&mut status) => on_status_file(&slot, &record),
        }
    }
}

/// The earliest of the reader's deadline, the reconciler's and the turn's settle
/// deadline.
fn next_wakeup(slot: &Slot) -> Option<Instant> {
    let inner = slot.lock();
    let run = inner.run.as_ref()?;
    let at = |t: f64| run.origin + Duration::from_secs_f64(t.max(0.0));
    let term = run.term.next_deadline().map(at);
    let merge = run.merge.next_deadline().map(at);
    let settle = run.turn.as_ref().and_then(|t| t.settle_deadline());
    [term, merge, settle].into_iter().flatten().min()
}

/// Start watching the run's status file, when the slot runs Claude Code with a session
/// id and a known config folder.
fn watch_status_file(slot: &Slot) -> Option<super::status_file::StatusWatch> {
    if !slot.spec.claude {
        return None;
    }
    let session = slot.lock().run.as_ref()?.session_id.clone()?;
    let dir = match &slot.spec.config.host {
        // A remote slot's status file is on its host: the runner streams it into a copy
        // here (see `remote::mirror`).
        Some(_) => super::remote::mirror::dir(&slot.ctx.home, &slot.spec.id),
        None => super::transcript::config_dir(&slot.spec.config.env)?,
    };
    match super::status_file::watch(&dir, &session) {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!(slot = %slot.spec.id, "not watching Claude Code's status file: {e}");
            None
        }
    }
}

/// The next status record, or never when there is no watch.
async fn next_status(
    watch: &mut Option<super::status_file::StatusWatch>,
) -> Option<super::status_file::StatusRecord> {
    match watch {
        Some(w) => w.records.recv().await,
        None => std::future::pending().await,
    }
}

fn on_status_file(slot: &Slot, record: &super::status_file::StatusRecord) {
    {
        let mut inner = slot.lock();
        let Some(run) = inner.run.as_mut().filter(|r| r.is_alive()) else {
            return;
        };
        let t = run.now();
        run.merge
            .status_file(&record.status, record.waiting_for.as_deref(), t);
        tracing::debug!(slot = %slot.spec.id, status = %record.status, waiting_for = ?record.waiting_for, "status file");
        run.status_file = Some(record.status.clone());
        reconcile(slot, run);
        publish_state(slot, run);
    }
    slot.notify();
}

fn on_output(slot: &Slot, bytes: &[u8]) {
    {
        let mut inner = slot.lock();
        let Some(run) = inner.run.as_mut() else {
            return;
        };
        let t = run.now();
        run.output_chunks += 1;
        // Secrets resolved for any slot since this run began are scrubbed here too.
        let redactor = super::secrets::redactor();
        if let Some(log) = run.log.as_mut() {
            log.set_redactor(redactor.clone());
            let entry = Entry::Output {
                t,
                bytes: bytes.to_vec(),
            };
            // The log pauses and tries again by itself; `mission_health` shows it.
            if let Err(e) = log.append(&entry) {
                tracing::warn!(slot = %slot.spec.id, "PTY log paused: {e:#}");
            }
        }
        run.term.feed(t, bytes);
        let shown = match run.viewer_scrub.as_mut() {
            Some(scrub) => {
                scrub.set_redactor(redactor);
                scrub.push(bytes)
            }
            None => bytes.to_vec(),
        };
        if !shown.is_empty() {
            slot.publish_output(shown.into());
        }
        after_screen_change(slot, run);
    }
    slot.notify();
}

fn on_tick(slot: &Slot) {
    {
        let mut inner = slot.lock();
        let Some(run) = inner.run.as_mut() else {
            return;
        };
        let t = run.now();
        run.term.advance(t);
        after_screen_change(slot, run);
    }
    slot.notify();
}

/// Record the exit, and decide (in the same critical section) whether the slot comes
/// back, so no observer of the exit sees a slot that is neither running nor restarting.
fn on_exit(slot: &Slot, code: Option<i32>) -> Option<ExitPlan> {
    let (run_id, plan) = {
        let mut inner = slot.lock();
        let run = inner.run.as_mut()?;
        let t = run.now();
        run.term.mark_exited(t);
        let _ = run.term.drain_events();
        if let Some(rest) = run.viewer_scrub.as_mut().map(|s| s.finish())
            && !rest.is_empty()
        {
            slot.publish_output(rest.into());
        }
        if let Some(log) = run.log.as_mut() {
            let _ = log.append(&Entry::Exit { t, code });
        }
        run.log = None;
        run.exit = Some(code);
        run.exited_at = Some(SystemTime::now());
        // After the exit is recorded: Stopped or Exited depends on it.
        publish_state(slot, run);
        if let Some(turn) = run.turn.as_mut().filter(|t| t.is_open()) {
            turn.finish_from_transcript(State::Exited);
            slot.ctx.records.turn_finished(turn);
        }
        if let Some(id) = run.record_id {
            slot.ctx.records.session_ended(id, code, run.killed);
        }
        tracing::info!(slot = %slot.spec.id, ?code, "slot exited");
        (
            run.run_id.clone(),
            super::lifecycle::plan_after_exit(slot, run),
        )
    };
    // Claude Code starts tool commands in sessions of their own: they outlive its process
    // group. End whatever this run left behind (a /proc scan: outside the slot's lock).
    for pid in super::orphans::end_run_leftovers(&run_id) {
        tracing::info!(slot = %slot.spec.id, pid, "ended a process the slot's run left behind");
    }
    slot.notify();
    plan
}

/// Replies, events and turn bookkeeping after the screen changed or time passed.
fn after_screen_change(slot: &Slot, run: &mut Run) {
    let replies = run.term.take_replies();
    if !replies.is_empty() {
        let _ = run.pty.write(&replies);
    }
    for timed in run.term.drain_events() {
        match timed.event {
            SessionEvent::ConfirmRequired { info, .. } if info.kind.is_startup() => {
                on_startup_dialog(slot, run, &info);
            }
            SessionEvent::StateChange {
                new_state,
                prev_state,
            } => {
                tracing::debug!(slot = %slot.spec.id, %prev_state, %new_state, "state");
            }
            _ => {}
        }
    }
    reconcile(slot, run);
    let state = run.state();
    publish_state(slot, run);
    let now = Instant::now();
    if let Some(turn) = run.turn.as_mut() {
        turn.on_state(state, now);
        if turn.settle_deadline().is_some_and(|d| d <= now) {
            turn.finish_from_transcript(state);
            tracing::debug!(slot = %slot.spec.id, "turn ended by the screen (no Stop hook)");
            slot.ctx.records.turn_finished(turn);
        }
    }
}

/// Tell the event bus when the slot's state (screen and hooks merged) changed.
fn publish_state(slot: &Slot, run: &mut Run) {
    let state = run.slot_state();
    let previous = run.published_state.replace(state);
    if previous != Some(state) {
        slot.ctx.events.publish(DaemonEvent::SlotState {
            slot_id: slot.spec.id.clone(),
            state,
            previous: previous.unwrap_or(SlotState::Stopped),
        });
    }
}

/// Screen lines quoted in a disagreement report.
const REPORT_LINES: usize = 8;

/// Give the reconciler the screen's reading; log a disagreement that just outlasted its
/// tolerance, with the bottom of the screen, as a report for the screen reader's authors.
pub fn reconcile(slot: &Slot, run: &mut Run) {
    let t = run.now();
    let agents = run
        .term
        .status()
        .is_some_and(|s| !s.subagents.is_empty() || s.waiting_for_agents.is_some());
    run.merge.screen_agents(agents);
    let Some(d) = run.merge.observe(run.term.state(), t) else {
        return;
    };
    // The moment, replayable: the slot's PTY log at `at_secs` on the run's clock.
    let replay = super::pty_log::list_logs(&slot.ctx.logs_dir, &slot.spec.id)
        .pop()
        .map(|log| {
            format!(
                "missiond replay {} --screen-at {:.2}",
                log.display(),
                d.since
            )
        })
        .unwrap_or_default();
    let lines: Vec<String> = run
        .term
        .screen_lines()
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .collect();
    let bottom = lines[lines.len().saturating_sub(REPORT_LINES)..].join("\n");
    // One line (the screen quoted with escapes), so that one episode is one log line.
    tracing::warn!(
        slot = %slot.spec.id,
        screen_state = %d.screen,
        hook_state = %d.hook,
        hook_event = %d.event,
        for_secs = format!("{:.1}", t - d.since),
        at_secs = format!("{:.2}", d.since),
        replay = %replay,
        screen_bottom = ?bottom,
        "parser disagreement on slot `{}`: the screen reads {} but the {} hook says {}; \
         reporting {}",
        slot.spec.id,
        d.screen,
        d.event,
        d.hook,
        d.hook,
    );
}

/// Folder trust is accepted only for slots configured `trusted: true`; every other
/// start-up dialog waits for a person or the orchestrator.
fn on_startup_dialog(slot: &Slot, run: &mut Run, info: &semantic_terminal::ConfirmInfo) {
    if info.kind == DialogKind::FolderTrust && slot.spec.config.trusted && !run.trust_answered {
        let keys = info
            .find(OptionMeaning::Yes)
            .and_then(|index| info.keys_for(index));
        if let Some(keys) = keys {
            run.trust_answered = true;
            let _ = run.pty.write(&keys);
            tracing::info!(slot = %slot.spec.id, "accepted folder trust (slot is trusted)");
            return;
        }
    }
    tracing::info!(
        slot = %slot.spec.id,
        kind = ?info.kind,
        title = %info.title,
        "start-up dialog waits for an answer (mission_pty_confirm)"
    );
}
