//! The configured slots, by id, and what concerns all of them at once (shutdown).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use missiond_core::ipc::RpcError;

use super::context::Ctx;
use super::slot::{Slot, SlotSpec};

/// Time a slot gets between SIGTERM and SIGKILL at shutdown and on kill.
pub const KILL_GRACE: Duration = Duration::from_secs(3);

/// Every configured slot.
pub struct Supervisor {
    pub ctx: Arc<Ctx>,
    slots: BTreeMap<String, Arc<Slot>>,
}

impl Supervisor {
    /// Slots from their specs (ids are unique: the config loader checks).
    pub fn new(ctx: Arc<Ctx>, specs: Vec<SlotSpec>) -> Self {
        let slots = specs
            .into_iter()
            .map(|spec| (spec.id.clone(), Slot::new(spec, Arc::clone(&ctx))))
            .collect();
        Supervisor { ctx, slots }
    }

    /// The slot with this id, or the protocol's unknown-slot error.
    pub fn get(&self, id: &str) -> Result<&Arc<Slot>, RpcError> {
        self.slots.get(id).ok_or_else(|| RpcError::unknown_slot(id))
    }

    /// Every slot, by id.
    pub fn slots(&self) -> impl Iterator<Item = &Arc<Slot>> {
        self.slots.values()
    }

    /// End every running slot's process group, all at once.
    pub async fn shutdown(&self) {
        self.ctx.begin_shutdown();
        let mut kills = tokio::task::JoinSet::new();
        for slot in self.slots.values().cloned() {
            kills.spawn(async move {
                if let Err(e) = slot.kill(KILL_GRACE).await
                    && e.kind() != Some(missiond_core::ipc::ErrorCode::SlotNotRunning)
                {
                    tracing::warn!(slot = %slot.spec.id, "stopping the slot: {e}");
                }
            });
        }
        while kills.join_next().await.is_some() {}
    }
}
