//! The REAL Claude Code against mock-anthropic, through the daemon, in the situations that
//! are not a plain answer or a permission prompt:
//! - a question the model asks (AskUserQuestion): `mission_pty_send` returns it as a
//!   dialog at once, and `mission_pty_confirm` answers it by label and with free text
//!   (what Claude Code hands the model is checked in mock-anthropic's request log);
//! - background subagents: the slot is busy (ToolRunning, subagents listed) and refuses a
//!   prompt until the last one finished, then reads Idle;
//! - after every send, an immediate `mission_pty_status` says what the send said.
//!
//! Skipped, with a line on stderr, when Claude Code is not installed, unless
//! MISSIOND_E2E_REQUIRED=1.

mod daemon_support;

use std::time::Duration;

use daemon_support::{Daemon, claude_slot_daemon, ok, wait_screen, wait_status};
use missiond_core::ipc::IpcClient;
use mock_anthropic::offline::claude_for_test;
use mock_anthropic::{Scenario, Server};
use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(60);

const SCENARIO: &str = r#"
rules:
  - name: plain
    match: { contains: "say hello" }
    steps:
      - chunk_chars: 8
        chunk_delay_ms: 60
        text: "Hello there, this answer streams in small pieces for a while. END-HELLO"
  - name: ask-label
    match: { contains: "pick a colour" }
    steps:
      - text: "Let me ask."
        tool_use:
          name: AskUserQuestion
          input:
            questions:
              - question: "Which colour should the banner use?"
                header: "Colour"
                multiSelect: false
                options:
                  - { label: "Red", description: "A warm red banner" }
                  - { label: "Green", description: "A calm green banner" }
                  - { label: "Blue", description: "A cool blue banner" }
      - text: "Noted your colour choice. END-ASK"
  - name: ask-text
    match: { contains: "name the project" }
    steps:
      - tool_use:
          name: AskUserQuestion
          input:
            questions:
              - question: "What should the project be called?"
                header: "Name"
                multiSelect: false
                options:
                  - { label: "missiond", description: "Keep the current name" }
                  - { label: "mission-control", description: "A longer name" }
      - text: "Noted the project name. END-FREE"
  - name: agents
    match: { contains: "survey the code" }
    steps:
      - text: "I'll send two agents."
        tool_use:
          - name: Agent
            input:
              description: "Survey module alpha"
              prompt: "SUBTASK-ALPHA: list the files of module alpha"
              subagent_type: "general-purpose"
              run_in_background: true
          - name: Agent
            input:
              description: "Survey module beta"
              prompt: "SUBTASK-BETA: list the files of module beta"
              subagent_type: "general-purpose"
              run_in_background: true
      - text: "Both agents are running. END-LAUNCH"
  - name: alpha
    match: { contains: "SUBTASK-ALPHA" }
    steps:
      - first_token_delay_ms: 6000
        text: "Module alpha has three files."
  - name: beta
    match: { contains: "SUBTASK-BETA" }
    steps:
      - first_token_delay_ms: 12000
        text: "Module beta has two files."
default:
  text: "An agent reported back. END-DEFAULT"
"#;

/// A daemon with one real Claude Code slot `c1` (manual mode) against `server`.
fn start(tmp: &std::path::Path, server: &Server, claude: &std::path::Path) -> Daemon {
    claude_slot_daemon(tmp, server, claude)
}

/// Send `message`, then ask for the status at once: the two must say the same state.
async fn send_then_status(client: &IpcClient, message: &str) -> (Value, Value) {
    let sent = ok(
        client,
        "mission_pty_send",
        json!({"slotId": "c1", "message": message, "timeoutMs": 60000}),
    )
    .await;
    let status = ok(client, "mission_pty_status", json!({"slotId": "c1"})).await;
    assert_eq!(
        sent["state"], status["state"],
        "send and an immediate status disagree:\nsend: {sent}\nstatus: {status}"
    );
    (sent, status)
}

