//! The missiond domain, shared by the daemon (`missiond`) and the MCP server
//! (`mission-mcp`).
//!
//! - [`ipc`]: the JSON-RPC protocol, the socket transport, a server loop and a client.
//! - [`catalogue`]: every MCP tool, defined once (name, description, schemas, types).
//! - [`paths`]: locations from `MISSIOND_HOME` and friends; the one-daemon lock.
//! - [`config`]: the `slots.yaml` file.
//! - [`permissions`]: per-role tool rules (`permissions.yaml`) and the allow/ask/deny engine.
//! - [`history`]: every Claude Code session's transcripts on this machine, indexed; exact
//!   token usage and cost reports.
//! - [`store`]: the SQLite database (versioned schema, sessions, turns, tasks, inbox).
//! - [`tasks`]: the task queue: routing, retries, recovery after a crash.
//! - [`inbox`]: messages for the orchestrator.
//! - [`lifecycle`]: restart backoff, stuck detection, context policy, autonomous runs.
//! - [`memory`]: the memory-extraction queue and knowledge injection.
//! - [`secrets`]: `${secret:path}` in slot environments, resolved at spawn; redaction.
//! - [`router`]: the AI router: chats with the LLM backend of `credentials.json`.
//! - [`time`]: timestamp helpers.
//! - [`workspace`]: a git worktree per slot; review, merge and safe removal.
//! - [`upkeep`]: knowledge upkeep: LLM analysis, discovery, scheduled GC.

pub mod board;
pub mod catalogue;
pub mod cc;
pub mod config;
pub mod conversations;
pub mod history;
pub mod inbox;
pub mod infra;
pub mod ipc;
pub mod jarvis;
pub mod kb;
pub mod lifecycle;
pub mod memory;
pub mod paths;
pub mod permissions;
pub mod questions;
pub mod remote;
pub mod router;
pub mod secrets;
pub mod skills;
pub mod store;
pub mod tasks;
pub mod time;
#[cfg(unix)]
pub mod tty;
pub mod upkeep;
pub mod workspace;
