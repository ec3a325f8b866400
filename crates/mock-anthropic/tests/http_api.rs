//! The server over real HTTP: event sequences, reassembly, continuations, errors, the log.

mod common;

use common::{post, prompt_body, stream, tool_result_body};
use mock_anthropic::{Answer, Scenario, Server};
use serde_json::{Value, json};

const SCENARIO: &str = r#"
rules:
  - name: plain
    match: { contains: "say something" }
    steps:
      - text: "The quick brown fox jumps over the lazy dog, twice over."
        chunk_chars: 5
  - name: think
    match: { contains: "think first" }
    steps:
      - thinking: "Considering the options carefully."
        text: "Decided."
  - name: tools
    match: { regex: "^list (files|dirs)$" }
    steps:
      - text: "Looking."
        tool_use:
          - { name: Bash, input: { command: "ls -la", description: "List files", nested: { a: [1, 2, "x\"y"] } } }
          - { name: mcp__mission__mission_pty_send, input: { slot: "w1", text: "hi\n" } }
      - text: "There are 3 files."
        usage: { input_tokens: 190000, cache_read_input_tokens: 5000 }
  - name: flaky
    match: { contains: "flaky" }
    once: true
    steps:
      - error: { status: 529, type: overloaded_error, message: "Overloaded" }
  - name: flaky-retry
    match: { contains: "flaky" }
    steps:
      - text: "Worked on retry."
  - name: broken-stream
    match: { contains: "break mid-stream" }
    steps:
      - text: "Partial ans"
        stream_error: { type: overloaded_error, message: "Overloaded mid-stream" }
default: { text: "No rule for that." }
"#;

fn server() -> Server {
    Server::start(Scenario::from_yaml(SCENARIO).expect("scenario parses")).expect("server starts")
}

fn text_of(block: &Value) -> &str {
    block["text"].as_str().expect("text block")
}

#[tokio::test]
async fn streams_text_in_api_order() {
    let server = server();
    let (events, message) = stream(
        server.base_url(),
        &prompt_body("please say something", true),
    )
    .await;
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        &names[..3],
        ["message_start", "ping", "content_block_start"]
    );
    assert_eq!(
        &names[names.len() - 3..],
        ["content_block_stop", "message_delta", "message_stop"]
    );
    // 56 characters at 5 per delta: 12 deltas.
    assert_eq!(
        names
            .iter()
            .filter(|n| **n == "content_block_delta")
            .count(),
        12
    );

    let start = &message.start;
    assert!(
        start["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("msg_"))
    );
    assert_eq!(start["type"], "message");
    assert_eq!(start["role"], "assistant");
    assert_eq!(start["model"], "claude-test-model");
    assert_eq!(start["content"], json!([]));
    assert_eq!(start["stop_reason"], Value::Null);
    for field in [
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    ] {
        assert!(start["usage"][field].is_u64(), "usage.{field} present");
    }
    assert_eq!(message.blocks.len(), 1);
    assert_eq!(
        text_of(&message.blocks[0]),
        "The quick brown fox jumps over the lazy dog, twice over."
    );
    assert_eq!(message.stop_reason.as_deref(), Some("end_turn"));
    assert!(message.output_tokens.is_some_and(|n| n > 0));
    assert!(message.stopped);
}

