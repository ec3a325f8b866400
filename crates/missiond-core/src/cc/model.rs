//! What the `mission_cc_*` tools return.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::tasks::CcTask;
use crate::conversations::Usage;

/// One Claude Code session the watcher knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CcSession {
    /// Claude Code's session id.
    pub session_id: String,
    /// Its working folder, when known (from its status file or transcript).
    pub cwd: Option<String>,
    /// Its project folder under `projects/`.
    pub project: Option<String>,
    /// The config folder it writes to.
    pub config_dir: String,
    /// `idle`, `busy`, `waiting`, `shell` (from `sessions/<pid>.json`) while it runs;
    /// `exited` once its process is gone; `unknown` for a session seen only by its
    /// transcript.
    pub status: String,
    /// What a `waiting` session waits for.
    pub waiting_for: Option<String>,
    /// Its process runs (the pid of its status file lives, with the same start time).
    pub active: bool,
    /// Its process id, when it has a status file.
    pub pid: Option<u32>,
    /// `interactive`, `bg`, ... (status file).
    pub kind: Option<String>,
    /// Its name (status file).
    pub name: Option<String>,
    /// The model of its latest response.
    pub model: Option<String>,
    /// Tokens of its API responses (each counted once).
    pub tokens: Usage,
    /// Its latest activity (transcript or status change), RFC 3339.
    pub last_activity: Option<String>,
    /// The slot that runs it, when it is a slot's session.
    pub slot_id: Option<String>,
}

/// A task with the session whose list holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CcListedTask {
    /// The task list's id (the session id, or a team's or `CLAUDE_CODE_TASK_LIST_ID`).
    pub task_list_id: String,
    /// The config folder holding the list.
    pub config_dir: String,
    /// The task.
    #[serde(flatten)]
    pub task: CcTask,
}
