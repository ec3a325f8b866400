//! Drives the memory slots (role `memory`): when conversation pieces wait in the memory
//! queue and a memory slot is free, prompt it (with `memory-prompt.md` from
//! `MISSIOND_HOME`, or the built-in prompt) to take them with `mission_memory_pending`.
//!
//! Decisions:
//! - **Off the working slots' path.** Items are queued as transcripts are stored; this
//!   loop only ever types into memory slots, so extraction never slows a working slot.
//! - **Leases come back.** When a memory turn ends (finished, failed, timed out and
//!   interrupted, or its process died) the items it still holds return to the queue;
//!   so do the items of a memory slot that is not running, and expired leases. An item
//!   out of attempts fails instead of looping.
//! - **No busy loop.** A memory turn that finished nothing makes the next prompt wait
//!   longer (doubling, up to [`BACKOFF_MAX`]).
//! - **A stopped memory slot is started** when work waits (at most once per
//!   [`START_BACKOFF`]); pause extraction or set `extraction.enabled: false` to keep it
//!   down.
//! - **Deep passes** run every `extraction.deepEveryMinutes` over conversations quiet
//!   for `deepQuietMinutes`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use missiond_core::catalogue::{MEMORY_ROLE, PtySendParams};
use missiond_core::memory::config::{MemoryConfig, memory_prompt};
use missiond_core::store::Store;
use missiond_core::time::now_ms;
use tokio::sync::Notify;

use super::slot::Slot;
use super::supervisor::Supervisor;

/// Longest wait between two looks at the queue.
const TICK: Duration = Duration::from_secs(5);
/// Least time between two starts of a stopped memory slot.
const START_BACKOFF: Duration = Duration::from_secs(60);
/// Longest wait after memory turns that finished nothing.
const BACKOFF_MAX: Duration = Duration::from_secs(600);

static WAKE: LazyLock<Notify> = LazyLock::new(Notify::new);

/// Look at the queue soon (after a resume, a deep pass asked for, a turn ended).
pub fn wake() {
    WAKE.notify_one();
}

/// Start driving (call once, inside the runtime).
pub fn start(sup: &Arc<Supervisor>) {
    let sup = Arc::clone(sup);
    tokio::spawn(async move {
        let mut driver = Driver::new();
        while !sup.ctx.is_shutting_down() {
            driver.tick(&sup);
            tokio::select! {
                _ = WAKE.notified() => {}
                _ = tokio::time::sleep(TICK) => {}
            }
        }
    });
}

/// How one memory slot has fared.
#[derive(Default)]
struct SlotBook {
    /// When its last memory turn ended, and how many in a row finished nothing.
    last_end: Option<Instant>,
    idle_turns: u32,
    /// When it was last started by this driver.
    started: Option<Instant>,
}

struct Driver {
    /// Memory slots with a memory turn in progress.
    running: Arc<Mutex<HashSet<String>>>,
    books: Arc<Mutex<HashMap<String, SlotBook>>>,
    extractors: Option<Vec<String>>,
    last_deep: Instant,
    config_error: Option<String>,
}

impl Driver {
    fn new() -> Driver {
        Driver {
            running: Arc::default(),
            books: Arc::default(),
            extractors: None,
            last_deep: Instant::now(),
            config_error: None,
        }
    }

    fn config(&mut self, sup: &Supervisor) -> MemoryConfig {
        match MemoryConfig::load(&sup.ctx.home) {
            Ok(config) => {
                self.config_error = None;
                config
            }
            Err(e) => {
                if self.config_error.as_ref() != Some(&e) {
                    tracing::warn!("memory.yaml: {e}; using the defaults");
                    self.config_error = Some(e);
                }
                MemoryConfig::default()
            }
        }
    }

