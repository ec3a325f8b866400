//! The log-center table: one SQLite file (WAL), written in batches by one thread, read
//! by queries; rotated by size (oldest entries first) and age.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, ToSql, params};

use super::{MAX_FIELDS_BYTES, MAX_MESSAGE_BYTES, Record, cut};
use crate::catalogue::{JarvisLogsResult, LogEntry, LogLevel};

/// A failure of the log-center file.
#[derive(Debug, thiserror::Error)]
#[error("log center {path}: {action}: {source}")]
pub struct StoreError {
    path: PathBuf,
    action: &'static str,
    #[source]
    source: rusqlite::Error,
}

/// Most bytes of entries one query returns (the rest is `truncated`), so a reply stays
/// well within the IPC message limit.
pub const MAX_RESULT_BYTES: usize = 4 * 1024 * 1024;

/// Size and age caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    /// The file may grow to about this many bytes.
    pub max_bytes: u64,
    /// Entries older than this (ms) are removed.
    pub max_age_ms: i64,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            max_bytes: 64 * 1024 * 1024,
            max_age_ms: 7 * 86_400_000,
        }
    }
}

/// What a query asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogQuery {
    /// This level and above.
    pub min_level: Option<LogLevel>,
    /// At or after this Unix ms.
    pub since_ms: Option<i64>,
    /// About this slot.
    pub slot_id: Option<String>,
    /// Containing this text (case-insensitive) in the message or fields.
    pub text: Option<String>,
    /// At most this many.
    pub limit: u32,
}

/// The log-center file.
pub struct JarvisStore {
    path: PathBuf,
    conn: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time INTEGER NOT NULL,
    level INTEGER NOT NULL,
    target TEXT NOT NULL,
    message TEXT NOT NULL,
    request_id TEXT,
    cause_id TEXT,
    slot_id TEXT,
    fields TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS logs_time ON logs(time);
CREATE INDEX IF NOT EXISTS logs_request ON logs(request_id) WHERE request_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS logs_cause ON logs(cause_id) WHERE cause_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS logs_slot ON logs(slot_id, time) WHERE slot_id IS NOT NULL;
";

impl JarvisStore {
    /// Opens (creating) the file at `path`, its folder private.
    pub fn open(path: &Path) -> Result<JarvisStore, StoreError> {
        let err = |action| {
            move |source| StoreError {
                path: path.to_path_buf(),
                action,
                source,
            }
        };
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(err("opening"))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err("setting the busy timeout"))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA auto_vacuum = INCREMENTAL;",
        )
        .map_err(err("setting the journal mode"))?;
        conn.execute_batch(SCHEMA)
            .map_err(err("creating the table"))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        Ok(JarvisStore {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, action: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError {
            path: self.path.clone(),
            action,
            source,
        }
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes `records` in one transaction.
    pub fn insert(&self, records: &[Record]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(self.err("starting a write"))?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO logs (time, level, target, message, request_id, cause_id, slot_id, fields)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(self.err("preparing a write"))?;
            for r in records {
                let fields = serde_json::Value::Object(r.fields.clone()).to_string();
                let fields = if fields.len() > MAX_FIELDS_BYTES {
                    serde_json::json!({ "truncated": cut(&fields, MAX_FIELDS_BYTES) }).to_string()
                } else {
                    fields
                };
                stmt.execute(params![
                    r.time_ms,
                    r.level,
                    r.target,
                    cut(&r.message, MAX_MESSAGE_BYTES),
                    r.request_id,
                    r.cause_id,
                    r.slot_id,
                    fields
                ])
                .map_err(self.err("writing"))?;
            }
        }
        tx.commit().map_err(self.err("committing"))
    }

    /// Entries matching `q`, newest first.
    pub fn query(&self, q: &LogQuery) -> Result<JarvisLogsResult, StoreError> {
        let mut sql = String::from(
            "SELECT seq, time, level, target, message, request_id, cause_id, slot_id, fields FROM logs WHERE 1=1",
        );
        let mut args: Vec<Box<dyn ToSql>> = Vec::new();
        if let Some(level) = q.min_level {
            sql.push_str(" AND level >= ?");
            args.push(Box::new(level.rank()));
        }
        if let Some(since) = q.since_ms {
            sql.push_str(" AND time >= ?");
            args.push(Box::new(since));
        }
        if let Some(slot) = &q.slot_id {
            sql.push_str(" AND slot_id = ?");
            args.push(Box::new(slot.clone()));
        }
        if let Some(text) = &q.text {
            sql.push_str(
                " AND (instr(lower(message), lower(?)) > 0 OR instr(lower(fields), lower(?)) > 0)",
            );
            args.push(Box::new(text.clone()));
            args.push(Box::new(text.clone()));
        }
        sql.push_str(" ORDER BY seq DESC LIMIT ?");
        args.push(Box::new(i64::from(q.limit) + 1));
        self.select(&sql, &args, q.limit)
    }

    /// Every entry of request `id` and of what it caused, oldest first, at most `limit`.
    pub fn trace(&self, id: &str, limit: u32) -> Result<JarvisLogsResult, StoreError> {
        let sql = "SELECT seq, time, level, target, message, request_id, cause_id, slot_id, fields FROM logs
                   WHERE request_id = ?1 OR cause_id = ?1 ORDER BY seq LIMIT ?2";
        let args: Vec<Box<dyn ToSql>> =
            vec![Box::new(id.to_string()), Box::new(i64::from(limit) + 1)];
        self.select(sql, &args, limit)
    }

    fn select(
        &self,
        sql: &str,
        args: &[Box<dyn ToSql>],
        limit: u32,
    ) -> Result<JarvisLogsResult, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(sql).map_err(self.err("preparing a query"))?;
        let refs: Vec<&dyn ToSql> = args.iter().map(|a| a.as_ref()).collect();
        let mut rows = stmt.query(refs.as_slice()).map_err(self.err("querying"))?;
        let mut entries = Vec::new();
        let mut bytes = 0usize;
        let mut truncated = false;
        while let Some(row) = rows.next().map_err(self.err("reading a row"))? {
            if entries.len() as u32 >= limit {
                truncated = true;
                break;
            }
            let entry = entry(row).map_err(self.err("reading a row"))?;
            bytes += entry.message.len() + 256 + entry.fields.len() * 64;
            if bytes > MAX_RESULT_BYTES {
                truncated = true;
                break;
            }
            entries.push(entry);
        }
        Ok(JarvisLogsResult {
            entries,
            truncated,
            dropped: 0,
        })
    }

