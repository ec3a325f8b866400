//! One line of a Claude Code transcript (JSONL) to the messages it holds.
//!
//! Lines of type `user` and `assistant` carry an Anthropic-format `message`; each of its
//! content blocks becomes one message. `system` lines (compaction boundaries and other
//! notes) and `summary` lines become one message each. Every other line type
//! (`attachment`, `queue-operation`, `api-request`, `cost-state`, ...) holds no message
//! and is reported as [`Skip::NotMessage`]; a line that is not JSON is
//! [`Skip::NotJson`]. Nothing here fails on an unknown shape.

use serde_json::{Map, Value, json};

use super::model::{MessageKind, Role, Usage};
use super::query::parse_instant;

/// One message found in a transcript line.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedMessage {
    /// The line's `uuid`.
    pub uuid: Option<String>,
    /// The line's `parentUuid`.
    pub parent_uuid: Option<String>,
    /// The block's index in the line's content (0 for single-text lines).
    pub block_index: u32,
    /// Who it is from.
    pub role: Role,
    /// What it is.
    pub kind: MessageKind,
    /// Its text (see [`super::Message::text`]).
    pub text: String,
    /// The tool called (tool_use).
    pub tool_name: Option<String>,
    /// The tool call's id (tool_use and tool_result).
    pub tool_use_id: Option<String>,
    /// Whether the tool failed (tool_result).
    pub is_error: Option<bool>,
    /// Structured details.
    pub payload: Option<Value>,
    /// The model (assistant).
    pub model: Option<String>,
    /// The API response's id (`message.id`, assistant).
    pub api_message_id: Option<String>,
    /// The API response's usage (assistant).
    pub usage: Option<Usage>,
    /// Added by Claude Code in the user's name (`isMeta`).
    pub meta: bool,
    /// The line's timestamp, Unix ms.
    pub timestamp_ms: Option<i64>,
    /// An assistant line whose response stopped for a reason other than a tool call
    /// (`stop_reason` `end_turn`, `max_tokens`, ...): the turn is over. Claude Code
    /// writes the response's `stop_reason` on the line of each of its blocks.
    pub ends_turn: bool,
}

/// Line types Claude Code writes that hold no conversation message (bookkeeping seen
/// in 2.1.331 transcripts). Other types without messages are new to this parser.
pub const NON_MESSAGE_TYPES: &[&str] = &[
    "attachment",
    "queue-operation",
    "api-request",
    "api-request-shape",
    "api-request-blob",
    "cost-state",
    "last-prompt",
    "atis-latch",
    "tools-used",
    "file-history-snapshot",
    "mode",
    "permission-mode",
];

/// Why a line gave no messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// Not JSON (or not a JSON object): the parser's complaint.
    NotJson(String),
    /// A line type that holds no conversation message (its `type`, or `?`).
    NotMessage(String),
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skip::NotJson(e) => write!(f, "not a JSON object: {e}"),
            Skip::NotMessage(t) => write!(f, "line type `{t}` holds no message"),
        }
    }
}

/// The messages of one transcript line, in block order.
pub fn parse_line(line: &str) -> Result<Vec<ParsedMessage>, Skip> {
    let value: Value = serde_json::from_str(line).map_err(|e| Skip::NotJson(e.to_string()))?;
    let Value::Object(obj) = value else {
        return Err(Skip::NotJson("a JSON value that is not an object".into()));
    };
    let line_type = str_field(&obj, "type").unwrap_or("?");
    let base = Base::of(&obj);
    match line_type {
        "user" => Ok(user_line(&obj, &base)),
        "assistant" => Ok(assistant_line(&obj, &base)),
        "system" => Ok(vec![system_line(&obj, &base)]),
        "summary" => Ok(summary_line(&obj, &base).into_iter().collect()),
        other => Err(Skip::NotMessage(other.to_string())),
    }
}

/// Fields every message of a line shares.
struct Base {
    uuid: Option<String>,
    parent_uuid: Option<String>,
    timestamp_ms: Option<i64>,
    meta: bool,
}

impl Base {
    fn of(obj: &Map<String, Value>) -> Base {
        Base {
            uuid: str_field(obj, "uuid").map(str::to_string),
            parent_uuid: str_field(obj, "parentUuid").map(str::to_string),
            timestamp_ms: str_field(obj, "timestamp").and_then(parse_instant),
            meta: obj.get("isMeta").and_then(Value::as_bool).unwrap_or(false),
        }
    }

    fn message(
        &self,
        block_index: u32,
        role: Role,
        kind: MessageKind,
        text: String,
    ) -> ParsedMessage {
        ParsedMessage {
            uuid: self.uuid.clone(),
            parent_uuid: self.parent_uuid.clone(),
            block_index,
            role,
            kind,
            text,
            tool_name: None,
            tool_use_id: None,
            is_error: None,
            payload: None,
            model: None,
            api_message_id: None,
            usage: None,
            meta: self.meta,
            timestamp_ms: self.timestamp_ms,
            ends_turn: false,
        }
    }
}

fn str_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

fn blocks(obj: &Map<String, Value>) -> Option<&Value> {
    obj.get("message").and_then(|m| m.get("content"))
}

fn user_line(obj: &Map<String, Value>, base: &Base) -> Vec<ParsedMessage> {
    let summary = obj
        .get("isCompactSummary")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let (role, kind) = if summary {
        (Role::System, MessageKind::Summary)
    } else {
        (Role::User, MessageKind::Text)
    };
    match blocks(obj) {
        Some(Value::String(text)) => vec![base.message(0, role, kind, text.clone())],
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, block)| user_block(base, i as u32, block, role, kind))
            .collect(),
        _ => Vec::new(),
    }
}

