//! Which request a slot is working for: set when a call that drives the slot starts,
//! read when the slot's hooks report, so a hook's entries name the call that caused
//! them (`causeId`), and `mission_jarvis_trace` of that call shows them.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

static BY_SLOT: LazyLock<Mutex<HashMap<String, String>>> = LazyLock::new(Default::default);

/// Slot `slot` now works for request `request_id`.
pub fn set(slot: &str, request_id: &str) {
    BY_SLOT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(slot.to_string(), request_id.to_string());
}

/// The request slot `slot` last worked for.
pub fn get(slot: &str) -> Option<String> {
    BY_SLOT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(slot)
        .cloned()
}
