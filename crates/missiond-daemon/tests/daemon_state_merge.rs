//! Hooks against the screen, through the real daemon and the real `missiond hook` command:
//! a slot replays a recorded Claude Code screen that stops mid-answer (the screen reader
//! keeps reading `Responding`) while hook events say the turn ended. The reported state
//! must follow the hook once the tolerance is over, keep the raw reading as
//! `screenState`, count the disagreement, and log it once with the bottom of the screen.
//! And the REAL Claude Code against mock-anthropic: through a plain turn and a turn with
//! a permission dialog, its hooks and its screen agree (skipped, with a line on stderr,
//! when Claude Code is not installed, unless MISSIOND_E2E_REQUIRED=1).

mod daemon_support;

use std::path::Path;
use std::time::Duration;

use daemon_support::{Daemon, ok, run_hook, wait_status};
use mock_anthropic::offline::{ClaudeHome, claude_env, claude_for_test};
use mock_anthropic::{Scenario, Server};
use semantic_terminal::recording::{Entry, Recording};
use serde_json::{Value, json};

/// The recording, and the moment in it where an answer is half streamed.
const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../semantic-terminal/tests/fixtures/basic_120x40.jsonl"
);
const MID_ANSWER: f64 = 9.0;
const LIMIT: Duration = Duration::from_secs(20);
const DISAGREEMENT: &str = "parser disagreement";

/// Writes the recorded output up to `MID_ANSWER` to `out`.
fn frozen_screen(out: &Path) {
    frozen_screen_at(out, MID_ANSWER);
}

/// Writes the recorded output up to `until` seconds to `out`.
fn frozen_screen_at(out: &Path, until: f64) {
    let text = std::fs::read_to_string(FIXTURE).expect("reading the fixture");
    let recording = Recording::parse(&text).expect("parsing the fixture");
    let mut bytes = Vec::new();
    for entry in recording.entries {
        if let Entry::Output { t, bytes: b } = entry
            && t <= until
        {
            bytes.extend_from_slice(&b);
        }
    }
    std::fs::write(out, bytes).expect("writing the screen bytes");
}

/// Run `missiond hook <event>` as Claude Code would for slot `fake`; it prints nothing.
fn hook(daemon: &Daemon, event: &str, payload: Value) {
    let out = run_hook(daemon, "fake", "coder", event, &payload);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.trim().is_empty(), "missiond hook {event}: {err}");
}

