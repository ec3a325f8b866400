//! Tables of knowledge injection (see [`crate::memory::inject`]): each entry's tier and
//! source conversation, and the log of what was injected where.
//!
//! `kb_entry_meta` sits beside `kb_entries` (one row per entry that has a tier or a
//! conversation; removed with its entry), so the knowledge base's own table stays as it
//! is. `kb_injections` has one row per injection: the slot, its conversation, the turn
//! (the prompt's first words), where it went, which entries, how many bytes.

use rusqlite::{ToSql, params};

use super::{Store, StoreError, query_err};
use crate::kb::query::FtsQuery;
use crate::memory::inject::Injectable;

/// The schema this area adds (one migration; see `migrations.rs`).
pub(super) const SCHEMA: &str = "
CREATE TABLE kb_entry_meta (
    entry_id     INTEGER PRIMARY KEY REFERENCES kb_entries(id) ON DELETE CASCADE,
    tier         TEXT    NOT NULL DEFAULT 'normal'
                 CHECK (tier IN ('core', 'important', 'normal', 'low')),
    conversation TEXT                              -- the session it was learned from
) STRICT;
CREATE TABLE kb_injections (
    id          INTEGER PRIMARY KEY,
    slot_id     TEXT    NOT NULL,                  -- or `orchestrator`
    session_id  TEXT,
    turn        TEXT    NOT NULL,                  -- the prompt's start, or `instructions`
    target      TEXT    NOT NULL CHECK (target IN ('prompt', 'instructions')),
    entry_ids   TEXT    NOT NULL CHECK (json_valid(entry_ids)),
    bytes       INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX kb_injections_by_slot ON kb_injections(slot_id, id);
";

/// Rank of a tier in SQL (lower first).
const TIER_RANK: &str = "CASE coalesce(m.tier, 'normal') WHEN 'core' THEN 0 \
     WHEN 'important' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END";

const INJECT_COLUMNS: &str =
    "e.id, e.key, e.title, e.category, coalesce(m.tier, 'normal'), e.content";

fn injectable(r: &rusqlite::Row<'_>) -> rusqlite::Result<Injectable> {
    Ok(Injectable {
        id: r.get(0)?,
        key: r.get(1)?,
        title: r.get(2)?,
        category: r.get(3)?,
        tier: r.get(4)?,
        content: r.get(5)?,
    })
}

/// One logged injection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectionRow {
    /// The slot (or `orchestrator`).
    pub slot_id: String,
    /// Its conversation, when known.
    pub session_id: Option<String>,
    /// The prompt's start.
    pub turn: String,
    /// `prompt` or `instructions`.
    pub target: String,
    /// The entries injected.
    pub entry_ids: Vec<i64>,
    /// Bytes added.
    pub bytes: u64,
}

