//! The history index: one SQLite file (`history.db` in the missiond home) shared by the
//! daemon and `missiond usage`. It keeps, per transcript, how far it has been read (byte
//! offset, identity, a hash of its first bytes), and one row per API response: the line
//! that counts for it (see the counting rule in [`super`]).
//!
//! [`HistoryIndex::sync`] brings it up to date: unchanged files cost one `stat`; grown
//! files are read from their offset; truncated, replaced or rewritten files are read
//! again from the start (their rows first removed); deleted files lose their rows.
//! Everything happens in one write transaction, so a crash or a concurrent `sync` never
//! leaves a file half-counted, and a restart resumes exactly where the last commit ended.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use rusqlite::{Connection, OptionalExtension, params};

use super::HistoryError;
use super::line::{self, UsageLine};
use super::sources::{self, Transcript};

/// Bumped when the tables change; an index of another version is rebuilt (it holds
/// nothing that cannot be read again from the transcripts).
const SCHEMA_VERSION: i64 = 1;

/// How many first bytes of a file identify its content (a rewrite shows there).
const HEAD_LEN: u64 = 4096;

const SCHEMA: &str = "
CREATE TABLE roots (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE);
CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    root_id INTEGER NOT NULL,
    path TEXT NOT NULL UNIQUE,
    project TEXT NOT NULL,
    session TEXT NOT NULL,
    dev INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    head_len INTEGER NOT NULL,
    head_hash INTEGER NOT NULL
);
CREATE INDEX files_root ON files(root_id);
CREATE TABLE responses (
    key INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL,
    line_offset INTEGER NOT NULL,
    ts_ms INTEGER NOT NULL,
    day INTEGER NOT NULL,
    session TEXT NOT NULL,
    project TEXT NOT NULL,
    model TEXT NOT NULL,
    input INTEGER NOT NULL,
    output INTEGER NOT NULL,
    cache_create INTEGER NOT NULL,
    cache_read INTEGER NOT NULL,
    total INTEGER NOT NULL
);
CREATE INDEX responses_file ON responses(file_id);
";

/// What one [`HistoryIndex::sync`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStats {
    /// Transcripts found under the config folders.
    pub files: usize,
    /// Transcripts read (new, grown or changed).
    pub files_read: usize,
    /// Transcripts read again from the start (truncated, replaced, rewritten).
    pub files_reset: usize,
    /// Transcripts gone since the last sync (their rows removed).
    pub files_removed: usize,
    /// Bytes read.
    pub bytes_read: u64,
    /// Usage lines seen.
    pub usage_lines: u64,
}

/// The index, open.
pub struct HistoryIndex {
    conn: Connection,
    path: PathBuf,
}

/// 64-bit FNV-1a: a stable hash (the index outlives toolchains, so no std hasher).
pub fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// How long two processes opening a fresh index at once keep retrying the switch to WAL.
const WAL_SWITCH_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// Puts the database in WAL mode. Two connections switching a fresh file at once can get
/// SQLITE_BUSY at once, without the busy handler (SQLite's deadlock avoidance): retry.
fn switch_to_wal(conn: &Connection) -> rusqlite::Result<()> {
    let started = std::time::Instant::now();
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(())) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && started.elapsed() < WAL_SWITCH_PATIENCE =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

