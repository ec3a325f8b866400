//! Turns a scripted step into an Anthropic message: one JSON body, or timed SSE events.

use std::time::Duration;

use serde_json::{Value, json};

use crate::request::Inbound;
use crate::scenario::{ErrorBody, Step};

/// Characters per delta when a step does not say.
const DEFAULT_CHUNK_CHARS: usize = 16;
/// Characters per `input_json_delta`, like the real API sends tool input in pieces.
const JSON_CHUNK_CHARS: usize = 12;

/// One content block of the answer.
#[derive(Debug, Clone)]
pub enum Block {
    /// `thinking` with its signature.
    Thinking {
        /// The thinking text.
        text: String,
        /// An opaque signature.
        signature: String,
    },
    /// `text`.
    Text(String),
    /// `tool_use`.
    ToolUse {
        /// `toolu_...` id.
        id: String,
        /// Tool name.
        name: String,
        /// Input object.
        input: Value,
    },
}

/// A fully decided answer message, before serialisation.
#[derive(Debug, Clone)]
pub struct Planned {
    /// `msg_...` id.
    pub id: String,
    /// Model echoed from the request.
    pub model: String,
    /// Content blocks in order.
    pub blocks: Vec<Block>,
    /// `end_turn`, `tool_use`, or the step's override.
    pub stop_reason: String,
    /// usage.input_tokens.
    pub input_tokens: u64,
    /// usage.output_tokens.
    pub output_tokens: u64,
    /// usage.cache_creation_input_tokens.
    pub cache_creation_input_tokens: u64,
    /// usage.cache_read_input_tokens.
    pub cache_read_input_tokens: u64,
    /// Pause before the first block.
    pub first_token_delay: Duration,
    /// Characters per text/thinking delta.
    pub chunk_chars: usize,
    /// Pause between deltas.
    pub chunk_delay: Duration,
    /// An error event that replaces `message_delta`/`message_stop`.
    pub stream_error: Option<ErrorBody>,
}

/// A server-sent event and the pause before it is sent.
#[derive(Debug, Clone)]
pub struct TimedEvent {
    /// Pause before sending.
    pub delay: Duration,
    /// `event:` name.
    pub name: &'static str,
    /// `data:` JSON.
    pub data: Value,
}

impl TimedEvent {
    /// The event in wire format: `event: NAME\ndata: JSON\n\n`.
    pub fn to_wire(&self) -> String {
        format!("event: {}\ndata: {}\n\n", self.name, self.data)
    }
}

impl Planned {
    /// Plans the answer to `inbound` from `step`, with fresh ids.
    pub fn new(step: &Step, inbound: &Inbound) -> Planned {
        let mut blocks = Vec::new();
        if let Some(text) = &step.thinking {
            blocks.push(Block::Thinking {
                text: text.clone(),
                signature: fake_signature(),
            });
        }
        if let Some(text) = &step.text {
            blocks.push(Block::Text(text.clone()));
        }
        for call in step.tool_uses() {
            blocks.push(Block::ToolUse {
                id: new_id("toolu_01"),
                name: call.name.clone(),
                input: call.input.clone(),
            });
        }
        let calls_tool = !step.tool_uses().is_empty();
        let stop_reason = step
            .stop_reason
            .clone()
            .unwrap_or_else(|| if calls_tool { "tool_use" } else { "end_turn" }.to_owned());
        let usage = step.usage.clone().unwrap_or_default();
        let estimated_output = (blocks.iter().map(block_len).sum::<usize>() as u64 / 4).max(1);
        Planned {
            id: new_id("msg_01"),
            model: inbound.model.clone(),
            blocks,
            stop_reason,
            input_tokens: usage.input_tokens.unwrap_or(inbound.estimated_input_tokens),
            output_tokens: usage.output_tokens.unwrap_or(estimated_output),
            cache_creation_input_tokens: usage.cache_creation_input_tokens.unwrap_or(0),
            cache_read_input_tokens: usage.cache_read_input_tokens.unwrap_or(0),
            first_token_delay: Duration::from_millis(step.first_token_delay_ms),
            chunk_chars: step.chunk_chars.unwrap_or(DEFAULT_CHUNK_CHARS).max(1),
            chunk_delay: Duration::from_millis(step.chunk_delay_ms),
            stream_error: step.stream_error.clone(),
        }
    }

    /// Ids of the tool calls in this answer.
    pub fn tool_use_ids(&self) -> Vec<String> {
        self.blocks
            .iter()
            .filter_map(|b| match b {
                Block::ToolUse { id, .. } => Some(id.clone()),
                _ => None,
            })
            .collect()
    }

    /// The non-streaming response body.
    pub fn to_message_json(&self) -> Value {
        let content: Vec<Value> = self.blocks.iter().map(block_json).collect();
        let mut message = self.message_shell();
        message["content"] = Value::Array(content);
        message["stop_reason"] = json!(self.stop_reason);
        message["usage"]["output_tokens"] = json!(self.output_tokens);
        message
    }

