//! `missiond record` driving the real Claude Code against mock-anthropic: start-up (whose
//! terminal queries the emulator must answer), a prompt, a scripted answer.
//! Skipped (or failed, with MISSIOND_E2E_REQUIRED=1) when Claude Code is not installed.

use std::process::{Command, Stdio};

use mock_anthropic::offline::{ClaudeHome, ENV_TO_REMOVE, claude_env, claude_for_test};
use mock_anthropic::{Scenario, Server};
use semantic_terminal::Config;
use semantic_terminal::recording::{Entry, Recording};
use semantic_terminal::replay::Replayer;

#[test]
fn records_a_real_claude_code_turn() {
    let Some(claude) = claude_for_test("records_a_real_claude_code_turn") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let home = ClaudeHome::create(dir.path().join("home"), &[&work]).unwrap();
    let scenario = Scenario::from_yaml(
        "rules:\n  - match: { contains: \"ping\" }\n    steps:\n      - text: \"pong from the mock\"\n",
    )
    .unwrap();
    let server = Server::start(scenario).unwrap();

    let steps = dir.path().join("steps.jsonl");
    std::fs::write(
        &steps,
        [
            r#"{"wait_for": "? for shortcuts", "timeout": 60}"#,
            r#"{"send": "ping"}"#,
            r#"{"sleep": 1}"#,
            r#"{"send": "\r"}"#,
            r#"{"wait_for": "pong from the mock", "timeout": 60}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let out = dir.path().join("claude.jsonl");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_missiond"));
    for name in ENV_TO_REMOVE {
        cmd.env_remove(name);
    }
    let output = cmd
        .envs(claude_env(home.path(), server.base_url()))
        .current_dir(&work)
        .stdin(Stdio::null())
        .args(["record", "--cols", "100", "--rows", "30", "--out"])
        .arg(&out)
        .arg("--input")
        .arg(&steps)
        .arg("--")
        .arg(&claude)
        .args(["--permission-mode", "manual"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");

    let recording = Recording::parse(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let header = recording.header.as_ref().expect("a header");
    assert_eq!((header.cols, header.rows), (100, 30));
    assert!(matches!(recording.entries.last(), Some(Entry::Exit { .. })));

    // Replayed, the recording shows the answer at some moment before the exit.
    let mut replayer = Replayer::new(&recording, (100, 30), Config::default());
    let shown = recording.entries.iter().any(|entry| {
        replayer.run_until(entry.t());
        replayer
            .terminal()
            .screen_text()
            .contains("pong from the mock")
    });
    assert!(shown, "the answer never showed in the replay\n{stderr}");
}