#[tokio::test]
async fn thinking_has_a_signature_before_the_text() {
    let server = server();
    let (events, message) = stream(server.base_url(), &prompt_body("think first", true)).await;
    assert_eq!(message.blocks.len(), 2);
    assert_eq!(message.blocks[0]["type"], "thinking");
    assert_eq!(
        message.blocks[0]["thinking"],
        "Considering the options carefully."
    );
    assert!(
        message.blocks[0]["signature"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert_eq!(text_of(&message.blocks[1]), "Decided.");
    // The signature delta closes the thinking block.
    let deltas: Vec<&str> = events
        .iter()
        .filter(|(n, d)| n == "content_block_delta" && d["index"] == 0)
        .map(|(_, d)| d["delta"]["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(deltas.last(), Some(&"signature_delta"));
    assert!(
        deltas[..deltas.len() - 1]
            .iter()
            .all(|t| *t == "thinking_delta")
    );
}

#[tokio::test]
async fn tool_calls_reassemble_and_their_results_continue_the_rule() {
    let server = server();
    let (_, first) = stream(server.base_url(), &prompt_body("list files", true)).await;
    assert_eq!(first.stop_reason.as_deref(), Some("tool_use"));
    assert_eq!(text_of(&first.blocks[0]), "Looking.");
    let bash = &first.blocks[1];
    assert_eq!(bash["type"], "tool_use");
    assert_eq!(bash["name"], "Bash");
    assert_eq!(
        bash["input"],
        json!({"command": "ls -la", "description": "List files", "nested": {"a": [1, 2, "x\"y"]}})
    );
    let mcp = &first.blocks[2];
    assert_eq!(mcp["name"], "mcp__mission__mission_pty_send");
    assert_eq!(mcp["input"], json!({"slot": "w1", "text": "hi\n"}));
    let ids: Vec<String> = [bash, mcp]
        .iter()
        .map(|b| b["id"].as_str().expect("tool id").to_owned())
        .collect();
    assert!(ids.iter().all(|id| id.starts_with("toolu_")));
    assert_ne!(ids[0], ids[1]);

    let calls = vec![
        (ids[0].clone(), "Bash".to_owned()),
        (ids[1].clone(), "mcp".to_owned()),
    ];
    let follow = tool_result_body(
        "list files",
        &calls,
        &[(&ids[0], "a\nb\nc"), (&ids[1], "sent")],
    );
    let (_, second) = stream(server.base_url(), &follow).await;
    assert_eq!(text_of(&second.blocks[0]), "There are 3 files.");
    assert_eq!(second.stop_reason.as_deref(), Some("end_turn"));
    assert_eq!(second.start["usage"]["input_tokens"], 190_000);
    assert_eq!(second.start["usage"]["cache_read_input_tokens"], 5000);

    // Answering the same ids again is not a continuation any more.
    let (_, third) = stream(server.base_url(), &follow).await;
    assert_eq!(text_of(&third.blocks[0]), "No rule for that.");
}

#[tokio::test]
async fn http_errors_use_anthropic_json_and_once_rules_are_used_up() {
    let server = server();
    let response = post(
        server.base_url(),
        "/v1/messages",
        &prompt_body("flaky call", true),
    )
    .await;
    assert_eq!(response.status().as_u16(), 529);
    let request_id = response
        .headers()
        .get("request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .expect("request-id header");
    let body: Value = response.json().await.expect("error JSON");
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "overloaded_error");
    assert_eq!(body["error"]["message"], "Overloaded");
    assert_eq!(body["request_id"], request_id.as_str());

    let (_, retry) = stream(server.base_url(), &prompt_body("flaky call", true)).await;
    assert_eq!(text_of(&retry.blocks[0]), "Worked on retry.");
}

#[tokio::test]
async fn a_stream_can_fail_half_way() {
    let server = server();
    let (events, message) = stream(server.base_url(), &prompt_body("break mid-stream", true)).await;
    assert_eq!(events.last().map(|(n, _)| n.as_str()), Some("error"));
    assert_eq!(text_of(&message.blocks[0]), "Partial ans");
    let error = message.error.expect("error event");
    assert_eq!(error["type"], "overloaded_error");
    assert_eq!(error["message"], "Overloaded mid-stream");
    assert!(!message.stopped, "no message_stop after an error");
}

#[tokio::test]
async fn unmatched_prompts_get_the_default() {
    let server = server();
    let (_, message) = stream(
        server.base_url(),
        &prompt_body("something else entirely", true),
    )
    .await;
    assert_eq!(text_of(&message.blocks[0]), "No rule for that.");
    // A regex rule anchors: "list files please" does not match "^list (files|dirs)$".
    let (_, message) = stream(server.base_url(), &prompt_body("list files please", true)).await;
    assert_eq!(text_of(&message.blocks[0]), "No rule for that.");
}

#[tokio::test]
async fn non_streaming_returns_one_message() {
    let server = server();
    let response = post(
        server.base_url(),
        "/v1/messages",
        &prompt_body("list dirs", false),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("request-id"));
    let body: Value = response.json().await.expect("message JSON");
    assert_eq!(body["type"], "message");
    assert_eq!(body["role"], "assistant");
    assert_eq!(body["model"], "claude-test-model");
    assert_eq!(body["stop_reason"], "tool_use");
    assert_eq!(
        body["content"][0],
        json!({"type": "text", "text": "Looking."})
    );
    assert_eq!(body["content"][1]["input"]["command"], "ls -la");
    assert!(
        body["usage"]["output_tokens"]
            .as_u64()
            .is_some_and(|n| n > 0)
    );
}

#[tokio::test]
async fn side_requests_do_not_consume_rules() {
    let server = server();
    let mut side = prompt_body("flaky call", false);
    side.as_object_mut().map(|o| o.remove("tools"));
    let response = post(server.base_url(), "/v1/messages", &side).await;
    assert_eq!(
        response.status(),
        200,
        "the side request is answered, not failed"
    );
    let body: Value = response.json().await.expect("message JSON");
    assert_eq!(body["content"][0]["text"], "Mock session");
    // The once-rule is still there for the real prompt.
    let response = post(
        server.base_url(),
        "/v1/messages",
        &prompt_body("flaky call", true),
    )
    .await;
    assert_eq!(response.status().as_u16(), 529);
}

#[tokio::test]
async fn count_tokens_and_unknown_paths() {
    let server = server();
    let response = post(
        server.base_url(),
        "/v1/messages/count_tokens?beta=true",
        &prompt_body("x", false),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert!(body["input_tokens"].as_u64().is_some_and(|n| n > 0));

    let response = post(server.base_url(), "/v1/complete", &json!({})).await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.expect("error JSON");
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "not_found_error");
    let logged = server.requests();
    assert_eq!(
        logged.last().map(|r| (r.path.as_str(), r.status)),
        Some(("/v1/complete", 404))
    );
}

#[tokio::test]
async fn the_log_records_what_was_asked_and_answered() {
    let server = server();
    let (_, first) = stream(server.base_url(), &prompt_body("list files", true)).await;
    let id = first.blocks[1]["id"].as_str().expect("id").to_owned();
    let follow = tool_result_body("list files", &[(id.clone(), "Bash".into())], &[(&id, "hi")]);
    stream(server.base_url(), &follow).await;

    let over_http: Vec<mock_anthropic::LoggedRequest> =
        reqwest::get(format!("{}/_mock/requests", server.base_url()))
            .await
            .expect("log endpoint")
            .json()
            .await
            .expect("log JSON");
    assert_eq!(over_http, server.requests());
    assert_eq!(over_http.len(), 2);
    let (a, b) = (&over_http[0], &over_http[1]);
    assert_eq!((a.seq, b.seq), (1, 2));
    assert_eq!(a.path, "/v1/messages");
    assert_eq!(a.query.as_deref(), Some("beta=true"));
    assert_eq!(a.model.as_deref(), Some("claude-test-model"));
    assert!(a.stream);
    assert_eq!(a.last_user_text, "list files");
    assert_eq!(a.tools, vec!["Bash", "mcp__mission__mission_pty_send"]);
    assert_eq!(
        a.answer,
        Some(Answer::Rule {
            rule: 2,
            step: 0,
            name: Some("tools".into())
        })
    );
    assert!(a.tool_use_ids.contains(&id));
    assert_eq!(b.tool_results.len(), 1);
    assert_eq!(b.tool_results[0].tool_use_id, id);
    assert_eq!(b.tool_results[0].content, "hi");
    assert_eq!(
        b.answer,
        Some(Answer::Rule {
            rule: 2,
            step: 1,
            name: Some("tools".into())
        })
    );
}

#[tokio::test]
async fn compaction_gets_a_summary_and_consumes_nothing() {
    let scenario =
        Scenario::from_yaml("rules:\n  - once: true\n    steps: [{ text: catch-all }]\n")
            .expect("parses");
    let server = Server::start(scenario).expect("server");
    // Claude Code's compaction instruction, as 2.1.331 sends it (abridged).
    let instruction = "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.\n\n\
        Your task is to create a detailed summary of the conversation so far, ...";
    let (_, summary) = stream(server.base_url(), &prompt_body(instruction, true)).await;
    let text = text_of(&summary.blocks[0]);
    assert!(
        text.contains("<summary>") && text.contains("</summary>"),
        "{text}"
    );
    assert_eq!(server.requests()[0].answer, Some(Answer::Compaction));
    let (_, answer) = stream(server.base_url(), &prompt_body("anything", true)).await;
    assert_eq!(text_of(&answer.blocks[0]), "catch-all");
}
