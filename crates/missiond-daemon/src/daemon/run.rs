//! `missiond` with no subcommand: set up the home folder, take the lock, open the store,
//! load the slots, serve IPC until SIGTERM/SIGINT, then end every slot and flush.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use missiond_core::ipc::{SecretToken, ServerConfig, auth, serve};
use missiond_core::paths::{DaemonLock, Paths};

use super::context::Ctx;
use super::handlers::Handlers;
use super::log_folder::{LogFolder, LogLimits};
use super::permissions::Permissions;
use super::records::Records;
use super::slot_config;
use super::supervisor::Supervisor;

/// Run the daemon in the foreground until a signal; returns the exit code.
pub fn run() -> Result<i32> {
    let paths = Paths::from_env()?;
    // Before any thread starts, so the environment may still be changed safely.
    let given_token = take_ipc_token_from_env();
    init_tracing(&paths.log_level, &paths.home);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve_until_signal(paths, given_token))?;
    Ok(0)
}

/// Logs to stderr at `level`, and to the log center (`super::jarvis`) at
/// `MISSION_JARVIS_LEVEL` (default `info`), each layer with its own filter.
fn init_tracing(level: &str, home: &Path) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(super::secrets::ScrubbedStderr)
        // Colour codes only for a person's terminal, never into a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(filter);
    let jarvis_level =
        std::env::var(missiond_core::jarvis::ENV_JARVIS_LEVEL).unwrap_or_else(|_| "info".into());
    let jarvis_filter = tracing_subscriber::EnvFilter::try_new(&jarvis_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // The home may not exist yet: the store makes its folder (private) itself.
    let center = super::jarvis::start(home);
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(super::jarvis::layer::JarvisLayer.with_filter(jarvis_filter))
        .try_init();
    if let Err(e) = center {
        tracing::warn!("the log center is off: {e}");
    }
}

/// A folder only its owner can enter.
fn private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("making {} private", dir.display()))
}

/// `MISSION_IPC_TOKEN`, read and then removed from this process's environment: every
/// process the daemon starts (slots, their agents' shells) inherits that environment,
/// and the token would give an agent the orchestrator's access.
fn take_ipc_token_from_env() -> Option<String> {
    let token = std::env::var(auth::ENV_IPC_TOKEN)
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    // SAFETY: called from `run` before the async runtime or any other thread exists,
    // so nothing reads the environment concurrently.
    unsafe { std::env::remove_var(auth::ENV_IPC_TOKEN) };
    token
}

/// The token TCP connections must show (`None` on a Unix socket, which needs none).
/// Unless given in the environment, a new one is written to `$MISSIOND_HOME/ipc-token`
/// (0600) before anything listens, so a client that can connect can also find it.
fn ipc_token(paths: &Paths, given: Option<String>) -> Result<Option<SecretToken>> {
    let file = auth::token_file(&paths.home);
    let remove_stale = || match std::fs::remove_file(&file) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("removing the stale {}", file.display())),
    };
    if paths.ipc_endpoint.path().is_some() {
        remove_stale()?;
        return Ok(None);
    }
    if let Some(token) = given {
        // A file from an earlier start would name another token.
        remove_stale()?;
        return Ok(Some(SecretToken::new(token)));
    }
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    auth::write_token_file(&file, &token)
        .with_context(|| format!("writing the IPC token {}", file.display()))?;
    Ok(Some(SecretToken::new(token)))
}

