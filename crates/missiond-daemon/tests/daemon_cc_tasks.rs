//! The task-list tools over a watched config folder's `tasks/` (hand-written in the shape
//! Claude Code 2.1.331 writes: `tasks/<list id>/<id>.json` beside `.highwatermark` and
//! `.lock`), through the daemon: `mission_cc_tasks`, `mission_cc_in_progress`,
//! `mission_cc_overview`, and `mission_cc_trigger_swarm` handing each ready task once,
//! pinned to the slots given in turn, across a daemon restart. No Claude Code needed.

mod daemon_support;

use std::path::Path;
use std::time::{Duration, Instant};

use daemon_support::{Daemon, err_code, ok};
use missiond_core::ipc::IpcClient;
use serde_json::{Value, json};

const LIST: &str = "5e55a001-0000-4000-8000-0000000000cc";

/// Writes task `id` with `status`; `extra` (a JSON object) adds or replaces fields.
fn task(root: &Path, id: &str, status: &str, extra: Value) {
    let dir = root.join("tasks").join(LIST);
    std::fs::create_dir_all(&dir).unwrap();
    let mut t = json!({"id": id, "subject": format!("Subject {id}"),
        "description": format!("Describe {id}"), "activeForm": format!("Doing {id}"),
        "status": status, "blocks": [], "blockedBy": []});
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        t[k] = v;
    }
    std::fs::write(dir.join(format!("{id}.json")), t.to_string()).unwrap();
}

/// Two Claude Code slots (tasks run on Claude Code slots only) whose binary does not
/// exist: the tasks handed to them stay queued, which is all this test looks at.
fn two_slots(cwd: &Path) -> String {
    let slot = |id: &str| {
        format!(
            "  - id: {id}\n    cwd: {}\n    command: {}\n",
            cwd.display(),
            cwd.join("no-such-bin").join("claude").display()
        )
    };
    format!("slots:\n{}{}", slot("s1"), slot("s2"))
}

/// Polls `mission_cc_tasks` until `done` holds.
async fn wait_tasks(client: &IpcClient, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = Value::Null;
    while Instant::now() < deadline {
        if let Ok(got) = client
            .call("mission_cc_tasks", json!({"sessionId": LIST}))
            .await
        {
            let tasks = got["tasks"].as_array().cloned().unwrap_or_default();
            if done(&tasks) {
                return tasks;
            }
            last = got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the task list never matched; last: {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_lists_are_read_live_and_trigger_swarm_hands_each_ready_task_once() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("cc-config");
    std::fs::create_dir_all(&config).unwrap();
    let home = tmp.path().join("missiond-home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("history.yaml"),
        format!("watch:\n  - {}\n", json!(config.display().to_string())),
    )
    .unwrap();
    let cwd = tmp.path().join("work");
    std::fs::create_dir_all(&cwd).unwrap();
    let mut daemon = Daemon::start(&home, Some(&two_slots(&cwd)));
    let client = daemon.client().await;

    err_code(
        &client,
        "mission_cc_tasks",
        json!({"sessionId": LIST}),
        -32602,
    )
    .await;

    // Written after the daemon started: seen through inotify (or the rescan).
    task(&config, "1", "completed", json!({}));
    task(&config, "2", "in_progress", json!({"owner": "agent-a"}));
    task(&config, "3", "pending", json!({"blockedBy": ["1"]}));
    task(&config, "4", "pending", json!({"blockedBy": ["2"]}));
    task(&config, "5", "pending", json!({}));
    task(&config, "6", "pending", json!({"owner": "bob"}));
    std::fs::write(config.join("tasks").join(LIST).join(".highwatermark"), "6").unwrap();
    std::fs::write(config.join("tasks").join(LIST).join(".lock"), "").unwrap();
    let tasks = wait_tasks(&client, |t| t.len() == 6).await;
    let ids: Vec<&str> = tasks.iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5", "6"]);
    assert_eq!(tasks[1]["owner"], "agent-a");
    assert_eq!(tasks[2]["blockedBy"], json!(["1"]));
    assert_eq!(tasks[0]["taskListId"], LIST);

    let progress = ok(&client, "mission_cc_in_progress", json!({})).await;
    let ids: Vec<&str> = progress["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["2"], "{progress}");
    let overview = ok(&client, "mission_cc_overview", json!({})).await;
    assert_eq!(
        overview["tasks"],
        json!({"lists": 1, "total": 6, "pending": 4, "inProgress": 1, "completed": 1}),
        "{overview}"
    );

    // A dry run queues nothing; then 3 and 5 are handed, in turn to s1 and s2.
    let dry = ok(
        &client,
        "mission_cc_trigger_swarm",
        json!({"sessionId": LIST, "slots": ["s1", "s2"], "dryRun": true}),
    )
    .await;
    assert_eq!(dry["handed"].as_array().unwrap().len(), 2, "{dry}");
    assert_eq!(dry["handed"][0]["taskId"], Value::Null);
    let swarm = ok(
        &client,
        "mission_cc_trigger_swarm",
        json!({"sessionId": LIST, "slots": ["s1", "s2"]}),
    )
    .await;
    let handed = swarm["handed"].as_array().unwrap();
    let got: Vec<(&str, &str)> = handed
        .iter()
        .map(|h| {
            (
                h["ccTaskId"].as_str().unwrap(),
                h["slotId"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, [("3", "s1"), ("5", "s2")], "{swarm}");
    let reasons: Vec<(&str, &str)> = swarm["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["ccTaskId"].as_str().unwrap(),
                s["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            ("1", "completed"),
            ("2", "in_progress"),
            ("4", "blocked by 2"),
            ("6", "owned by bob")
        ]
    );
    let queued = ok(
        &client,
        "mission_task",
        json!({"taskIds": [handed[0]["taskId"], handed[1]["taskId"]]}),
    )
    .await;
    assert_eq!(queued["tasks"][0]["requestedSlotId"], "s1", "{queued}");
    assert_eq!(
        queued["tasks"][0]["prompt"],
        format!("Task 3 of Claude Code task list {LIST}: Subject 3\n\nDescribe 3")
    );
    assert_eq!(queued["tasks"][1]["requestedSlotId"], "s2");

    // Task 2 completes, so 4 is ready; after a restart only 4 is handed.
    daemon.stop();
    task(&config, "2", "completed", json!({"owner": "agent-a"}));
    let mut daemon = Daemon::start(&home, Some(&two_slots(&cwd)));
    let client = daemon.client().await;
    wait_tasks(&client, |t| {
        t.iter()
            .any(|t| t["id"] == "2" && t["status"] == "completed")
    })
    .await;
    // An unknown role is refused before anything is handed.
    err_code(
        &client,
        "mission_cc_trigger_swarm",
        json!({"sessionId": LIST, "role": "anything"}),
        -32602,
    )
    .await;
    let again = ok(
        &client,
        "mission_cc_trigger_swarm",
        json!({"sessionId": LIST, "role": "general"}),
    )
    .await;
    let handed: Vec<&str> = again["handed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["ccTaskId"].as_str().unwrap())
        .collect();
    assert_eq!(handed, ["4"], "{again}");
    assert_eq!(again["handed"][0]["slotId"], Value::Null);
    assert!(
        again["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["ccTaskId"] == "3"
                && s["reason"].as_str().unwrap().starts_with("already handed")),
        "{again}"
    );
    // Bad arguments.
    err_code(
        &client,
        "mission_cc_trigger_swarm",
        json!({"sessionId": "no-such-list"}),
        -32602,
    )
    .await;
    daemon.stop();
}
