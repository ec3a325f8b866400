//! The SQLite database: versioned schema, slot sessions and turns, the task queue, the
//! inbox and the permission decisions.
//!
//! One [`Store`] per daemon. Calls take a short lock on one connection and block; from
//! async code, call them inside `tokio::task::spawn_blocking` when they may be slow.
//! Timestamps are Unix milliseconds (see [`crate::time`]).

mod board;
mod conversations;
mod decisions;
mod deliveries;
pub(crate) mod inbox;
mod injections;
mod kb;
mod kb_proposals;
mod kb_upkeep;
mod memory;
mod migrations;
mod questions;
mod sessions;
pub(crate) mod task_fresh;
pub(crate) mod tasks;
mod turns;
mod tx;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;

pub use decisions::{DecisionRow, NewDecision};
pub use deliveries::Delivery;
pub use injections::InjectionRow;
pub use kb_proposals::{DECIDED_MAX, Decision, PENDING_MAX, ProposalStatus};
pub use kb_upkeep::{KbChange, KbUnused};
pub use migrations::{MIGRATIONS, SCHEMA_VERSION};
pub use sessions::{NewSession, SessionEnd, SessionRow};
pub use turns::{NewTurn, TurnEnd, TurnRow};

/// A database failure, naming the file and what was being done.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file could not be opened or is not a usable SQLite database.
    #[error("cannot open the database {}: {source}", .path.display())]
    Open {
        /// The database file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
    /// The folder for the database could not be created.
    #[error("cannot create the folder for the database {}: {source}", .path.display())]
    Folder {
        /// The database file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Bringing the schema up to date failed.
    #[error("cannot update the schema of {}: {source}", .path.display())]
    Migrate {
        /// The database file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: rusqlite_migration::Error,
    },
    /// A query failed.
    #[error("database error while {action}: {source}")]
    Query {
        /// What was being done (`recording a turn`).
        action: &'static str,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
    /// A row referred to does not exist.
    #[error("{what} {id} does not exist")]
    NotFound {
        /// The kind of row.
        what: &'static str,
        /// Its id.
        id: i64,
    },
}

impl StoreError {
    /// As an IPC `storage_error`.
    pub fn to_rpc(&self) -> crate::ipc::RpcError {
        crate::ipc::RpcError::new(crate::ipc::ErrorCode::StorageError, self.to_string())
    }
}

pub(crate) fn query_err(action: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Query { action, source }
}

/// The database.
pub struct Store {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// Creates `path` as an empty file readable by its owner only, unless it exists.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it to the latest
    /// schema. Fails clearly on a corrupt file, an unwritable place, or a database
    /// written by a newer missiond.
    ///
    /// The database holds prompts, answers and permission decisions: folders it has to
    /// create are made private (0700 on Unix) and a new database file is created 0600
    /// (SQLite gives its `-wal` and `-shm` files the same mode), wherever
    /// `MISSION_DB_PATH` points. Existing folders and files keep their modes.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let folder_err = |source| StoreError::Folder {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir).map_err(folder_err)?;
        }
        create_private(path).map_err(folder_err)?;
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        configure(&conn, true).map_err(open_err)?;
        migrations::migrate(&mut conn).map_err(|source| StoreError::Migrate {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Store {
            conn: Mutex::new(conn),
            path: Some(path.to_path_buf()),
        })
    }

    /// A private in-memory database with the latest schema (for tests and tools).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let path = PathBuf::from(":memory:");
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let mut conn = Connection::open_in_memory().map_err(open_err)?;
        configure(&conn, false).map_err(open_err)?;
        migrations::migrate(&mut conn).map_err(|source| StoreError::Migrate {
            path: path.clone(),
            source,
        })?;
        Ok(Store {
            conn: Mutex::new(conn),
            path: None,
        })
    }

    /// The database file (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(query_err("reading the schema version"))
    }

    /// The connection, for modules adding their own tables and queries.
    pub fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (statements are
        // atomic), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Connection settings: WAL for concurrent readers, enforced foreign keys, and a busy
/// timeout so a concurrent writer (a CLI reading the DB) waits instead of failing.
fn configure(conn: &Connection, wal: bool) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    if wal {
        // Also the first read of the file: a corrupt file fails here.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%mode, "SQLite refused WAL mode");
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
    }
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

#[cfg(test)]
mod tests;
