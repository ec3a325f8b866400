//! Answers to an agent's questions, brought back to the asking slot (once each):
//! - in the context of its next prompt ([`for_prompt`], from the `UserPromptSubmit` hook);
//! - at once, in a short prompt of its own, when the question asked for that
//!   (`wakeWhenAnswered`) and the slot is idle ([`wake_idle`], from the memory driver's
//!   loop, woken when an answer is given);
//! - when the agent reads its questions with `mission_question_mine` ([`mine`]).

use std::sync::Arc;

use missiond_core::catalogue::{
    PtySendParams, QUESTION_MINE_MAX, QuestionMineParams, QuestionMineResult,
};
use missiond_core::conversations::cap_text;
use missiond_core::ipc::RpcError;
use missiond_core::questions::{Question, QuestionStatus};
use missiond_core::store::{Delivery, Store};
use missiond_core::time::now_ms;

use super::supervisor::Supervisor;

/// Most bytes of one answer in a prompt's context (the rest: mission_question_mine).
const ANSWER_BYTES: usize = 4 * 1024;

fn line(q: &Question) -> String {
    let (question, _) = cap_text(&q.question, 200);
    let (answer, cut) = cap_text(q.answer.as_deref().unwrap_or_default(), ANSWER_BYTES);
    format!(
        "- {} \"{}\": {}{}",
        q.id,
        question.replace('\n', " "),
        answer,
        if cut {
            " …(mission_question_mine has it all)"
        } else {
            ""
        }
    )
}

/// The answers of `slot`'s questions not yet delivered, as context (marked delivered).
pub fn for_prompt(store: &Store, slot: &str) -> Option<String> {
    let answered = store
        .questions_undelivered(Some(slot), false)
        .map_err(|e| tracing::warn!(slot, "answers for a prompt: {e}"))
        .ok()?;
    if answered.is_empty() {
        return None;
    }
    let ids: Vec<_> = answered.iter().map(|q| q.id).collect();
    if let Err(e) = store.questions_delivered(&ids, Delivery::Prompt, now_ms()) {
        tracing::warn!(slot, "recording delivered answers: {e}");
    }
    let lines: Vec<String> = answered.iter().map(line).collect();
    Some(format!(
        "Answers to questions you asked with mission_question_create:\n{}",
        lines.join("\n")
    ))
}

/// `mission_question_mine`.
pub fn mine(store: &Store, p: &QuestionMineParams) -> Result<QuestionMineResult, RpcError> {
    let slot = p
        .slot_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            RpcError::invalid_params(
                "slotId",
                "name the asking slot (a slot's own mission server fills it in)",
            )
        })?;
    let status = (!p.include_closed.unwrap_or(true)).then_some(QuestionStatus::Pending);
    let questions = store
        .questions(status, Some(slot), QUESTION_MINE_MAX)
        .map_err(|e| e.to_rpc())?;
    let fresh = store
        .questions_undelivered(Some(slot), false)
        .map_err(|e| e.to_rpc())?;
    let ids: Vec<_> = fresh.iter().map(|q| q.id).collect();
    store
        .questions_delivered(&ids, Delivery::Tool, now_ms())
        .map_err(|e| e.to_rpc())?;
    Ok(QuestionMineResult {
        questions: questions.iter().map(Question::info).collect(),
        newly_answered: ids.iter().map(ToString::to_string).collect(),
    })
}

/// Prompts each idle slot whose answered question asked for a wake-up.
pub fn wake_idle(sup: &Arc<Supervisor>) {
    let store = sup.ctx.records.shared_store();
    let waiting = match store.questions_undelivered(None, true) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!("answers to wake slots with: {e}");
            return;
        }
    };
    for q in waiting {
        let Some(slot_id) = q.slot_id.as_deref() else {
            continue;
        };
        let Ok(slot) = sup.get(slot_id) else {
            continue;
        };
        let alive = slot.lock().run.as_ref().is_some_and(|r| r.is_alive());
        if !alive || !super::dispatch::is_free(&slot) {
            // It gets the answer with its next prompt instead.
            continue;
        }
        if let Err(e) = store.questions_delivered(&[q.id], Delivery::Wake, now_ms()) {
            tracing::warn!(slot = slot_id, "recording a delivered answer: {e}");
            continue;
        }
        let message = format!(
            "Your question {} was answered. {}\nCarry on with what you were doing in \
             the light of this answer.",
            q.id,
            line(&q).trim_start_matches("- ")
        );
        tracing::info!(slot = slot_id, question = %q.id, "slot woken with its answer");
        let slot = slot.clone();
        let store = store.clone();
        let question = q.id;
        tokio::spawn(async move {
            let params = PtySendParams {
                slot_id: slot.spec.id.clone(),
                message,
                timeout_ms: None,
            };
            if let Err(e) = super::pty_tools::send(&slot, params).await {
                tracing::warn!(slot = %slot.spec.id, "waking with an answer: {}", e.message);
                // Not lost: it goes with the slot's next prompt or wake-up.
                if let Err(e) = store.question_wake_failed(question) {
                    tracing::warn!(slot = %slot.spec.id, "taking back the wake-up: {e}");
                }
            }
        });
    }
}
