//! Where Claude Code keeps its history: the config folders in use on this machine, and
//! the transcripts under each (`projects/<slug>/<session>.jsonl` and subagent
//! transcripts `projects/<slug>/<session>/subagents/agent-<id>.jsonl`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::HistoryError;
use crate::config::slots::SlotsConfig;

/// The file holding extra config folders to read (`watch:`), in the missiond home.
pub const WATCH_FILE: &str = "history.yaml";

/// The content of `history.yaml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WatchFile {
    /// Extra Claude Code config folders (each holding `projects/`).
    #[serde(default)]
    watch: Vec<String>,
}

/// Reads the `watch:` list of `path` (`~` expanded with `home`). A missing file is an
/// empty list; a malformed one is an error naming the file.
pub fn watch_list(path: &Path, home: Option<&Path>) -> Result<Vec<PathBuf>, HistoryError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(HistoryError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let file: WatchFile = serde_saphyr::from_str(&text).map_err(|e| HistoryError::Config {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    Ok(file
        .watch
        .iter()
        .map(|entry| expand(entry, home, base))
        .collect())
}

fn expand(entry: &str, home: Option<&Path>, base: &Path) -> PathBuf {
    let entry = entry.trim();
    if let (Some(rest), Some(home)) = (entry.strip_prefix("~/"), home) {
        return home.join(rest);
    }
    if entry == "~"
        && let Some(home) = home
    {
        return home.to_path_buf();
    }
    base.join(entry)
}

/// The config folders to read, in a stable order, each once (symlinks resolved), only
/// those that exist: every folder of `CLAUDE_CONFIG_DIR` (comma-separated, as ccusage
/// reads it), `~/.claude`, `~/.config/claude` (or `$XDG_CONFIG_HOME/claude`), each
/// slot's (its `CLAUDE_CONFIG_DIR`, else its `HOME`'s `.claude`), then `watch`.
pub fn config_dirs(
    var: &dyn Fn(&str) -> Option<String>,
    slots: Option<&SlotsConfig>,
    watch: &[PathBuf],
) -> Vec<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(list) = var("CLAUDE_CONFIG_DIR") {
        candidates.extend(
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
        );
    }
    let home = var("HOME")
        .or_else(|| var("USERPROFILE"))
        .map(PathBuf::from);
    if let Some(home) = &home {
        candidates.push(home.join(".claude"));
    }
    match var("XDG_CONFIG_HOME") {
        Some(xdg) => candidates.push(PathBuf::from(xdg).join("claude")),
        None => {
            if let Some(home) = &home {
                candidates.push(home.join(".config").join("claude"));
            }
        }
    }
    if let Some(slots) = slots {
        for slot in &slots.slots {
            if let Some(dir) = slot.env.get("CLAUDE_CONFIG_DIR").filter(|d| !d.is_empty()) {
                candidates.push(PathBuf::from(dir));
            } else if let Some(h) = slot.env.get("HOME").filter(|d| !d.is_empty()) {
                candidates.push(PathBuf::from(h).join(".claude"));
            }
        }
    }
    candidates.extend(watch.iter().cloned());
    let mut seen = BTreeSet::new();
    candidates
        .into_iter()
        .filter(|c| c.is_absolute())
        .filter_map(|c| std::fs::canonicalize(&c).ok())
        .filter(|c| c.is_dir() && seen.insert(c.clone()))
        .collect()
}

/// One transcript found under a config folder.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Transcript {
    /// The file.
    pub path: PathBuf,
    /// The project folder's name under `projects/` (the cwd with `/` as `-`).
    pub project: String,
    /// The session the file belongs to (a subagent's file belongs to its parent's).
    pub session: String,
}

/// Every `*.jsonl` under `<root>/projects`, sorted by path. Unreadable folders are
/// skipped (a folder removed while we walk is not an error).
pub fn transcripts(root: &Path) -> Vec<Transcript> {
    let projects = root.join("projects");
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(&projects) else {
        return out;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if !kind.is_dir() {
            continue;
        }
        let project = entry.file_name().to_string_lossy().into_owned();
        walk(&entry.path(), &project, None, 0, &mut out);
    }
    out.sort();
    out
}

fn walk(dir: &Path, project: &str, session: Option<&str>, depth: usize, out: &mut Vec<Transcript>) {
    // projects/<slug>/<session>/subagents/agent-<id>.jsonl is depth 2; allow a little more.
    if depth > 4 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        if kind.is_dir() {
            let session = session.unwrap_or(&name).to_string();
            walk(&entry.path(), project, Some(&session), depth + 1, out);
        } else if kind.is_file() && name.ends_with(".jsonl") {
            let stem = name.trim_end_matches(".jsonl");
            out.push(Transcript {
                path: entry.path(),
                project: project.to_string(),
                session: session.unwrap_or(stem).to_string(),
            });
        }
    }
}

/// `/work/demo` as Claude Code names its project folder (`-work-demo`): every character
/// that is not a letter or digit becomes `-`.
pub fn project_slug(cwd: &str) -> String {
    cwd.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The config folders to read for a missiond home: the process environment, the slots
/// of `slots.yaml` and the `watch:` list of `history.yaml` (in the missiond home). A
/// slots file that does not load is skipped with a warning (the usage of other folders
/// is still worth reporting); a malformed `history.yaml` is an error.
pub fn discover(paths: &crate::paths::Paths) -> Result<(Vec<PathBuf>, Vec<String>), HistoryError> {
    let mut warnings = Vec::new();
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let home = var("HOME").map(PathBuf::from);
    let slots = match SlotsConfig::load(&paths.slots_config, home.as_deref()) {
        Ok(s) => Some(s),
        Err(e) => {
            warnings.push(format!("slots' config folders skipped: {e}"));
            None
        }
    };
    let watch = watch_list(&paths.home.join(WATCH_FILE), home.as_deref())?;
    Ok((config_dirs(&var, slots.as_ref(), &watch), warnings))
}
