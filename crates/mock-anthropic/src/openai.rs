//! An OpenAI-compatible chat completions endpoint (`POST /v1/chat/completions`), answered
//! from the same scenario as the Messages API, so a client that speaks either style
//! (missiond's AI router) is tested against one script.
//!
//! Not streamed: a request with `"stream": true` gets a 400. Tools offered in OpenAI's
//! shape (`{"type": "function", "function": {"name": ...}}`) count as tools; a request
//! with none is answered by `without_tools` rules (then `side_answer`), as on the
//! Messages API. Scripted errors come back in OpenAI's error shape with their status and
//! `retry-after`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::http::{AppState, entry, set_request_id};
use crate::request::Inbound;
use crate::response::{Block, Planned, new_id};

/// The handler of `POST /v1/chat/completions`.
pub(crate) async fn chat_completions(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let request_id = new_id("req_mock_");
    let fail = |status: StatusCode, kind: &str, message: &str| {
        state.log.push(entry(&method, &uri, status, &request_id));
        error_response(status, kind, message, &request_id, None)
    };
    let body_json: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(error) => {
            let message = format!("request body is not JSON: {error}");
            return fail(StatusCode::BAD_REQUEST, "invalid_request_error", &message);
        }
    };
    if body_json.get("stream").and_then(Value::as_bool) == Some(true) {
        return fail(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "mock-anthropic's chat completions endpoint does not stream: send stream false",
        );
    }
    let mut inbound = Inbound::from_body(&body_json, body.len());
    inbound.tools = openai_tools(&body_json);
    let Ok(mut engine) = state.engine.lock() else {
        return fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "mock state poisoned",
        );
    };
    let (answer, step) = engine.decide(&inbound);
    drop(engine);

    let mut logged = entry(&method, &uri, StatusCode::OK, &request_id);
    logged.model = Some(inbound.model.clone());
    logged.last_user_text = inbound.last_user_text.clone();
    logged.tools = inbound.tools.clone();
    logged.answer = Some(answer);

    if let Some(error) = &step.error {
        let status =
            StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        logged.status = status.as_u16();
        state.log.push(logged);
        return error_response(
            status,
            &error.kind,
            &error.message,
            &request_id,
            error.retry_after_s,
        );
    }
    let planned = Planned::new(&step, &inbound);
    state.log.push(logged);
    let mut response = axum::Json(completion_json(&planned)).into_response();
    set_request_id(&mut response, &request_id);
    response
}

/// The names of the tools offered, in either OpenAI's or Anthropic's shape.
fn openai_tools(body: &Value) -> Vec<String> {
    body.get("tools")
        .and_then(Value::as_array)
        .map(|tools| {
            tools
                .iter()
                .filter_map(|t| {
                    t.get("function")
                        .and_then(|f| f.get("name"))
                        .or_else(|| t.get("name"))
                        .and_then(Value::as_str)
                })
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A `chat.completion` object for a planned answer.
fn completion_json(planned: &Planned) -> Value {
    let text: String = planned
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Text(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    let tool_calls: Vec<Value> = planned
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::ToolUse { id, name, input } => Some(json!({
                "id": id,
                "type": "function",
                "function": {"name": name, "arguments": input.to_string()},
            })),
            _ => None,
        })
        .collect();
    let finish_reason = match planned.stop_reason.as_str() {
        "end_turn" | "stop_sequence" => "stop",
        "tool_use" => "tool_calls",
        "max_tokens" => "length",
        other => other,
    };
    let mut message = json!({"role": "assistant", "content": text});
    if !tool_calls.is_empty() {
        message["tool_calls"] = Value::Array(tool_calls);
    }
    let created = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    json!({
        "id": planned.id.replacen("msg_", "chatcmpl-", 1),
        "object": "chat.completion",
        "created": created,
        "model": planned.model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {
            "prompt_tokens": planned.input_tokens,
            "completion_tokens": planned.output_tokens,
            "total_tokens": planned.input_tokens + planned.output_tokens,
        },
    })
}

/// OpenAI's error shape.
fn error_response(
    status: StatusCode,
    kind: &str,
    message: &str,
    request_id: &str,
    retry_after_s: Option<u64>,
) -> Response {
    let body = json!({
        "error": {"message": message, "type": kind, "param": null, "code": null},
    });
    let mut response = (status, axum::Json(body)).into_response();
    set_request_id(&mut response, request_id);
    if let Some(secs) = retry_after_s {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}
