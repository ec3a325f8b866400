//! The configured slots, by id, and what concerns all of them at once (shutdown, a
//! reload of slots.yaml).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use missiond_core::ipc::RpcError;

use super::context::Ctx;
use super::slot::{Slot, SlotSpec};

/// Time a slot gets between SIGTERM and SIGKILL at shutdown and on kill.
pub const KILL_GRACE: Duration = Duration::from_secs(3);

/// Something to start for every slot, present and added later (a watcher, its socket).
type Starter = Arc<dyn Fn(&Arc<Slot>) + Send + Sync>;

/// Every configured slot.
pub struct Supervisor {
    pub ctx: Arc<Ctx>,
    slots: RwLock<BTreeMap<String, Arc<Slot>>>,
    /// Why slots.yaml could not be used at the last load, when it could not.
    config_error: RwLock<Option<String>>,
    starters: Mutex<Vec<Starter>>,
    /// One reload at a time (the file watcher and `mission_reload` may race).
    pub(super) reloading: tokio::sync::Mutex<()>,
    /// What serves the slots' own endpoints, for slots a reload adds.
    pub endpoint_handlers: std::sync::OnceLock<std::sync::Weak<super::handlers::Handlers>>,
}

impl Supervisor {
    /// Slots from their specs (ids are unique: the config loader checks).
    pub fn new(ctx: Arc<Ctx>, specs: Vec<SlotSpec>) -> Self {
        let slots = specs
            .into_iter()
            .map(|spec| (spec.id.clone(), Slot::new(spec, Arc::clone(&ctx))))
            .collect();
        Supervisor {
            ctx,
            slots: RwLock::new(slots),
            config_error: RwLock::new(None),
            starters: Mutex::new(Vec::new()),
            reloading: tokio::sync::Mutex::new(()),
            endpoint_handlers: std::sync::OnceLock::new(),
        }
    }

    /// The slot with this id, or the protocol's unknown-slot error (which names a
    /// broken slots.yaml, when it is broken).
    pub fn get(&self, id: &str) -> Result<Arc<Slot>, RpcError> {
        self.read().get(id).cloned().ok_or_else(|| {
            let error = RpcError::unknown_slot(id);
            match self.config_error() {
                Some(config) => RpcError {
                    message: format!("{}; {config}", error.message),
                    ..error
                },
                None => error,
            }
        })
    }

    /// Every slot, by id (a snapshot: a reload may change the set meanwhile).
    pub fn slots(&self) -> std::vec::IntoIter<Arc<Slot>> {
        self.read()
            .values()
            .cloned()
            .collect::<Vec<_>>()
            .into_iter()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Arc<Slot>>> {
        self.slots.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the set of slots (a reload).
    pub(super) fn replace(&self, slots: BTreeMap<String, Arc<Slot>>) {
        *self.slots.write().unwrap_or_else(|e| e.into_inner()) = slots;
    }

    /// Why slots.yaml could not be used, when it could not.
    pub fn config_error(&self) -> Option<String> {
        self.config_error
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Records the outcome of loading slots.yaml.
    pub fn set_config_error(&self, error: Option<String>) {
        *self.config_error.write().unwrap_or_else(|e| e.into_inner()) = error;
    }

    /// Runs `start` for every slot now and for every slot a reload adds later.
    pub fn on_each_slot(&self, start: impl Fn(&Arc<Slot>) + Send + Sync + 'static) {
        let start: Starter = Arc::new(start);
        for slot in self.slots() {
            start(&slot);
        }
        self.starters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(start);
    }

    /// Runs every registered starter for a slot new to the set.
    pub(super) fn started(&self, slot: &Arc<Slot>) {
        let starters = self
            .starters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for start in starters {
            start(slot);
        }
    }

    /// End every running slot's process group, all at once.
    pub async fn shutdown(&self) {
        self.ctx.begin_shutdown();
        stop_all(self.slots()).await;
    }
}

/// Ends these slots' processes, all at once (a slot not running is no error).
pub async fn stop_all(slots: impl IntoIterator<Item = Arc<Slot>>) {
    let mut kills = tokio::task::JoinSet::new();
    for slot in slots {
        kills.spawn(async move {
            super::lifecycle::cancel_restart(&slot);
            if let Err(e) = slot.kill(KILL_GRACE).await
                && e.kind() != Some(missiond_core::ipc::ErrorCode::SlotNotRunning)
            {
                tracing::warn!(slot = %slot.spec.id, "stopping the slot: {e}");
            }
        });
    }
    while kills.join_next().await.is_some() {}
}
