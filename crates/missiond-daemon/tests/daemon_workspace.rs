//! Workspaces against a real daemon, real git repositories and real bubblewrap: two
//! shell slots on one repository, each in its own worktree made at its first start. One
//! tries to write into the other's worktree, the main checkout and the repository's
//! config from inside its sandbox (refused), and commits in its own worktree (allowed).
//! Then the tools and the CLI: status, diff, removal refused while work would be lost
//! (uncommitted; unmerged), a merge, a daemon restart that keeps both worktrees, and a
//! reload that removes a dropped slot's worktree only once nothing would be lost.

mod daemon_support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use daemon_support::{Daemon, err_code, git, git_repo, ok};
use serde_json::{Value, json};

/// Slot `a` attacks and commits; slot `b` leaves uncommitted work. Both then wait.
const SCRIPT_A: &str = r#"exec >>"$WORK/a-results.txt" 2>&1
echo "pwd $(pwd)"
echo mine > own.txt
# b starts after a, in a folder of its own choosing: wait for its worktree to be filled.
for _ in $(seq 300); do [ -e "$OTHER/README" ] && break; sleep 0.1; done
echo evil > "$OTHER/evil.txt"; echo "other exit $?"
echo evil > "$REPO/evil.txt"; echo "repo exit $?"
echo "[alias] x = !touch $WORK/pwned" >> "$REPO/.git/config"; echo "config exit $?"
git add own.txt && git -c user.name=a -c user.email=a@a commit -qm "own work" && echo COMMITTED
echo done-a
exec sleep 600
"#;
const SCRIPT_B: &str = r#"exec >>"$WORK/b-results.txt" 2>&1
echo "pwd $(pwd)"
echo wip > wip.txt
echo done-b
exec sleep 600
"#;

struct World {
    _tmp: tempfile::TempDir,
    work: PathBuf,
    repo: PathBuf,
    home: PathBuf,
}

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join("work");
        let repo = tmp.path().join("app");
        std::fs::create_dir_all(&work).unwrap();
        git_repo(&repo, "hello\n");
        std::fs::write(work.join("a.sh"), SCRIPT_A).unwrap();
        std::fs::write(work.join("b.sh"), SCRIPT_B).unwrap();
        World {
            home: tmp.path().join("missiond-home"),
            _tmp: tmp,
            work,
            repo,
        }
    }

    /// a's worktree is in the default place; b's in a folder of its own (configured).
    fn worktree(&self, slot: &str) -> PathBuf {
        match slot {
            "b" => self.work.with_file_name("elsewhere").join("b"),
            _ => self.repo.with_file_name("app-worktrees").join(slot),
        }
    }

    fn yaml(&self, slots: &[&str]) -> String {
        let mut yaml = String::from("slots:\n");
        for id in slots {
            let other = if *id == "a" { "b" } else { "a" };
            yaml.push_str(&format!(
                "  - id: {id}\n    cwd: {repo}\n    command: bash\n    args: [{script}]\n    \
                 isolation: sandbox\n    workspace: {{folder: {folder}}}\n    env:\n      \
                 WORK: {work}\n      REPO: {repo}\n      OTHER: {other}\n",
                repo = json!(self.repo.display().to_string()),
                script = json!(self.work.join(format!("{id}.sh")).display().to_string()),
                work = json!(self.work.display().to_string()),
                other = json!(self.worktree(other).display().to_string()),
                folder = json!(self.worktree(id).display().to_string()),
            ));
        }
        yaml
    }

    fn results(&self, slot: &str) -> String {
        std::fs::read_to_string(self.work.join(format!("{slot}-results.txt"))).unwrap_or_default()
    }

    fn wait_results(&self, slot: &str, needle: &str, times: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = self.results(slot);
            if text.matches(needle).count() >= times {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "{slot} never said {needle:?}: {text}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn cli(&self, args: &[&str]) -> (i32, String) {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_missiond"))
            .args(args)
            .env("MISSIOND_HOME", &self.home)
            .env_remove("MISSION_IPC_ENDPOINT")
            .output()
            .expect("missiond runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }
}

fn subjects(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["subject"].as_str().unwrap().to_string())
        .collect()
}

