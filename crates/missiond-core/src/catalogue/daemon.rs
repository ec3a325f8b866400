//! Daemon-wide tools: configured slots, live agents, health.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::params::EmptyParams;
use super::types::SlotState;
use super::{Annotations, Tool};
use crate::config::slots::PermissionMode;

/// `mission_slots`.
pub struct Slots;
/// `mission_agents`.
pub struct Agents;
/// `mission_health`.
pub struct Health;
/// `mission_reload`.
pub struct Reload;

/// A configured slot as clients see it (its `env` is left out: it may hold secrets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlotInfo {
    /// The slot's id.
    pub id: String,
    /// Its role (`coder`, `researcher` ...).
    pub role: String,
    /// What it is for.
    pub description: String,
    /// Its working folder (absolute).
    pub cwd: String,
    /// The program started.
    pub command: String,
    /// Extra arguments.
    pub args: Vec<String>,
    /// Claude Code's permission mode for it.
    pub permission_mode: PermissionMode,
    /// Terminal width.
    pub cols: u16,
    /// Terminal height.
    pub rows: u16,
    /// Started with the daemon.
    pub autostart: bool,
    /// The daemon may accept the folder-trust dialog for its folder.
    pub trusted: bool,
    /// Its own git worktree's branch, when it has `workspace: worktree` (see
    /// mission_workspace_status for the rest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_branch: Option<String>,
    /// The machine it runs on (its `host:`, an ssh destination), when not this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

/// Result of `mission_slots`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlotsResult {
    /// Every configured slot, in file order.
    pub slots: Vec<SlotInfo>,
    /// Why slots.yaml could not be used, when it could not: the slots listed are then
    /// the last good configuration (none if there never was one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_error: Option<String>,
}

impl Tool for Slots {
    const NAME: &'static str = "mission_slots";
    const TITLE: &'static str = "Configured slots";
    const DESCRIPTION: &'static str = "List the slots configured in slots.yaml: id, \
        role, description, working folder, command, permission mode, terminal size. Use \
        it to choose a slot id for the other mission_pty_* tools; for what each slot is \
        doing now use mission_agents.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = EmptyParams;
    type Output = SlotsResult;
}

/// One slot's live state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentInfo {
    /// The slot's id.
    pub slot_id: String,
    /// Its role.
    pub role: String,
    /// What it is doing (`Stopped` when not running).
    pub state: SlotState,
    /// When it entered that state (RFC 3339, UTC), if known.
    pub since: Option<String>,
    /// The process id, while running: on `host` when the slot has one (the pid there,
    /// as the host's `ps` shows it), else on this machine.
    pub pid: Option<u32>,
    /// The machine it runs on (its `host:`, an ssh destination), when not this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The Claude Code session id, once known.
    pub session_id: Option<String>,
    /// Whether its processes run in the slot's sandbox (see `isolation` in slots.yaml),
    /// while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandboxed: Option<bool>,
}

/// Result of `mission_agents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AgentsResult {
    /// Every configured slot with its state, in configuration order.
    pub agents: Vec<AgentInfo>,
}

impl Tool for Agents {
    const NAME: &'static str = "mission_agents";
    const TITLE: &'static str = "What every slot is doing";
    const DESCRIPTION: &'static str = "List every slot with its current state (Stopped, \
        Idle, Thinking, Confirming, ...), since when, its process and session ids. Use it \
        to find an idle agent or one waiting on a dialog; mission_pty_status gives one \
        slot in more detail.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = EmptyParams;
    type Output = AgentsResult;
}