async fn serve_until_signal(paths: Paths, given_token: Option<String>) -> Result<()> {
    private_dir(&paths.home)?;
    let _lock = DaemonLock::acquire(&paths.lock_path)?;
    // Left by an older daemon, which wrote the web token to a file; it is now asked for
    // over IPC (daemon.web_access) and never written down.
    let _ = std::fs::remove_file(paths.home.join("web-token"));
    let tcp_token = ipc_token(&paths, given_token)?;
    let logs_dir = paths.logs_dir.clone();
    let run_dir = paths.home.join("run");
    private_dir(&logs_dir)?;
    private_dir(&run_dir)?;
    // The store creates the database's folders itself, private (0700).
    let records = Records::open(&paths.db_path)
        .with_context(|| format!("opening the store {}", paths.db_path.display()))?;

    let loaded = slot_config::load(&paths.slots_config);
    let exe = std::env::current_exe().context("finding this program's path")?;
    let listener = paths
        .ipc_endpoint
        .listen()
        .await
        .with_context(|| format!("listening on {}", paths.ipc_endpoint))?;
    let endpoint_text = listener.endpoint().to_string();
    let mut ctx = Ctx::new(
        paths.home.clone(),
        logs_dir,
        run_dir,
        endpoint_text.clone(),
        exe,
        records,
        Permissions::open(
            &paths.permissions_config,
            std::env::var_os("HOME")
                .map(std::path::PathBuf::from)
                .as_deref(),
        ),
    );
    ctx.logs = Arc::new(LogFolder::new(
        ctx.logs_dir.clone(),
        LogLimits::new(paths.log_max_slot_bytes, paths.log_max_total_bytes),
    ));
    ctx.logs.prune_total();
    ctx.secrets = std::sync::RwLock::new(loaded.secrets.clone());
    ctx.sandbox = super::sandbox::Support::probe();
    if let super::sandbox::Support::Unavailable(why) = &ctx.sandbox {
        tracing::warn!("slots cannot be sandboxed here: {why}");
    }
    ctx.daemon_files = daemon_files(&paths);
    ctx.slots_config = paths.slots_config.clone();
    ctx.started_by = std::env::var(super::STARTED_BY_ENV)
        .ok()
        .filter(|s| !s.trim().is_empty());
    super::secrets::configure(&loaded.redact);
    let ctx = Arc::new(ctx);
    let supervisor = Arc::new(Supervisor::new(Arc::clone(&ctx), loaded.specs));
    supervisor.set_config_error(loaded.error.clone());

    let count = supervisor.slots().count();
    eprintln!(
        "missiond: listening on {endpoint_text} (home {}, {count} slot{})",
        paths.home.display(),
        if count == 1 { "" } else { "s" }
    );
    if let Some(error) = &loaded.error {
        eprintln!("missiond: {error}");
    } else if count == 0 {
        eprintln!(
            "missiond: no slots configured; add some to {} (slots: [{{id: coder-1, cwd: /path/to/project}}])",
            paths.slots_config.display()
        );
    }
    // Before any slot starts: end slots a killed daemon left, account for its tasks.
    let dispatch = super::dispatch::Dispatcher::boot(&supervisor, &endpoint_text);
    super::watchdog::start(&supervisor);
    super::conversation_ingest::start(&supervisor);
    super::cc_watch::start(&supervisor, paths.clone());
    super::kb_gc_schedule::start(&supervisor);
    super::memory_driver::start(&supervisor);
    let handlers = Arc::new(Handlers::new(Arc::clone(&supervisor), dispatch));
    super::agent_endpoint::start_all(&supervisor, &handlers).await;
    super::reload::watch(&supervisor, paths.slots_config.clone());
    super::web::start(
        Arc::clone(&supervisor),
        Arc::clone(&handlers),
        paths.ws_port,
    )
    .await;
    for slot in supervisor.slots().filter(|s| s.spec.config.autostart) {
        if let Err(e) = slot.spawn() {
            eprintln!("missiond: slot {}: {}", slot.spec.id, e.message);
        }
    }

    serve(
        listener,
        handlers,
        ServerConfig {
            tcp_token,
            ..ServerConfig::default()
        },
        {
            let ctx = Arc::clone(&supervisor.ctx);
            async move {
                tokio::select! {
                    _ = shutdown_signal() => {}
                    _ = ctx.stop_requested() => tracing::info!("stop requested by a client"),
                }
            }
        },
    )
    .await;
    tracing::info!("shutting down");
    supervisor.shutdown().await;
    super::remote::ssh::close_masters(&supervisor.ctx.run_dir).await;
    eprintln!("missiond: stopped");
    Ok(())
}

/// Every file of the daemon's that a slot must not reach, wherever it lives: the store
/// (with SQLite's journal files), the rules, the slots file and the main socket.
fn daemon_files(paths: &Paths) -> Vec<std::path::PathBuf> {
    let db = paths.db_path.to_string_lossy().into_owned();
    let mut files = vec![
        paths.db_path.clone(),
        format!("{db}-wal").into(),
        format!("{db}-shm").into(),
        format!("{db}-journal").into(),
        paths.permissions_config.clone(),
        paths.slots_config.clone(),
    ];
    files.extend(paths.ipc_endpoint.path().map(Path::to_path_buf));
    // The log center holds every slot's events: no slot reads another's.
    let jarvis = missiond_core::jarvis::db_path(&paths.home);
    let text = jarvis.to_string_lossy().into_owned();
    files.extend([
        jarvis.clone(),
        format!("{text}-wal").into(),
        format!("{text}-shm").into(),
    ]);
    files
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot listen for signals; stop the daemon with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