fn user_block(
    base: &Base,
    index: u32,
    block: &Value,
    role: Role,
    kind: MessageKind,
) -> Option<ParsedMessage> {
    match block.get("type").and_then(Value::as_str) {
        Some("text") => {
            let text = block.get("text").and_then(Value::as_str)?;
            Some(base.message(index, role, kind, text.to_string()))
        }
        Some("tool_result") => {
            let content = block.get("content").cloned().unwrap_or(Value::Null);
            let is_error = block
                .get("is_error")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let mut m = base.message(
                index,
                Role::User,
                MessageKind::ToolResult,
                result_text(&content),
            );
            m.tool_use_id = block
                .get("tool_use_id")
                .and_then(Value::as_str)
                .map(str::to_string);
            m.is_error = Some(is_error);
            m.payload = Some(json!({ "content": content }));
            Some(m)
        }
        other => {
            tracing::debug!(block = ?other, "transcript: user block kind not recorded");
            None
        }
    }
}

/// A tool result's text: a string as is; text blocks joined by newlines, other blocks
/// named in brackets (`[image]`).
fn result_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item.get("type").and_then(Value::as_str) {
                Some("text") => item
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                Some(other) => format!("[{other}]"),
                None => item.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn assistant_line(obj: &Map<String, Value>, base: &Base) -> Vec<ParsedMessage> {
    let message = obj.get("message");
    let model = message
        .and_then(|m| m.get("model"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let api_id = message
        .and_then(|m| m.get("id"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let usage = message.and_then(|m| m.get("usage")).map(usage_of);
    let ends_turn = message
        .and_then(|m| m.get("stop_reason"))
        .and_then(Value::as_str)
        .is_some_and(|reason| reason != "tool_use");
    let sidechain = obj
        .get("isSidechain")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let found: Vec<ParsedMessage> = match blocks(obj) {
        Some(Value::String(text)) => {
            vec![base.message(0, Role::Assistant, MessageKind::Text, text.clone())]
        }
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, block)| assistant_block(base, i as u32, block))
            .collect(),
        _ => Vec::new(),
    };
    found
        .into_iter()
        .map(|mut m| {
            m.model = model.clone();
            m.api_message_id = api_id.clone();
            m.usage = usage;
            // A subagent's answer does not end the session's turn.
            m.ends_turn = ends_turn && !sidechain;
            m
        })
        .collect()
}

fn assistant_block(base: &Base, index: u32, block: &Value) -> Option<ParsedMessage> {
    let text_of = |key: &str| block.get(key).and_then(Value::as_str).map(str::to_string);
    let message = |kind, text| base.message(index, Role::Assistant, kind, text);
    match block.get("type").and_then(Value::as_str) {
        Some("text") => Some(message(MessageKind::Text, text_of("text")?)),
        Some("thinking") => Some(message(MessageKind::Thinking, text_of("thinking")?)),
        Some("redacted_thinking") => Some(message(
            MessageKind::Thinking,
            "[redacted thinking]".to_string(),
        )),
        Some("tool_use" | "server_tool_use") => {
            let name = text_of("name").unwrap_or_default();
            let input = block.get("input").cloned().unwrap_or(Value::Null);
            let mut m = message(MessageKind::ToolUse, format!("{name} {input}"));
            m.tool_use_id = text_of("id");
            m.payload = Some(json!({ "name": name, "input": input }));
            m.tool_name = Some(name);
            Some(m)
        }
        other => {
            tracing::debug!(block = ?other, "transcript: assistant block kind not recorded");
            None
        }
    }
}

fn usage_of(usage: &Value) -> Usage {
    let n = |key: &str| usage.get(key).and_then(Value::as_u64).unwrap_or(0);
    Usage {
        input_tokens: n("input_tokens"),
        output_tokens: n("output_tokens"),
        cache_read_tokens: n("cache_read_input_tokens"),
        cache_creation_tokens: n("cache_creation_input_tokens"),
    }
}

fn system_line(obj: &Map<String, Value>, base: &Base) -> ParsedMessage {
    let subtype = str_field(obj, "subtype");
    let text = str_field(obj, "content")
        .or(subtype)
        .unwrap_or("system")
        .to_string();
    let mut m = base.message(0, Role::System, MessageKind::System, text);
    // The note's own fields (subtype, level, durations, compaction details), without
    // the envelope every line repeats.
    let payload: Map<String, Value> = obj
        .iter()
        .filter(|(k, _)| !ENVELOPE.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    m.payload = Some(Value::Object(payload));
    m
}

/// Fields of every transcript line that say where it belongs, not what it says.
const ENVELOPE: &[&str] = &[
    "type",
    "uuid",
    "parentUuid",
    "timestamp",
    "sessionId",
    "cwd",
    "version",
    "gitBranch",
    "userType",
    "entrypoint",
    "isSidechain",
    "slug",
    "content",
    "isMeta",
];

fn summary_line(obj: &Map<String, Value>, base: &Base) -> Option<ParsedMessage> {
    let text = str_field(obj, "summary")?.to_string();
    let mut m = base.message(0, Role::System, MessageKind::Summary, text);
    if let Some(leaf) = obj.get("leafUuid") {
        m.payload = Some(json!({ "leafUuid": leaf }));
    }
    Some(m)
}
