//! Copies the slots' conversations from their Claude Code transcripts into the store.
//!
//! One background task follows every transcript a slot's run names (`Run.transcript`):
//! when a slot changes, and at least every second, it compares each file's size with
//! what it has read, reads the new complete lines (a partial last line waits for the
//! next look), turns them into messages (`missiond_core::conversations::parse_line`),
//! scrubs secrets from them, and stores them together with the new byte offset in one
//! transaction. A daemon that restarts continues every file from its stored offset, and
//! messages are keyed by line uuid and block, so nothing is lost or stored twice. Files
//! are read off the async runtime and never under a slot's lock.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use missiond_core::conversations::parse::NON_MESSAGE_TYPES;
use missiond_core::conversations::{NewMessage, Skip, TranscriptFile, parse_line};
use missiond_core::store::Store;
use missiond_core::time::now_ms;
use tokio::sync::Notify;

use super::supervisor::Supervisor;

/// Longest wait between two looks at the transcripts.
const POLL: Duration = Duration::from_secs(1);
/// Shortest gap between two looks, however often slots change.
const MIN_GAP: Duration = Duration::from_millis(200);
/// Most bytes read from one file per look; a line longer than this is dropped.
const MAX_CHUNK: u64 = 32 * 1024 * 1024;

/// Start ingesting (call once, inside the runtime).
pub fn start(sup: &Arc<Supervisor>) {
    let wake = Arc::new(Notify::new());
    let waker = Arc::clone(&wake);
    sup.on_each_slot(move |slot| {
        let mut changes = slot.subscribe();
        let wake = Arc::clone(&waker);
        tokio::spawn(async move {
            while changes.changed().await.is_ok() {
                wake.notify_one();
            }
        });
    });
    tokio::spawn(follow(Arc::clone(sup), wake));
}

