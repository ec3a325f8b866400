//! Prompts and dialogs: typing a prompt and waiting for its turn to end, answering the
//! open dialog by meaning, and following Claude Code's hook events.

use std::sync::Arc;
use std::time::Duration;

use missiond_core::catalogue::{ConfirmAnswer, ConfirmResponse};
use missiond_core::ipc::{ErrorCode, RpcError};
use semantic_terminal::{ConfirmInfo, OptionMeaning, State};
use serde_json::json;
use tokio::time::Instant;

use super::hooks::HookEvent;
use super::slot::{Slot, shutting_down};
use super::transcript::{self, TurnRecord};
use super::turn::{Outcome, Turn};

/// Pause between typing a prompt and pressing Enter, so Claude Code reads the Enter as a
/// key press and not as part of pasted text.
const SUBMIT_DELAY: Duration = Duration::from_millis(150);

/// How a wait for a turn ended.
#[derive(Debug, Clone)]
pub struct TurnWait {
    /// The slot's state at the end of the wait.
    pub state: State,
    /// Set when the turn ended.
    pub outcome: Option<Outcome>,
    /// The open dialog, when the wait ended because one opened.
    pub dialog: Option<ConfirmInfo>,
    /// The time allowed ran out first.
    pub timed_out: bool,
    /// What the transcript holds of an unfinished turn (answer so far, tools).
    pub partial: TurnRecord,
}

/// The bytes that type `text`: bracketed paste when it has several lines, so the newlines
/// do not submit early.
pub fn typed(text: &str) -> Vec<u8> {
    let text = text.replace("\r\n", "\n");
    if text.contains('\n') {
        let mut bytes = b"\x1b[200~".to_vec();
        bytes.extend_from_slice(text.as_bytes());
        bytes.extend_from_slice(b"\x1b[201~");
        bytes
    } else {
        text.into_bytes()
    }
}

/// How `text` shows in Claude Code's input box once typed: its first characters, or the
/// placeholder Claude Code draws for pasted (multi-line) text.
fn input_head(text: &str) -> String {
    if text.contains('\n') {
        return "[Pasted text".to_string();
    }
    text.trim().chars().take(24).collect()
}

/// Whether the input box (the bottom of the screen) still holds a prompt that starts
/// with `head`: typed, but not submitted.
fn input_holds(lines: &[String], head: &str) -> bool {
    !head.is_empty()
        && lines.iter().rev().take(12).any(|line| {
            line.trim_start()
                .strip_prefix('❯')
                .is_some_and(|rest| rest.trim_start().starts_with(head))
        })
}

/// A prompt whose Enter got lost (Claude Code was busy drawing, or not yet reading its
/// input) waits in the input box for ever. After this long without Claude Code taking
/// it up, Enter is pressed again, at most [`MAX_RESUBMITS`] times: an Enter on a prompt
/// that is still there only completes the submission, and the box must show the prompt.
const RESUBMIT_AFTER: Duration = Duration::from_secs(6);
/// See [`RESUBMIT_AFTER`].
const MAX_RESUBMITS: u32 = 2;

/// Clears the slot's "send in progress" mark however the send ends.
struct SendingMark<'a>(&'a Slot);

impl Drop for SendingMark<'_> {
    fn drop(&mut self) {
        self.0.lock().sending = false;
    }
}