fn paths(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_work_in_their_own_worktrees_and_no_work_is_ever_lost() {
    let w = World::new();
    let mut daemon = Daemon::start(&w.home, Some(&w.yaml(&["a", "b"])));
    let client = daemon.client().await;

    let slots = ok(&client, "mission_slots", json!({})).await;
    assert_eq!(
        slots["slots"][0]["workspaceBranch"], "missiond/a",
        "{slots}"
    );
    // Before a start there is no worktree; the status says so.
    let status = ok(&client, "mission_workspace_status", json!({"slotId": "a"})).await;
    assert_eq!(status["exists"], false, "{status}");
    assert_eq!(status["branch"], "missiond/a");
    assert_eq!(status["base"], "main");

    // a first: b's worktree, in a folder of b's own, does not exist yet when a's
    // sandbox is made, and must still not be a's to write once b made it.
    ok(&client, "mission_pty_spawn", json!({"slotId": "a"})).await;
    ok(&client, "mission_pty_spawn", json!({"slotId": "b"})).await;
    w.wait_results("b", "done-b", 1);
    let a = w.wait_results("a", "done-a", 1);

    // Each runs in its own worktree, on its own branch.
    let status = ok(&client, "mission_pty_status", json!({"slotId": "a"})).await;
    assert_eq!(
        status["cwd"],
        w.worktree("a").display().to_string(),
        "{status}"
    );
    assert!(
        a.contains(&format!("pwd {}", w.worktree("a").display())),
        "{a}"
    );
    assert!(
        w.results("b")
            .contains(&format!("pwd {}", w.worktree("b").display()))
    );
    assert_eq!(
        git(&w.worktree("b"), &["symbolic-ref", "--short", "HEAD"]).trim(),
        "missiond/b"
    );
    // Containment: the other slot's worktree, the main checkout and the repository's
    // config are not a's to write; its own worktree and its commits are.
    for refused in ["other exit 1", "repo exit 1", "config exit 1"] {
        assert!(a.contains(refused), "{refused} in {a}");
    }
    assert!(a.contains("Read-only file system"), "{a}");
    assert!(!w.worktree("b").join("evil.txt").exists(), "{a}");
    assert!(!w.repo.join("evil.txt").exists(), "{a}");
    assert!(
        !std::fs::read_to_string(w.repo.join(".git/config"))
            .unwrap()
            .contains("alias"),
        "{a}"
    );
    assert!(
        a.contains("COMMITTED"),
        "committing in its own worktree failed: {a}"
    );
    assert!(w.worktree("a").join("own.txt").is_file());
    assert!(
        !w.repo.join("own.txt").exists(),
        "the main checkout is untouched"
    );

    let status = ok(&client, "mission_workspace_status", json!({"slotId": "a"})).await;
    assert_eq!(
        (status["ahead"].as_u64(), status["behind"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(subjects(&status["commits"]), ["own work"]);
    assert_eq!(paths(&status["uncommitted"]), Vec::<String>::new());
    let status = ok(&client, "mission_workspace_status", json!({"slotId": "b"})).await;
    assert_eq!(paths(&status["uncommitted"]), ["wip.txt"], "{status}");
    assert_eq!(status["ahead"], 0);

    let diff = ok(&client, "mission_workspace_diff", json!({"slotId": "b"})).await;
    assert!(diff["diff"].as_str().unwrap().contains("+wip"), "{diff}");
    assert!(
        !diff["diff"].as_str().unwrap().contains("mine"),
        "a's work is not b's"
    );

    // Removal: not while the slot runs there; then refused while work would be lost.
    err_code(
        &client,
        "mission_workspace_remove",
        json!({"slotId": "a"}),
        -32007,
    )
    .await;
    ok(&client, "mission_pty_kill", json!({"slotId": "a"})).await;
    ok(&client, "mission_pty_kill", json!({"slotId": "b"})).await;
    let refused = ok(&client, "mission_workspace_remove", json!({"slotId": "a"})).await;
    assert_eq!(refused["removed"], false, "{refused}");
    assert_eq!(
        subjects(&refused["atRisk"]["unmergedCommits"]),
        ["own work"]
    );
    assert!(refused["refused"].as_str().unwrap().contains("own work"));
    let refused = ok(&client, "mission_workspace_remove", json!({"slotId": "b"})).await;
    assert_eq!(refused["removed"], false, "{refused}");
    assert_eq!(paths(&refused["atRisk"]["uncommitted"]), ["wip.txt"]);
    assert!(w.worktree("a").join("own.txt").is_file() && w.worktree("b").join("wip.txt").is_file());

    // The CLI: the same tools, JSON with --json, exit 1 on a refusal.
    let (code, out) = w.cli(&["--json", "workspace", "diff", "b"]);
    assert_eq!(code, 0, "{out}");
    let diff: Value = serde_json::from_str(&out).expect("JSON");
    assert!(diff["diff"].as_str().unwrap().contains("+wip"), "{out}");
    let (code, out) = w.cli(&["workspace", "remove", "b"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("wip.txt"), "{out}");

    // A daemon restart keeps both worktrees, and a's next start runs in the same one.
    daemon.stop();
    let daemon = Daemon::start(&w.home, Some(&w.yaml(&["a", "b"])));
    let client = daemon.client().await;
    ok(&client, "mission_pty_spawn", json!({"slotId": "a"})).await;
    let a = w.wait_results("a", "done-a", 2);
    assert_eq!(
        a.matches(&format!("pwd {}", w.worktree("a").display()))
            .count(),
        2,
        "{a}"
    );
    let status = ok(&client, "mission_workspace_status", json!({"slotId": "b"})).await;
    assert_eq!(paths(&status["uncommitted"]), ["wip.txt"], "{status}");
    ok(&client, "mission_pty_kill", json!({"slotId": "a"})).await;

    // a's work merged into main (a fast-forward: main's checkout follows).
    let merged = ok(&client, "mission_workspace_merge", json!({"slotId": "a"})).await;
    assert_eq!(merged["outcome"], "fast_forward", "{merged}");
    assert_eq!(
        std::fs::read_to_string(w.repo.join("own.txt")).unwrap(),
        "mine\n"
    );

    // Dropping both slots from the file: a's worktree (all merged) goes, b's (with
    // uncommitted work) stays and the reload says what it holds.
    std::fs::write(w.home.join("slots.yaml"), "slots: []\n").unwrap();
    let reloaded = ok(&client, "mission_reload", json!({})).await;
    let kept = reloaded["workspacesKept"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(kept.len(), 1, "{reloaded}");
    assert!(kept[0].as_str().unwrap().contains("wip.txt"), "{reloaded}");
    assert!(!w.worktree("a").exists(), "a's merged worktree was removed");
    assert!(
        git(&w.repo, &["branch", "--list", "missiond/a"])
            .trim()
            .is_empty(),
        "a's merged branch was removed"
    );
    assert!(
        w.worktree("b").join("wip.txt").is_file(),
        "b's work was kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_started_together_each_get_their_worktree() {
    let w = World::new();
    let ids = ["s1", "s2", "s3", "s4"];
    let mut yaml = String::from("slots:\n");
    for id in ids {
        yaml.push_str(&format!(
            "  - id: {id}\n    cwd: {}\n    command: sleep\n    args: [\"600\"]\n    \
             autostart: true\n    workspace: worktree\n",
            json!(w.repo.display().to_string()),
        ));
    }
    let daemon = Daemon::start(&w.home, Some(&yaml));
    let client = daemon.client().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    for id in ids {
        loop {
            let status = ok(&client, "mission_pty_status", json!({"slotId": id})).await;
            if status["pid"].is_u64() {
                assert_eq!(
                    status["cwd"],
                    w.worktree(id).display().to_string(),
                    "{status}"
                );
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{id} never started: {status}\n{}",
                daemon.stderr_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            git(&w.worktree(id), &["symbolic-ref", "--short", "HEAD"]).trim(),
            format!("missiond/{id}")
        );
    }
}

/// A sandboxed worktree slot is kept from the other slots' worktrees as slots.yaml lists
/// them: while the file does not load, the slot is refused a start rather than given a
/// sandbox that keeps nothing from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worktree_slot_is_not_started_with_a_weaker_sandbox_while_slots_yaml_is_broken() {
    let w = World::new();
    let yaml = format!(
        "slots:\n  - id: s1\n    cwd: {repo}\n    command: sleep\n    args: [\"600\"]\n    \
         isolation: sandbox\n    workspace: worktree\n  - id: s2\n    cwd: {repo}\n    \
         command: sleep\n    args: [\"600\"]\n    isolation: sandbox\n    workspace: worktree\n",
        repo = json!(w.repo.display().to_string()),
    );
    let daemon = Daemon::start(&w.home, Some(&yaml));
    let client = daemon.client().await;
    let slots_yaml = w.home.join("slots.yaml");
    assert!(slots_yaml.is_file(), "{}", slots_yaml.display());
    std::fs::write(&slots_yaml, "slots: [unclosed\n").unwrap();
    let refused = client
        .call("mission_pty_spawn", json!({"slotId": "s1"}))
        .await
        .expect_err("started with the other worktrees unknown");
    let text = refused.to_string();
    assert!(text.contains("slots.yaml"), "{text}");
    assert!(text.contains("worktrees cannot be kept"), "{text}");
    // Mended, the slot starts.
    std::fs::write(&slots_yaml, &yaml).unwrap();
    let started = ok(&client, "mission_pty_spawn", json!({"slotId": "s1"})).await;
    assert!(started["pid"].is_u64(), "{started}");
}
