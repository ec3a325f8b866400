//! Checks and normalises what callers send, naming the field at fault.

use super::{
    CATEGORY_MAX_CHARS, CATEGORY_MAX_TIERS, CONTENT_MAX_BYTES, DEFAULT_CATEGORY, EntryRef,
    KEY_MAX_CHARS, NewEntry, SOURCE_MAX_CHARS, TAG_MAX_CHARS, TAGS_MAX, TITLE_MAX_CHARS, expiry,
};

/// A value the caller sent that cannot be used: which field (camelCase, as on the wire)
/// and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}`: {reason}")]
pub struct InvalidField {
    /// The field (`content`, `tags[2]`, `entries[4].key`).
    pub field: String,
    /// What is wrong, in one sentence.
    pub reason: String,
}

impl InvalidField {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        InvalidField {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The same problem inside a list item (`entries[3].` + field).
    pub fn within(self, prefix: &str) -> Self {
        InvalidField {
            field: format!("{prefix}.{}", self.field),
            reason: self.reason,
        }
    }
}

/// The raw fields of an entry as a caller sends them.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawEntry<'a> {
    /// `key`.
    pub key: Option<&'a str>,
    /// `title`.
    pub title: Option<&'a str>,
    /// `content`.
    pub content: &'a str,
    /// `category`.
    pub category: Option<&'a str>,
    /// `tags`.
    pub tags: &'a [String],
    /// `source`.
    pub source: Option<&'a str>,
    /// `ttlDays`.
    pub ttl_days: Option<f64>,
    /// `expiresAt` (RFC 3339).
    pub expires_at: Option<&'a str>,
}

/// Checks every field of `raw` and returns the entry to store; `now` (Unix ms) anchors
/// `ttlDays`.
pub fn entry(raw: &RawEntry<'_>, now: i64) -> Result<NewEntry, InvalidField> {
    Ok(NewEntry {
        key: raw.key.map(key).transpose()?,
        title: raw
            .title
            .map(|t| short_text("title", t, TITLE_MAX_CHARS))
            .transpose()?,
        content: content(raw.content)?,
        category: match raw.category {
            Some(c) => category("category", c)?,
            None => DEFAULT_CATEGORY.to_string(),
        },
        tags: tags(raw.tags)?,
        source: raw.source.map(source).transpose()?,
        expires_at: expiry::resolve(raw.ttl_days, raw.expires_at, now)?,
    })
}

/// A key: trimmed, 1 to [`KEY_MAX_CHARS`] characters, no control characters.
pub fn key(value: &str) -> Result<String, InvalidField> {
    short_text("key", value, KEY_MAX_CHARS)
}

/// A source: trimmed, 1 to [`SOURCE_MAX_CHARS`] characters.
pub fn source(value: &str) -> Result<String, InvalidField> {
    short_text("source", value, SOURCE_MAX_CHARS)
}

/// Content: not blank, at most [`CONTENT_MAX_BYTES`] bytes of UTF-8; kept as sent.
pub fn content(value: &str) -> Result<String, InvalidField> {
    if value.trim().is_empty() {
        return Err(InvalidField::new("content", "must not be empty"));
    }
    if value.len() > CONTENT_MAX_BYTES {
        return Err(InvalidField::new(
            "content",
            format!(
                "is {} bytes, more than the {CONTENT_MAX_BYTES} allowed: split it into several entries",
                value.len()
            ),
        ));
    }
    Ok(value.to_string())
}

/// A category: lowercase tiers of `a-z`, `0-9`, `-`, `_` joined by `/` (`infra/db`),
/// at most [`CATEGORY_MAX_TIERS`] tiers and [`CATEGORY_MAX_CHARS`] characters. Upper
/// case is folded to lower case.
pub fn category(field: &str, value: &str) -> Result<String, InvalidField> {
    let slug = value.trim().to_lowercase();
    let bad = |why: String| InvalidField::new(field, why);
    if slug.is_empty() {
        return Err(bad("must not be empty".into()));
    }
    if slug.chars().count() > CATEGORY_MAX_CHARS {
        return Err(bad(format!(
            "is longer than {CATEGORY_MAX_CHARS} characters"
        )));
    }
    let tiers: Vec<&str> = slug.split('/').collect();
    if tiers.len() > CATEGORY_MAX_TIERS {
        return Err(bad(format!(
            "`{slug}` has {} tiers, at most {CATEGORY_MAX_TIERS} are allowed",
            tiers.len()
        )));
    }
    for tier in tiers {
        let ok_char =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
        let starts_well = tier
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !starts_well || !tier.chars().all(ok_char) {
            return Err(bad(format!(
                "`{slug}` is not a category slug: use letters a-z, digits, `-` and `_`, \
                 starting with a letter or digit, tiers joined by `/` (like `infra/db`)"
            )));
        }
    }
    Ok(slug)
}

/// A tag used as a filter: trimmed and lower-cased like stored tags.
pub fn tag(field: &str, value: &str) -> Result<String, InvalidField> {
    one_tag(field, value)
}

/// Tags: at most [`TAGS_MAX`], each 1 to [`TAG_MAX_CHARS`] characters, trimmed and
/// lower-cased; repeats are dropped, order kept.
pub fn tags(values: &[String]) -> Result<Vec<String>, InvalidField> {
    if values.len() > TAGS_MAX {
        return Err(InvalidField::new(
            "tags",
            format!(
                "{} tags given, at most {TAGS_MAX} are allowed",
                values.len()
            ),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for (i, value) in values.iter().enumerate() {
        let tag = one_tag(&format!("tags[{i}]"), value)?;
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Ok(out)
}

fn one_tag(field: &str, value: &str) -> Result<String, InvalidField> {
    short_text(field, value, TAG_MAX_CHARS).map(|t| t.to_lowercase())
}

/// One entry named by exactly one of `id` and `key`.
pub fn entry_ref(id: Option<i64>, key_value: Option<&str>) -> Result<EntryRef, InvalidField> {
    match (id, key_value) {
        (Some(id), None) => Ok(EntryRef::Id(id)),
        (None, Some(k)) => Ok(EntryRef::Key(key(k)?)),
        (Some(_), Some(_)) => Err(InvalidField::new("id", "give either id or key, not both")),
        (None, None) => Err(InvalidField::new(
            "id",
            "name the entry with id or key (mission_kb_search and mission_kb_list show them)",
        )),
    }
}

/// Trimmed text of 1 to `max` characters without control characters.
fn short_text(field: &str, value: &str, max: usize) -> Result<String, InvalidField> {
    let text = value.trim();
    if text.is_empty() {
        return Err(InvalidField::new(field, "must not be empty"));
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(InvalidField::new(
            field,
            format!("is {chars} characters, at most {max} are allowed"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(InvalidField::new(
            field,
            "must not contain control characters such as line breaks or tabs",
        ));
    }
    Ok(text.to_string())
}
