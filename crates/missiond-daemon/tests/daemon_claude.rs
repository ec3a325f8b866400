//! The daemon driving the REAL Claude Code against mock-anthropic: exact answers, two
//! slots at once, a Bash permission dialog answered yes and no, start-up folder trust,
//! interrupt and kill. Skipped (with a line on stderr) when Claude Code is not installed,
//! unless MISSIOND_E2E_REQUIRED=1.

mod daemon_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use daemon_support::{Daemon, err_code, ok, process_exists, wait_status};
use mock_anthropic::offline::{ClaudeHome, claude_env, claude_for_test};
use mock_anthropic::{Scenario, Server};
use serde_json::{Value, json};

const SCENARIO: &str = r#"
rules:
  - name: exact
    match: { contains: "exact answer" }
    steps:
      - text: "Line one of the answer, with `code`, **bold** and ünïcode ✓.\n\n- a list item\n- another: 42"
  - name: multi-line prompt
    match: { contains: "second line of the prompt" }
    steps:
      - text: "Got both lines."
  - name: first slot
    match: { contains: "who is first" }
    steps:
      - first_token_delay_ms: 600
        text: "Slot one answers: alpha."
  - name: second slot
    match: { contains: "who is second" }
    steps:
      - first_token_delay_ms: 300
        text: "Slot two answers: beta."
  - name: write allowed
    match: { contains: "write the yes file" }
    steps:
      - text: "I'll write it."
        tool_use:
          name: Bash
          input: { command: "echo yes-content > yes.txt", description: "Write yes.txt" }
      - text: "Wrote yes.txt."
  - name: write refused
    match: { contains: "write the no file" }
    steps:
      - text: "I'll write it."
        tool_use:
          name: Bash
          input: { command: "echo no-content > no.txt", description: "Write no.txt" }
      - text: "Wrote no.txt."
  - name: slow
    match: { contains: "slow story" }
    steps:
      - first_token_delay_ms: 1000
        chunk_chars: 4
        chunk_delay_ms: 300
        text: "Once upon a time there was a very slow story that took a long while to tell, one small piece at a time, until someone pressed escape."
"#;

/// A mock server, a Claude home trusting `proj`, and a daemon with `slots` slots named
/// c1, c2, ... (plus `untrusted`/`trusted` slots in a folder Claude Code does not trust).
struct World {
    _tmp: tempfile::TempDir,
    server: Server,
    daemon: Daemon,
    proj: PathBuf,
    fresh: PathBuf,
    claude_home: PathBuf,
}

fn world(test: &str, slots: usize) -> Option<World> {
    let claude = claude_for_test(test)?;
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("proj");
    let fresh = tmp.path().join("fresh");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::create_dir_all(&fresh).unwrap();
    let server = Server::start(Scenario::from_yaml(SCENARIO).expect("scenario")).expect("mock");
    let home = ClaudeHome::create(tmp.path().join("claude-home"), &[&proj]).expect("claude home");
    let env: String = claude_env(home.path(), server.base_url())
        .into_iter()
        .map(|(k, v)| format!("      {k}: {}\n", json!(v)))
        .collect();
    let slot = |id: &str, cwd: &Path, extra: &str| {
        format!(
            "  - id: {id}\n    role: coder\n    cwd: {}\n    command: {}\n    permission_mode: manual\n{extra}    env:\n{env}",
            json!(cwd.display().to_string()),
            json!(claude.display().to_string()),
        )
    };
    let mut yaml = String::from("slots:\n");
    for n in 1..=slots {
        yaml.push_str(&slot(&format!("c{n}"), &proj, ""));
    }
    yaml.push_str(&slot("untrusted", &fresh, ""));
    yaml.push_str(&slot("trusted", &fresh, "    trusted: true\n"));
    let daemon = Daemon::start(&tmp.path().join("missiond-home"), Some(&yaml));
    Some(World {
        claude_home: home.path().to_path_buf(),
        _tmp: tmp,
        server,
        daemon,
        proj,
        fresh,
    })
}

const TURN: Duration = Duration::from_secs(60);

