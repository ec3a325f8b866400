//! A fresh start for a slot's worktree, asked by a task: the branch brought to the
//! base's current head, in place (the slot's program keeps running in the same folder),
//! and only when nothing would be lost.

use super::status::at_risk;
use super::{Layout, WorkspaceError};

/// Makes the worktree fresh from the base. Refused with
/// [`WorkspaceError::WouldLoseWork`] while it holds uncommitted changes or commits the
/// base lacks; otherwise the branch only fast-forwards (all its commits are in the
/// base), so the move itself cannot lose anything. Makes the worktree first if needed.
/// Returns the new head.
pub fn refresh(layout: &Layout) -> Result<String, WorkspaceError> {
    super::create::ensure(layout)?;
    let risk = at_risk(layout)?;
    if !risk.is_empty() {
        return Err(WorkspaceError::WouldLoseWork(risk));
    }
    let git = layout.git();
    git.run(&["merge", "--ff-only", "--quiet", &layout.base])?;
    git.line(&["rev-parse", "HEAD"])
}
