//! The git layer against real repositories made in temporary folders.

use std::path::{Path, PathBuf};

use super::create::{Ensured, ensure};
use super::*;

/// A repository with one commit on `main`, in a folder of its own.
struct Repo {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Write `file` in the slot's worktree and commit it there with `message`.
fn commit_file(l: &Layout, file: &str, text: &str, message: &str) {
    std::fs::write(l.worktree.join(file), text).unwrap();
    commit::commit(l, message).unwrap();
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("app");
        std::fs::create_dir_all(root.join("src")).unwrap();
        git(&root, &["init", "--quiet", "-b", "main"]);
        std::fs::write(root.join("README"), "hello\n").unwrap();
        std::fs::write(root.join("src/lib.rs"), "fn a() {}\n").unwrap();
        git(&root, &["add", "."]);
        git(&root, &["commit", "--quiet", "-m", "first"]);
        Repo { _dir: dir, root }
    }

    /// The layout of `slot`'s worktree, created.
    fn worktree(&self, slot: &str) -> Layout {
        let l = self.layout(slot);
        ensure(&l).unwrap();
        l
    }

    fn layout(&self, slot: &str) -> Layout {
        self.layout_in(slot, &self.root)
    }

    fn layout_in(&self, slot: &str, cwd: &Path) -> Layout {
        let config = WorkspaceConfig {
            branch: format!("missiond/{slot}"),
            base: None,
            folder: None,
        };
        Layout::resolve(&config, slot, cwd).expect("resolves")
    }

    fn commit_on_main(&self, file: &str, text: &str) {
        std::fs::write(self.root.join(file), text).unwrap();
        git(&self.root, &["add", "."]);
        git(
            &self.root,
            &["commit", "--quiet", "-m", &format!("main: {file}")],
        );
    }
}

fn head(dir: &Path, rev: &str) -> String {
    git(dir, &["rev-parse", rev]).trim().to_string()
}

#[test]
fn the_worktree_is_made_beside_the_repo_on_its_own_branch_and_found_again() {
    let repo = Repo::new();
    let l = repo.layout("c1");
    assert_eq!(
        l.worktree,
        repo.root.with_file_name("app-worktrees").join("c1")
    );
    assert_eq!(l.base, "main");
    assert_eq!(
        l.cwd().as_os_str(),
        l.worktree.as_os_str(),
        "no trailing slash"
    );
    assert_eq!(ensure(&l).unwrap(), Ensured::Created);
    assert!(l.worktree.join("README").is_file());
    assert_eq!(
        git(&l.worktree, &["symbolic-ref", "--short", "HEAD"]).trim(),
        "missiond/c1"
    );
    std::fs::write(l.worktree.join("work.txt"), "in progress").unwrap();
    // A second start keeps the worktree as it is, uncommitted work included.
    assert_eq!(ensure(&repo.layout("c1")).unwrap(), Ensured::Existing);
    assert!(l.worktree.join("work.txt").is_file());
    // The base is remembered: switching the main checkout does not change it.
    git(&repo.root, &["checkout", "--quiet", "-b", "other"]);
    assert_eq!(repo.layout("c1").base, "main");
    assert_eq!(
        repo.layout("c2").base,
        "other",
        "a new slot takes the current branch"
    );
}

#[test]
fn a_cwd_inside_the_repo_maps_to_the_same_folder_in_the_worktree() {
    let repo = Repo::new();
    let l = repo.layout_in("c1", &repo.root.join("src"));
    ensure(&l).unwrap();
    assert_eq!(l.cwd(), l.worktree.join("src"));
    assert!(l.cwd().join("lib.rs").is_file());
}

#[test]
fn a_folder_that_is_not_the_worktree_is_refused_and_left_alone() {
    let repo = Repo::new();
    let l = repo.layout("c1");
    std::fs::create_dir_all(&l.worktree).unwrap();
    std::fs::write(l.worktree.join("mine.txt"), "keep").unwrap();
    let e = ensure(&l).unwrap_err().to_string();
    assert!(e.contains("is not a git worktree"), "{e}");
    assert!(l.worktree.join("mine.txt").is_file());
}

