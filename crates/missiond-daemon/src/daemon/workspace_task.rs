//! Tasks that ask for a fresh worktree (`mission_submit {freshWorkspace: true}`): the
//! request is stored with the task at submission (its row in SQLite, one transaction)
//! and honoured just before the task's prompt is typed, across daemon restarts too.
//! A retried task is not made fresh a second time: its first attempt may have left work
//! behind.

use std::sync::Arc;

use missiond_core::catalogue::{SubmitParams, SubmitResult};
use missiond_core::ipc::RpcError;
use missiond_core::tasks::Task;
use missiond_core::workspace::fresh;

use super::dispatch::Dispatcher;
use super::slot::Slot;
use super::task_tools;
use super::workspace_slot::locate;

/// `mission_submit` with `freshWorkspace: true`: checks the slot has a workspace, then
/// submits the task flagged (the flag is written with the task, so its run cannot look
/// before it).
pub fn submit(d: &Arc<Dispatcher>, p: SubmitParams) -> Result<SubmitResult, RpcError> {
    let Some(id) = p.slot_id.clone() else {
        return Err(RpcError::invalid_params(
            "freshWorkspace",
            "a fresh worktree needs slotId: the slot whose worktree to start fresh",
        ));
    };
    let slot = d.supervisor().get(&id)?;
    if slot.spec.config.workspace.is_none() {
        return Err(RpcError::invalid_params(
            "freshWorkspace",
            format!("slot `{id}` has no workspace (workspace: worktree in slots.yaml)"),
        ));
    }
    task_tools::submit(d, p)
}

/// Before `task`'s prompt: makes the slot's worktree fresh if the task asked for it.
/// `Err` (the task fails, nothing changed) while work would be lost.
pub async fn before_task(slot: &Arc<Slot>, task: &Task) -> Result<(), String> {
    let store = slot.ctx.records.shared_store();
    let id = task.id;
    let asked = tokio::task::spawn_blocking(move || store.task_take_fresh_workspace(id))
        .await
        .map_err(|e| format!("fresh worktree: {e}"))?
        .map_err(|e| format!("fresh worktree: {e}"))?;
    if !asked {
        return Ok(());
    }
    let config = slot.spec.config.clone();
    let done = tokio::task::spawn_blocking(move || {
        let layout = locate(&config)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "the slot has no workspace any more".to_string())?;
        let _one = super::workspace_slot::one_at_a_time();
        fresh::refresh(&layout).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| format!("fresh worktree: {e}"))?;
    match done {
        Ok(head) => {
            tracing::info!(slot = %slot.spec.id, task = %task.id, %head, "worktree made fresh for the task");
            Ok(())
        }
        Err(why) => Err(format!("a fresh worktree was asked for: {why}")),
    }
}
