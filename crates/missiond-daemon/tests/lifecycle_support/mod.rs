//! Shared by the lifecycle tests: a mock model, a Claude home, and a daemon whose slots
//! run the real Claude Code with the lifecycle settings a test asks for; inbox and
//! status helpers. Used with `mod daemon_support; mod lifecycle_support;`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use missiond_core::ipc::IpcClient;
use mock_anthropic::offline::{ClaudeHome, claude_env, claude_for_test};
use mock_anthropic::{Scenario, Server};
use serde_json::{Value, json};

use crate::daemon_support::{Daemon, ok};

/// One slot of a test world.
pub struct SlotDef<'a> {
    pub id: &'a str,
    /// YAML lines inside the slot's entry (4-space indent), e.g. a `lifecycle:` section.
    pub extra: &'a str,
    /// More `env:` lines (6-space indent).
    pub env: &'a str,
}

/// A world with one slot `c1` (its entry extended by `extra` YAML lines), or `None`.
pub fn one_slot_world(test: &str, scenario: &str, extra: &str) -> Option<World> {
    let slots = [SlotDef {
        id: "c1",
        extra,
        env: "",
    }];
    world(test, scenario, "", &slots)
}

/// A running test world.
pub struct World {
    pub tmp: tempfile::TempDir,
    pub server: Server,
    pub daemon: Daemon,
    pub proj: PathBuf,
}

/// A world for `test`, or `None` (skipped) when Claude Code is not installed.
/// `top` is YAML placed before `slots:` (`roles:`, `secrets:`).
pub fn world(test: &str, scenario: &str, top: &str, slots: &[SlotDef]) -> Option<World> {
    let claude = claude_for_test(test)?;
    let tmp = tempfile::tempdir().expect("tempdir");
    let proj = tmp.path().join("proj");
    std::fs::create_dir_all(&proj).expect("proj");
    let server = Server::start(Scenario::from_yaml(scenario).expect("scenario")).expect("mock");
    let home = ClaudeHome::create(tmp.path().join("claude-home"), &[&proj]).expect("claude home");
    let env: String = claude_env(home.path(), server.base_url())
        .into_iter()
        .map(|(k, v)| format!("      {k}: {}\n", json!(v)))
        .collect();
    let mut yaml = format!("{top}slots:\n");
    for slot in slots {
        yaml.push_str(&format!(
            "  - id: {}\n    role: coder\n    cwd: {}\n    command: {}\n    permission_mode: manual\n{}    env:\n{env}{}",
            slot.id,
            json!(proj.display().to_string()),
            json!(claude.display().to_string()),
            slot.extra,
            slot.env,
        ));
    }
    let daemon = Daemon::start(&tmp.path().join("missiond-home"), Some(&yaml));
    Some(World {
        tmp,
        server,
        daemon,
        proj,
    })
}

/// Builds `mission-mcp` beside the `missiond` under test (once per test process), so the
/// daemon gives its slots the mission server.
pub fn build_mission_mcp() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let dir = Path::new(env!("CARGO_BIN_EXE_missiond"))
            .parent()
            .expect("missiond has a folder")
            .to_path_buf();
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args([
                "build",
                "--quiet",
                "-p",
                "missiond-mcp",
                "--bin",
                "mission-mcp",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if dir.file_name().is_some_and(|n| n == "release") {
            cargo.arg("--release");
        }
        let status = cargo.status().expect("running cargo build for mission-mcp");
        assert!(status.success(), "cargo build -p missiond-mcp failed");
        let bin = dir.join("mission-mcp");
        assert!(
            bin.is_file(),
            "mission-mcp was not built at {}",
            bin.display()
        );
        bin
    })
    .clone()
}

/// Every inbox message, oldest first, leaving them unread.
pub async fn inbox(client: &IpcClient) -> Vec<Value> {
    let v = ok(
        client,
        "mission_inbox",
        json!({"unreadOnly": false, "markRead": false, "limit": 500}),
    )
    .await;
    v["messages"].as_array().cloned().unwrap_or_default()
}

/// Wait until the inbox holds a message matching `pred`; returns it.
pub async fn wait_inbox(
    client: &IpcClient,
    limit: Duration,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + limit;
    let mut last = Vec::new();
    while Instant::now() < deadline {
        last = inbox(client).await;
        if let Some(m) = last.iter().find(|m| pred(m)) {
            return m.clone();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the inbox never got {what}; it holds: {last:#?}");
}

/// A message about `slot` with `data.event == event`.
pub fn event_of(slot: &str, event: &str) -> impl Fn(&Value) -> bool {
    let (slot, event) = (slot.to_string(), event.to_string());
    move |m: &Value| m["slotId"] == slot.as_str() && m["data"]["event"] == event.as_str()
}

/// How many inbox messages are about `slot` with `data.event == event`.
pub async fn count_events(client: &IpcClient, slot: &str, event: &str) -> usize {
    let matches = event_of(slot, event);
    inbox(client).await.iter().filter(|m| matches(m)).count()
}

/// `mission_pty_status` of `slot`.
pub async fn status(client: &IpcClient, slot: &str) -> Value {
    ok(client, "mission_pty_status", json!({"slotId": slot})).await
}

/// Spawn `slot` and expect it idle; returns its pid and session id.
pub async fn spawn_idle(client: &IpcClient, slot: &str) -> (i64, String) {
    let spawned = ok(client, "mission_pty_spawn", json!({"slotId": slot})).await;
    if spawned["state"] != "Idle" {
        let screen = ok(client, "mission_pty_screen", json!({"slotId": slot})).await;
        panic!("{slot} did not become idle: {spawned}\nscreen: {screen:#}");
    }
    let st = status(client, slot).await;
    (
        st["pid"].as_i64().expect("pid"),
        st["sessionId"].as_str().expect("session id").to_string(),
    )
}

/// Signal `pid`.
pub fn signal(pid: i64, sig: i32) {
    // SAFETY: kill(2) on a process the test's daemon started.
    let rc = unsafe { libc::kill(pid as i32, sig) };
    assert_eq!(rc, 0, "kill({pid}, {sig}) failed");
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// Whether `needle` occurs in `hay`.
pub fn contains_bytes(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}
