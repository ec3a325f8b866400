//! A slot's work as one unified diff: from where its branch left the base to the
//! worktree as it is now, new (untracked) files included, bounded in size.

use crate::catalogue::{FileChange, WorkspaceDiffResult};

use super::status::{changed_since, merge_base};
use super::{Layout, WorkspaceError};

/// The diff of the slot's worktree against its base, at most `max_bytes` long,
/// limited to `paths` (git pathspecs) when any are given.
pub fn diff(
    layout: &Layout,
    paths: &[String],
    max_bytes: u64,
) -> Result<WorkspaceDiffResult, WorkspaceError> {
    if !layout.exists() {
        return Err(WorkspaceError::Missing(layout.worktree.clone()));
    }
    let git = layout.git();
    let base = merge_base(layout)?;
    let mut files = changed_since(&git, &base, paths)?;
    let mut args: Vec<&str> = vec!["diff", "--no-color", "--no-ext-diff", &base, "--"];
    args.extend(paths.iter().map(String::as_str));
    let mut text = git.run(&args)?;
    // New files are not in git's diff until added; show them as added, without
    // touching the slot's index.
    let mut args: Vec<&str> = vec!["ls-files", "--others", "--exclude-standard", "-z", "--"];
    args.extend(paths.iter().map(String::as_str));
    let mut cut_early = false;
    for path in git.run(&args)?.split('\0').filter(|p| !p.is_empty()) {
        files.push(FileChange {
            path: path.to_string(),
            change: "untracked".into(),
        });
        if text.len() as u64 > max_bytes {
            // Past the cut already: listed, not read (a new folder may be huge).
            cut_early = true;
            continue;
        }
        let ran = git.ran(&["diff", "--no-color", "--no-index", "--", "/dev/null", path])?;
        // `--no-index` exits 1 when the files differ, which they do.
        if ran.code != Some(0) && ran.code != Some(1) {
            return Err(git.failed(&["diff", "--no-index", "/dev/null", path], &ran));
        }
        text.push_str(&ran.stdout);
    }
    let total_bytes = text.len() as u64;
    let truncated = cut_early || total_bytes > max_bytes;
    if truncated {
        let mut cut = usize::try_from(max_bytes)
            .unwrap_or(usize::MAX)
            .min(text.len());
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    Ok(WorkspaceDiffResult {
        slot_id: layout.slot.clone(),
        base: layout.base.clone(),
        merge_base: base,
        files,
        diff: text,
        truncated,
        total_bytes,
    })
}