fn disagreement_lines(daemon: &Daemon) -> Vec<String> {
    daemon
        .stderr_text()
        .lines()
        .filter(|l| l.contains(DISAGREEMENT))
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_hook_overrules_a_screen_stuck_mid_answer_and_is_logged_once() {
    let tmp = tempfile::tempdir().unwrap();
    let screen = tmp.path().join("screen.bin");
    frozen_screen(&screen);
    // Raw mode: the daemon's replies to the recording's terminal queries must not echo.
    let script = format!("stty raw -echo; cat '{}'; exec sleep 600", screen.display());
    let yaml = format!(
        "slots:\n  - id: fake\n    role: coder\n    cwd: {}\n    command: sh\n    args: {}\n    cols: 120\n    rows: 40\n",
        json!(tmp.path().display().to_string()),
        json!(["-c", script]),
    );
    let mut daemon = Daemon::start(&tmp.path().join("home"), Some(&yaml));
    let client = daemon.client().await;
    ok(&client, "mission_pty_spawn", json!({"slotId": "fake"})).await;
    let status = wait_status(&client, "fake", LIMIT, |s| s["state"] == "Responding").await;
    assert_eq!(status["screenState"], "Responding", "{status}");

    // A prompt hook agrees with a streaming answer: nothing to report.
    let p1 = json!({"prompt_id": "p1", "prompt": "say hello"});
    hook(&daemon, "UserPromptSubmit", p1);
    // The tolerance passes (a disagreement would be counted by now) ...
    tokio::time::sleep(Duration::from_secs(3)).await;
    let status = ok(&client, "mission_pty_status", json!({"slotId": "fake"})).await;
    assert_eq!(status["state"], "Responding", "{status}");
    assert_eq!(status["parserDisagreements"], 0, "{status}");
    assert!(disagreement_lines(&daemon).is_empty());

    // The turn ended, the screen still shows the answer streaming: the hook wins at
    // once (a send returning on this Stop and a status right after it agree) ...
    let stop = json!({"prompt_id": "p1", "last_assistant_message": "hello"});
    hook(&daemon, "Stop", stop);
    let status = ok(&client, "mission_pty_status", json!({"slotId": "fake"})).await;
    assert_eq!(status["state"], "Idle", "{status}");
    assert_eq!(status["screenState"], "Responding", "{status}");
    // ... and once the screen has lagged past the tolerance, it is a disagreement.
    let status = wait_status(&client, "fake", LIMIT, |s| s["parserDisagreements"] == 1).await;
    assert_eq!(status["state"], "Idle", "{status}");
    let agents = ok(&client, "mission_agents", json!({})).await;
    assert_eq!(agents["agents"][0]["state"], "Idle", "{agents}");
    let health = ok(&client, "mission_health", json!({})).await;
    assert_eq!(health["parserDisagreements"], 1, "{health}");

    let lines = disagreement_lines(&daemon);
    assert_eq!(
        lines.len(),
        1,
        "one line per episode:\n{}",
        daemon.stderr_text()
    );
    for needle in ["WARN", "fake", "Responding", "Stop", "Idle"] {
        assert!(
            lines[0].contains(needle),
            "{needle:?} missing: {}",
            lines[0]
        );
    }
    // The report quotes the bottom of the screen (the footer of the recorded answer).
    assert!(
        lines[0].contains("esc to interrupt"),
        "no screen: {}",
        lines[0]
    );

    // A new prompt explains the spinner again: the episode ends, nothing more is logged.
    hook(&daemon, "UserPromptSubmit", json!({"prompt_id": "p2"}));
    let status = wait_status(&client, "fake", LIMIT, |s| s["state"] == "Responding").await;
    assert_eq!(status["parserDisagreements"], 1, "{status}");
    assert_eq!(disagreement_lines(&daemon).len(), 1);
    daemon.stop();
}

const SCENARIO: &str = r#"
rules:
  - name: plain
    match: { contains: "say hello" }
    steps:
      - first_token_delay_ms: 800
        chunk_chars: 6
        chunk_delay_ms: 100
        text: "Hello there, this answer streams in small pieces for a while."
  - name: write
    match: { contains: "write the file" }
    steps:
      - text: "I'll write it."
        tool_use:
          name: Bash
          input: { command: "echo yes > yes.txt", description: "Write yes.txt" }
      - text: "Wrote yes.txt."
"#;

/// After a turn, give a disagreement time to outlast the tolerance, then check none was
/// found and the screen's reading is the reported state.
async fn assert_agreed(client: &missiond_core::ipc::IpcClient, daemon: &Daemon, after: &str) {
    tokio::time::sleep(Duration::from_secs(3)).await;
    let status = ok(client, "mission_pty_status", json!({"slotId": "c1"})).await;
    assert_eq!(status["state"], "Idle", "after {after}: {status}");
    assert_eq!(status["screenState"], "Idle", "after {after}: {status}");
    assert_eq!(status["parserDisagreements"], 0, "after {after}: {status}");
    let lines = disagreement_lines(daemon);
    assert!(lines.is_empty(), "after {after}: {lines:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_claude_code_hooks_and_screen_agree() {
    let Some(claude) = claude_for_test("real_claude_code_hooks_and_screen_agree") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    let server = Server::start(Scenario::from_yaml(SCENARIO).expect("scenario")).expect("mock");
    let home = ClaudeHome::create(tmp.path().join("claude-home"), &[&proj]).expect("claude home");
    let env: String = claude_env(home.path(), server.base_url())
        .into_iter()
        .map(|(k, v)| format!("      {k}: {}\n", json!(v)))
        .collect();
    let yaml = format!(
        "slots:\n  - id: c1\n    role: coder\n    cwd: {}\n    command: {}\n    permission_mode: manual\n    env:\n{env}",
        json!(proj.display().to_string()),
        json!(claude.display().to_string()),
    );
    let mut daemon = Daemon::start(&tmp.path().join("missiond-home"), Some(&yaml));
    let client = daemon.client().await;
    let spawned = ok(&client, "mission_pty_spawn", json!({"slotId": "c1"})).await;
    assert_eq!(spawned["state"], "Idle", "{spawned}");

    let msg = json!({"slotId": "c1", "message": "say hello"});
    let sent = ok(&client, "mission_pty_send", msg).await;
    assert_eq!(sent["state"], "Idle", "{sent}");
    assert_agreed(&client, &daemon, "a plain turn").await;

    let msg = json!({"slotId": "c1", "message": "write the file"});
    let sent = ok(&client, "mission_pty_send", msg).await;
    assert_eq!(sent["state"], "Confirming", "{sent}");
    let yes = json!({"slotId": "c1", "response": "yes"});
    ok(&client, "mission_pty_confirm", yes).await;
    wait_status(&client, "c1", LIMIT, |s| s["state"] == "Idle").await;
    assert_agreed(&client, &daemon, "a turn with a permission dialog").await;
    daemon.stop();
}

/// A fake Claude Code (a script named `claude`, so the daemon gives it a session id and
/// watches its status file) that shows a recorded idle screen forever; the test writes
/// its status file as Claude Code would. The file alone changes the reported state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_codes_status_file_changes_the_reported_state() {
    let tmp = tempfile::tempdir().unwrap();
    let screen = tmp.path().join("screen.bin");
    frozen_screen_at(&screen, 3.0); // banner and an empty input box: Idle
    let sid_file = tmp.path().join("session-id");
    let fake = tmp.path().join("bin/claude");
    std::fs::create_dir_all(fake.parent().unwrap()).unwrap();
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nwhile [ $# -gt 0 ]; do [ \"$1\" = --session-id ] && echo \"$2\" > '{}'; shift; done\nstty raw -echo; cat '{}'; exec sleep 600\n",
            sid_file.display(),
            screen.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let home = tmp.path().join("claude-home");
    let yaml = format!(
        "slots:\n  - id: fake\n    role: coder\n    cwd: {}\n    command: {}\n    cols: 120\n    rows: 40\n    env:\n      HOME: {}\n",
        json!(tmp.path().display().to_string()),
        json!(fake.display().to_string()),
        json!(home.display().to_string()),
    );
    let mut daemon = Daemon::start(&tmp.path().join("home"), Some(&yaml));
    let client = daemon.client().await;
    ok(&client, "mission_pty_spawn", json!({"slotId": "fake"})).await;
    wait_status(&client, "fake", LIMIT, |s| s["state"] == "Idle").await;
    let session = std::fs::read_to_string(&sid_file).expect("the session id passed");
    let status_file = home.join(".claude/sessions/4242.json");
    let write = |status: &str| {
        let body = json!({"pid": 4242, "sessionId": session.trim(), "status": status,
                          "statusUpdatedAt": 1});
        std::fs::write(&status_file, body.to_string()).unwrap();
    };
    // Another session's file says busy: it is not this slot's.
    let other = json!({"pid": 1, "sessionId": "someone-else", "status": "busy"});
    std::fs::write(home.join(".claude/sessions/1.json"), other.to_string()).unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let status = ok(&client, "mission_pty_status", json!({"slotId": "fake"})).await;
    assert_eq!(status["state"], "Idle", "{status}");

    // Busy while the screen stays idle: past the tolerance the file is believed.
    write("busy");
    let status = wait_status(&client, "fake", LIMIT, |s| s["state"] == "Thinking").await;
    assert_eq!(status["screenState"], "Idle", "{status}");
    // The episode is counted when the slot wakes at the tolerance's end, which on a
    // loaded machine can come a moment after a status call already reports the file.
    let status = wait_status(&client, "fake", LIMIT, |s| {
        s["parserDisagreements"].as_u64().unwrap_or(0) > 0
    })
    .await;
    assert_eq!(status["parserDisagreements"], 1, "{status}");
    assert_eq!(status["state"], "Thinking", "{status}");
    let lines = disagreement_lines(&daemon);
    assert!(
        lines.iter().any(|l| l.contains("status file")),
        "{lines:#?}"
    );
    // The moment can be replayed from the slot's PTY log.
    assert!(
        lines.iter().any(|l| l.contains("missiond replay")),
        "{lines:#?}"
    );
    // Idle again: the slot is idle at once.
    write("idle");
    wait_status(&client, "fake", LIMIT, |s| s["state"] == "Idle").await;
    daemon.stop();
}
