//! Conversation logging end to end: the REAL Claude Code in a slot, driven against
//! mock-anthropic, writes its transcript; the daemon copies it into SQLite, and the
//! `mission_conversation_*` and `mission_token_stats` tools read it back, across a
//! daemon restart. Skipped (with a line on stderr) when Claude Code is not installed,
//! unless MISSIOND_E2E_REQUIRED=1. A second test checks argument errors without Claude.

mod daemon_support;

use std::path::Path;
use std::time::{Duration, Instant};

use daemon_support::{Daemon, err_code, ok, wait_status};
use missiond_core::ipc::IpcClient;
use mock_anthropic::offline::{ClaudeHome, claude_env, claude_for_test};
use mock_anthropic::{Scenario, Server};
use serde_json::{Value, json};

const MARKER: &str = "convo-marker-7731";
const THINKING: &str = "I will run echo to leave a marker.";
const ANSWER: &str = "The marker printed, all good.";

const SCENARIO: &str = r#"
rules:
  - name: probe
    match: { contains: "check the conversation log" }
    steps:
      - thinking: "I will run echo to leave a marker."
        text: "Running the marker command."
        tool_use:
          name: Bash
          input: { command: "echo convo-marker-7731", description: "Print the marker" }
        usage: { input_tokens: 120, output_tokens: 40, cache_read_input_tokens: 9, cache_creation_input_tokens: 4 }
      - text: "The marker printed, all good."
        usage: { input_tokens: 210, output_tokens: 25, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 }
  - name: after restart
    match: { contains: "second session" }
    steps:
      - text: "Second session answer."
        usage: { input_tokens: 11, output_tokens: 5, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 }
"#;

/// The token totals the scenario declares for the first prompt's two responses.
const FIRST: [u64; 4] = [120 + 210, 40 + 25, 9, 4];
/// And for the prompt after the restart.
const SECOND: [u64; 4] = [11, 5, 0, 0];

const TURN: Duration = Duration::from_secs(60);

fn slots_yaml(claude: &Path, proj: &Path, server: &Server, claude_home: &Path) -> String {
    let env: String = claude_env(claude_home, server.base_url())
        .into_iter()
        .map(|(k, v)| format!("      {k}: {}\n", json!(v)))
        .collect();
    format!(
        "slots:\n  - id: c1\n    role: coder\n    cwd: {}\n    command: {}\n    permission_mode: manual\n    env:\n{env}",
        json!(proj.display().to_string()),
        json!(claude.display().to_string()),
    )
}

/// Sends `message` to the slot and waits for its turn to end, answering a Bash
/// permission dialog with yes should one come up.
async fn send_and_finish(client: &IpcClient, slot: &str, message: &str) {
    let sent = ok(
        client,
        "mission_pty_send",
        json!({"slotId": slot, "message": message, "timeoutMs": 60000}),
    )
    .await;
    if sent["state"] == "Confirming" {
        ok(
            client,
            "mission_pty_confirm",
            json!({"slotId": slot, "response": "yes"}),
        )
        .await;
    }
    wait_status(client, slot, TURN, |s| s["state"] == "Idle").await;
}

