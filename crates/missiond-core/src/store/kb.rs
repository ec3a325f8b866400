//! Tables of the knowledge base (see [`crate::kb`]).
//!
//! `kb_entries` holds the entries (tags as a JSON array). Two things follow it by
//! triggers, so no code path can forget them: `kb_fts`, an FTS5 index over key, title,
//! content and tags that reads its text from `kb_entries` (external content), and
//! `kb_tags`, one row per tag for indexed tag filters. The update trigger fires only
//! when an indexed column changes, so counting a read does not touch the index.

use rusqlite::{Connection, OptionalExtension, Row, ToSql, params};

use super::{Store, StoreError, query_err};
use crate::kb::{
    Entry, EntryRef, Filter, GC_REPORT_MAX, GcPolicy, GcReason, GcRemoved, GcReport, ImportCounts,
    ListQuery, NewEntry, SearchHit, SearchQuery, Upsert,
};

/// The schema this area adds (one migration; see `migrations.rs`).
pub(super) const SCHEMA: &str = "
CREATE TABLE kb_entries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused after a forget
    key              TEXT UNIQUE,                        -- optional stable name
    title            TEXT,
    content          TEXT    NOT NULL CHECK (length(content) > 0),
    category         TEXT    NOT NULL,
    tags             TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array'),
    source           TEXT,
    created_at       INTEGER NOT NULL,                   -- Unix ms
    updated_at       INTEGER NOT NULL,
    expires_at       INTEGER,                            -- NULL: never
    hits             INTEGER NOT NULL DEFAULT 0,
    last_accessed_at INTEGER
) STRICT;
CREATE INDEX kb_entries_by_updated ON kb_entries(updated_at DESC, id DESC);
CREATE INDEX kb_entries_by_category ON kb_entries(category, updated_at DESC);
CREATE INDEX kb_entries_by_source ON kb_entries(source, updated_at DESC);
CREATE INDEX kb_entries_expiring ON kb_entries(expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE kb_tags (
    tag      TEXT    NOT NULL,
    entry_id INTEGER NOT NULL REFERENCES kb_entries(id) ON DELETE CASCADE,
    PRIMARY KEY (tag, entry_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX kb_tags_by_entry ON kb_tags(entry_id);
CREATE VIRTUAL TABLE kb_fts USING fts5(
    key, title, content, tags,
    content = 'kb_entries', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER kb_entries_ai AFTER INSERT ON kb_entries BEGIN
    INSERT INTO kb_fts(rowid, key, title, content, tags)
        VALUES (new.id, new.key, new.title, new.content, new.tags);
    INSERT OR IGNORE INTO kb_tags(tag, entry_id)
        SELECT value, new.id FROM json_each(new.tags);
END;
CREATE TRIGGER kb_entries_ad AFTER DELETE ON kb_entries BEGIN
    INSERT INTO kb_fts(kb_fts, rowid, key, title, content, tags)
        VALUES ('delete', old.id, old.key, old.title, old.content, old.tags);
END;
CREATE TRIGGER kb_entries_au AFTER UPDATE OF key, title, content, tags ON kb_entries BEGIN
    INSERT INTO kb_fts(kb_fts, rowid, key, title, content, tags)
        VALUES ('delete', old.id, old.key, old.title, old.content, old.tags);
    INSERT INTO kb_fts(rowid, key, title, content, tags)
        VALUES (new.id, new.key, new.title, new.content, new.tags);
    DELETE FROM kb_tags WHERE entry_id = old.id;
    INSERT OR IGNORE INTO kb_tags(tag, entry_id)
        SELECT value, new.id FROM json_each(new.tags);
END;
";

const COLUMNS: &str = "e.id, e.key, e.title, e.content, e.category, e.tags, e.source, \
     e.created_at, e.updated_at, e.expires_at, e.hits, e.last_accessed_at";

/// bm25 weights of the FTS columns (key, title, content, tags): a word in the title or
/// the key says more about an entry than the same word deep in its content.
const BM25: &str = "bm25(kb_fts, 3.0, 5.0, 1.0, 3.0)";

/// The filter clauses shared by list and search, on `kb_entries e`, with parameters
/// `:category`, `:tag`, `:source`, `:all` (include expired) and `:now`.
const FILTER: &str = "
    (:category IS NULL OR e.category = :category
        OR substr(e.category, 1, length(:category) + 1) = :category || '/')
    AND (:tag IS NULL OR EXISTS (SELECT 1 FROM kb_tags t WHERE t.tag = :tag AND t.entry_id = e.id))
    AND (:source IS NULL OR e.source = :source)
    AND (:all OR e.expires_at IS NULL OR e.expires_at > :now)";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Entry> {
    let tags: String = r.get(5)?;
    let hits: i64 = r.get(10)?;
    Ok(Entry {
        id: r.get(0)?,
        key: r.get(1)?,
        title: r.get(2)?,
        content: r.get(3)?,
        category: r.get(4)?,
        // The column is checked to be a JSON array; only this module writes it.
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        source: r.get(6)?,
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
        expires_at: r.get(9)?,
        hits: hits.unsigned_abs(),
        last_accessed_at: r.get(11)?,
    })
}

fn tags_json(tags: &[String]) -> String {
    serde_json::Value::from(tags.to_vec()).to_string()
}

/// Stores `e` on `conn` (inside the caller's transaction): updates the entry with the
/// same key, else inserts. Returns the id and which it was.
fn upsert(conn: &Connection, e: &NewEntry, now: i64) -> rusqlite::Result<(i64, Upsert)> {
    let existing: Option<i64> = match &e.key {
        Some(key) => conn
            .prepare_cached("SELECT id FROM kb_entries WHERE key = ?1")?
            .query_row(params![key], |r| r.get(0))
            .optional()?,
        None => None,
    };
    let tags = tags_json(&e.tags);
    match existing {
        Some(id) => {
            conn.prepare_cached(
                "UPDATE kb_entries SET title = ?2, content = ?3, category = ?4, tags = ?5,
                     source = ?6, expires_at = ?7, updated_at = ?8
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                e.title,
                e.content,
                e.category,
                tags,
                e.source,
                e.expires_at,
                now
            ])?;
            Ok((id, Upsert::Updated))
        }
        None => {
            conn.prepare_cached(
                "INSERT INTO kb_entries
                     (key, title, content, category, tags, source, created_at, updated_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
            )?
            .execute(params![
                e.key,
                e.title,
                e.content,
                e.category,
                tags,
                e.source,
                now,
                e.expires_at
            ])?;
            Ok((conn.last_insert_rowid(), Upsert::Created))
        }
    }
}

fn select_one(conn: &Connection, r: &EntryRef) -> rusqlite::Result<Option<Entry>> {
    let (clause, value): (&str, &dyn ToSql) = match r {
        EntryRef::Id(id) => ("e.id = ?1", id),
        EntryRef::Key(key) => ("e.key = ?1", key),
    };
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM kb_entries e WHERE {clause}"
    ))?
    .query_row([value], from_row)
    .optional()
}

fn filter_params<'a>(f: &'a Filter, now: &'a i64) -> [(&'static str, &'a dyn ToSql); 5] {
    [
        (":category", &f.category),
        (":tag", &f.tag),
        (":source", &f.source),
        (":all", &f.include_expired),
        (":now", now),
    ]
}

