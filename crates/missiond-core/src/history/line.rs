//! One transcript line to a usage record. Most lines carry no usage: a byte search for
//! `"usage"` skips them before any JSON parsing.

use std::borrow::Cow;

use serde::Deserialize;

/// Token counts of one API response, as a line reports them.
/// A missing or `null` count is 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Tokens {
    /// `input_tokens`.
    #[serde(deserialize_with = "null_is_zero")]
    pub input_tokens: u64,
    /// `output_tokens`.
    #[serde(deserialize_with = "null_is_zero")]
    pub output_tokens: u64,
    /// `cache_creation_input_tokens`.
    #[serde(deserialize_with = "null_is_zero")]
    pub cache_creation_input_tokens: u64,
    /// `cache_read_input_tokens`.
    #[serde(deserialize_with = "null_is_zero")]
    pub cache_read_input_tokens: u64,
}

fn null_is_zero<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(Option::<u64>::deserialize(d)?.unwrap_or(0))
}

impl Tokens {
    /// All four counts added: how "large" a line's usage is.
    pub fn total(&self) -> u64 {
        self.input_tokens
            .saturating_add(self.output_tokens)
            .saturating_add(self.cache_creation_input_tokens)
            .saturating_add(self.cache_read_input_tokens)
    }
}

/// A line that reports the usage of an API response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageLine {
    /// The response's identity: `message.id` (with nothing else: 2.1.331 writes no
    /// `requestId`, and older sidechain replays carry a new one for the same message).
    /// `None` when the line has no id: it then counts on its own.
    pub message_id: Option<String>,
    /// The line's own timestamp, Unix milliseconds.
    pub ts_ms: i64,
    /// `sessionId`, when the line has one.
    pub session_id: Option<String>,
    /// `message.model` (`unknown` when absent).
    pub model: String,
    /// The usage.
    pub tokens: Tokens,
}

#[derive(Deserialize)]
struct RawLine<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(rename = "sessionId", borrow, default)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    message: Option<RawMessage<'a>>,
    /// Older versions: a subagent's response repeated inside a `progress` line.
    #[serde(borrow, default)]
    data: Option<RawData<'a>>,
}

#[derive(Deserialize)]
struct RawData<'a> {
    #[serde(borrow, default)]
    message: Option<RawInner<'a>>,
}

#[derive(Deserialize)]
struct RawInner<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    message: Option<RawMessage<'a>>,
}

#[derive(Deserialize)]
struct RawMessage<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    model: Option<Cow<'a, str>>,
    #[serde(default)]
    usage: Option<Tokens>,
}

/// The model name Claude Code gives its own error lines; not an API response.
pub const SYNTHETIC_MODEL: &str = "<synthetic>";

static USAGE_MARKER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"usage\""));

/// The usage `line` reports, if any. Never fails: malformed or foreign lines give `None`.
pub fn parse(line: &[u8]) -> Option<UsageLine> {
    USAGE_MARKER.find(line)?;
    let raw: RawLine<'_> = serde_json::from_slice(line).ok()?;
    let (kind, timestamp, session_id, message) = match raw.message {
        Some(m) if m.usage.is_some() => (raw.kind, raw.timestamp, raw.session_id, m),
        _ => {
            let inner = raw.data?.message?;
            (inner.kind, inner.timestamp, raw.session_id, inner.message?)
        }
    };
    if kind.as_deref().is_some_and(|k| k != "assistant") {
        return None;
    }
    let tokens = message.usage?;
    let model = message.model.as_deref().unwrap_or("unknown");
    if model == SYNTHETIC_MODEL || model.is_empty() {
        return None;
    }
    let ts_ms = super::time::parse_rfc3339_ms(timestamp.as_deref()?)?;
    Some(UsageLine {
        message_id: message.id.filter(|id| !id.is_empty()).map(Cow::into_owned),
        ts_ms,
        session_id: session_id.filter(|s| !s.is_empty()).map(Cow::into_owned),
        model: model.to_string(),
        tokens,
    })
}
