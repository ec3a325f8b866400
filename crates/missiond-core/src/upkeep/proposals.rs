//! Proposals and what applying each does.
//!
//! They are filed and decided in the database (`Store::kb_proposal_add`,
//! `Store::kb_proposal_decide`), in a table of their own: an apply after a daemon
//! restart still works, a decided proposal stays decided, and an unreviewed change
//! never looks like knowledge. The bounds are `store::PENDING_MAX` and
//! `store::DECIDED_MAX`.

use std::collections::BTreeMap;

use crate::store::KbChange;

/// What a proposal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalKind {
    /// Entries saying the same thing: rewrite `keep` with the merged text, delete the rest.
    Merge,
    /// Entries that disagree: delete all but `keep` (no `keep`: a person must decide).
    Contradiction,
    /// Outdated entries: delete them.
    Stale,
}

impl ProposalKind {
    /// `merge`, `contradiction` or `stale`.
    pub fn name(self) -> &'static str {
        match self {
            ProposalKind::Merge => "merge",
            ProposalKind::Contradiction => "contradiction",
            ProposalKind::Stale => "stale",
        }
    }

    /// The kind named `name` (as [`ProposalKind::name`] spells it).
    pub fn parse(name: &str) -> Option<ProposalKind> {
        match name {
            "merge" => Some(ProposalKind::Merge),
            "contradiction" => Some(ProposalKind::Contradiction),
            "stale" => Some(ProposalKind::Stale),
            _ => None,
        }
    }
}

/// A proposal before it has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// Its kind.
    pub kind: ProposalKind,
    /// The entries it concerns, ascending.
    pub entry_ids: Vec<i64>,
    /// The entry that stays (merge: rewritten with the merged text).
    pub keep: Option<i64>,
    /// Merge: the merged title.
    pub title: Option<String>,
    /// Merge: the merged content.
    pub content: Option<String>,
    /// The model's reason.
    pub reason: String,
    /// Each entry's `updated_at` when it was analysed.
    pub snapshot: Vec<(i64, i64)>,
}

impl Draft {
    /// The change applying it makes; `Err` says why it cannot be applied as it is.
    /// `tags_of` gives an entry's tags as analysed (a merge keeps them all).
    pub fn change(&self, tags_of: impl Fn(i64) -> Vec<String>) -> Result<KbChange, String> {
        let others = |keep: i64| -> Vec<i64> {
            self.entry_ids
                .iter()
                .copied()
                .filter(|id| *id != keep)
                .collect()
        };
        let (rewrite, delete) = match self.kind {
            ProposalKind::Merge => {
                let keep = self.keep.unwrap_or(self.entry_ids[0]);
                let content = self.content.clone().ok_or("the merge has no content")?;
                let mut tags: Vec<String> = Vec::new();
                for id in &self.entry_ids {
                    for t in tags_of(*id) {
                        if !tags.contains(&t) && tags.len() < crate::kb::TAGS_MAX {
                            tags.push(t);
                        }
                    }
                }
                (
                    Some((keep, self.title.clone(), content, tags)),
                    others(keep),
                )
            }
            ProposalKind::Contradiction => match self.keep {
                Some(keep) => (None, others(keep)),
                None => {
                    return Err(
                        "the model could not tell which entry is right: correct them \
                         with mission_kb_remember or mission_kb_forget"
                            .into(),
                    );
                }
            },
            ProposalKind::Stale => (None, self.entry_ids.clone()),
        };
        Ok(KbChange {
            rewrite,
            delete,
            expect: self.snapshot.clone(),
        })
    }
}

/// A proposal with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// `kbp-<n>`, never reused.
    pub id: String,
    /// When it was made (Unix ms).
    pub created_at: i64,
    /// The proposal.
    pub draft: Draft,
    /// Each entry's tags when analysed.
    pub tags: BTreeMap<i64, Vec<String>>,
}

/// The number in a proposal id (`kbp-12` → 12); `None` for anything else.
pub fn proposal_number(id: &str) -> Option<i64> {
    id.trim()
        .strip_prefix("kbp-")?
        .parse()
        .ok()
        .filter(|n| *n > 0)
}
