//! `slots.yaml`: the slots the daemon may run, and the optional `roles:` (lifecycle
//! settings per role) and `secrets:` sections (see [`lifecycle`] for their keys).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Claude Code's `--permission-mode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum PermissionMode {
    /// Ask before every tool that is not read-only.
    #[default]
    Manual,
    /// Accept file edits without asking.
    AcceptEdits,
    /// Claude Code's default: a server-side safety check decides.
    Auto,
    /// Never ask.
    BypassPermissions,
    /// Refuse anything that would ask.
    DontAsk,
    /// Plan only; no changes.
    Plan,
}

/// How a slot's processes are kept from the daemon's files and from other slots (see the
/// daemon's `sandbox` module).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Isolation {
    /// A bubblewrap sandbox when this machine allows one; otherwise the slot runs without
    /// and `mission_health` says so.
    #[default]
    Auto,
    /// A bubblewrap sandbox, or the slot does not start.
    Sandbox,
    /// No sandbox, chosen explicitly (`mission_health` warns about it).
    None,
}

impl Isolation {
    /// As written in slots.yaml.
    pub fn as_str(self) -> &'static str {
        match self {
            Isolation::Auto => "auto",
            Isolation::Sandbox => "sandbox",
            Isolation::None => "none",
        }
    }
}

impl PermissionMode {
    /// The value passed to `--permission-mode`.
    pub fn as_str(self) -> &'static str {
        match self {
            PermissionMode::Manual => "manual",
            PermissionMode::AcceptEdits => "acceptEdits",
            PermissionMode::Auto => "auto",
            PermissionMode::BypassPermissions => "bypassPermissions",
            PermissionMode::DontAsk => "dontAsk",
            PermissionMode::Plan => "plan",
        }
    }
}

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde_saphyr::Spanned;

use crate::catalogue::SlotInfo;
use crate::lifecycle::LifecycleSettings;
use crate::secrets::SecretsConfig;

mod lifecycle;
mod redact;
mod workspace;
use lifecycle::{RawLifecycle, RawSecrets};

/// Default program a slot runs.
pub const DEFAULT_COMMAND: &str = "claude";
/// Default terminal width.
pub const DEFAULT_COLS: u16 = 120;
/// Default terminal height.
pub const DEFAULT_ROWS: u16 = 40;

/// One slot, validated: `cwd` is absolute, ids are unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotConfig {
    /// Unique id (letters, digits, `-`, `_`, `.`).
    pub id: String,
    /// Role (`coder`, `researcher` ...); `general` when not given.
    pub role: String,
    /// What the slot is for.
    pub description: String,
    /// Working folder, absolute (`~` expanded, relative paths resolved against the
    /// folder of slots.yaml).
    pub cwd: PathBuf,
    /// Program to run (default `claude`).
    pub command: String,
    /// Extra arguments.
    pub args: Vec<String>,
    /// Extra environment variables, as written: `${secret:path}` references are left for
    /// [`crate::secrets::resolve_env`] at spawn time (their syntax is checked at load).
    pub env: BTreeMap<String, String>,
    /// Claude Code's permission mode (default `manual`).
    pub permission_mode: PermissionMode,
    /// Terminal width (default 120).
    pub cols: u16,
    /// Terminal height (default 40).
    pub rows: u16,
    /// Start with the daemon (default false).
    pub autostart: bool,
    /// The daemon may accept Claude Code's folder-trust dialog for `cwd` (default false).
    pub trusted: bool,
    /// Restart, stuck and context settings: the slot's `lifecycle:` over its role's
    /// section in `roles:` over the defaults.
    pub lifecycle: LifecycleSettings,
    /// Whether its processes run in a sandbox (default `auto`).
    pub isolation: Isolation,
    /// Its own git worktree (`workspace:`, the slot's over its role's); `None`: it runs
    /// in `cwd` itself.
    pub workspace: Option<crate::workspace::WorkspaceConfig>,
    /// The machine the program runs on, as an ssh destination (an alias of the user's
    /// ssh config, or `user@host[:port]`); `None`: this machine. On a host, `cwd` is
    /// the host's (`~` is the host user's home, kept unexpanded here).
    pub host: Option<String>,
}

