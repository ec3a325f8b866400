//! IPC routing for the workspace tools (`mission_workspace_*`): each locates the slot's
//! worktree from its settings and runs the git layer off the async threads.

use std::sync::Arc;

use missiond_core::catalogue::{
    self as cat, DIFF_DEFAULT_BYTES, DIFF_MAX_BYTES, Tool, WorkAtRisk, WorkspaceRemoveResult,
    encode,
};
use missiond_core::ipc::{ErrorCode, RpcError};
use missiond_core::workspace::{
    Layout, WorkspaceError, commit, diff, merge, rebase, refusal_message, remove, status,
};
use serde_json::Value;

use super::slot::Slot;
use super::supervisor::Supervisor;
use super::workspace_slot::{locate, rpc_error};

/// Answer `method` if it is a workspace tool; `None` for any other method.
pub async fn handle(
    sup: &Arc<Supervisor>,
    method: &str,
    params: &Value,
) -> Option<Result<Value, RpcError>> {
    let sup = Arc::clone(sup);
    let params = params.clone();
    let run: fn(&Supervisor, Value) -> Result<Value, RpcError> = match method {
        cat::WorkspaceStatus::NAME => |sup, params| {
            let p = cat::WorkspaceStatus::params(params)?;
            let (_, layout) = slot_layout(sup, &p.slot_id)?;
            encode(status::status(&layout).map_err(|e| rpc_error(&p.slot_id, e))?)
        },
        cat::WorkspaceDiff::NAME => |sup, params| {
            let p = cat::WorkspaceDiff::params(params)?;
            let max = p.max_bytes.unwrap_or(DIFF_DEFAULT_BYTES);
            if !(1..=DIFF_MAX_BYTES).contains(&max) {
                return Err(RpcError::invalid_params(
                    "maxBytes",
                    format!("{max} is outside 1..={DIFF_MAX_BYTES}"),
                ));
            }
            let (_, layout) = slot_layout(sup, &p.slot_id)?;
            encode(diff::diff(&layout, &p.paths, max).map_err(|e| rpc_error(&p.slot_id, e))?)
        },
        cat::WorkspaceCommit::NAME => |sup, params| {
            let p = cat::WorkspaceCommit::params(params)?;
            let (_, layout) = slot_layout(sup, &p.slot_id)?;
            encode(commit::commit(&layout, &p.message).map_err(|e| rpc_error(&p.slot_id, e))?)
        },
        cat::WorkspaceMerge::NAME => |sup, params| {
            let p = cat::WorkspaceMerge::params(params)?;
            let (_, layout) = slot_layout(sup, &p.slot_id)?;
            let merged = merge::merge(&layout, p.no_ff, p.message.as_deref());
            encode(merged.map_err(|e| rpc_error(&p.slot_id, e))?)
        },
        cat::WorkspaceRebase::NAME => |sup, params| {
            let p = cat::WorkspaceRebase::params(params)?;
            let (_, layout) = slot_layout(sup, &p.slot_id)?;
            encode(rebase::rebase(&layout).map_err(|e| rpc_error(&p.slot_id, e))?)
        },
        cat::WorkspaceRemove::NAME => |sup, params| {
            let p = cat::WorkspaceRemove::params(params)?;
            let (slot, layout) = slot_layout(sup, &p.slot_id)?;
            encode(remove_workspace(&slot, &layout, p.force)?)
        },
        _ => return None,
    };
    // git runs as a child process: off the async threads.
    Some(
        tokio::task::spawn_blocking(move || run(&sup, params))
            .await
            .unwrap_or_else(|e| Err(RpcError::internal(format!("workspace: {e}")))),
    )
}

/// The slot and its workspace; `invalid_params` when it has none.
fn slot_layout(sup: &Supervisor, id: &str) -> Result<(Arc<Slot>, Layout), RpcError> {
    let slot = sup.get(id)?;
    match locate(&slot.spec.config) {
        Ok(Some(layout)) => Ok((slot, layout)),
        Ok(None) => Err(RpcError::invalid_params(
            "slotId",
            format!("slot `{id}` has no workspace (give it `workspace: worktree` in slots.yaml)"),
        )),
        Err(e) => Err(rpc_error(id, e)),
    }
}

/// Removal, refused while the slot runs in the worktree; a refusal for work at risk is
/// a result (removed false), not an error.
fn remove_workspace(
    slot: &Slot,
    layout: &Layout,
    force: bool,
) -> Result<WorkspaceRemoveResult, RpcError> {
    if slot.lock().run.as_ref().is_some_and(|r| r.is_alive()) {
        return Err(RpcError::new(
            ErrorCode::SlotAlreadyRunning,
            format!(
                "slot `{}` runs in its worktree: stop it first (mission_kill)",
                slot.spec.id
            ),
        ));
    }
    let result =
        |removed: bool, refused: Option<String>, at_risk: WorkAtRisk| WorkspaceRemoveResult {
            slot_id: slot.spec.id.clone(),
            removed,
            refused,
            at_risk,
        };
    let removed = {
        let _one = super::workspace_slot::one_at_a_time();
        remove::remove(layout, force)
    };
    match removed {
        Ok(lost) => {
            *slot.workspace.lock().unwrap_or_else(|e| e.into_inner()) = None;
            if !lost.is_empty() {
                tracing::warn!(slot = %slot.spec.id, "workspace removed by force: {}", refusal_message(&lost));
            }
            Ok(result(true, None, lost))
        }
        Err(WorkspaceError::WouldLoseWork(risk)) => {
            Ok(result(false, Some(refusal_message(&risk)), risk))
        }
        Err(e) => Err(rpc_error(&slot.spec.id, e)),
    }
}
