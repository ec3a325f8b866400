//! Conversations of the sessions the daemon did not start: every transcript under the
//! watched config folders becomes a conversation in the store, marked external (empty
//! slot id) with its config folder and project, through the same ingestion function as
//! the slots' (`conversation_ingest::read_new`), so offsets, keys and hooks are shared.
//!
//! A slot's own transcript is left to the slots' follower (a slot's session is a slot's
//! conversation): a file whose session a slot ran (a live run's, or one recorded in
//! `slot_sessions`) is skipped. A subagent transcript of a slot's session is stored as
//! that slot's. A daemon that restarts continues every file from its stored offset.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use missiond_core::conversations::{EXTERNAL_SLOT, TranscriptFile};
use missiond_core::history::sources::{self, Transcript};
use missiond_core::store::Store;

use super::super::conversation_ingest::{Followed, read_new};

/// The follower of external transcripts.
pub struct External {
    store: Arc<Store>,
    files: HashMap<PathBuf, Followed>,
    /// Session id → the slot that ran it (`None`: none did), looked up once.
    owners: HashMap<String, Option<String>>,
}

impl External {
    /// A follower; files are picked up (with their stored offsets) as they are seen.
    pub fn new(store: Arc<Store>) -> External {
        External {
            store,
            files: HashMap::new(),
            owners: HashMap::new(),
        }
    }

    /// The slot that ran `session`, if any: a live run's, or the store's record.
    fn owner(&mut self, session: &str, live: &HashMap<String, String>) -> Option<String> {
        if let Some(slot) = live.get(session) {
            return Some(slot.clone());
        }
        if let Some(known) = self.owners.get(session) {
            return known.clone();
        }
        let found = match self.store.slot_of_session(session) {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!("sessions watcher: {e}");
                return None;
            }
        };
        self.owners.insert(session.to_string(), found.clone());
        found
    }

    /// Reads what is new in every transcript under `roots`. `live` maps the session ids
    /// of the slots' current runs to their slots. Returns how many messages were new.
    pub fn look(&mut self, roots: &[PathBuf], live: &HashMap<String, String>) -> usize {
        let mut added = 0;
        let mut seen: HashSet<PathBuf> = HashSet::new();
        for root in roots {
            for t in sources::transcripts(root) {
                let is_main = t.path.file_stem().is_some_and(|s| *s == *t.session);
                let owner = self.owner(&t.session, live);
                if is_main && owner.is_some() {
                    continue;
                }
                seen.insert(t.path.clone());
                if !self.files.contains_key(&t.path) {
                    let Some(followed) = self.start(root, &t, owner) else {
                        continue;
                    };
                    self.files.insert(t.path.clone(), followed);
                }
                let followed = self.files.get_mut(&t.path).expect("inserted above");
                added += read_new(&self.store, &t.path, followed);
            }
        }
        self.files.retain(|path, _| seen.contains(path));
        added
    }

    /// Following a transcript found under `root`: from the store's offset, or new.
    fn start(&self, root: &Path, t: &Transcript, owner: Option<String>) -> Option<Followed> {
        let key = t.path.to_string_lossy().into_owned();
        match self.store.transcript_file(&key) {
            // A slot's follower has it (a slot's main transcript under another name).
            Ok(Some(file)) if file.slot_id != EXTERNAL_SLOT && owner.is_none() => None,
            Ok(Some(file)) => Some(Followed::new(file)),
            Ok(None) => Some(Followed::new(TranscriptFile {
                path: key,
                // The main transcript is named after its session; a subagent's after
                // itself (agent-<id>), its own conversation.
                session_id: t
                    .path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| t.session.clone()),
                slot_id: owner.unwrap_or_else(|| EXTERNAL_SLOT.to_string()),
                offset: 0,
                config_dir: Some(root.to_string_lossy().into_owned()),
                project: Some(t.project.clone()),
            })),
            Err(e) => {
                tracing::warn!("sessions watcher: {e}");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use missiond_core::conversations::{ConversationQuery, Source};

    const PROMPT: &str = r#"{"type":"user","uuid":"u1","sessionId":"ext-1","message":{"content":"hello from outside"}}"#;
    const ANSWER: &str = r#"{"type":"assistant","uuid":"u2","sessionId":"ext-1","message":{"id":"m1","model":"x","content":[{"type":"text","text":"an answer"}],"usage":{"input_tokens":5,"output_tokens":7}}}"#;

    fn list(store: &Store, source: Source) -> Vec<missiond_core::conversations::Conversation> {
        store
            .conversations(&ConversationQuery {
                limit: 50,
                source: source.filter(),
                ..ConversationQuery::default()
            })
            .unwrap()
            .0
    }

    #[test]
    fn external_sessions_and_subagents_are_stored_once_and_slot_sessions_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("cfg");
        let project = root.join("projects/-work-demo");
        std::fs::create_dir_all(project.join("ext-1/subagents")).unwrap();
        std::fs::write(project.join("ext-1.jsonl"), format!("{PROMPT}\n{ANSWER}\n")).unwrap();
        let sub = r#"{"type":"user","uuid":"s1","isSidechain":true,"message":{"content":"subagent task"}}"#;
        std::fs::write(
            project.join("ext-1/subagents/agent-a1.jsonl"),
            format!("{sub}\n"),
        )
        .unwrap();
        // A live slot's session: its follower's, not ours.
        std::fs::write(project.join("slot-sess.jsonl"), format!("{PROMPT}\n")).unwrap();
        let store = Arc::new(Store::open(&dir.path().join("m.db")).unwrap());
        let live: HashMap<String, String> =
            [("slot-sess".to_string(), "coder-1".to_string())].into();
        let roots = vec![root.clone()];

        let mut ext = External::new(Arc::clone(&store));
        assert_eq!(ext.look(&roots, &live), 3);
        let convs = list(&store, Source::External);
        let mut ids: Vec<&str> = convs.iter().map(|c| c.session_id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["agent-a1", "ext-1"]);
        assert!(
            convs
                .iter()
                .all(|c| c.project.as_deref() == Some("-work-demo"))
        );
        assert!(list(&store, Source::Slots).is_empty());

        // Nothing again; an appended line, read by a new follower (a restarted daemon).
        assert_eq!(ext.look(&roots, &live), 0);
        let more = r#"{"type":"user","uuid":"u3","message":{"content":"second prompt"}}"#;
        let mut text = std::fs::read_to_string(project.join("ext-1.jsonl")).unwrap();
        text.push_str(more);
        text.push('\n');
        std::fs::write(project.join("ext-1.jsonl"), text).unwrap();
        let mut restarted = External::new(Arc::clone(&store));
        assert_eq!(restarted.look(&roots, &live), 1);
        assert_eq!(ext.look(&roots, &live), 0);
        let ext1 = list(&store, Source::External)
            .into_iter()
            .find(|c| c.session_id == "ext-1")
            .unwrap();
        assert_eq!(ext1.message_count, 3);
        assert_eq!(ext1.tokens.output_tokens, 7);
    }
}
