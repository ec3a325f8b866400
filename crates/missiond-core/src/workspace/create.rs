//! Making a slot's worktree on its first start, and finding it again on later ones
//! (after a slot or daemon restart the same folder and branch are used as they are).

use super::layout::BASE_KEY;
use super::{Layout, WorkspaceError};

/// What [`ensure`] found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ensured {
    /// The worktree was there already, on the slot's branch.
    Existing,
    /// A worktree was made for the existing branch (its folder had been removed).
    Attached,
    /// A new branch was made from the base, in a new worktree.
    Created,
}

/// Makes sure the slot's worktree exists, on its branch. An existing folder must be that
/// worktree: anything else there is refused, never overwritten.
pub fn ensure(layout: &Layout) -> Result<Ensured, WorkspaceError> {
    let repo = layout.repo_git();
    // An empty folder may stand where the worktree goes: another slot's sandbox made it,
    // to lock it before it existed (git fills an empty folder as it would a new one).
    if layout.worktree.exists() && !is_empty_dir(&layout.worktree) {
        check_existing(layout)?;
        return Ok(Ensured::Existing);
    }
    // A worktree whose folder was deleted by hand is still registered; forget it so the
    // branch can be checked out again.
    repo.run(&["worktree", "prune"])?;
    if let Some(parent) = layout.worktree.parent() {
        std::fs::create_dir_all(parent).map_err(|e| {
            WorkspaceError::Invalid(format!("cannot create {}: {e}", parent.display()))
        })?;
    }
    let path = layout.worktree.to_string_lossy().into_owned();
    let ensured = if layout.branch_exists()? {
        repo.run(&["worktree", "add", "--quiet", &path, &layout.branch])?;
        Ensured::Attached
    } else {
        repo.run(&[
            "worktree",
            "add",
            "--quiet",
            "--no-track",
            "-b",
            &layout.branch,
            &path,
            &layout.base,
        ])?;
        Ensured::Created
    };
    // Remember the base, so later starts merge into it whatever is checked out then.
    repo.run(&[
        "config",
        &format!("branch.{}.{BASE_KEY}", layout.branch),
        &layout.base,
    ])?;
    Ok(ensured)
}

/// An existing folder must be a worktree of this repository with the slot's branch.
fn check_existing(layout: &Layout) -> Result<(), WorkspaceError> {
    let not_ours = |why: String| {
        WorkspaceError::Invalid(format!(
            "slot {:?}: {} exists but {why}; move it away or set workspace.folder",
            layout.slot,
            layout.worktree.display()
        ))
    };
    if !layout.worktree.join(".git").is_file() {
        return Err(not_ours("is not a git worktree".into()));
    }
    let git = layout.git();
    let common = git.line(&["rev-parse", "--path-format=absolute", "--git-common-dir"])?;
    let same = |a: &std::path::Path, b: &std::path::Path| {
        a.canonicalize()
            .ok()
            .zip(b.canonicalize().ok())
            .is_some_and(|(a, b)| a == b)
    };
    if !same(std::path::Path::new(&common), &layout.common_dir) {
        return Err(not_ours(format!(
            "belongs to another repository ({common})"
        )));
    }
    let head = git.ran(&["symbolic-ref", "--quiet", "--short", "HEAD"])?;
    let head = head.stdout.trim();
    if head != layout.branch {
        return Err(not_ours(format!(
            "has {} checked out, not {}",
            if head.is_empty() {
                "a detached HEAD"
            } else {
                head
            },
            layout.branch
        )));
    }
    Ok(())
}

fn is_empty_dir(path: &std::path::Path) -> bool {
    std::fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_none())
}
