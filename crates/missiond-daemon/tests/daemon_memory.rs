//! Knowledge injection and answers through a real daemon (no Claude Code needed): the
//! `UserPromptSubmit` hook's answer, its per-slot switch, the orchestrator's
//! instructions, answers delivered once, the memory tools' errors.

mod daemon_support;

use daemon_support::{Daemon, err_code, ok};
use missiond_core::ipc::ErrorCode;
use serde_json::{Value, json};

fn daemon(dir: &std::path::Path) -> Daemon {
    let yaml = format!(
        "slots:\n  - id: sh\n    role: coder\n    cwd: {d}\n    command: bash\n  \
         - id: ops\n    role: ops\n    cwd: {d}\n    command: bash\n",
        d = dir.display()
    );
    Daemon::start(&dir.join("home"), Some(&yaml))
}

fn prompt(slot: &str, text: &str) -> Value {
    json!({"slot": slot, "event": "UserPromptSubmit",
           "payload": {"session_id": "s-1", "prompt": text}})
}

async fn context(client: &missiond_core::ipc::IpcClient, slot: &str, text: &str) -> String {
    let v = ok(client, "hook.event", prompt(slot, text)).await;
    v["additionalContext"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompts_get_relevant_knowledge_within_the_settings() {
    let dir = tempfile::tempdir().unwrap();
    let d = daemon(dir.path());
    let client = d.client().await;
    for (key, content, category, tier) in [
        (
            "db",
            "The staging database is pg-stage-7 on port 6543",
            "infra/db",
            "core",
        ),
        (
            "deploy",
            "Deploy to staging with ./ship.sh --stage",
            "howto",
            "normal",
        ),
        ("lunch", "Lunch is served at noon", "general", "low"),
    ] {
        ok(
            &client,
            "mission_kb_remember",
            json!({"key": key, "content": content, "category": category, "tier": tier,
                   "conversation": "sess-9"}),
        )
        .await;
    }
    err_code(
        &client,
        "mission_kb_remember",
        json!({"content": "x", "tier": "urgent"}),
        ErrorCode::InvalidParams.code(),
    )
    .await;

    let ctx = context(&client, "sh", "Which database does staging use?").await;
    assert!(ctx.contains("pg-stage-7"), "{ctx}");
    assert!(ctx.contains("./ship.sh"), "staging matches it too: {ctx}");
    assert!(!ctx.contains("noon"), "{ctx}");
    assert!(
        context(&client, "sh", "the of and").await.is_empty(),
        "nothing worth searching"
    );

    // Per role categories, per slot switch, and the size budget.
    std::fs::write(
        d.home.join("memory.yaml"),
        "injection:\n  maxBytes: 400\n  offSlots: [ops]\n  categories:\n    coder: [infra]\n",
    )
    .unwrap();
    let ctx = context(&client, "sh", "Which database does staging use?").await;
    assert!(
        ctx.contains("pg-stage-7") && !ctx.contains("ship.sh"),
        "{ctx}"
    );
    assert!(ctx.len() <= 400, "{}", ctx.len());
    assert!(context(&client, "ops", "staging database").await.is_empty());
    std::fs::write(d.home.join("memory.yaml"), "injection:\n  enabled: false\n").unwrap();
    assert!(context(&client, "sh", "staging database").await.is_empty());
    let instructions = ok(&client, "memory.instructions", json!({})).await;
    assert_eq!(instructions["text"], "", "off everywhere");

    // The orchestrator's instructions: tier first.
    std::fs::remove_file(d.home.join("memory.yaml")).unwrap();
    let text = ok(&client, "memory.instructions", json!({})).await["text"]
        .as_str()
        .unwrap()
        .to_string();
    let (db, deploy, lunch) = (
        text.find("pg-stage-7").expect("db"),
        text.find("ship.sh").expect("deploy"),
        text.find("noon").expect("lunch"),
    );
    assert!(db < deploy && deploy < lunch, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_reaches_the_asking_slot_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = daemon(dir.path());
    let client = d.client().await;
    let q = ok(
        &client,
        "mission_question_create",
        json!({"question": "Which port for the API?", "slotId": "sh"}),
    )
    .await;
    let id = q["questionId"].as_str().unwrap().to_string();
    assert!(!context(&client, "sh", "carry on").await.contains(&id));
    ok(
        &client,
        "mission_question_answer",
        json!({"questionId": id, "answer": "Use port 8443"}),
    )
    .await;
    // Another slot does not get it; the asker gets it once.
    assert!(!context(&client, "ops", "carry on").await.contains("8443"));
    let ctx = context(&client, "sh", "carry on").await;
    assert!(ctx.contains(&id) && ctx.contains("Use port 8443"), "{ctx}");
    assert!(!context(&client, "sh", "carry on").await.contains("8443"));
    let mine = ok(&client, "mission_question_mine", json!({"slotId": "sh"})).await;
    assert_eq!(mine["questions"][0]["answer"], "Use port 8443", "{mine}");
    assert_eq!(mine["newlyAnswered"], json!([]), "already delivered");

    // Read with the tool first: then the next prompt does not repeat it.
    let q2 = ok(
        &client,
        "mission_question_create",
        json!({"question": "Which region?", "slotId": "sh", "wakeWhenAnswered": true}),
    )
    .await;
    let id2 = q2["questionId"].as_str().unwrap().to_string();
    ok(
        &client,
        "mission_question_answer",
        json!({"questionId": id2, "answer": "eu-west"}),
    )
    .await;
    let mine = ok(&client, "mission_question_mine", json!({"slotId": "sh"})).await;
    assert_eq!(mine["newlyAnswered"], json!([id2]), "{mine}");
    assert!(!context(&client, "sh", "carry on").await.contains("eu-west"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_tools_check_their_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let d = daemon(dir.path());
    let client = d.client().await;
    let bad = ErrorCode::InvalidParams.code();
    err_code(
        &client,
        "mission_memory_pause",
        json!({"ttlMinutes": 0}),
        bad,
    )
    .await;
    err_code(
        &client,
        "mission_memory_pause",
        json!({"ttlMinutes": 1e9}),
        bad,
    )
    .await;
    err_code(&client, "mission_memory_pending", json!({}), bad).await;
    err_code(
        &client,
        "mission_memory_done",
        json!({"slotId": "m", "ids": []}),
        bad,
    )
    .await;
    let paused = ok(&client, "mission_memory_pause", json!({"ttlMinutes": 5})).await;
    assert!(paused["pausedUntil"].is_string(), "{paused}");
    assert_eq!(paused["memorySlots"], json!([]));
    let taken = ok(&client, "mission_memory_pending", json!({"slotId": "m"})).await;
    assert_eq!(taken["items"], json!([]));
    assert!(taken["pausedUntil"].is_string());
    let resumed = ok(&client, "mission_memory_resume", json!({})).await;
    assert!(resumed["pausedUntil"].is_null(), "{resumed}");
    let done = ok(
        &client,
        "mission_memory_done",
        json!({"slotId": "m", "ids": [42]}),
    )
    .await;
    assert_eq!(done["results"][0]["outcome"], "unknown", "{done}");
    let deep = ok(&client, "mission_memory_deep", json!({})).await;
    assert_eq!(deep["queued"], json!([]));
}