/// Type `text`, press Enter, and wait until the turn ends, a dialog opens, or `timeout`.
pub async fn send(slot: &Arc<Slot>, text: &str, timeout: Duration) -> Result<TurnWait, RpcError> {
    if slot.ctx.is_shutting_down() {
        return Err(shutting_down());
    }
    let deadline = Instant::now() + timeout;
    if slot.spec.claude {
        wait_until_ready(slot, deadline).await?;
    }
    let seq = {
        let mut inner = slot.lock();
        let sending = inner.sending;
        let Some(run) = inner.run.as_mut().filter(|r| r.is_alive()) else {
            return Err(RpcError::slot_not_running(&slot.spec.id));
        };
        let state = run.state();
        if let Some(turn) = run.turn.as_mut().filter(|t| t.is_stale()) {
            // Typed but never taken up (a lost Enter, a prompt Claude Code ignored):
            // do not let it hold the slot forever.
            turn.finish_from_transcript(state);
            slot.ctx.records.turn_finished(turn);
        }
        let busy = sending
            || run.turn.as_ref().is_some_and(Turn::is_open)
            || (slot.spec.claude
                && (state.is_working() || matches!(state, State::Confirming | State::Starting)));
        if busy {
            return Err(RpcError::slot_busy(&slot.spec.id, state.as_str()));
        }
        run.pty
            .write(&typed(text))
            .map_err(|e| RpcError::internal(format!("slot `{}`: {e:#}", slot.spec.id)))?;
        let seq = run.next_seq;
        run.next_seq += 1;
        let mut turn = Turn::new(seq, run.transcript_cursor());
        turn.typed_head = input_head(text);
        turn.record_id =
            slot.ctx
                .records
                .turn_started(&slot.spec.id, run.record_id, text, turn.started_at);
        run.turn = Some(turn);
        inner.sending = true;
        seq
    };
    let _mark = SendingMark(slot);
    // Enter goes out even if this call is cancelled meanwhile (client gone): a typed,
    // unsubmitted prompt would leave the input box in a state nobody expects.
    let submit = {
        let slot = Arc::clone(slot);
        tokio::spawn(async move {
            tokio::time::sleep(SUBMIT_DELAY).await;
            slot.write(b"\r")
        })
    };
    submit
        .await
        .map_err(|e| RpcError::internal(format!("submitting the prompt: {e}")))??;
    let waited = wait_turn(slot, seq, deadline, None).await;
    if waited.timed_out && !slot.spec.claude {
        // Other programs have no turns to end: the line was typed, and that is all.
        close_turn(slot, Some(seq), waited.state);
    }
    Ok(waited)
}

/// End the open turn (`seq`, or whichever is open) now, with whatever the transcript
/// holds, and record it.
pub fn close_turn(slot: &Slot, seq: Option<u64>, state: State) {
    close_turn_as(slot, seq, state, false);
}

/// [`close_turn`], saying whether an interrupt ended the turn (a waiting send reports it).
pub fn close_turn_as(slot: &Slot, seq: Option<u64>, state: State, interrupted: bool) {
    let mut inner = slot.lock();
    let Some(turn) = inner
        .run
        .as_mut()
        .and_then(|r| r.turn.as_mut())
        .filter(|t| seq.is_none_or(|s| s == t.seq) && t.is_open())
    else {
        return;
    };
    turn.finish_from_transcript(state);
    if let Some(outcome) = turn.outcome.as_mut() {
        outcome.interrupted = interrupted;
    }
    slot.ctx.records.turn_finished(turn);
    drop(inner);
    slot.notify();
}

/// How long the screen may lag behind a turn that hooks already reported finished.
const SCREEN_CATCH_UP: Duration = Duration::from_secs(3);

/// Wait (bounded by `deadline`) for the screen to be ready for a prompt: Claude Code
/// draws nothing readable for a moment after spawn, and after a `Stop` hook the screen
/// may still show the spinner for a moment.
async fn wait_until_ready(slot: &Slot, deadline: Instant) -> Result<(), RpcError> {
    let mut rx = slot.subscribe();
    let catch_up = (Instant::now() + SCREEN_CATCH_UP).min(deadline);
    loop {
        let (state, turn_open) = {
            let inner = slot.lock();
            let Some(run) = inner.run.as_ref().filter(|r| r.is_alive()) else {
                return Err(RpcError::slot_not_running(&slot.spec.id));
            };
            (run.state(), run.turn.as_ref().is_some_and(Turn::is_open))
        };
        let lagging = state.is_working() && !turn_open && Instant::now() < catch_up;
        if state != State::Starting && !lagging {
            return Ok(());
        }
        if tokio::time::timeout_at(deadline, rx.changed())
            .await
            .is_err()
        {
            return Err(RpcError::slot_busy(&slot.spec.id, state.as_str()));
        }
    }
}

