//! Tools of the knowledge base: remember, forget, search, get, list, import, gc.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Annotations, Tool, ToolDef};
use crate::kb::{self, Entry, GcReason, GcRemoved, InvalidField, NewEntry, Upsert, validate};
use crate::time::rfc3339_ms;

/// `mission_kb_remember`.
pub struct KbRemember;
/// `mission_kb_forget`.
pub struct KbForget;
/// `mission_kb_search`.
pub struct KbSearch;
/// `mission_kb_get`.
pub struct KbGet;
/// `mission_kb_list`.
pub struct KbList;
/// `mission_kb_import`.
pub struct KbImport;
/// `mission_kb_gc`.
pub struct KbGc;

// Writes to the daemon's own database, nothing outside it.
const WRITES: Annotations = Annotations {
    read_only_hint: false,
    destructive_hint: false,
    idempotent_hint: true,
    open_world_hint: false,
};
const DELETES: Annotations = Annotations {
    read_only_hint: false,
    destructive_hint: true,
    idempotent_hint: false,
    open_world_hint: false,
};

/// This area's tools, in display order.
pub(super) fn defs() -> Vec<ToolDef> {
    vec![
        ToolDef::of::<KbRemember>(),
        ToolDef::of::<KbSearch>(),
        ToolDef::of::<KbGet>(),
        ToolDef::of::<KbList>(),
        ToolDef::of::<KbForget>(),
        ToolDef::of::<KbImport>(),
        ToolDef::of::<KbGc>(),
    ]
}

/// An entry to store (the arguments of `mission_kb_remember`, one item of an import).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KbEntryInput {
    /// A stable name (`build/app`, `server/db-primary`), at most 200 characters.
    /// Remembering a key that exists updates that entry instead of adding another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// A short title, at most 200 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The fact itself (markdown welcome), at most 64 KiB.
    pub content: String,
    /// Category slug, tiers joined by `/`: project, infra, infra/db, decision, howto ...
    /// (letters, digits, `-`, `_`; default `general`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Tags (at most 20, each at most 50 characters; stored lower-case).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Who stores it: a slot id, `orchestrator`, a person's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Expire after this many days (fractions allowed); mission_kb_gc removes expired
    /// entries, and search and list hide them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 36500))]
    pub ttl_days: Option<f64>,
    /// Expire at this time (RFC 3339, or a date meaning midnight UTC); instead of ttlDays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// How much it matters: core, important, normal (default) or low. Injected
    /// knowledge ranks higher tiers first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// The conversation (Claude Code session id) it was learned from, e.g. the
    /// `conversation` of a mission_memory_pending item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub conversation: Option<String>,
}

impl KbEntryInput {
    /// The entry to store, checked; `now` (Unix ms) anchors ttlDays.
    pub fn validate(&self, now: i64) -> Result<NewEntry, InvalidField> {
        validate::entry(
            &validate::RawEntry {
                key: self.key.as_deref(),
                title: self.title.as_deref(),
                content: &self.content,
                category: self.category.as_deref(),
                tags: &self.tags,
                source: self.source.as_deref(),
                ttl_days: self.ttl_days,
                expires_at: self.expires_at.as_deref(),
            },
            now,
        )
    }
}

/// A whole entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KbEntry {
    /// Its id.
    pub id: i64,
    /// Its stable name.
    pub key: Option<String>,
    /// Its title.
    pub title: Option<String>,
    /// The content.
    pub content: String,
    /// Its category.
    pub category: String,
    /// Its tags.
    pub tags: Vec<String>,
    /// Who stored it.
    pub source: Option<String>,
    /// When it was first stored.
    pub created_at: String,
    /// When it was last stored.
    pub updated_at: String,
    /// When it expires, if ever.
    pub expires_at: Option<String>,
    /// Whether it has expired (GC will remove it).
    pub expired: bool,
    /// How many times mission_kb_get fetched it (this call included).
    pub hits: u64,
    /// When mission_kb_get last fetched it.
    pub last_accessed_at: Option<String>,
}