    /// Removes entries older than the age cap and, while the file is over its size cap,
    /// the oldest quarter of the rest. Returns how many were removed.
    pub fn rotate(&self, limits: StoreLimits, now_ms: i64) -> Result<u64, StoreError> {
        let conn = self.conn();
        let mut removed = conn
            .execute(
                "DELETE FROM logs WHERE time < ?1",
                params![now_ms - limits.max_age_ms],
            )
            .map_err(self.err("removing old entries"))? as u64;
        for _ in 0..8 {
            let size: i64 = conn
                .query_row(
                    "SELECT (page_count - freelist_count) * page_size FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()",
                    [],
                    |r| r.get(0),
                )
                .map_err(self.err("measuring the file"))?;
            if size as u64 <= limits.max_bytes {
                break;
            }
            let n = conn
                .execute(
                    "DELETE FROM logs WHERE seq <= (SELECT seq FROM logs ORDER BY seq
                     LIMIT 1 OFFSET (SELECT count(*) / 4 FROM logs))",
                    [],
                )
                .map_err(self.err("removing the oldest entries"))? as u64;
            removed += n;
            if n == 0 {
                break;
            }
        }
        if removed > 0 {
            conn.execute_batch("PRAGMA incremental_vacuum; PRAGMA wal_checkpoint(TRUNCATE);")
                .map_err(self.err("reclaiming space"))?;
        }
        Ok(removed)
    }

    /// How many entries are stored.
    pub fn count(&self) -> Result<u64, StoreError> {
        self.conn()
            .query_row("SELECT count(*) FROM logs", [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(self.err("counting"))
    }
}

fn entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<LogEntry> {
    let fields: String = row.get(8)?;
    let fields = match serde_json::from_str::<serde_json::Value>(&fields) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => Default::default(),
    };
    Ok(LogEntry {
        seq: row.get(0)?,
        time: crate::time::rfc3339_ms(row.get(1)?),
        level: LogLevel::from_rank(row.get::<_, u8>(2)?),
        target: row.get(3)?,
        message: row.get(4)?,
        request_id: row.get(5)?,
        cause_id: row.get(6)?,
        slot_id: row.get(7)?,
        fields,
    })
}