impl HistoryIndex {
    /// Opens (creating if needed) the index at `path`: WAL, and a generous busy timeout
    /// so the daemon and a `missiond usage` can share it.
    pub fn open(path: &Path) -> Result<HistoryIndex, HistoryError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| HistoryError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let db = |action: &'static str| {
            let path = path.to_path_buf();
            move |source| HistoryError::Db {
                path,
                action,
                source,
            }
        };
        let conn = Connection::open(path).map_err(db("opening"))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(db("setting the busy timeout"))?;
        switch_to_wal(&conn).map_err(db("switching to WAL"))?;
        // A report scans every response row, and a first sync writes them at random keys:
        // a larger page cache, memory-mapped reads and in-memory sorting keep both from
        // turning into hundreds of thousands of small reads and temp-file writes.
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;
             PRAGMA mmap_size = 268435456; PRAGMA temp_store = MEMORY;",
        )
        .map_err(db("setting pragmas"))?;
        let mut index = HistoryIndex {
            conn,
            path: path.to_path_buf(),
        };
        index.migrate()?;
        Ok(index)
    }

    fn err(&self, action: &'static str) -> impl FnOnce(rusqlite::Error) -> HistoryError + use<> {
        let path = self.path.clone();
        move |source| HistoryError::Db {
            path,
            action,
            source,
        }
    }

    fn migrate(&mut self) -> Result<(), HistoryError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err({
                let path = self.path.clone();
                move |source| HistoryError::Db {
                    path,
                    action: "creating the tables",
                    source,
                }
            })?;
        let result = (|| {
            let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if version != SCHEMA_VERSION {
                tx.execute_batch(
                    "DROP TABLE IF EXISTS responses; DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS roots;",
                )?;
                tx.execute_batch(SCHEMA)?;
                tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
            }
            tx.commit()
        })();
        result.map_err(self.err("creating the tables"))
    }

    /// The open connection (reports query it).
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The index file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The ids of `roots` in the index (those never synced are left out).
    pub fn root_ids(&self, roots: &[PathBuf]) -> Result<Vec<i64>, HistoryError> {
        let mut ids = Vec::new();
        for root in roots {
            let id: Option<i64> = self
                .conn
                .query_row(
                    "SELECT id FROM roots WHERE path = ?1",
                    [root.to_string_lossy()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(self.err("looking up a config folder"))?;
            ids.extend(id);
        }
        Ok(ids)
    }

    /// Brings the index up to date with the transcripts under `roots` (config folders).
    pub fn sync(&mut self, roots: &[PathBuf]) -> Result<SyncStats, HistoryError> {
        let path = self.path.clone();
        let db = move |action: &'static str| {
            let path = path.clone();
            move |source| HistoryError::Db {
                path,
                action,
                source,
            }
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db("starting a sync"))?;
        let mut stats = SyncStats::default();
        let mut jobs: Vec<Job> = Vec::new();
        for root in roots {
            let root_text = root.to_string_lossy();
            tx.execute(
                "INSERT INTO roots(path) VALUES (?1) ON CONFLICT(path) DO NOTHING",
                [&root_text],
            )
            .map_err(db("recording a config folder"))?;
            let root_id: i64 = tx
                .query_row("SELECT id FROM roots WHERE path = ?1", [&root_text], |r| {
                    r.get(0)
                })
                .map_err(db("recording a config folder"))?;
            let mut known: HashMap<String, Known> = HashMap::new();
            {
                let mut stmt = tx
                    .prepare_cached(
                        "SELECT id, path, dev, ino, size, mtime_ns, offset, head_len, head_hash
                         FROM files WHERE root_id = ?1",
                    )
                    .map_err(db("reading file states"))?;
                let rows = stmt
                    .query_map([root_id], |r| {
                        Ok((
                            r.get::<_, String>(1)?,
                            Known {
                                id: r.get(0)?,
                                dev: r.get(2)?,
                                ino: r.get(3)?,
                                size: r.get(4)?,
                                mtime_ns: r.get(5)?,
                                offset: r.get(6)?,
                                head_len: r.get(7)?,
                                head_hash: r.get(8)?,
                            },
                        ))
                    })
                    .map_err(db("reading file states"))?;
                for row in rows {
                    let (p, k) = row.map_err(db("reading file states"))?;
                    known.insert(p, k);
                }
            }
            for t in sources::transcripts(root) {
                stats.files += 1;
                let key = t.path.to_string_lossy().into_owned();
                let prior = known.remove(&key);
                let Ok(meta) = std::fs::metadata(&t.path) else {
                    // Gone between listing and stat: treat as removed next time.
                    if let Some(k) = prior {
                        known.insert(key, k);
                    }
                    continue;
                };
                let ident = Ident::of(&meta);
                if let Some(k) = &prior
                    && k.dev == ident.dev
                    && k.ino == ident.ino
                    && k.size == ident.size
                    && k.mtime_ns == ident.mtime_ns
                {
                    continue;
                }
                jobs.push(Job {
                    root_id,
                    transcript: t,
                    prior,
                });
            }
            // What is left in `known` no longer exists.
            for (_, k) in known {
                tx.execute("DELETE FROM responses WHERE file_id = ?1", [k.id])
                    .map_err(db("removing a deleted file's rows"))?;
                tx.execute("DELETE FROM files WHERE id = ?1", [k.id])
                    .map_err(db("removing a deleted file"))?;
                stats.files_removed += 1;
            }
        }
        apply_jobs(&tx, jobs, &mut stats).map_err(db("recording usage"))?;
        tx.commit().map_err(db("committing a sync"))?;
        Ok(stats)
    }
}

