//! The question queue and the mission board through a real daemon (no slots) over its
//! Unix socket: every tool, errors for bad input and unknown ids (the daemon stays up),
//! the agent_question inbox message, and everything surviving a daemon restart.

mod daemon_support;

use daemon_support::{Daemon, err_code, ok};
use missiond_core::ipc::{IpcClient, RpcError};
use serde_json::{Value, json};

const INVALID_PARAMS: i32 = -32602;
const INVALID_CHOICE: i32 = -32011;
const NO_SLOTS: &str = "slots: []\n";

/// Calls `method` expecting an error; returns it whole (message and data).
async fn rpc_err(client: &IpcClient, method: &str, params: Value) -> RpcError {
    match client.call(method, params.clone()).await {
        Ok(v) => panic!("{method} {params} succeeded with {v}"),
        Err(e) => e
            .rpc()
            .unwrap_or_else(|| panic!("{method}: not an RPC error: {e}"))
            .clone(),
    }
}

/// Expects -32602 naming `field`.
async fn bad_field(client: &IpcClient, method: &str, params: Value, field: &str) {
    let data = err_code(client, method, params.clone(), INVALID_PARAMS).await;
    assert_eq!(data["field"], field, "{method} {params}: {data}");
}

async fn healthy(client: &IpcClient) {
    let health = ok(client, "mission_health", json!({})).await;
    assert_eq!(health["ok"], true, "{health}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_reach_the_inbox_are_answered_once_and_survive_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut daemon = Daemon::start(dir.path(), Some(NO_SLOTS));
    let client = daemon.client().await;

    let asked = ok(
        &client,
        "mission_question_create",
        json!({
            "question": "May I drop the legacy table?",
            "context": "Nothing has read it since v2.",
            "slotId": "coder-1",
            "options": ["yes", "no"],
            "priority": "urgent",
        }),
    )
    .await;
    assert_eq!(asked["questionId"], "q-000001", "{asked}");
    assert_eq!(asked["status"], "pending");
    assert_eq!(asked["answer"], Value::Null);
    let id = asked["questionId"].clone();

    let inbox = ok(&client, "mission_inbox", json!({})).await;
    let messages = inbox["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 1, "{inbox}");
    assert_eq!(messages[0]["kind"], "agent_question");
    assert_eq!(messages[0]["text"], "May I drop the legacy table?");
    assert_eq!(messages[0]["slotId"], "coder-1");
    assert_eq!(messages[0]["data"]["questionId"], id);
    assert_eq!(messages[0]["id"], asked["inboxMessageId"]);

    let other = ok(
        &client,
        "mission_question_create",
        json!({"question": "Tabs or spaces?"}),
    )
    .await;
    let other_id = other["questionId"].clone();
    assert_eq!(other_id, "q-000002");
    assert_eq!(other["priority"], "normal");

    let pending = ok(&client, "mission_question_list", json!({})).await;
    let ids: Vec<&Value> = pending["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .map(|q| &q["questionId"])
        .collect();
    assert_eq!(ids, [&id, &other_id], "urgent first");
    assert_eq!(
        pending["counts"],
        json!({"pending": 2, "answered": 0, "dismissed": 0})
    );
    let of_coder = ok(
        &client,
        "mission_question_list",
        json!({"slotId": "coder-1"}),
    )
    .await;
    assert_eq!(of_coder["questions"].as_array().map(Vec::len), Some(1));

    let answered = ok(
        &client,
        "mission_question_answer",
        json!({"questionId": id, "answer": "yes, after a backup"}),
    )
    .await;
    assert_eq!(answered["status"], "answered");
    assert_eq!(answered["answer"], "yes, after a backup");
    assert!(answered["answeredAt"].is_string(), "{answered}");
    let again = rpc_err(
        &client,
        "mission_question_answer",
        json!({"questionId": id, "answer": "no"}),
    )
    .await;
    assert_eq!(again.code, INVALID_CHOICE, "{}", again.message);
    assert!(
        again.message.contains("already answered"),
        "{}",
        again.message
    );
    assert_eq!(
        again.data,
        Some(json!({"questionId": id, "status": "answered"}))
    );

    let dismissed = ok(
        &client,
        "mission_question_dismiss",
        json!({"questionId": other_id, "reason": "house style decides"}),
    )
    .await;
    assert_eq!(dismissed["status"], "dismissed");
    assert_eq!(dismissed["dismissReason"], "house style decides");
    let late = rpc_err(
        &client,
        "mission_question_answer",
        json!({"questionId": other_id, "answer": "tabs"}),
    )
    .await;
    assert!(
        late.message.contains("already dismissed"),
        "{}",
        late.message
    );

    // Bad input: each names the field; unknown ids name the id.
    let unknown = rpc_err(
        &client,
        "mission_question_get",
        json!({"questionId": "q-000099"}),
    )
    .await;
    assert_eq!(unknown.code, INVALID_PARAMS);
    assert!(unknown.message.contains("q-000099"), "{}", unknown.message);
    assert_eq!(
        unknown.data,
        Some(json!({"field": "questionId", "questionId": "q-000099"}))
    );
    bad_field(
        &client,
        "mission_question_answer",
        json!({"questionId": "q-000099", "answer": "x"}),
        "questionId",
    )
    .await;
    bad_field(
        &client,
        "mission_question_dismiss",
        json!({"questionId": "q-000099"}),
        "questionId",
    )
    .await;
    bad_field(
        &client,
        "mission_question_get",
        json!({"questionId": "t-000001"}),
        "questionId",
    )
    .await;
    bad_field(
        &client,
        "mission_question_get",
        json!({"questionId": 1}),
        "questionId",
    )
    .await;
    bad_field(&client, "mission_question_get", json!({}), "questionId").await;
    bad_field(
        &client,
        "mission_question_create",
        json!({"question": ""}),
        "question",
    )
    .await;
    bad_field(
        &client,
        "mission_question_create",
        json!({"question": "x".repeat(70_000)}),
        "question",
    )
    .await;
    bad_field(
        &client,
        "mission_question_create",
        json!({"question": "q", "extra": 1}),
        "extra",
    )
    .await;
    bad_field(
        &client,
        "mission_question_create",
        json!({"question": "q", "taskId": "t-000005"}),
        "taskId",
    )
    .await;
    bad_field(
        &client,
        "mission_question_create",
        json!({"question": "q", "priority": "asap"}),
        "priority",
    )
    .await;
    bad_field(
        &client,
        "mission_question_create",
        json!({"question": "q", "options": vec!["o"; 21]}),
        "options",
    )
    .await;
    bad_field(
        &client,
        "mission_question_answer",
        json!({"questionId": id, "answer": "  "}),
        "answer",
    )
    .await;
    bad_field(
        &client,
        "mission_question_list",
        json!({"status": "open"}),
        "status",
    )
    .await;
    healthy(&client).await;

    drop(client);
    assert!(daemon.stop().success(), "{}", daemon.stderr_text());
    let daemon = Daemon::start(dir.path(), Some(NO_SLOTS));
    let client = daemon.client().await;
    let kept = ok(&client, "mission_question_get", json!({"questionId": id})).await;
    assert_eq!(kept, answered, "the answered question as it was");
    let all = ok(&client, "mission_question_list", json!({"status": "all"})).await;
    assert_eq!(
        all["counts"],
        json!({"pending": 0, "answered": 1, "dismissed": 1})
    );
    let next = ok(
        &client,
        "mission_question_create",
        json!({"question": "Next?"}),
    )
    .await;
    assert_eq!(
        next["questionId"], "q-000003",
        "ids carry on after a restart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_keeps_tasks_notes_and_rules_across_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut daemon = Daemon::start(dir.path(), Some(NO_SLOTS));
    let client = daemon.client().await;

    let first = ok(
        &client,
        "mission_board_create",
        json!({
            "title": "Port the parser",
            "description": "From the C version.",
            "priority": "high",
            "tags": ["parser", "port"],
            "assignee": "coder-1",
        }),
    )
    .await;
    assert_eq!(first["boardTaskId"], "b-000001", "{first}");
    assert_eq!(first["status"], "todo");
    assert_eq!(first["hidden"], false);
    let id = first["boardTaskId"].clone();
    let secret = ok(
        &client,
        "mission_board_create",
        json!({"title": "Private chore", "hidden": true}),
    )
    .await;
    let secret_id = secret["boardTaskId"].clone();
    let third = ok(
        &client,
        "mission_board_create",
        json!({"title": "Write docs", "tags": ["docs"]}),
    )
    .await;
    let third_id = third["boardTaskId"].clone();

    let doing = ok(
        &client,
        "mission_board_update",
        json!({"boardTaskId": id, "status": "doing"}),
    )
    .await;
    assert_eq!(doing["status"], "doing");
    assert_eq!(doing["title"], "Port the parser", "unchanged");
    assert_eq!(doing["tags"], json!(["parser", "port"]), "unchanged");
    let done = ok(&client, "mission_board_toggle", json!({"boardTaskId": id})).await;
    assert_eq!(done["status"], "done");
    assert!(done["completedAt"].is_string(), "{done}");
    let reopened = ok(&client, "mission_board_toggle", json!({"boardTaskId": id})).await;
    assert_eq!(reopened["status"], "todo");
    assert_eq!(reopened["completedAt"], Value::Null);
    let done = ok(
        &client,
        "mission_board_update",
        json!({"boardTaskId": id, "status": "done"}),
    )
    .await;
    assert!(done["completedAt"].is_string(), "{done}");

    let noted = ok(
        &client,
        "mission_board_note_add",
        json!({"boardTaskId": id, "text": "Lexer done.", "author": "coder-1"}),
    )
    .await;
    assert_eq!(noted["noteCount"], 1);
    assert_eq!(noted["notes"][0]["author"], "coder-1");
    ok(
        &client,
        "mission_board_note_add",
        json!({"boardTaskId": id, "text": "Reviewed."}),
    )
    .await;
    let skipped = ok(
        &client,
        "mission_board_update",
        json!({"boardTaskId": third_id, "status": "skipped"}),
    )
    .await;
    assert_eq!(skipped["status"], "skipped");

    let listed = ok(&client, "mission_board_list", json!({})).await;
    let titles: Vec<&str> = listed["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["title"].as_str())
        .collect();
    assert_eq!(
        titles,
        ["Port the parser", "Write docs"],
        "hidden one left out"
    );
    let with_hidden = ok(
        &client,
        "mission_board_list",
        json!({"includeHidden": true}),
    )
    .await;
    assert_eq!(with_hidden["total"], 3);
    let tagged = ok(
        &client,
        "mission_board_list",
        json!({"tag": "docs", "status": "skipped"}),
    )
    .await;
    assert_eq!(tagged["tasks"][0]["boardTaskId"], third_id);
    assert_eq!(tagged["total"], 1);
    let summary = ok(&client, "mission_board_summary", json!({})).await;
    assert_eq!(
        summary["counts"],
        json!({"todo": 0, "doing": 0, "done": 1, "skipped": 1})
    );
    assert_eq!(summary["hidden"], 1);
    assert_eq!(
        summary["recent"][0]["boardTaskId"], third_id,
        "changed last"
    );

    // Bad input and unknown ids: clear errors, and the daemon stays up.
    for (method, params) in [
        ("mission_board_get", json!({"boardTaskId": "b-000099"})),
        ("mission_board_delete", json!({"boardTaskId": "b-000099"})),
        ("mission_board_toggle", json!({"boardTaskId": "b-000099"})),
        (
            "mission_board_update",
            json!({"boardTaskId": "b-000099", "hidden": true}),
        ),
        (
            "mission_board_note_add",
            json!({"boardTaskId": "b-000099", "text": "x"}),
        ),
    ] {
        let e = rpc_err(&client, method, params).await;
        assert_eq!(e.code, INVALID_PARAMS, "{method}: {}", e.message);
        assert!(e.message.contains("b-000099"), "{method}: {}", e.message);
        assert_eq!(
            e.data,
            Some(json!({"field": "boardTaskId", "boardTaskId": "b-000099"}))
        );
    }
    bad_field(
        &client,
        "mission_board_get",
        json!({"boardTaskId": "q-000001"}),
        "boardTaskId",
    )
    .await;
    bad_field(
        &client,
        "mission_board_create",
        json!({"title": " "}),
        "title",
    )
    .await;
    bad_field(
        &client,
        "mission_board_create",
        json!({"title": "t".repeat(301)}),
        "title",
    )
    .await;
    bad_field(
        &client,
        "mission_board_create",
        json!({"title": "t", "description": "d".repeat(70_000)}),
        "description",
    )
    .await;
    bad_field(
        &client,
        "mission_board_create",
        json!({"title": "t", "tags": vec!["x"; 21]}),
        "tags",
    )
    .await;
    bad_field(
        &client,
        "mission_board_create",
        json!({"title": "t", "tags": ["ok", ""]}),
        "tags[1]",
    )
    .await;
    bad_field(
        &client,
        "mission_board_update",
        json!({"boardTaskId": id, "status": "finished"}),
        "status",
    )
    .await;
    bad_field(
        &client,
        "mission_board_note_add",
        json!({"boardTaskId": id, "text": ""}),
        "text",
    )
    .await;
    bad_field(
        &client,
        "mission_board_summary",
        json!({"verbose": true}),
        "verbose",
    )
    .await;
    let nothing = rpc_err(&client, "mission_board_update", json!({"boardTaskId": id})).await;
    assert_eq!(nothing.code, INVALID_PARAMS);
    assert!(
        nothing.message.contains("nothing to change"),
        "{}",
        nothing.message
    );
    healthy(&client).await;

    let before = ok(&client, "mission_board_get", json!({"boardTaskId": id})).await;
    assert_eq!(before["notes"].as_array().map(Vec::len), Some(2));
    drop(client);
    assert!(daemon.stop().success(), "{}", daemon.stderr_text());

    let daemon = Daemon::start(dir.path(), Some(NO_SLOTS));
    let client = daemon.client().await;
    let after = ok(&client, "mission_board_get", json!({"boardTaskId": id})).await;
    assert_eq!(after, before, "task and notes as they were");
    let hidden = ok(
        &client,
        "mission_board_get",
        json!({"boardTaskId": secret_id}),
    )
    .await;
    assert_eq!(hidden["hidden"], true);
    let deleted = ok(&client, "mission_board_delete", json!({"boardTaskId": id})).await;
    assert_eq!(deleted["deleted"]["title"], "Port the parser");
    err_code(
        &client,
        "mission_board_get",
        json!({"boardTaskId": id}),
        INVALID_PARAMS,
    )
    .await;
    let summary = ok(&client, "mission_board_summary", json!({})).await;
    assert_eq!(
        summary["counts"],
        json!({"todo": 0, "doing": 0, "done": 0, "skipped": 1})
    );
}