impl Store {
    /// Stores an entry, updating the one with the same key if there is one; returns it
    /// as stored and whether it was created or updated.
    pub fn kb_remember(&self, e: &NewEntry, now: i64) -> Result<(Entry, Upsert), StoreError> {
        const ACTION: &str = "remembering a knowledge entry";
        self.write(ACTION, |tx| {
            let (id, how) = upsert(tx, e, now).map_err(query_err(ACTION))?;
            let entry = select_one(tx, &EntryRef::Id(id))
                .map_err(query_err(ACTION))?
                .ok_or(StoreError::NotFound {
                    what: "knowledge entry",
                    id,
                })?;
            Ok((entry, how))
        })
    }

    /// Stores many entries in one transaction: all of them or, on a failure, none.
    pub fn kb_import(&self, entries: &[NewEntry], now: i64) -> Result<ImportCounts, StoreError> {
        const ACTION: &str = "importing knowledge entries";
        self.write(ACTION, |tx| {
            let mut counts = ImportCounts::default();
            for e in entries {
                let (id, how) = upsert(tx, e, now).map_err(query_err(ACTION))?;
                match how {
                    Upsert::Created => counts.created += 1,
                    Upsert::Updated => counts.updated += 1,
                }
                counts.ids.push(id);
            }
            Ok(counts)
        })
    }

