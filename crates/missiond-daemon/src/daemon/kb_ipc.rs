//! IPC routing for the tools of the knowledge base: decode, validate, call the store,
//! encode. Validation failures become `invalid_params` naming the field; an unknown id or
//! key is `invalid_params` naming `id` or `key` (as `mission_task` does for unknown task
//! ids); database failures are `storage_error`.

use std::collections::HashMap;

use missiond_core::catalogue::{
    self as cat, KbEntry, KbEntrySummary, KbGcItem, KbMatch, KbSearchHit, Tool,
};
use missiond_core::ipc::RpcError;
use missiond_core::kb::{
    self, DAY_MS, EntryRef, Filter, GcPolicy, InvalidField, ListQuery, SearchQuery, TTL_DAYS_MAX,
    query::Combine, validate,
};
use missiond_core::store::Store;
use missiond_core::time::now_ms;
use serde_json::{Value, json};

use super::supervisor::Supervisor;

/// Answer `method` if it is one of these tools; `None` for any other method.
pub fn handle(sup: &Supervisor, method: &str, params: &Value) -> Option<Result<Value, RpcError>> {
    let store = sup.ctx.records.store();
    let p = || params.clone();
    let result = match method {
        cat::KbRemember::NAME => cat::KbRemember::params(p()).and_then(|p| remember(store, &p)),
        cat::KbForget::NAME => cat::KbForget::params(p()).and_then(|p| forget(store, &p)),
        cat::KbSearch::NAME => cat::KbSearch::params(p()).and_then(|p| search(store, &p)),
        cat::KbGet::NAME => cat::KbGet::params(p()).and_then(|p| get(store, &p)),
        cat::KbList::NAME => cat::KbList::params(p()).and_then(|p| list(store, &p)),
        cat::KbImport::NAME => cat::KbImport::params(p()).and_then(|p| import(store, &p)),
        cat::KbGc::NAME => cat::KbGc::params(p()).and_then(|p| gc(store, &p)),
        _ => return None,
    };
    Some(result)
}

use missiond_core::catalogue::encode;

fn invalid(f: InvalidField) -> RpcError {
    RpcError::invalid_params(&f.field, f.reason)
}

fn storage(e: missiond_core::store::StoreError) -> RpcError {
    e.to_rpc()
}

/// The not-found error for `r`, naming the field and the value.
fn not_found(r: &EntryRef) -> RpcError {
    let (field, value) = match r {
        EntryRef::Id(id) => ("id", json!(id)),
        EntryRef::Key(key) => ("key", json!(key)),
    };
    RpcError::invalid_params(
        field,
        format!(
            "no knowledge entry has {r}: mission_kb_search or mission_kb_list show what exists"
        ),
    )
    .with_data(json!({ "field": field, field: value, "reason": "not_found" }))
}

fn filter(
    category: Option<&str>,
    tag: Option<&str>,
    source: Option<&str>,
    include_expired: Option<bool>,
) -> Result<Filter, RpcError> {
    Ok(Filter {
        category: category
            .map(|c| validate::category("category", c))
            .transpose()
            .map_err(invalid)?,
        tag: tag
            .map(|t| validate::tag("tag", t))
            .transpose()
            .map_err(invalid)?,
        source: source.map(validate::source).transpose().map_err(invalid)?,
        include_expired: include_expired.unwrap_or(false),
    })
}

fn remember(store: &Store, p: &cat::KbEntryInput) -> Result<Value, RpcError> {
    let now = now_ms();
    let entry = p.validate(now).map_err(invalid)?;
    let tier = p
        .tier
        .as_deref()
        .map(|t| {
            let t = t.trim().to_ascii_lowercase();
            missiond_core::memory::inject::TIERS
                .contains(&t.as_str())
                .then_some(t)
                .ok_or_else(|| {
                    RpcError::invalid_params("tier", "must be core, important, normal or low")
                })
        })
        .transpose()?;
    let conversation = p
        .conversation
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let (stored, how) = store.kb_remember(&entry, now).map_err(storage)?;
    if tier.is_some() || conversation.is_some() {
        store
            .kb_set_meta(stored.id, tier.as_deref(), conversation)
            .map_err(storage)?;
    }
    encode(cat::KbRememberResult {
        entry: KbEntry::from_entry(stored, now),
        action: how.into(),
    })
}

fn get(store: &Store, p: &cat::KbRefParams) -> Result<Value, RpcError> {
    let r = p.entry_ref().map_err(invalid)?;
    let now = now_ms();
    match store.kb_get(&r, now).map_err(storage)? {
        Some(entry) => encode(cat::KbGetResult {
            entry: KbEntry::from_entry(entry, now),
        }),
        None => Err(not_found(&r)),
    }
}

