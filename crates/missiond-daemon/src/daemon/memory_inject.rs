//! The `UserPromptSubmit` answer: context added in front of a slot's prompt.
//!
//! Two things go in: answers to the slot's own questions not yet delivered (see
//! `question_delivery`), and the knowledge entries most relevant to the prompt (FTS
//! over its words, the role's categories from `memory.yaml`, within the size budget).
//! Each injection is logged (`kb_injections`: slot, conversation, turn, entries) and
//! counts a hit on every entry. Roles and slots can be left out (`injection.offRoles`,
//! `offSlots`; `enabled: false` turns it off everywhere). Nothing here may fail a
//! prompt: on any error the prompt goes without context.

use missiond_core::memory::config::MemoryConfig;
use missiond_core::memory::inject::{PROMPT_HEADER, prompt_query, render_context};
use missiond_core::store::Store;
use missiond_core::time::now_ms;
use serde_json::{Value, json};

use super::hooks::HookEvent;
use super::slot::Slot;

/// The hook's answer for `event` (a `UserPromptSubmit` of `slot`): `{}` or
/// `{"additionalContext": "..."}`.
pub fn on_prompt(home: &std::path::Path, store: &Store, slot: &Slot, event: &HookEvent) -> Value {
    let prompt = event.field("prompt").unwrap_or_default();
    let session = event.field("session_id");
    let mut parts = Vec::new();
    if let Some(answers) = super::question_delivery::for_prompt(store, &slot.spec.id) {
        parts.push(answers);
    }
    let config = MemoryConfig::load(home).unwrap_or_default();
    if let Some(knowledge) = knowledge(&config, store, slot, session, prompt) {
        parts.push(knowledge);
    }
    if parts.is_empty() {
        return json!({});
    }
    json!({ "additionalContext": parts.join("\n\n") })
}

/// The knowledge block for `prompt`, logged; `None` when off or nothing matches.
fn knowledge(
    config: &MemoryConfig,
    store: &Store,
    slot: &Slot,
    session: Option<&str>,
    prompt: &str,
) -> Option<String> {
    let (id, role) = (slot.spec.id.as_str(), slot.spec.config.role.as_str());
    let injection = &config.injection;
    if !injection.applies_to(id, role) {
        return None;
    }
    let query = prompt_query(prompt)?;
    let now = now_ms();
    let found = store
        .kb_relevant(
            &query,
            injection.categories_for(role),
            injection.max_entries,
            now,
        )
        .map_err(|e| tracing::warn!(slot = id, "knowledge for a prompt: {e}"))
        .ok()?;
    let (text, ids) = render_context(PROMPT_HEADER, &found, injection.max_bytes);
    if ids.is_empty() {
        return None;
    }
    let text = super::secrets::scrub(&text).into_owned();
    if let Err(e) = store.kb_record_injection(id, session, prompt, "prompt", &ids, text.len(), now)
    {
        tracing::warn!(slot = id, "logging a knowledge injection: {e}");
    }
    tracing::info!(slot = id, entries = ?ids, bytes = text.len(), "knowledge injected into a prompt");
    Some(text)
}
