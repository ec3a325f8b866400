//! The live state of every Claude Code session: status files, transcripts' last
//! activity, task lists. Refreshed by the watcher; read by the `mission_cc_*` tools.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::super::supervisor::Supervisor;

/// The live state.
pub struct Live {
    sup: Arc<Supervisor>,
}

impl Live {
    /// Empty until the first refresh.
    pub fn new(sup: Arc<Supervisor>) -> Live {
        Live { sup }
    }

    /// The session ids of the slots' current runs, with their slots.
    pub fn slot_sessions(&self) -> HashMap<String, String> {
        self.sup
            .slots()
            .filter_map(|slot| {
                let inner = slot.lock();
                let id = inner.run.as_ref()?.session_id.clone()?;
                Some((id, slot.spec.id.clone()))
            })
            .collect()
    }

    /// Reads the status files and task lists under `roots`.
    pub fn refresh(&mut self, _roots: &[PathBuf]) {}
}
