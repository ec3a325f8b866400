//! What a slot changed against its base: commits ahead and behind, files changed,
//! files not yet committed.

use crate::catalogue::{COMMITS_LISTED, CommitInfo, FileChange, WorkAtRisk, WorkspaceStatusResult};

use super::{Git, Layout, WorkspaceError};

/// The slot's workspace, as `mission_workspace_status` reports it. A worktree not made
/// yet is reported (`exists` false) with what its branch holds, if it exists.
pub fn status(layout: &Layout) -> Result<WorkspaceStatusResult, WorkspaceError> {
    let mut out = WorkspaceStatusResult {
        slot_id: layout.slot.clone(),
        repository: layout.repo.display().to_string(),
        worktree: layout.worktree.display().to_string(),
        exists: layout.exists(),
        branch: layout.branch.clone(),
        base: layout.base.clone(),
        ahead: 0,
        behind: 0,
        changed: Vec::new(),
        uncommitted: Vec::new(),
        commits: Vec::new(),
    };
    if !layout.branch_exists()? {
        return Ok(out);
    }
    let repo = layout.repo_git();
    let counts = repo.line(&[
        "rev-list",
        "--left-right",
        "--count",
        &format!("{}...{}", layout.base, layout.branch_ref()),
    ])?;
    let mut counts = counts
        .split_whitespace()
        .map(|n| n.parse::<u64>().unwrap_or(0));
    out.behind = counts.next().unwrap_or(0);
    out.ahead = counts.next().unwrap_or(0);
    out.commits = unmerged(layout)?.unmerged_commits;
    if out.exists {
        let git = layout.git();
        out.uncommitted = uncommitted(&git)?;
        let base = merge_base(layout)?;
        out.changed = changed_since(&git, &base, &[])?;
        for file in &out.uncommitted {
            if file.change == "untracked" {
                out.changed.push(file.clone());
            }
        }
    } else {
        let base = merge_base(layout)?;
        out.changed = parse_name_status(&repo.run(&[
            "diff",
            "--name-status",
            "-z",
            &base,
            &layout.branch_ref(),
        ])?);
    }
    Ok(out)
}

/// What removing the workspace would lose: uncommitted files (when the worktree exists)
/// and the branch's commits its base lacks (when the branch exists).
pub fn at_risk(layout: &Layout) -> Result<WorkAtRisk, WorkspaceError> {
    let mut risk = if layout.branch_exists()? {
        unmerged(layout)?
    } else {
        WorkAtRisk::default()
    };
    if layout.exists() && layout.worktree.join(".git").exists() {
        risk.uncommitted = uncommitted(&layout.git())?;
    }
    Ok(risk)
}

/// The branch's commits that the base does not contain.
pub fn unmerged(layout: &Layout) -> Result<WorkAtRisk, WorkspaceError> {
    let repo = layout.repo_git();
    let range = format!("{}..{}", layout.base, layout.branch_ref());
    let count = repo
        .line(&["rev-list", "--count", &range])?
        .parse()
        .unwrap_or(0);
    let log = repo.run(&[
        "log",
        "--format=%H%x09%s",
        &format!("--max-count={COMMITS_LISTED}"),
        &range,
    ])?;
    Ok(WorkAtRisk {
        uncommitted: Vec::new(),
        unmerged_commits: log
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(id, subject)| CommitInfo {
                id: id.to_string(),
                subject: subject.to_string(),
            })
            .collect(),
        unmerged_count: count,
    })
}

/// The commit where the branch left the base.
pub fn merge_base(layout: &Layout) -> Result<String, WorkspaceError> {
    let repo = layout.repo_git();
    let ran = repo.ran(&["merge-base", &layout.base, &layout.branch_ref()])?;
    match ran.stdout.lines().next() {
        Some(id) if ran.ok() => Ok(id.trim().to_string()),
        _ => Err(WorkspaceError::Invalid(format!(
            "{} and its base {} have no common commit{}",
            layout.branch,
            layout.base,
            match ran.stderr.trim() {
                "" => String::new(),
                e => format!(" ({e})"),
            }
        ))),
    }
}

/// Files changed in the worktree and not committed, untracked ones included.
pub fn uncommitted(git: &Git) -> Result<Vec<FileChange>, WorkspaceError> {
    let out = git.run(&["status", "--porcelain=v1", "-z", "--untracked-files=all"])?;
    let mut files = Vec::new();
    let mut fields = out.split('\0').filter(|f| !f.is_empty());
    while let Some(entry) = fields.next() {
        if entry.len() < 4 {
            continue;
        }
        let (xy, path) = entry.split_at(3);
        let xy = xy.as_bytes();
        let (x, y) = (xy[0], xy[1]);
        if x == b'R' || x == b'C' {
            // The original name follows as its own field.
            fields.next();
        }
        let change = match (x, y) {
            (b'?', b'?') => "untracked",
            (b'U', _) | (_, b'U') | (b'A', b'A') | (b'D', b'D') => "conflicted",
            (_, c) if c != b' ' => letter(c),
            (c, _) => letter(c),
        };
        files.push(FileChange {
            path: path.to_string(),
            change: change.to_string(),
        });
    }
    Ok(files)
}

/// Tracked files that differ between `base` and the worktree as it is now.
pub fn changed_since(
    git: &Git,
    base: &str,
    paths: &[String],
) -> Result<Vec<FileChange>, WorkspaceError> {
    let mut args: Vec<&str> = vec!["diff", "--name-status", "-z", base, "--"];
    args.extend(paths.iter().map(String::as_str));
    Ok(parse_name_status(&git.run(&args)?))
}

/// `git diff --name-status -z` output.
pub fn parse_name_status(out: &str) -> Vec<FileChange> {
    let mut files = Vec::new();
    let mut fields = out.split('\0').filter(|f| !f.is_empty());
    while let Some(status) = fields.next() {
        let code = status.as_bytes().first().copied().unwrap_or(b'M');
        if code == b'R' || code == b'C' {
            fields.next(); // the old name
        }
        if let Some(path) = fields.next() {
            files.push(FileChange {
                path: path.to_string(),
                change: letter(code).to_string(),
            });
        }
    }
    files
}

fn letter(c: u8) -> &'static str {
    match c {
        b'A' => "added",
        b'D' => "deleted",
        b'R' => "renamed",
        b'C' => "copied",
        b'T' => "typechange",
        b'U' => "conflicted",
        _ => "modified",
    }
}
