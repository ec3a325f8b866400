//! The `workspace:` key of a slot (and of a role section in `roles:`):
//!
//! ```yaml
//! roles:
//!   coder:
//!     workspace: worktree           # every coder gets a worktree of its own
//! slots:
//!   - id: coder-1
//!     role: coder
//!     cwd: ~/src/app                # the repository (or a folder in it)
//!     workspace:                    # or the short form `workspace: worktree`
//!       mode: worktree              # worktree | none (none: run in cwd itself)
//!       branch: agents/{slot}       # default missiond/{slot}
//!       base: main                  # default: the repository's current branch
//!       folder: ~/wt/{slot}         # default <repo>-worktrees/{slot} beside the repo
//! ```
//!
//! A slot's keys override its role's one by one; `{slot}` is the slot's id.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::ConfigError;
use crate::workspace::{DEFAULT_BRANCH, WorkspaceConfig};

/// `workspace:` as written: a mode, or a mapping of keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum RawWorkspace {
    Mode(String),
    Keys(BTreeMap<String, String>),
}

const KEYS: &[&str] = &["mode", "branch", "base", "folder"];

impl RawWorkspace {
    fn get(&self, key: &str) -> Option<&str> {
        match self {
            RawWorkspace::Mode(mode) => (key == "mode").then_some(mode.as_str()),
            RawWorkspace::Keys(keys) => keys.get(key).map(String::as_str),
        }
    }
}

/// Resolves a slot's workspace from its own `workspace:` over its role's.
pub(super) fn resolve(
    path: &Path,
    slot_id: &str,
    own: Option<&RawWorkspace>,
    role: Option<&RawWorkspace>,
    home: Option<&Path>,
) -> Result<Option<WorkspaceConfig>, ConfigError> {
    let err = |field: &str, message: String| ConfigError {
        path: path.to_path_buf(),
        line: None,
        field: Some(format!("workspace.{field}")),
        message: format!("slot {slot_id:?}: {message}"),
    };
    for raw in own.iter().chain(role.iter()) {
        if let RawWorkspace::Keys(keys) = raw
            && let Some(bad) = keys.keys().find(|k| !KEYS.contains(&k.as_str()))
        {
            return Err(err(
                bad,
                format!("unknown key {bad:?} (known: {})", KEYS.join(", ")),
            ));
        }
    }
    let pick = |key: &str| {
        own.and_then(|w| w.get(key))
            .or_else(|| role.and_then(|w| w.get(key)))
            .map(|v| v.trim().replace("{slot}", slot_id))
    };
    // A mapping without `mode` means a worktree.
    let mode = pick("mode").or_else(|| {
        own.or(role)
            .filter(|w| matches!(w, RawWorkspace::Keys(_)))
            .map(|_| "worktree".to_string())
    });
    match mode.as_deref() {
        None | Some("none") => return Ok(None),
        Some("worktree") => {}
        Some(other) => {
            return Err(err(
                "mode",
                format!("unknown workspace mode {other:?} (worktree or none)"),
            ));
        }
    }
    let branch = pick("branch").unwrap_or_else(|| DEFAULT_BRANCH.replace("{slot}", slot_id));
    check_ref(&branch).map_err(|m| err("branch", m))?;
    let base = pick("base").filter(|b| !b.is_empty());
    if let Some(base) = &base {
        check_ref(base).map_err(|m| err("base", m))?;
    }
    let folder = match pick("folder").filter(|f| !f.is_empty()) {
        Some(folder) => {
            let base_dir = path.parent().unwrap_or(Path::new("."));
            Some(super::resolve_cwd(&folder, base_dir, home).map_err(|m| err("folder", m))?)
        }
        None => None,
    };
    Ok(Some(WorkspaceConfig {
        branch,
        base,
        folder,
    }))
}

/// The rules of `git check-ref-format` that matter for a branch name, checked early so a
/// typo is a config error and not a failed start.
fn check_ref(name: &str) -> Result<(), String> {
    let bad = name.is_empty()
        || name.starts_with(['-', '/', '.'])
        || name.ends_with(['/', '.'])
        || name.ends_with(".lock")
        || name.contains("..")
        || name.contains("//")
        || name.contains("@{")
        || name.contains("/.")
        || name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "~^:?*[\\".contains(c));
    if bad {
        Err(format!("{name:?} is not a valid git branch name"))
    } else {
        Ok(())
    }
}
