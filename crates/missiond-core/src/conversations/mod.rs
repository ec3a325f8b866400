//! Conversation logging: every message of the slots' Claude Code sessions, as recorded
//! in their transcripts, kept in SQLite and searchable.
//!
//! - [`parse`]: one transcript JSONL line to the messages it holds (pure).
//! - [`model`]: what is stored and what the tools return.
//! - [`query`]: safe FTS5 queries from free text, and timestamps from the wire.
//!
//! A transcript line may hold several content blocks; each block is one message, keyed
//! by the line's `uuid` and the block's index, so reading a line twice stores it once.
//! Assistant lines carry the API response's `usage`; Claude Code writes one line per
//! content block and repeats the response's usage on each, so token counts are kept
//! per API response (`message.id`), not per line.

pub mod model;
pub mod parse;
pub mod query;

pub use model::*;
pub use parse::{ParsedMessage, Skip, parse_line};
pub use query::{fts_query, parse_instant};

/// Most bytes of text kept per message; longer text is cut (at a character boundary)
/// and the message marked truncated.
pub const MAX_TEXT_BYTES: usize = 256 * 1024;
/// Most bytes of JSON payload kept per message; a larger payload is replaced by a note.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// `text` cut to at most `max` bytes at a character boundary; true when it was cut.
pub fn cap_text(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

#[cfg(test)]
mod tests;
