//! Helpers shared by the HTTP tests: request bodies, an SSE parser, and a client-side
//! reassembly of streamed messages (what an SDK does with the events).

#![allow(dead_code)]

use serde_json::{Value, json};

/// A Messages request like Claude Code's: tools offered, the prompt as the last user message.
pub fn prompt_body(prompt: &str, stream: bool) -> Value {
    json!({
        "model": "claude-test-model",
        "max_tokens": 1024,
        "stream": stream,
        "system": [{"type": "text", "text": "You are a test."}],
        "tools": [
            {"name": "Bash", "input_schema": {"type": "object"}},
            {"name": "mcp__mission__mission_pty_send", "input_schema": {"type": "object"}}
        ],
        "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}]
    })
}

/// The follow-up request that answers tool calls with results.
pub fn tool_result_body(
    prompt: &str,
    calls: &[(String, String)],
    results: &[(&str, &str)],
) -> Value {
    let mut body = prompt_body(prompt, true);
    let assistant: Vec<Value> = calls
        .iter()
        .map(|(id, name)| json!({"type": "tool_use", "id": id, "name": name, "input": {}}))
        .collect();
    let user: Vec<Value> = results
        .iter()
        .map(|(id, text)| json!({"type": "tool_result", "tool_use_id": id, "content": text}))
        .collect();
    if let Some(messages) = body["messages"].as_array_mut() {
        messages.push(json!({"role": "assistant", "content": assistant}));
        messages.push(json!({"role": "user", "content": user}));
    }
    body
}

/// POSTs JSON to `base` + `path`.
pub async fn post(base: &str, path: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("anthropic-version", "2023-06-01")
        .json(body)
        .send()
        .await
        .expect("request reaches the mock")
}

/// Parses an SSE body into (event name, data JSON) pairs, checking the framing.
pub fn parse_sse(text: &str) -> Vec<(String, Value)> {
    let mut events = Vec::new();
    for frame in text.split("\n\n").filter(|f| !f.trim().is_empty()) {
        let mut name = None;
        let mut data = None;
        for line in frame.lines() {
            if let Some(rest) = line.strip_prefix("event: ") {
                name = Some(rest.to_owned());
            } else if let Some(rest) = line.strip_prefix("data: ") {
                data = Some(serde_json::from_str::<Value>(rest).expect("data is JSON"));
            } else {
                panic!("unexpected SSE line {line:?}");
            }
        }
        let name = name.expect("every frame names its event");
        let data = data.expect("every frame has data");
        assert_eq!(
            data["type"],
            name.as_str(),
            "data.type matches the event name"
        );
        events.push((name, data));
    }
    events
}

/// The message rebuilt from its events, as an SDK would: content blocks with text,
/// thinking, signature and parsed tool input, and the final stop reason.
#[derive(Debug, Default)]
pub struct Rebuilt {
    pub start: Value,
    pub blocks: Vec<Value>,
    pub stop_reason: Option<String>,
    pub output_tokens: Option<u64>,
    pub error: Option<Value>,
    pub stopped: bool,
}

pub fn rebuild(events: &[(String, Value)]) -> Rebuilt {
    let mut out = Rebuilt::default();
    let mut partial_json: Vec<String> = Vec::new();
    for (name, data) in events {
        match name.as_str() {
            "message_start" => out.start = data["message"].clone(),
            "ping" => {}
            "content_block_start" => {
                let index = data["index"].as_u64().expect("index") as usize;
                assert_eq!(index, out.blocks.len(), "blocks start in order");
                out.blocks.push(data["content_block"].clone());
                partial_json.push(String::new());
            }
            "content_block_delta" => {
                let index = data["index"].as_u64().expect("index") as usize;
                let block = &mut out.blocks[index];
                let delta = &data["delta"];
                match delta["type"].as_str().expect("delta type") {
                    "text_delta" => append(block, "text", &delta["text"]),
                    "thinking_delta" => append(block, "thinking", &delta["thinking"]),
                    "signature_delta" => append(block, "signature", &delta["signature"]),
                    "input_json_delta" => {
                        partial_json[index].push_str(delta["partial_json"].as_str().expect("str"))
                    }
                    other => panic!("unknown delta {other}"),
                }
            }
            "content_block_stop" => {
                let index = data["index"].as_u64().expect("index") as usize;
                if out.blocks[index]["type"] == "tool_use" {
                    out.blocks[index]["input"] = serde_json::from_str(&partial_json[index])
                        .expect("tool input JSON reassembles");
                }
            }
            "message_delta" => {
                out.stop_reason = data["delta"]["stop_reason"].as_str().map(str::to_owned);
                out.output_tokens = data["usage"]["output_tokens"].as_u64();
            }
            "message_stop" => out.stopped = true,
            "error" => out.error = Some(data["error"].clone()),
            other => panic!("unknown event {other}"),
        }
    }
    out
}

fn append(block: &mut Value, field: &str, piece: &Value) {
    let mut text = block[field].as_str().unwrap_or_default().to_owned();
    text.push_str(piece.as_str().expect("delta text is a string"));
    block[field] = Value::String(text);
}

/// POSTs a streaming request and rebuilds the answer.
pub async fn stream(base: &str, body: &Value) -> (Vec<(String, Value)>, Rebuilt) {
    let response = post(base, "/v1/messages?beta=true", body).await;
    assert_eq!(response.status(), 200);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("text/event-stream"),
        "got {content_type}"
    );
    let text = response.text().await.expect("body");
    let events = parse_sse(&text);
    let rebuilt = rebuild(&events);
    (events, rebuilt)
}
