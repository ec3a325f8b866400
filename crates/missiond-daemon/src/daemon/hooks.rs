//! Claude Code hooks: the `--settings` JSON that makes each slot's Claude Code run
//! `missiond hook <Event>` on its events, and the events as the daemon receives them.
//! Only the `PreToolUse` hook prints anything: the permission decision (see
//! [`super::hook_decision`]); the others never change what Claude Code does.
//!
//! `--settings` adds to the user's own settings files, it does not replace them: hooks
//! the user configured in `~/.claude/settings.json` run beside these.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The internal IPC method the hook command calls.
pub const HOOK_METHOD: &str = "hook.event";

/// Environment variable naming the slot, set for the hook command.
pub const SLOT_ENV: &str = "MISSIOND_SLOT_ID";
/// Environment variable naming the slot's role, for the hook command's fail-closed check.
pub const ROLE_ENV: &str = "MISSIOND_SLOT_ROLE";

/// Events the daemon listens to.
/// What each means for the slot's state is in `state_merge`: `PermissionRequest` (a
/// dialog is about to open), `StopFailure` (a turn ended in an API error; no `Stop`
/// follows), `SubagentStart`/`SubagentStop` (background agents keep the slot busy),
/// `PreCompact`/`PostCompact` (compacting is work), `MessageDisplay` (a finished text).
pub const EVENTS: &[&str] = &[
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "PermissionRequest",
    "Notification",
    "Stop",
    "StopFailure",
    "SubagentStart",
    "SubagentStop",
    "PreCompact",
    "PostCompact",
    "MessageDisplay",
    "SessionEnd",
];

/// Events that take a tool-name matcher.
const MATCHED: &[&str] = &["PreToolUse", "PostToolUse"];

/// Seconds Claude Code gives one hook command.
const HOOK_TIMEOUT_SECS: u64 = 10;
/// Seconds Claude Code gives the `PreToolUse` hook: well above the hook command's own
/// limit for the daemon, so the command always answers (deny, when the daemon is slow)
/// before Claude Code gives up on it and falls back to its own permission mode.
const PRE_TOOL_USE_TIMEOUT_SECS: u64 = 60;

/// What a slot's hook commands need to know.
#[derive(Debug, Clone, Copy)]
pub struct HookTarget<'a> {
    /// The slot's id.
    pub slot: &'a str,
    /// Its role.
    pub role: &'a str,
    /// The daemon's IPC endpoint, as text.
    pub endpoint: &'a str,
    /// `permissions.yaml`, read by the hook when the daemon cannot be asked.
    pub permissions: &'a Path,
}

/// The params of [`HOOK_METHOD`]: which slot, which event, and the JSON Claude Code gave
/// the hook on standard input.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HookEvent {
    pub slot: String,
    pub event: String,
    #[serde(default)]
    pub payload: Value,
}

impl HookEvent {
    /// A string field of the payload.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.payload.get(key).and_then(Value::as_str)
    }
}

/// The settings JSON for one slot: a command hook per event in [`EVENTS`], each running
/// `exe hook <Event>` with the slot id, role, IPC endpoint and permissions file in its
/// environment.
pub fn settings_json(exe: &Path, target: &HookTarget<'_>) -> Value {
    settings_with(|event| {
        format!(
            "{SLOT_ENV}={} {ROLE_ENV}={} MISSION_IPC_ENDPOINT={} {}={} {} hook {event}",
            shell_quote(target.slot),
            shell_quote(target.role),
            shell_quote(target.endpoint),
            missiond_core::paths::ENV_PERMISSIONS_CONFIG,
            shell_quote(&target.permissions.to_string_lossy()),
            shell_quote(&exe.to_string_lossy()),
        )
    })
}

/// The settings JSON for a slot on another host: each hook runs the runner's own binary
/// (`$MISSIOND_RUNNER_EXE`), which reaches the daemon through the runner's socket
/// (`MISSION_IPC_ENDPOINT`, set by the runner); the permissions file is the copy the
/// runner wrote into `slot_dir` (a path on the host).
pub fn remote_settings_json(slot: &str, role: &str, slot_dir: &str) -> Value {
    settings_with(|event| {
        format!(
            "{SLOT_ENV}={} {ROLE_ENV}={} {}={} \"${}\" hook {event}",
            shell_quote(slot),
            shell_quote(role),
            missiond_core::paths::ENV_PERMISSIONS_CONFIG,
            shell_quote(&format!("{slot_dir}/permissions.yaml")),
            crate::runner::serve::RUNNER_EXE_ENV,
        )
    })
}

/// One command hook per event in [`EVENTS`], the command made by `command`.
fn settings_with(command: impl Fn(&str) -> String) -> Value {
    let mut hooks = serde_json::Map::new();
    for event in EVENTS {
        let command = command(event);
        let timeout = if *event == "PreToolUse" {
            PRE_TOOL_USE_TIMEOUT_SECS
        } else {
            HOOK_TIMEOUT_SECS
        };
        let mut group = json!({
            "hooks": [{"type": "command", "command": command, "timeout": timeout}]
        });
        if MATCHED.contains(event) {
            group["matcher"] = json!("*");
        }
        hooks.insert((*event).to_string(), json!([group]));
    }
    json!({ "hooks": hooks })
}

/// Quote for a POSIX shell (here, or a remote user's): single quotes, with embedded
/// ones closed and escaped.
pub(crate) fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_runs_the_hook_command_for_its_slot() {
        let target = HookTarget {
            slot: "it's",
            role: "coder",
            endpoint: "/h/missiond.sock",
            permissions: Path::new("/h/permissions.yaml"),
        };
        let v = settings_json(Path::new("/opt/m d/missiond"), &target);
        for event in EVENTS {
            let command = v["hooks"][event][0]["hooks"][0]["command"]
                .as_str()
                .unwrap_or_else(|| panic!("no hook for {event}"));
            assert!(command.ends_with(&format!("'/opt/m d/missiond' hook {event}")));
            assert!(command.starts_with(r"MISSIOND_SLOT_ID='it'\''s' MISSIOND_SLOT_ROLE='coder' "));
            assert!(command.contains("MISSION_PERMISSIONS_CONFIG='/h/permissions.yaml' "));
        }
        let pre = &v["hooks"]["PreToolUse"][0]["hooks"][0]["timeout"];
        let stop = &v["hooks"]["Stop"][0]["hooks"][0]["timeout"];
        assert!(
            pre.as_u64() > stop.as_u64(),
            "PreToolUse must get longer: {pre} vs {stop}"
        );
        assert_eq!(v["hooks"]["PreToolUse"][0]["matcher"], "*");
        assert!(v["hooks"]["Stop"][0].get("matcher").is_none());
    }

    #[test]
    fn quoted_command_survives_a_real_shell() {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", shell_quote("a'b $c")))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "a'b $c");
    }
}
