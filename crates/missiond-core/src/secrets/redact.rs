//! Scrubbing known secret values out of text and byte streams.
//!
//! Each secret is looked for as written and, when different, as it appears inside a JSON
//! string (quotes and backslashes escaped), since database rows and logs hold JSON.
//! A secret that reaches the output in another form (split by terminal escape sequences
//! when Claude Code wraps a long line, base64-encoded, ...) is not recognised.
//!
//! Every non-empty secret is scrubbed, however short: a one-letter secret makes logs hard
//! to read, but a readable log with the secret in it is worse.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, MatchKind};

use super::{REDACTED, SecretString};

/// Replaces known secrets by [`REDACTED`]. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// `None` when there is nothing to scrub.
    matcher: Option<AhoCorasick>,
    /// Length in bytes of the longest pattern.
    max_len: usize,
}

/// The matcher could not be built (only for absurd numbers or sizes of secrets).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the secret scrubber: {0}")]
pub struct RedactorError(#[from] aho_corasick::BuildError);

impl Redactor {
    /// A redactor for these secrets.
    pub fn new<'a>(
        secrets: impl IntoIterator<Item = &'a SecretString>,
    ) -> Result<Self, RedactorError> {
        let mut patterns: Vec<String> = Vec::new();
        for secret in secrets {
            let raw = secret.expose();
            if raw.is_empty() {
                continue;
            }
            patterns.push(raw.to_string());
            let json = json_escaped(raw);
            if json != raw {
                patterns.push(json);
            }
        }
        patterns.sort();
        patterns.dedup();
        let Some(max_len) = patterns.iter().map(String::len).max() else {
            return Ok(Redactor::default());
        };
        // Leftmost-longest: when one secret contains another, the whole one goes.
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)?;
        Ok(Redactor {
            matcher: Some(matcher),
            max_len,
        })
    }

    /// Whether there is nothing to scrub.
    pub fn is_empty(&self) -> bool {
        self.matcher.is_none()
    }

    /// Length in bytes of the longest secret form looked for.
    pub fn max_secret_len(&self) -> usize {
        self.max_len
    }

    /// `text` with every secret replaced (borrowed when there was none).
    pub fn redact_str<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match &self.matcher {
            Some(m) if m.is_match(text) => {
                let replacements = vec![REDACTED; m.patterns_len()];
                Cow::Owned(m.replace_all(text, &replacements))
            }
            _ => Cow::Borrowed(text),
        }
    }

    /// `bytes` with every secret replaced (borrowed when there was none).
    pub fn redact_bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        match &self.matcher {
            Some(m) if m.is_match(bytes) => {
                let mut out = Vec::with_capacity(bytes.len());
                let mut pos = 0;
                for found in m.find_iter(bytes) {
                    out.extend_from_slice(&bytes[pos..found.start()]);
                    out.extend_from_slice(REDACTED.as_bytes());
                    pos = found.end();
                }
                out.extend_from_slice(&bytes[pos..]);
                Cow::Owned(out)
            }
            _ => Cow::Borrowed(bytes),
        }
    }

    /// A scrubber for bytes arriving in chunks (a PTY log).
    pub fn stream(&self) -> RedactingStream {
        RedactingStream {
            redactor: self.clone(),
            carry: Vec::new(),
        }
    }
}

/// Scrubs a byte stream that arrives in chunks, including secrets split across chunks.
///
/// Latency: up to `max_secret_len - 1` bytes of each chunk's end are held back until the
/// next chunk shows whether they start a secret, so the scrubbed output lags the input by
/// at most that many bytes (a few dozen for typical tokens). [`RedactingStream::finish`]
/// releases them at the end; releasing them earlier could let a secret's first bytes out.
#[derive(Debug, Clone)]
pub struct RedactingStream {
    redactor: Redactor,
    carry: Vec<u8>,
}

impl RedactingStream {
    /// Takes the next chunk; returns the scrubbed bytes that are safe to write now.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        let Some(matcher) = &self.redactor.matcher else {
            return chunk.to_vec();
        };
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(chunk);
        // A match starting before `safe_end` is decided: even the longest secret starting
        // there would fit in `buf`. Anything later may still grow into a secret.
        let safe_end = buf.len().saturating_sub(self.redactor.max_len - 1);
        let mut out = Vec::with_capacity(buf.len());
        let mut pos = 0;
        for found in matcher.find_iter(&buf) {
            if found.start() >= safe_end {
                break;
            }
            out.extend_from_slice(&buf[pos..found.start()]);
            out.extend_from_slice(REDACTED.as_bytes());
            pos = found.end();
        }
        let cut = pos.max(safe_end);
        out.extend_from_slice(&buf[pos..cut]);
        self.carry = buf.split_off(cut);
        out
    }

    /// Bytes held back so far.
    pub fn held_back(&self) -> usize {
        self.carry.len()
    }

    /// The end of the stream: returns the held-back bytes, scrubbed.
    pub fn finish(&mut self) -> Vec<u8> {
        let carry = std::mem::take(&mut self.carry);
        self.redactor.redact_bytes(&carry).into_owned()
    }
}

/// `s` as it appears between the quotes of a JSON string.
fn json_escaped(s: &str) -> String {
    let quoted = serde_json::Value::String(s.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_string()
}