async fn follow(sup: Arc<Supervisor>, wake: Arc<Notify>) {
    let store = sup.ctx.records.shared_store();
    let mut follower = Some(Follower::resume(store.clone()));
    loop {
        let targets = targets(&sup);
        let current = follower
            .take()
            .unwrap_or_else(|| Follower::resume(store.clone()));
        match tokio::task::spawn_blocking(move || {
            let mut f = current;
            f.look(&targets);
            f
        })
        .await
        {
            Ok(f) => follower = Some(f),
            // Offsets are in the store: a fresh follower carries on where this one was.
            Err(e) => tracing::error!("conversation ingest: {e}"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
        }
        tokio::time::sleep(MIN_GAP).await;
    }
}

/// The transcript paths each slot's current run names, taken under each slot's lock
/// briefly (no file is touched while it is held).
fn targets(sup: &Supervisor) -> Vec<(String, Vec<PathBuf>)> {
    sup.slots()
        .filter_map(|slot| {
            let inner = slot.lock();
            let run = inner.run.as_ref()?;
            (!run.transcript.is_empty()).then(|| (slot.spec.id.clone(), run.transcript.clone()))
        })
        .collect()
}

/// A file being followed.
pub(super) struct Followed {
    pub(super) file: TranscriptFile,
    /// The size at the last look that left nothing to read (skip while unchanged).
    pub(super) seen_size: Option<u64>,
}

impl Followed {
    /// Starts following `file` (where the store says it was left).
    pub(super) fn new(file: TranscriptFile) -> Followed {
        Followed {
            file,
            seen_size: None,
        }
    }
}

/// Every file followed, with how far it was read.
struct Follower {
    store: Arc<Store>,
    files: BTreeMap<PathBuf, Followed>,
}

impl Follower {
    /// A follower that first finishes every file a previous daemon was reading.
    fn resume(store: Arc<Store>) -> Follower {
        let files = match store.transcript_files() {
            Ok(files) => files,
            Err(e) => {
                tracing::warn!("conversation ingest: {e}");
                Vec::new()
            }
        };
        let files = files
            .into_iter()
            .filter(|f| Path::new(&f.path).exists())
            // External files are the sessions watcher's to follow.
            .filter(|f| f.slot_id != missiond_core::conversations::EXTERNAL_SLOT)
            .map(|file| {
                let followed = Followed::new(file);
                (PathBuf::from(&followed.file.path), followed)
            })
            .collect();
        Follower { store, files }
    }

    /// Read what is new in every target, and once more in files no run names any
    /// longer (then forget them).
    fn look(&mut self, targets: &[(String, Vec<PathBuf>)]) {
        let mut wanted = BTreeSet::new();
        for (slot, paths) in targets {
            for path in paths {
                wanted.insert(path.clone());
                if !self.files.contains_key(path) && path.exists() {
                    self.add(slot, path);
                }
            }
        }
        for (path, followed) in &mut self.files {
            read_new(&self.store, path, followed);
        }
        self.files.retain(|path, _| wanted.contains(path));
    }

    fn add(&mut self, slot: &str, path: &Path) {
        let key = path.to_string_lossy().into_owned();
        let file = match self.store.transcript_file(&key) {
            Ok(Some(mut file)) => {
                if file.slot_id != slot {
                    // The sessions watcher saw it first, as external: it is this slot's.
                    if let Err(e) = self.store.claim_conversation(&file.session_id, slot) {
                        tracing::warn!(slot, "conversation ingest: {e}");
                    }
                    file.slot_id = slot.to_string();
                }
                file
            }
            Ok(None) => TranscriptFile {
                path: key,
                // Claude Code names the file after its session.
                session_id: path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                slot_id: slot.to_string(),
                offset: 0,
                config_dir: path
                    .ancestors()
                    .nth(3)
                    .map(|d| d.to_string_lossy().into_owned()),
                project: path
                    .parent()
                    .and_then(Path::file_name)
                    .map(|n| n.to_string_lossy().into_owned()),
            },
            Err(e) => {
                tracing::warn!(slot, "conversation ingest: {e}");
                return;
            }
        };
        self.files.insert(path.to_path_buf(), Followed::new(file));
    }
}

/// Stores the complete lines of `path` after the followed offset, then tells the hooks
/// of `conversation_appended`. The one ingestion path of every conversation (slots' and
/// external). Returns how many messages were new.
pub(super) fn read_new(store: &Store, path: &Path, f: &mut Followed) -> usize {
    let Ok(size) = std::fs::metadata(path).map(|m| m.len()) else {
        return 0;
    };
    if f.seen_size == Some(size) {
        return 0;
    }
    if size < f.file.offset {
        // Replaced or cut: read it again; lines already stored are recognised.
        tracing::warn!(path = %path.display(), "transcript shrank; reading it from the start");
        f.file.offset = 0;
    }
    let chunk = match read_chunk(path, f.file.offset, size) {
        Ok(chunk) => chunk,
        Err(e) => {
            tracing::debug!(path = %path.display(), "reading the transcript: {e}");
            return 0;
        }
    };
    let complete = match chunk.iter().rposition(|&b| b == b'\n') {
        Some(i) => i + 1,
        None if chunk.len() as u64 == MAX_CHUNK => {
            tracing::warn!(path = %path.display(), offset = f.file.offset, "transcript line over {MAX_CHUNK} bytes dropped");
            chunk.len()
        }
        // A line still being written: wait until it grows.
        None => {
            f.seen_size = Some(size);
            return 0;
        }
    };
    let messages = messages_of(&chunk[..complete], f.file.offset);
    let next = TranscriptFile {
        offset: f.file.offset + complete as u64,
        ..f.file.clone()
    };
    match store.ingest_transcript(&next, &messages) {
        Ok(added) => {
            if added > 0 {
                tracing::debug!(slot = %next.slot_id, session = %next.session_id, added, "conversation messages stored");
            }
            if !messages.is_empty() {
                super::conversation_appended::emit(&super::conversation_appended::Appended {
                    file: &next,
                    messages: &messages,
                    added,
                });
            }
            let done = next.offset + (chunk.len() - complete) as u64 == size;
            f.file = next;
            f.seen_size = done.then_some(size);
            added
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), "conversation ingest: {e}");
            0
        }
    }
}

fn read_chunk(path: &Path, offset: u64, size: u64) -> std::io::Result<Vec<u8>> {
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut chunk = Vec::new();
    file.take(size.saturating_sub(offset).min(MAX_CHUNK))
        .read_to_end(&mut chunk)?;
    Ok(chunk)
}