impl SlotConfig {
    /// The slot as `mission_slots` reports it (without `env`).
    pub fn info(&self) -> SlotInfo {
        SlotInfo {
            id: self.id.clone(),
            role: self.role.clone(),
            description: self.description.clone(),
            cwd: self.cwd.display().to_string(),
            command: self.command.clone(),
            args: self.args.clone(),
            permission_mode: self.permission_mode,
            cols: self.cols,
            rows: self.rows,
            autostart: self.autostart,
            trusted: self.trusted,
            workspace_branch: self.workspace.as_ref().map(|w| w.branch.clone()),
            host: self.host.clone(),
        }
    }
}

/// The loaded `slots.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SlotsConfig {
    /// The file it came from.
    pub path: PathBuf,
    /// The slots, in file order.
    pub slots: Vec<SlotConfig>,
    /// Each role section of `roles:`, resolved over the defaults.
    pub roles: BTreeMap<String, LifecycleSettings>,
    /// How `${secret:path}` references are resolved, when configured.
    pub secrets: Option<SecretsConfig>,
    /// Which key shapes are scrubbed besides the resolved secrets (`redact:`).
    pub redact: crate::secrets::RedactConfig,
}

impl SlotsConfig {
    /// Loads `path`. A missing file means no slots; `home` expands `~` in `cwd`.
    pub fn load(path: &Path, home: Option<&Path>) -> Result<SlotsConfig, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => SlotsConfig::parse(&text, path, home),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SlotsConfig {
                path: path.to_path_buf(),
                ..SlotsConfig::default()
            }),
            Err(e) => Err(ConfigError {
                path: path.to_path_buf(),
                line: None,
                field: None,
                message: format!("cannot read: {e}"),
            }),
        }
    }

    /// Parses `text` as the content of `path` (used for messages and to resolve
    /// relative `cwd`s).
    pub fn parse(text: &str, path: &Path, home: Option<&Path>) -> Result<SlotsConfig, ConfigError> {
        let raw: RawFile = if text.trim().is_empty() {
            RawFile::default()
        } else {
            serde_saphyr::from_str(text).map_err(|e| ConfigError::from_yaml(path, text, &e))?
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let secrets = match &raw.secrets {
            Some(raw) => Some(lifecycle::secrets(path, raw)?),
            None => None,
        };
        let redact = match &raw.redact {
            Some(raw) => redact::redact(path, raw)?,
            None => crate::secrets::RedactConfig::default(),
        };
        let mut roles = BTreeMap::new();
        for (name, section) in &raw.roles {
            let owner = format!("role {name:?}");
            lifecycle::check(path, section, &owner)?;
            roles.insert(
                name.clone(),
                lifecycle::resolve(path, None, Some(section), &owner)?,
            );
        }
        let mut seen = HashSet::new();
        let mut slots = Vec::with_capacity(raw.slots.len());
        for slot in raw.slots {
            let err = |loc: serde_saphyr::Location, field: &str, message: String| ConfigError {
                path: path.to_path_buf(),
                line: Some(loc.line()).filter(|l| *l > 0),
                field: Some(field.to_string()),
                message,
            };
            let id = slot.id.value.trim().to_string();
            if !valid_id(&id) {
                return Err(err(
                    slot.id.referenced,
                    "id",
                    format!("invalid slot id {id:?}: use letters, digits, '-', '_' or '.'"),
                ));
            }
            if !seen.insert(id.clone()) {
                return Err(err(
                    slot.id.referenced,
                    "id",
                    format!("duplicate slot id {id:?}"),
                ));
            }
            let host = match slot.host {
                Some(h) => Some(
                    check_host(&h.value)
                        .map_err(|m| err(h.referenced, "host", format!("slot {id:?}: {m}")))?,
                ),
                None => None,
            };
            let cwd = match host {
                Some(_) => remote_cwd(&slot.cwd.value),
                None => resolve_cwd(&slot.cwd.value, base, home),
            }
            .map_err(|m| err(slot.cwd.referenced, "cwd", format!("slot {id:?}: {m}")))?;
            for (loc, field, value, min, max) in [
                (slot.cols.referenced, "cols", slot.cols.value, 20, 1000),
                (slot.rows.referenced, "rows", slot.rows.value, 5, 500),
            ] {
                if !(min..=max).contains(&value) {
                    return Err(err(
                        loc,
                        field,
                        format!("slot {id:?}: {value} is out of range ({min}-{max})"),
                    ));
                }
            }
            let role = slot.role.unwrap_or_else(|| "general".into());
            let owner = format!("slot {id:?}");
            if let Some(section) = &slot.lifecycle {
                lifecycle::check(path, section, &owner)?;
            }
            let lifecycle =
                lifecycle::resolve(path, slot.lifecycle.as_ref(), raw.roles.get(&role), &owner)?;
            let env = check_env(path, &id, slot.env, secrets.is_some())?;
            if slot
                .lifecycle
                .as_ref()
                .is_some_and(|l| l.workspace.is_some())
            {
                return Err(err(
                    slot.id.referenced,
                    "lifecycle.workspace",
                    format!("slot {id:?}: put `workspace:` beside `lifecycle:`, not in it"),
                ));
            }
            let workspace = workspace::resolve(
                path,
                &id,
                slot.workspace.as_ref(),
                raw.roles.get(&role).and_then(|r| r.workspace.as_ref()),
                home,
            )?;
            if workspace.is_some() && host.is_some() {
                // Worktrees are made by the daemon's own git, on this machine.
                return Err(err(
                    slot.id.referenced,
                    "workspace",
                    format!("slot {id:?}: a worktree workspace is not supported with `host:` yet"),
                ));
            }
            if let Some(ws) = &workspace {
                let clash = slots.iter().find(|other: &&SlotConfig| {
                    other.workspace.as_ref().is_some_and(|o| {
                        (o.folder.is_some() && o.folder == ws.folder)
                            || (o.branch == ws.branch && other.cwd == cwd)
                    })
                });
                if let Some(other) = clash {
                    return Err(err(
                        slot.id.referenced,
                        "workspace",
                        format!(
                            "slots {:?} and {id:?} would share a worktree folder or branch",
                            other.id
                        ),
                    ));
                }
            }
            slots.push(SlotConfig {
                role,
                description: slot.description,
                cwd,
                command: slot.command,
                args: slot.args,
                env,
                permission_mode: slot.permission_mode,
                cols: slot.cols.value,
                rows: slot.rows.value,
                autostart: slot.autostart,
                trusted: slot.trusted,
                lifecycle,
                isolation: slot.isolation,
                workspace,
                host,
                id,
            });
        }
        Ok(SlotsConfig {
            path: path.to_path_buf(),
            slots,
            roles,
            secrets,
            redact,
        })
    }

    /// The slot with this id.
    pub fn get(&self, id: &str) -> Option<&SlotConfig> {
        self.slots.iter().find(|s| s.id == id)
    }
}

