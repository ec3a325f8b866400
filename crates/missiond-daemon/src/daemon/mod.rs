//! The daemon: slots running Claude Code in pseudo-terminals, served over IPC.
//!
//! `run` starts it; `supervisor` holds the slots; `slot` (+ `slot_task`, `slot_turns`,
//! `turn`) is one slot's runtime, and `state_merge` reconciles its screen with its hooks;
//! `pty`, `pty_log`, `transcript` and `hooks` are its edges to the outside; `handlers`
//! and `pty_tools` answer IPC calls. `dispatch` (+ `task_run`, `task_tools`, `task_ipc`,
//! `agent_tools`) runs the task queue on the slots; `orphans` ends slot processes a
//! killed daemon left behind. `lifecycle` (+ `watchdog`) brings crashed,
//! stuck and context-starved slots back; `autonomy` runs goals turn after turn;
//! `secrets` resolves `${secret:...}` at spawn and scrubs them from what the daemon
//! writes; `mcp_config` gives each slot the mission server for `mission_report`.
//! `agent_endpoint` is each slot's own socket (agent tools and its hooks, as that slot)
//! and `sandbox` the bubblewrap sandbox that leaves a slot nothing else of the daemon.

/// Set by whoever starts the daemon for someone else (mission-mcp): who, and where the
/// daemon's output goes; `mission_health` reports it as `startedBy`.
pub const STARTED_BY_ENV: &str = "MISSIOND_STARTED_BY";

pub mod agent_endpoint;
pub mod agent_tools;
pub mod autonomy;
pub mod board_ipc;
pub mod cc_ipc;
pub mod cc_watch;
pub mod context;
pub mod conversation_appended;
pub mod conversation_ingest;
pub mod conversation_ipc;
pub mod dispatch;
pub mod events;
pub mod handlers;
pub mod hook_decision;
pub mod hooks;
pub mod infra_ipc;
pub mod infra_probe;
pub mod jarvis;
pub mod kb_gc_schedule;
pub mod kb_ipc;
pub mod kb_upkeep_ipc;
pub mod lifecycle;
pub mod log_folder;
pub mod log_render;
pub mod log_text;
pub mod mcp_config;
pub mod memory_driver;
pub mod memory_inject;
pub mod memory_ipc;
pub mod orphans;
pub mod os_diagnose;
pub mod permission_tools;
pub mod permissions;
pub mod pty;
pub mod pty_log;
pub mod pty_tools;
pub mod question_delivery;
pub mod question_ipc;
pub mod records;
pub mod reload;
pub mod remote;
pub mod router_ipc;
pub mod rules_override;
pub mod run;
pub mod sandbox;
pub mod screenshot;
pub mod secrets;
pub mod skill_ipc;
pub mod slot;
pub mod slot_config;
pub mod slot_process;
pub mod slot_task;
pub mod slot_turns;
pub mod state_merge;
pub mod status_file;
pub mod supervisor;
pub mod task_ipc;
pub mod task_run;
pub mod task_tools;
#[cfg(test)]
mod test_disk;
pub mod tool_scrub;
pub mod transcript;
pub mod turn;
pub mod watchdog;
pub mod web;
pub mod workspace_ipc;
pub mod workspace_slot;
pub mod workspace_task;
