//! The `mock-anthropic` binary: the ready line, serving, the log file, clean exit on SIGTERM.

#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

#[test]
fn prints_its_url_serves_logs_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = dir.path().join("s.yaml");
    std::fs::write(
        &scenario,
        "rules:\n  - match: { contains: ping }\n    steps: [{ text: pong }]\n",
    )
    .expect("write scenario");
    let log = dir.path().join("requests.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-anthropic"))
        .arg("--scenario")
        .arg(&scenario)
        .arg("--log")
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("ready line");
    let url = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let body = json!({
        "model": "m", "stream": false, "tools": [{"name": "Bash"}],
        "messages": [{"role": "user", "content": "ping"}]
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let answer: Value = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("{url}/v1/messages"))
            .json(&body)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON")
    });
    assert_eq!(answer["content"][0]["text"], "pong");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = child.wait().expect("binary exits");
    assert!(exit.success(), "clean exit on SIGTERM, got {exit}");

    let text = std::fs::read_to_string(&log).expect("log file");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["last_user_text"], "ping");
    assert_eq!(lines[0]["answer"]["kind"], "rule");
}

#[test]
fn a_bad_scenario_fails_with_context() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scenario = dir.path().join("bad.yaml");
    std::fs::write(
        &scenario,
        "rules:\n  - match: { regex: '(' }\n    steps: [{ text: x }]\n",
    )
    .expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_mock-anthropic"))
        .arg("--scenario")
        .arg(&scenario)
        .output()
        .expect("binary runs");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "no ready line");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad regex"), "{stderr}");
}
