//! Committing everything a slot changed in its worktree, on its branch.

use crate::catalogue::WorkspaceCommitResult;

use super::status::uncommitted;
use super::{Layout, WorkspaceError};

/// Stages every change in the worktree (new files included) and commits it with
/// `message`. Fails when there is nothing to commit.
pub fn commit(layout: &Layout, message: &str) -> Result<WorkspaceCommitResult, WorkspaceError> {
    if message.trim().is_empty() {
        return Err(WorkspaceError::Invalid(
            "the commit message is empty".into(),
        ));
    }
    if !layout.exists() {
        return Err(WorkspaceError::Missing(layout.worktree.clone()));
    }
    let git = layout.git();
    let files = uncommitted(&git)?;
    if files.is_empty() {
        return Err(WorkspaceError::Invalid(format!(
            "nothing to commit in {}",
            layout.worktree.display()
        )));
    }
    if let Some(f) = files.iter().find(|f| f.change == "conflicted") {
        return Err(WorkspaceError::Invalid(format!(
            "{} has an unresolved conflict; resolve it first",
            f.path
        )));
    }
    git.run(&["add", "--all"])?;
    let mut args = git.identity_args()?;
    args.extend(["commit", "--quiet", "--no-verify", "-m", message].map(String::from));
    git.run(&args)?;
    let commit = git.line(&["rev-parse", "HEAD"])?;
    Ok(WorkspaceCommitResult {
        slot_id: layout.slot.clone(),
        branch: layout.branch.clone(),
        commit,
        files,
    })
}