/// Wait for turn `seq` to end, a dialog to open (other than `answered`, the one just
/// answered), or `deadline`.
pub async fn wait_turn(
    slot: &Slot,
    seq: u64,
    deadline: Instant,
    answered: Option<ConfirmInfo>,
) -> TurnWait {
    let mut rx = slot.subscribe();
    let mut dialog_gone = answered.is_none();
    let mut resubmits = 0u32;
    loop {
        {
            let inner = slot.lock();
            let Some(run) = inner.run.as_ref() else {
                return TurnWait {
                    state: State::Exited,
                    outcome: None,
                    dialog: None,
                    timed_out: false,
                    partial: TurnRecord::default(),
                };
            };
            let state = run.state();
            let dialog = run.term.confirm().cloned();
            let outcome = run
                .turn
                .as_ref()
                .filter(|t| t.seq == seq)
                .and_then(|t| t.outcome.clone());
            if outcome.is_some() || !run.is_alive() {
                return TurnWait {
                    state,
                    outcome,
                    dialog: None,
                    timed_out: false,
                    partial: TurnRecord::default(),
                };
            }
            if slot.spec.claude && resubmits < MAX_RESUBMITS && state == State::Idle {
                let lost = run.turn.as_ref().filter(|t| t.seq == seq).is_some_and(|t| {
                    t.is_open()
                        && !t.began
                        && t.started_at
                            .elapsed()
                            .is_ok_and(|age| age > RESUBMIT_AFTER * (resubmits + 1))
                        && input_holds(&run.term.screen_lines(), &t.typed_head)
                });
                if lost {
                    resubmits += 1;
                    tracing::warn!(
                        slot = %slot.spec.id,
                        seq,
                        "the prompt still waits in the input box: pressing Enter again"
                    );
                    let _ = run.pty.write(b"\r");
                }
            }
            if state != State::Confirming || !same_dialog(dialog.as_ref(), answered.as_ref()) {
                dialog_gone = true;
            }
            if state == State::Confirming && dialog_gone && dialog.is_some() {
                let partial = run
                    .turn
                    .as_ref()
                    .map(|t| transcript::summarize(&t.cursor.clone().read_since()))
                    .unwrap_or_default();
                return TurnWait {
                    state,
                    outcome: None,
                    dialog,
                    timed_out: false,
                    partial,
                };
            }
        }
        // Wake at least once a second: a lost Enter leaves the screen still.
        let wake = deadline.min(Instant::now() + Duration::from_secs(1));
        if tokio::time::timeout_at(wake, rx.changed()).await.is_err() && wake >= deadline {
            let state = slot.state().unwrap_or(State::Exited);
            return TurnWait {
                state,
                outcome: None,
                dialog: None,
                timed_out: true,
                partial: TurnRecord::default(),
            };
        }
    }
}

/// Whether two readings show the same dialog (the selection marker and redraw details
/// may differ between readings).
pub fn same_dialog(a: Option<&ConfirmInfo>, b: Option<&ConfirmInfo>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            a.kind == b.kind
                && a.title == b.title
                && a.command == b.command
                && a.target == b.target
                && a.question == b.question
        }
        (None, None) => true,
        _ => false,
    }
}

/// Which option `answer` chooses in `info`, checked against the parsed dialog.
pub fn choose(info: &ConfirmInfo, answer: &ConfirmAnswer) -> Result<usize, RpcError> {
    let index = match answer {
        ConfirmAnswer::Response(ConfirmResponse::Yes) => info.find(OptionMeaning::Yes),
        ConfirmAnswer::Response(ConfirmResponse::Always) => info.find(OptionMeaning::YesAlways),
        ConfirmAnswer::Response(ConfirmResponse::No) => info.find(OptionMeaning::No),
        ConfirmAnswer::Response(ConfirmResponse::Option(n)) => {
            let n = *n;
            let numbered = info.options.iter().position(|o| o.number == Some(n));
            // Unnumbered menus: count from 1 in screen order.
            let all_unnumbered = info.options.iter().all(|o| o.number.is_none());
            numbered.or_else(|| {
                (all_unnumbered && n >= 1 && (n as usize) <= info.options.len())
                    .then(|| n as usize - 1)
            })
        }
        ConfirmAnswer::Label(label) => {
            let wanted = label.trim();
            info.options
                .iter()
                .position(|o| o.label.trim().eq_ignore_ascii_case(wanted))
        }
        ConfirmAnswer::Text(_) => info.find(OptionMeaning::FreeText),
    };
    index.ok_or_else(|| {
        let options: Vec<_> = info
            .options
            .iter()
            .map(|o| json!({"number": o.number, "label": o.label, "meaning": o.meaning}))
            .collect();
        let asked = match answer {
            ConfirmAnswer::Response(r) => serde_json::to_value(r).unwrap_or_default(),
            ConfirmAnswer::Label(l) => json!({ "label": l }),
            ConfirmAnswer::Text(_) => json!("free text"),
        };
        RpcError::new(
            ErrorCode::InvalidChoice,
            format!(
                "the open dialog ({}) has no option for {asked}; its options: {}",
                info.title.trim(),
                info.options
                    .iter()
                    .map(|o| o.label.as_str())
                    .collect::<Vec<_>>()
                    .join(" | ")
            ),
        )
        .with_data(json!({"response": asked, "options": options}))
    })
}

