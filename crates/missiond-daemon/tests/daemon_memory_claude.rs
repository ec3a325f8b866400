//! Memory extraction and knowledge injection with the REAL Claude Code against
//! mock-anthropic: a worker's finished turn becomes an item, the daemon prompts the
//! memory slot (scripted to take it, remember a fact and finish it), and the worker's
//! next prompt carries that fact in its `additionalContext`; a pause holds the memory
//! slot back until its TTL runs out; a memory slot killed mid-item hands the item back.
//! Skipped (with a line on stderr) when Claude Code is not installed, unless
//! MISSIOND_E2E_REQUIRED=1.

mod daemon_support;
mod lifecycle_support;

use std::path::Path;
use std::time::{Duration, Instant};

use daemon_support::{Daemon, ok};
use lifecycle_support::{build_mission_mcp, signal, spawn_idle};
use missiond_core::ipc::IpcClient;
use mock_anthropic::offline::{ClaudeHome, claude_env, claude_for_test};
use mock_anthropic::{Scenario, Server};
use serde_json::{Value, json};

const LONG: Duration = Duration::from_secs(240);

/// The worker learns something in its first turn; the memory slot's first turn keeps
/// it; later turns of the memory slot finish item 2, or (once) stall after taking work.
const SCENARIO: &str = r#"
rules:
  - name: worker learns
    match: { contains: "WORKER-ONE" }
    steps:
      - text: "We deploy with ./ship-it.sh --zebra-mode, nothing else works."
  - name: worker again
    match: { contains: "WORKER-" }
    steps:
      - text: "On it."
  - name: memory keeps the deploy command
    match: { contains: "MEMORY-EXTRACT-NOW" }
    once: true
    steps:
      - text: "Taking work."
        tool_use: { name: mcp__mission__mission_memory_pending, input: {} }
      - text: "Keeping the deploy command."
        tool_use:
          name: mcp__mission__mission_kb_remember
          input: { key: "deploy/zebra", title: "Deploy command", content: "Deploy with ./ship-it.sh --zebra-mode", category: "howto", tier: "core", conversation: "item-1" }
      - text: "Finishing."
        tool_use: { name: mcp__mission__mission_memory_done, input: { ids: [1] } }
      - text: "Stored 1 entry."
  - name: memory finishes the second item
    match: { contains: "MEMORY-EXTRACT-NOW" }
    once: true
    steps:
      - text: "Taking work."
        tool_use: { name: mcp__mission__mission_memory_pending, input: {} }
      - text: "Nothing new."
        tool_use: { name: mcp__mission__mission_memory_done, input: { ids: [2] } }
      - text: "Stored 0 entries."
  - name: memory stalls
    match: { contains: "MEMORY-EXTRACT-NOW" }
    steps:
      - text: "Taking work."
        tool_use: { name: mcp__mission__mission_memory_pending, input: {} }
      - first_token_delay_ms: 600000
        text: "Never gets here."
"#;

struct World {
    _tmp: tempfile::TempDir,
    home: std::path::PathBuf,
    server: Server,
    daemon: Daemon,
}

/// A worker `w1` (role coder) and a memory slot `mem` (role memory).
fn world(test: &str) -> Option<World> {
    let claude = claude_for_test(test)?;
    build_mission_mcp();
    let tmp = tempfile::tempdir().expect("tempdir");
    let proj = tmp.path().join("proj");
    std::fs::create_dir_all(&proj).expect("proj");
    let server = Server::start(Scenario::from_yaml(SCENARIO).expect("scenario")).expect("mock");
    let home = ClaudeHome::create(tmp.path().join("claude-home"), &[&proj]).expect("claude home");
    let env: String = claude_env(home.path(), server.base_url())
        .into_iter()
        .map(|(k, v)| format!("      {k}: {}\n", json!(v)))
        .collect();
    let mut yaml = String::from("slots:\n");
    for (id, role) in [("w1", "coder"), ("mem", "memory")] {
        yaml.push_str(&format!(
            "  - id: {id}\n    role: {role}\n    cwd: {}\n    command: {}\n    permission_mode: manual\n    env:\n{env}",
            json!(proj.display().to_string()),
            json!(claude.display().to_string()),
        ));
    }
    let missiond_home = tmp.path().join("missiond-home");
    write(
        &missiond_home,
        "memory-prompt.md",
        "MEMORY-EXTRACT-NOW: take the waiting work.",
    );
    write(
        &missiond_home,
        "memory.yaml",
        "extraction:\n  deepEveryMinutes: 0\n  turnTimeoutMinutes: 30\n",
    );
    let daemon = Daemon::start(&missiond_home, Some(&yaml));
    let missiond_home = missiond_home.clone();
    Some(World {
        _tmp: tmp,
        home: missiond_home,
        server,
        daemon,
    })
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::create_dir_all(dir).expect("home");
    std::fs::write(dir.join(name), text).expect("write");
}

