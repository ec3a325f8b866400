//! The task dispatcher with the REAL Claude Code against mock-anthropic: routing by role
//! and slot, exact answers per task, one task per slot at a time, mission_ask, cancel,
//! the inbox, and a daemon SIGKILLed with tasks queued and running. Skipped (with a line
//! on stderr) when Claude Code is not installed, unless MISSIOND_E2E_REQUIRED=1.

mod daemon_support;
mod daemon_tasks_support;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use daemon_support::{err_code, ok, process_exists};
use daemon_tasks_support::{
    World, all_runs, answer, assert_one_at_a_time, prompt, slow_answer, slow_prompt, wait_final,
    wait_status,
};
use serde_json::{Value, json};

const ALL_DONE: Duration = Duration::from_secs(300);

fn ids(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .map(|v| v["taskId"].as_str().expect("taskId").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_tasks_over_three_slots_of_two_roles() {
    let slots = [("a1", "alpha"), ("a2", "alpha"), ("b1", "beta")];
    let Some(w) = World::start("thirty_tasks_over_three_slots_of_two_roles", &slots, 30) else {
        return;
    };
    let client = w.daemon.client().await;
    // No slot is started by hand: the first tasks start them.
    let mut submitted = Vec::new();
    for n in 0..30 {
        let params = match n % 3 {
            0 => json!({"prompt": prompt(n), "role": "beta"}),
            1 => json!({"prompt": prompt(n), "role": "alpha", "priority": (n % 7) as i32}),
            _ => json!({"prompt": prompt(n), "slotId": "a2"}),
        };
        let r = ok(&client, "mission_submit", params).await;
        assert!(
            matches!(r["status"].as_str(), Some("queued" | "running")),
            "{r}"
        );
        submitted.push(r);
    }
    let task_ids = ids(&submitted);
    let unique: HashSet<&String> = task_ids.iter().collect();
    assert_eq!(unique.len(), 30, "task ids repeat: {task_ids:?}");

    let tasks = wait_final(&client, &task_ids, ALL_DONE).await;
    for (n, task) in tasks.iter().enumerate() {
        assert_eq!(task["status"], "done", "task {n}: {task}");
        assert_eq!(task["result"], answer(n).as_str(), "task {n}: {task}");
        assert_eq!(task["attempts"], 1, "task {n}: {task}");
        let slot = task["slotId"].as_str().expect("slotId");
        match n % 3 {
            0 => assert_eq!(slot, "b1", "beta task {n} ran on {slot}"),
            1 => assert!(slot == "a1" || slot == "a2", "alpha task {n} ran on {slot}"),
            _ => assert_eq!(slot, "a2", "task {n} pinned to a2 ran on {slot}"),
        }
    }

    let runs = all_runs(&client, &["a1", "a2", "b1"]).await;
    assert_eq!(runs.len(), 30, "one run per task: {runs:?}");
    let ran: HashSet<&str> = runs
        .iter()
        .map(|(_, r)| r["taskId"].as_str().expect("taskId"))
        .collect();
    assert_eq!(ran.len(), 30, "a task ran twice: {runs:?}");
    assert!(runs.iter().all(|(_, r)| r["outcome"] == "done"), "{runs:?}");
    assert_one_at_a_time(&runs);

    // Every submitted task's answer is in the inbox, under its own id.
    let inbox = ok(&client, "mission_inbox", json!({"limit": 500})).await;
    let done: BTreeMap<&str, &str> = inbox["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["kind"] == "task_done")
        .map(|m| {
            (
                m["taskId"].as_str().expect("taskId"),
                m["text"].as_str().expect("text"),
            )
        })
        .collect();
    for (n, id) in task_ids.iter().enumerate() {
        assert_eq!(
            done.get(id.as_str()).copied(),
            Some(answer(n).as_str()),
            "inbox for {id}"
        );
    }
    let status = ok(&client, "mission_status", json!({})).await;
    assert_eq!(status["counts"]["done"], 30, "{status}");
    assert_eq!(status["counts"]["queued"], 0, "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_answers_and_cancel_stops_queued_and_running_tasks() {
    let slots = [("a1", "alpha")];
    let Some(w) = World::start(
        "ask_answers_and_cancel_stops_queued_and_running_tasks",
        &slots,
        4,
    ) else {
        return;
    };
    let client = w.daemon.client().await;

    let asked = ok(
        &client,
        "mission_ask",
        json!({"prompt": prompt(1), "role": "alpha", "timeoutMs": 120000}),
    )
    .await;
    assert_eq!(asked["answer"], answer(1).as_str(), "{asked}");
    assert_eq!(asked["slotId"], "a1");

    // A slow task runs; a second one waits behind it.
    let slow = ok(&client, "mission_submit", json!({"prompt": slow_prompt(2)})).await;
    let slow_id = slow["taskId"].as_str().expect("taskId").to_string();
    wait_status(&client, Duration::from_secs(60), |s| {
        s["running"][0]["taskId"] == slow_id.as_str()
    })
    .await;
    let queued = ok(
        &client,
        "mission_submit",
        json!({"prompt": prompt(3), "slotId": "a1"}),
    )
    .await;
    assert_eq!(queued["status"], "queued", "{queued}");
    assert_eq!(queued["queuePosition"], 0, "{queued}");
    let queued_id = queued["taskId"].as_str().expect("taskId").to_string();

    let c = ok(&client, "mission_cancel", json!({"taskId": queued_id})).await;
    assert_eq!(c["previousStatus"], "queued", "{c}");
    assert_eq!(c["status"], "cancelled");
    assert!(c["interruptedSlot"].is_null(), "{c}");

    let c = ok(
        &client,
        "mission_cancel",
        json!({"taskId": slow_id, "reason": "changed my mind"}),
    )
    .await;
    assert_eq!(c["previousStatus"], "running", "{c}");
    assert_eq!(c["interruptedSlot"], "a1", "{c}");
    // Cancelling again changes nothing; a done task cannot be cancelled.
    let again = ok(&client, "mission_cancel", json!({"taskId": slow_id})).await;
    assert_eq!(again["previousStatus"], "cancelled");
    err_code(
        &client,
        "mission_cancel",
        json!({"taskId": asked["taskId"]}),
        -32011,
    )
    .await;

    // The slot is free again once the interrupted turn ended: the next ask runs.
    let next = ok(
        &client,
        "mission_ask",
        json!({"prompt": prompt(0), "slotId": "a1", "timeoutMs": 120000}),
    )
    .await;
    assert_eq!(next["answer"], answer(0).as_str(), "{next}");

    let tasks = ok(
        &client,
        "mission_task",
        json!({"taskIds": [slow_id, queued_id]}),
    )
    .await;
    assert_eq!(tasks["tasks"][0]["status"], "cancelled", "{tasks}");
    assert_eq!(tasks["tasks"][0]["error"], "changed my mind", "{tasks}");
    assert_eq!(tasks["tasks"][1]["status"], "cancelled", "{tasks}");
    assert!(tasks["tasks"][1]["startedAt"].is_null(), "{tasks}");
    let runs = all_runs(&client, &["a1"]).await;
    let outcomes: Vec<(&str, &str)> = runs
        .iter()
        .map(|(_, r)| {
            (
                r["taskId"].as_str().unwrap_or_default(),
                r["outcome"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        outcomes.contains(&(slow_id.as_str(), "cancelled")),
        "{outcomes:?}"
    );
    assert!(
        !outcomes.iter().any(|(id, _)| *id == queued_id),
        "the cancelled queued task ran: {outcomes:?}"
    );
    assert_one_at_a_time(&runs);

    // mission_ask answers are not announced; a bad role is refused up front.
    let inbox = ok(&client, "mission_inbox", json!({})).await;
    assert!(
        !inbox["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .any(|m| m["kind"] == "task_done"),
        "{inbox}"
    );
    err_code(
        &client,
        "mission_submit",
        json!({"prompt": "x", "role": "nobody"}),
        -32602,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_with_tasks_running_and_queued_loses_and_repeats_none() {
    let slots = [("a1", "alpha"), ("a2", "alpha")];
    let Some(mut w) = World::start(
        "sigkill_with_tasks_running_and_queued_loses_and_repeats_none",
        &slots,
        8,
    ) else {
        return;
    };
    let client = w.daemon.client().await;
    let mut submitted = Vec::new();
    for n in 0..2 {
        let p = json!({"prompt": slow_prompt(n), "role": "alpha", "priority": 5});
        submitted.push(ok(&client, "mission_submit", p).await);
    }
    for n in 2..8 {
        let p = json!({"prompt": prompt(n), "role": "alpha"});
        submitted.push(ok(&client, "mission_submit", p).await);
    }
    let task_ids = ids(&submitted);
    // Both slow tasks are on a slot, the rest wait.
    wait_status(&client, Duration::from_secs(90), |s| {
        s["counts"]["running"] == 2
            && s["running"].as_array().is_some_and(|r| {
                r.iter()
                    .all(|t| t["prompt"].as_str().is_some_and(|p| p.contains("slowmark")))
            })
    })
    .await;
    let agents = ok(&client, "mission_agents", json!({})).await;
    let pids: Vec<i64> = agents["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .filter_map(|a| a["pid"].as_i64())
        .collect();
    assert_eq!(pids.len(), 2, "{agents}");
    drop(client);

    w.daemon.kill9();
    w.restart_daemon();
    let client = w.daemon.client().await;
    // The old slot processes do not outlive their daemon.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while pids.iter().any(|p| process_exists(*p)) {
        assert!(
            std::time::Instant::now() < deadline,
            "slot processes {pids:?} outlived the killed daemon"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let tasks = wait_final(&client, &task_ids, ALL_DONE).await;
    for (n, task) in tasks.iter().enumerate() {
        let expected = if n < 2 { slow_answer(n) } else { answer(n) };
        match task["status"].as_str() {
            Some("done") => assert_eq!(task["result"], expected.as_str(), "task {n}: {task}"),
            Some("failed") => assert!(
                task["error"].as_str().is_some_and(|e| !e.is_empty()),
                "task {n} failed without a reason: {task}"
            ),
            _ => panic!("task {n} neither done nor failed: {task}"),
        }
    }
    // The slow tasks were running at the kill: requeued, then run again.
    for task in &tasks[..2] {
        assert_eq!(task["status"], "done", "{task}");
        assert_eq!(task["attempts"], 2, "{task}");
    }
    let runs = all_runs(&client, &["a1", "a2"]).await;
    for (n, id) in task_ids.iter().enumerate() {
        let mine: Vec<&Value> = runs
            .iter()
            .filter(|(_, r)| r["taskId"] == id.as_str())
            .map(|(_, r)| r)
            .collect();
        let done = mine.iter().filter(|r| r["outcome"] == "done").count();
        assert_eq!(done, 1, "task {n} finished {done} times: {mine:?}");
        assert_eq!(
            mine.len() as u64,
            tasks[n]["attempts"].as_u64().unwrap_or(0),
            "task {n}: runs and attempts differ: {mine:?}"
        );
        if n < 2 {
            assert!(
                mine.iter().any(|r| r["outcome"] == "interrupted"
                    && r["detail"]
                        .as_str()
                        .is_some_and(|d| d.contains("restarted"))),
                "task {n}: {mine:?}"
            );
        }
    }
    assert_one_at_a_time(&runs);
    let inbox = ok(
        &client,
        "mission_inbox",
        json!({"limit": 500, "unreadOnly": false}),
    )
    .await;
    assert!(
        inbox["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .any(|m| m["kind"] == "notice"
                && m["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("2 interrupted task(s) requeued"))),
        "{inbox}"
    );
}