/// Answer the open dialog, first half: move the selection to the chosen option, as a
/// person would, without pressing Enter. Returns the dialog as it was, the chosen
/// option's index, and the current turn's number (to wait on).
///
/// Enter is sent separately by [`press_enter_on`] once the screen shows the choice
/// selected: arrow keys and Enter written together were seen to lose the Enter under
/// load, and a blind retry could land on the next dialog and approve it.
pub fn select(
    slot: &Slot,
    answer: &ConfirmAnswer,
) -> Result<(ConfirmInfo, usize, Option<u64>), RpcError> {
    slot.with_live(|run| {
        let Some(info) = run.term.confirm().cloned() else {
            return Err(RpcError::no_dialog_open(&slot.spec.id));
        };
        let index = choose(&info, answer)?;
        let mut keys = info
            .keys_for(index)
            .ok_or_else(|| RpcError::internal("chosen option vanished"))?;
        keys.pop(); // the trailing Enter
        if !keys.is_empty() {
            run.pty
                .write(&keys)
                .map_err(|e| RpcError::internal(format!("slot `{}`: {e:#}", slot.spec.id)))?;
        }
        let seq = run.turn.as_ref().filter(|t| t.is_open()).map(|t| t.seq);
        Ok((info, index, seq))
    })
}

/// Type `text` into the selected free-text option of the open dialog (no Enter).
pub fn type_answer(slot: &Slot, text: &str) -> Result<(), RpcError> {
    slot.with_live(|run| {
        run.pty
            .write(text.as_bytes())
            .map_err(|e| RpcError::internal(format!("slot `{}`: {e:#}", slot.spec.id)))
    })
}

/// Whether the open dialog's option `index` shows `text` (typed into it).
pub fn shows_typed(slot: &Slot, dialog: &ConfirmInfo, index: usize, text: &str) -> bool {
    let inner = slot.lock();
    let now = inner.run.as_ref().and_then(|r| r.term.confirm());
    same_dialog(now, Some(dialog))
        && now
            .and_then(|d| d.options.get(index))
            .is_some_and(|o| o.selected && o.label.trim() == text.trim())
}

/// Whether the slot still shows `dialog` with option `index` selected.
pub fn shows_selected(slot: &Slot, dialog: &ConfirmInfo, index: usize) -> bool {
    let inner = slot.lock();
    let now = inner.run.as_ref().and_then(|r| r.term.confirm());
    same_dialog(now, Some(dialog)) && now.and_then(ConfirmInfo::selected_index) == Some(index)
}

/// Answer the open dialog, second half: press Enter, but only while the screen shows
/// `dialog` with option `index` selected; otherwise nothing is sent and the error says
/// that nothing was confirmed. Returns the slot's output-chunk count at the keypress.
pub fn press_enter_on(slot: &Slot, dialog: &ConfirmInfo, index: usize) -> Result<u64, RpcError> {
    slot.with_live(|run| {
        let now = run.term.confirm();
        let ready = same_dialog(now, Some(dialog))
            && now.and_then(ConfirmInfo::selected_index) == Some(index);
        if !ready {
            return Err(RpcError::internal(format!(
                "slot `{}`: the dialog did not show option {} selected after the selection \
                 keys; nothing was confirmed (check mission_pty_status and try again)",
                slot.spec.id,
                index + 1
            )));
        }
        run.pty
            .write(b"\r")
            .map_err(|e| RpcError::internal(format!("slot `{}`: {e:#}", slot.spec.id)))?;
        if dialog.kind.is_startup() {
            run.trust_answered = true;
        }
        Ok(run.output_chunks)
    })
}

/// How long the open dialog has been announced, if one is.
pub fn dialog_age(slot: &Slot) -> Option<std::time::Duration> {
    let inner = slot.lock();
    let run = inner.run.as_ref()?;
    run.term.confirm()?;
    let age = run.now() - run.term.state_since();
    Some(std::time::Duration::from_secs_f64(age.max(0.0)))
}