    /// The entry named by `r`, counting the read (hits, lastAccessedAt) for GC; `None`
    /// when there is none.
    pub fn kb_get(&self, r: &EntryRef, now: i64) -> Result<Option<Entry>, StoreError> {
        const ACTION: &str = "reading a knowledge entry";
        self.write(ACTION, |tx| {
            let Some(mut entry) = select_one(tx, r).map_err(query_err(ACTION))? else {
                return Ok(None);
            };
            tx.prepare_cached(
                "UPDATE kb_entries SET hits = hits + 1, last_accessed_at = ?2 WHERE id = ?1",
            )
            .and_then(|mut s| s.execute(params![entry.id, now]))
            .map_err(query_err(ACTION))?;
            entry.hits += 1;
            entry.last_accessed_at = Some(now);
            Ok(Some(entry))
        })
    }

    /// The entry named by `r` without counting a read.
    pub fn kb_peek(&self, r: &EntryRef) -> Result<Option<Entry>, StoreError> {
        select_one(&self.conn(), r).map_err(query_err("reading a knowledge entry"))
    }

    /// Deletes the entry named by `r` (and its index rows); returns it, or `None` when
    /// there was none.
    pub fn kb_forget(&self, r: &EntryRef) -> Result<Option<Entry>, StoreError> {
        const ACTION: &str = "forgetting a knowledge entry";
        self.write(ACTION, |tx| {
            let Some(entry) = select_one(tx, r).map_err(query_err(ACTION))? else {
                return Ok(None);
            };
            tx.prepare_cached("DELETE FROM kb_entries WHERE id = ?1")
                .and_then(|mut s| s.execute(params![entry.id]))
                .map_err(query_err(ACTION))?;
            Ok(Some(entry))
        })
    }