impl KbEntry {
    /// The wire form of `e` at `now` (Unix ms).
    pub fn from_entry(e: Entry, now: i64) -> Self {
        KbEntry {
            expired: e.is_expired(now),
            id: e.id,
            key: e.key,
            title: e.title,
            content: e.content,
            category: e.category,
            tags: e.tags,
            source: e.source,
            created_at: rfc3339_ms(e.created_at),
            updated_at: rfc3339_ms(e.updated_at),
            expires_at: e.expires_at.map(rfc3339_ms),
            hits: e.hits,
            last_accessed_at: e.last_accessed_at.map(rfc3339_ms),
        }
    }
}

/// An entry without its full content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KbEntrySummary {
    /// Its id.
    pub id: i64,
    /// Its stable name.
    pub key: Option<String>,
    /// Its title.
    pub title: Option<String>,
    /// Its category.
    pub category: String,
    /// Its tags.
    pub tags: Vec<String>,
    /// Who stored it.
    pub source: Option<String>,
    /// When it was last stored.
    pub updated_at: String,
    /// When it expires, if ever.
    pub expires_at: Option<String>,
    /// Whether it has expired.
    pub expired: bool,
    /// How many times it was fetched.
    pub hits: u64,
    /// The first 200 characters of the content (mission_kb_get gives all of it).
    pub preview: String,
}

impl KbEntrySummary {
    /// The summary of `e` at `now` (Unix ms).
    pub fn from_entry(e: &Entry, now: i64) -> Self {
        KbEntrySummary {
            id: e.id,
            key: e.key.clone(),
            title: e.title.clone(),
            category: e.category.clone(),
            tags: e.tags.clone(),
            source: e.source.clone(),
            updated_at: rfc3339_ms(e.updated_at),
            expires_at: e.expires_at.map(rfc3339_ms),
            expired: e.is_expired(now),
            hits: e.hits,
            preview: e.preview(),
        }
    }
}

/// Whether a remember made a new entry or updated one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KbAction {
    /// A new entry.
    Created,
    /// The entry with this key was updated.
    Updated,
}

impl From<Upsert> for KbAction {
    fn from(u: Upsert) -> Self {
        match u {
            Upsert::Created => KbAction::Created,
            Upsert::Updated => KbAction::Updated,
        }
    }
}

/// Result of `mission_kb_remember`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct KbRememberResult {
    /// The entry as stored.
    pub entry: KbEntry,
    /// created, or updated (an entry with this key existed).
    pub action: KbAction,
}

impl Tool for KbRemember {
    const NAME: &'static str = "mission_kb_remember";
    const TITLE: &'static str = "Remember a fact in the knowledge base";
    const DESCRIPTION: &'static str = "Store a fact worth keeping for later sessions and \
        other agents: how to build or test a repo, where a server lives, a decision and \
        its reason. Give content, and a key (a stable name such as `build/app`) when the \
        fact may change: remembering the same key again replaces that entry's title, \
        content, category, tags, source and expiry (id, createdAt and hits stay) instead \
        of adding a duplicate. category is a slug with optional tiers (infra/db). \
        ttlDays or expiresAt make it expire. tier (core, important, normal, low) ranks \
        it in the knowledge put in front of agents; conversation names the session it \
        was learned from. Returns the entry and action created or updated. Fails with invalid_params naming the field for empty content, content \
        over 64 KiB, a title or key over 200 characters, more than 20 tags, or a bad \
        category, tier or date.";
    const ANNOTATIONS: Annotations = WRITES;
    type Params = KbEntryInput;
    type Output = KbRememberResult;
}

/// Names one entry: its id or its key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KbRefParams {
    /// The entry's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// The entry's key (instead of id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl KbRefParams {
    /// The entry named, checked.
    pub fn entry_ref(&self) -> Result<kb::EntryRef, InvalidField> {
        validate::entry_ref(self.id, self.key.as_deref())
    }
}

/// Result of `mission_kb_get`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct KbGetResult {
    /// The entry.
    pub entry: KbEntry,
}