/// A problem in `slots.yaml`: file, line and field when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {}{message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default(), field.as_ref().map(|f| format!("`{f}`: ")).unwrap_or_default())]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// The field concerned, when known.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    pub(crate) fn from_yaml(path: &Path, text: &str, e: &serde_saphyr::Error) -> ConfigError {
        let line = e.location().map(|l| l.line()).filter(|l| *l > 0);
        let message = plain_message(e);
        // serde names unknown and missing fields in backticks; for other errors (wrong
        // type, bad variant) the key on the offending line is the field.
        let field = ["unknown field `", "missing field `"]
            .iter()
            .find_map(|p| message.split(p).nth(1))
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string)
            .or_else(|| line.and_then(|l| key_on_line(text, l)));
        ConfigError {
            path: path.to_path_buf(),
            line,
            field,
            message,
        }
    }

    /// As an IPC error (`config_error`, with `path`, `line`, `field` in `data`).
    pub fn to_rpc(&self) -> crate::ipc::RpcError {
        crate::ipc::RpcError::new(crate::ipc::ErrorCode::ConfigError, self.to_string()).with_data(
            serde_json::json!({
                "path": self.path.display().to_string(),
                "line": self.line,
                "field": self.field,
            }),
        )
    }
}

/// The error's message without saphyr's source snippet and location prefix (the line is
/// reported separately).
fn plain_message(e: &serde_saphyr::Error) -> String {
    let full = e.to_string();
    let first = full.lines().next().unwrap_or("invalid YAML").trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    match first.strip_prefix("line ") {
        // "line 4 column 11: invalid u16" -> "invalid u16"
        Some(rest) => rest.split_once(": ").map_or(first, |(_, msg)| msg),
        None => first,
    }
    .to_string()
}