/// A file's state as last recorded.
#[derive(Debug, Clone)]
struct Known {
    id: i64,
    dev: i64,
    ino: i64,
    size: i64,
    mtime_ns: i64,
    offset: i64,
    head_len: i64,
    head_hash: i64,
}

/// What identifies a file's version on disk.
#[derive(Debug, Clone, Copy)]
struct Ident {
    dev: i64,
    ino: i64,
    size: i64,
    mtime_ns: i64,
}

impl Ident {
    fn of(meta: &std::fs::Metadata) -> Ident {
        #[cfg(unix)]
        let (dev, ino) = {
            use std::os::unix::fs::MetadataExt;
            (meta.dev() as i64, meta.ino() as i64)
        };
        #[cfg(not(unix))]
        let (dev, ino) = (0, 0);
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i64);
        Ident {
            dev,
            ino,
            size: meta.len() as i64,
            mtime_ns,
        }
    }
}

struct Job {
    root_id: i64,
    transcript: Transcript,
    prior: Option<Known>,
}

/// A usage line and where it is.
struct Found {
    key: i64,
    offset: u64,
    line: UsageLine,
}

/// The outcome of reading one file.
struct FileRead {
    ident: Ident,
    reset: bool,
    offset: u64,
    head_len: u64,
    head_hash: u64,
    bytes: u64,
    lines: u64,
    /// The best line of each response in the part read, in order of first appearance.
    found: Vec<Found>,
}

fn read_job(job: &Job) -> std::io::Result<FileRead> {
    let path = &job.transcript.path;
    let mut file = File::open(path)?;
    let ident = Ident::of(&file.metadata()?);
    let mut head = Vec::with_capacity(HEAD_LEN as usize);
    (&mut file).take(HEAD_LEN).read_to_end(&mut head)?;
    let (mut start, mut reset) = (0u64, false);
    if let Some(k) = &job.prior {
        let same_file = k.dev == ident.dev && k.ino == ident.ino;
        let head_len = k.head_len as usize;
        let same_head = head.len() >= head_len && fnv1a(&[&head[..head_len]]) as i64 == k.head_hash;
        if same_file && same_head && ident.size >= k.offset {
            start = k.offset as u64;
        } else {
            reset = true;
        }
    }
    file.seek(SeekFrom::Start(start))?;
    let path_bytes = path.to_string_lossy();
    let mut best: HashMap<i64, usize> = HashMap::new();
    let mut found: Vec<Found> = Vec::new();
    let mut lines = 0u64;
    let end = super::reader::read_lines(&mut file, start, |offset, raw| {
        let Some(line) = line::parse(raw) else {
            return;
        };
        lines += 1;
        let key = match &line.message_id {
            Some(id) => fnv1a(&[b"m", id.as_bytes()]) as i64,
            None => fnv1a(&[b"l", path_bytes.as_bytes(), &offset.to_le_bytes()]) as i64,
        };
        match best.get(&key) {
            Some(&i) => {
                // The largest usage wins; on a tie the first line stays.
                if line.tokens.total() > found[i].line.tokens.total() {
                    found[i] = Found { key, offset, line };
                }
            }
            None => {
                best.insert(key, found.len());
                found.push(Found { key, offset, line });
            }
        }
    })?;
    Ok(FileRead {
        ident,
        reset,
        offset: end,
        head_len: head.len() as u64,
        head_hash: fnv1a(&[&head]),
        bytes: end - start,
        lines,
        found,
    })
}