async fn wait_for(client: &IpcClient, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + LONG;
    loop {
        let status = ok(client, "mission_memory_status", json!({})).await;
        if pred(&status) {
            return status;
        }
        assert!(Instant::now() < deadline, "never {what}: {status}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn send(client: &IpcClient, slot: &str, message: &str) -> Value {
    ok(
        client,
        "mission_pty_send",
        json!({"slotId": slot, "message": message, "timeoutMs": 180000}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learned_fact_reaches_the_workers_next_prompt_and_pauses_hold_the_memory_slot() {
    let Some(w) = world("a_learned_fact_reaches_the_workers_next_prompt") else {
        return;
    };
    let client = w.daemon.client().await;
    spawn_idle(&client, "w1").await;
    spawn_idle(&client, "mem").await;

    let first = send(&client, "w1", "WORKER-ONE: how do we deploy?").await;
    assert!(
        first["answer"].as_str().unwrap().contains("zebra-mode"),
        "{first}"
    );
    // The daemon prompts the memory slot, which takes the item, keeps the fact, ends it.
    let status = wait_for(&client, "extracted the item", |s| s["counts"]["done"] == 1).await;
    assert_eq!(status["memorySlots"], json!(["mem"]));
    let fact = ok(&client, "mission_kb_get", json!({"key": "deploy/zebra"})).await;
    assert_eq!(fact["entry"]["source"], "mem", "{fact}");
    let results: Vec<_> = w
        .server
        .requests()
        .iter()
        .flat_map(|r| r.tool_results.clone())
        .collect();
    let pending = results
        .iter()
        .find(|r| r.content.contains("WORKER-ONE"))
        .unwrap_or_else(|| panic!("no item text reached the memory slot: {results:#?}"));
    assert!(!pending.is_error && pending.content.contains("zebra-mode"));
    assert!(results.iter().all(|r| !r.is_error), "{results:#?}");

    // The worker's next prompt carries the fact in its additionalContext.
    let hits = |list: &Value| list["entries"][0]["hits"].as_u64().expect("hits");
    let hits_before = hits(&ok(&client, "mission_kb_list", json!({})).await);
    send(&client, "w1", "WORKER-TWO: deploy the zebra build please").await;
    let requests = w.server.requests();
    let second = requests
        .iter()
        .find(|r| r.last_user_text.contains("WORKER-TWO"))
        .expect("the second prompt reached the model");
    assert!(
        second.injected_text.contains("./ship-it.sh --zebra-mode"),
        "no knowledge in the prompt's context: {:?}; prompt: {:?}; injections logged: {:?}",
        second.injected_text,
        second.last_user_text,
        missiond_core::store::Store::open(&w.home.join("mission.db"))
            .and_then(|s| s.kb_injections("w1", 10))
    );
    assert!(
        !second.last_user_text.contains("ship-it.sh"),
        "the knowledge is context, not the prompt: {}",
        second.last_user_text
    );
    let listed = ok(&client, "mission_kb_list", json!({})).await;
    assert_eq!(
        hits(&listed),
        hits_before + 1,
        "the injection counts a hit: {listed}"
    );
    // The memory slot's own prompts get no knowledge (role memory is off by default).
    assert!(
        requests
            .iter()
            .filter(|r| r.last_user_text.contains("MEMORY-EXTRACT-NOW"))
            .all(|r| !r.injected_text.contains("ship-it.sh"))
    );

    // Paused: the turn that just ended waits in the queue; the memory slot is not
    // prompted until the pause runs out by itself.
    let prompts = |s: &Server| {
        s.requests()
            .iter()
            .filter(|r| r.last_user_text.contains("MEMORY-EXTRACT-NOW"))
            .count()
    };
    let paused = ok(&client, "mission_memory_pause", json!({"ttlMinutes": 0.25})).await;
    assert!(paused["pausedUntil"].is_string(), "{paused}");
    let before = prompts(&w.server);
    wait_for(&client, "queued the second turn", |s| {
        s["counts"]["pendingRealtime"] == 1
    })
    .await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(prompts(&w.server), before, "prompted while paused");
    let done = wait_for(&client, "resumed by itself", |s| s["counts"]["done"] == 2).await;
    assert!(done["pausedUntil"].is_null(), "{done}");
    assert_eq!(prompts(&w.server), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memory_slot_killed_mid_item_hands_it_back() {
    let Some(w) = world("a_memory_slot_killed_mid_item_hands_it_back") else {
        return;
    };
    let client = w.daemon.client().await;
    spawn_idle(&client, "w1").await;
    // The memory slot's two scripted finishing turns are used up first, so its next
    // turn takes the item and stalls.
    ok(&client, "mission_memory_pause", json!({"ttlMinutes": 60})).await;
    let (pid, _) = spawn_idle(&client, "mem").await;
    for _ in 0..2 {
        send(&client, "mem", "MEMORY-EXTRACT-NOW: warm-up").await;
    }
    ok(&client, "mission_memory_resume", json!({})).await;
    send(&client, "w1", "WORKER-ONE: how do we deploy?").await;
    wait_for(&client, "leased the item", |s| s["counts"]["leased"] == 1).await;

    ok(&client, "mission_memory_pause", json!({"ttlMinutes": 60})).await;
    signal(pid, libc::SIGKILL);
    let back = wait_for(&client, "requeued the item", |s| {
        s["counts"]["leased"] == 0 && s["counts"]["pendingRealtime"] == 1
    })
    .await;
    assert_eq!(back["counts"]["done"], 0, "{back}");
}
