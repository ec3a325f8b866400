//! Each slot's raw terminal output, written as a recording (`missiond replay` reads it):
//! `MISSIOND_HOME/logs/<slot>-<UTC time>.jsonl`, a header line then one entry per chunk,
//! rotated to a new file (with a new header) past a size limit.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result};
use missiond_core::secrets::{RedactingStream, Redactor};
use semantic_terminal::recording::{Entry, Header};

/// Default size at which a log is rotated.
pub const DEFAULT_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Appends recording lines for one slot.
pub struct PtyLog {
    dir: PathBuf,
    slot: String,
    command: Vec<String>,
    max_bytes: u64,
    cols: u16,
    rows: u16,
    file: File,
    path: PathBuf,
    written: u64,
    /// Scrubs the slot's secrets out of output bytes (holding back a possible secret's
    /// start until the next chunk shows whether it is one).
    scrub: Option<RedactingStream>,
}

impl PtyLog {
    /// Open a fresh log for `slot` in `dir` (created if missing).
    pub fn create(
        dir: &Path,
        slot: &str,
        command: Vec<String>,
        cols: u16,
        rows: u16,
        max_bytes: u64,
    ) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let (file, path) = open_new(dir, slot)?;
        let mut log = PtyLog {
            dir: dir.to_path_buf(),
            slot: slot.to_string(),
            command,
            max_bytes,
            cols,
            rows,
            file,
            path,
            written: 0,
            scrub: None,
        };
        log.write_header()?;
        Ok(log)
    }

    /// Scrub `redactor`'s secrets from the output written from now on.
    pub fn with_redactor(mut self, redactor: &Redactor) -> Self {
        self.scrub = (!redactor.is_empty()).then(|| redactor.stream());
        self
    }

    /// Scrub with `redactor` from now on (secrets resolved for other slots since),
    /// keeping what the current scrubber holds back.
    pub fn set_redactor(&mut self, redactor: Redactor) {
        match self.scrub.as_mut() {
            Some(scrub) => scrub.set_redactor(redactor),
            None if !redactor.is_empty() => self.scrub = Some(redactor.stream()),
            None => {}
        }
    }

    /// Append one entry, rotating first when the file is full. Output passes through the
    /// secret scrubber when there is one; the bytes it holds back go out before the exit.
    pub fn append(&mut self, entry: &Entry) -> Result<()> {
        if let Some(scrub) = self.scrub.as_mut() {
            match entry {
                Entry::Output { t, bytes } => {
                    let bytes = scrub.push(bytes);
                    if bytes.is_empty() {
                        return Ok(());
                    }
                    return self.append_raw(&Entry::Output { t: *t, bytes });
                }
                Entry::Exit { t, .. } => {
                    let bytes = scrub.finish();
                    if !bytes.is_empty() {
                        self.append_raw(&Entry::Output { t: *t, bytes })?;
                    }
                }
                _ => {}
            }
        }
        self.append_raw(entry)
    }

    fn append_raw(&mut self, entry: &Entry) -> Result<()> {
        if let Entry::Resize { cols, rows, .. } = entry {
            self.cols = *cols;
            self.rows = *rows;
        }
        if self.written >= self.max_bytes {
            let (file, path) = open_new(&self.dir, &self.slot)?;
            self.file = file;
            self.path = path;
            self.written = 0;
            self.write_header()?;
        }
        let mut line = entry.to_line();
        line.push('\n');
        self.write_line(&line)
    }

    fn write_header(&mut self) -> Result<()> {
        let header = Header {
            version: 1,
            cols: self.cols,
            rows: self.rows,
            command: self.command.clone(),
        };
        let mut line = serde_json::to_string(&header).context("encoding the log header")?;
        line.push('\n');
        self.write_line(&line)
    }

    fn write_line(&mut self, line: &str) -> Result<()> {
        self.file
            .write_all(line.as_bytes())
            .with_context(|| format!("writing {}", self.path.display()))?;
        self.written += line.len() as u64;
        Ok(())
    }
}

/// A new file named after the slot and the current UTC time; a counter keeps two
/// rotations within one second apart.
fn open_new(dir: &Path, slot: &str) -> Result<(File, PathBuf)> {
    let stamp = utc_stamp(SystemTime::now());
    for n in 0..1000 {
        let name = if n == 0 {
            format!("{slot}-{stamp}.jsonl")
        } else {
            format!("{slot}-{stamp}-{n}.jsonl")
        };
        let path = dir.join(name);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((file, path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
        }
    }
    anyhow::bail!("too many logs for slot {slot} in one second")
}

/// The logs of `slot` in `dir`, oldest first (names sort by time).
pub fn list_logs(dir: &Path, slot: &str) -> Vec<PathBuf> {
    let prefix = format!("{slot}-");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(&prefix) && n.ends_with(".jsonl") && is_ours(n, &prefix)
            })
        })
        .collect();
    found.sort();
    found
}

/// `slot-a` must not claim the logs of `slot-a-b`: after the prefix comes the time stamp.
fn is_ours(name: &str, prefix: &str) -> bool {
    name[prefix.len()..]
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit())
}

/// `20261125T073717Z` for a point in time (UTC, second precision): file-name friendly.
pub fn utc_stamp(at: SystemTime) -> String {
    let rfc = missiond_core::time::rfc3339_ms(missiond_core::time::system_time_ms(at));
    // 2026-11-25T07:37:17.123Z -> 20261125T073717Z
    let seconds = rfc.split('.').next().unwrap_or_default();
    let mut stamp: String = seconds.chars().filter(|c| *c != '-' && *c != ':').collect();
    stamp.push('Z');
    stamp
}

#[cfg(test)]
mod tests {
    use super::*;
    use semantic_terminal::recording::Recording;
    use std::time::Duration;

    #[test]
    fn stamps_known_dates() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_592_237);
        assert_eq!(utc_stamp(at), "20261125T073717Z");
        assert_eq!(utc_stamp(SystemTime::UNIX_EPOCH), "19700101T000000Z");
        let leap = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(utc_stamp(leap), "20000229T000000Z");
    }

    #[test]
    fn rotates_with_a_header_in_each_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = PtyLog::create(dir.path(), "s1", vec!["bash".into()], 80, 24, 200).unwrap();
        for i in 0..10 {
            let bytes = vec![b'a' + i as u8; 40];
            log.append(&Entry::Output { t: i as f64, bytes }).unwrap();
        }
        let logs = list_logs(dir.path(), "s1");
        assert!(logs.len() > 1, "expected rotation, got {logs:?}");
        let mut total = 0;
        for path in &logs {
            let rec = Recording::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
            assert_eq!(
                rec.header.as_ref().map(|h| (h.cols, h.rows)),
                Some((80, 24))
            );
            total += rec.entries.len();
        }
        assert_eq!(total, 10);
        assert!(list_logs(dir.path(), "s").is_empty());
    }
}
