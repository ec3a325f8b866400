//! The log center with the REAL Claude Code against mock-anthropic: a task submitted
//! under a request id is traced through its run and the hooks Claude Code fires for it.
//! Skipped (with a line on stderr) when Claude Code is not installed, unless
//! MISSIOND_E2E_REQUIRED=1.

mod daemon_support;
mod daemon_tasks_support;

use std::time::{Duration, Instant};

use daemon_support::ok;
use daemon_tasks_support::{World, answer, prompt, wait_final};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_submitted_task_is_traced_through_claude_codes_hooks() {
    let Some(w) = World::start(
        "a_submitted_task_is_traced_through_claude_codes_hooks",
        &[("a1", "alpha")],
        2,
    ) else {
        return;
    };
    let client = w.daemon.client().await;
    let edge = client.with_request_id("test-task-1");
    let task = ok(
        &edge,
        "mission_submit",
        json!({"prompt": prompt(1), "role": "alpha"}),
    )
    .await;
    let id = task["taskId"].as_str().expect("taskId").to_string();
    let done = wait_final(&client, std::slice::from_ref(&id), Duration::from_secs(240)).await;
    assert_eq!(done[0]["result"], answer(1).as_str(), "{done:?}");

    // The writer stores in batches: poll until the hooks of the run are in.
    let deadline = Instant::now() + Duration::from_secs(60);
    let entries = loop {
        let v = client
            .call("mission_jarvis_trace", json!({"requestId": "test-task-1"}))
            .await
            .map(|v| v["entries"].as_array().cloned().unwrap_or_default())
            .unwrap_or_default();
        let hooks: Vec<&Value> = v.iter().filter(|e| e["message"] == "hook event").collect();
        if v.iter().any(|e| e["message"] == "task started")
            && hooks.iter().any(|e| e["fields"]["hook"] == "Stop")
        {
            break v;
        }
        assert!(Instant::now() < deadline, "no full trace; last: {v:#?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let started = entries
        .iter()
        .find(|e| e["message"] == "task started")
        .unwrap();
    assert_eq!(started["slotId"], "a1");
    let hook = entries
        .iter()
        .find(|e| e["message"] == "hook event" && e["fields"]["hook"] == "Stop")
        .unwrap();
    assert_eq!(hook["causeId"], "test-task-1", "{hook}");
    assert_eq!(hook["slotId"], "a1");
    assert!(
        hook["requestId"].as_str().unwrap().starts_with("hook-"),
        "{hook}"
    );
}