    fn tick(&mut self, sup: &Arc<Supervisor>) {
        super::question_delivery::wake_idle(sup);
        let config = self.config(sup);
        let store = sup.ctx.records.shared_store();
        let now = now_ms();
        let slots: Vec<Arc<Slot>> = sup
            .slots()
            .filter(|s| s.spec.claude && s.spec.config.role == MEMORY_ROLE)
            .collect();
        let ids: Vec<String> = slots.iter().map(|s| s.spec.id.clone()).collect();
        if self.extractors.as_ref() != Some(&ids) {
            match store.memory_set_extractors(&ids) {
                Ok(()) => self.extractors = Some(ids),
                Err(e) => tracing::warn!("memory: {e}"),
            }
        }
        let attempts = config.extraction.max_attempts;
        if let Err(e) = store.memory_expire_leases(now, attempts) {
            tracing::warn!("memory: {e}");
        }
        let every = config.extraction.deep_every_minutes;
        if every > 0.0 && self.last_deep.elapsed().as_secs_f64() >= every * 60.0 {
            self.last_deep = Instant::now();
            let quiet = (config.extraction.deep_quiet_minutes * 60_000.0) as i64;
            match store.memory_queue_deep(now - quiet, None, now) {
                Ok(ids) if !ids.is_empty() => {
                    tracing::info!(items = ids.len(), "conversations queued for a deep pass")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!("memory: deep pass: {e}"),
            }
        }
        let running = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for slot in &slots {
            let id = &slot.spec.id;
            if !running.contains(id) && !alive(slot) {
                release(&store, id, "the memory slot is not running", attempts);
            }
        }
        if !config.extraction.enabled {
            return;
        }
        match store.memory_paused_until(now) {
            Ok(None) => {}
            Ok(Some(_)) => return,
            Err(e) => {
                tracing::warn!("memory: {e}");
                return;
            }
        }
        let pending = match store.memory_counts() {
            Ok(c) => c.pending(),
            Err(e) => {
                tracing::warn!("memory: {e}");
                return;
            }
        };
        if pending == 0 {
            return;
        }
        for slot in slots {
            let id = slot.spec.id.clone();
            if running.contains(&id) {
                continue;
            }
            let mut books = self.books.lock().unwrap_or_else(|e| e.into_inner());
            let book = books.entry(id.clone()).or_default();
            if !alive(&slot) {
                if book.started.is_none_or(|at| at.elapsed() >= START_BACKOFF) {
                    book.started = Some(Instant::now());
                    match slot.spawn() {
                        Ok(_) => tracing::info!(slot = %id, "memory slot started: work waits"),
                        Err(e) => {
                            tracing::warn!(slot = %id, "starting the memory slot: {}", e.message)
                        }
                    }
                }
                continue;
            }
            let wait = backoff(book.idle_turns);
            if book.last_end.is_some_and(|at| at.elapsed() < wait)
                || !super::dispatch::is_free(&slot)
            {
                continue;
            }
            drop(books);
            self.launch(sup, slot, &config, Arc::clone(&store));
        }
    }

    /// Runs one memory turn on `slot` in the background.
    fn launch(
        &self,
        sup: &Arc<Supervisor>,
        slot: Arc<Slot>,
        config: &MemoryConfig,
        store: Arc<Store>,
    ) {
        let id = slot.spec.id.clone();
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone());
        let (prompt, file) = memory_prompt(&sup.ctx.home);
        let timeout_ms = (config.extraction.turn_timeout_minutes * 60_000.0) as u64;
        let attempts = config.extraction.max_attempts;
        let running = Arc::clone(&self.running);
        let books = Arc::clone(&self.books);
        tracing::info!(slot = %id, prompt = ?file, "memory slot prompted");
        tokio::spawn(async move {
            let finished_before = finished(&store);
            let params = PtySendParams {
                slot_id: id.clone(),
                message: prompt,
                timeout_ms: Some(timeout_ms.max(1)),
            };
            match super::pty_tools::send(&slot, params).await {
                Ok(result) => {
                    tracing::info!(slot = %id, state = %result.state, "memory turn ended")
                }
                Err(e) => {
                    tracing::warn!(slot = %id, "memory turn: {}", e.message);
                    if e.kind() == Some(missiond_core::ipc::ErrorCode::Timeout) {
                        let _ = slot.interrupt();
                    }
                }
            }
            release(
                &store,
                &id,
                "the memory turn ended without mission_memory_done",
                attempts,
            );
            let progressed = finished(&store) > finished_before;
            {
                let mut books = books.lock().unwrap_or_else(|e| e.into_inner());
                let book = books.entry(id.clone()).or_default();
                book.last_end = Some(Instant::now());
                book.idle_turns = if progressed { 0 } else { book.idle_turns + 1 };
            }
            running
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
            wake();
        });
    }
}

/// The wait before the next memory turn after `idle` turns that finished nothing.
fn backoff(idle: u32) -> Duration {
    if idle == 0 {
        return Duration::ZERO;
    }
    (TICK * 2u32.saturating_pow(idle.min(10))).min(BACKOFF_MAX)
}

fn alive(slot: &Slot) -> bool {
    slot.lock().run.as_ref().is_some_and(|r| r.is_alive())
}

/// Items done or given up so far.
fn finished(store: &Store) -> u64 {
    store
        .memory_counts()
        .map(|c| c.done + c.failed)
        .unwrap_or(0)
}

fn release(store: &Store, slot: &str, reason: &str, attempts: u32) {
    match store.memory_release(slot, reason, attempts, now_ms()) {
        Ok(0) => {}
        Ok(n) => tracing::info!(slot, items = n, reason, "memory items back in the queue"),
        Err(e) => tracing::warn!(slot, "memory: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_turns_back_off_up_to_a_limit() {
        assert_eq!(backoff(0), Duration::ZERO);
        assert_eq!(backoff(1), TICK * 2);
        assert!(backoff(3) > backoff(2));
        assert_eq!(backoff(50), BACKOFF_MAX);
    }
}
