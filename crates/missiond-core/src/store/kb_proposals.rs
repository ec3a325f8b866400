//! Knowledge upkeep proposals (`mission_kb_analyze`) and their decisions
//! (`mission_kb_apply`), in the database: an apply after a daemon restart still finds the
//! proposal, and a decided proposal stays decided. Proposals are not knowledge: they sit
//! in a table of their own, and nothing reads them but `mission_kb_apply`.
//!
//! Bounded: at most [`PENDING_MAX`] pending and [`DECIDED_MAX`] decided proposals are
//! kept, the oldest dropped first. Ids (`kbp-<n>`) are never reused.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::{KbChange, Store, StoreError, query_err};
use crate::upkeep::proposals::{Draft, Proposal, ProposalKind, proposal_number};

/// Most pending proposals kept.
pub const PENDING_MAX: usize = 1000;
/// Most decided proposals remembered (to say "applied already").
pub const DECIDED_MAX: usize = 1000;

/// Migration: the proposals table.
pub(super) const SCHEMA: &str = "CREATE TABLE kb_proposals (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,   -- shown as kbp-<id>
        kind        TEXT    NOT NULL CHECK (kind IN ('merge', 'contradiction', 'stale')),
        entry_ids   TEXT    NOT NULL CHECK (json_valid(entry_ids)),
        keep        INTEGER,
        title       TEXT,
        content     TEXT,
        reason      TEXT    NOT NULL,
        snapshot    TEXT    NOT NULL CHECK (json_valid(snapshot)),  -- [[entry, updated_at]]
        tags        TEXT    NOT NULL CHECK (json_valid(tags)),      -- {entry: [tag]}
        status      TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'applied', 'skipped')),
        detail      TEXT,                                -- why it was skipped
        created_at  INTEGER NOT NULL,                    -- Unix ms
        decided_at  INTEGER
    ) STRICT;
    CREATE INDEX kb_proposals_by_status ON kb_proposals(status, id);";

/// Where a proposal stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProposalStatus {
    /// Awaiting a decision.
    Pending,
    /// Applied (at this time, Unix ms).
    Applied(i64),
    /// Not applied (at this time, for this reason).
    Skipped(i64, String),
}

/// What deciding on a proposal did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// No such proposal (never made, or dropped as the oldest).
    Unknown,
    /// It was decided before: nothing done now.
    AlreadyDecided(ProposalStatus),
    /// Applied now: this change.
    Applied(KbChange),
    /// Skipped now, for this reason (nothing written but the decision).
    Skipped(String),
}

const ACTION_ADD: &str = "filing a knowledge proposal";
const ACTION_READ: &str = "reading a knowledge proposal";
const ACTION_DECIDE: &str = "deciding on a knowledge proposal";

fn corrupt(what: &str, e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("kb_proposals.{what}: {e}").into(),
    )
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<(Proposal, ProposalStatus)> {
    let kind: String = r.get("kind")?;
    let kind = ProposalKind::parse(&kind).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("kb_proposals.kind: `{kind}`").into(),
        )
    })?;
    let entry_ids: String = r.get("entry_ids")?;
    let snapshot: String = r.get("snapshot")?;
    let tags: String = r.get("tags")?;
    let status: String = r.get("status")?;
    let decided_at: Option<i64> = r.get("decided_at")?;
    let status = match status.as_str() {
        "applied" => ProposalStatus::Applied(decided_at.unwrap_or(0)),
        "skipped" => ProposalStatus::Skipped(
            decided_at.unwrap_or(0),
            r.get::<_, Option<String>>("detail")?.unwrap_or_default(),
        ),
        _ => ProposalStatus::Pending,
    };
    let id: i64 = r.get("id")?;
    let proposal = Proposal {
        id: format!("kbp-{id}"),
        created_at: r.get("created_at")?,
        draft: Draft {
            kind,
            entry_ids: serde_json::from_str(&entry_ids).map_err(|e| corrupt("entry_ids", e))?,
            keep: r.get("keep")?,
            title: r.get("title")?,
            content: r.get("content")?,
            reason: r.get("reason")?,
            snapshot: serde_json::from_str(&snapshot).map_err(|e| corrupt("snapshot", e))?,
        },
        tags: serde_json::from_str(&tags).map_err(|e| corrupt("tags", e))?,
    };
    Ok((proposal, status))
}

fn load(
    tx: &rusqlite::Connection,
    number: i64,
) -> rusqlite::Result<Option<(Proposal, ProposalStatus)>> {
    tx.prepare_cached("SELECT * FROM kb_proposals WHERE id = ?1")?
        .query_row(params![number], from_row)
        .optional()
}

