//! The Quick Start for real: the real Claude Code, in print mode, uses `mission-mcp` as
//! its `mission` MCP server (which starts the real daemon), spawns a worker slot running
//! the real Claude Code, and prompts it. Both talk to one mock-anthropic whose scripted
//! worker answer is distinctive; the orchestrator's final answer must carry it, and the
//! mock must have seen it come back as the mission_pty_send tool result.
//!
//! Skipped (a line on stderr) when Claude Code is not installed, unless
//! MISSIOND_E2E_REQUIRED=1.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use missiond_core::catalogue::{self, Tool as _};
use mock_anthropic::offline::{ClaudeHome, claude_env, claude_for_test, configure};
use mock_anthropic::{Scenario, Server};
use serde_json::json;
use support::{Home, MISSION_MCP};

/// What the worker's model answers: found nowhere else in the scenario's inputs.
const WORKER_ANSWER: &str = "The codeword is ZEBRA-7731-QUARTZ.";
const RUN_LIMIT: Duration = Duration::from_secs(240);

fn scenario() -> String {
    let spawn = format!("mcp__mission__{}", catalogue::PtySpawn::NAME);
    let send = format!("mcp__mission__{}", catalogue::PtySend::NAME);
    format!(
        r#"
rules:
  - name: orchestrator
    match: {{ contains: "ORCHESTRATE" }}
    steps:
      - text: "I'll start the worker slot."
        tool_use:
          name: {spawn}
          input: {{ slotId: worker }}
      - text: "Now I'll ask it."
        tool_use:
          name: {send}
          input: {{ slotId: worker, message: "WORKER-TASK: tell me the codeword", timeoutMs: 120000 }}
      - text: "The worker said: {WORKER_ANSWER}"
  - name: worker
    match: {{ contains: "WORKER-TASK" }}
    steps:
      - text: "{WORKER_ANSWER}"
"#
    )
}

fn worker_slot_yaml(claude: &Path, cwd: &Path, home: &Path, base_url: &str) -> String {
    let env: String = claude_env(home, base_url)
        .into_iter()
        .map(|(k, v)| format!("      {k}: {}\n", json!(v)))
        .collect();
    format!(
        "slots:\n  - id: worker\n    role: coder\n    cwd: {}\n    command: {}\n    permission_mode: manual\n    env:\n{env}",
        json!(cwd.display().to_string()),
        json!(claude.display().to_string()),
    )
}

#[test]
fn a_claude_code_orchestrator_gets_a_worker_answer_through_mission_mcp() {
    let test = "a_claude_code_orchestrator_gets_a_worker_answer_through_mission_mcp";
    let Some(claude) = claude_for_test(test) else {
        return;
    };
    let home = Home::new(None);
    let root = home.tmp.path();
    let (orch_dir, worker_dir) = (root.join("orchestrator"), root.join("worker"));
    for dir in [&orch_dir, &worker_dir] {
        std::fs::create_dir_all(dir).expect("mkdir");
    }
    let server = Server::start(Scenario::from_yaml(&scenario()).expect("scenario")).expect("mock");
    let worker_home =
        ClaudeHome::create(root.join("worker-claude-home"), &[&worker_dir]).expect("worker home");
    let orch_home =
        ClaudeHome::create(root.join("orch-claude-home"), &[&orch_dir]).expect("orch home");
    std::fs::write(
        home.home.join("slots.yaml"),
        worker_slot_yaml(&claude, &worker_dir, worker_home.path(), server.base_url()),
    )
    .expect("slots.yaml");

    // The settings snippet of the Quick Start, pointed at this test's home.
    let mcp_config = root.join("mcp.json");
    let config = json!({"mcpServers": {"mission": {
        "command": MISSION_MCP,
        "args": [],
        "env": {"MISSIOND_HOME": home.home, "MISSION_LOG_LEVEL": "info", "MISSION_WS_PORT": "0"},
    }}});
    std::fs::write(&mcp_config, config.to_string()).expect("mcp.json");

    let stdout_path = root.join("orchestrator.stdout");
    let stderr_path = root.join("orchestrator.stderr");
    let mut command = Command::new(&claude);
    command
        .current_dir(&orch_dir)
        .args([
            "-p",
            "ORCHESTRATE: ask the worker slot for the codeword and quote it",
        ])
        .arg("--mcp-config")
        .arg(&mcp_config)
        .args(["--strict-mcp-config", "--allowedTools", "mcp__mission__*"])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).expect("stdout file"))
        .stderr(std::fs::File::create(&stderr_path).expect("stderr file"));
    configure(&mut command, orch_home.path(), server.base_url());
    command
        .env_remove("MISSION_IPC_ENDPOINT")
        .env_remove("MISSIOND_BIN")
        .env("MCP_TIMEOUT", "30000")
        .env("MCP_TOOL_TIMEOUT", "180000");
    let mut child = command.spawn().expect("starting claude");
    let deadline = Instant::now() + RUN_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for claude") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let requests = server.requests();
    let trail: Vec<String> = requests
        .iter()
        .map(|r| format!("{} {:?} {:?}", r.path, r.answer, r.tool_results))
        .collect();
    let context = format!(
        "status {status:?}\nstdout:\n{stdout}\nstderr:\n{stderr}\nmock requests:\n{}\ndaemon log:\n{}",
        trail.join("\n"),
        std::fs::read_to_string(home.home.join("logs/missiond.log")).unwrap_or_default()
    );
    assert!(status.is_some_and(|s| s.success()), "{context}");

    // The worker's answer reached the orchestrator as the result of mission_pty_send ...
    let send_results: Vec<&str> = requests
        .iter()
        .flat_map(|r| &r.tool_results)
        .filter(|t| !t.is_error && t.content.contains(WORKER_ANSWER))
        .map(|t| t.content.as_str())
        .collect();
    assert!(
        !send_results.is_empty(),
        "no tool result carried the worker's answer\n{context}"
    );
    // ... after the worker's own Claude Code asked the mock for it ...
    assert!(
        requests
            .iter()
            .any(|r| r.last_user_text.contains("WORKER-TASK")),
        "the worker never prompted the model\n{context}"
    );
    // ... and the orchestrator's final answer quotes it.
    assert!(stdout.contains(WORKER_ANSWER), "{context}");
}
