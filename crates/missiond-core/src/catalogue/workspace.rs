//! Workspace tools: review and merge the work of a slot that runs in its own git
//! worktree (`workspace: worktree` in slots.yaml): status, diff, commit, merge into the
//! base, rebase onto it, and removal that never loses work unless forced.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::params::SlotParams;
use super::{Annotations, Tool, ToolDef};

/// Default size of a diff returned by `mission_workspace_diff`.
pub const DIFF_DEFAULT_BYTES: u64 = 64 * 1024;
/// Largest diff `mission_workspace_diff` returns.
pub const DIFF_MAX_BYTES: u64 = 1024 * 1024;
/// Most commits listed in a status or a refusal (the count is always exact).
pub const COMMITS_LISTED: usize = 100;

const CHANGE: Annotations = Annotations {
    read_only_hint: false,
    destructive_hint: false,
    idempotent_hint: false,
    open_world_hint: false,
};

/// `mission_workspace_status`.
pub struct WorkspaceStatus;
/// `mission_workspace_diff`.
pub struct WorkspaceDiff;
/// `mission_workspace_commit`.
pub struct WorkspaceCommit;
/// `mission_workspace_merge`.
pub struct WorkspaceMerge;
/// `mission_workspace_rebase`.
pub struct WorkspaceRebase;
/// `mission_workspace_remove`.
pub struct WorkspaceRemove;

/// One changed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FileChange {
    /// Path relative to the worktree's top.
    pub path: String,
    /// `added`, `modified`, `deleted`, `renamed`, `copied`, `typechange`, `untracked`
    /// or `conflicted`.
    pub change: String,
}

/// One commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommitInfo {
    /// Full commit id.
    pub id: String,
    /// Its first line.
    pub subject: String,
}

/// What removing a workspace would lose.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkAtRisk {
    /// Files changed and not committed (untracked ones included).
    pub uncommitted: Vec<FileChange>,
    /// Commits on the branch that its base does not contain (the latest first, at most
    /// 100 listed).
    pub unmerged_commits: Vec<CommitInfo>,
    /// How many such commits in all.
    pub unmerged_count: u64,
}

impl WorkAtRisk {
    /// Nothing would be lost.
    pub fn is_empty(&self) -> bool {
        self.uncommitted.is_empty() && self.unmerged_count == 0
    }
}

/// Result of `mission_workspace_status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceStatusResult {
    /// The slot.
    pub slot_id: String,
    /// The main checkout of the repository.
    pub repository: String,
    /// The worktree's folder.
    pub worktree: String,
    /// Whether the worktree exists (it is made when the slot first starts).
    pub exists: bool,
    /// The slot's branch.
    pub branch: String,
    /// The branch it started from and merges into.
    pub base: String,
    /// Commits on the branch that the base lacks.
    pub ahead: u64,
    /// Commits on the base that the branch lacks.
    pub behind: u64,
    /// Files that differ from where the branch left the base (committed or not).
    pub changed: Vec<FileChange>,
    /// Files changed and not yet committed.
    pub uncommitted: Vec<FileChange>,
    /// The branch's commits the base lacks, latest first (at most 100).
    pub commits: Vec<CommitInfo>,
}

/// Arguments of `mission_workspace_diff`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspaceDiffParams {
    /// The slot's id.
    pub slot_id: String,
    /// Only these files or folders (git pathspecs, relative to the worktree's top,
    /// globs allowed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// At most this many bytes of diff (default 65536, at most 1048576).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1048576))]
    pub max_bytes: Option<u64>,
}

/// Result of `mission_workspace_diff`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceDiffResult {
    /// The slot.
    pub slot_id: String,
    /// The base the diff is taken against.
    pub base: String,
    /// The commit where the branch left the base.
    pub merge_base: String,
    /// The files the diff covers.
    pub files: Vec<FileChange>,
    /// A unified diff from the merge base to the worktree as it is now (uncommitted
    /// changes and new files included).
    pub diff: String,
    /// The diff was cut at `maxBytes`.
    pub truncated: bool,
    /// Its size in bytes before the cut (new files past the cut are listed in `files`
    /// but not read, nor counted).
    pub total_bytes: u64,
}

/// Arguments of `mission_workspace_commit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspaceCommitParams {
    /// The slot's id.
    pub slot_id: String,
    /// The commit message.
    #[schemars(length(min = 1))]
    pub message: String,
}

/// Result of `mission_workspace_commit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceCommitResult {
    /// The slot.
    pub slot_id: String,
    /// The branch committed on.
    pub branch: String,
    /// The new commit.
    pub commit: String,
    /// The files it holds.
    pub files: Vec<FileChange>,
}

/// Arguments of `mission_workspace_merge`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspaceMergeParams {
    /// The slot's id.
    pub slot_id: String,
    /// Always make a merge commit, even when a fast-forward is possible.
    #[serde(default)]
    pub no_ff: bool,
    /// The merge commit's message (default "Merge branch '<branch>' into <base>").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Result of `mission_workspace_merge`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceMergeResult {
    /// The slot.
    pub slot_id: String,
    /// The branch merged.
    pub branch: String,
    /// The base merged into.
    pub base: String,
    /// `fast_forward`, `merge_commit`, `up_to_date` (nothing to merge) or `conflict`
    /// (nothing changed anywhere).
    pub outcome: String,
    /// The base's new head (its unchanged head on conflict).
    pub commit: String,
    /// The files in conflict, when the outcome is `conflict`.
    pub conflicts: Vec<String>,
    /// Uncommitted files in the slot's worktree, which the merge did not take.
    pub uncommitted: Vec<FileChange>,
}

