//! The `mission_pty_*` tools, over the slots.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use missiond_core::catalogue::{
    self as cat, ConfirmAnswer, PtyConfirmParams, PtyConfirmResult, PtyHistoryParams,
    PtyHistoryResult, PtyKillResult, PtyLogsParams, PtyLogsResult, PtyScreenParams,
    PtyScreenResult, PtySendParams, PtySendResult, PtySpawnResult, PtyStatusResult, SlotState,
    SlotStateResult,
};
use missiond_core::ipc::RpcError;
use semantic_terminal::{DialogKind, State};
use tokio::time::Instant;

/// RFC 3339 (UTC, milliseconds) for a point in time.
pub fn rfc3339(at: SystemTime) -> String {
    missiond_core::time::rfc3339_ms(missiond_core::time::system_time_ms(at))
}

use super::screenshot;
use super::slot::Slot;
use super::supervisor::KILL_GRACE;

// Declared here rather than in daemon/mod.rs: the screenshot's font loading, used only
// by `screenshot` below.
use super::{log_render, log_text, pty_log, slot_turns};

/// How long `mission_pty_spawn` waits for Claude Code to become ready.
const SPAWN_READY: Duration = Duration::from_secs(60);
/// How long confirm and interrupt wait to report the state that follows.
const SETTLE_REPORT: Duration = Duration::from_secs(2);
/// How long to wait for a question's free-text option to show selected before typing.
const TEXT_SELECT: Duration = Duration::from_secs(8);
/// How long a dialog must have been shown before Enter is pressed on it.
const DIALOG_SETTLE: Duration = Duration::from_millis(800);
/// How long to wait for any redraw after pressing Enter on a dialog.
const ENTER_ECHO: Duration = Duration::from_millis(1500);
/// How many more times Enter is pressed when a dialog showed no reaction at all.
const ENTER_RETRIES: usize = 2;

/// The wire state of a slot: `Stopped` when never run or ended by the daemon.
pub fn slot_state(slot: &Slot) -> (SlotState, Option<SystemTime>) {
    let inner = slot.lock();
    match inner.run.as_ref() {
        None => (SlotState::Stopped, None),
        Some(run) if !run.is_alive() => (run.slot_state(), run.exited_at),
        Some(run) => {
            let since = run.started_at + Duration::from_secs_f64(run.term.state_since().max(0.0));
            (run.slot_state(), Some(since))
        }
    }
}

/// Wait until `done` holds for the slot's screen state (or the process ended), at most
/// `limit`.
async fn wait_for(slot: &Slot, limit: Duration, done: impl Fn(State, &Slot) -> bool) {
    let mut rx = slot.subscribe();
    let deadline = Instant::now() + limit;
    loop {
        match slot.state() {
            Some(s) if s != State::Exited && !done(s, slot) => {}
            _ => return,
        }
        if slot.lock().run.as_ref().is_some_and(|r| !r.is_alive()) {
            return;
        }
        if tokio::time::timeout_at(deadline, rx.changed())
            .await
            .is_err()
        {
            return;
        }
    }
}

/// `mission_pty_spawn`.
pub async fn spawn(slot: &Arc<Slot>) -> Result<PtySpawnResult, RpcError> {
    let started = super::secrets::start(slot).await?;
    if started && slot.spec.claude {
        let trusted = slot.spec.config.trusted;
        wait_for(slot, SPAWN_READY, move |state, slot| match state {
            State::Starting => false,
            // A trusted slot's folder-trust dialog is being answered: keep waiting.
            State::Confirming if trusted => !slot
                .lock()
                .run
                .as_ref()
                .and_then(|r| r.term.confirm())
                .is_some_and(|c| c.kind == DialogKind::FolderTrust),
            _ => true,
        })
        .await;
    }
    if started {
        wait_for_program_pid(slot).await;
    }
    let (state, _) = slot_state(slot);
    let inner = slot.lock();
    let run = inner.run.as_ref();
    if let Some(r) = run.filter(|r| started && !r.is_alive()) {
        // Died during start-up (bad arguments, missing login ...): say why, from its screen.
        let screen: Vec<String> = r
            .term
            .screen_lines()
            .into_iter()
            .filter(|l| !l.trim().is_empty())
            .collect();
        let tail = screen[screen.len().saturating_sub(10)..].join("\n");
        let tail = super::secrets::scrub(&tail).into_owned();
        return Err(RpcError::new(
            missiond_core::ipc::ErrorCode::SpawnFailed,
            format!(
                "slot `{}` exited during start-up (exit code {:?}); its last screen:\n{tail}",
                slot.spec.id,
                r.exit.flatten()
            ),
        )
        .with_data(serde_json::json!({"slotId": slot.spec.id, "screen": tail})));
    }
    Ok(PtySpawnResult {
        slot_id: slot.spec.id.clone(),
        state,
        pid: run.and_then(|r| r.pid()),
        session_id: run.and_then(|r| r.session_id.clone()),
        already_running: !started,
        dialog: run.and_then(|r| r.term.confirm()).cloned(),
    })
}