impl Tool for KbGet {
    const NAME: &'static str = "mission_kb_get";
    const TITLE: &'static str = "Read one knowledge entry";
    const DESCRIPTION: &'static str = "Fetch one knowledge entry, full content included, \
        by id or key (give one). Search and list show only snippets and previews: call \
        this for the whole text. Each call counts as a use (hits, lastAccessedAt), which \
        keeps the entry from being collected as stale by mission_kb_gc. Expired entries \
        not yet collected are returned with expired true. Fails with invalid_params \
        naming id or key when no entry has it.";
    const ANNOTATIONS: Annotations = Annotations {
        read_only_hint: false,
        destructive_hint: false,
        idempotent_hint: false,
        open_world_hint: false,
    };
    type Params = KbRefParams;
    type Output = KbGetResult;
}

/// Result of `mission_kb_forget`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct KbForgetResult {
    /// The entry that was deleted.
    pub forgotten: KbEntrySummary,
}

impl Tool for KbForget {
    const NAME: &'static str = "mission_kb_forget";
    const TITLE: &'static str = "Delete a knowledge entry";
    const DESCRIPTION: &'static str = "Delete one knowledge entry, by id or key (give \
        one), when it is wrong or no longer true; to correct it instead, remember the \
        same key again. Returns a summary of what was deleted. Fails with invalid_params \
        naming id or key when no entry has it (so a second forget of the same entry \
        fails).";
    const ANNOTATIONS: Annotations = DELETES;
    type Params = KbRefParams;
    type Output = KbForgetResult;
}

/// How the words of a search combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KbMatch {
    /// Every word must appear (default).
    #[default]
    All,
    /// Any word may appear; more matching words rank higher.
    Any,
}

/// Arguments of `mission_kb_search`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KbSearchParams {
    /// Plain words to look for in keys, titles, contents and tags (at most 1000
    /// characters). Each word also matches as a prefix (deploy finds deployment);
    /// punctuation and operators such as AND, OR, NEAR or * are searched as plain text.
    pub query: String,
    /// all (default): every word must appear; any: at least one.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "match")]
    pub match_mode: Option<KbMatch>,
    /// Only this category and its sub-tiers (infra also finds infra/db).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Only entries with this tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Only entries stored by this source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Also return expired entries not yet collected (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_expired: Option<bool>,
    /// At most this many results (default 10, at most 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct KbSearchHit {
    /// The entry, without its full content.
    #[serde(flatten)]
    pub entry: KbEntrySummary,
    /// A short extract of the content, matches between `**`.
    pub snippet: String,
    /// Relevance (bm25; higher is better, comparable within one search only).
    pub score: f64,
}

/// Result of `mission_kb_search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct KbSearchResult {
    /// The words searched for, as taken from the query (words without a letter or
    /// digit are dropped).
    pub terms: Vec<String>,
    /// The matches, best first.
    pub results: Vec<KbSearchHit>,
}

impl Tool for KbSearch {
    const NAME: &'static str = "mission_kb_search";
    const TITLE: &'static str = "Search the knowledge base";
    const DESCRIPTION: &'static str = "Full-text search of the knowledge base (keys, \
        titles, contents, tags) before working something out again: build commands, \
        servers, past decisions. Type plain words; every word must appear unless match \
        is any, and each also matches as a prefix. Any text is safe, quotes and \
        operators included: it is searched literally, and a query of punctuation alone \
        finds nothing. Filter by category (with its sub-tiers), tag or source. Results \
        come best first (bm25, title and key weigh most) with a snippet that marks \
        matches with **; call mission_kb_get for an entry's full content. Expired \
        entries are left out unless includeExpired.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = KbSearchParams;
    type Output = KbSearchResult;
}

/// Arguments of `mission_kb_list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KbListParams {
    /// Only this category and its sub-tiers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Only entries with this tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Only entries stored by this source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Also list expired entries not yet collected (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_expired: Option<bool>,
    /// Only entries with a greater id, i.e. created after that one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_id: Option<i64>,
    /// Skip this many entries (for the next page, pass nextOffset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u32>,
    /// At most this many (default 50, at most 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 500))]
    pub limit: Option<u32>,
}

