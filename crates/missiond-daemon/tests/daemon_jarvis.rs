//! The log center through a real daemon: a request id given at the client's edge is
//! on every entry of the call; a slot-driving call becomes the cause of the hook events
//! the real `missiond hook` command relays for that slot; queries filter and refuse bad
//! input; `missiond logs --daemon` shows the same for people.

mod daemon_support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use daemon_support::{Daemon, err_code, ok, shell_slot_yaml, type_line, wait_status};
use missiond_core::ipc::IpcClient;
use serde_json::{Value, json};

const INVALID_PARAMS: i32 = -32602;

/// Polls `mission_jarvis_trace` until `done` holds (the writer stores in batches).
async fn trace_until(client: &IpcClient, id: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = Vec::new();
    while Instant::now() < deadline {
        if let Ok(v) = client
            .call("mission_jarvis_trace", json!({"requestId": id}))
            .await
        {
            last = v["entries"].as_array().cloned().unwrap_or_default();
            if done(&last) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    panic!("the trace of {id} never matched; last: {last:#?}");
}

fn messages(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["message"].as_str().unwrap_or(""))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_traced_from_the_edge_through_a_slots_hook() {
    let dir = tempfile::Builder::new().prefix("jarvis").tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let home = dir.path().join("home");
    let daemon = Daemon::start(&home, Some(&shell_slot_yaml(&work)));
    let client = daemon.client().await;

    // A call with an id minted at the edge: its entries carry it, and the slot.
    let edge = client.with_request_id("test-spawn-1");
    ok(&edge, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    let spawn = trace_until(&client, "test-spawn-1", |e| {
        messages(e).contains(&"call done")
    })
    .await;
    assert!(
        spawn.iter().all(|e| e["requestId"] == "test-spawn-1"),
        "{spawn:#?}"
    );
    assert!(
        spawn
            .iter()
            .any(|e| e["fields"]["method"] == "mission_pty_spawn")
    );
    assert!(spawn.iter().all(|e| e["slotId"] == "sh"), "{spawn:#?}");
    wait_status(&client, "sh", Duration::from_secs(30), |s| {
        s["pid"].is_number()
    })
    .await;

    // The send drives the slot: the hook the slot's agent fires next is caused by it.
    let send = client.with_request_id("test-send-1");
    type_line(&send, "sh", "echo hello").await;
    let mut hook = Command::new(env!("CARGO_BIN_EXE_missiond"))
        .args(["hook", "Stop"])
        .env("MISSIOND_HOME", &home)
        .env("MISSIOND_SLOT_ID", "sh")
        .env("MISSIOND_SLOT_ROLE", "general")
        .env("MISSION_IPC_ENDPOINT", home.join("missiond.sock"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    hook.stdin
        .take()
        .unwrap()
        .write_all(br#"{"hook_event_name":"Stop"}"#)
        .unwrap();
    assert!(hook.wait().unwrap().success());

    let send_trace = trace_until(&client, "test-send-1", |e| {
        messages(e).contains(&"hook event")
    })
    .await;
    let seqs: Vec<i64> = send_trace
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
    assert_eq!(send_trace[0]["message"], "call", "{send_trace:#?}");
    let hook_entry = send_trace
        .iter()
        .find(|e| e["message"] == "hook event")
        .unwrap();
    assert_eq!(hook_entry["causeId"], "test-send-1");
    assert_eq!(hook_entry["slotId"], "sh");
    assert_eq!(hook_entry["fields"]["hook"], "Stop");
    let hook_id = hook_entry["requestId"].as_str().unwrap();
    assert!(
        hook_id.starts_with("hook-"),
        "the hook command minted its own id: {hook_id}"
    );

    // Queries: by slot, level, text; bounded; bad input named.
    let by_slot = ok(
        &client,
        "mission_jarvis_logs",
        json!({"slotId": "sh", "limit": 1000}),
    )
    .await;
    assert!(
        by_slot["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["slotId"] == "sh")
    );
    assert!(!by_slot["entries"].as_array().unwrap().is_empty());
    let warn = ok(
        &client,
        "mission_jarvis_logs",
        json!({"level": "warn", "since": "1h"}),
    )
    .await;
    assert!(
        warn["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["level"] == "warn" || e["level"] == "error"),
        "{warn}"
    );
    // The timed-out send is a warning with its request id.
    assert!(
        warn["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["requestId"] == "test-send-1"),
        "{warn}"
    );
    let text = ok(
        &client,
        "mission_jarvis_logs",
        json!({"text": "MISSION_PTY_SPAWN"}),
    )
    .await;
    assert!(!text["entries"].as_array().unwrap().is_empty());
    let one = ok(&client, "mission_jarvis_logs", json!({"limit": 1})).await;
    assert_eq!(one["entries"].as_array().unwrap().len(), 1);
    assert_eq!(one["truncated"], true);
    for (params, field) in [
        (json!({"limit": 1_000_000}), "limit"),
        (json!({"since": "yesterday"}), "since"),
        (json!({"text": "x".repeat(100_000)}), "text"),
        (json!({"level": "loud"}), "level"),
    ] {
        let data = err_code(
            &client,
            "mission_jarvis_logs",
            params.clone(),
            INVALID_PARAMS,
        )
        .await;
        assert_eq!(data["field"], field, "{params}");
    }
    let data = err_code(
        &client,
        "mission_jarvis_trace",
        json!({"requestId": "never-seen"}),
        INVALID_PARAMS,
    )
    .await;
    assert_eq!(data["field"], "requestId");

    // The same for people.
    let out = Command::new(env!("CARGO_BIN_EXE_missiond"))
        .args(["logs", "--daemon", "--trace", "test-send-1"])
        .env("MISSIOND_HOME", &home)
        .env_remove("MISSION_IPC_ENDPOINT")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("[test-send-1 sh]") && lines[0].contains("call"),
        "{text}"
    );
    assert!(
        text.contains("hook event") && text.contains("cause=test-send-1"),
        "{text}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_missiond"))
        .args([
            "logs", "--daemon", "--slot", "sh", "--level", "info", "--limit", "5", "--json",
        ])
        .env("MISSIOND_HOME", &home)
        .env_remove("MISSION_IPC_ENDPOINT")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 5);
    assert!(
        rows.windows(2)
            .all(|w| w[0]["seq"].as_i64() < w[1]["seq"].as_i64()),
        "oldest first"
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_missiond"))
        .args(["logs", "--daemon", "--limit", "0"])
        .env("MISSIOND_HOME", &home)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("limit"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_log_center_setting_is_a_health_warning_not_a_dead_daemon() {
    let dir = tempfile::Builder::new()
        .prefix("jarvis-off")
        .tempdir()
        .unwrap();
    let daemon = Daemon::start_with_env(
        dir.path(),
        Some("slots: []\n"),
        &[("MISSION_JARVIS_MAX_BYTES", "lots")],
    );
    let client = daemon.client().await;
    let health = ok(&client, "mission_health", json!({})).await;
    let warnings = health["warnings"].to_string();
    assert!(warnings.contains("MISSION_JARVIS_MAX_BYTES"), "{health}");
    let e = client
        .call("mission_jarvis_logs", json!({}))
        .await
        .expect_err("the log center is off");
    let rpc = e.rpc().expect("an RPC error");
    assert_eq!(rpc.code, -32009, "{}", rpc.message);
    assert!(
        rpc.message.contains("MISSION_JARVIS_MAX_BYTES"),
        "{}",
        rpc.message
    );
}
