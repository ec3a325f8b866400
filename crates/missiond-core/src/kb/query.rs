//! Free text to a safe FTS5 query.
//!
//! FTS5 has its own query language (`AND`, `OR`, `NOT`, `NEAR(...)`, `*`, `^`, column
//! filters, parentheses, quotes), and a stray `"` or `(` in a user's text is a syntax
//! error. So nothing the user types reaches FTS5 as syntax: the text is cut at
//! whitespace and control characters, each word becomes a quoted string (inner `"`
//! doubled) that FTS5 hands to its tokenizer, and a `*` after the closing quote makes
//! the word's last token a prefix (`deploy` finds `deployment`). Words without a letter
//! or digit are dropped, since the tokenizer would make nothing of them: a query of
//! punctuation alone searches nothing.

use super::validate::InvalidField;
use super::{QUERY_MAX_CHARS, QUERY_MAX_TERMS};

/// A query ready for `MATCH`, and the words it searches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtsQuery {
    /// The FTS5 expression (`"deploy"* "server"*`).
    pub expression: String,
    /// The words kept from the user's text, in order.
    pub terms: Vec<String>,
}

impl FtsQuery {
    /// Whether nothing searchable was left (the search then finds nothing).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// How the words combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Combine {
    /// Every word must appear (the default).
    #[default]
    All,
    /// Any word may appear; entries with more of them rank higher.
    Any,
}

/// Builds the FTS5 query for `text`; fails only on text too long or with too many
/// words, never on its content.
pub fn build(text: &str, combine: Combine) -> Result<FtsQuery, InvalidField> {
    let chars = text.chars().count();
    if chars > QUERY_MAX_CHARS {
        return Err(InvalidField::new(
            "query",
            format!("is {chars} characters, at most {QUERY_MAX_CHARS} are allowed"),
        ));
    }
    // Control characters split words too: SQLite reads a NUL as the end of the
    // query string, which would cut off a closing quote.
    let terms: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .map(str::to_string)
        .collect();
    if terms.len() > QUERY_MAX_TERMS {
        return Err(InvalidField::new(
            "query",
            format!(
                "has {} words, at most {QUERY_MAX_TERMS} are searched: keep the distinctive ones",
                terms.len()
            ),
        ));
    }
    let joiner = match combine {
        Combine::All => " ",
        Combine::Any => " OR ",
    };
    let expression = terms
        .iter()
        .map(|t| format!("\"{}\"*", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(joiner);
    Ok(FtsQuery { expression, terms })
}
