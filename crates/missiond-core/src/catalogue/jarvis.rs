//! Log center tools ("Jarvis"): the daemon's structured logs, by request, slot, level,
//! time and text.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Annotations, Tool, ToolDef};

/// Default number of entries `mission_jarvis_logs` returns.
pub const JARVIS_LOGS_DEFAULT: u32 = 100;
/// Most entries one `mission_jarvis_logs` or `mission_jarvis_trace` call returns.
pub const JARVIS_LOGS_MAX: u32 = 1000;

/// `mission_jarvis_logs`.
pub struct JarvisLogs;
/// `mission_jarvis_trace`.
pub struct JarvisTrace;

/// A log level.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Finest detail.
    Trace,
    /// Detail for debugging.
    Debug,
    /// What happened.
    Info,
    /// Something is off.
    Warn,
    /// Something failed.
    Error,
}

impl LogLevel {
    /// Its rank, 0 (trace) to 4 (error).
    pub fn rank(self) -> u8 {
        self as u8
    }

    /// The level of rank `n` (clamped).
    pub fn from_rank(n: u8) -> LogLevel {
        match n {
            0 => LogLevel::Trace,
            1 => LogLevel::Debug,
            2 => LogLevel::Info,
            3 => LogLevel::Warn,
            _ => LogLevel::Error,
        }
    }

    /// Lowercase name (`warn`).
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }
}

/// One log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    /// Its number in the store (increasing).
    pub seq: i64,
    /// When it was logged.
    pub time: String,
    /// Its level.
    pub level: LogLevel,
    /// The component that logged it (a Rust module path such as
    /// `missiond::daemon::hooks`).
    pub target: String,
    /// The message.
    pub message: String,
    /// The request it belongs to (minted at the edge: MCP call, CLI command, board
    /// action, hook), when there is one.
    pub request_id: Option<String>,
    /// The request that caused this one (a hook's entries name the call that started
    /// the slot's turn).
    pub cause_id: Option<String>,
    /// The slot it concerns, when there is one.
    pub slot_id: Option<String>,
    /// The event's other fields.
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// Arguments of `mission_jarvis_logs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JarvisLogsParams {
    /// This level and above (default: every level stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<LogLevel>,
    /// Only entries since then: an RFC 3339 time (`2026-11-25T07:40:00Z`) or an age
    /// (`30s`, `15m`, `2h`, `7d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub since: Option<String>,
    /// Only entries about this slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 300))]
    pub slot_id: Option<String>,
    /// Only entries whose message or fields contain this text (case-insensitive; at
    /// most 1000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 1000))]
    pub text: Option<String>,
    /// At most this many, newest first (default 100, at most 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u32>,
}

/// Result of `mission_jarvis_logs` and `mission_jarvis_trace`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JarvisLogsResult {
    /// The entries.
    pub entries: Vec<LogEntry>,
    /// Whether more entries matched than were returned.
    pub truncated: bool,
    /// Entries dropped since the daemon started because logging outpaced the store
    /// (the daemon never waits for its log).
    pub dropped: u64,
}

impl Tool for JarvisLogs {
    const NAME: &'static str = "mission_jarvis_logs";
    const TITLE: &'static str = "Query the log center";
    const DESCRIPTION: &'static str = "Query the daemon's structured logs (the log \
        center): each entry has its time, level, component, message, request id and \
        slot. Filter by level (and above), since (RFC 3339 time or an age such as 15m, \
        2h, 7d), slotId and text (case-insensitive, in message and fields). Newest \
        first, at most limit (default 100, at most 1000); truncated says more matched. \
        Follow one request with mission_jarvis_trace. Fails with invalid_params naming \
        the field for a bad since or an out-of-range limit.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = JarvisLogsParams;
    type Output = JarvisLogsResult;
}

/// Arguments of `mission_jarvis_trace`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JarvisTraceParams {
    /// The request id (from a log entry, or the `requestId` mission-mcp returns in a
    /// tool result's `_meta`).
    #[schemars(length(min = 1, max = 200))]
    pub request_id: String,
}

impl Tool for JarvisTrace {
    const NAME: &'static str = "mission_jarvis_trace";
    const TITLE: &'static str = "Everything one request did";
    const DESCRIPTION: &'static str = "Every log entry of one request, oldest first, \
        across the daemon's components: the call itself and what it caused (slot \
        actions, hook events and permission decisions of the turn it started, whose \
        entries carry it as causeId). At most 1000 entries; truncated says more exist. \
        Fails with invalid_params naming requestId when no entry has that id.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = JarvisTraceParams;
    type Output = JarvisLogsResult;
}

/// This area's tools, in display order.
pub(super) fn defs() -> Vec<ToolDef> {
    vec![ToolDef::of::<JarvisLogs>(), ToolDef::of::<JarvisTrace>()]
}
