//! Tools of knowledge upkeep: analyze (LLM proposals), apply (one explicit decision),
//! discover (facts from infra.yaml and the slots' projects).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Annotations, KbAction, Tool, ToolDef};
use crate::upkeep::proposals::Proposal;

/// `mission_kb_analyze`.
pub struct KbAnalyze;
/// `mission_kb_apply`.
pub struct KbApply;
/// `mission_kb_discover`.
pub struct KbDiscover;

/// This area's tools, in display order.
pub(super) fn defs() -> Vec<ToolDef> {
    vec![
        ToolDef::of::<KbAnalyze>(),
        ToolDef::of::<KbApply>(),
        ToolDef::of::<KbDiscover>(),
    ]
}

/// Arguments of `mission_kb_analyze`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KbAnalyzeParams {
    /// Only this category and its sub-tiers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Most entries analysed, most recently updated first (default 500, at most 5000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 5000))]
    pub max_entries: Option<u32>,
    /// Characters of entries in one prompt (default 24000, 2000 to 200000); the
    /// knowledge base is sent in as many batches as it takes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 2000, max = 200000))]
    pub batch_chars: Option<u32>,
    /// A model name or alias from credentials.json (default: its `model`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

/// What a proposal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KbProposalKind {
    /// Duplicates: keep one entry, rewritten with the merged text; delete the others.
    Merge,
    /// Entries that disagree: keep the right one, delete the others (no keep: a person
    /// must decide, apply refuses).
    Contradiction,
    /// Outdated entries: delete them.
    Stale,
}

/// One proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KbProposal {
    /// Its id, for mission_kb_apply (`kbp-12`; never reused).
    pub id: String,
    /// merge, contradiction or stale.
    pub kind: KbProposalKind,
    /// The entries concerned.
    pub entry_ids: Vec<i64>,
    /// The entry that stays (merge: rewritten; contradiction: the right one).
    pub keep: Option<i64>,
    /// The entries applying it deletes.
    pub deletes: Vec<i64>,
    /// Merge: the merged title.
    pub title: Option<String>,
    /// Merge: the merged content.
    pub content: Option<String>,
    /// Why, in the model's words.
    pub reason: String,
    /// Whether mission_kb_apply can apply it as it is.
    pub applicable: bool,
}

impl KbProposal {
    /// The wire form of a filed proposal.
    pub fn from_proposal(p: &Proposal) -> KbProposal {
        use crate::upkeep::proposals::ProposalKind as K;
        let d = &p.draft;
        let change = d.change(|id| p.tags.get(&id).cloned().unwrap_or_default());
        KbProposal {
            id: p.id.clone(),
            kind: match d.kind {
                K::Merge => KbProposalKind::Merge,
                K::Contradiction => KbProposalKind::Contradiction,
                K::Stale => KbProposalKind::Stale,
            },
            entry_ids: d.entry_ids.clone(),
            keep: d.keep,
            deletes: change
                .as_ref()
                .map(|c| c.delete.clone())
                .unwrap_or_default(),
            title: d.title.clone(),
            content: d.content.clone(),
            reason: d.reason.clone(),
            applicable: change.is_ok(),
        }
    }
}

/// Tokens the analysis used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KbAnalyzeUsage {
    /// Prompt tokens, all batches.
    pub input_tokens: u64,
    /// Answer tokens, all batches.
    pub output_tokens: u64,
}

/// Result of `mission_kb_analyze`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KbAnalyzeResult {
    /// The proposals; nothing is changed until mission_kb_apply.
    pub proposals: Vec<KbProposal>,
    /// Entries analysed.
    pub analyzed: u64,
    /// Prompts sent.
    pub batches: u64,
    /// Proposals of the model left out (naming entries outside the batch, incomplete),
    /// and batches whose answer could not be read, each with why.
    pub rejected: Vec<String>,
    /// Tokens used.
    pub usage: KbAnalyzeUsage,
}

impl Tool for KbAnalyze {
    const NAME: &'static str = "mission_kb_analyze";
    const TITLE: &'static str = "Find duplicates, contradictions and stale knowledge";
    const DESCRIPTION: &'static str = "Ask the LLM backend of credentials.json (see \
        mission_router_chat) to review the knowledge base: duplicates to merge, entries \
        that contradict each other, stale entries. Entries go in batches of bounded size \
        (batchChars), related ones together. Returns proposals with ids, each naming its \
        entries, what it keeps and deletes, and the reason; nothing changes until you call \
        mission_kb_apply with the ids you accept. Proposals naming entries outside their \
        batch are left out and listed in rejected. Fails with config_error without \
        credentials, and with internal_error naming the batch when the model's answer is \
        not the JSON asked for (no batch readable).";
    const ANNOTATIONS: Annotations = Annotations {
        read_only_hint: false,
        destructive_hint: false,
        idempotent_hint: false,
        open_world_hint: true,
    };
    type Params = KbAnalyzeParams;
    type Output = KbAnalyzeResult;
}

