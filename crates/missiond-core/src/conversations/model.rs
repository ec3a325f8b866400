//! Conversation data: what a transcript line becomes, what the store keeps, and what the
//! tools return (the same structs, so the wire shape is defined once).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::parse::ParsedMessage;

/// Who a message is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The user: prompts and tool results.
    User,
    /// The model: text, thinking and tool calls.
    Assistant,
    /// Claude Code itself (compaction boundaries and other notes).
    System,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::System => "system",
        }
    }

    /// From the stored name (`System` for anything unknown).
    pub fn parse(s: &str) -> Role {
        match s {
            "user" => Role::User,
            "assistant" => Role::Assistant,
            _ => Role::System,
        }
    }
}

/// What a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// Plain text: a prompt, or the model's answer.
    Text,
    /// The model's thinking.
    Thinking,
    /// A tool call (toolName, input in payload).
    ToolUse,
    /// A tool's result (content, isError).
    ToolResult,
    /// A note from Claude Code (e.g. `compact_boundary`).
    System,
    /// A summary of earlier conversation written at compaction.
    Summary,
}

impl MessageKind {
    /// Every kind, in display order.
    pub const ALL: [MessageKind; 6] = [
        MessageKind::Text,
        MessageKind::Thinking,
        MessageKind::ToolUse,
        MessageKind::ToolResult,
        MessageKind::System,
        MessageKind::Summary,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Text => "text",
            MessageKind::Thinking => "thinking",
            MessageKind::ToolUse => "tool_use",
            MessageKind::ToolResult => "tool_result",
            MessageKind::System => "system",
            MessageKind::Summary => "summary",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<MessageKind> {
        MessageKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Token counts of API responses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// Input tokens not read from or written to the prompt cache.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read_tokens: u64,
    /// Input tokens written to the prompt cache.
    pub cache_creation_tokens: u64,
}

/// A parsed message ready to store, with the key that makes storing it twice a no-op.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    /// The line's `uuid`, or `@<byte offset>` for a line without one.
    pub line_key: String,
    /// When it was written, Unix ms (the line's timestamp, else the time it was read).
    pub created_at: i64,
    /// The message.
    pub message: ParsedMessage,
}

/// The `slot_id` stored for a session no slot ran (one the daemon did not start, seen by
/// the sessions watcher): no slot id can be empty.
pub const EXTERNAL_SLOT: &str = "";

/// Where a transcript file was read up to, and what it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranscriptFile {
    /// The file.
    pub path: String,
    /// Claude Code's session id (the file's name).
    pub session_id: String,
    /// The slot that ran the session, or [`EXTERNAL_SLOT`].
    pub slot_id: String,
    /// Bytes read and stored so far (always the end of a complete line).
    pub offset: u64,
    /// The Claude Code config folder it is under, when known.
    pub config_dir: Option<String>,
    /// Its project folder's name under `projects/` (the cwd with `/` as `-`), when known.
    pub project: Option<String>,
}

/// Which conversations a query covers: the slots', the others' (sessions the daemon did
/// not start), or both (no filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Sessions run by the daemon's slots.
    Slots,
    /// Sessions the daemon did not start (found by the sessions watcher).
    External,
    /// Both.
    All,
}

impl Source {
    /// The filter word stored queries take (`None` for all).
    pub fn filter(self) -> Option<&'static str> {
        match self {
            Source::Slots => Some("slots"),
            Source::External => Some("external"),
            Source::All => None,
        }
    }
}

/// A stored message, as `mission_conversation_get` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Its id: grows in conversation order; pass the last one as sinceId to page on.
    pub id: i64,
    /// The transcript line's uuid (several messages share it when a line held several
    /// blocks).
    pub uuid: Option<String>,
    /// The uuid of the line it follows.
    pub parent_uuid: Option<String>,
    /// user, assistant or system.
    pub role: Role,
    /// text, thinking, tool_use, tool_result, system or summary.
    pub kind: MessageKind,
    /// The text: prompt, answer, thinking, tool input as JSON, or tool output.
    pub text: String,
    /// The text was longer than 256 KiB and was cut.
    pub truncated: bool,
    /// The tool called (tool_use) or answered (tool_result, when known).
    pub tool_name: Option<String>,
    /// The tool call's id, linking a tool_use to its tool_result.
    pub tool_use_id: Option<String>,
    /// For tool_result: whether the tool failed.
    pub is_error: Option<bool>,
    /// Structured details: tool input, tool result content, system note fields (left
    /// out when includePayloads is false).
    pub payload: Option<Value>,
    /// The model that wrote it (assistant messages).
    pub model: Option<String>,
    /// The usage of the API response this assistant message is part of (every block of
    /// one response repeats it).
    pub usage: Option<Usage>,
    /// Not typed by a person: a note Claude Code added in the user's name.
    pub meta: bool,
    /// When it was written (RFC 3339).
    pub created_at: String,
}

