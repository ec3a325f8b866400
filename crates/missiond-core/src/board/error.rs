//! Why a board operation was refused, and the JSON-RPC error each reason becomes.

use serde_json::json;

use super::BoardTaskId;
use crate::ipc::RpcError;
use crate::questions::validate::Invalid;
use crate::store::StoreError;

/// A refused or failed board operation.
#[derive(Debug, thiserror::Error)]
pub enum BoardError {
    /// No board task has this id.
    #[error(
        "unknown board task {0}: list them with mission_board_list (includeHidden true shows hidden ones)"
    )]
    NotFound(BoardTaskId),
    /// An argument breaks a rule.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl BoardError {
    /// As a JSON-RPC error: unknown ids and bad values are `invalid_params` naming the
    /// field (as `mission_task` does for unknown task ids).
    pub fn to_rpc(&self) -> RpcError {
        match self {
            BoardError::NotFound(id) => RpcError::invalid_params("boardTaskId", self)
                .with_data(json!({ "field": "boardTaskId", "boardTaskId": id })),
            BoardError::Invalid(e) => RpcError::invalid_params(&e.field, &e.message),
            BoardError::Store(e) => e.to_rpc(),
        }
    }
}

impl From<BoardError> for RpcError {
    fn from(e: BoardError) -> RpcError {
        e.to_rpc()
    }
}
