//! What the server needs to know about an incoming Messages API request.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Context Claude Code injects into user messages, in tags (seen in 2.1.331): reminders,
/// and the record of local slash commands such as `/compact`.
const INJECTED_TAGS: &[&str] = &[
    "system-reminder",
    "local-command-caveat",
    "local-command-stdout",
    "local-command-stderr",
    "command-name",
    "command-message",
    "command-args",
];

/// Text blocks starting with these are Claude Code's, not the user's (the summary left
/// by a compaction).
const INJECTED_PREFIXES: &[&str] =
    &["This session is being continued from a previous conversation"];

static INJECTED: LazyLock<Regex> = LazyLock::new(|| {
    let alternatives: Vec<String> = INJECTED_TAGS
        .iter()
        .map(|tag| format!("<{tag}>.*?</{tag}>"))
        .collect();
    Regex::new(&format!("(?s){}", alternatives.join("|"))).expect("static regex compiles")
});

/// Phrases of Claude Code's compaction instruction (seen in 2.1.331).
const COMPACTION_MARKERS: &[&str] = &[
    "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.",
    "Your task is to create a detailed summary of the conversation so far",
];

/// A `tool_result` block found in the last user message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolResult {
    /// The `tool_use_id` it answers.
    pub tool_use_id: String,
    /// Its text content (text blocks joined with newlines).
    pub content: String,
    /// Its `is_error` flag.
    #[serde(default)]
    pub is_error: bool,
}

/// The parts of a `POST /v1/messages` body the server acts on.
#[derive(Debug, Clone, Default)]
pub struct Inbound {
    /// `model`, echoed in the answer.
    pub model: String,
    /// `stream`.
    pub stream: bool,
    /// Text of the last `user` message, injected context removed.
    pub last_user_text: String,
    /// `tool_result` blocks of the last `user` message.
    pub tool_results: Vec<ToolResult>,
    /// The context sent with this turn: what was stripped from the user messages since
    /// the last assistant message (system reminders ...) and the text of the `system`
    /// messages among them (a hook's `additionalContext`), joined by newlines.
    pub injected_text: String,
    /// Names of the tools offered.
    pub tools: Vec<String>,
    /// A rough input token count (body bytes / 4), used unless a step overrides it.
    pub estimated_input_tokens: u64,
}