/// Result of `mission_workspace_rebase`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceRebaseResult {
    /// The slot.
    pub slot_id: String,
    /// `rebased`, `up_to_date` or `conflict` (aborted: the branch is as before).
    pub outcome: String,
    /// The branch's head afterwards.
    pub commit: String,
    /// The files in conflict, when the outcome is `conflict`.
    pub conflicts: Vec<String>,
}

/// Arguments of `mission_workspace_remove`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkspaceRemoveParams {
    /// The slot's id.
    pub slot_id: String,
    /// Remove even though uncommitted changes or unmerged commits would be lost.
    #[serde(default)]
    pub force: bool,
}

/// Result of `mission_workspace_remove`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceRemoveResult {
    /// The slot.
    pub slot_id: String,
    /// Whether the worktree and branch are gone.
    pub removed: bool,
    /// Why not, when refused.
    pub refused: Option<String>,
    /// What was (with force) or would have been (refused) lost.
    pub at_risk: WorkAtRisk,
}

impl Tool for WorkspaceStatus {
    const NAME: &'static str = "mission_workspace_status";
    const TITLE: &'static str = "A slot's worktree: branch and changes";
    const DESCRIPTION: &'static str = "For a slot with `workspace: worktree`: its \
        branch, base, commits ahead of and behind the base, the files it changed \
        (committed or not), the uncommitted ones, and its unmerged commits. Fails with \
        unknown_slot, or invalid_params when the slot has no workspace.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = SlotParams;
    type Output = WorkspaceStatusResult;
}

impl Tool for WorkspaceDiff {
    const NAME: &'static str = "mission_workspace_diff";
    const TITLE: &'static str = "A slot's changes as a diff";
    const DESCRIPTION: &'static str = "The unified diff of a slot's worktree against \
        where its branch left the base: committed and uncommitted changes and new files. \
        `paths` limits it to some files or folders; `maxBytes` bounds it (default 64 KiB; \
        `truncated` says when it was cut). Use it to review an agent's work before \
        mission_workspace_merge.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = WorkspaceDiffParams;
    type Output = WorkspaceDiffResult;
}

impl Tool for WorkspaceCommit {
    const NAME: &'static str = "mission_workspace_commit";
    const TITLE: &'static str = "Commit a slot's changes";
    const DESCRIPTION: &'static str = "Commit everything changed in a slot's worktree \
        (new files included) on its branch, with this message. Fails when there is \
        nothing to commit.";
    const ANNOTATIONS: Annotations = CHANGE;
    type Params = WorkspaceCommitParams;
    type Output = WorkspaceCommitResult;
}

impl Tool for WorkspaceMerge {
    const NAME: &'static str = "mission_workspace_merge";
    const TITLE: &'static str = "Merge a slot's branch into its base";
    const DESCRIPTION: &'static str = "Merge a slot's committed work into its base \
        branch: a fast-forward when possible (unless noFf), else a merge commit. The \
        merge is computed apart first: on a conflict nothing changes (not the base, not \
        its checkout, not the slot's worktree) and the conflicting files are listed \
        (outcome `conflict`); rebase the slot (mission_workspace_rebase) or have its \
        agent resolve them. Uncommitted changes are not merged (listed in \
        `uncommitted`; commit them first).";
    const ANNOTATIONS: Annotations = CHANGE;
    type Params = WorkspaceMergeParams;
    type Output = WorkspaceMergeResult;
}

impl Tool for WorkspaceRebase {
    const NAME: &'static str = "mission_workspace_rebase";
    const TITLE: &'static str = "Rebase a slot's branch onto its base";
    const DESCRIPTION: &'static str = "Replay a slot's commits on top of its base's \
        latest commit. Refused while the worktree has uncommitted changes to tracked \
        files. On a conflict the rebase is aborted (the branch is as before) and the \
        conflicting files are listed (outcome `conflict`). Best done while the slot is \
        idle: its files change under it.";
    const ANNOTATIONS: Annotations = CHANGE;
    type Params = SlotParams;
    type Output = WorkspaceRebaseResult;
}

impl Tool for WorkspaceRemove {
    const NAME: &'static str = "mission_workspace_remove";
    const TITLE: &'static str = "Remove a slot's worktree and branch";
    const DESCRIPTION: &'static str = "Delete a slot's worktree folder and its branch. \
        Refused (removed false, with the files and commits that would be lost in \
        atRisk) while it has uncommitted changes or commits its base lacks, unless \
        force is true. The slot must be stopped. Its next start makes a fresh worktree \
        from the base.";
    const ANNOTATIONS: Annotations = Annotations {
        destructive_hint: true,
        ..CHANGE
    };
    type Params = WorkspaceRemoveParams;
    type Output = WorkspaceRemoveResult;
}

pub(super) fn defs() -> Vec<ToolDef> {
    vec![
        ToolDef::of::<WorkspaceStatus>(),
        ToolDef::of::<WorkspaceDiff>(),
        ToolDef::of::<WorkspaceCommit>(),
        ToolDef::of::<WorkspaceMerge>(),
        ToolDef::of::<WorkspaceRebase>(),
        ToolDef::of::<WorkspaceRemove>(),
    ]
}
