//! The REAL Claude Code against mock-anthropic, through the daemon, in situations a user at
//! the slot's terminal brings about (keys typed over the web attach, as the board's
//! terminal sends them):
//! - a `!` shell command: `mission_pty_status` reads `ToolRunning` while it runs, then Idle;
//! - a Bash sent to the background with ctrl+b: the turn goes on, `mission_pty_send`
//!   returns its answer, and the slot is Idle with the running shell in its status;
//! - a picker the user opened (`/model`): `SlashMenu`, and `mission_pty_confirm` refuses
//!   it rather than answering it as a permission prompt (no key reaches it).
//!
//! Skipped, with a line on stderr, when Claude Code is not installed, unless
//! MISSIOND_E2E_REQUIRED=1.

mod daemon_support;

use std::time::Duration;

use daemon_support::{claude_slot_daemon, ok, wait_screen, wait_status};
use futures::SinkExt;
use missiond_core::ipc::IpcClient;
use mock_anthropic::offline::claude_for_test;
use mock_anthropic::{Scenario, Server};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

const LIMIT: Duration = Duration::from_secs(60);

const SCENARIO: &str = r#"
rules:
  - name: background
    match: { contains: "run the slow build" }
    steps:
      - text: "Starting the build."
        tool_use:
          name: Bash
          input: { command: "sleep 20 && echo built", description: "Run the slow build" }
      - text: "The build goes on in the background. END-BG"
default:
  text: "Noted. END-DEFAULT"
"#;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The slot's terminal over the web attach, in control mode (keys go to the program).
async fn attach(client: &IpcClient) -> Ws {
    let access = missiond_core::ipc::web_access(client)
        .await
        .expect("daemon.web_access");
    let (ws, _) = connect_async(format!("{}/pty/c1?token={}", access.ws_url, access.token))
        .await
        .expect("attaching to c1");
    ws
}

/// Types `keys` into the slot's terminal, then gives Claude Code a moment (a burst that
/// ends in Enter would read as a paste).
async fn keys(ws: &mut Ws, keys: &str) {
    ws.send(Message::Binary(keys.as_bytes().to_vec().into()))
        .await
        .expect("typing over the attach");
    tokio::time::sleep(Duration::from_millis(800)).await;
}

fn state(status: &Value) -> &str {
    status["state"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_commands_background_shells_and_pickers_read_truthfully() {
    let Some(claude) = claude_for_test("shell_commands_background_shells_and_pickers") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(Scenario::from_yaml(SCENARIO).expect("scenario")).expect("mock");
    let mut daemon = claude_slot_daemon(tmp.path(), &server, &claude);
    let client = daemon.client().await;
    ok(&client, "mission_pty_spawn", json!({"slotId": "c1"})).await;
    wait_status(&client, "c1", LIMIT, |s| state(s) == "Idle").await;
    let mut ws = attach(&client).await;

    // A `!` command runs for 8 s: a tool running, not thinking, then idle.
    keys(&mut ws, "!").await;
    keys(&mut ws, "sleep 8 && echo bang-$((40+2))").await;
    keys(&mut ws, "\r").await;
    // Until its output shows, every status says a tool runs (once it left Idle).
    let deadline = tokio::time::Instant::now() + LIMIT;
    let mut seen_running = false;
    loop {
        let status = ok(&client, "mission_pty_status", json!({"slotId": "c1"})).await;
        let screen = ok(&client, "mission_pty_screen", json!({"slotId": "c1"})).await;
        let screen = screen["screen"].as_str().unwrap_or_default();
        if screen.contains("bang-42") {
            break;
        }
        match state(&status) {
            "ToolRunning" => seen_running = true,
            "Idle" if !seen_running => {}
            other => panic!("{other} while the ! command runs: {status}\n{screen}"),
        }
        assert!(tokio::time::Instant::now() < deadline, "{screen}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(seen_running, "the ! command never read ToolRunning");
    wait_status(&client, "c1", LIMIT, |s| state(s) == "Idle").await;

    // A Bash sent to the background with ctrl+b: the turn goes on to its answer.
    let sender = daemon.client().await;
    let send = tokio::spawn(async move {
        ok(
            &sender,
            "mission_pty_send",
            json!({"slotId": "c1", "message": "run the slow build", "timeoutMs": 90000}),
        )
        .await
    });
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let screen = ok(&client, "mission_pty_screen", json!({"slotId": "c1"})).await;
        let screen = screen["screen"].as_str().unwrap_or_default().to_string();
        if screen.contains("to run in background") {
            break;
        }
        let results: Vec<String> = server
            .requests()
            .iter()
            .flat_map(|r| r.tool_results.iter().map(|t| t.content.clone()))
            .collect();
        assert!(
            tokio::time::Instant::now() < deadline && !screen.contains("END-BG"),
            "the build never ran in the foreground; tool results {results:?}\n{screen}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let running = ok(&client, "mission_pty_status", json!({"slotId": "c1"})).await;
    assert_eq!(state(&running), "ToolRunning", "{running}");
    keys(&mut ws, "\u{2}").await;
    let sent = send.await.expect("the send task");
    assert_eq!(sent["state"], "Idle", "{sent}");
    assert!(
        sent["answer"].as_str().unwrap_or("").contains("END-BG"),
        "{sent}"
    );
    // Idle, with the shell still running reported (it sleeps for 20 s).
    let status = ok(&client, "mission_pty_status", json!({"slotId": "c1"})).await;
    assert_eq!(state(&status), "Idle", "{status}");
    assert_eq!(status["statusBar"]["backgroundShells"], 1, "{status}");

    // The user opens the model picker: a SlashMenu, which is no dialog to answer.
    keys(&mut ws, "/model").await;
    keys(&mut ws, "\r").await;
    let picker = wait_status(&client, "c1", LIMIT, |s| state(s) == "SlashMenu").await;
    assert!(picker["dialog"].is_null(), "{picker}");
    wait_screen(&client, "c1", "Select model", LIMIT).await;
    let refused = client
        .call(
            "mission_pty_confirm",
            json!({"slotId": "c1", "response": "yes"}),
        )
        .await;
    assert!(refused.is_err(), "a picker was answered: {refused:?}");
    // No key reached it: the picker is still open, on the same selection.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let screen = wait_screen(&client, "c1", "Select model", LIMIT).await;
    assert!(screen.contains("❯ 1."), "the selection moved:\n{screen}");
    let status = ok(&client, "mission_pty_status", json!({"slotId": "c1"})).await;
    assert_eq!(state(&status), "SlashMenu", "{status}");
    keys(&mut ws, "\u{1b}").await;
    wait_status(&client, "c1", LIMIT, |s| state(s) == "Idle").await;

    drop(ws);
    daemon.stop();
    server.stop();
}