/// The messages of complete lines starting at byte `base` of the file, scrubbed.
fn messages_of(bytes: &[u8], base: u64) -> Vec<NewMessage> {
    let mut out = Vec::new();
    let mut at = base;
    for raw in bytes.split(|&b| b == b'\n') {
        let line_at = at;
        at += raw.len() as u64 + 1;
        let line = String::from_utf8_lossy(raw);
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line) {
            Ok(found) => out.extend(found.into_iter().map(|mut m| {
                m.text = super::secrets::scrub(&m.text).into_owned();
                m.payload = m.payload.as_ref().map(super::secrets::scrub_value);
                NewMessage {
                    line_key: m.uuid.clone().unwrap_or_else(|| format!("@{line_at}")),
                    created_at: m.timestamp_ms.unwrap_or_else(now_ms),
                    message: m,
                }
            })),
            // Bookkeeping lines are expected; anything else is worth a debug line.
            Err(Skip::NotMessage(kind)) if NON_MESSAGE_TYPES.contains(&kind.as_str()) => {}
            Err(skip) => tracing::debug!(offset = line_at, "transcript line skipped: {skip}"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn follower(store: &Arc<Store>) -> Follower {
        Follower::resume(Arc::clone(store))
    }

    #[test]
    fn secrets_are_scrubbed_from_text_and_payloads_and_lines_keep_their_offsets() {
        let secret = "sk-conversation-ingest-test-4242";
        super::super::secrets::register(&[missiond_core::secrets::SecretString::new(
            secret.into(),
        )]);
        let call = serde_json::json!({"type": "assistant", "uuid": "u1", "message": {"content": [
            {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": format!("curl -H {secret}")}}]}});
        let summary = serde_json::json!({"type": "summary", "summary": format!("used {secret}")});
        let text = format!("{call}\n{summary}\n");
        let found = messages_of(text.as_bytes(), 1000);
        assert_eq!(found.len(), 2);
        for m in &found {
            assert!(!m.message.text.contains(secret), "{}", m.message.text);
            let payload = m
                .message
                .payload
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default();
            assert!(!payload.contains(secret), "{payload}");
        }
        assert_eq!(found[0].line_key, "u1");
        // A line without a uuid is keyed by where it starts in the file.
        assert_eq!(
            found[1].line_key,
            format!("@{}", 1000 + call.to_string().len() + 1)
        );
    }

    #[test]
    fn follows_a_growing_file_across_partial_lines_and_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc-session.jsonl");
        let store = Arc::new(Store::open(&dir.path().join("m.db")).unwrap());
        let targets = vec![("c1".to_string(), vec![path.clone()])];
        let prompt = r#"{"type":"user","uuid":"u1","message":{"content":"first prompt"}}"#;
        let answer = r#"{"type":"assistant","uuid":"u2","message":{"id":"m1","model":"x","content":[{"type":"text","text":"the answer"}]}}"#;
        let count = |store: &Store| {
            store
                .conversation_messages(&missiond_core::conversations::MessageQuery {
                    session_id: "abc-session".into(),
                    since_id: 0,
                    limit: 100,
                    include_thinking: true,
                    include_payloads: true,
                    max_bytes: usize::MAX,
                })
                .unwrap()
                .0
                .len()
        };

        // A whole line, garbage, and half of the next line.
        let half = answer.len() / 2;
        std::fs::write(&path, format!("{prompt}\nnot json\n{}", &answer[..half])).unwrap();
        let mut f = follower(&store);
        f.look(&targets);
        assert_eq!(count(&store), 1);

        // The rest of the line arrives; a new follower (a restarted daemon) finishes it.
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(&answer[half..]);
        text.push('\n');
        std::fs::write(&path, &text).unwrap();
        let mut restarted = follower(&store);
        restarted.look(&[]);
        assert_eq!(count(&store), 2);
        assert_eq!(
            store
                .transcript_file(&path.to_string_lossy())
                .unwrap()
                .map(|f| f.offset),
            Some(text.len() as u64)
        );
        // Nothing more to read, and nothing read twice.
        f.look(&targets);
        restarted.look(&targets);
        assert_eq!(count(&store), 2);
    }
}
