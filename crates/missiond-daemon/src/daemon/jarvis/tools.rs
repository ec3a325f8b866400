//! `mission_jarvis_logs` and `mission_jarvis_trace` over the log center's file.

use std::sync::atomic::Ordering;

use missiond_core::catalogue::{
    JARVIS_LOGS_DEFAULT, JARVIS_LOGS_MAX, JarvisLogsParams, JarvisLogsResult, JarvisTraceParams,
};
use missiond_core::ipc::{ErrorCode, RpcError};
use missiond_core::jarvis::{LogQuery, since};

fn center() -> Result<&'static std::sync::Arc<super::Center>, RpcError> {
    super::center().ok_or_else(|| {
        RpcError::new(
            ErrorCode::StorageError,
            super::problem().unwrap_or("the log center is not running in this daemon"),
        )
    })
}

fn limit(given: Option<u32>) -> Result<u32, RpcError> {
    match given.unwrap_or(JARVIS_LOGS_DEFAULT) {
        n @ 1..=JARVIS_LOGS_MAX => Ok(n),
        n => Err(RpcError::invalid_params(
            "limit",
            format!("{n} is out of range (1 to {JARVIS_LOGS_MAX})"),
        )),
    }
}

fn text(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, RpcError> {
    match value {
        Some(v) if v.is_empty() => Err(RpcError::invalid_params(field, "is empty")),
        Some(v) if v.chars().count() > max => Err(RpcError::invalid_params(
            field,
            format!("is longer than {max} characters"),
        )),
        other => Ok(other),
    }
}

/// `mission_jarvis_logs` (blocking: run it off the async threads).
pub fn logs(p: JarvisLogsParams) -> Result<JarvisLogsResult, RpcError> {
    let now = missiond_core::time::now_ms();
    let since_ms = match text("since", p.since, 64)? {
        Some(s) => Some(since::parse(&s, now).map_err(|e| RpcError::invalid_params("since", e))?),
        None => None,
    };
    let query = LogQuery {
        min_level: p.level,
        since_ms,
        slot_id: text("slotId", p.slot_id, 300)?,
        text: text("text", p.text, 1000)?,
        limit: limit(p.limit)?,
    };
    let center = center()?;
    let mut result = center
        .store
        .query(&query)
        .map_err(|e| RpcError::new(ErrorCode::StorageError, e.to_string()))?;
    result.dropped = center.dropped.load(Ordering::Relaxed);
    Ok(result)
}

/// `mission_jarvis_trace` (blocking).
pub fn trace(p: JarvisTraceParams) -> Result<JarvisLogsResult, RpcError> {
    let id = p.request_id.trim();
    if id.is_empty() || id.len() > 200 {
        return Err(RpcError::invalid_params(
            "requestId",
            "must be 1 to 200 characters",
        ));
    }
    let center = center()?;
    let mut result = center
        .store
        .trace(id, JARVIS_LOGS_MAX)
        .map_err(|e| RpcError::new(ErrorCode::StorageError, e.to_string()))?;
    if result.entries.is_empty() {
        return Err(RpcError::invalid_params(
            "requestId",
            format!(
                "no log entry has request id {id:?} (it may be mistyped, or rotated out: \
                 list recent ones with mission_jarvis_logs)"
            ),
        ));
    }
    result.dropped = center.dropped.load(Ordering::Relaxed);
    Ok(result)
}

/// Answer `method` if it is one of these tools; `None` for any other method.
pub async fn handle(
    method: &str,
    params: &serde_json::Value,
) -> Option<Result<serde_json::Value, RpcError>> {
    use missiond_core::catalogue::{self as cat, Tool, encode};
    let params = params.clone();
    let run: fn(serde_json::Value) -> Result<serde_json::Value, RpcError> = match method {
        cat::JarvisLogs::NAME => |p| cat::JarvisLogs::params(p).and_then(logs).and_then(encode),
        cat::JarvisTrace::NAME => |p| cat::JarvisTrace::params(p).and_then(trace).and_then(encode),
        _ => return None,
    };
    Some(
        tokio::task::spawn_blocking(move || run(params))
            .await
            .unwrap_or_else(|e| Err(RpcError::internal(format!("log center: {e}")))),
    )
}