/// Reads the files of `jobs` on worker threads and records them in path order.
fn apply_jobs(
    tx: &rusqlite::Transaction<'_>,
    jobs: Vec<Job>,
    stats: &mut SyncStats,
) -> rusqlite::Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(jobs.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let jobs = &jobs;
    std::thread::scope(|scope| {
        let (send, recv) = mpsc::sync_channel::<(usize, std::io::Result<FileRead>)>(64);
        for _ in 0..workers {
            let send = send.clone();
            let next = &next;
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else {
                        break;
                    };
                    if send.send((i, read_job(job))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(send);
        // Record in job order, so "the first line on a tie" does not depend on threads.
        let mut pending: BTreeMap<usize, std::io::Result<FileRead>> = BTreeMap::new();
        let mut want = 0usize;
        let result = (|| {
            for (i, read) in recv.iter() {
                pending.insert(i, read);
                while let Some(read) = pending.remove(&want) {
                    record(tx, &jobs[want], read, stats)?;
                    want += 1;
                }
            }
            Ok(())
        })();
        drop(recv);
        result
    })
}

fn record(
    tx: &rusqlite::Transaction<'_>,
    job: &Job,
    read: std::io::Result<FileRead>,
    stats: &mut SyncStats,
) -> rusqlite::Result<()> {
    // A file that vanished or cannot be read keeps its last state; the next sync sees it.
    let Ok(read) = read else {
        return Ok(());
    };
    stats.files_read += 1;
    stats.bytes_read += read.bytes;
    stats.usage_lines += read.lines;
    let t = &job.transcript;
    let path = t.path.to_string_lossy();
    let file_id: i64 = match &job.prior {
        Some(k) => {
            if read.reset {
                stats.files_reset += 1;
                tx.execute("DELETE FROM responses WHERE file_id = ?1", [k.id])?;
            }
            tx.execute(
                "UPDATE files SET dev=?2, ino=?3, size=?4, mtime_ns=?5, offset=?6, head_len=?7,
                 head_hash=?8 WHERE id=?1",
                params![
                    k.id,
                    read.ident.dev,
                    read.ident.ino,
                    read.ident.size,
                    read.ident.mtime_ns,
                    read.offset as i64,
                    read.head_len as i64,
                    read.head_hash as i64
                ],
            )?;
            k.id
        }
        None => {
            tx.execute(
                "INSERT INTO files(root_id, path, project, session, dev, ino, size, mtime_ns,
                 offset, head_len, head_hash) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
                params![
                    job.root_id,
                    path,
                    t.project,
                    t.session,
                    read.ident.dev,
                    read.ident.ino,
                    read.ident.size,
                    read.ident.mtime_ns,
                    read.offset as i64,
                    read.head_len as i64,
                    read.head_hash as i64
                ],
            )?;
            tx.last_insert_rowid()
        }
    };
    let mut upsert = tx.prepare_cached(
        "INSERT INTO responses(key, file_id, line_offset, ts_ms, day, session, project, model,
            input, output, cache_create, cache_read, total)
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)
         ON CONFLICT(key) DO UPDATE SET file_id=excluded.file_id,
            line_offset=excluded.line_offset, ts_ms=excluded.ts_ms, day=excluded.day,
            session=excluded.session, project=excluded.project, model=excluded.model,
            input=excluded.input, output=excluded.output, cache_create=excluded.cache_create,
            cache_read=excluded.cache_read, total=excluded.total
         WHERE excluded.total > responses.total",
    )?;
    for f in read.found {
        let l = &f.line;
        let tk = &l.tokens;
        upsert.execute(params![
            f.key,
            file_id,
            f.offset as i64,
            l.ts_ms,
            l.ts_ms.div_euclid(86_400_000),
            l.session_id.as_deref().unwrap_or(&t.session),
            t.project,
            l.model,
            tk.input_tokens as i64,
            tk.output_tokens as i64,
            tk.cache_creation_input_tokens as i64,
            tk.cache_read_input_tokens as i64,
            tk.total() as i64
        ])?;
    }
    Ok(())
}
