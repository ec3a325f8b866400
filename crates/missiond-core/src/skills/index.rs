//! Full-text search over skills: an in-memory SQLite FTS5 table over name, description
//! and body, built for the call (skills change on disk between calls).

use rusqlite::{Connection, params};

use super::Skill;
use crate::kb::query::{Combine, FtsQuery};

/// Why a search failed (SQLite itself).
#[derive(Debug, thiserror::Error)]
#[error("searching skills: {0}")]
pub struct IndexError(#[from] rusqlite::Error);

/// A hit: the skill's position in the list given, a snippet and a score (higher is
/// better).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Index into the skills searched.
    pub index: usize,
    /// Extract with matches between `**`.
    pub snippet: String,
    /// bm25 with the sign flipped; name and description weigh more than the body.
    pub score: f64,
}

/// Searches `skills` for `query`, best first, at most `limit`.
pub fn search(skills: &[Skill], query: &FtsQuery, limit: u32) -> Result<Vec<Hit>, IndexError> {
    if query.is_empty() || skills.is_empty() {
        return Ok(Vec::new());
    }
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(
        "CREATE VIRTUAL TABLE skills USING fts5(name, description, body, tokenize = 'unicode61 remove_diacritics 2')",
    )?;
    {
        let tx = conn.unchecked_transaction()?;
        let mut insert = tx.prepare(
            "INSERT INTO skills(rowid, name, description, body) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (i, s) in skills.iter().enumerate() {
            insert.execute(params![i as i64, s.name, s.description, s.body])?;
        }
        drop(insert);
        tx.commit()?;
    }
    let mut stmt = conn.prepare(
        "SELECT rowid, snippet(skills, -1, '**', '**', '…', 16), bm25(skills, 10.0, 5.0, 1.0) AS rank
         FROM skills WHERE skills MATCH ?1 ORDER BY rank LIMIT ?2",
    )?;
    let hits = stmt
        .query_map(params![query.expression, limit], |r| {
            Ok(Hit {
                index: r.get::<_, i64>(0)? as usize,
                snippet: r.get(1)?,
                score: -r.get::<_, f64>(2)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(hits)
}

/// The FTS query for free text (`combine`: all words, or any).
pub fn query(text: &str, combine: Combine) -> Result<FtsQuery, crate::kb::validate::InvalidField> {
    crate::kb::query::build(text, combine)
}
