//! JSON-RPC 2.0 messages as missiond uses them: requests, responses, error codes.
//!
//! Framing (one message per line) lives in [`super::codec`]; this module only knows
//! what a single message means. See `docs/ipc.md` for the protocol as a whole.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The only protocol version accepted and sent.
pub const JSONRPC_VERSION: &str = "2.0";

/// A request id. Numbers and strings are accepted; `null` ids are refused because a
/// reply to them could not be told apart from a reply to an unreadable message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Id {
    /// An integer id (what [`crate::ipc::IpcClient`] sends).
    Number(i64),
    /// A string id.
    String(String),
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Id::Number(n) => write!(f, "{n}"),
            Id::String(s) => write!(f, "{s:?}"),
        }
    }
}

/// Error codes: the JSON-RPC standard ones and missiond's application codes.
///
/// Application codes sit in the range JSON-RPC leaves to implementations
/// (-32000 to -32099). Each application error carries a `data` object naming what it is
/// about (`{"slotId": "coder-1"}` and so on). Never renumber a variant: clients match on
/// the numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The line is not valid JSON (or not UTF-8).
    ParseError,
    /// Valid JSON, but not a valid request (wrong version, no method, batch, too long).
    InvalidRequest,
    /// No tool or method has this name.
    MethodNotFound,
    /// The params do not match the method's schema; the message names the field.
    InvalidParams,
    /// A bug or an unexpected failure inside the daemon.
    Internal,
    /// No slot with this id is configured.
    UnknownSlot,
    /// The slot is configured but its Claude Code process is not running.
    SlotNotRunning,
    /// The slot is working on a turn (or another call holds it) and cannot take this call.
    SlotBusy,
    /// A confirm was requested but no dialog is open on the slot.
    NoDialogOpen,
    /// The operation did not finish in the allowed time.
    Timeout,
    /// A configuration file is missing something or is invalid.
    ConfigError,
    /// The slot is already running (for calls that need it stopped).
    SlotAlreadyRunning,
    /// Starting the slot's process failed.
    SpawnFailed,
    /// The database failed.
    StorageError,
    /// The daemon is shutting down and takes no new work.
    ShuttingDown,
    /// The request is understood but the answer it asks for is not possible
    /// (for example, a dialog option number that is not on screen).
    InvalidChoice,
    /// The caller may not call this method: an agent inside a slot asking for an
    /// orchestrator's tool, or a connection that did not prove who it is.
    NotAllowed,
}

impl ErrorCode {
    /// Every code, for documentation and tests.
    pub const ALL: [ErrorCode; 17] = [
        ErrorCode::ParseError,
        ErrorCode::InvalidRequest,
        ErrorCode::MethodNotFound,
        ErrorCode::InvalidParams,
        ErrorCode::Internal,
        ErrorCode::UnknownSlot,
        ErrorCode::SlotNotRunning,
        ErrorCode::SlotBusy,
        ErrorCode::NoDialogOpen,
        ErrorCode::Timeout,
        ErrorCode::ConfigError,
        ErrorCode::SlotAlreadyRunning,
        ErrorCode::SpawnFailed,
        ErrorCode::StorageError,
        ErrorCode::ShuttingDown,
        ErrorCode::InvalidChoice,
        ErrorCode::NotAllowed,
    ];

    /// The number sent on the wire.
    pub const fn code(self) -> i32 {
        match self {
            ErrorCode::ParseError => -32700,
            ErrorCode::InvalidRequest => -32600,
            ErrorCode::MethodNotFound => -32601,
            ErrorCode::InvalidParams => -32602,
            ErrorCode::Internal => -32603,
            ErrorCode::UnknownSlot => -32001,
            ErrorCode::SlotNotRunning => -32002,
            ErrorCode::SlotBusy => -32003,
            ErrorCode::NoDialogOpen => -32004,
            ErrorCode::Timeout => -32005,
            ErrorCode::ConfigError => -32006,
            ErrorCode::SlotAlreadyRunning => -32007,
            ErrorCode::SpawnFailed => -32008,
            ErrorCode::StorageError => -32009,
            ErrorCode::ShuttingDown => -32010,
            ErrorCode::InvalidChoice => -32011,
            ErrorCode::NotAllowed => -32012,
        }
    }