fn forget(store: &Store, p: &cat::KbRefParams) -> Result<Value, RpcError> {
    let r = p.entry_ref().map_err(invalid)?;
    match store.kb_forget(&r).map_err(storage)? {
        Some(entry) => encode(cat::KbForgetResult {
            forgotten: KbEntrySummary::from_entry(&entry, now_ms()),
        }),
        None => Err(not_found(&r)),
    }
}

fn search(store: &Store, p: &cat::KbSearchParams) -> Result<Value, RpcError> {
    let combine = match p.match_mode.unwrap_or_default() {
        KbMatch::All => Combine::All,
        KbMatch::Any => Combine::Any,
    };
    let fts = kb::query::build(&p.query, combine).map_err(invalid)?;
    let q = SearchQuery {
        fts,
        filter: filter(
            p.category.as_deref(),
            p.tag.as_deref(),
            p.source.as_deref(),
            p.include_expired,
        )?,
        limit: p
            .limit
            .unwrap_or(kb::SEARCH_LIMIT_DEFAULT)
            .clamp(1, kb::SEARCH_LIMIT_MAX),
    };
    let now = now_ms();
    let hits = store.kb_search(&q, now).map_err(storage)?;
    encode(cat::KbSearchResult {
        terms: q.fts.terms,
        results: hits
            .into_iter()
            .map(|h| KbSearchHit {
                entry: KbEntrySummary::from_entry(&h.entry, now),
                snippet: h.snippet,
                score: h.score,
            })
            .collect(),
    })
}

fn list(store: &Store, p: &cat::KbListParams) -> Result<Value, RpcError> {
    let q = ListQuery {
        filter: filter(
            p.category.as_deref(),
            p.tag.as_deref(),
            p.source.as_deref(),
            p.include_expired,
        )?,
        since_id: p.since_id,
        offset: p.offset.unwrap_or(0),
        limit: p
            .limit
            .unwrap_or(kb::LIST_LIMIT_DEFAULT)
            .clamp(1, kb::LIST_LIMIT_MAX),
    };
    let now = now_ms();
    let (entries, total) = store.kb_list(&q, now).map_err(storage)?;
    let end = u64::from(q.offset) + entries.len() as u64;
    let next_offset = (end < total).then(|| u32::try_from(end).unwrap_or(u32::MAX));
    encode(cat::KbListResult {
        entries: entries
            .iter()
            .map(|e| KbEntrySummary::from_entry(e, now))
            .collect(),
        total,
        next_offset,
    })
}

fn import(store: &Store, p: &cat::KbImportParams) -> Result<Value, RpcError> {
    if p.entries.is_empty() || p.entries.len() > kb::IMPORT_MAX {
        return Err(RpcError::invalid_params(
            "entries",
            format!(
                "{} entries given: an import takes 1 to {}",
                p.entries.len(),
                kb::IMPORT_MAX
            ),
        ));
    }
    let now = now_ms();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut entries = Vec::with_capacity(p.entries.len());
    for (i, raw) in p.entries.iter().enumerate() {
        let at = format!("entries[{i}]");
        let entry = raw.validate(now).map_err(|f| invalid(f.within(&at)))?;
        if let Some(key) = &entry.key
            && let Some(first) = seen.insert(key.clone(), i)
        {
            return Err(invalid(InvalidField::new(
                format!("{at}.key"),
                format!("`{key}` is also the key of entries[{first}]: give each key once"),
            )));
        }
        entries.push(entry);
    }
    let counts = store.kb_import(&entries, now).map_err(storage)?;
    encode(cat::KbImportResult {
        created: counts.created,
        updated: counts.updated,
        ids: counts.ids,
    })
}

fn gc(store: &Store, p: &cat::KbGcParams) -> Result<Value, RpcError> {
    let now = now_ms();
    let stale_before = match p.max_age_days {
        None => None,
        Some(days) if days.is_finite() && days > 0.0 && days <= TTL_DAYS_MAX => {
            Some(now - (days * DAY_MS).round() as i64)
        }
        Some(_) => {
            return Err(RpcError::invalid_params(
                "maxAgeDays",
                format!("must be more than 0 and at most {TTL_DAYS_MAX} days"),
            ));
        }
    };
    let policy = GcPolicy {
        stale_before,
        stale_category: p
            .category
            .as_deref()
            .map(|c| validate::category("category", c))
            .transpose()
            .map_err(invalid)?,
        dry_run: p.dry_run.unwrap_or(false),
    };
    let report = store.kb_gc(&policy, now).map_err(storage)?;
    encode(cat::KbGcResult {
        dry_run: policy.dry_run,
        expired: report.expired,
        stale: report.stale,
        removed: report.removed.into_iter().map(KbGcItem::from).collect(),
    })
}
