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

/// Requests that submitted tasks (task id to request id).
static BY_TASK: LazyLock<Mutex<HashMap<String, String>>> = LazyLock::new(Default::default);
/// Tasks remembered at most; the oldest are forgotten first (a bound, not a policy).
const MAX_TASKS: usize = 10_000;

/// Task `task` was submitted by request `request_id`.
pub fn set_task(task: &str, request_id: &str) {
    let mut map = BY_TASK.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= MAX_TASKS {
        map.clear();
    }
    map.insert(task.to_string(), request_id.to_string());
}

/// The request that submitted `task` (kept for its retries).
pub fn task(task: &str) -> Option<String> {
    BY_TASK
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(task)
        .cloned()
}
