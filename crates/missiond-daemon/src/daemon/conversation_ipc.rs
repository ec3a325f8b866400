//! IPC routing for the tools of the conversations: argument checks, then the store's
//! queries (see `missiond_core::store` and `conversation_ingest`, which fills it).

use missiond_core::catalogue::{
    self as cat, CONVERSATION_GET_DEFAULT, CONVERSATION_GET_MAX, CONVERSATION_GET_MAX_BYTES,
    CONVERSATION_LIST_DEFAULT, CONVERSATION_LIST_MAX, CONVERSATION_QUERY_MAX_BYTES,
    CONVERSATION_SEARCH_DEFAULT, CONVERSATION_SEARCH_MAX, Tool,
};
use missiond_core::conversations::{
    ConversationQuery, MessageQuery, SearchQuery, Source, TokenQuery, fts_query, parse_instant,
};
use missiond_core::ipc::RpcError;
use missiond_core::store::{Store, StoreError};
use serde_json::Value;

use super::supervisor::Supervisor;

use missiond_core::catalogue::encode;

fn storage(e: StoreError) -> RpcError {
    e.to_rpc()
}

/// Answer `method` if it is one of these tools; `None` for any other method.
pub fn handle(sup: &Supervisor, method: &str, params: &Value) -> Option<Result<Value, RpcError>> {
    let store = sup.ctx.records.store();
    let known = |slot: &str| sup.get(slot).is_ok();
    let result = match method {
        cat::ConversationList::NAME => cat::ConversationList::params(params.clone())
            .and_then(|p| list(store, &known, &p))
            .and_then(encode),
        cat::ConversationGet::NAME => cat::ConversationGet::params(params.clone())
            .and_then(|p| get(store, &p))
            .and_then(encode),
        cat::ConversationSearch::NAME => cat::ConversationSearch::params(params.clone())
            .and_then(|p| search(store, &known, &p))
            .and_then(encode),
        cat::TokenStatsTool::NAME => cat::TokenStatsTool::params(params.clone())
            .and_then(|p| token_stats(store, &known, &p))
            .and_then(encode),
        _ => return None,
    };
    Some(result)
}

/// `limit` defaulted, or an error naming the field when outside 1..=max.
fn limit(value: Option<u32>, default: u32, max: u32) -> Result<u32, RpcError> {
    match value {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(RpcError::invalid_params(
            "limit",
            format!("{n} is outside 1..{max}"),
        )),
    }
}

/// A slot filter: configured in slots.yaml, or known from the records (a slot removed
/// from the configuration keeps its history).
fn slot_filter(
    store: &Store,
    configured: &dyn Fn(&str) -> bool,
    slot: Option<&String>,
) -> Result<Option<String>, RpcError> {
    let Some(slot) = slot else {
        return Ok(None);
    };
    if slot.trim().is_empty() {
        return Err(RpcError::invalid_params("slotId", "must not be empty"));
    }
    if configured(slot) || store.slot_recorded(slot).map_err(storage)? {
        Ok(Some(slot.clone()))
    } else {
        Err(RpcError::unknown_slot(slot))
    }
}

/// A project filter as stored: a path (a session's cwd) becomes Claude Code's folder name
/// for it; a folder name (`-work-demo`) stays.
fn project_filter(project: Option<&str>) -> Result<Option<String>, RpcError> {
    let Some(project) = project.map(str::trim) else {
        return Ok(None);
    };
    if project.is_empty() {
        return Err(RpcError::invalid_params("project", "must not be empty"));
    }
    Ok(Some(if project.contains('/') {
        missiond_core::history::sources::project_slug(project)
    } else {
        project.to_string()
    }))
}

/// The slot of a recorded session, or an error naming `sessionId`.
fn session_slot(store: &Store, session: &str) -> Result<String, RpcError> {
    if session.trim().is_empty() {
        return Err(RpcError::invalid_params("sessionId", "must not be empty"));
    }
    store
        .conversation_slot(session)
        .map_err(storage)?
        .ok_or_else(|| {
            RpcError::invalid_params(
                "sessionId",
                format!(
                    "unknown session `{session}`: no transcript of it was recorded \
                 (mission_conversation_list lists the recorded ones)"
                ),
            )
        })
}

