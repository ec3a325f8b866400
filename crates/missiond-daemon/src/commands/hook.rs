//! `missiond hook <Event>`: run by Claude Code for each configured hook. Reads the event
//! JSON on stdin and hands it to the daemon, then exits 0 having printed nothing, so the
//! hook never changes what Claude Code does.

use std::io::Read;
use std::time::Duration;

use missiond_core::ipc::{Endpoint, IpcClient};
use serde_json::Value;

use crate::daemon::hooks::{HOOK_METHOD, HookEvent, SLOT_ENV};

/// Largest event read from stdin (tool inputs can be big; bound memory anyway).
const MAX_EVENT_BYTES: u64 = 8 * 1024 * 1024;
/// The daemon answers at once; a stuck daemon must not stall Claude Code.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Forward one event; every failure is reported on stderr (Claude Code logs it) and
/// otherwise ignored.
pub async fn forward(event: &str) {
    if let Err(e) = try_forward(event).await {
        eprintln!("missiond hook {event}: {e:#}");
    }
}

async fn try_forward(event: &str) -> anyhow::Result<()> {
    let mut input = String::new();
    std::io::stdin()
        .take(MAX_EVENT_BYTES)
        .read_to_string(&mut input)?;
    let Ok(slot) = std::env::var(SLOT_ENV) else {
        // Not started by missiond: nothing to report to.
        return Ok(());
    };
    let payload: Value = serde_json::from_str(&input).unwrap_or(Value::String(input));
    let endpoint = match std::env::var("MISSION_IPC_ENDPOINT") {
        Ok(text) if !text.trim().is_empty() => Endpoint::parse(&text)?,
        _ => missiond_core::paths::Paths::from_env()?.ipc_endpoint,
    };
    let client = tokio::time::timeout(CALL_TIMEOUT, IpcClient::connect(&endpoint)).await??;
    let params = serde_json::to_value(HookEvent {
        slot,
        event: event.to_string(),
        payload,
    })?;
    client
        .call_with_timeout(HOOK_METHOD, params, CALL_TIMEOUT)
        .await?;
    Ok(())
}
