//! Knowledge upkeep: keeping the knowledge base true and small without a person doing
//! it by hand.
//!
//! - [`analyze`]: an LLM pass (through [`crate::router`]) over the entries, in batches of
//!   bounded size, that proposes merges of duplicates, fixes of contradictions and
//!   removal of stale entries. Nothing is changed by the analysis.
//! - [`proposals`]: the proposals awaiting a decision, by id, and what applying one
//!   does (`mission_kb_apply`); an entry changed since the analysis is left alone.
//! - [`discover`]: facts read from `infra.yaml` and from the slots' projects (build and
//!   test commands, services), as entries with stable keys, so a second run adds no
//!   duplicates.
//! - [`gc`]: the schedule of automatic garbage collection.

pub mod analyze;
pub mod discover;
pub mod gc;
pub mod proposals;

#[cfg(test)]
mod proposal_tests;
#[cfg(test)]
mod tests;
