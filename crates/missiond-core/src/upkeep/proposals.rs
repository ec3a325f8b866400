//! Proposals awaiting a decision, and what applying each does.
//!
//! The book lives in the daemon's memory: proposals are cheap to make again
//! (`mission_kb_analyze`), and keeping them out of the database keeps an unreviewed
//! change from ever looking like knowledge. At most [`BOOK_MAX`] are kept, oldest
//! dropped first.

use std::collections::BTreeMap;

use crate::store::KbChange;

/// Most proposals kept at once.
pub const BOOK_MAX: usize = 1000;

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
    /// `kbp-<n>`, unique while the daemon runs.
    pub id: String,
    /// When it was made (Unix ms).
    pub created_at: i64,
    /// The proposal.
    pub draft: Draft,
    /// Each entry's tags when analysed.
    pub tags: BTreeMap<i64, Vec<String>>,
}

/// The proposals awaiting a decision.
#[derive(Debug, Default)]
pub struct Book {
    next: u64,
    items: BTreeMap<u64, Proposal>,
}

impl Book {
    /// Files `draft`, returning the proposal with its new id.
    pub fn add(&mut self, draft: Draft, tags: BTreeMap<i64, Vec<String>>, now: i64) -> Proposal {
        self.next += 1;
        let proposal = Proposal {
            id: format!("kbp-{}", self.next),
            created_at: now,
            draft,
            tags,
        };
        self.items.insert(self.next, proposal.clone());
        while self.items.len() > BOOK_MAX {
            self.items.pop_first();
        }
        proposal
    }

    /// The proposal with this id.
    pub fn get(&self, id: &str) -> Option<&Proposal> {
        self.items.get(&number(id)?)
    }

    /// Removes the proposal with this id.
    pub fn remove(&mut self, id: &str) -> Option<Proposal> {
        self.items.remove(&number(id)?)
    }

    /// Every proposal, oldest first.
    pub fn all(&self) -> impl Iterator<Item = &Proposal> {
        self.items.values()
    }
}

fn number(id: &str) -> Option<u64> {
    id.trim().strip_prefix("kbp-")?.parse().ok()
}
