//! Where a slot's workspace lives: the repository its `cwd` belongs to, the worktree's
//! folder, the branch, and the base it merges into.

use std::path::{Path, PathBuf};

use super::{Git, WorkspaceConfig, WorkspaceError};

/// The git config key under `branch.<name>` that remembers a branch's base, so a
/// restart (or a change of the repository's current branch) keeps merging into the base
/// the branch was made from.
pub const BASE_KEY: &str = "missiondbase";

/// A slot's workspace, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The slot.
    pub slot: String,
    /// The top of the repository's main checkout (where the slot's `cwd` lies).
    pub repo: PathBuf,
    /// The repository's `.git` folder (shared by all its worktrees).
    pub common_dir: PathBuf,
    /// The worktree's folder.
    pub worktree: PathBuf,
    /// The slot's `cwd` relative to the repository's top (empty at the top).
    pub subdir: PathBuf,
    /// The slot's branch (short name).
    pub branch: String,
    /// The base (a local branch, normally).
    pub base: String,
}

impl Layout {
    /// Locates the workspace of `slot` whose `cwd` lies in a git repository.
    /// Runs git (read-only) in `cwd`.
    pub fn resolve(
        config: &WorkspaceConfig,
        slot: &str,
        cwd: &Path,
    ) -> Result<Layout, WorkspaceError> {
        if !cwd.is_dir() {
            return Err(WorkspaceError::Invalid(format!(
                "slot {slot:?}: its cwd {} is not a folder",
                cwd.display()
            )));
        }
        let git = Git::new(cwd);
        let out = git
            .run(&[
                "rev-parse",
                "--path-format=absolute",
                "--show-toplevel",
                "--git-common-dir",
            ])
            .map_err(|e| match e {
                WorkspaceError::Git { message, .. } => WorkspaceError::Invalid(format!(
                    "slot {slot:?} has `workspace: worktree` but its cwd {} is not in a git \
                     repository with a working tree ({message})",
                    cwd.display()
                )),
                other => other,
            })?;
        let mut lines = out.lines();
        let (Some(top), Some(common)) = (lines.next(), lines.next()) else {
            return Err(WorkspaceError::Invalid(format!(
                "git rev-parse in {} answered {out:?}",
                cwd.display()
            )));
        };
        let top = PathBuf::from(top.trim());
        let common_dir = PathBuf::from(common.trim());
        // The main checkout: the folder holding the common `.git`, also when the slot's
        // cwd is itself some linked worktree.
        let repo = match common_dir.file_name() {
            Some(n) if n == ".git" => common_dir
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or(top.clone()),
            _ => top.clone(),
        };
        let real_cwd = cwd.canonicalize().unwrap_or_else(|_| cwd.to_path_buf());
        let real_top = top.canonicalize().unwrap_or(top);
        let subdir = real_cwd
            .strip_prefix(&real_top)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let worktree = match &config.folder {
            Some(folder) => folder.clone(),
            None => default_folder(&repo, slot),
        };
        if worktree == repo || repo.starts_with(&worktree) {
            return Err(WorkspaceError::Invalid(format!(
                "slot {slot:?}: workspace.folder {} would hold the repository itself",
                worktree.display()
            )));
        }
        let base = match &config.base {
            Some(base) => base.clone(),
            None => match recorded_base(&Git::new(&repo), &config.branch)? {
                Some(base) => base,
                None => current_branch(&repo)?,
            },
        };
        Ok(Layout {
            slot: slot.to_string(),
            repo,
            common_dir,
            worktree,
            subdir,
            branch: config.branch.clone(),
            base,
        })
    }

    /// Where the slot's program starts: its `cwd`'s place inside the worktree.
    pub fn cwd(&self) -> PathBuf {
        if self.subdir.as_os_str().is_empty() {
            // `join("")` would add a trailing slash, and Claude Code names its project
            // folder (where the transcript goes) after the exact path.
            self.worktree.clone()
        } else {
            self.worktree.join(&self.subdir)
        }
    }

    /// git in the worktree.
    pub fn git(&self) -> Git {
        Git::new(&self.worktree)
    }

    /// git in the main checkout.
    pub fn repo_git(&self) -> Git {
        Git::new(&self.repo)
    }

    /// Whether the worktree's folder exists.
    pub fn exists(&self) -> bool {
        self.worktree.is_dir()
    }

    /// The worktree's administrative folder in the main repository
    /// (`.git/worktrees/<name>`), which its `.git` file points to.
    pub fn admin_dir(&self) -> Option<PathBuf> {
        let text = std::fs::read_to_string(self.worktree.join(".git")).ok()?;
        let dir = text.trim().strip_prefix("gitdir:")?.trim();
        Some(PathBuf::from(dir))
    }

    /// `refs/heads/<branch>`.
    pub fn branch_ref(&self) -> String {
        format!("refs/heads/{}", self.branch)
    }

    /// Whether the branch exists.
    pub fn branch_exists(&self) -> Result<bool, WorkspaceError> {
        self.repo_git()
            .succeeds(&["show-ref", "--verify", "--quiet", &self.branch_ref()])
    }
}

/// `<repo>-worktrees/<slot>` beside the repository.
pub fn default_folder(repo: &Path, slot: &str) -> PathBuf {
    let name = repo
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "repo".into());
    repo.with_file_name(format!("{name}-worktrees")).join(slot)
}

/// The base remembered for `branch` when its worktree was made.
pub fn recorded_base(repo: &Git, branch: &str) -> Result<Option<String>, WorkspaceError> {
    let ran = repo.ran(&["config", "--get", &format!("branch.{branch}.{BASE_KEY}")])?;
    Ok(Some(ran.stdout.trim().to_string()).filter(|b| ran.ok() && !b.is_empty()))
}

/// The branch checked out in the main checkout.
fn current_branch(repo: &Path) -> Result<String, WorkspaceError> {
    let ran = Git::new(repo).ran(&["symbolic-ref", "--quiet", "--short", "HEAD"])?;
    let name = ran.stdout.trim();
    if ran.ok() && !name.is_empty() {
        Ok(name.to_string())
    } else {
        Err(WorkspaceError::Invalid(format!(
            "the repository {} has no current branch (detached HEAD): set `workspace.base`",
            repo.display()
        )))
    }
}
