//! What a tool call is about: the argument its rules are matched against.
//!
//! - `Bash`: the `command`, cut into pieces ([`super::shell`]), and the files its
//!   redirections read and write: each is a unit of its own, judged as a `Read` or
//!   `Write` of that path (see [`FileAccess`]).
//! - Path tools (`Read`, `Write`, `Edit`, `MultiEdit`, `NotebookEdit`, `NotebookRead`,
//!   `Glob`, `Grep`, `LS`): `file_path`, `notebook_path` or `path` (for `Glob`, `Grep` and
//!   `LS` the working folder when absent; for `Glob`, joined with the fixed start of its
//!   `pattern`), resolved by [`super::path`]. `Grep`'s `glob` filter and file contents
//!   are not looked at.
//! - `WebFetch`: the `url`; `WebSearch`: the `query`.
//! - Anything else (MCP tools included): the input as compact JSON.
//!
//! Tool names are recognised without regard to case (`bash`, `WRITE`), like rules match
//! them, so a call cannot dodge the analysis by its spelling.

use std::path::Path;

use serde_json::Value;

use super::path::{FileSystem, PathForms};
use super::pattern::{PATH_TOOLS, Rule};
use super::policy::Request;
use super::shell::{self, Analysis, Redirection};

/// A file a command's redirection reads or writes, judged as that tool's call would be.
#[derive(Debug, Clone)]
pub(crate) struct FileAccess {
    /// `Read` or `Write`: the tool whose rules judge it.
    pub tool: &'static str,
    /// The redirection as written (`>/etc/passwd`).
    pub text: String,
    /// Where it lands when that is known for sure; otherwise `why` says why not.
    pub known: Option<PathForms>,
    /// Where it could land (deny and confirm rules look at each).
    pub candidates: Vec<PathForms>,
    /// Why the target is not known before the command runs.
    pub why: Option<String>,
}

/// The subject of one call.
#[derive(Debug, Clone)]
pub(crate) enum Subject {
    /// The pieces of a command, then the files its redirections access.
    Command(Analysis, Vec<FileAccess>),
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
        let tool = canonical_tool(tool);
        let field = |k: &str| input.get(k).and_then(Value::as_str);
        if tool == "Bash" {
            let Some(command) = field("command") else {
                return unreadable(compact(input), "no `command` string");
            };
            return match shell::analyse(command) {
                Ok(a) => {
                    let accesses = accesses(&a, req, fs);
                    Subject::Command(a, accesses)
                }
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
            Subject::Command(a, _) => a.whole.clone(),
            Subject::Path(p, _) => p.resolved.clone(),
            Subject::Text(t) => t.clone(),
            Subject::Unreadable { raw, .. } => raw.clone(),
        }
    }

    /// How many parts must each be allowed (pieces of a command and its file accesses;
    /// one otherwise).
    pub(crate) fn units(&self) -> usize {
        match self {
            Subject::Command(a, f) => a.pieces.len() + f.len(),
            _ => 1,
        }
    }

    /// The file access unit `i` stands for, if it is one.
    fn access(&self, i: usize) -> Option<&FileAccess> {
        match self {
            Subject::Command(a, f) => i.checked_sub(a.pieces.len()).and_then(|j| f.get(j)),
            _ => None,
        }
    }

    /// Whether `rule` speaks about unit `i` of a call of `tool`. A redirection's file
    /// access is judged by `Read`/`Write` rules; deny and confirm rules for `Edit` also
    /// bite on writes (the loose side), allow rules must name `Write`.
    pub(crate) fn rule_applies(&self, rule: &Rule, tool: &str, i: usize) -> bool {
        match self.access(i) {
            None => rule.matches_tool(tool),
            Some(a) => {
                rule.matches_tool(a.tool)
                    || (!rule.strict() && a.tool == "Write" && rule.matches_tool("Edit"))
            }
        }
    }

    /// Whether unit `i` is a redirection's file access.
    pub(crate) fn is_access(&self, i: usize) -> bool {
        self.access(i).is_some()
    }

    /// What unit `i` is, for a reason shown to people.
    pub(crate) fn describe_unit(&self, i: usize) -> String {
        match (self, self.access(i)) {
            (_, Some(a)) => format!("{} of {} (`{}`)", a.tool, a.target(), a.text),
            (Subject::Command(a, _), None) => a.pieces[i].text.clone(),
            (other, None) => other.display(),
        }
    }

    /// Why unit `i` is never allowed whatever the rules say (a redirection whose target
    /// is not known before the command runs), if so.
    pub(crate) fn unknowable(&self, i: usize) -> Option<String> {
        let a = self.access(i)?;
        a.why
            .as_ref()
            .map(|why| format!("the target of `{}` {why}", a.text))
    }

