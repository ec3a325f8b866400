//! Requests that must survive a daemon restart (the real daemon stopped and started
//! again on the same home and SQLite file): a queued task that asked for a fresh
//! worktree (with the REAL Claude Code against mock-anthropic; skipped with a line on
//! stderr when it is not installed, unless MISSIOND_E2E_REQUIRED=1), and knowledge
//! upkeep proposals made before the restart and applied after it.

mod daemon_support;

use std::time::{Duration, Instant};

use daemon_support::{Daemon, git, ok};
use missiond_core::ipc::IpcClient;
use mock_anthropic::offline::{ClaudeHome, claude_env, claude_for_test};
use mock_anthropic::{Scenario, Server};
use serde_json::{Value, json};

const FRESH_SCENARIO: &str = r#"
rules:
  - name: the task
    match: { contains: "read the readme" }
    steps:
      - text: "Read it."
"#;

/// Polls `mission_task` until the task ends; its entry.
async fn wait_task(client: &IpcClient, id: &Value) -> Value {
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        let got = ok(client, "mission_task", json!({"taskIds": [id]})).await;
        let task = got["tasks"][0].clone();
        if matches!(
            task["status"].as_str(),
            Some("done" | "failed" | "cancelled")
        ) {
            return task;
        }
        assert!(Instant::now() < deadline, "the task never ended: {task}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_fresh_worktree_task_starts_fresh_after_a_daemon_restart() {
    let test = "a_queued_fresh_worktree_task_starts_fresh_after_a_daemon_restart";
    let Some(claude) = claude_for_test(test) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("app");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "--quiet", "-b", "main"]);
    std::fs::write(repo.join("README"), "original\n").unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "--quiet", "-m", "first"]);
    let wt = tmp.path().join("app-worktrees").join("c1");

    let server = Server::start(Scenario::from_yaml(FRESH_SCENARIO).unwrap()).unwrap();
    let home = ClaudeHome::create(tmp.path().join("claude-home"), &[&wt]).unwrap();
    let env: String = claude_env(home.path(), server.base_url())
        .into_iter()
        .map(|(k, v)| format!("      {k}: {}\n", json!(v)))
        .collect();
    let yaml = format!(
        "slots:\n  - id: c1\n    role: coder\n    cwd: {}\n    command: {}\n    \
         permission_mode: manual\n    trusted: true\n    workspace: worktree\n    env:\n{env}",
        json!(repo.display().to_string()),
        json!(claude.display().to_string()),
    );
    let missiond_home = tmp.path().join("missiond-home");
    let mut daemon = Daemon::start(&missiond_home, Some(&yaml));
    let client = daemon.client().await;
    // The first start makes the worktree on main's head; then the slot is stopped by
    // hand, so a task for it waits in the queue.
    let spawned = ok(&client, "mission_pty_spawn", json!({"slotId": "c1"})).await;
    assert_eq!(spawned["state"], "Idle", "{spawned}");
    ok(&client, "mission_pty_kill", json!({"slotId": "c1"})).await;
    let first_head = git(&repo, &["rev-parse", "main"]);
    assert_eq!(git(&wt, &["rev-parse", "HEAD"]), first_head);

    // Main moves on; the task asks for a fresh worktree and is still queued when the
    // daemon stops.
    std::fs::write(repo.join("README"), "changed on main\n").unwrap();
    git(&repo, &["commit", "--quiet", "-am", "main: readme"]);
    let submitted = ok(
        &client,
        "mission_submit",
        json!({"prompt": "please read the readme", "slotId": "c1", "freshWorkspace": true}),
    )
    .await;
    assert_eq!(submitted["status"], "queued", "{submitted}");
    let task_id = submitted["taskId"].clone();
    let status = daemon.stop();
    assert!(status.success(), "missiond exited with {status}");
    assert_eq!(
        git(&wt, &["rev-parse", "HEAD"]),
        first_head,
        "nothing was made fresh before the restart"
    );

    // The restarted daemon starts the slot for the task, fresh: main's head.
    let daemon = Daemon::start(&missiond_home, Some(&yaml));
    let client = daemon.client().await;
    let task = wait_task(&client, &task_id).await;
    assert_eq!(task["status"], "done", "{task}");
    assert_eq!(task["result"], "Read it.", "{task}");
    assert_eq!(
        git(&wt, &["rev-parse", "HEAD"]),
        git(&repo, &["rev-parse", "main"]),
        "the task ran in a worktree brought to main's head"
    );
    assert_eq!(
        std::fs::read_to_string(wt.join("README")).unwrap(),
        "changed on main\n"
    );
}