    /// The code for a wire number, if it is one of ours.
    pub fn from_code(code: i32) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.code() == code)
    }

    /// A stable snake_case name (`unknown_slot`), handy in logs and docs.
    pub const fn name(self) -> &'static str {
        match self {
            ErrorCode::ParseError => "parse_error",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::MethodNotFound => "method_not_found",
            ErrorCode::InvalidParams => "invalid_params",
            ErrorCode::Internal => "internal_error",
            ErrorCode::UnknownSlot => "unknown_slot",
            ErrorCode::SlotNotRunning => "slot_not_running",
            ErrorCode::SlotBusy => "slot_busy",
            ErrorCode::NoDialogOpen => "no_dialog_open",
            ErrorCode::Timeout => "timeout",
            ErrorCode::ConfigError => "config_error",
            ErrorCode::SlotAlreadyRunning => "slot_already_running",
            ErrorCode::SpawnFailed => "spawn_failed",
            ErrorCode::StorageError => "storage_error",
            ErrorCode::ShuttingDown => "shutting_down",
            ErrorCode::InvalidChoice => "invalid_choice",
            ErrorCode::NotAllowed => "not_allowed",
        }
    }
}

/// A JSON-RPC error object: what a handler returns and what a client receives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{message} (code {code})")]
pub struct RpcError {
    /// The wire code (see [`ErrorCode`]).
    pub code: i32,
    /// One sentence for a person or a model: what went wrong and, when known, what to do.
    pub message: String,
    /// Context as a JSON object (`{"slotId": "x"}`), absent when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    /// An error with a code and message, no data.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        RpcError {
            code: code.code(),
            message: message.into(),
            data: None,
        }
    }

    /// Adds (or replaces) the `data` object.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// The known code, if the number is one of ours.
    pub fn kind(&self) -> Option<ErrorCode> {
        ErrorCode::from_code(self.code)
    }

    /// -32700: the line is not JSON.
    pub fn parse_error(detail: impl std::fmt::Display) -> Self {
        RpcError::new(ErrorCode::ParseError, format!("parse error: {detail}"))
    }

    /// -32600: valid JSON but not a valid request.
    pub fn invalid_request(detail: impl std::fmt::Display) -> Self {
        RpcError::new(
            ErrorCode::InvalidRequest,
            format!("invalid request: {detail}"),
        )
    }

    /// -32012: the caller may not call `method`.
    pub fn not_allowed(method: &str, why: impl std::fmt::Display) -> Self {
        RpcError::new(
            ErrorCode::NotAllowed,
            format!("{method} is not allowed here: {why}"),
        )
        .with_data(json!({ "method": method }))
    }

    /// -32601, with `{"method": ...}`.
    pub fn method_not_found(method: &str) -> Self {
        RpcError::new(
            ErrorCode::MethodNotFound,
            format!("method not found: {method}"),
        )
        .with_data(json!({ "method": method }))
    }

    /// -32602; `field` is the offending parameter's path (`slotId`, `response`), or
    /// empty when the problem is with the params as a whole.
    pub fn invalid_params(field: &str, detail: impl std::fmt::Display) -> Self {
        let message = if field.is_empty() {
            format!("invalid params: {detail}")
        } else {
            format!("invalid params: `{field}`: {detail}")
        };
        let err = RpcError::new(ErrorCode::InvalidParams, message);
        if field.is_empty() {
            err
        } else {
            err.with_data(json!({ "field": field }))
        }
    }

    /// -32603: something broke inside the daemon.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        RpcError::new(ErrorCode::Internal, format!("internal error: {detail}"))
    }

    /// No slot with this id is configured.
    pub fn unknown_slot(slot_id: &str) -> Self {
        RpcError::new(
            ErrorCode::UnknownSlot,
            format!("unknown slot `{slot_id}`: call mission_slots to list configured slots"),
        )
        .with_data(json!({ "slotId": slot_id }))
    }

    /// The slot is not running.
    pub fn slot_not_running(slot_id: &str) -> Self {
        RpcError::new(
            ErrorCode::SlotNotRunning,
            format!("slot `{slot_id}` is not running: call mission_pty_spawn first"),
        )
        .with_data(json!({ "slotId": slot_id }))
    }

    /// The slot is busy; `state` is what it is doing (`Thinking`, `Confirming`, ...).
    pub fn slot_busy(slot_id: &str, state: &str) -> Self {
        RpcError::new(
            ErrorCode::SlotBusy,
            format!("slot `{slot_id}` is busy ({state}): wait, or call mission_pty_interrupt"),
        )
        .with_data(json!({ "slotId": slot_id, "state": state }))
    }

    /// No dialog is open on the slot.
    pub fn no_dialog_open(slot_id: &str) -> Self {
        RpcError::new(
            ErrorCode::NoDialogOpen,
            format!("no dialog is open on slot `{slot_id}`"),
        )
        .with_data(json!({ "slotId": slot_id }))
    }

    /// A wait ran out; `what` says what was awaited.
    pub fn timeout(slot_id: &str, what: &str, timeout_ms: u64) -> Self {
        RpcError::new(
            ErrorCode::Timeout,
            format!("slot `{slot_id}`: {what} did not finish within {timeout_ms} ms"),
        )
        .with_data(json!({ "slotId": slot_id, "timeoutMs": timeout_ms }))
    }

    /// A configuration problem, naming the file.
    pub fn config_error(path: &std::path::Path, detail: impl std::fmt::Display) -> Self {
        RpcError::new(
            ErrorCode::ConfigError,
            format!("configuration error in {}: {detail}", path.display()),
        )
        .with_data(json!({ "path": path.display().to_string() }))
    }
}

