//! Each slot's raw terminal output, written as a recording (`missiond replay` reads it):
//! `MISSIOND_HOME/logs/<slot>-<UTC time>.jsonl`, a header line then one entry per chunk,
//! rotated to a new file (with a new header) past a size limit; the folder's caps and
//! pruning are [`super::log_folder`]'s.
//!
//! A write that fails (a full disk) does not stop the log for the rest of the run: the
//! part of the line that got out is cut off again, so the file stays a valid recording;
//! entries are dropped (and counted) while the log waits out a back-off; the next entry
//! after it tries again, and once a write succeeds the log carries on and
//! [`PtyLog::problem`] (shown by `mission_health`) is clear again.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use anyhow::{Context, Result};
use missiond_core::secrets::{RedactingStream, Redactor};
use semantic_terminal::recording::{Entry, Header, ParseError, Recording};

use super::log_folder::LogFolder;

/// Why the log is not being written, since when, and what was lost.
#[derive(Debug, Clone)]
struct Failure {
    error: String,
    since: SystemTime,
    retry_at: Instant,
    dropped: u64,
}

/// Appends recording lines for one slot.
pub struct PtyLog {
    folder: Arc<LogFolder>,
    slot: String,
    command: Vec<String>,
    cols: u16,
    rows: u16,
    /// `None` when a rotation could not create the next file (retried like a write).
    file: Option<File>,
    path: PathBuf,
    /// Bytes known to be in the file, each line whole.
    written: u64,
    failure: Option<Failure>,
    /// Scrubs the slot's secrets out of output bytes (holding back a possible secret's
    /// start until the next chunk shows whether it is one).
    scrub: Option<RedactingStream>,
}

impl PtyLog {
    /// Open a fresh log for `slot` in `dir` (created if missing), rotated at `max_bytes`,
    /// with no cap on the folder (tests).
    #[cfg(test)]
    pub fn create(
        dir: &Path,
        slot: &str,
        command: Vec<String>,
        cols: u16,
        rows: u16,
        max_bytes: u64,
    ) -> Result<Self> {
        let folder = Arc::new(LogFolder::new(
            dir.to_path_buf(),
            super::log_folder::LogLimits::uncapped(max_bytes),
        ));
        PtyLog::open(&folder, slot, command, cols, rows)
    }

    /// Open a fresh log for `slot` in `folder` (created if missing), then prune the
    /// folder's oldest logs past its caps.
    pub fn open(
        folder: &Arc<LogFolder>,
        slot: &str,
        command: Vec<String>,
        cols: u16,
        rows: u16,
    ) -> Result<Self> {
        let dir = folder.dir();
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let (file, path) = open_new(dir, slot)?;
        folder.register(&path);
        let mut log = PtyLog {
            folder: Arc::clone(folder),
            slot: slot.to_string(),
            command,
            cols,
            rows,
            file: Some(file),
            path,
            written: 0,
            failure: None,
            scrub: None,
        };
        log.write_header()?;
        log.folder.prune(slot);
        Ok(log)
    }

    /// Scrub `redactor`'s secrets from the output written from now on.
    pub fn with_redactor(mut self, redactor: &Redactor) -> Self {
        self.scrub = (!redactor.is_empty()).then(|| redactor.stream());
        self
    }

    /// The file being written.
    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Why the log is paused, while it is (for `mission_health`).
    pub fn problem(&self) -> Option<String> {
        self.failure.as_ref().map(|f| {
            format!(
                "PTY log of slot `{}` paused since {} ({} entries dropped so far): {}",
                self.slot,
                missiond_core::time::rfc3339_ms(missiond_core::time::system_time_ms(f.since)),
                f.dropped,
                f.error
            )
        })
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
    /// An error means the log just stopped being written (reported once); while it waits
    /// to try again, entries are dropped and `Ok` is returned.
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
        if let Some(f) = self.failure.as_mut()
            && Instant::now() < f.retry_at
        {
            f.dropped += 1;
            return Ok(());
        }
        let was_failing = self.failure.is_some();
        match self.try_append(entry) {
            Ok(()) => {
                if let Some(f) = self.failure.take() {
                    tracing::warn!(
                        slot = %self.slot,
                        dropped = f.dropped,
                        "PTY log resumed in {}",
                        self.path.display()
                    );
                }
                Ok(())
            }
            Err(e) => {
                let error = format!("{e:#}");
                let retry_at = Instant::now() + self.folder.limits().retry_after;
                match self.failure.as_mut() {
                    Some(f) => {
                        f.dropped += 1;
                        f.retry_at = retry_at;
                        f.error = error;
                    }
                    None => {
                        self.failure = Some(Failure {
                            error,
                            since: SystemTime::now(),
                            retry_at,
                            dropped: 1,
                        })
                    }
                }
                if was_failing { Ok(()) } else { Err(e) }
            }
        }
    }

