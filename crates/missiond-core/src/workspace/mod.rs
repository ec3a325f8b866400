//! Workspaces: a slot that runs in a git worktree of its own, on its own branch, so
//! parallel agents on one repository never edit the same files.
//!
//! All repository work goes through the `git` binary ([`git`]): worktrees, refs and
//! merges in git's own formats, with git's own checks (a branch checked out twice, a
//! dirty tree) and git's own error messages passed on.
//!
//! - [`layout`]: where a slot's worktree, branch and base are, from its settings.
//! - [`create`]: makes the worktree on first start, finds it again on later ones.
//! - [`status`] and [`diff`]: what the slot changed against its base.
//! - [`commit`], [`merge`], [`rebase`]: the review-and-merge operations.
//! - [`remove`]: removal that refuses while work would be lost.
//! - [`fresh`]: a task's fresh start from the base, refused while work would be lost.

pub mod commit;
pub mod create;
pub mod diff;
pub mod fresh;
pub mod git;
pub mod layout;
pub mod merge;
pub mod rebase;
pub mod remove;
pub mod status;

use std::path::PathBuf;

pub use git::Git;
pub use layout::Layout;

use crate::catalogue::WorkAtRisk;

/// The default branch pattern; `{slot}` is the slot's id.
pub const DEFAULT_BRANCH: &str = "missiond/{slot}";

/// A slot's `workspace:` settings, resolved (`{slot}` filled in, paths absolute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceConfig {
    /// The slot's branch (default `missiond/<slot>`).
    pub branch: String,
    /// The ref the branch starts from and merges into; `None`: the repository's current
    /// branch when the worktree is made (then remembered in the repository's config).
    pub base: Option<String>,
    /// The worktree's folder; `None`: `<repo>-worktrees/<slot>` beside the repository.
    pub folder: Option<PathBuf>,
}

/// Why a workspace operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkspaceError {
    /// The git binary could not be started.
    #[error("cannot run {}: {message} (is git installed? MISSIOND_GIT names another binary)", program.display())]
    NoGit {
        /// What was run.
        program: PathBuf,
        /// The system's reason.
        message: String,
    },
    /// git ran and failed: its own message.
    #[error("{command} failed in {}: {message}", dir.display())]
    Git {
        /// The command line.
        command: String,
        /// Where it ran.
        dir: PathBuf,
        /// git's standard error.
        message: String,
    },
    /// The settings or the repository do not allow the operation.
    #[error("{0}")]
    Invalid(String),
    /// The worktree was never made (the slot has not started since it was configured).
    #[error("the worktree {} does not exist yet: it is made when the slot starts", .0.display())]
    Missing(PathBuf),
    /// Removal refused: work would be lost.
    #[error("{}", refusal_message(.0))]
    WouldLoseWork(WorkAtRisk),
}

/// "uncommitted: a.txt, b.txt; unmerged commits: 1a2b3c4 fix (2 in all)".
pub fn refusal_message(risk: &WorkAtRisk) -> String {
    let mut parts = Vec::new();
    if !risk.uncommitted.is_empty() {
        let files: Vec<&str> = risk.uncommitted.iter().map(|f| f.path.as_str()).collect();
        parts.push(format!("uncommitted changes to {}", files.join(", ")));
    }
    if risk.unmerged_count > 0 {
        let commits: Vec<String> = risk
            .unmerged_commits
            .iter()
            .map(|c| format!("{} {}", &c.id[..c.id.len().min(10)], c.subject))
            .collect();
        parts.push(format!(
            "{} commit(s) not merged into the base: {}",
            risk.unmerged_count,
            commits.join("; ")
        ));
    }
    format!(
        "refused: removing it would lose {} (commit and merge them, or force)",
        parts.join(", and ")
    )
}

#[cfg(test)]
mod tests;
