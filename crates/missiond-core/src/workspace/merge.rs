//! Merging a slot's branch into its base without ever leaving a half-applied merge.
//!
//! The merge is computed apart from every checkout (`git merge-tree --write-tree`, which
//! writes objects only). A conflict therefore changes nothing: not the base, not its
//! checkout, not the slot's worktree; the conflicting files are reported. Without
//! conflict the base moves to the fast-forward or the new merge commit: in the checkout
//! that has the base checked out (a fast-forward there, which git refuses rather than
//! overwrite local changes), else by a compare-and-swap of the ref.

use std::path::PathBuf;

use crate::catalogue::WorkspaceMergeResult;

use super::status::uncommitted;
use super::{Git, Layout, WorkspaceError};

/// Merges the slot's branch into its base: fast-forward when possible (unless `no_ff`),
/// else a merge commit with `message` (or git's usual one).
pub fn merge(
    layout: &Layout,
    no_ff: bool,
    message: Option<&str>,
) -> Result<WorkspaceMergeResult, WorkspaceError> {
    let repo = layout.repo_git();
    let base_ref = format!("refs/heads/{}", layout.base);
    if !repo.succeeds(&["show-ref", "--verify", "--quiet", &base_ref])? {
        return Err(WorkspaceError::Invalid(format!(
            "the base {} is not a local branch; merge {} into it yourself",
            layout.base, layout.branch
        )));
    }
    if !layout.branch_exists()? {
        return Err(WorkspaceError::Missing(layout.worktree.clone()));
    }
    let base_head = repo.line(&["rev-parse", "--verify", &base_ref])?;
    let branch_head = repo.line(&["rev-parse", "--verify", &layout.branch_ref()])?;
    let left = if layout.exists() {
        uncommitted(&layout.git())?
    } else {
        Vec::new()
    };
    let result = |outcome: &str, commit: String, conflicts: Vec<String>| WorkspaceMergeResult {
        slot_id: layout.slot.clone(),
        branch: layout.branch.clone(),
        base: layout.base.clone(),
        outcome: outcome.to_string(),
        commit,
        conflicts,
        uncommitted: left.clone(),
    };
    if repo.succeeds(&["merge-base", "--is-ancestor", &branch_head, &base_head])? {
        return Ok(result("up_to_date", base_head, Vec::new()));
    }
    let can_ff = repo.succeeds(&["merge-base", "--is-ancestor", &base_head, &branch_head])?;
    let (outcome, new) = if can_ff && !no_ff {
        ("fast_forward", branch_head.clone())
    } else {
        let args = [
            "merge-tree",
            "--write-tree",
            "-z",
            "--name-only",
            "--no-messages",
            &base_head,
            &branch_head,
        ];
        let ran = repo.ran(&args)?;
        let mut fields = ran.stdout.split('\0').filter(|f| !f.is_empty());
        let tree = fields.next().unwrap_or_default().trim().to_string();
        match ran.code {
            Some(0) => {}
            Some(1) => {
                let mut files: Vec<String> = fields.map(str::to_string).collect();
                files.dedup();
                return Ok(result("conflict", base_head, files));
            }
            _ => return Err(repo.failed(&args, &ran)),
        }
        let default_message = format!("Merge branch '{}' into {}", layout.branch, layout.base);
        let mut args = repo.identity_args()?;
        args.extend(
            [
                "commit-tree",
                &tree,
                "-p",
                &base_head,
                "-p",
                &branch_head,
                "-m",
                message.unwrap_or(&default_message),
            ]
            .map(String::from),
        );
        ("merge_commit", repo.line(&args)?)
    };
    match checkout_of(&repo, &base_ref)? {
        Some(dir) => {
            // The base is someone's checkout: move it there, so its files follow. git
            // refuses, changing nothing, if local changes there would be overwritten.
            Git::new(&dir)
                .run(&["merge", "--ff-only", "--quiet", &new])
                .map_err(|e| match e {
                    WorkspaceError::Git { message, .. } => WorkspaceError::Invalid(format!(
                        "the base {} is checked out in {}, which refused the update \
                         (nothing was changed): {message}",
                        layout.base,
                        dir.display()
                    )),
                    other => other,
                })?;
        }
        None => {
            let reason = format!("missiond: merge {}", layout.branch);
            repo.run(&["update-ref", "-m", &reason, &base_ref, &new, &base_head])?;
        }
    }
    Ok(result(outcome, new, Vec::new()))
}

/// The worktree (main checkout or linked) that has `branch_ref` checked out, if any.
pub fn checkout_of(repo: &Git, branch_ref: &str) -> Result<Option<PathBuf>, WorkspaceError> {
    let list = repo.run(&["worktree", "list", "--porcelain", "-z"])?;
    let mut path = None;
    for field in list.split('\0') {
        if let Some(p) = field.strip_prefix("worktree ") {
            path = Some(PathBuf::from(p));
        } else if field.strip_prefix("branch ") == Some(branch_ref) {
            return Ok(path);
        }
    }
    Ok(None)
}
