//! Removing a slot's worktree and branch, never losing work unless forced.

use crate::catalogue::WorkAtRisk;

use super::layout::BASE_KEY;
use super::status::at_risk;
use super::{Layout, WorkspaceError};

/// Removes the worktree's folder and the branch. Without `force`, refuses with
/// [`WorkspaceError::WouldLoseWork`] while there are uncommitted changes or commits the
/// base lacks. Returns what was at risk (lost, when forced).
pub fn remove(layout: &Layout, force: bool) -> Result<WorkAtRisk, WorkspaceError> {
    let risk = match at_risk(layout) {
        Ok(risk) => risk,
        // Forced, a workspace whose base is gone (so nothing can be compared) still goes.
        Err(e) if force => {
            tracing::warn!(slot = %layout.slot, "removing by force without knowing what is lost: {e}");
            WorkAtRisk::default()
        }
        Err(e) => return Err(e),
    };
    if !risk.is_empty() && !force {
        return Err(WorkspaceError::WouldLoseWork(risk));
    }
    let repo = layout.repo_git();
    if layout.worktree.exists() {
        let path = layout.worktree.to_string_lossy().into_owned();
        let mut args = vec!["worktree", "remove"];
        if force {
            // Twice: also when the worktree is locked.
            args.extend(["--force", "--force"]);
        }
        args.push(&path);
        repo.run(&args)?;
    }
    repo.run(&["worktree", "prune"])?;
    if layout.branch_exists()? {
        repo.run(&["branch", "--quiet", "-D", &layout.branch])?;
    }
    // The branch's remembered base goes with it (absent already is fine).
    let _ = repo.ran(&[
        "config",
        "--unset",
        &format!("branch.{}.{BASE_KEY}", layout.branch),
    ]);
    Ok(risk)
}