#[test]
fn an_empty_folder_in_place_is_filled() {
    let repo = Repo::new();
    let l = repo.layout("c1");
    std::fs::create_dir_all(&l.worktree).unwrap();
    assert_eq!(ensure(&l).unwrap(), Ensured::Created);
    assert!(l.worktree.join("README").is_file());
}

#[test]
fn a_cwd_outside_any_repository_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = WorkspaceConfig {
        branch: "missiond/x".into(),
        base: None,
        folder: None,
    };
    let e = Layout::resolve(&config, "x", dir.path())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not in a git repository"), "{e}");
}

#[test]
fn git_errors_carry_gits_own_message() {
    let repo = Repo::new();
    let mut l = repo.layout("c1");
    l.base = "no-such-branch".into();
    let e = ensure(&l).unwrap_err().to_string();
    assert!(e.contains("no-such-branch"), "{e}");
    assert!(e.contains("worktree add"), "{e}");
}

#[test]
fn status_and_diff_show_committed_uncommitted_and_new_files_against_the_base() {
    let repo = Repo::new();
    let l = repo.worktree("c1");
    std::fs::write(l.worktree.join("README"), "hello\nchanged\n").unwrap();
    git(&l.worktree, &["commit", "--quiet", "-am", "readme"]);
    std::fs::write(l.worktree.join("src/lib.rs"), "fn b() {}\n").unwrap();
    std::fs::write(l.worktree.join("new.txt"), "brand new\n").unwrap();
    repo.commit_on_main("main.txt", "on main\n");

    let s = status::status(&l).unwrap();
    assert_eq!((s.ahead, s.behind), (1, 1));
    assert_eq!(s.commits.len(), 1);
    assert_eq!(s.commits[0].subject, "readme");
    let paths = |files: &[crate::catalogue::FileChange]| -> Vec<String> {
        let mut p: Vec<String> = files
            .iter()
            .map(|f| format!("{}:{}", f.path, f.change))
            .collect();
        p.sort();
        p
    };
    assert_eq!(
        paths(&s.uncommitted),
        ["new.txt:untracked", "src/lib.rs:modified"]
    );
    assert_eq!(
        paths(&s.changed),
        [
            "README:modified",
            "new.txt:untracked",
            "src/lib.rs:modified"
        ],
        "main's own commit is not the slot's change"
    );

    let d = diff::diff(&l, &[], 1 << 20).unwrap();
    assert!(d.diff.contains("+changed"), "{}", d.diff);
    assert!(d.diff.contains("+fn b() {}"), "{}", d.diff);
    assert!(d.diff.contains("+brand new"), "{}", d.diff);
    assert!(!d.diff.contains("on main"), "{}", d.diff);
    assert!(!d.truncated);

    let only = diff::diff(&l, &["src".into()], 1 << 20).unwrap();
    assert!(
        only.diff.contains("fn b()")
            && !only.diff.contains("changed")
            && !only.diff.contains("brand new")
    );
    assert_eq!(paths(&only.files), ["src/lib.rs:modified"]);

    let cut = diff::diff(&l, &[], 40).unwrap();
    assert!(cut.truncated && cut.diff.len() <= 40);
    assert!(cut.total_bytes <= d.total_bytes);
    assert_eq!(
        paths(&cut.files),
        paths(&d.files),
        "every file is listed, cut or not"
    );
}

#[test]
fn commit_takes_everything_and_refuses_when_there_is_nothing() {
    let repo = Repo::new();
    let l = repo.worktree("c1");
    let e = commit::commit(&l, "nothing").unwrap_err().to_string();
    assert!(e.contains("nothing to commit"), "{e}");
    std::fs::write(l.worktree.join("a.txt"), "a").unwrap();
    let c = commit::commit(&l, "add a").unwrap();
    assert_eq!(c.commit, head(&l.worktree, "HEAD"));
    assert_eq!(c.files.len(), 1);
    assert!(status::uncommitted(&l.git()).unwrap().is_empty());
    assert_eq!(
        git(&l.worktree, &["log", "-1", "--format=%s"]).trim(),
        "add a"
    );
}

