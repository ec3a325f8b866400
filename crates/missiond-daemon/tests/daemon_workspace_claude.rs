//! Two REAL Claude Code slots (against mock-anthropic) on one repository, each in its
//! own worktree: each writes a file where it runs; the orchestrator sees each diff
//! through the tools, commits both, merges one cleanly and gets the other's conflict
//! reported with nothing changed; removal is refused with unmerged commits; a daemon
//! restart keeps both worktrees and a slot started again works in its old one.
//! Skipped (with a line on stderr) when Claude Code is not installed, unless
//! MISSIOND_E2E_REQUIRED=1.

mod daemon_support;

use std::path::PathBuf;

use daemon_support::{Daemon, git, git_repo, ok};
use mock_anthropic::offline::{ClaudeHome, claude_env, claude_for_test};
use mock_anthropic::{Scenario, Server};
use serde_json::{Value, json};

/// Each prompt makes Claude Code run one shell command, with a relative path: the file
/// lands in whatever folder the slot runs in.
const SCENARIO: &str = r#"
rules:
  - name: c1 writes
    match: { contains: "write the feature file" }
    steps:
      - text: "Writing it."
        tool_use:
          name: Bash
          input: { command: "echo feature-by-c1 > feature.txt", description: "Write feature.txt" }
      - text: "Wrote feature.txt."
  - name: c2 writes
    match: { contains: "rewrite the readme" }
    steps:
      - text: "Rewriting it."
        tool_use:
          name: Bash
          input: { command: "echo readme-by-c2 > README", description: "Rewrite README" }
      - text: "Rewrote README."
  - name: c1 again
    match: { contains: "write the second file" }
    steps:
      - text: "Writing it."
        tool_use:
          name: Bash
          input: { command: "echo again > again.txt", description: "Write again.txt" }
      - text: "Wrote again.txt."
"#;

