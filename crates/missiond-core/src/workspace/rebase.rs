//! Rebasing a slot's branch onto its base, aborted cleanly on conflict.

use crate::catalogue::WorkspaceRebaseResult;

use super::status::uncommitted;
use super::{Layout, WorkspaceError};

/// Replays the branch's commits on the base's head, in the slot's worktree. Refused
/// while tracked files have uncommitted changes; on a conflict the rebase is aborted
/// (the branch and worktree are as before) and the files are reported.
pub fn rebase(layout: &Layout) -> Result<WorkspaceRebaseResult, WorkspaceError> {
    if !layout.exists() {
        return Err(WorkspaceError::Missing(layout.worktree.clone()));
    }
    let git = layout.git();
    let dirty: Vec<String> = uncommitted(&git)?
        .into_iter()
        .filter(|f| f.change != "untracked")
        .map(|f| f.path)
        .collect();
    if !dirty.is_empty() {
        return Err(WorkspaceError::Invalid(format!(
            "refused: uncommitted changes to {} (commit them first)",
            dirty.join(", ")
        )));
    }
    let head = git.line(&["rev-parse", "HEAD"])?;
    let result = |outcome: &str, commit: String, conflicts: Vec<String>| WorkspaceRebaseResult {
        slot_id: layout.slot.clone(),
        outcome: outcome.to_string(),
        commit,
        conflicts,
    };
    if git.succeeds(&["merge-base", "--is-ancestor", &layout.base, "HEAD"])? {
        return Ok(result("up_to_date", head, Vec::new()));
    }
    let mut args = git.identity_args()?;
    args.extend(["rebase", "--quiet", "--no-autostash", &layout.base].map(String::from));
    let ran = git.ran(&args)?;
    if ran.ok() {
        let commit = git.line(&["rev-parse", "HEAD"])?;
        return Ok(result("rebased", commit, Vec::new()));
    }
    let conflicts: Vec<String> = git
        .run(&["diff", "--name-only", "--diff-filter=U", "-z"])
        .unwrap_or_default()
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    let aborted = git.ran(&["rebase", "--abort"])?;
    if conflicts.is_empty() || !aborted.ok() {
        // Not a conflict (or the abort failed): pass git's own words on.
        return Err(git.failed(&args, &ran));
    }
    Ok(result("conflict", head, conflicts))
}
