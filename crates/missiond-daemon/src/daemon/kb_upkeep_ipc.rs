//! IPC routing for knowledge upkeep: `mission_kb_analyze` (LLM proposals through the
//! router), `mission_kb_apply` (the explicit decision) and `mission_kb_discover`.
//!
//! Proposals wait in the database (see `missiond_core::store::kb_proposals`): an apply
//! after a daemon restart still works, and a decided proposal stays decided.

use std::collections::BTreeMap;
use std::sync::Arc;

use missiond_core::catalogue::{
    self as cat, KbAnalyzeResult, KbAnalyzeUsage, KbApplyItem, KbApplyResult, KbApplyStatus,
    KbDiscoverAction, KbDiscoverResult, KbDiscoveredFact, KbProposal, Tool, encode,
};
use missiond_core::infra::{InfraConfig, config_path};
use missiond_core::ipc::RpcError;
use missiond_core::kb::{self, Entry, EntryRef, Filter, ListQuery, NewEntry, validate};
use missiond_core::router::{ChatRequest, Credentials, Router};
use missiond_core::store::{Decision, ProposalStatus, Store};
use missiond_core::time::now_ms;
use missiond_core::upkeep::analyze::{self, BATCH_CHARS_DEFAULT, BATCH_CHARS_MAX, BATCH_CHARS_MIN};
use missiond_core::upkeep::discover::{self, Fact};
use serde_json::Value;

use super::supervisor::Supervisor;

/// Default and largest number of entries one analysis reads.
const MAX_ENTRIES_DEFAULT: u32 = 500;
const MAX_ENTRIES_LIMIT: u32 = 5000;
/// Answer tokens asked for per batch, at least (a batch's proposals can be long).
const ANALYZE_MAX_TOKENS: u32 = 8192;

/// Answer `method` if it is one of these tools; `None` for any other method.
pub async fn handle(
    sup: &Arc<Supervisor>,
    method: &str,
    params: &Value,
) -> Option<Result<Value, RpcError>> {
    let result = match method {
        cat::KbAnalyze::NAME => match cat::KbAnalyze::params(params.clone()) {
            Ok(p) => analyze(sup, &p).await.and_then(encode),
            Err(e) => Err(e),
        },
        cat::KbApply::NAME => cat::KbApply::params(params.clone())
            .and_then(|p| apply(sup.ctx.records.store(), &p))
            .and_then(encode),
        cat::KbDiscover::NAME => match cat::KbDiscover::params(params.clone()) {
            Ok(p) => discover(sup, &p).await.and_then(encode),
            Err(e) => Err(e),
        },
        _ => return None,
    };
    Some(result)
}

fn storage(e: missiond_core::store::StoreError) -> RpcError {
    e.to_rpc()
}

/// Up to `max` live entries, most recently updated first.
fn entries(store: &Store, category: Option<String>, max: u32) -> Result<Vec<Entry>, RpcError> {
    let mut out = Vec::new();
    let now = now_ms();
    while (out.len() as u32) < max {
        let q = ListQuery {
            filter: Filter {
                category: category.clone(),
                ..Filter::default()
            },
            since_id: None,
            offset: out.len() as u32,
            limit: (max - out.len() as u32).min(kb::LIST_LIMIT_MAX),
        };
        let (page, _) = store.kb_list(&q, now).map_err(storage)?;
        if page.is_empty() {
            break;
        }
        out.extend(page);
    }
    Ok(out)
}

