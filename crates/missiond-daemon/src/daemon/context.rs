//! What every part of the running daemon shares: its folders, its IPC endpoint, the path
//! of its own binary (for hook commands) and the store.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use super::permissions::Permissions;
use super::records::Records;

/// Shared, read-mostly daemon state.
pub struct Ctx {
    /// `MISSIOND_HOME`.
    pub home: PathBuf,
    /// Where PTY logs go (`MISSIOND_HOME/logs`).
    pub logs_dir: PathBuf,
    /// Per-slot generated files (hook settings), `MISSIOND_HOME/run`.
    pub run_dir: PathBuf,
    /// The IPC endpoint as text, as hook commands must name it.
    pub endpoint: String,
    /// This binary, which hook commands run as `<exe> hook <Event>`.
    pub exe: PathBuf,
    /// Why the slots file could not be used, when it could not.
    pub config_error: Option<String>,
    /// Slot sessions and turns.
    pub records: Records,
    /// The tool permission policy (`permissions.yaml`).
    pub permissions: Permissions,
    /// When the daemon started.
    pub started_at: SystemTime,
    /// How `${secret:path}` references in slot environments are resolved (`secrets:`).
    pub secrets: Option<missiond_core::secrets::SecretsConfig>,
    shutting_down: AtomicBool,
}

impl Ctx {
    /// A context; `shutting_down` starts false.
    pub fn new(
        home: PathBuf,
        logs_dir: PathBuf,
        run_dir: PathBuf,
        endpoint: String,
        exe: PathBuf,
        records: Records,
        permissions: Permissions,
    ) -> Self {
        Ctx {
            home,
            logs_dir,
            run_dir,
            endpoint,
            exe,
            config_error: None,
            records,
            permissions,
            started_at: SystemTime::now(),
            secrets: None,
            shutting_down: AtomicBool::new(false),
        }
    }

    /// Whether shutdown has begun (new work is refused).
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// Start refusing new work.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }
}