async fn spawn_idle(client: &missiond_core::ipc::IpcClient, slot: &str) -> Value {
    let spawned = ok(client, "mission_pty_spawn", json!({"slotId": slot})).await;
    assert_eq!(
        spawned["state"], "Idle",
        "{slot} did not become idle: {spawned}"
    );
    spawned
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_returns_the_exact_answer_and_records_the_turn() {
    let Some(w) = world("send_returns_the_exact_answer_and_records_the_turn", 1) else {
        return;
    };
    let client = w.daemon.client().await;
    let spawned = spawn_idle(&client, "c1").await;
    let session = spawned["sessionId"]
        .as_str()
        .expect("session id")
        .to_string();

    let sent = ok(
        &client,
        "mission_pty_send",
        json!({"slotId": "c1", "message": "give me the exact answer", "timeoutMs": 60000}),
    )
    .await;
    let expected = "Line one of the answer, with `code`, **bold** and ünïcode ✓.\n\n- a list item\n- another: 42";
    assert_eq!(sent["answer"], expected, "{sent}");
    assert_eq!(sent["state"], "Idle");

    // A prompt over several lines is pasted whole, then submitted once.
    let sent = ok(
        &client,
        "mission_pty_send",
        json!({"slotId": "c1", "message": "first line of the prompt\nsecond line of the prompt"}),
    )
    .await;
    assert_eq!(sent["answer"], "Got both lines.", "{sent}");
    let prompts: Vec<String> = w
        .server
        .requests()
        .iter()
        .map(|r| r.last_user_text.clone())
        .collect();
    assert!(
        prompts
            .iter()
            .any(|p| p.contains("first line of the prompt\nsecond line of the prompt")),
        "the model never saw both lines together: {prompts:?}"
    );

    let history = ok(&client, "mission_pty_history", json!({"slotId": "c1"})).await;
    let turns = history["turns"].as_array().expect("turns");
    assert_eq!(turns.len(), 2, "{history}");
    assert_eq!(turns[0]["prompt"], "give me the exact answer");
    assert_eq!(turns[0]["answer"], expected);
    assert_eq!(turns[0]["sessionId"], session.as_str());

    let status = ok(&client, "mission_pty_status", json!({"slotId": "c1"})).await;
    assert_eq!(status["sessionId"], session.as_str());
    assert_eq!(status["role"], "coder");
    // The daemon chose the session id, so the transcript is where it said it would be.
    let projects = w.claude_home.join(".claude/projects");
    let found = std::fs::read_dir(&projects)
        .unwrap()
        .flatten()
        .any(|d| d.path().join(format!("{session}.jsonl")).is_file());
    assert!(
        found,
        "no transcript {session}.jsonl under {}",
        projects.display()
    );

    // Busy: a second prompt while the first is still running is refused.
    let slow = {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .call(
                    "mission_pty_send",
                    json!({"slotId": "c1", "message": "a slow story please"}),
                )
                .await
        })
    };
    // Wait until the model has the slow prompt: the slot is then surely mid-turn.
    let asked = || {
        w.server
            .requests()
            .iter()
            .any(|r| r.last_user_text.contains("a slow story please"))
    };
    for _ in 0..600 {
        if asked() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(asked(), "the slow prompt never reached the model");
    err_code(
        &client,
        "mission_pty_send",
        json!({"slotId": "c1", "message": "exact answer"}),
        -32003,
    )
    .await;
    ok(&client, "mission_pty_interrupt", json!({"slotId": "c1"})).await;
    // The waiting send returns, saying its turn was interrupted (not an empty answer
    // passed off as a finished one).
    let sent = slow
        .await
        .expect("the send task")
        .expect("an interrupted send still returns");
    assert_eq!(sent["interrupted"], true, "{sent}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_slots_answer_at_the_same_time() {
    let Some(w) = world("two_slots_answer_at_the_same_time", 2) else {
        return;
    };
    let client = w.daemon.client().await;
    let (a, b) = tokio::join!(spawn_idle(&client, "c1"), spawn_idle(&client, "c2"));
    assert_ne!(a["pid"], b["pid"]);
    let (one, two) = tokio::join!(
        ok(
            &client,
            "mission_pty_send",
            json!({"slotId": "c1", "message": "who is first?"})
        ),
        ok(
            &client,
            "mission_pty_send",
            json!({"slotId": "c2", "message": "who is second?"})
        ),
    );
    assert_eq!(one["answer"], "Slot one answers: alpha.", "{one}");
    assert_eq!(two["answer"], "Slot two answers: beta.", "{two}");
    let agents = ok(&client, "mission_agents", json!({})).await;
    let running = agents["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["pid"].is_number())
        .count();
    assert_eq!(running, 2, "{agents}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bash_permission_dialog_answered_yes_then_no() {
    let Some(w) = world("bash_permission_dialog_answered_yes_then_no", 1) else {
        return;
    };
    let client = w.daemon.client().await;
    spawn_idle(&client, "c1").await;

    let sent = ok(
        &client,
        "mission_pty_send",
        json!({"slotId": "c1", "message": "write the yes file"}),
    )
    .await;
    assert_eq!(sent["state"], "Confirming", "{sent}");
    assert_eq!(sent["dialog"]["kind"], "bash", "{sent}");
    assert!(
        sent["dialog"]["command"]
            .as_str()
            .unwrap_or_default()
            .contains("yes.txt"),
        "{sent}"
    );
    let confirmed = ok(
        &client,
        "mission_pty_confirm",
        json!({"slotId": "c1", "response": "yes"}),
    )
    .await;
    assert_eq!(confirmed["chosen"]["meaning"], "yes", "{confirmed}");
    wait_status(&client, "c1", TURN, |s| s["state"] == "Idle").await;
    let written = std::fs::read_to_string(w.proj.join("yes.txt")).unwrap_or_default();
    assert_eq!(written.trim(), "yes-content");
    let history = ok(&client, "mission_pty_history", json!({"slotId": "c1"})).await;
    let last = &history["turns"][0];
    assert_eq!(last["answer"], "Wrote yes.txt.", "{history}");
    assert_eq!(last["toolsUsed"][0]["tool"], "Bash", "{history}");

    let sent = ok(
        &client,
        "mission_pty_send",
        json!({"slotId": "c1", "message": "write the no file"}),
    )
    .await;
    assert_eq!(sent["state"], "Confirming", "{sent}");
    let confirmed = ok(
        &client,
        "mission_pty_confirm",
        json!({"slotId": "c1", "response": "no"}),
    )
    .await;
    assert_eq!(confirmed["chosen"]["meaning"], "no", "{confirmed}");
    wait_status(&client, "c1", TURN, |s| s["state"] == "Idle").await;
    assert!(!w.proj.join("no.txt").exists(), "the refused command ran");
    err_code(
        &client,
        "mission_pty_confirm",
        json!({"slotId": "c1", "response": "yes"}),
        -32004,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folder_trust_is_reported_and_accepted_only_for_trusted_slots() {
    let Some(w) = world(
        "folder_trust_is_reported_and_accepted_only_for_trusted_slots",
        0,
    ) else {
        return;
    };
    let client = w.daemon.client().await;
    let spawned = ok(&client, "mission_pty_spawn", json!({"slotId": "untrusted"})).await;
    assert_eq!(spawned["state"], "Confirming", "{spawned}");
    assert_eq!(spawned["dialog"]["kind"], "folder_trust", "{spawned}");
    // Nobody answered it: it is still waiting.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let status = ok(
        &client,
        "mission_pty_status",
        json!({"slotId": "untrusted"}),
    )
    .await;
    assert_eq!(status["dialog"]["kind"], "folder_trust", "{status}");
    ok(
        &client,
        "mission_pty_confirm",
        json!({"slotId": "untrusted", "response": "yes"}),
    )
    .await;
    wait_status(&client, "untrusted", TURN, |s| s["state"] == "Idle").await;

    let spawned = ok(&client, "mission_pty_spawn", json!({"slotId": "trusted"})).await;
    assert_eq!(spawned["state"], "Idle", "{spawned}");
    let _ = &w.fresh;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupt_ends_the_turn_and_kill_ends_the_process() {
    let Some(w) = world("interrupt_ends_the_turn_and_kill_ends_the_process", 1) else {
        return;
    };
    let client = w.daemon.client().await;
    let spawned = spawn_idle(&client, "c1").await;
    let pid = spawned["pid"].as_i64().expect("pid");

    err_code(
        &client,
        "mission_pty_send",
        json!({"slotId": "c1", "message": "tell me a slow story", "timeoutMs": 2500}),
        -32005,
    )
    .await;
    let status = ok(&client, "mission_pty_status", json!({"slotId": "c1"})).await;
    let state = status["state"].as_str().unwrap_or_default().to_string();
    assert!(
        ["Thinking", "Responding"].contains(&state.as_str()),
        "expected the slow turn to be running: {status}"
    );
    let interrupted = ok(&client, "mission_pty_interrupt", json!({"slotId": "c1"})).await;
    assert_eq!(interrupted["slotId"], "c1");
    wait_status(&client, "c1", TURN, |s| s["state"] == "Idle").await;
    // The slot takes a new prompt after the interrupt.
    let sent = ok(
        &client,
        "mission_pty_send",
        json!({"slotId": "c1", "message": "exact answer again"}),
    )
    .await;
    assert!(
        sent["answer"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Line one"),
        "{sent}"
    );

    let killed = ok(&client, "mission_pty_kill", json!({"slotId": "c1"})).await;
    assert_eq!(killed["wasRunning"], true);
    assert!(!process_exists(pid), "Claude Code {pid} survived the kill");
    let status = ok(&client, "mission_pty_status", json!({"slotId": "c1"})).await;
    assert_eq!(status["state"], "Stopped");
    err_code(
        &client,
        "mission_pty_send",
        json!({"slotId": "c1", "message": "hi"}),
        -32002,
    )
    .await;
}