async fn analyze(sup: &Supervisor, p: &cat::KbAnalyzeParams) -> Result<KbAnalyzeResult, RpcError> {
    let category = p
        .category
        .as_deref()
        .map(|c| validate::category("category", c))
        .transpose()
        .map_err(|f| RpcError::invalid_params(&f.field, f.reason))?;
    let max = p.max_entries.unwrap_or(MAX_ENTRIES_DEFAULT);
    if max == 0 || max > MAX_ENTRIES_LIMIT {
        return Err(RpcError::invalid_params(
            "maxEntries",
            format!("{max} is not between 1 and {MAX_ENTRIES_LIMIT}"),
        ));
    }
    let budget = p
        .batch_chars
        .map(|b| b as usize)
        .unwrap_or(BATCH_CHARS_DEFAULT);
    if !(BATCH_CHARS_MIN..=BATCH_CHARS_MAX).contains(&budget) {
        return Err(RpcError::invalid_params(
            "batchChars",
            format!("{budget} is not between {BATCH_CHARS_MIN} and {BATCH_CHARS_MAX}"),
        ));
    }
    // The credentials first: without a backend there is nothing to analyse with.
    let creds = Credentials::load_from_home(&sup.ctx.home)
        .map_err(|e| missiond_core::router::RouterError::from(e).to_rpc())?;
    let max_tokens = creds.max_tokens.max(ANALYZE_MAX_TOKENS);
    let router = Router::new(creds).map_err(|e| e.to_rpc())?;
    let all = entries(sup.ctx.records.store(), category, max)?;
    let batches = analyze::batches(&all, budget);
    let count = batches.len();
    let mut result = KbAnalyzeResult {
        proposals: Vec::new(),
        analyzed: all.len() as u64,
        batches: count as u64,
        rejected: Vec::new(),
        usage: KbAnalyzeUsage::default(),
    };
    let mut unreadable = Vec::new();
    let mut drafts = Vec::new();
    for (i, batch) in batches.iter().enumerate() {
        let request = ChatRequest {
            messages: analyze::prompt(batch, i, count),
            model: p.model.clone(),
            max_tokens: Some(max_tokens),
        };
        let outcome = router.chat(&request).await.map_err(|e| {
            let mut rpc = e.to_rpc();
            rpc.message = format!("analysing batch {} of {count}: {}", i + 1, rpc.message);
            rpc
        })?;
        result.usage.input_tokens += outcome.reply.usage.input_tokens;
        result.usage.output_tokens += outcome.reply.usage.output_tokens;
        match analyze::parse(&outcome.reply.text, batch) {
            Ok(parsed) => {
                let tags: BTreeMap<i64, Vec<String>> =
                    batch.iter().map(|e| (e.id, e.tags.clone())).collect();
                result.rejected.extend(
                    parsed
                        .rejected
                        .into_iter()
                        .map(|r| format!("batch {}: {r}", i + 1)),
                );
                drafts.extend(parsed.drafts.into_iter().map(|d| (d, tags.clone())));
            }
            Err(why) => unreadable.push(format!(
                "the model's answer to batch {} of {count} is not usable: {why}",
                i + 1
            )),
        }
    }
    if count > 0 && unreadable.len() == count {
        return Err(RpcError::internal(unreadable.join("; ")));
    }
    result.rejected.extend(unreadable);
    let now = now_ms();
    let store = sup.ctx.records.store();
    for (draft, tags) in drafts {
        let tags = draft
            .entry_ids
            .iter()
            .map(|id| (*id, tags.get(id).cloned().unwrap_or_default()))
            .collect();
        let filed = store.kb_proposal_add(&draft, &tags, now).map_err(storage)?;
        result.proposals.push(KbProposal::from_proposal(&filed));
    }
    tracing::info!(
        analyzed = result.analyzed,
        batches = result.batches,
        proposals = result.proposals.len(),
        rejected = result.rejected.len(),
        "knowledge analysis finished"
    );
    Ok(result)
}

/// Says how a proposal was decided (after "proposal `kbp-3` ").
fn decided_already(status: &ProposalStatus) -> String {
    let when = |at: i64| missiond_core::time::rfc3339_ms(at);
    match status {
        ProposalStatus::Pending => "is waiting".to_string(),
        ProposalStatus::Applied(at) => format!("was applied already ({})", when(*at)),
        ProposalStatus::Skipped(at, why) => {
            format!("was skipped already ({}: {why})", when(*at))
        }
    }
}

fn apply(store: &Store, p: &cat::KbApplyParams) -> Result<KbApplyResult, RpcError> {
    if p.proposal_ids.is_empty() || p.proposal_ids.len() > 500 {
        return Err(RpcError::invalid_params(
            "proposalIds",
            format!("{} ids given: give 1 to 500", p.proposal_ids.len()),
        ));
    }
    // Every id must name a proposal still waiting, or nothing is applied.
    for id in &p.proposal_ids {
        let why = match store.kb_proposal(id).map_err(storage)? {
            Some((_, ProposalStatus::Pending)) => continue,
            Some((_, decided)) => decided_already(&decided),
            None => "is unknown (never made, or dropped as the oldest of many): run \
                     mission_kb_analyze again"
                .to_string(),
        };
        return Err(RpcError::invalid_params(
            "proposalIds",
            format!("proposal `{}` {why}; nothing was applied", id.trim()),
        ));
    }
    let now = now_ms();
    let mut results = Vec::new();
    for id in &p.proposal_ids {
        let decision = store
            .kb_proposal_decide(id, now, |proposal| {
                proposal
                    .draft
                    .change(|e| proposal.tags.get(&e).cloned().unwrap_or_default())
            })
            .map_err(storage)?;
        let item = match decision {
            // Named twice: the first time decided it.
            Decision::AlreadyDecided(_) | Decision::Unknown => continue,
            Decision::Applied(change) => KbApplyItem {
                id: id.clone(),
                status: KbApplyStatus::Applied,
                deleted: change.delete.clone(),
                updated: change.rewrite.as_ref().map(|r| r.0),
                reason: None,
            },
            Decision::Skipped(why) => KbApplyItem {
                id: id.clone(),
                status: KbApplyStatus::Skipped,
                deleted: Vec::new(),
                updated: None,
                reason: Some(why),
            },
        };
        tracing::info!(
            proposal = %id,
            status = ?item.status,
            deleted = ?item.deleted,
            updated = ?item.updated,
            "knowledge proposal decided"
        );
        results.push(item);
    }
    Ok(KbApplyResult { results })
}

