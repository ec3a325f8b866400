//! The question tools over the store: check the arguments, change or read the rows,
//! report them as the catalogue says.

use super::validate;
use super::{Question, QuestionError};
use crate::catalogue::{
    QUESTION_LIST_DEFAULT, QUESTION_LIST_MAX, QuestionAnswerParams, QuestionCounts,
    QuestionCreateParams, QuestionDismissParams, QuestionGetParams, QuestionInfo,
    QuestionListParams, QuestionListResult,
};
use crate::store::Store;
use crate::time::rfc3339_ms;

impl Question {
    /// As the tools report it.
    pub fn info(&self) -> QuestionInfo {
        QuestionInfo {
            question_id: self.id,
            question: self.question.clone(),
            context: self.context.clone(),
            slot_id: self.slot_id.clone(),
            task_id: self.task_id,
            options: self.options.clone(),
            priority: self.priority,
            status: self.status,
            answer: self.answer.clone(),
            dismiss_reason: self.dismiss_reason.clone(),
            inbox_message_id: self.inbox_id,
            created_at: rfc3339_ms(self.created_at),
            answered_at: self.answered_at.map(rfc3339_ms),
            dismissed_at: self.dismissed_at.map(rfc3339_ms),
        }
    }
}

/// `mission_question_create`: a pending question and its inbox message.
pub fn create(
    store: &Store,
    params: QuestionCreateParams,
    now: i64,
) -> Result<QuestionInfo, QuestionError> {
    let new = validate::new_question(params, now)?;
    Ok(store.insert_question(&new)?.info())
}

/// `mission_question_list`.
pub fn list(
    store: &Store,
    params: &QuestionListParams,
) -> Result<QuestionListResult, QuestionError> {
    let slot = params
        .slot_id
        .as_deref()
        .map(|s| validate::line("slotId", s))
        .transpose()?;
    let limit = params
        .limit
        .unwrap_or(QUESTION_LIST_DEFAULT)
        .clamp(1, QUESTION_LIST_MAX);
    let status = params.status.unwrap_or_default().status();
    let questions = store.questions(status, slot.as_deref(), limit)?;
    let [pending, answered, dismissed] = store.question_counts(slot.as_deref())?;
    Ok(QuestionListResult {
        questions: questions.iter().map(Question::info).collect(),
        counts: QuestionCounts {
            pending,
            answered,
            dismissed,
        },
    })
}

/// `mission_question_get`.
pub fn get(store: &Store, params: &QuestionGetParams) -> Result<QuestionInfo, QuestionError> {
    store
        .question(params.question_id)?
        .map(|q| q.info())
        .ok_or(QuestionError::NotFound(params.question_id))
}

/// `mission_question_answer`: only a pending question can be answered.
pub fn answer(
    store: &Store,
    params: QuestionAnswerParams,
    now: i64,
) -> Result<QuestionInfo, QuestionError> {
    let answer = validate::text("answer", params.answer)?;
    Ok(store
        .answer_question(params.question_id, &answer, now)?
        .info())
}

/// `mission_question_dismiss`: only a pending question can be dismissed.
pub fn dismiss(
    store: &Store,
    params: QuestionDismissParams,
    now: i64,
) -> Result<QuestionInfo, QuestionError> {
    let reason = params
        .reason
        .map(|r| validate::text("reason", r))
        .transpose()?;
    Ok(store
        .dismiss_question(params.question_id, reason.as_deref(), now)?
        .info())
}
