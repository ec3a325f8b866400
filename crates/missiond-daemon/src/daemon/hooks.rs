//! Claude Code hooks: the `--settings` JSON that makes each slot's Claude Code run
//! `missiond hook <Event>` on its events, and the events as the daemon receives them.
//! The hook command prints nothing, so it never changes what Claude Code does.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The internal IPC method the hook command calls.
pub const HOOK_METHOD: &str = "hook.event";

/// Environment variable naming the slot, set for the hook command.
pub const SLOT_ENV: &str = "MISSIOND_SLOT_ID";

/// Events the daemon listens to.
pub const EVENTS: &[&str] = &[
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "Notification",
    "Stop",
    "SessionEnd",
];

/// Events that take a tool-name matcher.
const MATCHED: &[&str] = &["PreToolUse", "PostToolUse"];

/// Seconds Claude Code gives one hook command.
const HOOK_TIMEOUT_SECS: u64 = 10;

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
/// `exe hook <Event>` with the slot id and IPC endpoint in its environment.
pub fn settings_json(exe: &Path, slot: &str, endpoint: &str) -> Value {
    let mut hooks = serde_json::Map::new();
    for event in EVENTS {
        let command = format!(
            "{SLOT_ENV}={} MISSION_IPC_ENDPOINT={} {} hook {event}",
            shell_quote(slot),
            shell_quote(endpoint),
            shell_quote(&exe.to_string_lossy()),
        );
        let mut group = json!({
            "hooks": [{"type": "command", "command": command, "timeout": HOOK_TIMEOUT_SECS}]
        });
        if MATCHED.contains(event) {
            group["matcher"] = json!("*");
        }
        hooks.insert((*event).to_string(), json!([group]));
    }
    json!({ "hooks": hooks })
}

/// Quote for a POSIX shell: single quotes, with embedded ones closed and escaped.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_runs_the_hook_command_for_its_slot() {
        let v = settings_json(Path::new("/opt/m d/missiond"), "it's", "/h/missiond.sock");
        for event in EVENTS {
            let command = v["hooks"][event][0]["hooks"][0]["command"]
                .as_str()
                .unwrap_or_else(|| panic!("no hook for {event}"));
            assert!(command.ends_with(&format!("'/opt/m d/missiond' hook {event}")));
            assert!(command.starts_with(r"MISSIOND_SLOT_ID='it'\''s' "));
        }
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
