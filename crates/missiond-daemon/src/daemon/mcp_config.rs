//! The mission MCP server inside a slot's Claude Code, so its agent can call the agent
//! tools (`missiond_core::catalogue::AGENT_TOOLS`): `mission_report` (the way an
//! autonomous run ends), `mission_question_create`, and the knowledge base's search,
//! get and remember.
//!
//! The slot gets `--mcp-config <run>/<slot>/mcp.json` naming `mission-mcp` (the binary
//! beside `missiond`, or `MISSIOND_MCP_BIN`) with `MISSIOND_SLOT_ID` in its environment
//! and the slot's own endpoint (see `agent_endpoint`) as `MISSION_IPC_ENDPOINT`. The
//! variable only makes mission-mcp list the agent tools; what the agent may do is decided
//! by the daemon, from the endpoint reached: an agent must not spawn, prompt or kill
//! other agents, nor read the orchestrator's inbox. `--allowedTools` lets them through without a permission dialog
//! (nobody may be watching an autonomous run); a role's explicit deny rule still wins.

use std::path::PathBuf;

use anyhow::Context;
use serde_json::json;

use super::context::Ctx;
use super::hooks::{HookTarget, ROLE_ENV, SLOT_ENV};

/// Overrides where mission-mcp is found.
pub const ENV_MCP_BIN: &str = "MISSIOND_MCP_BIN";
/// The server's name in the slot's MCP configuration (tool names follow from it).
pub const SERVER_NAME: &str = "mission";
/// How Claude Code names the mission server's tools: this prefix and the tool name.
pub const TOOL_PREFIX: &str = "mcp__mission__";

/// Whether `tool`, as Claude Code names it, is one of the agent tools of the slot's own
/// mission server.
pub fn is_agent_tool(tool: &str) -> bool {
    tool.strip_prefix(TOOL_PREFIX)
        .is_some_and(|name| missiond_core::catalogue::agent_tool(name).is_some())
}

/// The mission-mcp binary: `MISSIOND_MCP_BIN`, else `mission-mcp` beside `exe`, else
/// the first on `PATH` (`cargo install` puts both binaries there, `cargo run` only one
/// beside the other).
pub fn mission_mcp(exe: &std::path::Path) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(ENV_MCP_BIN).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    exe.parent()
        .map(|dir| dir.join("mission-mcp"))
        .filter(|p| p.is_file())
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join("mission-mcp"))
                    .find(|p| p.is_file())
            })
        })
}

/// The configuration naming mission-mcp for `slot` of `role` (the role decides which
/// agent tools it lists).
pub fn config_json(
    mcp: &std::path::Path,
    slot: &str,
    role: &str,
    endpoint: &str,
) -> serde_json::Value {
    json!({
        "mcpServers": {
            SERVER_NAME: {
                "type": "stdio",
                "command": mcp.display().to_string(),
                "args": [],
                "env": {
                    SLOT_ENV: slot,
                    ROLE_ENV: role,
                    missiond_core::paths::ENV_IPC_ENDPOINT: endpoint,
                }
            }
        }
    })
}

/// Claude Code arguments giving `slot` the mission server (none when mission-mcp is not
/// installed: the slot then cannot report, which only autonomous runs need).
pub fn claude_args(ctx: &Ctx, target: &HookTarget<'_>) -> anyhow::Result<Vec<String>> {
    let (slot, role, endpoint) = (target.slot, target.role, target.endpoint);
    let Some(mcp) = mission_mcp(&ctx.exe) else {
        tracing::warn!(
            slot,
            "mission-mcp is neither beside missiond nor on PATH: the slot starts without \
             its agent tools (mission_health says so too)"
        );
        return Ok(Vec::new());
    };
    let dir = super::agent_endpoint::slot_dir(&ctx.run_dir, slot);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("mcp.json");
    let config = config_json(&mcp, slot, role, endpoint);
    std::fs::write(&path, serde_json::to_vec_pretty(&config)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(vec![
        "--mcp-config".to_string(),
        path.to_string_lossy().into_owned(),
        "--allowedTools".to_string(),
        allowed_tools(role),
    ])
}

/// `--allowedTools` for a slot of `role`: its agent tools, as Claude Code names them.
pub fn allowed_tools(role: &str) -> String {
    missiond_core::catalogue::agent_tools_for(role)
        .map(|t| format!("{TOOL_PREFIX}{}", t.name))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_names_the_slot_and_the_endpoint() {
        let v = config_json(
            std::path::Path::new("/opt/mission-mcp"),
            "c1",
            "memory",
            "/h/s.sock",
        );
        assert_eq!(v["mcpServers"][SERVER_NAME]["env"][ROLE_ENV], "memory");
        let server = &v["mcpServers"][SERVER_NAME];
        assert_eq!(server["command"], "/opt/mission-mcp");
        assert_eq!(server["env"][SLOT_ENV], "c1");
        assert_eq!(server["env"]["MISSION_IPC_ENDPOINT"], "/h/s.sock");
        assert!(TOOL_PREFIX.contains(SERVER_NAME));
        assert!(is_agent_tool("mcp__mission__mission_report"));
        assert!(is_agent_tool("mcp__mission__mission_kb_search"));
        assert!(!is_agent_tool("mcp__mission__mission_pty_send"));
        assert!(!is_agent_tool("mcp__other__mission_report"));
    }
}
