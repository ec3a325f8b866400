//! Tools of the conversations: list the slots' recorded Claude Code sessions, read one
//! message by message, search every message's text, and sum token usage.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Annotations, Tool, ToolDef};
use crate::conversations::{Conversation, Message, MessageKind, SearchHit, Source, TokenStats};

/// Default number of conversations one `mission_conversation_list` call returns.
pub const CONVERSATION_LIST_DEFAULT: u32 = 20;
/// Most conversations one call returns.
pub const CONVERSATION_LIST_MAX: u32 = 200;
/// Default number of messages one `mission_conversation_get` call returns.
pub const CONVERSATION_GET_DEFAULT: u32 = 200;
/// Most messages one call returns.
pub const CONVERSATION_GET_MAX: u32 = 1000;
/// Text and payload bytes after which `mission_conversation_get` stops adding messages
/// (well under the IPC reply limit).
pub const CONVERSATION_GET_MAX_BYTES: usize = 4 * 1024 * 1024;
/// Default number of hits one `mission_conversation_search` call returns.
pub const CONVERSATION_SEARCH_DEFAULT: u32 = 20;
/// Most hits one call returns.
pub const CONVERSATION_SEARCH_MAX: u32 = 100;
/// Longest search text accepted, in bytes.
pub const CONVERSATION_QUERY_MAX_BYTES: usize = 1000;

/// `mission_conversation_list`.
pub struct ConversationList;
/// `mission_conversation_get`.
pub struct ConversationGet;
/// `mission_conversation_search`.
pub struct ConversationSearch;
/// `mission_token_stats`.
pub struct TokenStatsTool;

/// Arguments of `mission_conversation_list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConversationListParams {
    /// Only this slot's conversations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_id: Option<String>,
    /// Whose: `slots` (sessions the daemon's slots ran), `external` (every other Claude
    /// Code session the sessions watcher saw) or `all` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Only this project's: its path (the session's cwd) or its folder name under
    /// `projects/` (`-work-demo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// At most this many, latest activity first (default 20, at most 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 200))]
    pub limit: Option<u32>,
    /// Skip this many first (to page on; default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u32>,
}

/// Result of `mission_conversation_list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationListResult {
    /// The conversations, latest activity first.
    pub conversations: Vec<Conversation>,
    /// How many match in all (page on with offset while offset + returned < total).
    pub total: u64,
}

impl Tool for ConversationList {
    const NAME: &'static str = "mission_conversation_list";
    const TITLE: &'static str = "Recorded conversations";
    const DESCRIPTION: &'static str = "List the recorded Claude Code conversations: the \
        slots' and, with the sessions watcher, every other session on this machine (one \
        per session, read from Claude Code's own transcripts): slot or external (with its \
        config folder and project), session \
        id, when the session started and ended, the latest message, how many messages, \
        the first prompt and the token totals. Latest activity first; filter by slotId, \
        source (slots, external, all) and project, page with limit and offset. Pass a sessionId to mission_conversation_get to read \
        one. Fails with unknown_slot for a slot that is neither configured nor recorded.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = ConversationListParams;
    type Output = ConversationListResult;
}

/// Arguments of `mission_conversation_get`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConversationGetParams {
    /// The conversation (a sessionId from mission_conversation_list or mission_agents).
    #[schemars(length(min = 1))]
    pub session_id: String,
    /// Only messages with an id greater than this (pass the last nextSinceId to page on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub since_id: Option<i64>,
    /// At most this many messages (default 200, at most 1000); fewer when their text
    /// passes 4 MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u32>,
    /// Include the model's thinking (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_thinking: Option<bool>,
    /// Include payloads: tool inputs, tool result content, system note fields (default
    /// true). The text of each message stays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_payloads: Option<bool>,
}

/// Result of `mission_conversation_get`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationGetResult {
    /// The conversation.
    pub session_id: String,
    /// The slot that ran it.
    pub slot_id: String,
    /// Its messages in conversation order: user prompts, thinking, tool calls, tool
    /// results, answers, system notes.
    pub messages: Vec<Message>,
    /// More messages follow: call again with sinceId = nextSinceId.
    pub has_more: bool,
    /// The id to pass as sinceId next (the last message's id, or the sinceId given).
    pub next_since_id: i64,
}

