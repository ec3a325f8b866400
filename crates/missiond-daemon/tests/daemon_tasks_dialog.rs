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
async fn wait_message(
    client: &missiond_core::ipc::IpcClient,
    kind: &str,
    task: &str,
) -> Value {
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