/// Drops the oldest proposals beyond the bounds.
fn trim(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "DELETE FROM kb_proposals WHERE status = 'pending' AND id NOT IN
           (SELECT id FROM kb_proposals WHERE status = 'pending' ORDER BY id DESC LIMIT ?1)",
    )?
    .execute(params![PENDING_MAX as i64])?;
    tx.prepare_cached(
        "DELETE FROM kb_proposals WHERE status <> 'pending' AND id NOT IN
           (SELECT id FROM kb_proposals WHERE status <> 'pending'
            ORDER BY decided_at DESC, id DESC LIMIT ?1)",
    )?
    .execute(params![DECIDED_MAX as i64])?;
    Ok(())
}

fn mark(
    tx: &Transaction<'_>,
    number: i64,
    status: &str,
    detail: Option<&str>,
    now: i64,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE kb_proposals SET status = ?2, detail = ?3, decided_at = ?4 WHERE id = ?1",
    )?
    .execute(params![number, status, detail, now])?;
    Ok(())
}

impl Store {
    /// Files `draft` (with each entry's tags as analysed) at `now`; the proposal with
    /// its new id. The oldest pending proposals beyond [`PENDING_MAX`] are dropped.
    pub fn kb_proposal_add(
        &self,
        draft: &Draft,
        tags: &BTreeMap<i64, Vec<String>>,
        now: i64,
    ) -> Result<Proposal, StoreError> {
        let json = |v: serde_json::Result<String>| {
            v.map_err(|e| StoreError::Query {
                action: ACTION_ADD,
                source: corrupt("json", e),
            })
        };
        let entry_ids = json(serde_json::to_string(&draft.entry_ids))?;
        let snapshot = json(serde_json::to_string(&draft.snapshot))?;
        let tags_json = json(serde_json::to_string(tags))?;
        let number = self.write(ACTION_ADD, |tx| {
            tx.prepare_cached(
                "INSERT INTO kb_proposals
                   (kind, entry_ids, keep, title, content, reason, snapshot, tags, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    draft.kind.name(),
                    entry_ids,
                    draft.keep,
                    draft.title,
                    draft.content,
                    draft.reason,
                    snapshot,
                    tags_json,
                    now
                ])
            })
            .map_err(query_err(ACTION_ADD))?;
            let number = tx.last_insert_rowid();
            trim(tx).map_err(query_err(ACTION_ADD))?;
            Ok::<_, StoreError>(number)
        })?;
        Ok(Proposal {
            id: format!("kbp-{number}"),
            created_at: now,
            draft: draft.clone(),
            tags: tags.clone(),
        })
    }

    /// The proposal `id` (`kbp-12`) and where it stands; `None` when unknown.
    pub fn kb_proposal(&self, id: &str) -> Result<Option<(Proposal, ProposalStatus)>, StoreError> {
        let Some(number) = proposal_number(id) else {
            return Ok(None);
        };
        load(&self.conn(), number).map_err(query_err(ACTION_READ))
    }

    /// Decides on proposal `id` at `now`, in one transaction: `change` gives what applying
    /// it does (or why it cannot be applied); the change is written only if the entries
    /// are still as analysed (see [`Store::kb_apply_change`]), and the proposal is marked
    /// applied or skipped with it. A proposal decided before is left as it is.
    pub fn kb_proposal_decide(
        &self,
        id: &str,
        now: i64,
        change: impl FnOnce(&Proposal) -> Result<KbChange, String>,
    ) -> Result<Decision, StoreError> {
        let Some(number) = proposal_number(id) else {
            return Ok(Decision::Unknown);
        };
        self.write(ACTION_DECIDE, |tx| {
            let Some((proposal, status)) = load(tx, number).map_err(query_err(ACTION_DECIDE))?
            else {
                return Ok(Decision::Unknown);
            };
            if status != ProposalStatus::Pending {
                return Ok(Decision::AlreadyDecided(status));
            }
            let outcome = match change(&proposal) {
                Err(why) => Err(why),
                Ok(c) => super::kb_upkeep::apply_in(tx, &c, now)?.map(|()| c),
            };
            let decision = match outcome {
                Ok(c) => {
                    mark(tx, number, "applied", None, now).map_err(query_err(ACTION_DECIDE))?;
                    Decision::Applied(c)
                }
                Err(why) => {
                    mark(tx, number, "skipped", Some(&why), now)
                        .map_err(query_err(ACTION_DECIDE))?;
                    Decision::Skipped(why)
                }
            };
            trim(tx).map_err(query_err(ACTION_DECIDE))?;
            Ok(decision)
        })
    }
}