    /// Entries matching `q`, most recently updated first, and how many match in all.
    pub fn kb_list(&self, q: &ListQuery, now: i64) -> Result<(Vec<Entry>, u64), StoreError> {
        const ACTION: &str = "listing knowledge entries";
        let conn = self.conn();
        let since = q.since_id.unwrap_or(i64::MIN);
        let mut named: Vec<(&str, &dyn ToSql)> = filter_params(&q.filter, &now).to_vec();
        named.push((":since", &since));
        let total: i64 = conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM kb_entries e WHERE {FILTER} AND e.id > :since"
            ))
            .and_then(|mut s| s.query_row(named.as_slice(), |r| r.get(0)))
            .map_err(query_err(ACTION))?;
        named.push((":limit", &q.limit));
        named.push((":offset", &q.offset));
        let entries = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM kb_entries e WHERE {FILTER} AND e.id > :since
                 ORDER BY e.updated_at DESC, e.id DESC LIMIT :limit OFFSET :offset"
            ))
            .and_then(|mut s| {
                s.query_map(named.as_slice(), from_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(query_err(ACTION))?;
        Ok((entries, total.unsigned_abs()))
    }

    /// Entries matching the FTS query and the filters, best first (bm25), each with a
    /// highlighted snippet of its content. An empty query finds nothing.
    pub fn kb_search(&self, q: &SearchQuery, now: i64) -> Result<Vec<SearchHit>, StoreError> {
        const ACTION: &str = "searching the knowledge base";
        if q.fts.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.conn();
        let mut named: Vec<(&str, &dyn ToSql)> = filter_params(&q.filter, &now).to_vec();
        named.push((":match", &q.fts.expression));
        named.push((":limit", &q.limit));
        conn.prepare_cached(&format!(
            "SELECT {COLUMNS}, snippet(kb_fts, 2, '**', '**', '…', 16), {BM25} AS relevance
             FROM kb_fts JOIN kb_entries e ON e.id = kb_fts.rowid
             WHERE kb_fts MATCH :match AND {FILTER}
             ORDER BY relevance, e.updated_at DESC LIMIT :limit"
        ))
        .and_then(|mut s| {
            s.query_map(named.as_slice(), |r| {
                let rank: f64 = r.get(13)?;
                Ok(SearchHit {
                    entry: from_row(r)?,
                    snippet: r.get(12)?,
                    score: -rank,
                })
            })?
            .collect()
        })
        .map_err(query_err(ACTION))
    }

    /// Removes expired entries and, with an age limit, stale ones (neither updated nor
    /// fetched since `stale_before`); with `dry_run` only reports them.
    pub fn kb_gc(&self, p: &GcPolicy, now: i64) -> Result<GcReport, StoreError> {
        const ACTION: &str = "collecting knowledge entries";
        self.write(ACTION, |tx| {
            let mut doomed: Vec<GcRemoved> = Vec::new();
            let pick = |sql: &str, named: &[(&str, &dyn ToSql)], reason| {
                tx.prepare_cached(sql).and_then(|mut s| {
                    s.query_map(named, |r| {
                        Ok(GcRemoved {
                            id: r.get(0)?,
                            key: r.get(1)?,
                            title: r.get(2)?,
                            category: r.get(3)?,
                            reason,
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()
                })
            };
            doomed.extend(
                pick(
                    "SELECT id, key, title, category FROM kb_entries
                     WHERE expires_at IS NOT NULL AND expires_at <= :now ORDER BY id",
                    &[(":now", &now)],
                    GcReason::Expired,
                )
                .map_err(query_err(ACTION))?,
            );
            if let Some(before) = p.stale_before {
                doomed.extend(
                    pick(
                        "SELECT id, key, title, category FROM kb_entries
                         WHERE updated_at < :before AND coalesce(last_accessed_at, 0) < :before
                           AND (expires_at IS NULL OR expires_at > :now)
                           AND (:category IS NULL OR category = :category
                                OR substr(category, 1, length(:category) + 1) = :category || '/')
                         ORDER BY id",
                        &[
                            (":before", &before),
                            (":now", &now),
                            (":category", &p.stale_category),
                        ],
                        GcReason::Stale,
                    )
                    .map_err(query_err(ACTION))?,
                );
            }
            if !p.dry_run {
                let mut delete = tx
                    .prepare_cached("DELETE FROM kb_entries WHERE id = ?1")
                    .map_err(query_err(ACTION))?;
                for d in &doomed {
                    delete.execute(params![d.id]).map_err(query_err(ACTION))?;
                }
            }
            let count = |reason| doomed.iter().filter(|d| d.reason == reason).count() as u64;
            let (expired, stale) = (count(GcReason::Expired), count(GcReason::Stale));
            doomed.truncate(GC_REPORT_MAX);
            Ok(GcReport {
                removed: doomed,
                expired,
                stale,
            })
        })
    }

    /// How many entries the knowledge base holds.
    pub fn kb_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()
            .query_row("SELECT count(*) FROM kb_entries", [], |r| r.get(0))
            .map_err(query_err("counting knowledge entries"))?;
        Ok(n.unsigned_abs())
    }
}