/// A reply to a request: a result or an error, with the request's id (or `null` when
/// the request was unreadable).
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The request's id; `None` is sent as `null`.
    pub id: Option<Id>,
    /// What the method returned.
    pub outcome: Result<Value, RpcError>,
}

impl Response {
    /// A success reply.
    pub fn success(id: Id, result: Value) -> Self {
        Response {
            id: Some(id),
            outcome: Ok(result),
        }
    }

    /// An error reply.
    pub fn error(id: Option<Id>, error: RpcError) -> Self {
        Response {
            id,
            outcome: Err(error),
        }
    }

    /// The reply as a JSON value.
    pub fn to_value(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("jsonrpc".into(), JSONRPC_VERSION.into());
        obj.insert(
            "id".into(),
            match &self.id {
                Some(Id::Number(n)) => Value::from(*n),
                Some(Id::String(s)) => Value::from(s.clone()),
                None => Value::Null,
            },
        );
        match &self.outcome {
            Ok(result) => obj.insert("result".into(), result.clone()),
            Err(err) => obj.insert(
                "error".into(),
                serde_json::to_value(err).unwrap_or_else(|_| json!({"code": err.code})),
            ),
        };
        Value::Object(obj)
    }

    /// Reads a reply (the client side). Errors describe what is malformed.
    pub fn from_value(value: Value) -> Result<Response, String> {
        let Value::Object(mut obj) = value else {
            return Err("response is not a JSON object".into());
        };
        if obj.get("jsonrpc").and_then(Value::as_str) != Some(JSONRPC_VERSION) {
            return Err("response lacks \"jsonrpc\": \"2.0\"".into());
        }
        let id = match obj.remove("id") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                serde_json::from_value::<Id>(v)
                    .map_err(|_| "response id is not a number or string")?,
            ),
        };
        let outcome = match (obj.remove("result"), obj.remove("error")) {
            (Some(result), None) => Ok(result),
            (None, Some(error)) => Err(serde_json::from_value::<RpcError>(error)
                .map_err(|e| format!("response error object is malformed: {e}"))?),
            _ => return Err("response must have exactly one of \"result\" and \"error\"".into()),
        };
        Ok(Response { id, outcome })
    }
}

/// A request or notification as the server receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// `None` for a notification (no reply is sent).
    pub id: Option<Id>,
    /// The method: a tool name such as `mission_pty_send`.
    pub method: String,
    /// Named parameters; `{}` when the request had none.
    pub params: Value,
}

impl Request {
    /// The request as a JSON value (what a client sends).
    pub fn to_value(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("jsonrpc".into(), JSONRPC_VERSION.into());
        if let Some(id) = &self.id {
            obj.insert("id".into(), serde_json::to_value(id).unwrap_or(Value::Null));
        }
        obj.insert("method".into(), self.method.clone().into());
        obj.insert("params".into(), self.params.clone());
        Value::Object(obj)
    }
}

