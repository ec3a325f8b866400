//! Knowledge base: entries agents and people remember, searched with FTS5.
//!
//! An entry is a fact worth keeping (how to build a repo, where a server lives, a
//! decision and its reason): content, an optional stable `key` (remembering the same key
//! again updates the entry), a title, a tiered category (`infra`, `infra/db`), tags, who
//! stored it, and an optional expiry. Entries live in SQLite (see [`crate::store`]); an
//! FTS5 index over key, title, content and tags is kept in step by triggers.
//!
//! This module holds the domain types, the validation of what callers send
//! ([`validate`]), the turning of free text into a safe FTS5 query ([`query`]) and the
//! parsing of expiry times ([`expiry`]). The tools are in [`crate::catalogue`].

pub mod expiry;
pub mod query;
pub mod validate;

pub use query::FtsQuery;
pub use validate::InvalidField;

/// Most bytes of content in one entry (64 KiB).
pub const CONTENT_MAX_BYTES: usize = 64 * 1024;
/// Most characters in a title.
pub const TITLE_MAX_CHARS: usize = 200;
/// Most characters in a key.
pub const KEY_MAX_CHARS: usize = 200;
/// Most tags on one entry.
pub const TAGS_MAX: usize = 20;
/// Most characters in one tag.
pub const TAG_MAX_CHARS: usize = 50;
/// Most characters in a source.
pub const SOURCE_MAX_CHARS: usize = 100;
/// Most characters in a category (all tiers with their `/`).
pub const CATEGORY_MAX_CHARS: usize = 64;
/// Most tiers in a category (`infra/db/replicas`).
pub const CATEGORY_MAX_TIERS: usize = 3;
/// The category of an entry stored without one.
pub const DEFAULT_CATEGORY: &str = "general";
/// Most entries one import takes.
pub const IMPORT_MAX: usize = 1000;
/// Longest time to live, in days (100 years).
pub const TTL_DAYS_MAX: f64 = 36_500.0;
/// Most characters in a search query.
pub const QUERY_MAX_CHARS: usize = 1000;
/// Most words in a search query.
pub const QUERY_MAX_TERMS: usize = 32;
/// Default number of search results.
pub const SEARCH_LIMIT_DEFAULT: u32 = 10;
/// Largest number of search results.
pub const SEARCH_LIMIT_MAX: u32 = 100;
/// Default number of entries one list call returns.
pub const LIST_LIMIT_DEFAULT: u32 = 50;
/// Largest number of entries one list call returns.
pub const LIST_LIMIT_MAX: u32 = 500;
/// Most removed entries a GC report names one by one (the counts are always complete).
pub const GC_REPORT_MAX: usize = 500;
/// Characters of content shown as a preview in lists.
pub const PREVIEW_CHARS: usize = 200;
/// Milliseconds in a day.
pub const DAY_MS: f64 = 86_400_000.0;

/// A stored entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Its id (never reused).
    pub id: i64,
    /// Its stable name, if it has one.
    pub key: Option<String>,
    /// A short title.
    pub title: Option<String>,
    /// The fact itself.
    pub content: String,
    /// Its category (`infra/db`).
    pub category: String,
    /// Its tags, lowercase, without repeats.
    pub tags: Vec<String>,
    /// Who or what stored it.
    pub source: Option<String>,
    /// When it was first stored (Unix ms).
    pub created_at: i64,
    /// When it was last stored (Unix ms).
    pub updated_at: i64,
    /// When it expires (Unix ms), if ever.
    pub expires_at: Option<i64>,
    /// How many times it was fetched with `mission_kb_get`.
    pub hits: u64,
    /// When it was last fetched (Unix ms).
    pub last_accessed_at: Option<i64>,
}

impl Entry {
    /// Whether it has expired at `now`.
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }

    /// The first [`PREVIEW_CHARS`] characters of the content, with `…` when cut.
    pub fn preview(&self) -> String {
        let mut chars = self.content.chars();
        let head: String = chars.by_ref().take(PREVIEW_CHARS).collect();
        if chars.next().is_some() {
            format!("{head}…")
        } else {
            head
        }
    }
}

/// A validated entry to store (see [`validate`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    /// Stable name; an existing entry with this key is updated.
    pub key: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Content (not blank, at most [`CONTENT_MAX_BYTES`]).
    pub content: String,
    /// Category slug.
    pub category: String,
    /// Tags, lowercase, without repeats.
    pub tags: Vec<String>,
    /// Who or what stores it.
    pub source: Option<String>,
    /// Expiry (Unix ms).
    pub expires_at: Option<i64>,
}

/// Names one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryRef {
    /// By id.
    Id(i64),
    /// By key.
    Key(String),
}

impl std::fmt::Display for EntryRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntryRef::Id(id) => write!(f, "id {id}"),
            EntryRef::Key(key) => write!(f, "key `{key}`"),
        }
    }
}

/// Whether storing an entry made a new one or changed one with the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    /// A new entry.
    Created,
    /// The entry with the same key was replaced (id, createdAt and hits kept).
    Updated,
}

/// Filters shared by list and search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// This category and its sub-tiers (`infra` also matches `infra/db`).
    pub category: Option<String>,
    /// Entries carrying this tag.
    pub tag: Option<String>,
    /// Entries stored by this source.
    pub source: Option<String>,
    /// Keep expired entries (not yet collected) in the results.
    pub include_expired: bool,
}

/// What `mission_kb_list` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Which entries.
    pub filter: Filter,
    /// Only entries with a greater id (created after that one).
    pub since_id: Option<i64>,
    /// Entries to skip, most recently updated first.
    pub offset: u32,
    /// At most this many.
    pub limit: u32,
}

/// What `mission_kb_search` asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// The sanitised FTS5 query.
    pub fts: FtsQuery,
    /// Which entries.
    pub filter: Filter,
    /// At most this many results.
    pub limit: u32,
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The entry.
    pub entry: Entry,
    /// A short extract of the content with matches between `**`.
    pub snippet: String,
    /// Relevance (bm25, sign flipped: higher is better).
    pub score: f64,
}

/// Why GC removes an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GcReason {
    /// Its expiry passed.
    Expired,
    /// Neither stored nor fetched for longer than the age limit.
    Stale,
}

/// What GC removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcPolicy {
    /// Also remove entries neither updated nor fetched since this time (Unix ms).
    pub stale_before: Option<i64>,
    /// Limit the age rule to this category and its sub-tiers (expired entries go
    /// whatever their category).
    pub stale_category: Option<String>,
    /// Only report what would go.
    pub dry_run: bool,
}

/// One entry GC removed (or would remove).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcRemoved {
    /// Its id.
    pub id: i64,
    /// Its key.
    pub key: Option<String>,
    /// Its title.
    pub title: Option<String>,
    /// Its category.
    pub category: String,
    /// Why.
    pub reason: GcReason,
}

/// What GC did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Removed entries, at most [`GC_REPORT_MAX`], expired ones first.
    pub removed: Vec<GcRemoved>,
    /// How many expired entries went.
    pub expired: u64,
    /// How many stale entries went.
    pub stale: u64,
}

/// Counts of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// New entries.
    pub created: u64,
    /// Entries updated by key.
    pub updated: u64,
    /// The ids, in the order of the input.
    pub ids: Vec<i64>,
}

#[cfg(test)]
mod tests;
