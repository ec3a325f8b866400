//! The one place to hook "new messages were appended to a conversation": both the slots'
//! follower (`conversation_ingest`) and the sessions watcher (`cc_watch`) store new
//! transcript lines through `conversation_ingest::read_new`, which calls every hook
//! registered here after the messages are committed to the store. Memory extraction and
//! anything else that wants each new message register with [`on_appended`].

use std::sync::{Arc, RwLock};

use missiond_core::conversations::{NewMessage, TranscriptFile};

/// What was just stored.
pub struct Appended<'a> {
    /// The transcript, with the offset after the new lines (its `slot_id` is empty for
    /// a session the daemon did not start).
    pub file: &'a TranscriptFile,
    /// The messages of the new lines (some may have been stored before, on a re-read of
    /// a replaced file).
    pub messages: &'a [NewMessage],
    /// How many of them were new to the store.
    pub added: usize,
}

/// A hook; it runs on the ingesting thread, so it must be quick (hand heavy work on).
pub type Hook = Arc<dyn Fn(&Appended<'_>) + Send + Sync>;

static HOOKS: RwLock<Vec<Hook>> = RwLock::new(Vec::new());

/// Calls `hook` after every batch of new messages stored, from now on.
pub fn on_appended(hook: impl Fn(&Appended<'_>) + Send + Sync + 'static) {
    HOOKS
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .push(Arc::new(hook));
}

/// Runs every hook (a panicking hook is caught and logged, never stops ingestion).
pub(super) fn emit(appended: &Appended<'_>) {
    let hooks: Vec<Hook> = HOOKS.read().unwrap_or_else(|e| e.into_inner()).clone();
    for hook in hooks {
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(appended))).is_err() {
            tracing::error!(session = %appended.file.session_id, "a conversation hook panicked");
        }
    }
}