/// Result of `mission_kb_list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KbListResult {
    /// The entries, most recently updated first.
    pub entries: Vec<KbEntrySummary>,
    /// How many entries match the filters in all, whatever the page.
    pub total: u64,
    /// The offset of the next page, absent on the last page.
    pub next_offset: Option<u32>,
}

impl Tool for KbList {
    const NAME: &'static str = "mission_kb_list";
    const TITLE: &'static str = "List knowledge entries";
    const DESCRIPTION: &'static str = "List knowledge entries, most recently updated \
        first, optionally only one category (with its sub-tiers), tag or source, or \
        only those created after sinceId. Each comes with a preview of its content; \
        call mission_kb_get for the whole text. Returns total (all matches) and \
        nextOffset for the next page. Use mission_kb_search to look for words.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = KbListParams;
    type Output = KbListResult;
}

/// Arguments of `mission_kb_import`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KbImportParams {
    /// 1 to 1000 entries, each as for mission_kb_remember. A key may appear once.
    #[schemars(length(min = 1, max = 1000))]
    pub entries: Vec<KbEntryInput>,
}

/// Result of `mission_kb_import`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KbImportResult {
    /// New entries.
    pub created: u64,
    /// Entries whose key existed, updated.
    pub updated: u64,
    /// The entries' ids, in the order given.
    pub ids: Vec<i64>,
}

impl Tool for KbImport {
    const NAME: &'static str = "mission_kb_import";
    const TITLE: &'static str = "Import many knowledge entries";
    const DESCRIPTION: &'static str = "Store up to 1000 entries at once, each as for \
        mission_kb_remember (an existing key is updated). All or nothing: if any entry \
        is invalid, nothing is stored and the invalid_params error names the first bad \
        one (entries[3].content). A key may appear only once per import. Returns how \
        many were created and updated, and the ids in order.";
    const ANNOTATIONS: Annotations = WRITES;
    type Params = KbImportParams;
    type Output = KbImportResult;
}

/// Arguments of `mission_kb_gc`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KbGcParams {
    /// Also remove entries neither updated nor fetched (mission_kb_get) for more than
    /// this many days. Without it only expired entries go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 36500))]
    pub max_age_days: Option<f64>,
    /// Apply the age rule only to this category and its sub-tiers (expired entries go
    /// whatever their category).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Only report what would go (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
}

/// Why an entry went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KbGcReason {
    /// Its expiry passed.
    Expired,
    /// Neither updated nor fetched for longer than maxAgeDays.
    Stale,
}

/// An entry removed (or that would be).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KbGcItem {
    /// Its id.
    pub id: i64,
    /// Its key.
    pub key: Option<String>,
    /// Its title.
    pub title: Option<String>,
    /// Its category.
    pub category: String,
    /// expired or stale.
    pub reason: KbGcReason,
}

impl From<GcRemoved> for KbGcItem {
    fn from(r: GcRemoved) -> Self {
        KbGcItem {
            id: r.id,
            key: r.key,
            title: r.title,
            category: r.category,
            reason: match r.reason {
                GcReason::Expired => KbGcReason::Expired,
                GcReason::Stale => KbGcReason::Stale,
            },
        }
    }
}

/// Result of `mission_kb_gc`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KbGcResult {
    /// True when nothing was deleted (dryRun).
    pub dry_run: bool,
    /// How many expired entries went (or would).
    pub expired: u64,
    /// How many stale entries went (or would).
    pub stale: u64,
    /// The entries, expired first (at most 500 listed; the counts are complete).
    pub removed: Vec<KbGcItem>,
}

impl Tool for KbGc {
    const NAME: &'static str = "mission_kb_gc";
    const TITLE: &'static str = "Clean out the knowledge base";
    const DESCRIPTION: &'static str = "Garbage-collect the knowledge base: delete entries \
        whose expiry passed and, with maxAgeDays, entries neither updated nor fetched \
        with mission_kb_get for that long (optionally only in one category). dryRun \
        true lists what would go without deleting. Returns the counts and the entries \
        removed.";
    const ANNOTATIONS: Annotations = DELETES;
    type Params = KbGcParams;
    type Output = KbGcResult;
}