#[test]
fn merge_fast_forwards_the_checked_out_base_and_its_files() {
    let repo = Repo::new();
    let l = repo.worktree("c1");
    commit_file(&l, "a.txt", "a", "add a");
    let m = merge::merge(&l, false, None).unwrap();
    assert_eq!(m.outcome, "fast_forward");
    assert_eq!(head(&repo.root, "main"), head(&l.worktree, "HEAD"));
    assert!(
        repo.root.join("a.txt").is_file(),
        "the main checkout follows"
    );
    assert!(git(&repo.root, &["status", "--porcelain"]).is_empty());
    assert_eq!(merge::merge(&l, false, None).unwrap().outcome, "up_to_date");
    assert!(
        status::at_risk(&l).unwrap().is_empty(),
        "merged work is safe to remove"
    );
}

#[test]
fn merge_makes_a_merge_commit_when_the_base_moved_on() {
    let repo = Repo::new();
    let l = repo.worktree("c1");
    commit_file(&l, "a.txt", "a", "add a");
    repo.commit_on_main("b.txt", "b");
    let before = head(&repo.root, "main");
    let m = merge::merge(&l, false, Some("merge c1")).unwrap();
    assert_eq!(m.outcome, "merge_commit");
    let parents = git(&repo.root, &["log", "-1", "--format=%P", "main"]);
    assert_eq!(parents.split_whitespace().count(), 2);
    assert!(parents.contains(&before));
    assert!(repo.root.join("a.txt").is_file() && repo.root.join("b.txt").is_file());
    assert_eq!(
        git(&repo.root, &["log", "-1", "--format=%s"]).trim(),
        "merge c1"
    );
}

#[test]
fn a_conflicting_merge_changes_nothing_and_names_the_files() {
    let repo = Repo::new();
    let l = repo.worktree("c1");
    commit_file(&l, "README", "from the slot\n", "slot readme");
    repo.commit_on_main("README", "from main\n");
    // Local, uncommitted work in the main checkout that must survive untouched.
    std::fs::write(repo.root.join("src/lib.rs"), "fn local() {}\n").unwrap();
    let status_before = git(&repo.root, &["status", "--porcelain"]);
    let main_before = head(&repo.root, "main");
    let branch_before = head(&repo.root, "missiond/c1");
    let m = merge::merge(&l, false, None).unwrap();
    assert_eq!(m.outcome, "conflict");
    assert_eq!(m.conflicts, ["README"]);
    assert_eq!(head(&repo.root, "main"), main_before);
    assert_eq!(head(&repo.root, "missiond/c1"), branch_before);
    assert_eq!(git(&repo.root, &["status", "--porcelain"]), status_before);
    assert_eq!(
        std::fs::read_to_string(repo.root.join("README")).unwrap(),
        "from main\n"
    );
    assert!(!repo.root.join(".git/MERGE_HEAD").exists());
}

#[test]
fn rebase_replays_onto_the_base_and_aborts_cleanly_on_conflict() {
    let repo = Repo::new();
    let l = repo.worktree("c1");
    commit_file(&l, "a.txt", "a", "add a");
    repo.commit_on_main("b.txt", "b");
    let r = rebase::rebase(&l).unwrap();
    assert_eq!(r.outcome, "rebased");
    assert!(l.worktree.join("b.txt").is_file());
    assert_eq!(status::status(&l).unwrap().behind, 0);

    commit_file(&l, "README", "slot\n", "slot readme");
    repo.commit_on_main("README", "main\n");
    let before = head(&l.worktree, "HEAD");
    let r = rebase::rebase(&l).unwrap();
    assert_eq!(r.outcome, "conflict");
    assert_eq!(r.conflicts, ["README"]);
    assert_eq!(head(&l.worktree, "HEAD"), before);
    assert!(status::uncommitted(&l.git()).unwrap().is_empty());
    assert_eq!(
        std::fs::read_to_string(l.worktree.join("README")).unwrap(),
        "slot\n"
    );

    std::fs::write(l.worktree.join("README"), "dirty\n").unwrap();
    let e = rebase::rebase(&l).unwrap_err().to_string();
    assert!(e.contains("uncommitted") && e.contains("README"), "{e}");
}