/// Whether an Enter pressed when the output count was `chunks` was ignored: not one
/// byte of output since, and the same dialog still shows with the same option selected.
/// Any redraw at all means Claude Code took the key, so this never guesses.
pub fn enter_ignored(slot: &Slot, dialog: &ConfirmInfo, index: usize, chunks: u64) -> bool {
    let inner = slot.lock();
    let Some(run) = inner.run.as_ref().filter(|r| r.is_alive()) else {
        return false;
    };
    let now = run.term.confirm();
    run.output_chunks == chunks
        && same_dialog(now, Some(dialog))
        && now.and_then(ConfirmInfo::selected_index) == Some(index)
}

/// Output chunks received so far by the slot's current run.
pub fn output_chunks(slot: &Slot) -> u64 {
    slot.lock().run.as_ref().map_or(0, |r| r.output_chunks)
}

/// Follow one hook event from the slot's Claude Code.
pub fn on_hook(slot: &Slot, event: &HookEvent) {
    {
        let mut inner = slot.lock();
        let sending = inner.sending;
        let Some(run) = inner.run.as_mut().filter(|r| r.is_alive()) else {
            tracing::debug!(slot = %slot.spec.id, event = %event.event, "hook for a stopped slot");
            return;
        };
        // The reconciler hears the hook first: what the turn ends with is what
        // `mission_pty_status` says from now on.
        let t = run.now();
        run.merge.hook(&event.event, &event.payload, t);
        let state = run.state();
        match event.event.as_str() {
            "SessionStart" => {
                // A remote slot's hook names the host's path; its copy here stays.
                if let Some(path) = event.field("transcript_path")
                    && slot.spec.config.host.is_none()
                {
                    let path = std::path::PathBuf::from(path);
                    run.transcript.retain(|p| p != &path);
                    run.transcript.insert(0, path.clone());
                    if let Some(turn) = run.turn.as_mut() {
                        turn.cursor.prefer(path);
                    }
                }
                if let Some(id) = event.field("session_id")
                    && run.session_id.as_deref() != Some(id)
                {
                    run.session_id = Some(id.to_string());
                    if let Some(row) = run.record_id {
                        slot.ctx.records.session_id_changed(row, id);
                    }
                }
            }
            "UserPromptSubmit" => {
                if let Some(turn) = run.turn.as_mut().filter(|t| t.is_open()) {
                    turn.began = true;
                } else if let Some(prompt) = event.field("prompt").filter(|_| !sending) {
                    // Typed by a person (missiond-attach, the board's terminal): a turn
                    // like any other, recorded and ended by its Stop hook.
                    let seq = run.next_seq;
                    run.next_seq += 1;
                    let mut turn = Turn::new(seq, run.transcript_cursor());
                    turn.began = true;
                    turn.record_id = slot.ctx.records.turn_started(
                        &slot.spec.id,
                        run.record_id,
                        prompt,
                        turn.started_at,
                    );
                    run.turn = Some(turn);
                }
            }
            "PreToolUse" => {
                if let Some(turn) = run.turn.as_mut().filter(|t| t.is_open()) {
                    turn.began = true;
                    if let Some(tool) = event.field("tool_name") {
                        let input = event.payload.get("tool_input");
                        turn.hook_tools
                            .push(super::transcript::tool_use(tool, input));
                    }
                }
            }
            // `StopFailure` only claims Error (in the merge): the turn is ended by the
            // screen once it shows the error, whose text the task runner reports.
            "Stop" => {
                if let Some(turn) = run.turn.as_mut().filter(|t| t.is_open()) {
                    let answer = event.field("last_assistant_message").map(str::to_string);
                    // The merged state already says how the turn ended (Idle, or
                    // ToolRunning while background agents run).
                    let end = if state.is_working() && state != State::ToolRunning {
                        State::Idle
                    } else {
                        state
                    };
                    if end != State::Idle {
                        // Rare and worth a look: say what kept the turn's end from Idle.
                        let (on_screen, by_hooks) = run.merge.agents_evidence();
                        let footer = run.term.status().cloned();
                        tracing::warn!(
                            slot = %slot.spec.id,
                            end = %end,
                            screen = %run.term.state(),
                            agents_on_screen = on_screen,
                            agents_by_hooks = by_hooks,
                            footer = ?footer,
                            "a Stop hook ended the turn in a state other than Idle"
                        );
                    }
                    turn.finish_from_hook(answer, end);
                    slot.ctx.records.turn_finished(turn);
                }
            }
            _ => {}
        }
        super::slot_task::reconcile(slot, run);
        tracing::debug!(slot = %slot.spec.id, event = %event.event, "hook");
    }
    slot.notify();
}

