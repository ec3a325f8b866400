//! Scrubbing known secret values and well-known key shapes out of text and byte streams.
//!
//! Each secret is looked for as written and, when different, as it appears inside a JSON
//! string (quotes and backslashes escaped), since database rows and logs hold JSON. Key
//! shapes (see [`super::shapes`]) are regular expressions.
//!
//! Matching runs on the text a terminal would show (see [`super::visible`]): a secret
//! interleaved with colour changes or moves along the row (`s\e[0me\e[0mc…`) is found,
//! and the whole raw span, escapes included, is replaced. Text on another row (a line
//! break, or a cursor move to another line) separates; the rendered screen is scrubbed
//! separately (see [`super::rendered`]), where wrapped rows are joined.
//!
//! Every non-empty secret is scrubbed, however short: a one-letter secret makes logs hard
//! to read, but a readable log with the secret in it is worse.

use std::borrow::Cow;
use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind};

use super::shapes::Shape;
use super::visible::{self, Visible};
use super::{REDACTED, SecretString};

/// Visible bytes a stream keeps of what it let out, to match key shapes across chunks.
const CONTEXT: usize = 256;

/// Most bytes a stream holds back; past it the held bytes go out (scrubbed as they are).
const MAX_CARRY: usize = 64 * 1024;

/// Replaces known secrets and key shapes by [`REDACTED`]. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// `None` when there is no secret value to scrub.
    matcher: Option<AhoCorasick>,
    /// The literal forms looked for (for the prefix test of streams).
    literals: std::sync::Arc<Vec<Vec<u8>>>,
    /// Length in bytes of the longest literal.
    max_len: usize,
    /// Key shapes.
    shapes: std::sync::Arc<Vec<Shape>>,
}

/// The matcher could not be built (only for absurd numbers or sizes of secrets).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the secret scrubber: {0}")]
pub struct RedactorError(#[from] aho_corasick::BuildError);

impl Redactor {
    /// A redactor for these secrets (no key shapes).
    pub fn new<'a>(
        secrets: impl IntoIterator<Item = &'a SecretString>,
    ) -> Result<Self, RedactorError> {
        Self::with_shapes(secrets, Vec::new())
    }

    /// A redactor for these secrets and key shapes.
    pub fn with_shapes<'a>(
        secrets: impl IntoIterator<Item = &'a SecretString>,
        shapes: Vec<Shape>,
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
        let shapes = std::sync::Arc::new(shapes);
        let Some(max_len) = patterns.iter().map(String::len).max() else {
            return Ok(Redactor {
                shapes,
                ..Redactor::default()
            });
        };
        // Leftmost-longest: when one secret contains another, the whole one goes.
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)?;
        Ok(Redactor {
            matcher: Some(matcher),
            literals: std::sync::Arc::new(patterns.into_iter().map(String::into_bytes).collect()),
            max_len,
            shapes,
        })
    }

    /// Whether there is nothing to scrub (no secret, no shape).
    pub fn is_empty(&self) -> bool {
        self.matcher.is_none() && self.shapes.is_empty()
    }

    /// Length in bytes of the longest secret form looked for.
    pub fn max_secret_len(&self) -> usize {
        self.max_len
    }

    /// The key shapes looked for.
    pub fn shapes(&self) -> &[Shape] {
        &self.shapes
    }

    /// The byte ranges of `hay` to redact: secrets and shapes, sorted, overlaps merged.
    pub fn find(&self, hay: &[u8]) -> Vec<Range<usize>> {
        let mut found: Vec<Range<usize>> = Vec::new();
        if let Some(m) = &self.matcher {
            found.extend(m.find_iter(hay).map(|m| m.range()));
        }
        for shape in self.shapes.iter() {
            shape.find(hay, &mut found);
        }
        merge(found)
    }

    /// `text` with every secret replaced (borrowed when there was none).
    pub fn redact_str<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.redact_bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            Cow::Owned(bytes) => Cow::Owned(match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            }),
        }
    }

    /// `bytes` with every secret replaced (borrowed when there was none), matched on the
    /// visible text, escape sequences in between included in the replaced span.
    pub fn redact_bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        if self.is_empty() {
            return Cow::Borrowed(bytes);
        }
        if !visible::has_controls(bytes) {
            let found = self.find(bytes);
            if found.is_empty() {
                return Cow::Borrowed(bytes);
            }
            return Cow::Owned(replace(bytes, found.into_iter()));
        }
        let v = visible::project(bytes);
        let found = self.find(&v.text);
        if found.is_empty() {
            return Cow::Borrowed(bytes);
        }
        Cow::Owned(replace(bytes, found.iter().map(|r| raw_span(&v, r))))
    }

    /// A scrubber for bytes arriving in chunks (a PTY log, the live view).
    pub fn stream(&self) -> RedactingStream {
        RedactingStream {
            redactor: self.clone(),
            carry: Vec::new(),
            context: Vec::new(),
        }
    }

    /// The ranges of `text` to redact in a stream, where `context` is the visible text
    /// let out just before it: shapes are matched across the two (a match that began in
    /// the context is redacted from the start of `text`); secrets only in `text` (their
    /// start is never let out, see [`Self::hold_from`]).
    fn find_after(&self, context: &[u8], text: &[u8]) -> Vec<Range<usize>> {
        let mut found: Vec<Range<usize>> = Vec::new();
        if let Some(m) = &self.matcher {
            found.extend(m.find_iter(text).map(|m| m.range()));
        }
        if !self.shapes.is_empty() {
            let off = context.len();
            let mut joined = context.to_vec();
            joined.extend_from_slice(text);
            let mut shaped = Vec::new();
            for shape in self.shapes.iter() {
                shape.find(&joined, &mut shaped);
            }
            found.extend(
                shaped
                    .into_iter()
                    .filter(|r| r.end > off)
                    .map(|r| r.start.max(off) - off..r.end - off),
            );
        }
        merge(found)
    }

    /// The first index of `text` from which it might still become a secret or a shape
    /// (`text.len()` when nothing needs to wait); `context` as in [`Self::find_after`].
    fn hold_from(&self, context: &[u8], text: &[u8]) -> usize {
        let mut hold = text.len();
        if self.max_len > 1 {
            let from = text.len().saturating_sub(self.max_len - 1);
            if let Some(s) = (from..text.len()).find(|&s| {
                let tail = &text[s..];
                self.literals
                    .iter()
                    .any(|l| l.len() > tail.len() && l.starts_with(tail))
            }) {
                hold = s;
            }
        }
        if !self.shapes.is_empty() {
            let off = context.len();
            let mut joined = context.to_vec();
            joined.extend_from_slice(text);
            let lower = joined.to_ascii_lowercase();
            for shape in self.shapes.iter() {
                if let Some(at) = shape.hold_from(&joined, &lower) {
                    hold = hold.min(at.saturating_sub(off));
                }
            }
        }
        hold
    }
}