/// Gives a sandboxed program a moment to appear, so the pid reported is the program's
/// own (not bubblewrap's) from the first answer on.
async fn wait_for_program_pid(slot: &Slot) {
    for _ in 0..100 {
        let found = match slot.lock().run.as_ref() {
            Some(run) if run.sandboxed && run.is_alive() => {
                run.pid().is_some() && run.program_pid.get().is_some()
            }
            _ => true,
        };
        if found {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// `mission_pty_send`.
pub async fn send(slot: &Arc<Slot>, p: PtySendParams) -> Result<PtySendResult, RpcError> {
    if p.message.trim().is_empty() {
        return Err(RpcError::invalid_params("message", "the message is empty"));
    }
    let timeout_ms = p
        .timeout_ms
        .unwrap_or(cat::SEND_TIMEOUT_DEFAULT_MS)
        .clamp(1, cat::SEND_TIMEOUT_MAX_MS);
    let began = std::time::Instant::now();
    let waited = slot_turns::send(slot, &p.message, Duration::from_millis(timeout_ms)).await?;
    if waited.timed_out {
        return Err(RpcError::timeout(&slot.spec.id, "the turn", timeout_ms));
    }
    let duration_ms = began.elapsed().as_millis() as u64;
    let (answer, tools, state, interrupted) = match &waited.outcome {
        Some(o) => (
            o.answer.clone().unwrap_or_default(),
            o.tools.clone(),
            SlotState::from(o.end_state),
            o.interrupted,
        ),
        None => (
            waited.partial.answer.clone().unwrap_or_default(),
            waited.partial.tools.clone(),
            SlotState::from(waited.state),
            false,
        ),
    };
    Ok(PtySendResult {
        answer,
        state,
        duration_ms,
        dialog: waited.dialog.clone(),
        tools_used: tools,
        interrupted,
    })
}

/// `mission_pty_screen`.
pub fn screen(slot: &Slot, p: &PtyScreenParams) -> Result<PtyScreenResult, RpcError> {
    slot.with_live(|run| {
        let (cols, rows) = run.term.size();
        // Scrubbed as rendered, before cutting: a secret wrapped from a row above is
        // still seen whole.
        let mut lines = super::secrets::scrub_lines(&run.term.screen_lines(), cols);
        if let Some(n) = p.lines {
            let keep = (n as usize).min(lines.len());
            lines.drain(..lines.len() - keep);
        }
        let cursor = run.term.cursor();
        Ok(PtyScreenResult {
            slot_id: slot.spec.id.clone(),
            state: SlotState::from(run.state()),
            screen: lines.join("\n"),
            cols,
            rows,
            cursor: cursor.visible.then_some(cat::CursorPos {
                row: cursor.row,
                col: cursor.col,
            }),
        })
    })
}

/// `mission_pty_screenshot`: the screen's cells are taken under the slot's lock, then
/// drawn on a blocking thread (a few milliseconds; fonts load on the first call).
pub async fn screenshot(
    slot: &Slot,
    p: &cat::PtyScreenshotParams,
) -> Result<cat::PtyScreenshotResult, RpcError> {
    use base64::Engine as _;
    let scale = p.scale.unwrap_or(cat::SCREENSHOT_SCALE_DEFAULT);
    if !(cat::SCREENSHOT_SCALE_MIN..=cat::SCREENSHOT_SCALE_MAX).contains(&scale) {
        return Err(RpcError::invalid_params(
            "scale",
            format!(
                "{scale} is outside {}..={}",
                cat::SCREENSHOT_SCALE_MIN,
                cat::SCREENSHOT_SCALE_MAX
            ),
        ));
    }
    let (mut cells, state) =
        slot.with_live(|run| Ok((run.term.cells(), SlotState::from(run.state()))))?;
    // The cells of secrets are drawn as the redaction marker.
    super::secrets::scrub_cells(&mut cells);
    let (cols, rows) = (cells.cols, cells.rows);
    let (png, cell) = tokio::task::spawn_blocking(move || {
        let renderer = screenshot::renderer()?;
        let render_err = |e: term_render::RenderError| match e {
            term_render::RenderError::TooLarge { .. } => RpcError::invalid_params("scale", e),
            other => RpcError::internal(other),
        };
        let cell = renderer.cell_size(scale as f32).map_err(render_err)?;
        let png = renderer
            .render_png(&cells, scale as f32)
            .map_err(render_err)?;
        Ok::<_, RpcError>((png, cell))
    })
    .await
    .map_err(|e| RpcError::internal(format!("screenshot task failed: {e}")))??;
    Ok(cat::PtyScreenshotResult {
        slot_id: slot.spec.id.clone(),
        state,
        mime_type: "image/png".to_string(),
        width: cols as u32 * cell.width,
        height: rows as u32 * cell.height,
        cols,
        rows,
        data: base64::engine::general_purpose::STANDARD.encode(png),
    })
}

/// `mission_pty_confirm`.
pub async fn confirm(slot: &Slot, p: PtyConfirmParams) -> Result<PtyConfirmResult, RpcError> {
    let answer = p
        .answer()
        .map_err(|reason| RpcError::invalid_params("response", reason))?;
    let (info, index, _) = slot_turns::select(slot, &answer)?;
    let shown = info.clone();
    wait_for(slot, SETTLE_REPORT, move |_, slot| {
        slot_turns::shows_selected(slot, &shown, index)
    })
    .await;
    if let ConfirmAnswer::Text(text) = &answer {
        // Typing before the selection shows would type into the wrong option: a loaded
        // machine may take a while to redraw it.
        let shown = info.clone();
        wait_for(slot, TEXT_SELECT, move |_, slot| {
            slot_turns::shows_selected(slot, &shown, index)
        })
        .await;
        // Typed into the free-text option once it is selected; Enter only once the
        // option shows the text (checked below through the label it now has).
        if !slot_turns::shows_selected(slot, &info, index) {
            return Err(RpcError::internal(format!(
                "slot `{}`: the dialog did not show its free-text option selected; nothing \
                 was typed (check mission_pty_status and try again)",
                slot.spec.id
            )));
        }
        slot_turns::type_answer(slot, text)?;
        let (shown, text) = (info.clone(), text.clone());
        wait_for(slot, SETTLE_REPORT, move |_, slot| {
            slot_turns::shows_typed(slot, &shown, index, &text)
        })
        .await;
    }
    // Claude Code was seen to ignore an Enter that arrives just after a dialog opens.
    if let Some(age) = slot_turns::dialog_age(slot).filter(|age| *age < DIALOG_SETTLE) {
        tokio::time::sleep(DIALOG_SETTLE - age).await;
    }
    let mut chunks = slot_turns::press_enter_on(slot, &info, index)?;
    for _ in 0..ENTER_RETRIES {
        wait_for(slot, ENTER_ECHO, move |_, slot| {
            slot_turns::output_chunks(slot) != chunks
        })
        .await;
        if !slot_turns::enter_ignored(slot, &info, index, chunks) {
            break;
        }
        tracing::info!(slot = %slot.spec.id, "dialog ignored Enter (no redraw at all); pressing it again");
        chunks = slot_turns::press_enter_on(slot, &info, index)?;
    }
    let answered = info.clone();
    wait_for(slot, SETTLE_REPORT, move |state, slot| {
        let inner = slot.lock();
        let now = inner.run.as_ref().and_then(|r| r.term.confirm());
        state != State::Confirming || !slot_turns::same_dialog(now, Some(&answered))
    })
    .await;
    Ok(PtyConfirmResult {
        slot_id: slot.spec.id.clone(),
        chosen: {
            let mut chosen = info.options[index].clone();
            if let ConfirmAnswer::Text(text) = &answer {
                // Typing before the selection shows would type into the wrong option: a loaded
                // machine may take a while to redraw it.
                let shown = info.clone();
                wait_for(slot, TEXT_SELECT, move |_, slot| {
                    slot_turns::shows_selected(slot, &shown, index)
                })
                .await;
                chosen.label = text.clone();
            }
            chosen
        },
        state: slot_state(slot).0,
    })
}

/// `mission_pty_interrupt`.
pub async fn interrupt(slot: &Slot) -> Result<SlotStateResult, RpcError> {
    slot.interrupt()?;
    wait_for(slot, SETTLE_REPORT, |state, _| !state.is_working()).await;
    if let Some(state) = slot.state().filter(|s| !s.is_working()) {
        // The turn ends here; a send waiting on it returns now.
        slot_turns::close_turn_as(slot, None, state, true);
    }
    Ok(SlotStateResult {
        slot_id: slot.spec.id.clone(),
        state: slot_state(slot).0,
    })
}

/// `mission_pty_kill`.
pub async fn kill(slot: &Slot) -> Result<PtyKillResult, RpcError> {
    // Stopped on purpose: a restart the lifecycle scheduled must not bring it back.
    super::lifecycle::cancel_restart(slot);
    let alive = slot.lock().run.as_ref().is_some_and(|r| r.is_alive());
    if !alive {
        return Ok(PtyKillResult {
            slot_id: slot.spec.id.clone(),
            was_running: false,
            exit_code: None,
        });
    }
    let exit_code = match slot.kill(KILL_GRACE).await {
        Ok(code) => code,
        // It exited by itself between the check and the signal.
        Err(e) if e.kind() == Some(missiond_core::ipc::ErrorCode::SlotNotRunning) => None,
        Err(e) => return Err(e),
    };
    Ok(PtyKillResult {
        slot_id: slot.spec.id.clone(),
        was_running: true,
        exit_code,
    })
}

/// `mission_pty_status`.
pub fn status(slot: &Slot) -> PtyStatusResult {
    let (state, since) = slot_state(slot);
    let inner = slot.lock();
    let run = inner.run.as_ref();
    let live = run.filter(|r| r.is_alive());
    PtyStatusResult {
        slot_id: slot.spec.id.clone(),
        state,
        since: rfc3339(since.unwrap_or(slot.ctx.started_at)),
        status_bar: live.and_then(|r| r.term.status()).cloned(),
        dialog: live.and_then(|r| r.term.confirm()).cloned(),
        pid: live.and_then(|r| r.pid()),
        session_id: run.and_then(|r| r.session_id.clone()),
        // Where it runs: in its worktree when it has a workspace.
        cwd: slot.work_dir().display().to_string(),
        role: slot.spec.config.role.clone(),
        screen_state: live.map(|r| SlotState::from(r.term.state())),
        parser_disagreements: run.map(|r| r.merge.disagreements()),
        current_tool: live
            .filter(|_| state == SlotState::ToolRunning)
            .and_then(|r| r.turn.as_ref())
            .filter(|t| t.is_open())
            .and_then(|t| t.hook_tools.last().cloned()),
        status_file: live.and_then(|r| r.status_file.clone()),
    }
}

/// `mission_pty_history`.
pub fn history(slot: &Slot, p: &PtyHistoryParams) -> Result<PtyHistoryResult, RpcError> {
    let limit = p.limit.unwrap_or(cat::HISTORY_LIMIT_DEFAULT).clamp(1, 1000);
    let turns = slot
        .ctx
        .records
        .history(&slot.spec.id, limit)
        .map_err(|e| e.to_rpc())?;
    Ok(PtyHistoryResult {
        slot_id: slot.spec.id.clone(),
        turns,
    })
}

/// `mission_pty_logs`: the latest log of the slot.
pub fn logs(slot: &Slot, p: &PtyLogsParams) -> Result<PtyLogsResult, RpcError> {
    let max = p
        .tail_bytes
        .unwrap_or(cat::LOGS_TAIL_DEFAULT_BYTES)
        .clamp(1, cat::LOGS_TAIL_MAX_BYTES) as usize;
    let Some(path) = pty_log::list_logs(&slot.ctx.logs_dir, &slot.spec.id).pop() else {
        return Err(
            RpcError::slot_not_running(&slot.spec.id).with_data(serde_json::json!({
                "slotId": slot.spec.id,
                "reason": "no log yet: the slot has never run",
            })),
        );
    };
    let raw = std::fs::read_to_string(&path)
        .map_err(|e| RpcError::internal(format!("reading {}: {e}", path.display())))?;
    // The log was scrubbed as it was written; scrub again with everything known now
    // (secrets resolved later, escape-split ones), on the bytes and on the text.
    let (recording, skipped_line) = log_text::parse(&raw);
    let redactor = super::secrets::redactor();
    let text = if p.raw {
        let bytes = log_text::collect(&recording);
        String::from_utf8_lossy(&redactor.redact_bytes(&bytes)).into_owned()
    } else {
        let rendered = log_render::render(&recording, &|b: &[u8]| {
            redactor.redact_bytes(b).into_owned()
        });
        super::secrets::scrub(&rendered).into_owned()
    };
    let (tail, truncated) = log_text::tail(&text, max);
    Ok(PtyLogsResult {
        slot_id: slot.spec.id.clone(),
        path: path.display().to_string(),
        text: tail.to_string(),
        truncated,
        total_bytes: raw.len() as u64,
        skipped_line: skipped_line.map(|n| n as u64),
    })
}