#[cfg(test)]
mod tests {
    use super::*;
    use semantic_terminal::{ConfirmOption, DialogKind};

    #[test]
    fn a_prompt_still_in_the_input_box_is_told_from_one_taken() {
        let rule = "─".repeat(40);
        let screen = |input: &str| -> Vec<String> {
            format!("● Earlier answer\n\n{rule}\n❯ {input}\n{rule}\n  ⏸ manual mode on")
                .lines()
                .map(str::to_string)
                .collect()
        };
        let head = input_head("Continue towards the goal: count to two");
        assert_eq!(head, "Continue towards the goa", "the first 24 characters");
        assert!(input_holds(
            &screen("Continue towards the goal: count to two"),
            &head
        ));
        assert!(
            !input_holds(&screen(""), &head),
            "an empty box: the prompt was taken"
        );
        // The same words higher up, in the transcript, are not the input box's.
        let mut taken = screen("");
        taken.insert(0, "❯ Continue towards the goal: count to two".to_string());
        for _ in 0..12 {
            taken.insert(1, String::new());
        }
        assert!(!input_holds(&taken, &head));
        assert_eq!(input_head("a\nb"), "[Pasted text");
        assert!(input_holds(
            &screen("[Pasted text #1 +1 lines]"),
            "[Pasted text"
        ));
        assert!(!input_holds(&screen("anything"), ""));
    }

    fn dialog(numbered: bool) -> ConfirmInfo {
        let opt = |n: u32, label: &str, meaning, selected| ConfirmOption {
            number: numbered.then_some(n),
            label: label.into(),
            meaning,
            selected,
            description: None,
        };
        ConfirmInfo {
            kind: DialogKind::Bash,
            title: "Bash command".into(),
            tool: Some("Bash".into()),
            command: Some("echo hi > x".into()),
            target: None,
            details: vec![],
            question: "Do you want to proceed?".into(),
            options: vec![
                opt(1, "Yes", OptionMeaning::Yes, true),
                opt(2, "Yes, and always allow", OptionMeaning::YesAlways, false),
                opt(3, "No", OptionMeaning::No, false),
            ],
        }
    }

    #[test]
    fn answers_by_meaning_and_number() {
        use ConfirmResponse as R;
        let r = |r| ConfirmAnswer::Response(r);
        let d = dialog(true);
        assert_eq!(choose(&d, &r(R::Yes)).unwrap(), 0);
        assert_eq!(choose(&d, &r(R::No)).unwrap(), 2);
        assert_eq!(choose(&d, &r(R::Always)).unwrap(), 1);
        assert_eq!(choose(&d, &r(R::Option(2))).unwrap(), 1);
        assert_eq!(
            choose(&d, &r(R::Option(9))).unwrap_err().code,
            ErrorCode::InvalidChoice.code()
        );
        let mut no_always = dialog(false);
        no_always.options.remove(1);
        assert_eq!(choose(&no_always, &r(R::Option(2))).unwrap(), 1);
        assert!(choose(&no_always, &r(R::Always)).is_err());
    }

    #[test]
    fn answers_a_question_by_label_or_free_text() {
        let mut d = dialog(true);
        d.kind = DialogKind::AskUserQuestion;
        d.options[2].label = "Type something.".into();
        d.options[2].meaning = OptionMeaning::FreeText;
        let label = |l: &str| ConfirmAnswer::Label(l.into());
        assert_eq!(choose(&d, &label("yes, AND always allow")).unwrap(), 1);
        let err = choose(&d, &label("Purple")).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidChoice.code());
        assert!(err.message.contains("Type something."), "{}", err.message);
        assert_eq!(choose(&d, &ConfirmAnswer::Text("orbit".into())).unwrap(), 2);
        assert!(choose(&dialog(true), &ConfirmAnswer::Text("x".into())).is_err());
    }

    #[test]
    fn multi_line_text_is_pasted() {
        assert_eq!(typed("hi"), b"hi".to_vec());
        assert_eq!(typed("a\r\nb"), b"\x1b[200~a\nb\x1b[201~".to_vec());
    }
}