    /// The streaming response: every event with the pause before it.
    pub fn to_events(&self) -> Vec<TimedEvent> {
        let mut shell = self.message_shell();
        // message_start reports the output tokens so far, as the real API does.
        shell["usage"]["output_tokens"] = json!(1);
        let mut events = vec![
            event(
                Duration::ZERO,
                "message_start",
                json!({"type": "message_start", "message": shell}),
            ),
            event(Duration::ZERO, "ping", json!({"type": "ping"})),
        ];
        let mut pause = self.first_token_delay;
        for (index, block) in self.blocks.iter().enumerate() {
            self.push_block_events(&mut events, index, block, pause);
            pause = Duration::ZERO;
        }
        if let Some(error) = &self.stream_error {
            events.push(event(
                pause,
                "error",
                json!({"type": "error", "error": {"type": error.kind, "message": error.message}}),
            ));
            return events;
        }
        events.push(event(
            pause,
            "message_delta",
            json!({
                "type": "message_delta",
                "delta": {"stop_reason": self.stop_reason, "stop_sequence": null},
                "usage": {"output_tokens": self.output_tokens},
            }),
        ));
        events.push(event(
            Duration::ZERO,
            "message_stop",
            json!({"type": "message_stop"}),
        ));
        events
    }

    fn push_block_events(
        &self,
        events: &mut Vec<TimedEvent>,
        index: usize,
        block: &Block,
        pause: Duration,
    ) {
        let start = match block {
            Block::Thinking { .. } => json!({"type": "thinking", "thinking": "", "signature": ""}),
            Block::Text(_) => json!({"type": "text", "text": ""}),
            Block::ToolUse { id, name, .. } => {
                json!({"type": "tool_use", "id": id, "name": name, "input": {}})
            }
        };
        events.push(event(
            pause,
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": start}),
        ));
        let delta = |delay, delta: Value| {
            event(
                delay,
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index, "delta": delta}),
            )
        };
        match block {
            Block::Thinking { text, signature } => {
                for (i, piece) in chunks(text, self.chunk_chars).into_iter().enumerate() {
                    events.push(delta(
                        self.gap(i),
                        json!({"type": "thinking_delta", "thinking": piece}),
                    ));
                }
                events.push(delta(
                    self.chunk_delay,
                    json!({"type": "signature_delta", "signature": signature}),
                ));
            }
            Block::Text(text) => {
                for (i, piece) in chunks(text, self.chunk_chars).into_iter().enumerate() {
                    events.push(delta(
                        self.gap(i),
                        json!({"type": "text_delta", "text": piece}),
                    ));
                }
            }
            Block::ToolUse { input, .. } => {
                let json_text = input.to_string();
                for (i, piece) in chunks(&json_text, JSON_CHUNK_CHARS).into_iter().enumerate() {
                    events.push(delta(
                        self.gap(i),
                        json!({"type": "input_json_delta", "partial_json": piece}),
                    ));
                }
            }
        }
        events.push(event(
            Duration::ZERO,
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        ));
    }

    /// No pause before a block's first delta; `chunk_delay` between the rest.
    fn gap(&self, chunk_index: usize) -> Duration {
        if chunk_index == 0 {
            Duration::ZERO
        } else {
            self.chunk_delay
        }
    }

    fn message_shell(&self) -> Value {
        json!({
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [],
            "stop_reason": null,
            "stop_sequence": null,
            "usage": {
                "input_tokens": self.input_tokens,
                "cache_creation_input_tokens": self.cache_creation_input_tokens,
                "cache_read_input_tokens": self.cache_read_input_tokens,
                "output_tokens": self.output_tokens,
            },
        })
    }
}

/// Anthropic's error JSON.
pub fn error_json(error: &ErrorBody, request_id: &str) -> Value {
    json!({
        "type": "error",
        "error": {"type": error.kind, "message": error.message},
        "request_id": request_id,
    })
}

/// The HTTP status the real API uses for an error type.
pub fn status_for_error_type(kind: &str) -> u16 {
    match kind {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "overloaded_error" => 529,
        _ => 500,
    }
}

/// A fresh id with the given prefix, e.g. `msg_01…`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

fn fake_signature() -> String {
    format!("mock-signature-{}", uuid::Uuid::new_v4().simple())
}

fn event(delay: Duration, name: &'static str, data: Value) -> TimedEvent {
    TimedEvent { delay, name, data }
}

fn block_json(block: &Block) -> Value {
    match block {
        Block::Thinking { text, signature } => {
            json!({"type": "thinking", "thinking": text, "signature": signature})
        }
        Block::Text(text) => json!({"type": "text", "text": text}),
        Block::ToolUse { id, name, input } => {
            json!({"type": "tool_use", "id": id, "name": name, "input": input})
        }
    }
}

fn block_len(block: &Block) -> usize {
    match block {
        Block::Thinking { text, .. } | Block::Text(text) => text.len(),
        Block::ToolUse { input, .. } => input.to_string().len(),
    }
}

/// Splits on character boundaries into pieces of at most `size` characters (at least one piece).
fn chunks(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars
        .chunks(size.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn chunks_keep_every_character() {
        assert_eq!(chunks("héllo wörld", 4), vec!["héll", "o wö", "rld"]);
        assert_eq!(chunks("", 4), vec![""]);
    }

    #[test]
    fn events_follow_the_api_order() {
        let scenario = Scenario::from_yaml(
            "rules:\n - steps:\n    - thinking: hmm\n      text: Look\n      tool_use: {name: Bash, input: {command: ls}}\n",
        )
        .expect("parses");
        let inbound = Inbound {
            model: "m".into(),
            ..Inbound::default()
        };
        let planned = Planned::new(&scenario.rules[0].steps[0], &inbound);
        let names: Vec<&str> = planned.to_events().iter().map(|e| e.name).collect();
        let expected = [
            "message_start",
            "ping",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_stop",
            "content_block_start",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop",
        ];
        assert_eq!(names, expected);
        assert_eq!(planned.stop_reason, "tool_use");
        let body = planned.to_message_json();
        assert_eq!(body["content"][2]["input"]["command"], "ls");
        assert_eq!(body["model"], "m");
    }
}
