//! IPC routing for the memory tools (`missiond_core::catalogue::memory`): the memory
//! slot's `mission_memory_pending` / `mission_memory_done` (their caller is filled in by
//! the slot's endpoint), and the orchestrator's pause, resume, status and deep pass.
//! Text handed out is scrubbed of the secrets the daemon knows, whatever stored it.

use missiond_core::catalogue::{
    self as cat, MEMORY_PAUSE_MAX_MINUTES, MEMORY_PENDING_MAX, MEMORY_ROLE, MemoryDoneItem,
    MemoryDoneResult, MemoryItemInfo, MemoryPendingResult, MemoryStatusResult, Tool, encode,
};
use missiond_core::ipc::RpcError;
use missiond_core::memory::config::MemoryConfig;
use missiond_core::memory::inject::{
    INSTRUCTIONS_ENTRIES_MAX, INSTRUCTIONS_HEADER, INSTRUCTIONS_METHOD, render_context,
};
use missiond_core::memory::{MemoryItem, TOTAL_BYTES_DEFAULT, TakeLimits};
use missiond_core::store::{Store, StoreError};
use missiond_core::time::{now_ms, rfc3339_ms};
use serde_json::Value;

use super::supervisor::Supervisor;

/// Answer `method` if it is one of these tools; `None` for any other method.
pub fn handle(sup: &Supervisor, method: &str, params: &Value) -> Option<Result<Value, RpcError>> {
    let store = sup.ctx.records.store();
    let p = || params.clone();
    let result = match method {
        cat::MemoryPending::NAME => {
            cat::MemoryPending::params(p()).and_then(|p| pending(sup, store, &p))
        }
        cat::MemoryDone::NAME => cat::MemoryDone::params(p()).and_then(|p| done(store, &p)),
        cat::MemoryPause::NAME => cat::MemoryPause::params(p()).and_then(|p| {
            if !(p.ttl_minutes > 0.0 && p.ttl_minutes <= MEMORY_PAUSE_MAX_MINUTES) {
                return Err(RpcError::invalid_params(
                    "ttlMinutes",
                    format!(
                        "must be above 0 and at most {MEMORY_PAUSE_MAX_MINUTES} (a week), got {}",
                        p.ttl_minutes
                    ),
                ));
            }
            let until = now_ms() + (p.ttl_minutes * 60_000.0) as i64;
            store.memory_pause(until).map_err(storage)?;
            tracing::info!(until = %rfc3339_ms(until), "memory extraction paused");
            status(sup, store)
        }),
        cat::MemoryResume::NAME => cat::MemoryResume::params(p()).and_then(|_| {
            store.memory_resume().map_err(storage)?;
            tracing::info!("memory extraction resumed");
            super::memory_driver::wake();
            status(sup, store)
        }),
        cat::MemoryStatus::NAME => cat::MemoryStatus::params(p()).and_then(|_| status(sup, store)),
        cat::MemoryDeep::NAME => cat::MemoryDeep::params(p()).and_then(|p| {
            let now = now_ms();
            let queued = store
                .memory_queue_deep(i64::MAX, p.conversation.as_deref(), now)
                .map_err(storage)?;
            super::memory_driver::wake();
            encode(cat::MemoryDeepResult {
                queued,
                counts: store.memory_counts().map_err(storage)?,
            })
        }),
        INSTRUCTIONS_METHOD => instructions(sup, store),
        _ => return None,
    };
    Some(result)
}

/// The knowledge for mission-mcp's server instructions: the most important entries
/// (tier, then hits), within `injection.instructionsBytes`; logged like an injection.
fn instructions(sup: &Supervisor, store: &Store) -> Result<Value, RpcError> {
    let config = MemoryConfig::load(&sup.ctx.home).unwrap_or_default();
    let budget = config.injection.instructions_bytes;
    if !config.injection.enabled || budget == 0 {
        return Ok(serde_json::json!({ "text": "" }));
    }
    let now = now_ms();
    let top = store
        .kb_top(INSTRUCTIONS_ENTRIES_MAX, now)
        .map_err(storage)?;
    let (text, ids) = render_context(INSTRUCTIONS_HEADER, &top, budget);
    let text = super::secrets::scrub(&text).into_owned();
    if !ids.is_empty() {
        store
            .kb_record_injection(
                "orchestrator",
                None,
                "instructions",
                "instructions",
                &ids,
                text.len(),
                now,
            )
            .map_err(storage)?;
    }
    Ok(serde_json::json!({ "text": text }))
}