#[test]
fn removal_refuses_while_work_would_be_lost_and_lists_it() {
    let repo = Repo::new();
    let l = repo.worktree("c1");
    std::fs::write(l.worktree.join("wip.txt"), "wip").unwrap();
    match remove::remove(&l, false) {
        Err(WorkspaceError::WouldLoseWork(risk)) => {
            assert_eq!(risk.uncommitted.len(), 1);
            assert_eq!(risk.uncommitted[0].path, "wip.txt");
            assert_eq!(risk.unmerged_count, 0);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(l.worktree.join("wip.txt").is_file());
    commit::commit(&l, "wip commit").unwrap();
    let e = remove::remove(&l, false).unwrap_err();
    let WorkspaceError::WouldLoseWork(risk) = &e else {
        panic!("{e:?}")
    };
    assert!(risk.uncommitted.is_empty());
    assert_eq!(risk.unmerged_count, 1);
    assert_eq!(risk.unmerged_commits[0].subject, "wip commit");
    assert!(e.to_string().contains("wip commit"), "{e}");
    assert!(l.branch_exists().unwrap() && l.worktree.exists());

    let lost = remove::remove(&l, true).unwrap();
    assert_eq!(lost.unmerged_count, 1);
    assert!(!l.worktree.exists());
    assert!(!l.branch_exists().unwrap());
    // And a fresh one can be made from the base again.
    assert_eq!(ensure(&repo.layout("c1")).unwrap(), Ensured::Created);
}

#[test]
fn a_clean_merged_workspace_is_removed_without_force() {
    let repo = Repo::new();
    let l = repo.worktree("c1");
    remove::remove(&l, false).unwrap();
    assert!(!l.worktree.exists() && !l.branch_exists().unwrap());
}

#[test]
fn a_deleted_folder_is_made_again_for_the_existing_branch() {
    let repo = Repo::new();
    let l = repo.worktree("c1");
    commit_file(&l, "a.txt", "a", "a");
    std::fs::remove_dir_all(&l.worktree).unwrap();
    assert_eq!(ensure(&l).unwrap(), Ensured::Attached);
    assert!(
        l.worktree.join("a.txt").is_file(),
        "the branch's commits are back"
    );
}

#[test]
fn a_fresh_start_moves_to_the_bases_head_only_when_nothing_would_be_lost() {
    let repo = Repo::new();
    let l = repo.worktree("c1");
    std::fs::write(l.worktree.join("a.txt"), "a").unwrap();
    let e = fresh::refresh(&l).unwrap_err();
    assert!(
        matches!(&e, WorkspaceError::WouldLoseWork(r) if r.uncommitted.len() == 1),
        "{e:?}"
    );
    commit::commit(&l, "add a").unwrap();
    let e = fresh::refresh(&l).unwrap_err();
    assert!(
        matches!(&e, WorkspaceError::WouldLoseWork(r) if r.unmerged_count == 1),
        "{e:?}"
    );
    assert!(
        l.worktree.join("a.txt").is_file(),
        "refusals change nothing"
    );
    merge::merge(&l, false, None).unwrap();
    repo.commit_on_main("b.txt", "b");
    let head = fresh::refresh(&l).unwrap();
    assert_eq!(head, super::tests::head(&repo.root, "main"));
    assert!(l.worktree.join("b.txt").is_file() && l.worktree.join("a.txt").is_file());
}
