//! The HTTP surface: routes, handlers, and the streaming body.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::Value;
use tokio_stream::wrappers::ReceiverStream;

use crate::engine::Engine;
use crate::log::{LoggedRequest, RequestLog, now_rfc3339};
use crate::request::Inbound;
use crate::response::{Planned, error_json, new_id, status_for_error_type};
use crate::scenario::ErrorBody;

/// Claude Code's requests grow with the conversation; axum's 2 MB default is too small.
const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;

/// Shared state of a running server.
#[derive(Debug)]
pub struct AppState {
    /// Scenario state.
    pub engine: Mutex<Engine>,
    /// Request log.
    pub log: RequestLog,
}

/// The router serving the Messages API, OpenAI-style chat completions and the `/_mock`
/// endpoints.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/messages", post(messages))
        .route("/v1/messages/count_tokens", post(count_tokens))
        .route(
            "/v1/chat/completions",
            post(crate::openai::chat_completions),
        )
        .route("/_mock/requests", get(requests))
        // Claude Code's connectivity check (only sent when non-essential traffic is allowed).
        .route("/api/hello", any(hello))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// A log entry for a request, to be completed by the handler.
pub(crate) fn entry(
    method: &Method,
    uri: &Uri,
    status: StatusCode,
    request_id: &str,
) -> LoggedRequest {
    LoggedRequest {
        seq: 0,
        time: now_rfc3339(),
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        model: None,
        stream: false,
        last_user_text: String::new(),
        tool_results: Vec::new(),
        injected_text: String::new(),
        tools: Vec::new(),
        answer: None,
        tool_use_ids: Vec::new(),
        status: status.as_u16(),
        request_id: request_id.to_owned(),
    }
}

async fn messages(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let request_id = new_id("req_mock_");
    let body_json: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(error) => {
            let status = StatusCode::BAD_REQUEST;
            state.log.push(entry(&method, &uri, status, &request_id));
            let message = format!("request body is not JSON: {error}");
            return error_response(
                status,
                &error_body("invalid_request_error", &message),
                &request_id,
            );
        }
    };
    let inbound = Inbound::from_body(&body_json, body.len());
    // RUST_LOG=mock_anthropic=debug shows exactly what the client sent.
    tracing::debug!(body = %body_json, "messages request");
    let (answer, step) = match state.engine.lock() {
        Ok(mut engine) => engine.decide(&inbound),
        Err(_) => {
            let status = StatusCode::INTERNAL_SERVER_ERROR;
            state.log.push(entry(&method, &uri, status, &request_id));
            return error_response(
                status,
                &error_body("api_error", "mock state poisoned"),
                &request_id,
            );
        }
    };

    let mut logged = entry(&method, &uri, StatusCode::OK, &request_id);
    logged.model = Some(inbound.model.clone());
    logged.stream = inbound.stream;
    logged.last_user_text = inbound.last_user_text.clone();
    logged.tool_results = inbound.tool_results.clone();
    logged.injected_text = inbound.injected_text.clone();
    logged.tools = inbound.tools.clone();
    logged.answer = Some(answer.clone());

    if let Some(error) = &step.error {
        let status =
            StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        logged.status = status.as_u16();
        state.log.push(logged);
        let mut response = error_response(status, &error.body(), &request_id);
        if let Some(secs) = error.retry_after_s {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        return response;
    }

    let planned = Planned::new(&step, &inbound);
    let ids = planned.tool_use_ids();
    if let Ok(mut engine) = state.engine.lock() {
        engine.remember_tool_uses(&answer, &ids);
        if planned.stream_error.is_some() && inbound.stream {
            engine.remember_stream_error(&answer);
        }
    }
    logged.tool_use_ids = ids;

    if !inbound.stream {
        if let Some(error) = &planned.stream_error {
            // A non-streaming answer cannot fail half-way: send the error as HTTP.
            let status = StatusCode::from_u16(status_for_error_type(&error.kind))
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            logged.status = status.as_u16();
            state.log.push(logged);
            return error_response(status, error, &request_id);
        }
        state.log.push(logged);
        let mut response = axum::Json(planned.to_message_json()).into_response();
        set_request_id(&mut response, &request_id);
        return response;
    }
    state.log.push(logged);
    stream_response(planned, &request_id)
}

/// Sends the events from a task, pausing as scripted; a closed connection ends the task.
fn stream_response(planned: Planned, request_id: &str) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, Infallible>>(16);
    tokio::spawn(async move {
        for event in planned.to_events() {
            if !event.delay.is_zero() {
                tokio::time::sleep(event.delay).await;
            }
            if tx.send(Ok(Bytes::from(event.to_wire()))).await.is_err() {
                return;
            }
        }
    });
    let mut response = Response::new(Body::from_stream(ReceiverStream::new(rx)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    set_request_id(&mut response, request_id);
    response
}

async fn count_tokens(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let request_id = new_id("req_mock_");
    let mut logged = entry(&method, &uri, StatusCode::OK, &request_id);
    if let Ok(value) = serde_json::from_slice::<Value>(&body) {
        let inbound = Inbound::from_body(&value, body.len());
        logged.model = Some(inbound.model);
        logged.last_user_text = inbound.last_user_text;
        logged.tools = inbound.tools;
    }
    state.log.push(logged);
    let tokens = (body.len() as u64 / 4).max(1);
    let mut response = axum::Json(serde_json::json!({ "input_tokens": tokens })).into_response();
    set_request_id(&mut response, &request_id);
    response
}

async fn requests(State(state): State<Arc<AppState>>) -> Response {
    axum::Json(state.log.snapshot()).into_response()
}

async fn hello(State(state): State<Arc<AppState>>, method: Method, uri: Uri) -> Response {
    let request_id = new_id("req_mock_");
    state
        .log
        .push(entry(&method, &uri, StatusCode::OK, &request_id));
    let mut response = StatusCode::OK.into_response();
    set_request_id(&mut response, &request_id);
    response
}

async fn not_found(State(state): State<Arc<AppState>>, method: Method, uri: Uri) -> Response {
    let request_id = new_id("req_mock_");
    let status = StatusCode::NOT_FOUND;
    state.log.push(entry(&method, &uri, status, &request_id));
    tracing::warn!(%method, %uri, "unknown path");
    let message = format!("{method} {} is not served by mock-anthropic", uri.path());
    error_response(
        status,
        &error_body("not_found_error", &message),
        &request_id,
    )
}

fn error_body(kind: &str, message: &str) -> ErrorBody {
    ErrorBody {
        kind: kind.to_owned(),
        message: message.to_owned(),
    }
}

fn error_response(status: StatusCode, error: &ErrorBody, request_id: &str) -> Response {
    let mut response = (status, axum::Json(error_json(error, request_id))).into_response();
    set_request_id(&mut response, request_id);
    response
}

pub(crate) fn set_request_id(response: &mut Response, request_id: &str) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("request-id", value);
    }
}