/// The raw byte range behind visible range `r`.
fn raw_span(v: &Visible, r: &Range<usize>) -> Range<usize> {
    v.origin[r.start].0..v.origin[r.end - 1].1
}

/// `bytes` with each (sorted, disjoint) range replaced by the marker.
fn replace(bytes: &[u8], ranges: impl Iterator<Item = Range<usize>>) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut pos = 0;
    for r in ranges {
        if r.start < pos {
            continue;
        }
        out.extend_from_slice(&bytes[pos..r.start]);
        out.extend_from_slice(REDACTED.as_bytes());
        pos = r.end;
    }
    out.extend_from_slice(&bytes[pos..]);
    out
}

/// Sorted, with overlapping ranges merged (touching ones stay apart: two secrets in a
/// row read as two markers).
fn merge(mut found: Vec<Range<usize>>) -> Vec<Range<usize>> {
    found.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut out: Vec<Range<usize>> = Vec::with_capacity(found.len());
    for r in found {
        match out.last_mut() {
            Some(last) if r.start < last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// Scrubs a byte stream that arrives in chunks, including secrets split across chunks
/// or interleaved with escape sequences.
///
/// Latency: only what may still become a secret is held back: a tail that is the start
/// of a known secret, a key shape whose match is still growing (from its prefix, such as
/// `ghp_`, at the start of a word), an unfinished escape sequence. Ordinary output and
/// typing pass at once. A key's public prefix cut off at a chunk's end (`gh`) goes out;
/// the rest is redacted when it comes. [`RedactingStream::finish`]
/// releases the rest at the end; releasing it earlier could let a secret's first bytes
/// out.
#[derive(Debug, Clone)]
pub struct RedactingStream {
    redactor: Redactor,
    carry: Vec<u8>,
    /// The last visible bytes let out (as they were, before redaction), so a key whose
    /// first letters went out is still recognised when the rest comes.
    context: Vec<u8>,
}

impl RedactingStream {
    /// Scrub with `redactor` from now on (secrets learnt since the stream began).
    pub fn set_redactor(&mut self, redactor: Redactor) {
        self.redactor = redactor;
    }

    /// Takes the next chunk; returns the scrubbed bytes that are safe to write now.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        if self.redactor.is_empty() && self.carry.is_empty() {
            return chunk.to_vec();
        }
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(chunk);
        let v = visible::project(&buf);
        let found = self.redactor.find_after(&self.context, &v.text);
        let mut hold = self.redactor.hold_from(&self.context, &v.text);
        // A match reaching into the held part waits with it.
        while let Some(r) = found.iter().find(|r| r.start < hold && r.end > hold) {
            hold = r.start;
        }
        let mut cut = if hold < v.text.len() {
            v.origin[hold].0
        } else {
            buf.len()
        };
        if let Some(incomplete) = v.incomplete_from {
            cut = cut.min(incomplete);
        }
        if buf.len() - cut > MAX_CARRY {
            // Far too long to wait for: scrub what is there and let it go.
            cut = buf.len();
        }
        let decided = found
            .iter()
            .filter(|r| r.end <= hold || cut == buf.len())
            .map(|r| raw_span(&v, r))
            .filter(|r| r.end <= cut);
        let out = replace(&buf[..cut], decided);
        let shown = v.origin.partition_point(|o| o.1 <= cut);
        self.context.extend_from_slice(&v.text[..shown]);
        let excess = self.context.len().saturating_sub(CONTEXT);
        self.context.drain(..excess);
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