fn list(
    store: &Store,
    configured: &dyn Fn(&str) -> bool,
    p: &cat::ConversationListParams,
) -> Result<cat::ConversationListResult, RpcError> {
    let q = ConversationQuery {
        slot_id: slot_filter(store, configured, p.slot_id.as_ref())?,
        source: p.source.and_then(Source::filter),
        project: project_filter(p.project.as_deref())?,
        limit: limit(p.limit, CONVERSATION_LIST_DEFAULT, CONVERSATION_LIST_MAX)?,
        offset: p.offset.unwrap_or(0),
    };
    let (conversations, total) = store.conversations(&q).map_err(storage)?;
    Ok(cat::ConversationListResult {
        conversations,
        total,
    })
}

fn get(
    store: &Store,
    p: &cat::ConversationGetParams,
) -> Result<cat::ConversationGetResult, RpcError> {
    let slot_id = session_slot(store, &p.session_id)?;
    let since_id = p.since_id.unwrap_or(0);
    if since_id < 0 {
        return Err(RpcError::invalid_params("sinceId", "must be 0 or more"));
    }
    let q = MessageQuery {
        session_id: p.session_id.clone(),
        since_id,
        limit: limit(p.limit, CONVERSATION_GET_DEFAULT, CONVERSATION_GET_MAX)?,
        include_thinking: p.include_thinking.unwrap_or(true),
        include_payloads: p.include_payloads.unwrap_or(true),
        max_bytes: CONVERSATION_GET_MAX_BYTES,
    };
    let (messages, has_more) = store.conversation_messages(&q).map_err(storage)?;
    Ok(cat::ConversationGetResult {
        session_id: p.session_id.clone(),
        slot_id,
        next_since_id: messages.last().map_or(since_id, |m| m.id),
        messages,
        has_more,
    })
}

fn search(
    store: &Store,
    configured: &dyn Fn(&str) -> bool,
    p: &cat::ConversationSearchParams,
) -> Result<cat::ConversationSearchResult, RpcError> {
    if p.query.len() > CONVERSATION_QUERY_MAX_BYTES {
        return Err(RpcError::invalid_params(
            "query",
            format!(
                "{} bytes is longer than the {CONVERSATION_QUERY_MAX_BYTES} allowed",
                p.query.len()
            ),
        ));
    }
    let fts = fts_query(&p.query).ok_or_else(|| {
        RpcError::invalid_params("query", "has no word with a letter or digit to search for")
    })?;
    if let Some(session) = &p.session_id {
        session_slot(store, session)?;
    }
    let q = SearchQuery {
        fts,
        slot_id: slot_filter(store, configured, p.slot_id.as_ref())?,
        source: p.source.and_then(Source::filter),
        project: project_filter(p.project.as_deref())?,
        session_id: p.session_id.clone(),
        kind: p.kind,
        limit: limit(
            p.limit,
            CONVERSATION_SEARCH_DEFAULT,
            CONVERSATION_SEARCH_MAX,
        )?,
        offset: p.offset.unwrap_or(0),
    };
    let hits = store.search_conversations(&q).map_err(storage)?;
    Ok(cat::ConversationSearchResult { hits })
}

fn instant(field: &str, value: Option<&String>) -> Result<Option<i64>, RpcError> {
    value
        .map(|v| {
            parse_instant(v).ok_or_else(|| {
                RpcError::invalid_params(
                    field,
                    format!("`{v}` is not an RFC 3339 time or a YYYY-MM-DD date"),
                )
            })
        })
        .transpose()
}

fn token_stats(
    store: &Store,
    configured: &dyn Fn(&str) -> bool,
    p: &cat::TokenStatsParams,
) -> Result<missiond_core::conversations::TokenStats, RpcError> {
    let since_ms = instant("since", p.since.as_ref())?;
    let until_ms = instant("until", p.until.as_ref())?;
    if let (Some(since), Some(until)) = (since_ms, until_ms)
        && since > until
    {
        return Err(RpcError::invalid_params("until", "is before since"));
    }
    let q = TokenQuery {
        slot_id: slot_filter(store, configured, p.slot_id.as_ref())?,
        source: p.source.and_then(Source::filter),
        project: project_filter(p.project.as_deref())?,
        since_ms,
        until_ms,
    };
    store.token_stats(&q).map_err(storage)
}