/// Reads one line as a request. `Err` holds the error reply to send (with the request's
/// id when it could be read, else `null`).
///
/// Rules beyond JSON-RPC 2.0: batches are refused; `params` must be an object (or
/// absent); ids must be numbers or strings.
pub fn parse_request(line: &[u8]) -> Result<Request, Response> {
    let value: Value = serde_json::from_slice(line)
        .map_err(|e| Response::error(None, RpcError::parse_error(e)))?;
    let mut obj = match value {
        Value::Object(obj) => obj,
        Value::Array(_) => {
            return Err(Response::error(
                None,
                RpcError::invalid_request("batches are not supported; send one request per line"),
            ));
        }
        _ => {
            return Err(Response::error(
                None,
                RpcError::invalid_request("a request must be a JSON object"),
            ));
        }
    };
    let id = match obj.remove("id") {
        None => None,
        Some(v @ (Value::Number(_) | Value::String(_))) => match serde_json::from_value::<Id>(v) {
            Ok(id) => Some(id),
            Err(_) => {
                return Err(Response::error(
                    None,
                    RpcError::invalid_request("a numeric id must be an integer"),
                ));
            }
        },
        Some(_) => {
            return Err(Response::error(
                None,
                RpcError::invalid_request("\"id\" must be a number or a string"),
            ));
        }
    };
    let fail = |err: RpcError| Err(Response::error(id.clone(), err));
    if obj.get("jsonrpc").and_then(Value::as_str) != Some(JSONRPC_VERSION) {
        return fail(RpcError::invalid_request("\"jsonrpc\" must be \"2.0\""));
    }
    let method = match obj.remove("method") {
        Some(Value::String(m)) if !m.is_empty() => m,
        _ => {
            return fail(RpcError::invalid_request(
                "\"method\" must be a non-empty string",
            ));
        }
    };
    let params = match obj.remove("params") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(p @ Value::Object(_)) => p,
        Some(_) => {
            return fail(RpcError::invalid_params(
                "",
                "params must be a JSON object (named parameters)",
            ));
        }
    };
    Ok(Request { id, method, params })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.code()), "duplicate code {}", code.code());
            assert_eq!(ErrorCode::from_code(code.code()), Some(code));
        }
        assert_eq!(ErrorCode::from_code(-1), None);
    }

    #[test]
    fn parses_a_request_with_defaulted_params() {
        let req = parse_request(br#"{"jsonrpc":"2.0","id":7,"method":"mission_health"}"#)
            .expect("valid request");
        assert_eq!(req.id, Some(Id::Number(7)));
        assert_eq!(req.method, "mission_health");
        assert_eq!(req.params, json!({}));
    }

    #[test]
    fn a_message_without_id_is_a_notification() {
        let req = parse_request(br#"{"jsonrpc":"2.0","method":"x","params":{"a":1}}"#)
            .expect("valid notification");
        assert_eq!(req.id, None);
        assert_eq!(req.params, json!({"a": 1}));
    }

    #[test]
    fn rejects_malformed_requests_with_the_right_code() {
        let cases: [(&[u8], i32, Option<Id>); 7] = [
            (b"{nope", -32700, None),
            (b"[]", -32600, None),
            (b"42", -32600, None),
            (
                br#"{"jsonrpc":"1.0","id":"a","method":"m"}"#,
                -32600,
                Some(Id::String("a".into())),
            ),
            (br#"{"jsonrpc":"2.0","id":1}"#, -32600, Some(Id::Number(1))),
            (br#"{"jsonrpc":"2.0","id":{},"method":"m"}"#, -32600, None),
            (
                br#"{"jsonrpc":"2.0","id":2,"method":"m","params":[1]}"#,
                -32602,
                Some(Id::Number(2)),
            ),
        ];
        for (line, code, id) in cases {
            let resp = parse_request(line).expect_err("must be rejected");
            assert_eq!(resp.id, id, "id for {}", String::from_utf8_lossy(line));
            let err = resp.outcome.expect_err("error outcome");
            assert_eq!(err.code, code, "code for {}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn response_round_trips_through_json() {
        let ok = Response::success(Id::String("x".into()), json!({"a": 1}));
        assert_eq!(Response::from_value(ok.to_value()), Ok(ok));
        let err = Response::error(Some(Id::Number(3)), RpcError::unknown_slot("coder-1"));
        let wire = err.to_value();
        assert_eq!(wire["error"]["code"], json!(-32001));
        assert_eq!(wire["error"]["data"]["slotId"], json!("coder-1"));
        assert_eq!(Response::from_value(wire), Ok(err));
        let null_id = Response::error(None, RpcError::parse_error("x")).to_value();
        assert_eq!(null_id["id"], Value::Null);
    }

    #[test]
    fn invalid_params_names_the_field() {
        let err = RpcError::invalid_params("slotId", "missing");
        assert!(err.message.contains("`slotId`"), "{}", err.message);
        assert_eq!(err.data, Some(json!({"field": "slotId"})));
    }
}

#[cfg(test)]
mod doc_tests {
    use super::ErrorCode;

    #[test]
    fn every_error_code_is_documented() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/ipc.md");
        let doc = std::fs::read_to_string(&path).expect("docs/ipc.md exists");
        for code in ErrorCode::ALL {
            let row = format!("| {} | {} |", code.code(), code.name());
            assert!(doc.contains(&row), "docs/ipc.md lacks the row `{row}`");
        }
    }
}