impl Inbound {
    /// Reads the fields from a parsed JSON body; missing fields get neutral values.
    pub fn from_body(body: &Value, body_len: usize) -> Inbound {
        let model = body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or("claude-mock")
            .to_owned();
        let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
        let tools = body
            .get("tools")
            .and_then(Value::as_array)
            .map(|tools| {
                tools
                    .iter()
                    .filter_map(|t| t.get("name").and_then(Value::as_str))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let last_user = body
            .get("messages")
            .and_then(Value::as_array)
            .and_then(|messages| {
                messages
                    .iter()
                    .rev()
                    .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
            });
        let (last_user_text, tool_results, _) = match last_user.and_then(|m| m.get("content")) {
            Some(content) => read_user_content(content),
            None => (String::new(), Vec::new(), String::new()),
        };
        let injected_text = body
            .get("messages")
            .and_then(Value::as_array)
            .map(|messages| turn_context(messages))
            .unwrap_or_default();
        Inbound {
            model,
            stream,
            last_user_text,
            tool_results,
            injected_text,
            tools,
            estimated_input_tokens: (body_len as u64 / 4).max(1),
        }
    }

    /// Side requests (titles, topics, quota checks) offer no tools; prompts always do.
    pub fn is_side_request(&self) -> bool {
        self.tools.is_empty()
    }

    /// Claude Code's `/compact` (and auto-compaction) request: tools are offered, but the
    /// last user message is its own summarisation instruction, not the user's prompt.
    pub fn is_compaction(&self) -> bool {
        COMPACTION_MARKERS
            .iter()
            .any(|marker| self.last_user_text.contains(marker))
    }
}

/// Splits a user message's content into its prompt text, its tool results and the
/// injected context removed from its text.
fn read_user_content(content: &Value) -> (String, Vec<ToolResult>, String) {
    let mut texts = Vec::new();
    let mut results = Vec::new();
    let mut injected = Vec::new();
    let mut keep = |text: &str, texts: &mut Vec<String>| {
        injected.extend(injected_parts(text));
        texts.extend(clean_text(text));
    };
    match content {
        Value::String(text) => keep(text, &mut texts),
        Value::Array(blocks) => {
            for block in blocks {
                match block.get("type").and_then(Value::as_str) {
                    Some("text") => {
                        if let Some(text) = block.get("text").and_then(Value::as_str) {
                            keep(text, &mut texts);
                        }
                    }
                    Some("tool_result") => results.push(ToolResult {
                        tool_use_id: block
                            .get("tool_use_id")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        content: block.get("content").map(content_text).unwrap_or_default(),
                        is_error: block
                            .get("is_error")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                    }),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    (texts.join("\n"), results, injected.join("\n"))
}

/// The context sent with the current turn: what was stripped from the user messages
/// since the last assistant message, and the whole text of the `system` messages among
/// them (Claude Code 2.1.331 sends a hook's `additionalContext` as a `system` message
/// after the prompt: "UserPromptSubmit hook additional context: ...").
fn turn_context(messages: &[Value]) -> String {
    let role = |m: &Value| m.get("role").and_then(Value::as_str).map(str::to_owned);
    let turn: Vec<&Value> = messages
        .iter()
        .rev()
        .take_while(|m| role(m).as_deref() != Some("assistant"))
        .collect();
    let mut parts = Vec::new();
    for m in turn.into_iter().rev() {
        let Some(content) = m.get("content") else {
            continue;
        };
        match role(m).as_deref() {
            Some("user") => parts.push(read_user_content(content).2),
            Some("system") => parts.push(content_text(content)),
            _ => {}
        }
    }
    parts.retain(|p| !p.is_empty());
    parts.join("\n")
}

/// The injected parts of a text (what [`clean_text`] removes).
fn injected_parts(text: &str) -> Vec<String> {
    if INJECTED_PREFIXES
        .iter()
        .any(|p| text.trim_start().starts_with(p))
    {
        return vec![text.to_owned()];
    }
    INJECTED
        .find_iter(text)
        .map(|m| m.as_str().to_owned())
        .collect()
}

/// A text with injected context removed, or None when nothing else is left.
fn clean_text(text: &str) -> Option<String> {
    if INJECTED_PREFIXES
        .iter()
        .any(|p| text.trim_start().starts_with(p))
    {
        return None;
    }
    let cleaned = INJECTED.replace_all(text, "");
    let trimmed = cleaned.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Text of a tool_result's `content`: a string, or text blocks joined.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_last_user_message_without_reminders() {
        let body = json!({
            "model": "claude-x", "stream": true,
            "tools": [{"name": "Bash"}, {"name": "mcp__mission__mission_pty_send"}],
            "messages": [
                {"role": "user", "content": "old prompt"},
                {"role": "assistant", "content": [{"type": "text", "text": "ok"}]},
                {"role": "user", "content": [
                    {"type": "text", "text": "<system-reminder>\nnoise\n</system-reminder>\n"},
                    {"type": "text", "text": "list files"},
                    {"type": "tool_result", "tool_use_id": "toolu_1",
                     "content": [{"type": "text", "text": "hi"}], "is_error": false}
                ]},
                {"role": "system", "content": [{"type": "text", "text": "# Environment"}]}
            ]
        });
        let inbound = Inbound::from_body(&body, 400);
        assert_eq!(inbound.model, "claude-x");
        assert!(inbound.stream);
        assert_eq!(inbound.last_user_text, "list files");
        assert_eq!(
            inbound.injected_text,
            "<system-reminder>\nnoise\n</system-reminder>\n# Environment"
        );
        assert_eq!(
            inbound.tools,
            vec!["Bash", "mcp__mission__mission_pty_send"]
        );
        assert_eq!(inbound.tool_results.len(), 1);
        assert_eq!(inbound.tool_results[0].tool_use_id, "toolu_1");
        assert_eq!(inbound.tool_results[0].content, "hi");
        assert_eq!(inbound.estimated_input_tokens, 100);
        assert!(!inbound.is_side_request());
    }

    #[test]
    fn ignores_what_compaction_and_slash_commands_leave_behind() {
        let body = json!({"tools": [{"name": "Bash"}], "messages": [{"role": "user", "content": [
            {"type": "text", "text": "This session is being continued from a previous conversation. hello"},
            {"type": "text", "text": "<local-command-caveat>Caveat.</local-command-caveat>\n"},
            {"type": "text", "text": "<command-name>/compact</command-name>\n  <command-message>compact</command-message>\n  <command-args></command-args>\n"},
            {"type": "text", "text": "<local-command-stdout>Compacted</local-command-stdout>\n"},
            {"type": "text", "text": "hello again"}
        ]}]});
        assert_eq!(Inbound::from_body(&body, 0).last_user_text, "hello again");
    }

    #[test]
    fn side_request_has_no_tools() {
        let body = json!({"messages": [{"role": "user", "content": "title please"}]});
        let inbound = Inbound::from_body(&body, 10);
        assert!(inbound.is_side_request());
        assert!(!inbound.is_compaction());
        assert_eq!(inbound.last_user_text, "title please");
        assert!(!inbound.stream);
    }
}
