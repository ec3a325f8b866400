//! The AI router's tool: `mission_router_chat`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Annotations, Tool, ToolDef};
use crate::router::{ChatOutcome, ChatRequest, Message};

/// `mission_router_chat`.
pub struct RouterChat;

/// This area's tools, in display order.
pub(super) fn defs() -> Vec<ToolDef> {
    vec![ToolDef::of::<RouterChat>()]
}

/// Arguments of `mission_router_chat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouterChatParams {
    /// The conversation, oldest first (1 to 200 messages, at most 1 MiB of text; at
    /// least one with role user). system messages become the Anthropic `system` field.
    #[schemars(length(min = 1, max = 200))]
    pub messages: Vec<Message>,
    /// A model name, or an alias from credentials.json's `models` (default: its `model`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Most tokens in the answer (default: credentials.json's `max_tokens`, else 1024).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 128000))]
    pub max_tokens: Option<u32>,
}

impl RouterChatParams {
    /// The request to route.
    pub fn request(&self) -> ChatRequest {
        ChatRequest {
            messages: self.messages.clone(),
            model: self.model.clone(),
            max_tokens: self.max_tokens,
        }
    }
}

/// Tokens a chat used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RouterUsage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Answer tokens.
    pub output_tokens: u64,
}

/// Result of `mission_router_chat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RouterChatResult {
    /// The answer's text.
    pub text: String,
    /// The model asked for (after alias resolution).
    pub model: String,
    /// The model the backend says answered, when it says.
    pub answered_by: Option<String>,
    /// anthropic or openai.
    pub api: String,
    /// Why the answer ended (end_turn, max_tokens, stop, length ...).
    pub stop_reason: Option<String>,
    /// Tokens used.
    pub usage: RouterUsage,
    /// HTTP attempts made (more than 1 after retries).
    pub attempts: u32,
}

impl From<ChatOutcome> for RouterChatResult {
    fn from(o: ChatOutcome) -> Self {
        RouterChatResult {
            text: o.reply.text,
            model: o.model,
            answered_by: Some(o.reply.model).filter(|m| !m.is_empty()),
            api: o.api.name().to_string(),
            stop_reason: o.reply.stop_reason,
            usage: RouterUsage {
                input_tokens: o.reply.usage.input_tokens,
                output_tokens: o.reply.usage.output_tokens,
            },
            attempts: o.attempts,
        }
    }
}

impl Tool for RouterChat {
    const NAME: &'static str = "mission_router_chat";
    const TITLE: &'static str = "Chat with the configured LLM backend";
    const DESCRIPTION: &'static str = "Send a chat completion to the LLM backend named in \
        the missiond home's credentials.json (Anthropic Messages API or an \
        OpenAI-compatible chat completions API) and return the answer's text, the model \
        and token usage. Give messages (role system, user or assistant, with content); \
        model may be a name or an alias from credentials.json, maxTokens bounds the \
        answer. Busy answers (429, 503, 529) are retried with backoff, honouring \
        retry-after. Fails with config_error when credentials.json is missing, readable \
        by others (it must be 0600) or invalid; timeout when the backend is silent; \
        internal_error naming the HTTP status and the backend's message otherwise. The \
        API key never appears in results or errors.";
    // Not read-only: each call spends the backend's tokens (and its quota).
    const ANNOTATIONS: Annotations = Annotations {
        read_only_hint: false,
        destructive_hint: false,
        idempotent_hint: false,
        open_world_hint: true,
    };
    type Params = RouterChatParams;
    type Output = RouterChatResult;
}