/// The agents may echo into files of their folder without a dialog (decided by the
/// daemon's hook). The relative path rules hang off where the slot runs: its worktree,
/// not the repository in its `cwd` (else every write would ask, and the sends fail).
const RULES: &str =
    "roles:\n  coder:\n    allow: [\"Bash(echo *)\", \"Write(*.txt)\", \"Write(README)\"]\n";

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn send(client: &missiond_core::ipc::IpcClient, slot: &str, message: &str) -> Value {
    ok(
        client,
        "mission_pty_send",
        json!({"slotId": slot, "message": message, "timeoutMs": 120000}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_claude_slots_work_apart_and_their_work_is_reviewed_and_merged() {
    let test = "two_claude_slots_work_apart_and_their_work_is_reviewed_and_merged";
    let Some(claude) = claude_for_test(test) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("app");
    git_repo(&repo, "original\n");
    let wt = |slot: &str| tmp.path().join("app-worktrees").join(slot);

    let server = Server::start(Scenario::from_yaml(SCENARIO).expect("scenario")).expect("mock");
    let home = ClaudeHome::create(tmp.path().join("claude-home"), &[&wt("c1"), &wt("c2")])
        .expect("claude home");
    let env: String = claude_env(home.path(), server.base_url())
        .into_iter()
        .map(|(k, v)| format!("      {k}: {}\n", json!(v)))
        .collect();
    let mut yaml = String::from("slots:\n");
    for id in ["c1", "c2"] {
        yaml.push_str(&format!(
            "  - id: {id}\n    role: coder\n    cwd: {}\n    command: {}\n    \
             permission_mode: manual\n    trusted: true\n    workspace: worktree\n    env:\n{env}",
            json!(repo.display().to_string()),
            json!(claude.display().to_string()),
        ));
    }
    let missiond_home = tmp.path().join("missiond-home");
    std::fs::create_dir_all(&missiond_home).unwrap();
    std::fs::write(missiond_home.join("permissions.yaml"), RULES).unwrap();
    let mut daemon = Daemon::start(&missiond_home, Some(&yaml));
    let client = daemon.client().await;

    for id in ["c1", "c2"] {
        let spawned = ok(&client, "mission_pty_spawn", json!({"slotId": id})).await;
        assert_eq!(spawned["state"], "Idle", "{id}: {spawned}");
    }
    let sent = send(&client, "c1", "please write the feature file").await;
    assert_eq!(sent["answer"], "Wrote feature.txt.", "{sent}");
    let sent = send(&client, "c2", "please rewrite the readme").await;
    assert_eq!(sent["answer"], "Rewrote README.", "{sent}");

    // Each wrote in its own worktree; the main checkout and the other are untouched.
    assert_eq!(read(wt("c1").join("feature.txt")), "feature-by-c1\n");
    assert_eq!(read(wt("c2").join("README")), "readme-by-c2\n");
    assert!(!wt("c2").join("feature.txt").exists());
    assert_eq!(read(wt("c1").join("README")), "original\n");
    assert!(!repo.join("feature.txt").exists());
    assert_eq!(read(repo.join("README")), "original\n");

    // The diffs, as the orchestrator sees them.
    let d1 = ok(&client, "mission_workspace_diff", json!({"slotId": "c1"})).await;
    let d1 = d1["diff"].as_str().unwrap().to_string();
    assert!(
        d1.contains("+feature-by-c1") && !d1.contains("readme-by-c2"),
        "{d1}"
    );
    let d2 = ok(&client, "mission_workspace_diff", json!({"slotId": "c2"})).await;
    let d2 = d2["diff"].as_str().unwrap().to_string();
    assert!(
        d2.contains("-original") && d2.contains("+readme-by-c2"),
        "{d2}"
    );
    assert!(!d2.contains("feature"), "{d2}");

    for (id, message) in [("c1", "c1: feature"), ("c2", "c2: readme")] {
        let c = ok(
            &client,
            "mission_workspace_commit",
            json!({"slotId": id, "message": message}),
        )
        .await;
        assert_eq!(c["branch"], format!("missiond/{id}"), "{c}");
    }
    // Meanwhile the base moves on: someone changes README on main.
    std::fs::write(repo.join("README"), "changed on main\n").unwrap();
    git(&repo, &["commit", "--quiet", "-am", "main: readme"]);
    let main_before = git(&repo, &["rev-parse", "main"]);

    let m1 = ok(&client, "mission_workspace_merge", json!({"slotId": "c1"})).await;
    assert_eq!(m1["outcome"], "merge_commit", "{m1}");
    assert_eq!(read(repo.join("feature.txt")), "feature-by-c1\n");
    assert_eq!(read(repo.join("README")), "changed on main\n");
    let main_after_c1 = git(&repo, &["rev-parse", "main"]);
    assert_ne!(main_after_c1, main_before);

    let m2 = ok(&client, "mission_workspace_merge", json!({"slotId": "c2"})).await;
    assert_eq!(m2["outcome"], "conflict", "{m2}");
    assert_eq!(m2["conflicts"], json!(["README"]), "{m2}");
    assert_eq!(
        git(&repo, &["rev-parse", "main"]),
        main_after_c1,
        "main did not move"
    );
    assert_eq!(read(repo.join("README")), "changed on main\n");
    assert!(
        git(&repo, &["status", "--porcelain"]).is_empty(),
        "main's checkout is clean"
    );

    // c2's unmerged commit blocks its removal.
    ok(&client, "mission_pty_kill", json!({"slotId": "c2"})).await;
    let refused = ok(&client, "mission_workspace_remove", json!({"slotId": "c2"})).await;
    assert_eq!(refused["removed"], false, "{refused}");
    assert_eq!(
        refused["atRisk"]["unmergedCommits"][0]["subject"],
        "c2: readme"
    );

    // A daemon restart keeps both worktrees; c1 started again works in its old one.
    ok(&client, "mission_pty_kill", json!({"slotId": "c1"})).await;
    daemon.stop();
    let daemon = Daemon::start(&missiond_home, Some(&yaml));
    let client = daemon.client().await;
    let s2 = ok(&client, "mission_workspace_status", json!({"slotId": "c2"})).await;
    assert_eq!(s2["exists"], true, "{s2}");
    assert_eq!(s2["ahead"], 1, "{s2}");
    let spawned = ok(&client, "mission_pty_spawn", json!({"slotId": "c1"})).await;
    assert_eq!(spawned["state"], "Idle", "{spawned}");
    let sent = send(&client, "c1", "now write the second file").await;
    assert_eq!(sent["answer"], "Wrote again.txt.", "{sent}");
    assert_eq!(read(wt("c1").join("again.txt")), "again\n");
    assert_eq!(read(wt("c1").join("feature.txt")), "feature-by-c1\n");
    let s1 = ok(&client, "mission_workspace_status", json!({"slotId": "c1"})).await;
    let uncommitted: Vec<&str> = s1["uncommitted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(uncommitted, ["again.txt"], "{s1}");

    // A task may ask for a fresh worktree: refused (the task fails, nothing changes)
    // while c1's worktree holds uncommitted work...
    let task = submit_fresh(&client, "c1").await;
    assert_eq!(task["status"], "failed", "{task}");
    assert!(
        task["error"].as_str().unwrap().contains("again.txt"),
        "{task}"
    );
    assert_eq!(read(wt("c1").join("again.txt")), "again\n");
    // ... and granted once it is committed and merged: the task then runs on the base's
    // current head (main's README change included).
    ok(
        &client,
        "mission_workspace_commit",
        json!({"slotId": "c1", "message": "c1: again"}),
    )
    .await;
    let m = ok(&client, "mission_workspace_merge", json!({"slotId": "c1"})).await;
    assert_eq!(m["outcome"], "merge_commit", "{m}");
    let task = submit_fresh(&client, "c1").await;
    assert_eq!(task["status"], "done", "{task}");
    assert_eq!(task["result"], "Wrote again.txt.", "{task}");
    assert_eq!(read(wt("c1").join("README")), "changed on main\n");
    assert_eq!(
        git(&wt("c1"), &["rev-parse", "HEAD"]),
        git(&repo, &["rev-parse", "main"]),
        "the worktree started from main's head"
    );
}

/// Submits "write the second file" to `slot` with a fresh worktree and waits for the
/// task to end; its `mission_task` entry.
async fn submit_fresh(client: &missiond_core::ipc::IpcClient, slot: &str) -> Value {
    let submitted = ok(
        client,
        "mission_submit",
        json!({"prompt": "now write the second file", "slotId": slot, "freshWorkspace": true}),
    )
    .await;
    let id = submitted["taskId"].clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    loop {
        let got = ok(client, "mission_task", json!({"taskIds": [id]})).await;
        let task = got["tasks"][0].clone();
        if matches!(
            task["status"].as_str(),
            Some("done" | "failed" | "cancelled")
        ) {
            return task;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the task never ended: {task}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
