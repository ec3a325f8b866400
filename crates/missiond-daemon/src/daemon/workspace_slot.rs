//! A slot's workspace as the runtime uses it: the worktree made (or found again) before
//! each start, the folder the slot's program runs in, what its sandbox may write, and
//! the guarded removal of worktrees whose slot left slots.yaml.

use missiond_core::config::slots::SlotConfig;
use missiond_core::ipc::{ErrorCode, RpcError};
use missiond_core::workspace::create::{Ensured, ensure};
use missiond_core::workspace::{Layout, WorkspaceError, layout, remove};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::sandbox::Plan;
use super::slot::Slot;

/// One worktree made at a time (`git worktree add` and `git config` lock files of the
/// shared `.git`: two at once would fail one of them).
static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Holds [`MAKING`] while a worktree is made or removed.
pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    MAKING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Locates a configured slot's workspace (git runs read-only); `None` when it has none.
pub fn locate(config: &SlotConfig) -> Result<Option<Layout>, WorkspaceError> {
    match &config.workspace {
        Some(ws) => Layout::resolve(ws, &config.id, &config.cwd).map(Some),
        None => Ok(None),
    }
}

/// Before a start: makes the slot's worktree if it does not exist yet, and checks it
/// lies outside the daemon's home (the sandbox hides the home from slots). Returns the
/// layout (also kept on the slot), `None` for a slot without a workspace.
pub fn prepare(slot: &Slot) -> Result<Option<Layout>, String> {
    let Some(layout) = locate(&slot.spec.config).map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let home = &slot.ctx.home;
    if layout.worktree.starts_with(home) {
        return Err(format!(
            "its worktree folder {} is inside the daemon's home {} (slots cannot see it); \
             set workspace.folder elsewhere",
            layout.worktree.display(),
            home.display()
        ));
    }
    let ensured = {
        // Slots started together must not race on the repository's config file.
        let _one = one_at_a_time();
        ensure(&layout).map_err(|e| e.to_string())?
    };
    match ensured {
        Ensured::Existing => {}
        made => tracing::info!(
            slot = %slot.spec.id,
            worktree = %layout.worktree.display(),
            branch = %layout.branch,
            base = %layout.base,
            ?made,
            "worktree ready"
        ),
    }
    *slot.workspace.lock().unwrap_or_else(|e| e.into_inner()) = Some(layout.clone());
    Ok(Some(layout))
}

/// [`prepare`] on a blocking thread, ahead of a start from async code; a failure is left
/// for the start itself to report (it prepares again, quickly once the worktree exists).
pub async fn prepare_off_thread(slot: &Arc<Slot>) {
    if slot.spec.config.workspace.is_none() {
        return;
    }
    let slot = Arc::clone(slot);
    let _ = tokio::task::spawn_blocking(move || prepare(&slot)).await;
}

/// What a sandboxed slot with a workspace may write: its own worktree (its `cwd`) and
/// what `git commit` there needs in the shared `.git` (its worktree's administrative
/// folder, the object store, refs and reflogs); not the main checkout, the rest of
/// `.git` (config and hooks: code that runs outside the sandbox) nor other slots'
/// worktrees.
pub fn contain(plan: &mut Plan, own: &Layout, others: &[Layout]) {
    plan.lock(&own.repo);
    let default_parent = layout::default_folder(&own.repo, &own.slot)
        .parent()
        .map(Path::to_path_buf);
    if let Some(parent) = default_parent.filter(|p| own.worktree.starts_with(p)) {
        // Worktrees made later by other slots land here too.
        plan.lock(&parent);
    }
    for other in others {
        if other.worktree != own.worktree {
            // A worktree not made yet is made an empty folder now, so it can be locked:
            // the other slot's later `git worktree add` fills it, and this sandbox sees
            // it read-only.
            if !other.worktree.exists()
                && let Err(e) = std::fs::create_dir_all(&other.worktree)
            {
                tracing::warn!(slot = %other.slot, "cannot reserve {}: {e}", other.worktree.display());
            }
            plan.lock(&other.worktree);
        }
    }
    plan.unlock(&own.worktree);
    if let Some(admin) = own.admin_dir() {
        plan.unlock(&admin);
    }
    for shared in ["objects", "refs", "logs", "reftable"] {
        plan.unlock(&own.common_dir.join(shared));
    }
}

/// The other slots' workspaces (for [`contain`]); those that cannot be located are
/// skipped (their slot cannot start either).
pub fn others<'a>(slots: impl Iterator<Item = &'a SlotConfig>, own: &str) -> Vec<Layout> {
    slots
        .filter(|s| s.id != own && s.workspace.is_some())
        .filter_map(|s| locate(s).ok().flatten())
        .collect()
}

/// After a reload: removes the workspace a slot had before, now that it is gone from
/// slots.yaml or its workspace changed. Never forced: a workspace with uncommitted or
/// unmerged work stays, and the returned note says what it holds.
pub fn retire(old: &SlotConfig, new: Option<&SlotConfig>) -> Option<String> {
    if new.is_some_and(|n| n.workspace == old.workspace && n.cwd == old.cwd) {
        return None;
    }
    let layout = match locate(old) {
        Ok(Some(layout)) => layout,
        Ok(None) => return None,
        Err(e) => return Some(format!("slot {:?}: its old workspace: {e}", old.id)),
    };
    if !layout.exists() && !layout.branch_exists().unwrap_or(false) {
        return None;
    }
    let removed = {
        let _one = one_at_a_time();
        remove::remove(&layout, false)
    };
    match removed {
        Ok(_) => {
            tracing::info!(slot = %old.id, worktree = %layout.worktree.display(), "worktree removed after reload");
            None
        }
        Err(e) => Some(format!(
            "slot {:?}: worktree {} and branch {} kept: {e}",
            old.id,
            layout.worktree.display(),
            layout.branch
        )),
    }
}

/// A workspace failure as an IPC error: git's own failures are internal (with git's
/// message); what the repository or the request do not allow is `invalid_choice`.
pub fn rpc_error(slot: &str, e: WorkspaceError) -> RpcError {
    let code = match e {
        WorkspaceError::Git { .. } | WorkspaceError::NoGit { .. } => ErrorCode::Internal,
        _ => ErrorCode::InvalidChoice,
    };
    RpcError::new(code, format!("slot `{slot}`: {e}"))
        .with_data(serde_json::json!({"slotId": slot}))
}

/// The folder a slot's program starts in: its place in the worktree when it has one.
pub fn work_dir(slot: &Slot) -> PathBuf {
    match &*slot.workspace.lock().unwrap_or_else(|e| e.into_inner()) {
        Some(layout) => layout.cwd(),
        None => slot.spec.config.cwd.clone(),
    }
}