impl Store {
    /// Sets an entry's tier and/or source conversation (`None` keeps what is there).
    pub fn kb_set_meta(
        &self,
        entry_id: i64,
        tier: Option<&str>,
        conversation: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO kb_entry_meta (entry_id, tier, conversation)
                 VALUES (?1, coalesce(?2, 'normal'), ?3)
                 ON CONFLICT (entry_id) DO UPDATE SET
                     tier = coalesce(?2, tier),
                     conversation = coalesce(?3, conversation)",
                params![entry_id, tier, conversation],
            )
            .map(drop)
            .map_err(query_err("recording a knowledge entry's tier"))
    }

    /// An entry's tier and source conversation (`normal` and none when never set).
    pub fn kb_meta(&self, entry_id: i64) -> Result<(String, Option<String>), StoreError> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn()
            .query_row(
                "SELECT tier, conversation FROM kb_entry_meta WHERE entry_id = ?1",
                [entry_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(query_err("reading a knowledge entry's tier"))?
            .unwrap_or_else(|| ("normal".to_string(), None)))
    }

    /// The unexpired entries matching `fts` best (bm25; tier, then hits break ties),
    /// only in `categories` (and their sub-tiers) when some are given.
    pub fn kb_relevant(
        &self,
        fts: &FtsQuery,
        categories: &[String],
        limit: u32,
        now: i64,
    ) -> Result<Vec<Injectable>, StoreError> {
        if fts.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let cats = serde_json::Value::from(categories.to_vec()).to_string();
        let conn = self.conn();
        let named: [(&str, &dyn ToSql); 4] = [
            (":match", &fts.expression),
            (":now", &now),
            (":cats", &cats),
            (":limit", &limit),
        ];
        conn.prepare_cached(&format!(
            "SELECT {INJECT_COLUMNS} FROM kb_fts
             JOIN kb_entries e ON e.id = kb_fts.rowid
             LEFT JOIN kb_entry_meta m ON m.entry_id = e.id
             WHERE kb_fts MATCH :match
               AND (e.expires_at IS NULL OR e.expires_at > :now)
               AND (json_array_length(:cats) = 0 OR EXISTS (
                   SELECT 1 FROM json_each(:cats) c
                   WHERE e.category = c.value
                      OR substr(e.category, 1, length(c.value) + 1) = c.value || '/'))
             ORDER BY bm25(kb_fts, 3.0, 5.0, 1.0, 3.0), {TIER_RANK}, e.hits DESC, e.id DESC
             LIMIT :limit"
        ))
        .and_then(|mut s| s.query_map(named.as_slice(), injectable)?.collect())
        .map_err(query_err("finding knowledge for a prompt"))
    }

    /// The unexpired entries that matter most without a query: tier first, then the
    /// most used, then the newest.
    pub fn kb_top(&self, limit: u32, now: i64) -> Result<Vec<Injectable>, StoreError> {
        let conn = self.conn();
        conn.prepare_cached(&format!(
            "SELECT {INJECT_COLUMNS} FROM kb_entries e
             LEFT JOIN kb_entry_meta m ON m.entry_id = e.id
             WHERE e.expires_at IS NULL OR e.expires_at > ?1
             ORDER BY {TIER_RANK}, e.hits DESC, e.updated_at DESC, e.id DESC
             LIMIT ?2"
        ))
        .and_then(|mut s| s.query_map(params![now, limit], injectable)?.collect())
        .map_err(query_err("listing the most important knowledge"))
    }

    /// Logs one injection and counts a hit on each entry injected, in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub fn kb_record_injection(
        &self,
        slot: &str,
        session: Option<&str>,
        turn: &str,
        target: &str,
        entry_ids: &[i64],
        bytes: usize,
        now: i64,
    ) -> Result<(), StoreError> {
        const ACTION: &str = "logging a knowledge injection";
        let ids = serde_json::Value::from(entry_ids.to_vec()).to_string();
        let (turn, _) = crate::conversations::cap_text(turn, 200);
        self.write(ACTION, |tx| {
            tx.prepare_cached(
                "INSERT INTO kb_injections (slot_id, session_id, turn, target, entry_ids,
                     bytes, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.execute(params![slot, session, turn, target, ids, bytes as i64, now])
            })
            .map_err(query_err(ACTION))?;
            tx.prepare_cached(
                "UPDATE kb_entries SET hits = hits + 1, last_accessed_at = ?2
                 WHERE id IN (SELECT value FROM json_each(?1))",
            )
            .and_then(|mut s| s.execute(params![ids, now]))
            .map_err(query_err(ACTION))?;
            Ok::<_, StoreError>(())
        })
    }

    /// The latest injections into `slot`, newest first.
    pub fn kb_injections(&self, slot: &str, limit: u32) -> Result<Vec<InjectionRow>, StoreError> {
        let conn = self.conn();
        conn.prepare_cached(
            "SELECT slot_id, session_id, turn, target, entry_ids, bytes FROM kb_injections
             WHERE slot_id = ?1 ORDER BY id DESC LIMIT ?2",
        )
        .and_then(|mut s| {
            s.query_map(params![slot, limit], |r| {
                let ids: String = r.get(4)?;
                Ok(InjectionRow {
                    slot_id: r.get(0)?,
                    session_id: r.get(1)?,
                    turn: r.get(2)?,
                    target: r.get(3)?,
                    entry_ids: serde_json::from_str(&ids).unwrap_or_default(),
                    bytes: r.get::<_, i64>(5)?.unsigned_abs(),
                })
            })?
            .collect()
        })
        .map_err(query_err("listing knowledge injections"))
    }
}
