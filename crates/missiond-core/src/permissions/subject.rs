//! What a tool call is about: the argument its rules are matched against.
//!
//! - `Bash`: the `command`, cut into pieces ([`super::shell`]).
//! - Path tools (`Read`, `Write`, `Edit`, `MultiEdit`, `NotebookEdit`, `NotebookRead`,
//!   `Glob`, `Grep`, `LS`): `file_path`, `notebook_path` or `path` (for `Glob`, `Grep` and
//!   `LS` the working folder when absent; for `Glob`, joined with the fixed start of its
//!   `pattern`), resolved by [`super::path`]. `Grep`'s `glob` filter and file contents
//!   are not looked at.
//! - `WebFetch`: the `url`; `WebSearch`: the `query`.
//! - Anything else (MCP tools included): the input as compact JSON.

use std::path::Path;

use serde_json::Value;

use super::path::{FileSystem, PathForms};
use super::pattern::{PATH_TOOLS, Rule};
use super::policy::Request;
use super::shell::{self, Analysis};

/// The subject of one call.
#[derive(Debug, Clone)]
pub(crate) enum Subject {
    Command(Analysis),
    /// `dir`: a folder searched recursively (`Glob`, `Grep`, `LS`).
    Path(PathForms, bool),
    Text(String),
    /// Not read with confidence: deny and confirm rules see `raw`, allow rules nothing.
    Unreadable {
        raw: String,
        why: String,
    },
}

impl Subject {
    pub(crate) fn of(req: &Request<'_>, fs: &dyn FileSystem) -> Subject {
        let (tool, input, cwd, home) = (req.tool, req.input, req.cwd, req.home);
        let field = |k: &str| input.get(k).and_then(Value::as_str);
        if tool == "Bash" {
            let Some(command) = field("command") else {
                return unreadable(compact(input), "no `command` string");
            };
            return match shell::analyse(command) {
                Ok(a) => Subject::Command(a),
                Err(e) => unreadable(shell::normalise(command), &e.to_string()),
            };
        }
        if PATH_TOOLS.contains(&tool) {
            let raw = ["file_path", "notebook_path", "path"]
                .iter()
                .find_map(|k| field(k))
                .or(matches!(tool, "Glob" | "Grep" | "LS").then_some("."));
            let Some(raw) = raw else {
                return unreadable(compact(input), "no path in the input");
            };
            let mut raw = match (tool, field("pattern")) {
                ("Glob", Some(pattern)) => glob_base(raw, pattern),
                _ => raw.to_string(),
            };
            if let Some(base) = req.tool_cwd.filter(|b| b.is_absolute())
                && !raw.starts_with('~')
                && Path::new(&raw).is_relative()
            {
                raw = base.join(&raw).to_string_lossy().into_owned();
            }
            return match PathForms::new(&raw, cwd, home, fs) {
                Ok(p) => Subject::Path(p, matches!(tool, "Glob" | "Grep" | "LS")),
                Err(e) => unreadable(raw, &e.to_string()),
            };
        }
        let text = match tool {
            "WebFetch" => field("url"),
            "WebSearch" => field("query"),
            _ => None,
        };
        Subject::Text(text.map_or_else(|| compact(input), str::to_string))
    }

    /// What the decision reports as the call's argument.
    pub(crate) fn display(&self) -> String {
        match self {
            Subject::Command(a) => a.whole.clone(),
            Subject::Path(p, _) => p.resolved.clone(),
            Subject::Text(t) => t.clone(),
            Subject::Unreadable { raw, .. } => raw.clone(),
        }
    }

    /// How many parts must each be allowed (pieces of a command; one otherwise).
    pub(crate) fn units(&self) -> usize {
        match self {
            Subject::Command(a) => a.pieces.len(),
            _ => 1,
        }
    }

    /// Why unit `i` cannot be checked against deny and confirm rules, if so.
    pub(crate) fn opaque(&self, i: usize) -> Option<String> {
        match self {
            Subject::Command(a) => a.pieces.get(i).filter(|p| p.opaque).map(|p| {
                format!(
                    "`{}` depends on values not known before it runs (variables, substitutions, a shell reading stdin)",
                    p.text
                )
            }),
            Subject::Unreadable { why, .. } => Some(format!("could not be analysed: {why}")),
            _ => None,
        }
    }

    /// The form of unit `i` that `rule` (a deny or confirm rule) matches, if any.
    pub(crate) fn match_loose(&self, rule: &Rule, i: usize) -> Option<String> {
        match self {
            Subject::Command(a) => {
                let piece = a.pieces.get(i)?;
                piece
                    .forms
                    .iter()
                    .chain(std::iter::once(&a.whole))
                    .find(|f| rule.matches_text(f))
                    .cloned()
            }
            Subject::Path(p, dir) => {
                let abs = [p.resolved.as_str(), p.lexical.as_str()];
                let rel: Vec<&str> = [&p.resolved_rel, &p.lexical_rel]
                    .into_iter()
                    .flatten()
                    .map(String::as_str)
                    .collect();
                rule.matches_path(&abs, &rel, *dir)
                    .then(|| p.resolved.clone())
            }
            Subject::Text(t) => rule.matches_text(t).then(|| t.clone()),
            Subject::Unreadable { raw, .. } => {
                (rule.is_any() || rule.matches_text(raw)).then(|| raw.clone())
            }
        }
    }

    /// Whether the call could not be analysed at all (never allowed).
    pub(crate) fn is_unreadable(&self) -> bool {
        matches!(self, Subject::Unreadable { .. })
    }

    /// The form of unit `i` that `rule` (an allow rule) matches, if any. Opaque pieces are
    /// the caller's business (see [`super::policy`]).
    pub(crate) fn match_strict(&self, rule: &Rule, i: usize) -> Option<String> {
        match self {
            Subject::Command(a) => {
                let piece = a.pieces.get(i)?;
                rule.matches_text(&piece.text).then(|| piece.text.clone())
            }
            Subject::Path(p, dir) => {
                let rel: Vec<&str> = p.resolved_rel.iter().map(String::as_str).collect();
                rule.matches_path(&[p.resolved.as_str()], &rel, *dir)
                    .then(|| p.resolved.clone())
            }
            Subject::Text(t) => rule.matches_text(t).then(|| t.clone()),
            Subject::Unreadable { .. } => None,
        }
    }
}

/// Where a `Glob` search really starts: `path` joined with the pattern's leading
/// components that hold no wildcard (`src` + `../../etc/*` -> `src/../../etc`), so a
/// pattern cannot walk out of an allowed folder.
fn glob_base(path: &str, pattern: &str) -> String {
    let fixed: Vec<&str> = pattern
        .split('/')
        .take_while(|c| !c.contains(['*', '?', '[', '{']))
        .collect();
    // The last fixed component may be a file name; its folder is what is searched.
    let fixed = if fixed.len() == pattern.split('/').count() {
        &fixed[..fixed.len().saturating_sub(1)]
    } else {
        &fixed[..]
    };
    let prefix = fixed.join("/");
    if pattern.starts_with('/') && prefix.is_empty() {
        "/".to_string()
    } else if prefix.starts_with('/') || prefix.starts_with('~') {
        prefix
    } else if prefix.is_empty() {
        path.to_string()
    } else {
        format!("{}/{prefix}", path.trim_end_matches('/'))
    }
}

fn unreadable(raw: String, why: &str) -> Subject {
    Subject::Unreadable {
        raw,
        why: why.to_string(),
    }
}

fn compact(input: &Value) -> String {
    serde_json::to_string(input).unwrap_or_default()
}