    /// Rotate if due (or if the last rotation failed), repair a cut line, write `entry`.
    fn try_append(&mut self, entry: &Entry) -> Result<()> {
        if self.file.is_none() || self.written >= self.folder.limits().file_bytes {
            self.rotate()?;
        }
        if self.written == 0 {
            self.write_header()?;
        }
        let mut line = entry.to_line();
        line.push('\n');
        self.write_line(&line)
    }

    fn rotate(&mut self) -> Result<()> {
        self.file = None;
        self.folder.release(&self.path);
        let (file, path) = open_new(self.folder.dir(), &self.slot)?;
        self.folder.register(&path);
        self.file = Some(file);
        self.path = path;
        self.written = 0;
        self.write_header()?;
        self.folder.prune(&self.slot);
        Ok(())
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

    /// Writes one whole line at `written`; on failure, cuts off whatever part of it got
    /// out, so the file only ever holds whole lines.
    fn write_line(&mut self, line: &str) -> Result<()> {
        let written = self.written;
        let file = self.file.as_mut().context("no log file open")?;
        let result = file
            .seek(SeekFrom::Start(written))
            .and_then(|_| file.write_all(line.as_bytes()));
        if let Err(e) = result {
            // Truncating frees space, so it works on a full disk.
            let _ = file.set_len(written);
            return Err(e).with_context(|| format!("writing {}", self.path.display()));
        }
        self.written += line.len() as u64;
        Ok(())
    }
}

impl Drop for PtyLog {
    fn drop(&mut self) {
        self.folder.release(&self.path);
    }
}

/// Parses a recording, tolerating a last line cut short (the daemon stopped, or the disk
/// filled, in the middle of writing it: a bad last line with no newline after it): that
/// line is skipped and its number returned. A bad line anywhere else is an error.
pub fn parse_recording(text: &str) -> Result<(Recording, Option<usize>), ParseError> {
    match Recording::parse(text) {
        Ok(r) => Ok((r, None)),
        Err(e) if text.ends_with('\n') => Err(e),
        Err(e) => {
            let last = text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .last()
                .map(|(i, _)| i + 1);
            if last != Some(e.line) {
                return Err(e);
            }
            let kept: Vec<&str> = text.lines().take(e.line - 1).collect();
            let recording = Recording::parse(&kept.join("\n"))?;
            Ok((recording, Some(e.line)))
        }
    }
}

/// A new file named after the slot and the current UTC time; a counter, above any
/// already used in that second, keeps rotations within one second apart and in order.
fn open_new(dir: &Path, slot: &str) -> Result<(File, PathBuf)> {
    let stamp = utc_stamp(SystemTime::now());
    let prefix = format!("{slot}-");
    let first = list_logs(dir, slot)
        .iter()
        .filter_map(|p| order_key(p, &prefix))
        .filter(|(s, _)| *s == stamp)
        .map(|(_, n)| n + 1)
        .max()
        .unwrap_or(0);
    for n in first..first + 1000 {
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

/// The logs of `slot` in `dir`, oldest first (by the time stamp in the name, then the
/// rotation counter: `-10` after `-9`).
pub fn list_logs(dir: &Path, slot: &str) -> Vec<PathBuf> {
    let prefix = format!("{slot}-");
    let mut found: Vec<(String, u64, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter_map(|p| {
            let (stamp, n) = order_key(&p, &prefix)?;
            Some((stamp, n, p))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, _, p)| p).collect()
}

/// `(stamp, counter)` of `<prefix><stamp>[-<counter>].jsonl`, when the name is a log of
/// that prefix.
fn order_key(path: &Path, prefix: &str) -> Option<(String, u64)> {
    let name = path.file_name()?.to_str()?;
    if !is_ours(name, prefix) {
        return None;
    }
    let rest = name.strip_prefix(prefix)?.strip_suffix(".jsonl")?;
    match rest.split_once('-') {
        None => Some((rest.to_string(), 0)),
        Some((stamp, n)) => Some((stamp.to_string(), n.parse().ok()?)),
    }
}

/// `slot-a` must not claim the logs of `slot-a-b`: after the prefix comes the time stamp.
fn is_ours(name: &str, prefix: &str) -> bool {
    name.starts_with(prefix)
        && name.ends_with(".jsonl")
        && name[prefix.len()..]
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
    use crate::daemon::log_folder::LogLimits;
    use crate::daemon::test_disk::{SmallDisk, fill};
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

    fn size(paths: &[PathBuf]) -> u64 {
        paths
            .iter()
            .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
            .sum()
    }

    fn output(i: usize, len: usize) -> Entry {
        Entry::Output {
            t: i as f64,
            bytes: vec![b'x'; len],
        }
    }

    fn limits(file_bytes: u64, slot_bytes: u64, total_bytes: u64) -> LogLimits {
        LogLimits {
            file_bytes,
            slot_bytes,
            total_bytes,
            retry_after: std::time::Duration::from_millis(300),
        }
    }

    #[test]
    fn a_slots_logs_stay_under_its_cap_oldest_deleted_first() {
        let dir = tempfile::tempdir().unwrap();
        let folder = Arc::new(LogFolder::new(
            dir.path().to_path_buf(),
            limits(2_000, 8_000, 0),
        ));
        // Another slot's logs are not this slot's business.
        let mut other = PtyLog::open(&folder, "other", vec!["x".into()], 80, 24).unwrap();
        other.append(&output(0, 500)).unwrap();
        let mut log = PtyLog::open(&folder, "s1", vec!["x".into()], 80, 24).unwrap();
        let first = log.path().to_path_buf();
        let mut seen = vec![first.clone()];
        for i in 0..400 {
            log.append(&output(i, 300)).unwrap();
            if !seen.contains(&log.path().to_path_buf()) {
                seen.push(log.path().to_path_buf());
            }
        }
        let left = list_logs(dir.path(), "s1");
        assert!(seen.len() > 20, "rotated {} times", seen.len());
        assert!(size(&left) <= 8_000, "{} bytes in {left:?}", size(&left));
        assert!(left.len() >= 3, "{left:?}");
        assert!(!first.exists(), "the oldest log is still there");
        // What is left is the newest files, the live one included, each readable.
        assert_eq!(left, seen[seen.len() - left.len()..].to_vec());
        assert_eq!(left.last(), Some(&log.path().to_path_buf()));
        for path in &left {
            Recording::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
        }
        assert_eq!(list_logs(dir.path(), "other").len(), 1);
    }

    #[test]
    fn the_folder_cap_prunes_every_slots_oldest_files_but_never_a_live_one() {
        let dir = tempfile::tempdir().unwrap();
        let old = |name: &str, len: usize, age_secs: u64| {
            let path = dir.path().join(name);
            std::fs::write(&path, vec![b'{'; len]).unwrap();
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(SystemTime::now() - Duration::from_secs(age_secs))
                .unwrap();
            path
        };
        let gone = old("gone-20200101T000000Z.jsonl", 3_000, 3_000);
        let older = old("a-20200102T000000Z.jsonl", 3_000, 2_000);
        let newer = old("b-20200103T000000Z.jsonl", 3_000, 1_000);
        let not_a_log = old("notes.txt", 50_000, 9_000);
        let folder = Arc::new(LogFolder::new(
            dir.path().to_path_buf(),
            limits(1_000, 0, 7_500),
        ));
        // A live log, made to look like the oldest file of all: still never pruned.
        let mut live = PtyLog::open(&folder, "live", vec!["x".into()], 80, 24).unwrap();
        live.append(&output(0, 100)).unwrap();
        let live_path = live.path().to_path_buf();
        std::fs::File::options()
            .write(true)
            .open(&live_path)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(10_000))
            .unwrap();
        // Opening it pruned the oldest file, and only as much as needed.
        assert!(!gone.exists(), "the oldest file should be pruned");
        assert!(older.exists() && newer.exists() && not_a_log.exists());
        assert!(folder.prune_total().is_empty(), "already under the cap");
        // A new run of another slot needs room: the oldest file goes, but never a live one.
        let _b = PtyLog::open(&folder, "b", vec!["x".into()], 80, 24).unwrap();
        assert!(!older.exists(), "the oldest left should be pruned");
        assert!(live_path.exists(), "a live log was pruned");
        assert!(newer.exists(), "more was pruned than needed");
        assert!(not_a_log.exists(), "only logs are pruned");
    }

    #[test]
    fn a_log_cut_at_its_last_line_still_parses_a_broken_middle_does_not() {
        let good = "{\"version\":1,\"cols\":80,\"rows\":24}\n{\"t\":0.1,\"b64\":\"aGk=\"}\n";
        let (rec, cut) = parse_recording(&format!("{good}{{\"t\":0.2,\"b6")).unwrap();
        assert_eq!((rec.entries.len(), cut), (1, Some(3)));
        let (rec, cut) = parse_recording(good).unwrap();
        assert_eq!((rec.entries.len(), cut), (1, None));
        // A whole line (newline and all) that is bad was not cut: an error.
        let bad_last = format!("{good}{{oops\n");
        assert_eq!(parse_recording(&bad_last).map(|_| ()).unwrap_err().line, 3);
        let broken = format!("{good}{{\"t\":0.2,\"b6\n{{\"t\":0.3,\"b64\":\"aGk=\"}}\n");
        assert_eq!(parse_recording(&broken).map(|_| ()).unwrap_err().line, 3);
    }

    #[test]
    fn after_a_full_disk_the_log_resumes_and_stays_whole() {
        let Some(disk) = SmallDisk::mount(256) else {
            return;
        };
        let folder = Arc::new(LogFolder::new(
            disk.path().join("logs"),
            limits(1 << 20, 0, 0),
        ));
        let mut log = PtyLog::open(&folder, "s1", vec!["x".into()], 80, 24).unwrap();
        log.append(&output(0, 100)).unwrap();
        assert!(log.problem().is_none());
        let filler = fill(disk.path());
        // The first failure is reported once; then entries are dropped, quietly.
        let err = log.append(&output(1, 3_000)).expect_err("the disk is full");
        assert!(format!("{err:#}").contains("No space left"), "{err:#}");
        let problem = log.problem().expect("a health warning");
        assert!(
            problem.contains("s1") && problem.contains("No space"),
            "{problem}"
        );
        for i in 2..5 {
            log.append(&output(i, 3_000)).expect("paused, not failing");
        }
        assert!(
            log.problem().unwrap().contains("4 entries dropped"),
            "{:?}",
            log.problem()
        );
        // The file holds only whole lines: the cut one was taken back.
        let text = std::fs::read_to_string(log.path()).unwrap();
        let rec = Recording::parse(&text).expect("valid while the disk is full");
        assert_eq!(rec.entries.len(), 1);
        // Still full after the back-off: it tries, fails, waits again.
        std::thread::sleep(Duration::from_millis(400));
        log.append(&output(5, 3_000))
            .expect("a retry that fails is not reported again");
        assert!(log.problem().is_some());
        // Space is back: after the back-off the next entry is written.
        std::fs::remove_file(&filler).unwrap();
        log.append(&output(6, 10)).unwrap();
        assert!(log.problem().is_some(), "still waiting out the back-off");
        std::thread::sleep(Duration::from_millis(400));
        log.append(&output(7, 20)).unwrap();
        assert!(log.problem().is_none(), "{:?}", log.problem());
        log.append(&output(8, 30)).unwrap();
        let text = std::fs::read_to_string(log.path()).unwrap();
        let rec = Recording::parse(&text).expect("a whole recording after resuming");
        let times: Vec<f64> = rec
            .entries
            .iter()
            .map(|e| match e {
                Entry::Output { t, .. } => *t,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(times, [0.0, 7.0, 8.0]);
    }
}
