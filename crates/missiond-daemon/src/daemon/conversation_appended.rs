//! The one place to hook "new messages were appended to a conversation": both the slots'
//! follower (`conversation_ingest`) and the sessions watcher (`cc_watch`) store new
//! transcript lines through `conversation_ingest::read_new`, which calls every hook
//! registered here after the messages are committed to the store. Memory extraction and
//! anything else that wants each new message register with [`on_appended`].

use std::sync::{Arc, RwLock};

use missiond_core::conversations::{NewMessage, TranscriptFile};

/// What was just stored.
// The extension point for memory extraction (another area's work): no caller reads these
// in the daemon yet.
#[allow(dead_code)]
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
#[allow(dead_code)]
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use missiond_core::store::Store;

    use super::super::conversation_ingest::{Followed, read_new};
    use super::*;

    #[test]
    fn hooks_hear_each_batch_once_with_what_was_new_even_after_a_panicking_hook() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hooked-session.jsonl");
        let heard = Arc::new(AtomicUsize::new(0));
        let h = Arc::clone(&heard);
        on_appended(|a| {
            if a.file.session_id == "boom-session" {
                panic!("a bad hook");
            }
        });
        on_appended(move |a| {
            if a.file.session_id == "hooked-session" {
                assert_eq!(a.messages.len(), a.added);
                h.fetch_add(a.added, Ordering::SeqCst);
            }
        });
        let store = Store::open(&dir.path().join("m.db")).unwrap();
        let line = |uuid: &str| {
            format!(r#"{{"type":"user","uuid":"{uuid}","message":{{"content":"hi {uuid}"}}}}"#)
        };
        std::fs::write(&path, format!("{}\n{}\n", line("a"), line("b"))).unwrap();
        let file = |session: &str, path: &std::path::Path| TranscriptFile {
            path: path.to_string_lossy().into_owned(),
            session_id: session.into(),
            slot_id: "".into(),
            offset: 0,
            config_dir: None,
            project: None,
        };
        let mut f = Followed::new(file("hooked-session", &path));
        assert_eq!(read_new(&store, &path, &mut f), 2);
        assert_eq!(read_new(&store, &path, &mut f), 0);
        assert_eq!(heard.load(Ordering::SeqCst), 2);
        let boom = dir.path().join("boom-session.jsonl");
        std::fs::write(&boom, format!("{}\n", line("c"))).unwrap();
        let mut b = Followed::new(file("boom-session", &boom));
        assert_eq!(read_new(&store, &boom, &mut b), 1);
    }
}
