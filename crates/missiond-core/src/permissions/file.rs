//! `permissions.yaml`: reading (with file, line, role and pattern in errors) and writing
//! (deterministic, readable, atomic).
//!
//! ```yaml
//! roles:
//!   coder:
//!     allow: ["Bash(*)", "Read", "Write(src/**)"]
//!     confirm: ["Bash(git push*)"]
//!     deny: ["Bash(rm -rf*)", "Write(/etc/**)"]
//! slots:
//!   coder-1:
//!     allow: ["Bash(git push origin feature*)"]
//! auto_allow:
//!   - pattern: "Bash(npm test*)"
//!     roles: [coder]        # optional; with slots, applies to either
//!     slots: [coder-2]      # optional; neither = every slot
//! ```
//!
//! A missing file means no rules: every call asks. Saving rewrites the whole file in a
//! fixed layout (roles and slots sorted by name, rules in their order) and does not keep
//! comments; it goes through a temporary file and a rename, so readers never see half.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::pattern::{ListKind, Rule};
use super::policy::{AutoAllow, Policy, RuleSet};

/// A problem reading or writing `permissions.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {}{message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), context.as_ref().map(|c| format!("{c}: ")).unwrap_or_default())]
pub struct PermissionsError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// Where in the file (`role "coder", deny, pattern "Bash("`), when known.
    pub context: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl PermissionsError {
    /// An error about `path` with no line or context (e.g. a rejected change).
    pub fn new(path: &Path, message: impl Into<String>) -> PermissionsError {
        PermissionsError {
            path: path.to_path_buf(),
            line: None,
            context: None,
            message: message.into(),
        }
    }
}

impl Policy {
    /// Loads `path`; a missing file is an empty policy. `home` expands `~/` in patterns.
    pub fn load(path: &Path, home: Option<&Path>) -> Result<Policy, PermissionsError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Policy::parse(&text, path, home),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Policy::default()),
            Err(e) => Err(PermissionsError::new(path, format!("cannot read: {e}"))),
        }
    }

    /// Parses `text` as the content of `path` (named in errors).
    pub fn parse(text: &str, path: &Path, home: Option<&Path>) -> Result<Policy, PermissionsError> {
        if text.trim().is_empty() {
            return Ok(Policy::default());
        }
        let raw: Option<RawFile> = serde_saphyr::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line()).filter(|l| *l > 0);
            PermissionsError {
                line,
                ..PermissionsError::new(path, yaml_message(&e))
            }
        })?;
        let raw = raw.unwrap_or_default();
        let mut policy = Policy::default();
        for (name, set) in raw.roles {
            let set = rule_set(
                set.unwrap_or_default(),
                path,
                &format!("role {name:?}"),
                home,
            )?;
            policy.roles.insert(name, set);
        }
        for (id, set) in raw.slots {
            let set = rule_set(set.unwrap_or_default(), path, &format!("slot {id:?}"), home)?;
            policy.slots.insert(id, set);
        }
        for (n, a) in raw.auto_allow.into_iter().enumerate() {
            let rule = Rule::parse(&a.pattern.value, ListKind::Allow, home).map_err(|e| {
                pattern_error(path, &a.pattern, &format!("auto_allow #{}", n + 1), e)
            })?;
            policy.auto_allow.push(AutoAllow {
                rule,
                roles: a.roles,
                slots: a.slots,
            });
        }
        Ok(policy)
    }

    /// The policy as YAML, in a fixed, readable layout.
    pub fn to_yaml(&self) -> String {
        let mut out = String::from(
            "# missiond tool permissions. Per role and per slot: `allow`, `confirm` and `deny`\n\
             # lists of `Tool(argument glob)` patterns. Deny wins, then the slot's rules, the\n\
             # auto_allow rules, the role's; no match asks. Rewritten by missiond: comments\n\
             # are not kept.\n",
        );
        write_sets(&mut out, "roles", &self.roles);
        write_sets(&mut out, "slots", &self.slots);
        if self.auto_allow.is_empty() {
            out.push_str("auto_allow: []\n");
        } else {
            out.push_str("auto_allow:\n");
            for a in &self.auto_allow {
                let _ = writeln!(out, "  - pattern: {}", quote(a.rule.text()));
                for (key, list) in [("roles", &a.roles), ("slots", &a.slots)] {
                    if !list.is_empty() {
                        let items: Vec<String> = list.iter().map(|s| quote(s)).collect();
                        let _ = writeln!(out, "    {key}: [{}]", items.join(", "));
                    }
                }
            }
        }
        out
    }

    /// Writes the policy to `path` atomically (temporary file in the same folder, then
    /// rename), creating the folder if needed.
    pub fn save(&self, path: &Path) -> Result<(), PermissionsError> {
        let io =
            |what: &str, e: std::io::Error| PermissionsError::new(path, format!("{what}: {e}"));
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| io("cannot create the folder", e))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "permissions.yaml".into());
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(self.to_yaml().as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io("cannot write", e)
        })
    }
}

