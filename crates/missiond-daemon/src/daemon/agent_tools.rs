//! `mission_spawn`, `mission_kill`, `mission_restart`: the slot tools that know about
//! tasks. Killing a slot hands its task back to the queue (or cancels it); restarting
//! requeues it, possibly for the same slot.

use std::sync::Arc;

use missiond_core::catalogue::{KillParams, KillResult, PtySpawnResult, RestartResult, SlotParams};
use missiond_core::ipc::RpcError;

use super::dispatch::Dispatcher;
use super::pty_tools;

/// `mission_spawn`: start the slot; once idle it takes queued tasks.
pub async fn spawn(d: &Arc<Dispatcher>, p: &SlotParams) -> Result<PtySpawnResult, RpcError> {
    let slot = d.supervisor().get(&p.slot_id)?.clone();
    d.release(&slot.spec.id);
    let result = pty_tools::spawn(&slot).await;
    d.wake();
    result
}

/// `mission_kill`: stop the slot; its task is requeued (default) or cancelled.
pub async fn kill(d: &Arc<Dispatcher>, p: &KillParams) -> Result<KillResult, RpcError> {
    let slot = d.supervisor().get(&p.slot_id)?.clone();
    let task = d.stopping(
        &slot.spec.id,
        p.requeue.unwrap_or(true),
        false,
        "killed with mission_kill",
    )?;
    let killed = pty_tools::kill(&slot).await?;
    d.wake();
    Ok(KillResult {
        slot_id: killed.slot_id,
        was_running: killed.was_running,
        exit_code: killed.exit_code,
        task,
    })
}

/// `mission_restart`: stop the slot if it runs and start it again; its task goes back
/// to the queue (a task pinned to it waits for it).
pub async fn restart(d: &Arc<Dispatcher>, p: &SlotParams) -> Result<RestartResult, RpcError> {
    let slot = d.supervisor().get(&p.slot_id)?.clone();
    let task = d.stopping(&slot.spec.id, true, true, "restarted with mission_restart")?;
    pty_tools::kill(&slot).await?;
    d.release(&slot.spec.id);
    let spawned = pty_tools::spawn(&slot).await?;
    d.wake();
    Ok(RestartResult {
        slot_id: spawned.slot_id,
        state: spawned.state,
        pid: spawned.pid,
        session_id: spawned.session_id,
        task,
    })
}