fn storage(e: StoreError) -> RpcError {
    e.to_rpc()
}

fn caller(slot: &Option<String>) -> Result<&str, RpcError> {
    slot.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| {
        RpcError::invalid_params(
            "slotId",
            "name the memory slot taking the work (a memory slot's own mission server \
             fills it in)",
        )
    })
}

/// The limits of one hand-out: the caller's, within the configured lease and bounds.
fn limits(config: &MemoryConfig, p: &cat::MemoryPendingParams) -> TakeLimits {
    let total = p.max_bytes.map_or(TOTAL_BYTES_DEFAULT, |b| {
        (b as usize).clamp(1024, missiond_core::memory::TOTAL_BYTES_MAX)
    });
    let defaults = TakeLimits::default();
    TakeLimits {
        max_items: p
            .limit
            .unwrap_or(defaults.max_items)
            .clamp(1, MEMORY_PENDING_MAX),
        max_item_bytes: defaults.max_item_bytes.min(total),
        max_total_bytes: total,
        lease_ms: config.lease_ms(),
        max_attempts: config.extraction.max_attempts,
    }
}

fn pending(
    sup: &Supervisor,
    store: &Store,
    p: &cat::MemoryPendingParams,
) -> Result<Value, RpcError> {
    let slot = caller(&p.slot_id)?;
    let config = MemoryConfig::load(&sup.ctx.home).unwrap_or_default();
    let now = now_ms();
    let items = store
        .memory_take(slot, &limits(&config, p), now)
        .map_err(storage)?;
    if !items.is_empty() {
        tracing::info!(slot, items = items.len(), "memory items handed out");
    }
    encode(MemoryPendingResult {
        items: items.into_iter().map(info).collect(),
        paused_until: store
            .memory_paused_until(now)
            .map_err(storage)?
            .map(rfc3339_ms),
        remaining: store.memory_counts().map_err(storage)?.pending(),
    })
}

fn info(item: MemoryItem) -> MemoryItemInfo {
    MemoryItemInfo {
        id: item.id,
        kind: item.kind,
        conversation: item.session_id,
        slot_id: item.slot_id,
        first_message_id: item.first_message_id,
        last_message_id: item.last_message_id,
        messages: item.messages,
        bytes: item.bytes,
        attempts: item.attempts,
        lease_until: item.lease_until.map(rfc3339_ms),
        text: super::secrets::scrub(&item.text).into_owned(),
        text_truncated: item.text_truncated,
    }
}

fn done(store: &Store, p: &cat::MemoryDoneParams) -> Result<Value, RpcError> {
    let slot = caller(&p.slot_id)?;
    if p.ids.is_empty() || p.ids.len() > 100 {
        return Err(RpcError::invalid_params(
            "ids",
            format!("give 1 to 100 item ids, got {}", p.ids.len()),
        ));
    }
    let note = p
        .note
        .as_deref()
        .map(|n| super::secrets::scrub(n).into_owned());
    let results = store
        .memory_done(slot, &p.ids, note.as_deref(), now_ms())
        .map_err(storage)?;
    tracing::info!(slot, ids = ?p.ids, "memory items finished");
    encode(MemoryDoneResult {
        results: results
            .into_iter()
            .map(|(id, outcome)| MemoryDoneItem { id, outcome })
            .collect(),
        remaining: store.memory_counts().map_err(storage)?.pending(),
    })
}

fn status(sup: &Supervisor, store: &Store) -> Result<Value, RpcError> {
    let config = MemoryConfig::load(&sup.ctx.home).unwrap_or_default();
    encode(MemoryStatusResult {
        counts: store.memory_counts().map_err(storage)?,
        paused_until: store
            .memory_paused_until(now_ms())
            .map_err(storage)?
            .map(rfc3339_ms),
        memory_slots: memory_slots(sup),
        driving: config.extraction.enabled,
    })
}

/// The configured slots whose role is `memory`.
pub fn memory_slots(sup: &Supervisor) -> Vec<String> {
    sup.slots()
        .filter(|s| s.spec.config.role == MEMORY_ROLE)
        .map(|s| s.spec.id.clone())
        .collect()
}
