//! Requests that must survive a daemon restart (the real daemon stopped and started
//! again on the same home and SQLite file): a queued task that asked for a fresh
//! worktree (with the REAL Claude Code against mock-anthropic; skipped with a line on
//! stderr when it is not installed, unless MISSIOND_E2E_REQUIRED=1), and knowledge
//! upkeep proposals made before the restart and applied after it.

mod daemon_support;

use std::path::Path;
use std::time::{Duration, Instant};

use daemon_support::{Daemon, err_code, git, git_repo, ok};
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
    git_repo(&repo, "original\n");
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

const INVALID_PARAMS: i32 = -32602;

const ANALYZE_SCENARIO: &str = r####"
rules:
  - name: proposals
    match: { contains: "### entry", without_tools: true }
    steps:
      - text: |
          {"proposals": [
            {"kind": "merge", "ids": [1, 2], "keep": 1, "title": "Primary database",
             "content": "The primary database is at 10.0.0.5:5432.", "reason": "the same fact"},
            {"kind": "stale", "ids": [3], "reason": "python2 is gone"},
            {"kind": "stale", "ids": [4], "reason": "made up"}
          ]}
"####;

fn credentials(home: &Path, url: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(home).unwrap();
    let path = home.join("credentials.json");
    std::fs::write(
        &path,
        format!(r#"{{"auth_url": "{url}", "api_key": "sk-durable-test", "model": "kb-model"}}"#),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

async fn remember(client: &IpcClient, key: &str, content: &str) -> i64 {
    let r = ok(
        client,
        "mission_kb_remember",
        json!({"key": key, "content": content, "category": "infra"}),
    )
    .await;
    r["entry"]["id"].as_i64().unwrap()
}

/// `mission_kb_apply` of `ids`, expected to fail with invalid_params; its message.
async fn refused(client: &IpcClient, ids: Value) -> String {
    let data = err_code(
        client,
        "mission_kb_apply",
        json!({"proposalIds": ids}),
        INVALID_PARAMS,
    )
    .await;
    assert_eq!(data["field"], "proposalIds", "{data}");
    let err = client
        .call("mission_kb_apply", json!({"proposalIds": ids}))
        .await
        .unwrap_err();
    err.rpc().unwrap().message.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn knowledge_proposals_are_applied_after_a_restart_and_stay_decided() {
    let server = Server::start(Scenario::from_yaml(ANALYZE_SCENARIO).unwrap()).unwrap();
    let dir = tempfile::Builder::new()
        .prefix("kb-durable")
        .tempdir()
        .unwrap();
    let home = dir.path();
    credentials(home, server.base_url());

    // Made by one daemon...
    let mut daemon = Daemon::start(home, Some("slots: []\n"));
    let client = daemon.client().await;
    let ids = [
        remember(&client, "db/a", "Primary database: 10.0.0.5:5432.").await,
        remember(&client, "db/b", "The main DB lives on 10.0.0.5.").await,
        remember(&client, "old", "Run the scripts with python2.").await,
        remember(&client, "deploy", "Deploy with make deploy.").await,
    ];
    assert_eq!(ids, [1, 2, 3, 4]);
    let analysis = ok(&client, "mission_kb_analyze", json!({})).await;
    let proposals = analysis["proposals"].as_array().unwrap().clone();
    assert_eq!(proposals.len(), 3, "{analysis}");
    let id = |n: usize| proposals[n]["id"].clone();
    assert!(daemon.stop().success());

    // ... applied by the next: the merge applies, the proposal on an entry changed
    // since the analysis is skipped.
    let mut daemon = Daemon::start(home, Some("slots: []\n"));
    let client = daemon.client().await;
    remember(&client, "deploy", "Deploy with make release.").await;
    let applied = ok(
        &client,
        "mission_kb_apply",
        json!({"proposalIds": [id(0), id(2)]}),
    )
    .await;
    let results = applied["results"].as_array().unwrap();
    assert_eq!(results[0]["status"], "applied", "{applied}");
    assert_eq!(results[0]["deleted"], json!([2]));
    assert_eq!(results[1]["status"], "skipped", "{applied}");
    let merged = ok(&client, "mission_kb_get", json!({"id": 1})).await;
    assert_eq!(
        merged["entry"]["content"],
        "The primary database is at 10.0.0.5:5432."
    );
    assert!(daemon.stop().success());

    // After another restart the decided ones stay decided: naming one again applies
    // nothing (not even the waiting stale one named with it), and says how it went.
    let daemon = Daemon::start(home, Some("slots: []\n"));
    let client = daemon.client().await;
    let message = refused(&client, json!([id(1), id(0)])).await;
    assert!(message.contains("applied already"), "{message}");
    let message = refused(&client, json!([id(2)])).await;
    assert!(message.contains("skipped already"), "{message}");
    assert!(message.contains("changed since the analysis"), "{message}");
    ok(&client, "mission_kb_get", json!({"id": 3})).await;
    let message = refused(&client, json!(["kbp-77"])).await;
    assert!(message.contains("unknown"), "{message}");
    // The one still waiting applies.
    let applied = ok(&client, "mission_kb_apply", json!({"proposalIds": [id(1)]})).await;
    assert_eq!(applied["results"][0]["status"], "applied", "{applied}");
    err_code(&client, "mission_kb_get", json!({"id": 3}), INVALID_PARAMS).await;
    // A new analysis numbers on: no id of before is given again.
    let again = ok(&client, "mission_kb_analyze", json!({})).await;
    let new_ids: Vec<&Value> = again["proposals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["id"])
        .collect();
    for n in 0..3 {
        assert!(!new_ids.contains(&&id(n)), "{again}");
    }
}
