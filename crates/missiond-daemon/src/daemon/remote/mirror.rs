//! The daemon's copy of a remote Claude Code session's files: the transcript and the
//! status file the runner streams from the host (`Transcript`, `Status` frames) are
//! written here, under `$MISSIOND_HOME/remote/<slot>/`, laid out as Claude Code lays out
//! its config folder's `sessions/`. The slot then reads them with the code that reads a
//! local slot's files: the conversation ingest follows the transcript copy (`Run.transcript`
//! names it), turns read their answers from it, and the status-file watch watches
//! `sessions/` here.

use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The mirror folder of `slot` (its `sessions/` is the status files').
pub fn dir(home: &Path, slot: &str) -> PathBuf {
    home.join("remote").join(slot)
}

/// The transcript copy of `session` of `slot`.
pub fn transcript_path(home: &Path, slot: &str, session: &str) -> PathBuf {
    dir(home, slot).join(format!("{session}.jsonl"))
}

/// One session's mirror.
#[derive(Debug, Clone)]
pub struct Mirror {
    pub session_id: String,
    pub transcript: PathBuf,
    pub sessions: PathBuf,
}

impl Mirror {
    /// The mirror of `session` of `slot`; the status files of earlier sessions are
    /// cleared (a transcript copy stays: the store keeps its offset by path).
    pub fn create(home: &Path, slot: &str, session: &str) -> std::io::Result<Mirror> {
        let base = dir(home, slot);
        let sessions = base.join("sessions");
        let _ = std::fs::remove_dir_all(&sessions);
        std::fs::create_dir_all(&sessions)?;
        Ok(Mirror {
            session_id: session.to_string(),
            transcript: transcript_path(home, slot, session),
            sessions,
        })
    }

    /// Bytes of the transcript copy (where the runner should go on from).
    pub fn transcript_len(&self) -> u64 {
        std::fs::metadata(&self.transcript)
            .map(|m| m.len())
            .unwrap_or(0)
    }

    /// Puts transcript bytes found at `offset` on the host at the same offset here (a
    /// lower offset means the file was rewritten there: the copy is cut first).
    pub fn write_transcript(&self, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.transcript)?;
        let len = file.metadata()?.len();
        if offset < len {
            file.set_len(offset)?;
        } else if offset > len {
            tracing::warn!(
                path = %self.transcript.display(),
                "{} transcript bytes of the host never arrived; the copy goes on after them",
                offset - len
            );
        }
        file.seek(SeekFrom::Start(offset))?;
        file.write_all(bytes)
    }

    /// Replaces the status file `name` with `bytes` (written beside it and renamed, as
    /// the watch expects of a writer).
    pub fn write_status(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let plain = !name.is_empty()
            && !name.starts_with('.')
            && !name.contains('/')
            && name.ends_with(".json");
        if !plain {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("status file name {name:?} refused"),
            ));
        }
        let part = self.sessions.join(format!(".{name}.part"));
        std::fs::write(&part, bytes)?;
        std::fs::rename(&part, self.sessions.join(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_follows_the_hosts_offsets_and_names_are_checked() {
        let home = tempfile::tempdir().unwrap();
        let m = Mirror::create(home.path(), "r1", "sess").unwrap();
        assert_eq!(m.transcript_len(), 0);
        m.write_transcript(0, b"one\n").unwrap();
        m.write_transcript(4, b"two\n").unwrap();
        assert_eq!(std::fs::read(&m.transcript).unwrap(), b"one\ntwo\n");
        // Sent again from an earlier offset (rewritten on the host): cut, then written.
        m.write_transcript(4, b"2\n").unwrap();
        assert_eq!(std::fs::read(&m.transcript).unwrap(), b"one\n2\n");
        assert_eq!(m.transcript_len(), 6);
        m.write_status("42.json", b"{}").unwrap();
        assert_eq!(std::fs::read(m.sessions.join("42.json")).unwrap(), b"{}");
        for bad in ["../x.json", ".x.json", "x.txt", ""] {
            assert!(m.write_status(bad, b"{}").is_err(), "{bad}");
        }
        // A new session of the slot starts with no status files.
        let again = Mirror::create(home.path(), "r1", "sess2").unwrap();
        assert!(!again.sessions.join("42.json").exists());
        assert!(m.transcript.exists(), "the old transcript copy stays");
    }
}
