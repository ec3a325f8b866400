//! The two wire formats: request bodies to send and answers to read, for the Anthropic
//! Messages API and OpenAI-compatible chat completions. Pure: no I/O.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::credentials::ApiStyle;

/// Who says a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions for the model (Anthropic: the `system` field).
    System,
    /// The user.
    User,
    /// The model's earlier answer.
    Assistant,
}

/// One message of a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Message {
    /// system, user or assistant.
    pub role: Role,
    /// The text.
    pub content: String,
}

impl Message {
    /// A message.
    pub fn new(role: Role, content: impl Into<String>) -> Message {
        Message {
            role,
            content: content.into(),
        }
    }
}

/// Tokens a call used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Answer tokens.
    pub output_tokens: u64,
}

/// What the backend answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The answer's text (all text blocks joined).
    pub text: String,
    /// The model that answered, as the backend names it.
    pub model: String,
    /// Why it stopped (`end_turn`, `max_tokens`, `stop`, `length` ...).
    pub stop_reason: Option<String>,
    /// Tokens used.
    pub usage: Usage,
}

/// The JSON body of a request.
pub fn request_body(style: ApiStyle, model: &str, messages: &[Message], max_tokens: u32) -> Value {
    match style {
        ApiStyle::Anthropic => {
            let system: Vec<&str> = messages
                .iter()
                .filter(|m| m.role == Role::System)
                .map(|m| m.content.as_str())
                .collect();
            let turns: Vec<Value> = messages
                .iter()
                .filter(|m| m.role != Role::System)
                .map(|m| json!({"role": m.role, "content": m.content}))
                .collect();
            let mut body = json!({
                "model": model,
                "max_tokens": max_tokens,
                "messages": turns,
            });
            if !system.is_empty() {
                body["system"] = json!(system.join("\n\n"));
            }
            body
        }
        ApiStyle::Openai => json!({
            "model": model,
            "max_tokens": max_tokens,
            "messages": messages
                .iter()
                .map(|m| json!({"role": m.role, "content": m.content}))
                .collect::<Vec<_>>(),
        }),
    }
}

/// Reads a successful answer; `Err` says what is missing.
pub fn parse_reply(style: ApiStyle, body: &Value) -> Result<Reply, String> {
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let u = |v: Option<&Value>| v.and_then(Value::as_u64).unwrap_or(0);
    match style {
        ApiStyle::Anthropic => {
            let content = body
                .get("content")
                .and_then(Value::as_array)
                .ok_or("the answer has no `content` array")?;
            let text: Vec<&str> = content
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect();
            let usage = body.get("usage");
            Ok(Reply {
                text: text.concat(),
                model,
                stop_reason: body
                    .get("stop_reason")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                usage: Usage {
                    input_tokens: u(usage.and_then(|u| u.get("input_tokens"))),
                    output_tokens: u(usage.and_then(|u| u.get("output_tokens"))),
                },
            })
        }
        ApiStyle::Openai => {
            let choice = body
                .get("choices")
                .and_then(Value::as_array)
                .and_then(|c| c.first())
                .ok_or("the answer has no `choices`")?;
            let content = choice
                .get("message")
                .and_then(|m| m.get("content"))
                .ok_or("the first choice has no `message.content`")?;
            let text = match content {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                Value::Array(parts) => parts
                    .iter()
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .collect(),
                _ => return Err("`message.content` is neither text nor parts".into()),
            };
            let usage = body.get("usage");
            Ok(Reply {
                text,
                model,
                stop_reason: choice
                    .get("finish_reason")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                usage: Usage {
                    input_tokens: u(usage.and_then(|u| u.get("prompt_tokens"))),
                    output_tokens: u(usage.and_then(|u| u.get("completion_tokens"))),
                },
            })
        }
    }
}

/// The backend's own words from an error body (both styles put them in
/// `error.message`; some proxies send a bare `message` or `error` string), else the
/// start of the body.
pub fn error_message(body: &str) -> String {
    let from_json = serde_json::from_str::<Value>(body).ok().and_then(|v| {
        let error = v.get("error");
        let kind = error
            .and_then(|e| e.get("type"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let message = error
            .and_then(|e| e.get("message"))
            .or_else(|| v.get("message"))
            .or(error.filter(|e| e.is_string()))
            .and_then(Value::as_str)
            .map(str::to_string)?;
        Some(match kind {
            Some(kind) => format!("{kind}: {message}"),
            None => message,
        })
    });
    from_json.unwrap_or_else(|| {
        let trimmed = body.trim();
        let head: String = trimmed.chars().take(300).collect();
        if head.is_empty() {
            "(empty body)".to_string()
        } else if head.len() < trimmed.len() {
            format!("{head}…")
        } else {
            head
        }
    })
}