/// The mapping key written on 1-based `line` of `text` (`    cols: wide` -> `cols`).
fn key_on_line(text: &str, line: u64) -> Option<String> {
    let src = text
        .lines()
        .nth(usize::try_from(line).ok()?.checked_sub(1)?)?;
    let src = src.trim_start().trim_start_matches("- ").trim_start();
    let (key, _) = src.split_once(':')?;
    let key = key.trim();
    (!key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then(|| key.to_string())
}

/// Checks the `${secret:...}` references in a slot's `env` (syntax, and that a `secrets:`
/// section exists to resolve them) and drops the locations.
fn check_env(
    path: &Path,
    slot: &str,
    env: BTreeMap<String, Spanned<String>>,
    secrets_configured: bool,
) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut out = BTreeMap::new();
    for (var, value) in env {
        let err = |message: String| {
            lifecycle::error_at(
                path,
                value.referenced,
                &format!("env.{var}"),
                format!("slot {slot:?}: {message}"),
            )
        };
        let parts =
            crate::secrets::template::parse(&value.value).map_err(|e| err(e.to_string()))?;
        let uses_secrets = parts
            .iter()
            .any(|p| matches!(p, crate::secrets::Part::Secret(_)));
        if uses_secrets && !secrets_configured {
            return Err(err(
                "uses ${secret:...} but slots.yaml has no `secrets: {command: ...}` section".into(),
            ));
        }
        out.insert(var, value.value);
    }
    Ok(out)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !id.starts_with('.')
}

/// A slot's `host:`: an ssh destination, never an option or several words.
fn check_host(value: &str) -> Result<String, String> {
    let host = value.trim();
    if host.is_empty() {
        return Err("host is empty".into());
    }
    if host.starts_with('-') || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{host:?} is not an ssh destination (an alias, or user@host[:port])"
        ));
    }
    Ok(host.to_string())
}

/// The `cwd` of a slot on another host: absolute, or `~`/`~/...` (the host user's
/// home, expanded there).
fn remote_cwd(value: &str) -> Result<PathBuf, String> {
    let value = value.trim();
    if value == "~" || value.starts_with("~/") || value.starts_with('/') {
        Ok(PathBuf::from(value))
    } else {
        Err(format!(
            "{value:?}: on another host, cwd must be absolute or start with ~/"
        ))
    }
}

pub(super) fn resolve_cwd(
    value: &str,
    base: &Path,
    home: Option<&Path>,
) -> Result<PathBuf, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("cwd is empty".into());
    }
    if value.starts_with('~') && !value.starts_with("~/") && value != "~" {
        return Err(format!(
            "{value:?}: only ~ and ~/... are understood (not ~user)"
        ));
    }
    let path = crate::paths::expand_tilde(value, home)
        .ok_or_else(|| format!("{value:?} needs a home folder, and none is known"))?;
    Ok(if path.is_absolute() {
        path
    } else {
        base.join(path)
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    slots: Vec<RawSlot>,
    #[serde(default)]
    roles: BTreeMap<String, RawLifecycle>,
    #[serde(default)]
    secrets: Option<RawSecrets>,
    #[serde(default)]
    redact: Option<redact::RawRedact>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlot {
    id: Spanned<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    description: String,
    cwd: Spanned<String>,
    #[serde(default = "default_command")]
    command: String,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, Spanned<String>>,
    #[serde(default, alias = "permissionMode")]
    permission_mode: PermissionMode,
    #[serde(default = "default_cols")]
    cols: Spanned<u16>,
    #[serde(default = "default_rows")]
    rows: Spanned<u16>,
    #[serde(default)]
    autostart: bool,
    #[serde(default)]
    trusted: bool,
    #[serde(default)]
    lifecycle: Option<RawLifecycle>,
    #[serde(default)]
    isolation: Isolation,
    #[serde(default)]
    workspace: Option<workspace::RawWorkspace>,
    host: Option<Spanned<String>>,
}

fn default_command() -> String {
    DEFAULT_COMMAND.into()
}

fn default_cols() -> Spanned<u16> {
    Spanned::new(
        DEFAULT_COLS,
        serde_saphyr::Location::UNKNOWN,
        serde_saphyr::Location::UNKNOWN,
    )
}

fn default_rows() -> Spanned<u16> {
    Spanned::new(
        DEFAULT_ROWS,
        serde_saphyr::Location::UNKNOWN,
        serde_saphyr::Location::UNKNOWN,
    )
}

#[cfg(test)]
mod tests;
