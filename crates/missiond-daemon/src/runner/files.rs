//! Claude Code's own files on the host, followed for the daemon: the session's transcript
//! (`<config dir>/projects/<cwd>/<session>.jsonl`, found as the daemon finds it locally,
//! with `transcript::candidate_paths`) and its status file (`<config dir>/sessions/*.json`
//! whose `sessionId` is the session's). New transcript bytes and each new content of the
//! status file go to the daemon, which keeps a mirror of both and reads it with the code
//! that reads a local slot's files.
//!
//! Looked at every [`POLL`]: a `stat` of the transcript and of the sessions folder's files
//! each time, the contents read only when their size or time changed.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc;

use crate::daemon::{status_file, transcript};

/// Between two looks at the files.
const POLL: Duration = Duration::from_millis(100);
/// Most transcript bytes in one frame.
const CHUNK: u64 = 1024 * 1024;

/// What changed.
#[derive(Debug)]
pub enum Change {
    /// Transcript bytes found at `offset`.
    Transcript { offset: u64, bytes: Vec<u8> },
    /// The status file `name`'s whole content.
    Status { name: String, bytes: Vec<u8> },
}

/// Where one session's files are on this host.
#[derive(Debug, Clone)]
pub struct Session {
    /// Claude Code's configuration folder for the program (its env, else this host's).
    pub config_dir: PathBuf,
    /// The program's working folder.
    pub cwd: PathBuf,
    pub id: String,
}

/// Follows `session`'s files from transcript byte `from`, sending each change through
/// `wrap` until the receiver is gone (or the task is aborted).
pub fn follow<E: Send + 'static>(
    session: Session,
    from: u64,
    events: mpsc::UnboundedSender<E>,
    wrap: fn(Change) -> E,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let candidates =
            transcript::candidate_paths(&session.config_dir, &session.cwd, &session.id);
        let sessions_dir = session.config_dir.join("sessions");
        let mut transcript: Option<PathBuf> = None;
        let mut offset = from;
        let mut seen: HashMap<PathBuf, (u64, Option<SystemTime>)> = HashMap::new();
        loop {
            if transcript.is_none() {
                transcript = candidates.iter().find(|p| p.exists()).cloned();
            }
            if let Some(path) = &transcript {
                for change in transcript_changes(path, &mut offset) {
                    if events.send(wrap(change)).is_err() {
                        return;
                    }
                }
            }
            for change in status_changes(&sessions_dir, &session.id, &mut seen) {
                if events.send(wrap(change)).is_err() {
                    return;
                }
            }
            tokio::time::sleep(POLL).await;
        }
    })
}

/// The bytes written to `path` since `offset` (which moves past them); from the start
/// again when the file shrank (rewritten).
fn transcript_changes(path: &std::path::Path, offset: &mut u64) -> Vec<Change> {
    let Ok(len) = std::fs::metadata(path).map(|m| m.len()) else {
        return Vec::new();
    };
    if len < *offset {
        *offset = 0;
    }
    let mut out = Vec::new();
    let Ok(mut file) = std::fs::File::open(path) else {
        return out;
    };
    while *offset < len {
        let want = (len - *offset).min(CHUNK);
        let mut bytes = vec![0u8; want as usize];
        if file.seek(SeekFrom::Start(*offset)).is_err() {
            break;
        }
        let n = match file.read(&mut bytes) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        bytes.truncate(n);
        out.push(Change::Transcript {
            offset: *offset,
            bytes,
        });
        *offset += n as u64;
    }
    out
}

/// The session's status files whose size or time changed since the last look, when
/// their content is the session's.
fn status_changes(
    dir: &std::path::Path,
    session: &str,
    seen: &mut HashMap<PathBuf, (u64, Option<SystemTime>)>,
) -> Vec<Change> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let stamp = (meta.len(), meta.modified().ok());
        if seen.get(&path) == Some(&stamp) {
            continue;
        }
        seen.insert(path.clone(), stamp);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if status_file::parse(&text, session).is_some() {
            out.push(Change::Status {
                name: entry.file_name().to_string_lossy().into_owned(),
                bytes: text.into_bytes(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transcript_is_sent_from_where_the_daemon_is_and_again_when_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        std::fs::write(&path, b"line one\nline two\n").unwrap();
        let mut offset = 9;
        let got = transcript_changes(&path, &mut offset);
        assert!(
            matches!(&got[..], [Change::Transcript { offset: 9, bytes }] if bytes == b"line two\n")
        );
        assert_eq!(offset, 18);
        assert!(transcript_changes(&path, &mut offset).is_empty());
        std::fs::write(&path, b"new\n").unwrap();
        let got = transcript_changes(&path, &mut offset);
        assert!(matches!(&got[..], [Change::Transcript { offset: 0, bytes }] if bytes == b"new\n"));
    }

    #[test]
    fn only_the_sessions_status_files_and_only_when_changed() {
        let dir = tempfile::tempdir().unwrap();
        let ours = |status: &str| format!(r#"{{"sessionId":"s1","status":"{status}"}}"#);
        std::fs::write(dir.path().join("1.json"), ours("busy")).unwrap();
        std::fs::write(
            dir.path().join("2.json"),
            r#"{"sessionId":"other","status":"busy"}"#,
        )
        .unwrap();
        let mut seen = HashMap::new();
        let got = status_changes(dir.path(), "s1", &mut seen);
        assert!(
            matches!(&got[..], [Change::Status { name, bytes }] if name == "1.json" && *bytes == ours("busy").into_bytes())
        );
        assert!(status_changes(dir.path(), "s1", &mut seen).is_empty());
        std::fs::write(dir.path().join("1.json"), ours("idle!")).unwrap();
        assert_eq!(status_changes(dir.path(), "s1", &mut seen).len(), 1);
    }
}
