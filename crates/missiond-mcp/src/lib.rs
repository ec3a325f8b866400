//! `mission-mcp`: an MCP server on stdio that exposes missiond's tools to an orchestrating
//! Claude Code and forwards every call to the daemon over IPC.
//!
//! - [`tools`]: the MCP tool list, generated from `missiond_core::catalogue`.
//! - [`render`]: the short readable text that accompanies each structured result.
//! - [`link`]: the connection to the daemon (lazy, reconnecting, starting it if absent).
//! - [`launch`]: finding and starting a detached `missiond`.
//! - [`server`]: the rmcp `ServerHandler` tying these together.

pub mod launch;
pub mod link;
pub mod render;
pub mod server;
pub mod tools;

use anyhow::{Context, Result};
use missiond_core::paths::Paths;
use rmcp::ServiceExt;

/// Serves MCP on stdin/stdout until the client goes away.
pub async fn run(paths: Paths) -> Result<()> {
    let server = server::MissionServer::new(link::DaemonLink::new(paths));
    server.warm_up();
    server.load_knowledge().await;
    let service = server
        .serve(rmcp::transport::stdio())
        .await
        .context("MCP initialisation over stdio failed")?;
    service
        .waiting()
        .await
        .context("the MCP session ended with an error")?;
    Ok(())
}

/// Sends logs to stderr (stdout carries the protocol), filtered by `level`
/// (`MISSION_LOG_LEVEL`; a bad filter falls back to `warn`).
pub fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
