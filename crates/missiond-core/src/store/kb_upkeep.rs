//! Knowledge upkeep's one write: a reviewed change (merge, drop) applied in one
//! transaction, only if the entries it was decided on are still as they were.

use rusqlite::{OptionalExtension, Transaction, params};

use super::{Store, StoreError, query_err};

/// A change to several entries, decided on a snapshot of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbChange {
    /// Rewrite this entry (id, title, content, tags), keeping its key and category.
    pub rewrite: Option<(i64, Option<String>, String, Vec<String>)>,
    /// Delete these entries.
    pub delete: Vec<i64>,
    /// Each entry the change was decided on, with its `updated_at` then.
    pub expect: Vec<(i64, i64)>,
}

impl Store {
    /// Applies `c` at `now`. `Ok(Err(why))` when an entry was changed or deleted since the
    /// snapshot: nothing is written then.
    pub fn kb_apply_change(
        &self,
        c: &KbChange,
        now: i64,
    ) -> Result<Result<(), String>, StoreError> {
        self.write(ACTION, |tx| apply_in(tx, c, now))
    }
}

const ACTION: &str = "applying a knowledge change";

/// [`Store::kb_apply_change`] on the caller's transaction (a proposal's decision is
/// written with its change).
pub(super) fn apply_in(
    tx: &Transaction<'_>,
    c: &KbChange,
    now: i64,
) -> Result<Result<(), String>, StoreError> {
    for (id, seen) in &c.expect {
        let current: Option<i64> = tx
            .prepare_cached("SELECT updated_at FROM kb_entries WHERE id = ?1")
            .and_then(|mut s| s.query_row(params![id], |r| r.get(0)).optional())
            .map_err(query_err(ACTION))?;
        match current {
            None => return Ok(Err(format!("entry {id} was deleted since the analysis"))),
            Some(t) if t != *seen => {
                return Ok(Err(format!("entry {id} was changed since the analysis")));
            }
            Some(_) => {}
        }
    }
    if let Some((id, title, content, tags)) = &c.rewrite {
        let tags = serde_json::Value::from(tags.clone()).to_string();
        tx.prepare_cached(
            "UPDATE kb_entries SET title = ?2, content = ?3, tags = ?4, updated_at = ?5
             WHERE id = ?1",
        )
        .and_then(|mut s| s.execute(params![id, title, content, tags, now]))
        .map_err(query_err(ACTION))?;
    }
    for id in &c.delete {
        tx.prepare_cached("DELETE FROM kb_entries WHERE id = ?1")
            .and_then(|mut s| s.execute(params![id]))
            .map_err(query_err(ACTION))?;
    }
    Ok(Ok(()))
}

/// An entry never read, as automatic GC finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbUnused {
    /// Its id.
    pub id: i64,
    /// Its key.
    pub key: Option<String>,
    /// Its category.
    pub category: String,
    /// When it was last stored (Unix ms).
    pub updated_at: i64,
}

impl Store {
    /// Entries never fetched (`hits` 0), not stored since `before` (Unix ms), not
    /// expired at `now`, in one of `categories` or their sub-tiers (empty: any category),
    /// oldest first, at most `limit`.
    pub fn kb_unused(
        &self,
        before: i64,
        categories: &[String],
        now: i64,
        limit: u32,
    ) -> Result<Vec<KbUnused>, StoreError> {
        const ACTION: &str = "finding unused knowledge entries";
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, key, category, updated_at FROM kb_entries
                 WHERE hits = 0 AND last_accessed_at IS NULL AND updated_at < ?1
                   AND (expires_at IS NULL OR expires_at > ?2)
                 ORDER BY updated_at, id",
            )
            .map_err(query_err(ACTION))?;
        let rows = stmt
            .query_map(params![before, now], |r| {
                Ok(KbUnused {
                    id: r.get(0)?,
                    key: r.get(1)?,
                    category: r.get(2)?,
                    updated_at: r.get(3)?,
                })
            })
            .map_err(query_err(ACTION))?;
        let mut out = Vec::new();
        for row in rows {
            let row = row.map_err(query_err(ACTION))?;
            let wanted = categories.is_empty()
                || categories.iter().any(|c| {
                    row.category == *c
                        || row
                            .category
                            .strip_prefix(c.as_str())
                            .is_some_and(|rest| rest.starts_with('/'))
                });
            if wanted {
                out.push(row);
                if out.len() as u64 >= u64::from(limit) {
                    break;
                }
            }
        }
        Ok(out)
    }
}
