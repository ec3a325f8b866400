//! Errors as a person at the command line reads them: one sentence when no daemon runs,
//! CLI commands (`missiond slots`) where the daemon's message names MCP tools, and no
//! JSON-RPC codes.

use missiond_core::ipc::{ClientError, Endpoint, TransportError};
use serde_json::{Value, json};

/// An error of a client command, worded for the command line.
#[derive(Debug)]
pub struct CliError {
    /// One line for a person.
    pub message: String,
    /// The daemon's error kind (`unknown_slot`, ...), or what failed on this side
    /// (`no_daemon`, `connection`).
    pub kind: String,
    /// The daemon's error data, when it sent any.
    pub data: Option<Value>,
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl CliError {
    /// The error as a JSON object, for `--json`.
    pub fn to_json(&self) -> Value {
        let mut error = json!({ "kind": self.kind, "message": self.message });
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        json!({ "error": error })
    }
}

/// Words `e` for the command line; `endpoint` and `home` name where the daemon was
/// looked for.
pub fn client_error(e: ClientError, endpoint: &Endpoint, home: &str) -> CliError {
    match e {
        ClientError::Connect(TransportError::Io { source, .. })
            if matches!(
                source.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            no_daemon(endpoint, home)
        }
        ClientError::Connect(TransportError::Io { source, .. }) => CliError {
            message: format!("cannot reach the missiond daemon at {endpoint}: {source}"),
            kind: "connection".into(),
            data: None,
        },
        ClientError::Rpc(rpc) => {
            let slot = rpc
                .data
                .as_ref()
                .and_then(|d| d.get("slotId"))
                .and_then(Value::as_str)
                .map(str::to_string);
            CliError {
                message: cli_wording(&rpc.message, slot.as_deref()),
                kind: rpc
                    .kind()
                    .map_or_else(|| "error".to_string(), |k| k.name().to_string()),
                data: rpc.data,
            }
        }
        other => CliError {
            message: other.to_string(),
            kind: "connection".into(),
            data: None,
        },
    }
}

/// Nothing listens where the daemon of this home would.
pub fn no_daemon(endpoint: &Endpoint, home: &str) -> CliError {
    CliError {
        message: format!(
            "no missiond daemon is running for {home} (nothing listens at {endpoint}); \
             start one with `missiond` (it stays in the foreground: use a second terminal, \
             or `missiond &`)"
        ),
        kind: "no_daemon".into(),
        data: Some(json!({ "home": home, "endpoint": endpoint.to_string() })),
    }
}

/// The CLI command that does what MCP tool `tool` does, for `slot` when known.
fn command_for(tool: &str, slot: Option<&str>) -> String {
    let slot = slot.unwrap_or("SLOT");
    match tool {
        "mission_slots" => "missiond slots".into(),
        "mission_agents" | "mission_health" => "missiond status".into(),
        "mission_pty_spawn" => format!("missiond spawn {slot}"),
        "mission_pty_send" => format!("missiond send {slot} TEXT"),
        "mission_pty_screen" => format!("missiond screen {slot}"),
        "mission_pty_confirm" => format!("missiond confirm {slot}"),
        "mission_pty_interrupt" => format!("missiond interrupt {slot}"),
        "mission_pty_kill" => format!("missiond kill {slot}"),
        "mission_pty_history" => format!("missiond history {slot}"),
        "mission_pty_logs" => format!("missiond logs {slot}"),
        "mission_pty_status" => {
            format!("missiond call mission_pty_status '{{\"slotId\":\"{slot}\"}}'")
        }
        "mission_reload" => "missiond reload".into(),
        other => format!("missiond call {other}"),
    }
}

/// The daemon's message with every MCP tool name replaced by the CLI command that does
/// the same (`call mission_slots` becomes `run \`missiond slots\``).
pub fn cli_wording(message: &str, slot: Option<&str>) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("mission_") {
        let name_len = rest[at..]
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(rest.len() - at);
        let name = &rest[at..at + name_len];
        let mut before = &rest[..at];
        // "call mission_x" reads "run `missiond x`" at the command line.
        if let Some(head) = before.strip_suffix("call ") {
            out.push_str(head);
            out.push_str("run ");
            before = "";
        }
        out.push_str(before);
        out.push('`');
        out.push_str(&command_for(name, slot));
        out.push('`');
        rest = &rest[at + name_len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_names_become_commands_with_the_real_slot() {
        assert_eq!(
            cli_wording(
                "unknown slot `x`: call mission_slots to list configured slots",
                Some("x")
            ),
            "unknown slot `x`: run `missiond slots` to list configured slots"
        );
        assert_eq!(
            cli_wording(
                "slot `c1` is not running: call mission_pty_spawn first",
                Some("c1")
            ),
            "slot `c1` is not running: run `missiond spawn c1` first"
        );
        assert_eq!(
            cli_wording("fix it and call mission_permission_reload before", None),
            "fix it and run `missiond call mission_permission_reload` before"
        );
        assert_eq!(
            cli_wording("no tool named here", None),
            "no tool named here"
        );
    }
}
