//! `missiond workspace status|diff|commit|merge|rebase|remove SLOT`: the workspace
//! tools from the command line (each prints its JSON result with `--json`).

use anyhow::Result;
use clap::Subcommand;
use missiond_core::catalogue::{
    self as cat, FileChange, SlotParams, WorkspaceCommitParams, WorkspaceDiffParams,
    WorkspaceMergeParams, WorkspaceRemoveParams,
};

use super::Conn;
use super::out::{self, Out};

/// What to do with a slot's worktree.
#[derive(Debug, Subcommand)]
pub enum WorkspaceAction {
    /// Branch, base, commits ahead/behind, changed and uncommitted files.
    Status {
        /// The slot's id.
        slot: String,
    },
    /// The diff against the base (committed, uncommitted and new files).
    Diff {
        /// The slot's id.
        slot: String,
        /// Only these files or folders (git pathspecs; repeat for several).
        #[arg(long = "path", value_name = "PATH")]
        paths: Vec<String>,
        /// At most this many bytes (default 65536).
        #[arg(long)]
        max_bytes: Option<u64>,
    },
    /// Commit everything changed in the worktree.
    Commit {
        /// The slot's id.
        slot: String,
        /// The commit message.
        #[arg(short, long)]
        message: String,
    },
    /// Merge the slot's branch into its base (nothing changes on a conflict).
    Merge {
        /// The slot's id.
        slot: String,
        /// Always make a merge commit.
        #[arg(long)]
        no_ff: bool,
        /// The merge commit's message.
        #[arg(short, long)]
        message: Option<String>,
    },
    /// Rebase the slot's branch onto its base (aborted on a conflict).
    Rebase {
        /// The slot's id.
        slot: String,
    },
    /// Remove the worktree and branch (refused while work would be lost).
    Remove {
        /// The slot's id.
        slot: String,
        /// Remove even uncommitted changes and unmerged commits.
        #[arg(long)]
        force: bool,
    },
}

/// Runs one action; the exit code is 1 for a conflict or a refused removal.
pub(super) async fn run(conn: &Conn, action: WorkspaceAction, out: Out) -> Result<i32> {
    match action {
        WorkspaceAction::Status { slot } => {
            let r = conn
                .tool::<cat::WorkspaceStatus>(&SlotParams { slot_id: slot })
                .await?;
            out.show(&r, |r| {
                println!(
                    "{}: {} (base {}) in {}",
                    r.slot_id, r.branch, r.base, r.worktree
                );
                if !r.exists {
                    println!("  the worktree is made when the slot starts");
                }
                println!("  {} ahead, {} behind", r.ahead, r.behind);
                files("changed", &r.changed);
                files("uncommitted", &r.uncommitted);
                for c in &r.commits {
                    println!("  commit {} {}", &c.id[..c.id.len().min(10)], c.subject);
                }
            })?;
        }
        WorkspaceAction::Diff {
            slot,
            paths,
            max_bytes,
        } => {
            let params = WorkspaceDiffParams {
                slot_id: slot,
                paths,
                max_bytes,
            };
            let r = conn.tool::<cat::WorkspaceDiff>(&params).await?;
            out.show(&r, |r| {
                out::body(&r.diff);
                if r.truncated {
                    eprintln!("[cut at {} of {} bytes]", r.diff.len(), r.total_bytes);
                }
            })?;
        }
        WorkspaceAction::Commit { slot, message } => {
            let params = WorkspaceCommitParams {
                slot_id: slot,
                message,
            };
            let r = conn.tool::<cat::WorkspaceCommit>(&params).await?;
            out.show(&r, |r| {
                println!("{} on {}: {} file(s)", r.commit, r.branch, r.files.len())
            })?;
        }
        WorkspaceAction::Merge {
            slot,
            no_ff,
            message,
        } => {
            let params = WorkspaceMergeParams {
                slot_id: slot,
                no_ff,
                message,
            };
            let r = conn.tool::<cat::WorkspaceMerge>(&params).await?;
            out.show(&r, |r| {
                println!("{} into {}: {} ({})", r.branch, r.base, r.outcome, r.commit);
                for f in &r.conflicts {
                    println!("  conflict: {f}");
                }
                files("not merged (uncommitted)", &r.uncommitted);
            })?;
            if r.outcome == "conflict" {
                return Ok(1);
            }
        }
        WorkspaceAction::Rebase { slot } => {
            let r = conn
                .tool::<cat::WorkspaceRebase>(&SlotParams { slot_id: slot })
                .await?;
            out.show(&r, |r| {
                println!("{}: {} ({})", r.slot_id, r.outcome, r.commit);
                for f in &r.conflicts {
                    println!("  conflict: {f}");
                }
            })?;
            if r.outcome == "conflict" {
                return Ok(1);
            }
        }
        WorkspaceAction::Remove { slot, force } => {
            let params = WorkspaceRemoveParams {
                slot_id: slot,
                force,
            };
            let r = conn.tool::<cat::WorkspaceRemove>(&params).await?;
            out.show(&r, |r| match &r.refused {
                Some(why) => println!("{}: {why}", r.slot_id),
                None => println!("{}: worktree and branch removed", r.slot_id),
            })?;
            if !r.removed {
                return Ok(1);
            }
        }
    }
    Ok(0)
}

fn files(what: &str, files: &[FileChange]) {
    for f in files {
        println!("  {what}: {} ({})", f.path, f.change);
    }
}
