//! Why a question operation was refused, and the JSON-RPC error each reason becomes.

use serde_json::json;

use super::validate::Invalid;
use super::{QuestionId, QuestionStatus};
use crate::ipc::{ErrorCode, RpcError};
use crate::store::StoreError;
use crate::tasks::TaskId;

/// A refused or failed question operation.
#[derive(Debug, thiserror::Error)]
pub enum QuestionError {
    /// No question has this id.
    #[error("unknown question {0}: list them with mission_question_list")]
    NotFound(QuestionId),
    /// The question is no longer pending (answered or dismissed are final).
    #[error("question {id} is already {status}: only a pending question can be {action}")]
    NotPending {
        /// The question.
        id: QuestionId,
        /// Its status now.
        status: QuestionStatus,
        /// What was asked (`answered`, `dismissed`).
        action: &'static str,
    },
    /// The question names a task that does not exist.
    #[error("unknown task {0}: give the id mission_submit returned, or leave taskId out")]
    UnknownTask(TaskId),
    /// An argument breaks a rule.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl QuestionError {
    /// As a JSON-RPC error: unknown ids and bad values are `invalid_params` naming the
    /// field (as `mission_task` does); a question no longer pending is `invalid_choice`.
    pub fn to_rpc(&self) -> RpcError {
        match self {
            QuestionError::NotFound(id) => RpcError::invalid_params("questionId", self)
                .with_data(json!({ "field": "questionId", "questionId": id })),
            QuestionError::NotPending { id, status, .. } => {
                RpcError::new(ErrorCode::InvalidChoice, self.to_string())
                    .with_data(json!({ "questionId": id, "status": status }))
            }
            QuestionError::UnknownTask(id) => RpcError::invalid_params("taskId", self)
                .with_data(json!({ "field": "taskId", "taskId": id })),
            QuestionError::Invalid(e) => RpcError::invalid_params(&e.field, &e.message),
            QuestionError::Store(e) => e.to_rpc(),
        }
    }
}

impl From<QuestionError> for RpcError {
    fn from(e: QuestionError) -> RpcError {
        e.to_rpc()
    }
}
