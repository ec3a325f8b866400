//! The OpenAI-compatible endpoint and `without_tools` rules over real HTTP.

use mock_anthropic::{Answer, Scenario, Server};
use serde_json::{Value, json};

const SCENARIO: &str = r#"
rules:
  - name: direct
    match: { contains: "capital of France", without_tools: true }
    steps:
      - text: "Paris."
        usage: { input_tokens: 11, output_tokens: 2 }
  - name: busy
    match: { contains: "busy", without_tools: true }
    once: true
    steps:
      - error: { status: 503, type: server_error, message: "try later", retry_after_s: 2 }
  - name: claude-only
    match: { contains: "capital" }
    steps:
      - text: "Rule for requests with tools."
"#;

async fn post(base: &str, path: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}{path}"))
        .json(body)
        .send()
        .await
        .expect("request reaches the mock")
}

fn chat(prompt: &str) -> Value {
    json!({
        "model": "gpt-test",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": prompt}
        ]
    })
}

#[tokio::test]
async fn answers_chat_completions_from_without_tools_rules() {
    let server = Server::start(Scenario::from_yaml(SCENARIO).unwrap()).unwrap();
    let response = post(
        server.base_url(),
        "/v1/chat/completions",
        &chat("capital of France?"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], "gpt-test");
    assert_eq!(body["choices"][0]["message"]["content"], "Paris.");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(body["usage"]["prompt_tokens"], 11);
    assert_eq!(body["usage"]["completion_tokens"], 2);
    let log = server.requests();
    assert_eq!(log[0].path, "/v1/chat/completions");
    assert_eq!(log[0].last_user_text, "capital of France?");
    assert!(matches!(&log[0].answer, Some(Answer::Rule { rule: 0, .. })));
}

#[tokio::test]
async fn scripted_errors_keep_status_retry_after_and_openai_shape() {
    let server = Server::start(Scenario::from_yaml(SCENARIO).unwrap()).unwrap();
    let first = post(
        server.base_url(),
        "/v1/chat/completions",
        &chat("are you busy"),
    )
    .await;
    assert_eq!(first.status(), 503);
    assert_eq!(first.headers()["retry-after"], "2");
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["error"]["message"], "try later");
    assert_eq!(body["error"]["type"], "server_error");
    // The rule was `once`: the next request falls through to the side answer.
    let second = post(
        server.base_url(),
        "/v1/chat/completions",
        &chat("are you busy"),
    )
    .await;
    assert_eq!(second.status(), 200);
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "Mock session");
}

#[tokio::test]
async fn without_tools_rules_answer_tool_less_messages_requests_only() {
    let server = Server::start(Scenario::from_yaml(SCENARIO).unwrap()).unwrap();
    // Messages API without tools: the without_tools rule answers.
    let direct = json!({"model": "m", "max_tokens": 10,
        "messages": [{"role": "user", "content": "capital of France?"}]});
    let body: Value = post(server.base_url(), "/v1/messages", &direct)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["content"][0]["text"], "Paris.");
    // The same prompt with tools (Claude Code) skips it.
    let mut with_tools = direct.clone();
    with_tools["tools"] = json!([{"name": "Bash", "input_schema": {"type": "object"}}]);
    let body: Value = post(server.base_url(), "/v1/messages", &with_tools)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["content"][0]["text"], "Rule for requests with tools.");
}

#[tokio::test]
async fn streaming_is_refused_clearly() {
    let server = Server::start(Scenario::from_yaml(SCENARIO).unwrap()).unwrap();
    let mut body = chat("capital of France?");
    body["stream"] = json!(true);
    let response = post(server.base_url(), "/v1/chat/completions", &body).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not stream")
    );
}
