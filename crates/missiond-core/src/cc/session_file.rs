//! `<config dir>/sessions/<pid>.json`: Claude Code 2.1.331 keeps one per running session
//! and rewrites it 30–90 ms after each change of `status` (`idle`, `busy`, `waiting`,
//! `shell`). Seen fields: `pid`, `sessionId`, `cwd`, `startedAt`, `procStart` (the
//! process's start time in clock ticks, as a string), `version`, `kind` (`interactive`,
//! `bg`, `daemon`, `daemon-worker`), `entrypoint`, `name`, `status`, `waitingFor`,
//! `updatedAt`, `statusUpdatedAt`, and more. A killed session leaves its file behind:
//! [`SessionRecord::alive`] checks the pid and its start time.

use serde::Deserialize;

/// One session file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRecord {
    /// The process.
    pub pid: u32,
    /// Claude Code's session id.
    pub session_id: String,
    /// Where it runs.
    #[serde(default)]
    pub cwd: Option<String>,
    /// When it started, Unix ms.
    #[serde(default)]
    pub started_at: Option<i64>,
    /// The process's start time (`/proc/<pid>/stat` field 22), to tell a reused pid.
    #[serde(default, deserialize_with = "text_or_number")]
    pub proc_start: Option<String>,
    /// Claude Code's version.
    #[serde(default)]
    pub version: Option<String>,
    /// `interactive`, `bg`, `daemon`, `daemon-worker`.
    #[serde(default)]
    pub kind: Option<String>,
    /// The session's display name.
    #[serde(default)]
    pub name: Option<String>,
    /// `idle`, `busy`, `waiting`, `shell`, or a later version's word.
    #[serde(default)]
    pub status: Option<String>,
    /// What a `waiting` session waits for.
    #[serde(default)]
    pub waiting_for: Option<String>,
    /// Last rewrite, Unix ms.
    #[serde(default)]
    pub updated_at: Option<i64>,
    /// Last status change, Unix ms.
    #[serde(default)]
    pub status_updated_at: Option<i64>,
}

fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// The record in `text`; `None` for anything that is not a session file (no `pid` or
/// `sessionId`, not JSON).
pub fn parse(text: &str) -> Option<SessionRecord> {
    let record: SessionRecord = serde_json::from_str(text).ok()?;
    (!record.session_id.is_empty()).then_some(record)
}

impl SessionRecord {
    /// Whether its process still runs: the pid exists and, when the file names it, has
    /// the same start time (a reused pid is another process). Pids of another PID
    /// namespace cannot be checked: those read as not alive only when absent here.
    pub fn alive(&self) -> bool {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)) else {
            return false;
        };
        match &self.proc_start {
            Some(start) => proc_start_of(&stat).is_none_or(|s| s == start),
            None => true,
        }
    }
}

/// Field 22 (`starttime`) of a `/proc/<pid>/stat` line. The command name (field 2) is
/// in parentheses and may hold spaces: fields are counted after its closing `)`.
pub fn proc_start_of(stat: &str) -> Option<&str> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // After `)`: field 3 is the first; starttime is field 22.
    rest.split_whitespace().nth(19)
}
