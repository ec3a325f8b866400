//! Claude Code's task lists (the TaskCreate / TaskUpdate tools): one folder per list,
//! `<config dir>/tasks/<task list id>/`, one `<task id>.json` per task, beside lock and
//! counter files (`.lock`, `.highwatermark`). A list's id is the session id, or
//! `CLAUDE_CODE_TASK_LIST_ID`, or a team's name (`teams/<team>/`). A task:
//! `{"id": "1", "subject", "description", "activeForm", "status": "pending" |
//! "in_progress" | "completed", "owner"?, "blocks": [ids], "blockedBy": [ids],
//! "metadata"?}`. Read leniently: missing fields are empty, unknown ones ignored.

use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One task of a Claude Code task list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CcTask {
    /// Its id in the list (`1`, `2`, ...).
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    /// The one-line title.
    #[serde(default)]
    pub subject: String,
    /// What to do.
    #[serde(default)]
    pub description: String,
    /// What the spinner shows while it is in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_form: Option<String>,
    /// `pending`, `in_progress`, `completed` (or a later version's word).
    #[serde(default = "pending")]
    pub status: String,
    /// Who took it (an agent's name in a team).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Tasks that wait for this one.
    #[serde(default, deserialize_with = "ids")]
    pub blocks: Vec<String>,
    /// Tasks this one waits for.
    #[serde(default, deserialize_with = "ids")]
    pub blocked_by: Vec<String>,
}

fn pending() -> String {
    "pending".into()
}

fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) if !s.is_empty() => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!("not a task id: {other}"))),
    }
}

fn ids<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::Array(items)) => items
            .into_iter()
            .filter_map(|v| match v {
                serde_json::Value::String(s) => Some(s),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

impl CcTask {
    /// Open and not waiting for an unfinished task of `all`.
    pub fn ready(&self, all: &[CcTask]) -> bool {
        self.status == "pending"
            && self.owner.is_none()
            && self.blocked_by.iter().all(|b| {
                all.iter()
                    .find(|t| t.id == *b)
                    .is_none_or(|t| t.status == "completed")
            })
    }
}

/// The task in `text`, `None` when it is not one.
pub fn parse(text: &str) -> Option<CcTask> {
    serde_json::from_str(text).ok()
}

/// The tasks of the list in `dir`, by id (numerically when ids are numbers). Files that
/// are not tasks (locks, counters, half-written JSON) are skipped.
pub fn read_list(dir: &Path) -> Vec<CcTask> {
    let mut tasks: Vec<CcTask> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.') && name.ends_with(".json")
        })
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter_map(|text| parse(&text))
        .collect();
    tasks.sort_by(|a, b| match (a.id.parse::<u64>(), b.id.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.id.cmp(&b.id),
    });
    tasks
}