/// One recorded conversation (a Claude Code session of a slot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    /// Claude Code's session id: pass it to mission_conversation_get.
    pub session_id: String,
    /// The slot that ran it (empty for an external session).
    pub slot_id: String,
    /// `slot` (a slot's session) or `external` (a session the daemon did not start).
    pub source: String,
    /// The Claude Code config folder of its transcript, when known.
    pub config_dir: Option<String>,
    /// Its project folder under `projects/` (the cwd with `/` as `-`), when known.
    pub project: Option<String>,
    /// When the slot's process started (or, if unknown, the first message).
    pub started_at: Option<String>,
    /// When the slot's process ended; absent while it runs or when unknown.
    pub ended_at: Option<String>,
    /// The latest message.
    pub last_message_at: Option<String>,
    /// Messages stored.
    pub message_count: u64,
    /// The first prompt typed (cut to 500 characters).
    pub first_prompt: Option<String>,
    /// Tokens of all its API responses.
    pub tokens: Usage,
    /// The transcript file it was read from.
    pub transcript_path: String,
}

/// A search hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// The message's id (mission_conversation_get with sinceId = id - 1 starts there).
    pub message_id: i64,
    /// Its conversation.
    pub session_id: String,
    /// Its slot (empty for an external session).
    pub slot_id: String,
    /// user, assistant or system.
    pub role: Role,
    /// What it is.
    pub kind: MessageKind,
    /// The tool, for tool_use and tool_result.
    pub tool_name: Option<String>,
    /// The matching part of the text, matches between `**`.
    pub snippet: String,
    /// When it was written (RFC 3339).
    pub created_at: String,
    /// Relevance (BM25; lower is better).
    pub score: f64,
}

/// Token totals of a group of API responses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenRow {
    /// The slot, model or day (YYYY-MM-DD, UTC); empty for the grand total.
    pub key: String,
    /// API responses counted.
    pub responses: u64,
    /// Their tokens.
    #[serde(flatten)]
    pub usage: Usage,
}

/// Token totals: overall, per slot, per model and per day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenStats {
    /// Every response counted.
    pub total: TokenRow,
    /// Per slot, by slot id.
    pub by_slot: Vec<TokenRow>,
    /// Per model, by name.
    pub by_model: Vec<TokenRow>,
    /// Per UTC day, oldest first.
    pub by_day: Vec<TokenRow>,
}

/// Which conversations to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationQuery {
    /// Only this slot's.
    pub slot_id: Option<String>,
    /// Only `slots` or `external` ones ([`Source::filter`]); `None`: all.
    pub source: Option<&'static str>,
    /// Only this project's (its folder name under `projects/`).
    pub project: Option<String>,
    /// At most this many, latest activity first.
    pub limit: u32,
    /// Skip this many first.
    pub offset: u32,
}

/// Which messages of a conversation to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageQuery {
    /// The conversation.
    pub session_id: String,
    /// Only messages with a greater id.
    pub since_id: i64,
    /// At most this many.
    pub limit: u32,
    /// Keep thinking messages.
    pub include_thinking: bool,
    /// Keep payloads.
    pub include_payloads: bool,
    /// Stop once the texts and payloads returned pass this many bytes (at least one
    /// message is always returned).
    pub max_bytes: usize,
}

/// A full-text search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// An FTS5 query made by [`super::fts_query`].
    pub fts: String,
    /// Only this slot's messages.
    pub slot_id: Option<String>,
    /// Only `slots` or `external` ones ([`Source::filter`]); `None`: all.
    pub source: Option<&'static str>,
    /// Only this project's (its folder name under `projects/`).
    pub project: Option<String>,
    /// Only this conversation's.
    pub session_id: Option<String>,
    /// Only this kind.
    pub kind: Option<MessageKind>,
    /// At most this many hits, best first.
    pub limit: u32,
    /// Skip this many first.
    pub offset: u32,
}

/// Which API responses to count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenQuery {
    /// Only this slot's.
    pub slot_id: Option<String>,
    /// Only `slots` or `external` ones ([`Source::filter`]); `None`: all.
    pub source: Option<&'static str>,
    /// Only this project's (its folder name under `projects/`).
    pub project: Option<String>,
    /// Written at or after this instant, Unix ms.
    pub since_ms: Option<i64>,
    /// Written before this instant, Unix ms.
    pub until_ms: Option<i64>,
}

/// What the store knows of one session, for the sessions watcher's tools.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionSummary {
    /// Its slot ([`EXTERNAL_SLOT`] for an external session).
    pub slot_id: String,
    /// Its project folder under `projects/`.
    pub project: Option<String>,
    /// Its config folder.
    pub config_dir: Option<String>,
    /// Tokens of its API responses.
    pub tokens: Usage,
    /// The model of its latest response.
    pub model: Option<String>,
    /// Its latest message, Unix ms.
    pub last_message_ms: Option<i64>,
    /// The first prompt typed (cut to 500 characters).
    pub first_prompt: Option<String>,
}
