//! Tasks whose turn does not simply end, with the REAL Claude Code against mock-anthropic:
//! a permission dialog keeps the task running and tells the inbox, an API error fails it
//! with the screen's text, and the slot takes the next task afterwards. Skipped (with a
//! line on stderr) when Claude Code is not installed, unless MISSIOND_E2E_REQUIRED=1.

mod daemon_support;
mod daemon_tasks_support;

use std::time::{Duration, Instant};

use daemon_support::ok;
use daemon_tasks_support::{
    DIALOG_ANSWER, DIALOG_PROMPT, ERROR_MESSAGE, ERROR_PROMPT, World, answer, prompt, wait_final,
};
use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(120);

/// Poll the inbox (without marking read) for a message of `kind` about `task`.
async fn wait_message(client: &missiond_core::ipc::IpcClient, kind: &str, task: &str) -> Value {
    let deadline = Instant::now() + LIMIT;
    loop {
        let inbox = ok(
            client,
            "mission_inbox",
            json!({"markRead": false, "unreadOnly": false, "limit": 500}),
        )
        .await;
        let found = inbox["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .find(|m| m["kind"] == kind && m["taskId"] == task)
            .cloned();
        if let Some(m) = found {
            return m;
        }
        assert!(Instant::now() < deadline, "no {kind} for {task}: {inbox}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dialog_keeps_the_task_running_and_an_error_fails_it() {
    let Some(w) = World::start(
        "a_dialog_keeps_the_task_running_and_an_error_fails_it",
        &[("a1", "alpha")],
        2,
    ) else {
        return;
    };
    let client = w.daemon.client().await;

    let submitted = ok(&client, "mission_submit", json!({"prompt": DIALOG_PROMPT})).await;
    let id = submitted["taskId"].as_str().expect("taskId").to_string();
    let asked = wait_message(&client, "permission_ask", &id).await;
    assert_eq!(asked["slotId"], "a1", "{asked}");
    assert!(
        asked["data"]["dialog"]["command"]
            .as_str()
            .is_some_and(|c| c.contains("task.txt")),
        "{asked}"
    );
    let task = ok(&client, "mission_task", json!({"taskIds": [id]})).await;
    assert_eq!(task["tasks"][0]["status"], "running", "{task}");

    ok(
        &client,
        "mission_pty_confirm",
        json!({"slotId": "a1", "response": "yes"}),
    )
    .await;
    let done = wait_final(&client, std::slice::from_ref(&id), LIMIT).await;
    assert_eq!(done[0]["status"], "done", "{}", done[0]);
    assert_eq!(done[0]["result"], DIALOG_ANSWER, "{}", done[0]);
    let written = std::fs::read_to_string(w.proj.join("task.txt")).unwrap_or_default();
    assert_eq!(written.trim(), "task");

    let failing = ok(&client, "mission_submit", json!({"prompt": ERROR_PROMPT})).await;
    let failing_id = failing["taskId"].as_str().expect("taskId").to_string();
    let failed = wait_final(&client, std::slice::from_ref(&failing_id), LIMIT).await;
    assert_eq!(failed[0]["status"], "failed", "{}", failed[0]);
    let error = failed[0]["error"].as_str().unwrap_or_default();
    assert!(error.contains(ERROR_MESSAGE), "error text: {error}");
    wait_message(&client, "task_failed", &failing_id).await;

    // The slot goes on taking work.
    let next = ok(
        &client,
        "mission_ask",
        json!({"prompt": prompt(1), "timeoutMs": 120000}),
    )
    .await;
    assert_eq!(next["answer"], answer(1).as_str(), "{next}");
}

/// Wait until the task runs on a slot; returns that slot.
async fn wait_running(client: &missiond_core::ipc::IpcClient, id: &str) -> String {
    let deadline = Instant::now() + LIMIT;
    loop {
        let t = ok(client, "mission_task", json!({"taskIds": [id]})).await;
        let task = &t["tasks"][0];
        if task["status"] == "running" {
            return task["slotId"].as_str().expect("slotId").to_string();
        }
        assert!(Instant::now() < deadline, "{id} never ran: {t}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_and_restart_hand_the_running_task_back() {
    use daemon_tasks_support::{slow_answer, slow_prompt};
    let Some(w) = World::start(
        "kill_and_restart_hand_the_running_task_back",
        &[("a1", "alpha"), ("a2", "alpha")],
        4,
    ) else {
        return;
    };
    let client = w.daemon.client().await;
    let spawned = ok(&client, "mission_spawn", json!({"slotId": "a1"})).await;
    assert_eq!(spawned["state"], "Idle", "{spawned}");

    // Restart: the task pinned to the slot waits for it and runs there again.
    let t1 = ok(
        &client,
        "mission_submit",
        json!({"prompt": slow_prompt(1), "slotId": "a1"}),
    )
    .await;
    let t1 = t1["taskId"].as_str().expect("taskId").to_string();
    assert_eq!(wait_running(&client, &t1).await, "a1");
    let restarted = ok(&client, "mission_restart", json!({"slotId": "a1"})).await;
    assert_eq!(restarted["task"]["taskId"], t1.as_str(), "{restarted}");
    assert_eq!(restarted["task"]["status"], "queued", "{restarted}");
    let done = wait_final(&client, std::slice::from_ref(&t1), LIMIT).await;
    assert_eq!(done[0]["status"], "done", "{}", done[0]);
    assert_eq!(done[0]["result"], slow_answer(1).as_str());
    assert_eq!(done[0]["slotId"], "a1");
    assert_eq!(done[0]["attempts"], 2);

    // Kill: the task goes to another slot of the role (started for it); the killed
    // slot stays stopped.
    let t2 = ok(
        &client,
        "mission_submit",
        json!({"prompt": slow_prompt(2), "role": "alpha"}),
    )
    .await;
    let t2 = t2["taskId"].as_str().expect("taskId").to_string();
    let first = wait_running(&client, &t2).await;
    let killed = ok(&client, "mission_kill", json!({"slotId": first})).await;
    assert_eq!(killed["wasRunning"], true, "{killed}");
    assert_eq!(killed["task"]["status"], "queued", "{killed}");
    let done = wait_final(&client, std::slice::from_ref(&t2), LIMIT).await;
    assert_eq!(done[0]["status"], "done", "{}", done[0]);
    assert_eq!(done[0]["result"], slow_answer(2).as_str());
    assert_ne!(done[0]["slotId"], first.as_str(), "{}", done[0]);
    let agents = ok(&client, "mission_agents", json!({})).await;
    let state = agents["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .find(|a| a["slotId"] == first.as_str())
        .map(|a| a["state"].clone());
    assert_eq!(state, Some(json!("Stopped")), "{agents}");

    // Kill without requeue: the task is cancelled.
    let other = done[0]["slotId"].as_str().expect("slotId").to_string();
    let t3 = ok(
        &client,
        "mission_submit",
        json!({"prompt": slow_prompt(3), "slotId": other}),
    )
    .await;
    let t3 = t3["taskId"].as_str().expect("taskId").to_string();
    wait_running(&client, &t3).await;
    let killed = ok(
        &client,
        "mission_kill",
        json!({"slotId": other, "requeue": false}),
    )
    .await;
    assert_eq!(killed["task"]["taskId"], t3.as_str(), "{killed}");
    assert_eq!(killed["task"]["status"], "cancelled", "{killed}");
    let runs = ok(&client, "mission_slot_history", json!({"slotId": first})).await;
    assert!(
        runs["runs"]
            .as_array()
            .expect("runs")
            .iter()
            .any(|r| r["taskId"] == t2.as_str()
                && r["outcome"] == "interrupted"
                && r["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("mission_kill"))),
        "{runs}"
    );
}