/// Arguments of `mission_kb_apply`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KbApplyParams {
    /// Ids of proposals from mission_kb_analyze (1 to 500).
    #[schemars(length(min = 1, max = 500))]
    pub proposal_ids: Vec<String>,
}

/// What happened to one proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KbApplyStatus {
    /// Applied.
    Applied,
    /// Not applied (see reason); the proposal stays skipped.
    Skipped,
}

/// One proposal's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KbApplyItem {
    /// The proposal.
    pub id: String,
    /// applied or skipped.
    pub status: KbApplyStatus,
    /// Entries deleted.
    pub deleted: Vec<i64>,
    /// The entry rewritten (merge).
    pub updated: Option<i64>,
    /// Why it was skipped.
    pub reason: Option<String>,
}

/// Result of `mission_kb_apply`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KbApplyResult {
    /// One item per id, in the order given.
    pub results: Vec<KbApplyItem>,
}

impl Tool for KbApply {
    const NAME: &'static str = "mission_kb_apply";
    const TITLE: &'static str = "Apply knowledge proposals";
    const DESCRIPTION: &'static str = "Apply proposals of mission_kb_analyze that you \
        accept, by id: a merge rewrites the kept entry with the merged title and content \
        (tags of all kept) and deletes the others; a contradiction deletes all but the \
        entry kept; stale deletes its entries. Each proposal is applied in one \
        transaction, and skipped (with the reason) when one of its entries was changed \
        or deleted since the analysis, or when a contradiction names no entry to keep. \
        Proposals are kept in the database (the newest 1000 waiting): they can be applied \
        after a daemon restart, and an applied or skipped proposal stays so. Fails with \
        invalid_params naming proposalIds when an id is unknown or already decided \
        (saying how and when); nothing is applied then.";
    const ANNOTATIONS: Annotations = Annotations {
        read_only_hint: false,
        destructive_hint: true,
        idempotent_hint: false,
        open_world_hint: false,
    };
    type Params = KbApplyParams;
    type Output = KbApplyResult;
}

/// Arguments of `mission_kb_discover`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KbDiscoverParams {
    /// Only list what would be stored (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// Look at infra.yaml (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infra: Option<bool>,
    /// Look at the slots' projects (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projects: Option<bool>,
}

/// Whether a discovered fact was new, changed or already known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KbDiscoverAction {
    /// A new entry (or would be).
    Created,
    /// The entry with this key changed (or would).
    Updated,
    /// The entry with this key already says this.
    Unchanged,
}

impl From<KbAction> for KbDiscoverAction {
    fn from(a: KbAction) -> Self {
        match a {
            KbAction::Created => KbDiscoverAction::Created,
            KbAction::Updated => KbDiscoverAction::Updated,
        }
    }
}

/// One discovered fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KbDiscoveredFact {
    /// The entry's id (absent in a dry run of a new fact).
    pub id: Option<i64>,
    /// Its stable key.
    pub key: String,
    /// Its title.
    pub title: String,
    /// Its category (infra or project).
    pub category: String,
    /// Its source (`discover:<file>`).
    pub source: String,
    /// The file it came from.
    pub origin: String,
    /// The content.
    pub content: String,
    /// created, updated or unchanged.
    pub action: KbDiscoverAction,
}

/// Result of `mission_kb_discover`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KbDiscoverResult {
    /// True when nothing was stored.
    pub dry_run: bool,
    /// The facts, infrastructure first.
    pub facts: Vec<KbDiscoveredFact>,
    /// New entries.
    pub created: u64,
    /// Changed entries.
    pub updated: u64,
    /// Entries already up to date.
    pub unchanged: u64,
    /// Files that could not be read, with why.
    pub problems: Vec<String>,
}

impl Tool for KbDiscover {
    const NAME: &'static str = "mission_kb_discover";
    const TITLE: &'static str = "Discover knowledge from infrastructure and projects";
    const DESCRIPTION: &'static str = "Read facts from the configured infrastructure \
        (infra.yaml: each server and service, its address, health check, tags, notes) \
        and from each slot's project folder (Cargo.toml, package.json scripts, Makefile \
        targets, pyproject.toml, docker compose services: how to build, test and run \
        it) and store them as knowledge entries in categories infra and project, each \
        with its source file. Keys name the source (discover:infra/db-1, \
        discover:/work/app/Cargo.toml), so running it again updates the same entries \
        and adds no duplicates; facts already known are reported unchanged and not \
        rewritten. dryRun true only lists them. Secrets are never read.";
    const ANNOTATIONS: Annotations = Annotations {
        read_only_hint: false,
        destructive_hint: false,
        idempotent_hint: true,
        open_world_hint: false,
    };
    type Params = KbDiscoverParams;
    type Output = KbDiscoverResult;
}
