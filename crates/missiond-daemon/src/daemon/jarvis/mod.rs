//! The log center in the daemon: a tracing layer that turns every kept event into a
//! [`Record`] with its request id, cause and slot (taken from the enclosing spans), a
//! writer thread that stores them in batches, and the query tools.
//!
//! The daemon never waits for its log: events go through a bounded channel and are
//! counted and dropped when it is full (`dropped` in the query results).
//!
//! - [`layer`]: events to records.
//! - [`writer`]: the thread that writes and rotates.
//! - [`causes`]: which request a slot's current turn belongs to (for hook events).
//! - [`tools`]: `mission_jarvis_logs`, `mission_jarvis_trace`.

pub mod causes;
pub mod layer;
pub mod tools;
pub mod writer;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use missiond_core::jarvis::{JarvisStore, Record};

/// The running log center.
pub struct Center {
    /// The file (queries read it; the writer thread writes it).
    pub store: Arc<JarvisStore>,
    /// Events dropped because the writer fell behind.
    pub dropped: AtomicU64,
    sender: std::sync::mpsc::SyncSender<Record>,
}

impl Center {
    /// Queues `record` for the writer; never blocks.
    pub fn offer(&self, record: Record) {
        if self.sender.try_send(record).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

static CENTER: OnceLock<Arc<Center>> = OnceLock::new();
/// Why the log center is off, when it could not start.
static PROBLEM: OnceLock<String> = OnceLock::new();

/// Why the log center is off (for `mission_health` and the query tools' errors).
pub fn problem() -> Option<&'static str> {
    PROBLEM.get().map(String::as_str)
}

/// The log center, once [`start`] ran.
pub fn center() -> Option<&'static Arc<Center>> {
    CENTER.get()
}

/// Opens the store and starts the writer; the error says why the log center is off
/// (the daemon runs on without it).
pub fn start(home: &std::path::Path) -> Result<Arc<Center>, String> {
    open(home).inspect_err(|e| {
        let _ = PROBLEM.set(format!("the log center is off: {e}"));
    })
}

fn open(home: &std::path::Path) -> Result<Arc<Center>, String> {
    let path = missiond_core::jarvis::db_path(home);
    let store = Arc::new(JarvisStore::open(&path).map_err(|e| e.to_string())?);
    let limits = writer::limits_from_env()?;
    let (sender, receiver) = std::sync::mpsc::sync_channel(writer::QUEUE);
    let center = Arc::new(Center {
        store: store.clone(),
        dropped: AtomicU64::new(0),
        sender,
    });
    writer::spawn(store, receiver, limits).map_err(|e| format!("starting the log writer: {e}"))?;
    let _ = CENTER.set(center.clone());
    Ok(center)
}

/// The span of one call: its slot (when the params name one) for every event inside.
/// A call that drives a slot (not read-only) makes the request that slot's cause, so
/// the hooks of the turn it starts are traced to it. Logs the call's start.
pub fn call_span(method: &str, params: &serde_json::Value) -> tracing::Span {
    let slot = params.get("slotId").and_then(|v| v.as_str());
    let drives =
        missiond_core::catalogue::find(method).is_some_and(|t| !t.annotations.read_only_hint);
    if let (Some(slot), true, Some(id)) =
        (slot, drives, missiond_core::jarvis::request_id::current())
    {
        causes::set(slot, &id);
    }
    let span = match slot {
        Some(slot) => tracing::error_span!("call", slot = %slot),
        None => tracing::error_span!("call"),
    };
    if method != hooks_method() {
        span.in_scope(|| tracing::info!(%method, "call"));
    }
    span
}

fn hooks_method() -> &'static str {
    super::hooks::HOOK_METHOD
}

/// Logs the end of a call: ok or its error, and how long it took.
pub fn call_done(
    method: &str,
    started: std::time::Instant,
    outcome: &Result<serde_json::Value, missiond_core::ipc::RpcError>,
) {
    let ms = started.elapsed().as_millis() as u64;
    match outcome {
        Ok(_) if method == hooks_method() => {}
        Ok(_) => tracing::info!(%method, ms, "call done"),
        Err(e) => tracing::warn!(%method, ms, code = e.code, error = %e.message, "call failed"),
    }
}

/// The span of a hook event from slot `slot`: it carries the request that started the
/// slot's current turn as `cause_id`. Logs the event.
pub fn hook_span(slot: &str, event: &str) -> tracing::Span {
    let span = match causes::get(slot) {
        Some(cause) => tracing::error_span!("hook", slot = %slot, cause_id = %cause),
        None => tracing::error_span!("hook", slot = %slot),
    };
    span.in_scope(|| tracing::info!(hook = %event, "hook event"));
    span
}

/// Notes that the request being served submitted `task` (see [`task_span`]).
pub fn task_submitted(task: &str) {
    if let Some(id) = missiond_core::jarvis::request_id::current() {
        causes::set_task(task, &id);
    }
}

/// The span of a task's run on `slot`: the request that submitted the task is its
/// cause, and becomes the slot's cause for the hooks of the run.
pub fn task_span(task: &str, slot: &str) -> tracing::Span {
    match causes::task(task) {
        Some(cause) => {
            causes::set(slot, &cause);
            tracing::error_span!("task", task = %task, slot = %slot, cause_id = %cause)
        }
        None => tracing::error_span!("task", task = %task, slot = %slot),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(JarvisStore::open(&dir.path().join("j.db")).unwrap());
        // No writer drains this queue of two: the third and later offers must not block.
        let (sender, _receiver) = std::sync::mpsc::sync_channel(2);
        let center = Center {
            store,
            dropped: AtomicU64::new(0),
            sender,
        };
        for i in 0..5 {
            center.offer(Record {
                time_ms: i,
                level: 2,
                target: "t".into(),
                message: format!("m{i}"),
                request_id: None,
                cause_id: None,
                slot_id: None,
                fields: Default::default(),
            });
        }
        assert_eq!(center.dropped.load(Ordering::Relaxed), 3);
    }
}