    /// Why unit `i` cannot be checked against deny and confirm rules, if so.
    pub(crate) fn opaque(&self, i: usize) -> Option<String> {
        match self {
            Subject::Command(a, _) => a.pieces.get(i).filter(|p| p.opaque).map(|p| {
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
        if let Some(access) = self.access(i) {
            return access
                .known
                .iter()
                .chain(&access.candidates)
                .find(|p| loose_path(rule, p, false))
                .map(|p| p.resolved.clone())
                .or_else(|| {
                    // An unknown target: `Write` (any) still matches, and so does a
                    // pattern matching its text as written.
                    (access.known.is_none()
                        && (rule.is_any() || rule.matches_text(&access.target())))
                    .then(|| access.target())
                });
        }
        match self {
            Subject::Command(a, _) => {
                let piece = a.pieces.get(i)?;
                piece
                    .forms
                    .iter()
                    .chain(std::iter::once(&a.whole))
                    .find(|f| rule.matches_text(f))
                    .cloned()
            }
            Subject::Path(p, dir) => loose_path(rule, p, *dir).then(|| p.resolved.clone()),
            Subject::Text(t) => rule.matches_text(t).then(|| t.clone()),
            Subject::Unreadable { raw, .. } => {
                (rule.is_any() || rule.matches_text(raw)).then(|| raw.clone())
            }
        }
    }

    /// Whether unit `i` runs commands no rule sees (which could redirect anywhere).
    pub(crate) fn hides_commands(&self, i: usize) -> bool {
        match self {
            Subject::Command(a, _) => a.pieces.get(i).is_some_and(|p| p.hides_commands),
            _ => false,
        }
    }

    /// Whether the call could not be analysed at all (never allowed).
    pub(crate) fn is_unreadable(&self) -> bool {
        matches!(self, Subject::Unreadable { .. })
    }

    /// The form of unit `i` that `rule` (an allow rule) matches, if any. Opaque pieces are
    /// the caller's business (see [`super::policy`]).
    pub(crate) fn match_strict(&self, rule: &Rule, i: usize) -> Option<String> {
        if let Some(access) = self.access(i) {
            let p = access.known.as_ref()?;
            return strict_path(rule, p, false).then(|| p.resolved.clone());
        }
        match self {
            Subject::Command(a, _) => {
                // The command with or without its redirections: those are judged apart.
                let piece = a.pieces.get(i)?;
                [&piece.text, &piece.bare]
                    .into_iter()
                    .find(|t| !t.is_empty() && rule.matches_text(t))
                    .cloned()
            }
            Subject::Path(p, dir) => strict_path(rule, p, *dir).then(|| p.resolved.clone()),
            Subject::Text(t) => rule.matches_text(t).then(|| t.clone()),
            Subject::Unreadable { .. } => None,
        }
    }
}

impl FileAccess {
    /// The target as written.
    fn target(&self) -> String {
        self.known
            .as_ref()
            .map_or_else(|| target_of(&self.text), |p| p.resolved.clone())
    }
}

/// The target part of a rendered redirection (`2>>log` -> `log`).
fn target_of(text: &str) -> String {
    text.trim_start_matches(|c: char| c.is_ascii_digit() || "<>&|".contains(c))
        .to_string()
}

fn loose_path(rule: &Rule, p: &PathForms, dir: bool) -> bool {
    let abs = [p.resolved.as_str(), p.lexical.as_str()];
    let rel: Vec<&str> = [&p.resolved_rel, &p.lexical_rel]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    rule.matches_path(&abs, &rel, dir)
}

fn strict_path(rule: &Rule, p: &PathForms, dir: bool) -> bool {
    let rel: Vec<&str> = p.resolved_rel.iter().map(String::as_str).collect();
    rule.matches_path(&[p.resolved.as_str()], &rel, dir)
}

/// The known spelling of a tool whose name is `tool` in any case (`bash` -> `Bash`), or
/// `tool` itself when it is none of those the engine reads specially.
pub(crate) fn canonical_tool(tool: &str) -> &str {
    PATH_TOOLS
        .iter()
        .chain(&["Bash", "WebFetch", "WebSearch"])
        .find(|t| t.eq_ignore_ascii_case(tool))
        .copied()
        .unwrap_or(tool)
}

/// The file accesses of every redirection in `a`. Relative targets hang off the folder
/// the command runs in (the hook's `cwd`, else the slot's); when the line changes folder
/// (`cd`), a relative target is not known, and deny rules look at it from each folder the
/// line names as well.
fn accesses(a: &Analysis, req: &Request<'_>, fs: &dyn FileSystem) -> Vec<FileAccess> {
    let base = req
        .tool_cwd
        .filter(|b| b.is_absolute())
        .unwrap_or(req.cwd)
        .to_path_buf();
    let forms = |raw: &str, from: &Path| -> Option<PathForms> {
        let joined = if raw.starts_with('~') || Path::new(raw).is_absolute() {
            raw.to_string()
        } else {
            from.join(raw).to_string_lossy().into_owned()
        };
        PathForms::new(&joined, req.cwd, req.home, fs).ok()
    };
    // Folders the line may `cd` to, for a deny rule's sake.
    let dirs: Vec<std::path::PathBuf> = a
        .dirs
        .iter()
        .filter_map(|d| forms(d, &base))
        .map(|p| std::path::PathBuf::from(p.resolved))
        .collect();
    let mut out = Vec::new();
    for r in a.pieces.iter().flat_map(|p| &p.redirects) {
        for (wanted, tool) in [(r.access.reads(), "Read"), (r.access.writes(), "Write")] {
            if wanted {
                out.push(access(r, tool, a, &base, &dirs, &forms));
            }
        }
    }
    out
}

fn access(
    r: &Redirection,
    tool: &'static str,
    a: &Analysis,
    base: &Path,
    dirs: &[std::path::PathBuf],
    forms: &dyn Fn(&str, &Path) -> Option<PathForms>,
) -> FileAccess {
    let relative = !r.target.starts_with('~') && Path::new(&r.target).is_relative();
    let mut why = None;
    let mut candidates = Vec::new();
    let mut known = None;
    if !r.known {
        why = Some("is only known when the command runs".to_string());
    } else if relative && a.changes_dir {
        why = Some("is relative and the command changes folder".to_string());
        candidates.extend(forms(&r.target, base));
        candidates.extend(dirs.iter().filter_map(|d| forms(&r.target, d)));
    } else {
        match forms(&r.target, base) {
            Some(p) => known = Some(p),
            None => why = Some("cannot be resolved".to_string()),
        }
    }
    FileAccess {
        tool,
        text: r.text.clone(),
        known,
        candidates,
        why,
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