/// Polls `mission_conversation_get` until a message satisfies `done`; returns them all.
async fn wait_messages(
    client: &IpcClient,
    session: &str,
    done: impl Fn(&Value) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = Value::Null;
    // (message count, reads in a row with that count)
    let mut settled = (usize::MAX, 0);
    while Instant::now() < deadline {
        if let Ok(got) = client
            .call(
                "mission_conversation_get",
                json!({"sessionId": session, "limit": 1000}),
            )
            .await
        {
            let messages = got["messages"].as_array().cloned().unwrap_or_default();
            // Claude Code may write more lines after the awaited one: return once the
            // conversation has also stopped growing for three reads in a row.
            if messages.iter().any(&done) {
                if messages.len() == settled.0 {
                    settled.1 += 1;
                    if settled.1 >= 3 {
                        return messages;
                    }
                } else {
                    settled = (messages.len(), 1);
                }
            }
            last = got;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("conversation {session} never held the expected message; last: {last}");
}

fn position(messages: &[Value], what: &str, pred: impl Fn(&Value) -> bool) -> usize {
    messages
        .iter()
        .position(pred)
        .unwrap_or_else(|| panic!("no {what} among {}", json!(messages)))
}

fn totals(stats: &Value) -> [u64; 4] {
    let n = |k: &str| stats["total"][k].as_u64().unwrap_or(u64::MAX);
    [
        n("inputTokens"),
        n("outputTokens"),
        n("cacheReadTokens"),
        n("cacheCreationTokens"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_session_is_recorded_searchable_counted_and_survives_a_restart() {
    let test = "a_real_session_is_recorded_searchable_counted_and_survives_a_restart";
    let Some(claude) = claude_for_test(test) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    let server = Server::start(Scenario::from_yaml(SCENARIO).expect("scenario")).expect("mock");
    let claude_home =
        ClaudeHome::create(tmp.path().join("claude-home"), &[&proj]).expect("claude home");
    let home = tmp.path().join("missiond-home");
    let yaml = slots_yaml(&claude, &proj, &server, claude_home.path());
    let mut daemon = Daemon::start(&home, Some(&yaml));
    let client = daemon.client().await;

    let spawned = ok(&client, "mission_pty_spawn", json!({"slotId": "c1"})).await;
    assert_eq!(spawned["state"], "Idle", "{spawned}");
    let session = spawned["sessionId"]
        .as_str()
        .expect("session id")
        .to_string();
    let prompt = "please check the conversation log now";
    send_and_finish(&client, "c1", prompt).await;

    // The whole exchange, in order, with its kinds.
    let messages = wait_messages(&client, &session, |m| {
        m["kind"] == "text" && m["role"] == "assistant" && m["text"] == ANSWER
    })
    .await;
    let asked = position(&messages, "prompt", |m| {
        m["role"] == "user" && m["kind"] == "text" && m["text"] == prompt
    });
    let thought = position(&messages, "thinking", |m| {
        m["kind"] == "thinking" && m["text"] == THINKING
    });
    let called = position(&messages, "tool call", |m| {
        m["kind"] == "tool_use"
            && m["toolName"] == "Bash"
            && m["payload"]["input"]["command"] == format!("echo {MARKER}")
    });
    let result = position(&messages, "tool result", |m| {
        m["kind"] == "tool_result"
            && m["isError"] == false
            && m["text"].as_str().is_some_and(|t| t.contains(MARKER))
    });
    let answered = position(&messages, "answer", |m| {
        m["role"] == "assistant" && m["kind"] == "text" && m["text"] == ANSWER
    });
    assert!(
        asked < thought && thought < called && called < result && result < answered,
        "out of order: {asked} {thought} {called} {result} {answered}: {}",
        json!(messages)
    );
    assert_eq!(messages[result]["toolName"], "Bash");
    assert_eq!(messages[answered]["usage"]["outputTokens"], 25);
    let ids: Vec<i64> = messages.iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");

    // Leaving thinking and payloads out.
    let lean = ok(
        &client,
        "mission_conversation_get",
        json!({"sessionId": session, "includeThinking": false, "includePayloads": false, "limit": 1000}),
    )
    .await;
    let lean = lean["messages"].as_array().unwrap();
    assert_eq!(lean.len(), messages.len() - 1);
    assert!(
        lean.iter()
            .all(|m| m["kind"] != "thinking" && m["payload"].is_null())
    );

    // Search finds the tool's output.
    let hits = ok(
        &client,
        "mission_conversation_search",
        json!({"query": MARKER, "kind": "tool_result", "slotId": "c1"}),
    )
    .await;
    let hits = hits["hits"].as_array().unwrap().clone();
    assert_eq!(hits.len(), 1, "{}", json!(hits));
    assert_eq!(hits[0]["sessionId"], session.as_str());
    assert_eq!(hits[0]["messageId"], messages[result]["id"]);
    assert!(hits[0]["snippet"].as_str().unwrap().contains(MARKER));
    // FTS5 syntax in the text is plain text.
    for hostile in [
        "\"unbalanced",
        "NEAR(marker",
        "AND OR NOT",
        "col:convo*",
        "((((x",
    ] {
        ok(
            &client,
            "mission_conversation_search",
            json!({"query": hostile}),
        )
        .await;
    }

    // Token totals are the usage the scenario declared, each response counted once.
    let stats = ok(&client, "mission_token_stats", json!({"slotId": "c1"})).await;
    assert_eq!(totals(&stats), FIRST, "{stats}");
    assert_eq!(stats["total"]["responses"], 2, "{stats}");
    assert_eq!(stats["bySlot"][0]["key"], "c1");
    let future = ok(
        &client,
        "mission_token_stats",
        json!({"since": "2999-01-01"}),
    )
    .await;
    assert_eq!(totals(&future), [0; 4]);

    let listed = ok(
        &client,
        "mission_conversation_list",
        json!({"slotId": "c1"}),
    )
    .await;
    assert_eq!(listed["total"], 1, "{listed}");
    let convo = &listed["conversations"][0];
    assert_eq!(convo["sessionId"], session.as_str());
    assert_eq!(
        convo["messageCount"],
        messages.len() as u64,
        "{listed} vs {}",
        json!(messages)
    );
    assert_eq!(convo["firstPrompt"], prompt);
    assert_eq!(convo["tokens"]["inputTokens"], FIRST[0]);

    // Restart the daemon, then run a second session: once it is recorded, the follower
    // has been through the old transcript again, and must have added nothing.
    drop(client);
    daemon.stop();
    let daemon = Daemon::start(&home, None);
    let client = daemon.client().await;
    let spawned = ok(&client, "mission_pty_spawn", json!({"slotId": "c1"})).await;
    let second = spawned["sessionId"]
        .as_str()
        .expect("session id")
        .to_string();
    assert_ne!(second, session);
    send_and_finish(&client, "c1", "this is the second session").await;
    wait_messages(&client, &second, |m| m["text"] == "Second session answer.").await;

    let again = ok(
        &client,
        "mission_conversation_get",
        json!({"sessionId": session, "limit": 1000}),
    )
    .await;
    let again = again["messages"].as_array().unwrap();
    // Claude Code may have written a few more lines after the answer (the follower
    // catches them up after the restart); what was there is unchanged, and no line is
    // stored twice.
    assert!(
        again.len() >= messages.len() && again[..messages.len()] == messages[..],
        "the first conversation changed after the restart: {}",
        json!(again)
    );
    let mut uuids: Vec<&str> = again.iter().filter_map(|m| m["uuid"].as_str()).collect();
    let count = uuids.len();
    uuids.sort_unstable();
    uuids.dedup();
    assert_eq!(uuids.len(), count, "a line stored twice: {}", json!(again));
    let stats = ok(&client, "mission_token_stats", json!({"slotId": "c1"})).await;
    let expected: Vec<u64> = FIRST.iter().zip(SECOND).map(|(a, b)| a + b).collect();
    assert_eq!(totals(&stats).to_vec(), expected, "{stats}");
    let hits = ok(
        &client,
        "mission_conversation_search",
        json!({"query": MARKER, "kind": "tool_result"}),
    )
    .await;
    assert_eq!(hits["hits"].as_array().unwrap().len(), 1, "{hits}");
    let listed = ok(
        &client,
        "mission_conversation_list",
        json!({"slotId": "c1"}),
    )
    .await;
    assert_eq!(listed["total"], 2, "{listed}");
    assert_eq!(listed["conversations"][0]["sessionId"], second.as_str());
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversation_tools_refuse_bad_arguments_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let yaml = format!(
        "slots:\n  - id: b1\n    cwd: {}\n    command: bash\n",
        json!(tmp.path().display().to_string())
    );
    let daemon = Daemon::start(&tmp.path().join("home"), Some(&yaml));
    let client = daemon.client().await;

    // A configured slot with nothing recorded is empty, not unknown.
    let listed = ok(
        &client,
        "mission_conversation_list",
        json!({"slotId": "b1"}),
    )
    .await;
    assert_eq!(listed, json!({"conversations": [], "total": 0}));
    let stats = ok(&client, "mission_token_stats", json!({"slotId": "b1"})).await;
    assert_eq!(stats["total"]["responses"], 0);

    let data = err_code(
        &client,
        "mission_conversation_list",
        json!({"slotId": "ghost"}),
        -32001,
    )
    .await;
    assert_eq!(data["slotId"], "ghost");
    err_code(
        &client,
        "mission_token_stats",
        json!({"slotId": "ghost"}),
        -32001,
    )
    .await;
    err_code(
        &client,
        "mission_conversation_search",
        json!({"query": "x", "slotId": "ghost"}),
        -32001,
    )
    .await;

    let cases = [
        (
            "mission_conversation_get",
            json!({"sessionId": "no-such-session"}),
            "sessionId",
        ),
        (
            "mission_conversation_get",
            json!({"sessionId": ""}),
            "sessionId",
        ),
        ("mission_conversation_get", json!({}), "sessionId"),
        ("mission_conversation_list", json!({"limit": 0}), "limit"),
        ("mission_conversation_list", json!({"limit": 5000}), "limit"),
        (
            "mission_conversation_list",
            json!({"slotId": "b1", "bogus": 1}),
            "",
        ),
        (
            "mission_conversation_search",
            json!({"query": "   "}),
            "query",
        ),
        (
            "mission_conversation_search",
            json!({"query": "\" ( * -"}),
            "query",
        ),
        (
            "mission_conversation_search",
            json!({"query": "w".repeat(2000)}),
            "query",
        ),
        (
            "mission_conversation_search",
            json!({"query": "x", "kind": "poem"}),
            "kind",
        ),
        (
            "mission_conversation_search",
            json!({"query": "x", "sessionId": "nope"}),
            "sessionId",
        ),
        (
            "mission_token_stats",
            json!({"since": "last tuesday"}),
            "since",
        ),
        (
            "mission_token_stats",
            json!({"until": "2026-02-30"}),
            "until",
        ),
        (
            "mission_token_stats",
            json!({"since": "2026-11-25", "until": "2026-11-24"}),
            "until",
        ),
    ];
    for (method, params, field) in cases {
        let data = err_code(&client, method, params.clone(), -32602).await;
        if !field.is_empty() {
            assert_eq!(data["field"], field, "{method} {params}");
        }
    }
    // The daemon is still serving.
    ok(&client, "mission_health", json!({})).await;
}