async fn discover(
    sup: &Supervisor,
    p: &cat::KbDiscoverParams,
) -> Result<KbDiscoverResult, RpcError> {
    let dry_run = p.dry_run.unwrap_or(false);
    let mut problems = Vec::new();
    let infra = if p.infra.unwrap_or(true) {
        match InfraConfig::load(&config_path(&sup.ctx.home)) {
            Ok(c) => Some(c),
            Err(e) => {
                problems.push(e.to_string());
                None
            }
        }
    } else {
        None
    };
    let projects = if p.projects.unwrap_or(true) {
        let slots: Vec<(String, std::path::PathBuf)> = sup
            .slots()
            .map(|s| (s.spec.id.clone(), s.spec.config.cwd.clone()))
            .collect();
        discover::projects_of(slots.iter().map(|(id, dir)| (id.as_str(), dir.as_path())))
    } else {
        Vec::new()
    };
    // Reading many manifests is file I/O: off the async threads.
    let found = tokio::task::spawn_blocking(move || discover::discover(infra.as_ref(), &projects))
        .await
        .map_err(|e| RpcError::internal(format!("discovering: {e}")))?;
    problems.extend(found.problems);
    let store = sup.ctx.records.store();
    let now = now_ms();
    let mut result = KbDiscoverResult {
        dry_run,
        facts: Vec::new(),
        created: 0,
        updated: 0,
        unchanged: 0,
        problems,
    };
    for fact in found.facts {
        let entry = match new_entry(&fact) {
            Ok(e) => e,
            Err(why) => {
                result.problems.push(format!("{}: {why}", fact.key));
                continue;
            }
        };
        let existing = store
            .kb_peek(&EntryRef::Key(fact.key.clone()))
            .map_err(storage)?;
        let (id, action) = match &existing {
            Some(e) if same(e, &entry) => (Some(e.id), KbDiscoverAction::Unchanged),
            _ if dry_run => (
                existing.as_ref().map(|e| e.id),
                if existing.is_some() {
                    KbDiscoverAction::Updated
                } else {
                    KbDiscoverAction::Created
                },
            ),
            _ => {
                let (stored, how) = store.kb_remember(&entry, now).map_err(storage)?;
                (Some(stored.id), cat::KbAction::from(how).into())
            }
        };
        match action {
            KbDiscoverAction::Created => result.created += 1,
            KbDiscoverAction::Updated => result.updated += 1,
            KbDiscoverAction::Unchanged => result.unchanged += 1,
        }
        result.facts.push(KbDiscoveredFact {
            id,
            key: fact.key,
            title: fact.title,
            category: fact.category,
            source: fact.source,
            origin: fact.origin.display().to_string(),
            content: fact.content,
            action,
        });
    }
    tracing::info!(
        dry_run,
        created = result.created,
        updated = result.updated,
        unchanged = result.unchanged,
        problems = result.problems.len(),
        "knowledge discovery finished"
    );
    Ok(result)
}

fn new_entry(f: &Fact) -> Result<NewEntry, String> {
    validate::entry(
        &validate::RawEntry {
            key: Some(&f.key),
            title: Some(&f.title),
            content: &f.content,
            category: Some(&f.category),
            tags: &f.tags,
            source: Some(&f.source),
            ttl_days: None,
            expires_at: None,
        },
        now_ms(),
    )
    .map_err(|e| format!("`{}` {}", e.field, e.reason))
}

/// Whether the stored entry already says what the fact says.
fn same(e: &Entry, n: &NewEntry) -> bool {
    e.title == n.title
        && e.content == n.content
        && e.category == n.category
        && e.tags == n.tags
        && e.source == n.source
}
