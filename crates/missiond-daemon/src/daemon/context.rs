//! What every part of the running daemon shares: its folders, its IPC endpoint, the path
//! of its own binary (for hook commands) and the store.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use super::events::EventBus;
use super::permissions::Permissions;
use super::records::Records;

/// Shared, read-mostly daemon state.
pub struct Ctx {
    /// `MISSIOND_HOME`.
    pub home: PathBuf,
    /// Where PTY logs go (`MISSIOND_HOME/logs`).
    pub logs_dir: PathBuf,
    /// That folder's caps and the files live runs write.
    pub logs: std::sync::Arc<super::log_folder::LogFolder>,
    /// Per-slot folders (`MISSIOND_HOME/run/SLOT`): the slot's endpoint and the settings
    /// generated for it.
    pub run_dir: PathBuf,
    /// The IPC endpoint as text, as hook commands must name it.
    pub endpoint: String,
    /// This binary, which hook commands run as `<exe> hook <Event>`.
    pub exe: PathBuf,
    /// Slot sessions and turns.
    pub records: Records,
    /// The tool permission policy (`permissions.yaml`).
    pub permissions: Permissions,
    /// When the daemon started.
    pub started_at: SystemTime,
    /// How `${secret:path}` references in slot environments are resolved (`secrets:`).
    pub secrets: std::sync::RwLock<Option<missiond_core::secrets::SecretsConfig>>,
    /// Live events for WebSocket subscribers.
    pub events: EventBus,
    /// The WebSocket/HTTP server's address, once it listens.
    pub web_addr: std::sync::OnceLock<std::net::SocketAddr>,
    /// What clients of the WebSocket/HTTP server must show; new at each start, never
    /// written to a file (orchestrator clients ask for it: `daemon.web_access`).
    pub web_token: String,
    /// The board's read-only token: it sees everything the web server shows and acts
    /// on nothing (read-only tools, terminals in view mode). New at each start too.
    pub web_view_token: String,
    /// Why the WebSocket/HTTP server is not running, when it could not start.
    pub web_error: std::sync::OnceLock<String>,
    /// Whether slots can run in a bubblewrap sandbox here (probed once at start).
    pub sandbox: super::sandbox::Support,
    /// The daemon's files (database, rules, slots file, main socket): slots must not
    /// reach them, wherever they are.
    pub daemon_files: Vec<PathBuf>,
    /// Slot ids whose own endpoint was started (or tried), once per id.
    pub endpoints: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Slots whose own endpoint could not be made, with the reason (they cannot start).
    pub endpoint_errors: std::sync::Mutex<std::collections::HashMap<String, String>>,
    /// The slots file (`MISSION_SLOTS_CONFIG`, else `MISSIOND_HOME/slots.yaml`).
    pub slots_config: PathBuf,
    /// Who started the daemon and where its output goes, when not a person
    /// (`MISSIOND_STARTED_BY`, set by mission-mcp when it starts one).
    pub started_by: Option<String>,
    /// A client asked the daemon to stop (`missiond stop`).
    stop_requested: tokio::sync::Notify,
    shutting_down: AtomicBool,
    shutdown: tokio::sync::watch::Sender<bool>,
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
            logs: std::sync::Arc::new(super::log_folder::LogFolder::new(
                logs_dir.clone(),
                super::log_folder::LogLimits::default(),
            )),
            logs_dir,
            run_dir,
            endpoint,
            exe,
            records,
            permissions,
            started_at: SystemTime::now(),
            secrets: Default::default(),
            events: EventBus::default(),
            web_addr: std::sync::OnceLock::new(),
            web_error: std::sync::OnceLock::new(),
            sandbox: super::sandbox::Support::Unavailable("not probed".into()),
            daemon_files: Vec::new(),
            endpoint_errors: Default::default(),
            endpoints: Default::default(),
            web_token: format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            ),
            web_view_token: format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            ),
            slots_config: PathBuf::new(),
            started_by: None,
            stop_requested: tokio::sync::Notify::new(),
            shutting_down: AtomicBool::new(false),
            shutdown: tokio::sync::watch::channel(false).0,
        }
    }

    /// Ask the daemon to stop as on SIGTERM (after the current reply is sent).
    pub fn request_stop(&self) {
        self.stop_requested.notify_one();
    }

    /// Resolves once a stop was requested.
    pub async fn stop_requested(&self) {
        self.stop_requested.notified().await
    }

    /// Whether shutdown has begun (new work is refused).
    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// Start refusing new work.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        self.shutdown.send_replace(true);
    }

    /// Wakes when shutdown begins.
    pub fn subscribe_shutdown(&self) -> tokio::sync::watch::Receiver<bool> {
        self.shutdown.subscribe()
    }
}

impl Ctx {
    /// Why `slot` has no endpoint of its own, when it has none.
    pub fn endpoint_error(&self, slot: &str) -> Option<String> {
        self.endpoint_errors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(slot)
            .cloned()
    }
}