impl Tool for ConversationGet {
    const NAME: &'static str = "mission_conversation_get";
    const TITLE: &'static str = "A conversation's messages";
    const DESCRIPTION: &'static str = "Read a recorded conversation message by message, \
        in order: the user's prompts (kind text, role user), the model's thinking, its \
        tool calls (tool_use: toolName, input in payload) and their results \
        (tool_result: output text, isError), its answers (kind text, role assistant), \
        compaction summaries and system notes, each with model and token usage where \
        known. Page with sinceId and limit (hasMore, nextSinceId); includeThinking false \
        and includePayloads false make replies smaller. Messages appear within about a \
        second of Claude Code writing them. Fails with invalid_params for an unknown \
        sessionId.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = ConversationGetParams;
    type Output = ConversationGetResult;
}

/// Arguments of `mission_conversation_search`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConversationSearchParams {
    /// Words to find (all of them, any order, case-insensitive); a word ending in `*`
    /// matches as a prefix. Punctuation and quotes are plain text.
    #[schemars(length(min = 1, max = 1000))]
    pub query: String,
    /// Only this slot's messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_id: Option<String>,
    /// Whose: `slots` (sessions the daemon's slots ran), `external` (every other Claude
    /// Code session the sessions watcher saw) or `all` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Only this project's: its path (the session's cwd) or its folder name under
    /// `projects/` (`-work-demo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Only this conversation's messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Only messages of this kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<MessageKind>,
    /// At most this many hits, best first (default 20, at most 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
    /// Skip this many hits first (to page on; default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u32>,
}

/// Result of `mission_conversation_search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSearchResult {
    /// The hits, best first.
    pub hits: Vec<SearchHit>,
}

impl Tool for ConversationSearch {
    const NAME: &'static str = "mission_conversation_search";
    const TITLE: &'static str = "Search the conversations";
    const DESCRIPTION: &'static str = "Full-text search over every recorded message of \
        the recorded conversations (slots' and external sessions'): prompts, answers, thinking, tool calls and tool output. \
        Finds messages holding all the words given (a trailing * matches a prefix), best \
        first, each with its session, slot, kind and a snippet with the matches between \
        **. Narrow with slotId, sessionId, kind, source \
        (slots, external, all) or project; open a hit's surroundings with \
        mission_conversation_get (sinceId = messageId - 1). Any text is a valid query; \
        one with no letters or digits fails with invalid_params.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = ConversationSearchParams;
    type Output = ConversationSearchResult;
}

/// Arguments of `mission_token_stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenStatsParams {
    /// Only this slot's usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_id: Option<String>,
    /// Whose: `slots` (sessions the daemon's slots ran), `external` (every other Claude
    /// Code session the sessions watcher saw) or `all` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Only this project's: its path (the session's cwd) or its folder name under
    /// `projects/` (`-work-demo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Only responses written at or after this instant (RFC 3339, or a date YYYY-MM-DD
    /// meaning its midnight UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Only responses written before this instant (same forms as since).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
}

impl Tool for TokenStatsTool {
    const NAME: &'static str = "mission_token_stats";
    const TITLE: &'static str = "Token usage";
    const DESCRIPTION: &'static str = "Sum the token usage the recorded Claude Code \
        sessions (slots' and external ones, the latter as slot `external`) recorded: input, output, cache-read and cache-creation tokens and the \
        number of API responses, in total, per slot, per model and per UTC day. Each API \
        response counts once. Filter by slotId, source (slots, external, all), project and by time (since, until: RFC 3339 or \
        YYYY-MM-DD). Fails with invalid_params for a malformed time or since after \
        until, and unknown_slot for a slot that is neither configured nor recorded.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = TokenStatsParams;
    type Output = TokenStats;
}

/// This area's tools, in display order.
pub(super) fn defs() -> Vec<ToolDef> {
    vec![
        ToolDef::of::<ConversationList>(),
        ToolDef::of::<ConversationGet>(),
        ToolDef::of::<ConversationSearch>(),
        ToolDef::of::<TokenStatsTool>(),
    ]
}