/// saphyr's message without its source snippet, location prefix or tuning hints (the
/// line is reported separately).
fn yaml_message(e: &serde_saphyr::Error) -> String {
    let full = e.to_string();
    let first = full.lines().next().unwrap_or("invalid YAML").trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let msg = match first.strip_prefix("line ") {
        Some(rest) => rest.split_once(": ").map_or(first, |(_, m)| m),
        None => first,
    };
    msg.split(", set ").next().unwrap_or(msg).to_string()
}

fn rule_set(
    raw: RawSet,
    path: &Path,
    owner: &str,
    home: Option<&Path>,
) -> Result<RuleSet, PermissionsError> {
    let list = |items: Option<Vec<Spanned<String>>>, kind: ListKind| {
        items
            .unwrap_or_default()
            .iter()
            .map(|p| {
                Rule::parse(&p.value, kind, home)
                    .map_err(|e| pattern_error(path, p, &format!("{owner}, {}", kind.as_str()), e))
            })
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(RuleSet {
        allow: list(raw.allow, ListKind::Allow)?,
        confirm: list(raw.confirm, ListKind::Confirm)?,
        deny: list(raw.deny, ListKind::Deny)?,
    })
}

fn pattern_error(path: &Path, p: &Spanned<String>, owner: &str, e: String) -> PermissionsError {
    PermissionsError {
        path: path.to_path_buf(),
        line: Some(p.referenced.line()).filter(|l| *l > 0),
        context: Some(format!("{owner}, pattern {:?}", p.value)),
        message: e,
    }
}

fn write_sets(out: &mut String, key: &str, sets: &BTreeMap<String, RuleSet>) {
    if sets.is_empty() {
        let _ = writeln!(out, "{key}: {{}}");
        return;
    }
    let _ = writeln!(out, "{key}:");
    for (name, set) in sets {
        if set.is_empty() {
            let _ = writeln!(out, "  {}: {{}}", key_text(name));
            continue;
        }
        let _ = writeln!(out, "  {}:", key_text(name));
        for kind in [ListKind::Allow, ListKind::Confirm, ListKind::Deny] {
            let rules = set.list(kind);
            if rules.is_empty() {
                continue;
            }
            let _ = writeln!(out, "    {}:", kind.as_str());
            for r in rules {
                let _ = writeln!(out, "      - {}", quote(r.text()));
            }
        }
    }
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML).
fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

/// A mapping key, plain when that cannot be misread.
fn key_text(s: &str) -> String {
    let plain = s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        );
    if plain { s.to_string() } else { quote(s) }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    roles: BTreeMap<String, Option<RawSet>>,
    #[serde(default)]
    slots: BTreeMap<String, Option<RawSet>>,
    #[serde(default)]
    auto_allow: Vec<RawAuto>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    #[serde(default)]
    allow: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    confirm: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    deny: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuto {
    pattern: Spanned<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    slots: Vec<String>,
}