/// Result of `mission_health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthResult {
    /// True when the daemon works normally.
    pub ok: bool,
    /// The daemon's version.
    pub version: String,
    /// The daemon's process id.
    pub pid: u32,
    /// Seconds since the daemon started.
    pub uptime_secs: u64,
    /// `MISSIOND_HOME`.
    pub home: String,
    /// The IPC endpoint it listens on.
    pub endpoint: String,
    /// The database file.
    pub db_path: String,
    /// The WebSocket/HTTP server (`ws://127.0.0.1:PORT`: `/pty/{slotId}`, `/tasks`,
    /// `/events`), when it listens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_url: Option<String>,
    /// Slots configured.
    pub slots_configured: u32,
    /// Slots with a running process.
    pub slots_running: u32,
    /// Problems worth knowing (a configuration error, a failing subsystem).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Why slots.yaml could not be used, when it could not (also in `warnings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_error: Option<String>,
    /// Who started the daemon and where its output goes, when it was not started by
    /// hand (`started by mission-mcp; log /path/daemon.log`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_by: Option<String>,
    /// Times the slots' screens disagreed for too long with their Claude Code hooks,
    /// summed over each slot's current or last run (the hooks were believed; each time
    /// is logged as a screen reader bug).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parser_disagreements: Option<u64>,
    /// How slots are kept from the daemon: `bubblewrap (PATH)` when slots can run in a
    /// sandbox here, else why not (slots with `isolation: auto` then run without one,
    /// which the warnings repeat).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<String>,
    /// The screen reader's rules in force: `built-in v1`, or the override file
    /// `MISSIOND_HOME/rules/rules.json` and its version (one that does not load is in
    /// `warnings`, and the built-in rules are used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen_rules: Option<String>,
    /// Each host that remote slots (`host:` in slots.yaml) ran on or tried to: reachable,
    /// latency, runner version, the last error.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub hosts: std::collections::BTreeMap<String, HostHealth>,
}

/// A remote slots' host in `mission_health`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HostHealth {
    /// The last ssh connection or keep-alive got through.
    pub reachable: bool,
    /// Round trip of the last check or keep-alive, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// The runner version installed there (`VERSION-BUILDHASH`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner_version: Option<String>,
    /// Why the host cannot be used, when it cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Slot links to this host that are up right now.
    pub links_up: u32,
    /// When this was last updated (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<String>,
}

impl Tool for Health {
    const NAME: &'static str = "mission_health";
    const TITLE: &'static str = "Daemon health";
    const DESCRIPTION: &'static str = "Check that the missiond daemon is up and report \
        its version, uptime, home folder, IPC endpoint, database, how many slots are \
        configured and running, and any warnings (such as a broken slots.yaml). Use it \
        first when other mission_* tools fail.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = EmptyParams;
    type Output = HealthResult;
}

/// Result of `mission_reload`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReloadResult {
    /// Slots new in the file (started when `autostart`).
    pub added: Vec<String>,
    /// Slots gone from the file (stopped).
    pub removed: Vec<String>,
    /// Slots whose settings changed (stopped, then started again if they ran).
    pub changed: Vec<String>,
    /// Slots left as they were (running ones keep running).
    pub unchanged: Vec<String>,
    /// Why the file could not be used: nothing changed, the last good configuration
    /// stays in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Worktrees of removed slots (or whose workspace changed) kept because removing
    /// them would lose work: what each holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workspaces_kept: Vec<String>,
}

impl Tool for Reload {
    const NAME: &'static str = "mission_reload";
    const TITLE: &'static str = "Reload slots.yaml";
    const DESCRIPTION: &'static str = "Read slots.yaml again and apply it: new slots are \
        added (and started when autostart), removed ones stopped, changed ones restarted \
        with their new settings; slots whose settings did not change keep running \
        untouched; a removed slot's worktree (workspace) is removed too unless it holds \
        uncommitted or unmerged work (then it stays, listed in workspacesKept). A file \
        that does not load changes nothing and its error is returned \
        (and shown by mission_slots and mission_health until fixed). The daemon also \
        reloads by itself when the file changes.";
    const ANNOTATIONS: Annotations = Annotations {
        read_only_hint: false,
        destructive_hint: true,
        idempotent_hint: true,
        open_world_hint: false,
    };
    type Params = EmptyParams;
    type Output = ReloadResult;
}