/// The tool_result Claude Code sent back for the last AskUserQuestion.
fn last_tool_result(server: &Server) -> String {
    server
        .requests()
        .iter()
        .rev()
        .flat_map(|r| r.tool_results.iter())
        .map(|t| t.content.clone())
        .next()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_are_returned_by_send_and_answered_by_label_and_text() {
    let Some(claude) = claude_for_test("questions_are_returned_by_send_and_answered") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(Scenario::from_yaml(SCENARIO).expect("scenario")).expect("mock");
    let mut daemon = start(tmp.path(), &server, &claude);
    let client = daemon.client().await;
    ok(&client, "mission_pty_spawn", json!({"slotId": "c1"})).await;

    // A plain answer: send returns Idle, and status says Idle at once.
    let (sent, _) = send_then_status(&client, "say hello").await;
    assert_eq!(sent["state"], "Idle", "{sent}");
    assert!(
        sent["answer"].as_str().unwrap_or("").contains("END-HELLO"),
        "{sent}"
    );

    // The question comes back from send as a dialog, with every answer.
    let (sent, status) = send_then_status(&client, "pick a colour").await;
    assert_eq!(sent["state"], "Confirming", "{sent}");
    let dialog = &sent["dialog"];
    assert_eq!(dialog["kind"], "ask_user_question", "{sent}");
    assert_eq!(dialog["question"], "Which colour should the banner use?");
    let labels: Vec<&str> = dialog["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| o["label"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        labels,
        ["Red", "Green", "Blue", "Type something.", "Chat about this"]
    );
    assert_eq!(dialog["options"][1]["description"], "A calm green banner");
    assert_eq!(status["dialog"]["kind"], "ask_user_question");

    // Answered by label: the model is told Green.
    let answered = ok(
        &client,
        "mission_pty_confirm",
        json!({"slotId": "c1", "label": "green"}),
    )
    .await;
    assert_eq!(answered["chosen"]["label"], "Green", "{answered}");
    wait_status(&client, "c1", LIMIT, |s| s["state"] == "Idle").await;
    let result = last_tool_result(&server);
    assert!(result.contains("Green"), "the model was told: {result}");

    // Answered with free text, typed into `Type something.`.
    let (sent, _) = send_then_status(&client, "name the project").await;
    assert_eq!(sent["dialog"]["kind"], "ask_user_question", "{sent}");
    let answered = ok(
        &client,
        "mission_pty_confirm",
        json!({"slotId": "c1", "text": "orbit"}),
    )
    .await;
    assert_eq!(answered["chosen"]["meaning"], "free_text", "{answered}");
    wait_status(&client, "c1", LIMIT, |s| s["state"] == "Idle").await;
    let result = last_tool_result(&server);
    assert!(result.contains("orbit"), "the model was told: {result}");

    // Free text where the dialog has no free-text option is refused, nothing typed.
    let refused = client
        .call(
            "mission_pty_confirm",
            json!({"slotId": "c1", "text": "orbit"}),
        )
        .await;
    assert!(refused.is_err(), "no dialog open: {refused:?}");
    daemon.stop();
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_agents_keep_the_slot_busy_until_the_last_one_finishes() {
    let Some(claude) = claude_for_test("background_agents_keep_the_slot_busy") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(Scenario::from_yaml(SCENARIO).expect("scenario")).expect("mock");
    let mut daemon = start(tmp.path(), &server, &claude);
    let client = daemon.client().await;
    ok(&client, "mission_pty_spawn", json!({"slotId": "c1"})).await;

    // The launching turn ends (Stop fires) while both agents run: busy, not Idle.
    let (sent, _) = send_then_status(&client, "survey the code").await;
    assert_eq!(sent["state"], "ToolRunning", "{sent}");
    let status = wait_status(&client, "c1", LIMIT, |s| {
        s["statusBar"]["subagents"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    })
    .await;
    assert_eq!(status["state"], "ToolRunning", "{status}");
    let listed = status["statusBar"]["subagents"].to_string();
    assert!(listed.contains("Survey module"), "{status}");

    // No prompt is taken meanwhile.
    let refused = client
        .call(
            "mission_pty_send",
            json!({"slotId": "c1", "message": "say hello", "timeoutMs": 5000}),
        )
        .await;
    let err = refused.expect_err("a slot with running agents is busy");
    assert!(err.to_string().contains("busy"), "{err}");

    // Every moment until the last agent reported: never Idle.
    let deadline = tokio::time::Instant::now() + LIMIT;
    let mut seen_one_left = false;
    loop {
        let s = ok(&client, "mission_pty_status", json!({"slotId": "c1"})).await;
        let agents = s["statusBar"]["subagents"].as_array().map_or(0, Vec::len);
        if agents == 1 {
            seen_one_left = true;
        }
        if s["state"] == "Idle" {
            assert_eq!(agents, 0, "Idle with agents listed: {s}");
            break;
        }
        assert!(
            ["ToolRunning", "Thinking", "Responding"].contains(&s["state"].as_str().unwrap_or("")),
            "{s}"
        );
        assert!(tokio::time::Instant::now() < deadline, "never idle: {s}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(seen_one_left, "the slot should be busy with one agent left");
    // Idle came only once both agents had finished (the last agent's SubagentStop, then
    // the turn it started, whose Stop says idle at once), as the transcript shows. Claude
    // Code draws that last turn a little after its hooks fire (longer on a loaded
    // machine), so the screen is given time to catch up.
    for agent in ["alpha", "beta"] {
        let line = format!("Agent \"Survey module {agent}\" finished");
        wait_screen(&client, "c1", &line, Duration::from_secs(15)).await;
    }
    // And the slot takes prompts again.
    let (sent, _) = send_then_status(&client, "say hello").await;
    assert_eq!(sent["state"], "Idle", "{sent}");
    daemon.stop();
    server.stop();
}
