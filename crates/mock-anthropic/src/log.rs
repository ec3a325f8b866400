//! The request log: kept in memory for `GET /_mock/requests`, and written as JSON lines.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::engine::Answer;
use crate::request::ToolResult;

/// One request as the server saw and answered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoggedRequest {
    /// 1-based arrival number.
    pub seq: u64,
    /// Arrival time, RFC 3339 UTC with milliseconds.
    pub time: String,
    /// HTTP method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Query string, if any (Claude Code sends `beta=true`).
    #[serde(default)]
    pub query: Option<String>,
    /// `model` of a Messages request.
    #[serde(default)]
    pub model: Option<String>,
    /// `stream` of a Messages request.
    #[serde(default)]
    pub stream: bool,
    /// Text of the last user message, injected reminders removed.
    #[serde(default)]
    pub last_user_text: String,
    /// tool_result blocks of the last user message.
    #[serde(default)]
    pub tool_results: Vec<ToolResult>,
    /// The injected context removed from the last user message (system reminders,
    /// hooks' additionalContext).
    #[serde(default)]
    pub injected_text: String,
    /// Names of the tools the request offered.
    #[serde(default)]
    pub tools: Vec<String>,
    /// What answered a Messages request.
    #[serde(default)]
    pub answer: Option<Answer>,
    /// tool_use ids the answer contained.
    #[serde(default)]
    pub tool_use_ids: Vec<String>,
    /// HTTP status returned.
    pub status: u16,
    /// The `request-id` header returned.
    pub request_id: String,
}

/// Why the log file could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("opening request log {path}: {source}")]
pub struct LogFileError {
    /// The file named.
    pub path: String,
    /// The underlying I/O error.
    pub source: std::io::Error,
}

/// Thread-safe log: memory always, a JSON-lines file when asked.
#[derive(Debug, Default)]
pub struct RequestLog {
    entries: Mutex<Vec<LoggedRequest>>,
    file: Option<Mutex<File>>,
}

impl RequestLog {
    /// A log that also writes to `path` (created or truncated).
    pub fn with_file(path: Option<&Path>) -> Result<RequestLog, LogFileError> {
        let file = match path {
            None => None,
            Some(path) => Some(Mutex::new(File::create(path).map_err(|source| {
                LogFileError {
                    path: path.display().to_string(),
                    source,
                }
            })?)),
        };
        Ok(RequestLog {
            entries: Mutex::new(Vec::new()),
            file,
        })
    }

    /// The next arrival number.
    pub fn next_seq(&self) -> u64 {
        self.entries.lock().map(|e| e.len() as u64 + 1).unwrap_or(0)
    }

    /// Appends an entry (its `seq` is set here) to memory and the file.
    pub fn push(&self, mut entry: LoggedRequest) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        entry.seq = entries.len() as u64 + 1;
        tracing::info!(
            seq = entry.seq,
            method = %entry.method,
            path = %entry.path,
            status = entry.status,
            model = entry.model.as_deref().unwrap_or(""),
            prompt = %entry.last_user_text.chars().take(80).collect::<String>(),
            answer = ?entry.answer,
            "request"
        );
        if let Some(file) = &self.file
            && let Ok(mut file) = file.lock()
            && let Ok(line) = serde_json::to_string(&entry)
        {
            // A full disk must not take the server down: report and go on.
            if let Err(error) = writeln!(file, "{line}").and_then(|()| file.flush()) {
                tracing::warn!(%error, "writing request log");
            }
        }
        entries.push(entry);
    }

    /// Every entry so far, oldest first.
    pub fn snapshot(&self) -> Vec<LoggedRequest> {
        self.entries.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

/// Now as RFC 3339 UTC, e.g. `2026-11-25T07:36:48.123Z`.
pub fn now_rfc3339() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    format_rfc3339(since.as_secs(), since.subsec_millis())
}

fn format_rfc3339(secs: u64, millis: u32) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_rfc3339(0, 0), "1970-01-01T00:00:00.000Z");
        // 2024-02-29T12:34:56Z, a leap day.
        assert_eq!(format_rfc3339(1_709_210_096, 7), "2024-02-29T12:34:56.007Z");
    }
}
