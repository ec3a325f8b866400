//! The memory slot (the REAL Claude Code against mock-anthropic) SIGKILLed in the middle
//! of a memory turn, holding queued conversations: it is brought back and extraction
//! resumes, every queued conversation extracted once, none lost. Skipped (with a line on
//! stderr) when Claude Code is not installed, unless MISSIOND_E2E_REQUIRED=1.

mod daemon_support;
mod lifecycle_support;

use std::time::{Duration, Instant};

use daemon_support::{Daemon, ok};
use lifecycle_support::{build_mission_mcp, signal, spawn_idle, status};
use missiond_core::ipc::IpcClient;
use mock_anthropic::offline::{ClaudeHome, claude_env, claude_for_test};
use mock_anthropic::{Scenario, Server};
use serde_json::{Value, json};

const LONG: Duration = Duration::from_secs(300);

/// The memory slot's first turn takes the work and hangs (killed there); every later
/// turn takes the work and finishes items 1 and 2.
const SCENARIO: &str = r#"
rules:
  - name: worker
    match: { contains: "WORKER-" }
    steps:
      - text: "Noted, the build server is kiwi-7."
  - name: memory hangs holding the work
    match: { contains: "MEMORY-EXTRACT-NOW" }
    once: true
    steps:
      - text: "Taking work."
        tool_use: { name: mcp__mission__mission_memory_pending, input: {} }
      - first_token_delay_ms: 600000
        text: "Never gets here."
  - name: memory finishes
    match: { contains: "MEMORY-EXTRACT-NOW" }
    steps:
      - text: "Taking work."
        tool_use: { name: mcp__mission__mission_memory_pending, input: {} }
      - text: "Finishing."
        tool_use: { name: mcp__mission__mission_memory_done, input: { ids: [1, 2] } }
      - text: "Done."
"#;

async fn memory_status(client: &IpcClient) -> Value {
    ok(client, "mission_memory_status", json!({})).await
}

async fn wait_for(client: &IpcClient, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + LONG;
    loop {
        let status = memory_status(client).await;
        if pred(&status) {
            return status;
        }
        assert!(Instant::now() < deadline, "never {what}: {status}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_memory_slot_comes_back_and_extracts_everything_queued() {
    let test = "a_killed_memory_slot_comes_back_and_extracts_everything_queued";
    let Some(claude) = claude_for_test(test) else {
        return;
    };
    build_mission_mcp();
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    let server = Server::start(Scenario::from_yaml(SCENARIO).unwrap()).unwrap();
    let home = ClaudeHome::create(tmp.path().join("claude-home"), &[&proj]).unwrap();
    let env: String = claude_env(home.path(), server.base_url())
        .into_iter()
        .map(|(k, v)| format!("      {k}: {}\n", json!(v)))
        .collect();
    let mut yaml = String::from("slots:\n");
    for (id, role) in [("w1", "coder"), ("mem", "memory")] {
        yaml.push_str(&format!(
            "  - id: {id}\n    role: {role}\n    cwd: {}\n    command: {}\n    \
             permission_mode: manual\n    env:\n{env}",
            json!(proj.display().to_string()),
            json!(claude.display().to_string()),
        ));
    }
    let missiond_home = tmp.path().join("missiond-home");
    std::fs::create_dir_all(&missiond_home).unwrap();
    std::fs::write(
        missiond_home.join("memory-prompt.md"),
        "MEMORY-EXTRACT-NOW: take the waiting work.",
    )
    .unwrap();
    std::fs::write(
        missiond_home.join("memory.yaml"),
        "extraction:\n  deepEveryMinutes: 0\n  turnTimeoutMinutes: 30\n",
    )
    .unwrap();
    let daemon = Daemon::start(&missiond_home, Some(&yaml));
    let client = daemon.client().await;

    // Two conversations wait while extraction is paused.
    ok(&client, "mission_memory_pause", json!({"ttlMinutes": 60})).await;
    spawn_idle(&client, "w1").await;
    let (pid, _) = spawn_idle(&client, "mem").await;
    for prompt in ["WORKER-ONE: where do we build?", "WORKER-TWO: and test?"] {
        let sent = ok(
            &client,
            "mission_pty_send",
            json!({"slotId": "w1", "message": prompt, "timeoutMs": 180000}),
        )
        .await;
        assert_eq!(
            sent["answer"], "Noted, the build server is kiwi-7.",
            "{sent}"
        );
    }
    wait_for(&client, "queued both turns", |s| {
        s["counts"]["pendingRealtime"] == 2
    })
    .await;

    // Resumed: the memory slot takes both and hangs; killed there.
    ok(&client, "mission_memory_resume", json!({})).await;
    wait_for(&client, "leased both items", |s| s["counts"]["leased"] == 2).await;
    signal(pid, libc::SIGKILL);

    // Brought back (a new process), prompted again, and both items extracted once.
    let done = wait_for(&client, "extracted both items after the kill", |s| {
        s["counts"]["done"] == 2
    })
    .await;
    assert_eq!(done["counts"]["leased"], 0, "{done}");
    assert_eq!(done["counts"]["failed"], 0, "{done}");
    assert_eq!(done["counts"]["pendingRealtime"], 0, "{done}");
    let back = status(&client, "mem").await;
    let new_pid = back["pid"].as_i64().unwrap_or(0);
    assert!(new_pid != 0 && new_pid != pid, "{back}");
    // The turn after the kill was handed both conversations again (their second lease:
    // the killed turn's first one came back to the queue).
    let results: Vec<String> = server
        .requests()
        .iter()
        .flat_map(|r| r.tool_results.clone())
        .map(|r| r.content)
        .collect();
    let handed: Vec<Value> = results
        .iter()
        .filter_map(|r| serde_json::from_str::<Value>(r).ok())
        .filter(|v| v["items"].is_array())
        .collect();
    let again = handed
        .iter()
        .find(|v| {
            let items = v["items"].as_array().unwrap();
            let ids: Vec<i64> = items.iter().filter_map(|i| i["id"].as_i64()).collect();
            ids == [1, 2] && items.iter().all(|i| i["attempts"] == 2)
        })
        .unwrap_or_else(|| panic!("no second lease of items 1 and 2: {results:#?}"));
    let text = again.to_string();
    assert!(
        text.contains("WORKER-ONE") && text.contains("WORKER-TWO"),
        "{text}"
    );
}
