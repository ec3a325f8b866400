//! `POST /rpc`: call a catalogue tool over HTTP, for the board page and scripts.
//!
//! Body: `{"method": "mission_status", "params": {...}}` (`params` may be left out).
//! Answer: `{"result": ...}` or `{"error": {"code", "message", "data"}}`, both with HTTP
//! 200, exactly as the Unix socket would answer; a body that is not such an object is a
//! 400, one over [`MAX_BODY`] a 413. Only catalogue tools are served: the daemon's
//! internal methods (the hook relay) stay on the Unix socket, which only this user's
//! processes can open. With the read-only token, only tools that change nothing are
//! served (403 and `not_allowed` for the others).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use missiond_core::catalogue::{self, Tool, ToolDef};
use missiond_core::ipc::{Handler, RpcError};
use serde::Deserialize;
use serde_json::{Value, json};

use super::guard::Access;
use crate::daemon::handlers::Handlers;

/// The largest request body accepted (the same bound as an IPC line's order of size).
pub const MAX_BODY: usize = 1 << 20;

/// What the body must hold.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Call {
    method: String,
    #[serde(default)]
    params: Option<Value>,
}

/// Handle one call; `body` is already bounded by the route's `DefaultBodyLimit`.
pub async fn call(
    State(handlers): State<Arc<Handlers>>,
    access: Option<Extension<Access>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(rejection) => {
            let status = rejection.status();
            let why = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!("request body over {MAX_BODY} bytes")
            } else {
                rejection.body_text()
            };
            return refused(status, RpcError::invalid_request(why));
        }
    };
    let call: Call = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return refused(
                StatusCode::BAD_REQUEST,
                RpcError::parse_error(format!(
                    "{e}; the body must be {{\"method\": \"mission_...\", \"params\": {{...}}}}"
                )),
            );
        }
    };
    let params = call.params.unwrap_or_else(|| json!({}));
    if !params.is_object() {
        return refused(
            StatusCode::BAD_REQUEST,
            RpcError::invalid_request("`params` must be a JSON object"),
        );
    }
    // Not a catalogue tool (internal methods included): as unknown as a typo.
    let Some(tool) = catalogue::find(&call.method) else {
        return answer(Err(RpcError::method_not_found(&call.method)));
    };
    // The read-only token sees and never acts: checked here, whatever the page does.
    if access.map(|Extension(a)| a) != Some(Access::Full) && !only_reads(tool, &params) {
        return refused(
            StatusCode::FORBIDDEN,
            RpcError::not_allowed(
                &call.method,
                "this board was opened with the read-only token (`missiond board --view`); \
                 it can read, not act",
            ),
        );
    }
    // The board is an edge: its action gets a request id here unless it brought one.
    let mut params = params;
    let request_id = missiond_core::jarvis::request_id::take(&mut params)
        .unwrap_or_else(|| missiond_core::jarvis::request_id::mint("web"));
    let span = tracing::error_span!("request", request_id = %request_id, method = %call.method);
    let outcome = tracing::Instrument::instrument(
        missiond_core::jarvis::request_id::scope(request_id, handlers.handle(&call.method, params)),
        span,
    )
    .await;
    answer(outcome)
}

/// Whether calling `tool` with `params` changes nothing: read-only tools, and the inbox
/// read without marking its messages read.
fn only_reads(tool: &ToolDef, params: &Value) -> bool {
    tool.annotations.read_only_hint
        || (tool.name == catalogue::InboxRead::NAME
            && params.get("markRead") == Some(&Value::Bool(false)))
}

fn answer(outcome: Result<Value, RpcError>) -> Response {
    match outcome {
        Ok(result) => Json(json!({ "result": result })).into_response(),
        Err(error) => Json(json!({ "error": error })).into_response(),
    }
}

fn refused(status: StatusCode, error: RpcError) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}
