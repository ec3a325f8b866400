//! One configured slot and, while it runs, its process: the PTY, the screen reader, the
//! PTY log, the current turn. Operations lock the slot briefly; waiting happens on a
//! change counter ([`Slot::subscribe`]) that the slot's I/O task bumps.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use missiond_core::config::slots::SlotConfig;
use missiond_core::ipc::RpcError;
use missiond_core::secrets::ResolvedEnv;
use semantic_terminal::{Config as TermConfig, SemanticTerminal, State};
use tokio::sync::{broadcast, watch};

use super::context::Ctx;
use super::hooks;
use super::pty::{self, PtySpec};
use super::pty_log::PtyLog;
use super::slot_process::SlotProcess;
use super::state_merge::StateMerge;
use super::transcript::{self, TranscriptCursor};
use super::turn::Turn;

/// Makes Claude Code use its fullscreen (alternate screen) renderer whatever it
/// remembers of earlier starts on this machine.
pub const FULLSCREEN_ENV: &str = "CLAUDE_CODE_NO_FLICKER";

/// Sizes a viewer may give a slot's terminal.
pub const RESIZE_COLS: std::ops::RangeInclusive<u16> = 20..=500;
/// See [`RESIZE_COLS`].
pub const RESIZE_ROWS: std::ops::RangeInclusive<u16> = 5..=200;

/// Output chunks an attached viewer may fall behind before it must repaint.
const OUTPUT_BACKLOG: usize = 4096;
/// Variables an orchestrating Claude Code sets for its own children; a slot's Claude Code
/// must not take itself for one of them.
pub(super) const INHERITED_CLAUDE_ENV: &[&str] = &[
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
    "CLAUDE_CODE_SSE_PORT",
];

/// Variables of the daemon's environment that grant more than a slot may have.
pub(super) const DAEMON_ONLY_ENV: &[&str] = &["MISSION_IPC_TOKEN"];

/// How one run of a slot is started.
struct Launch {
    /// What the PTY runs (bubblewrap, when sandboxed).
    pty: PtySpec,
    /// The slot's own command line, as logged and shown.
    command: Vec<String>,
    /// The program runs in the slot's sandbox.
    sandboxed: bool,
}

/// A configured slot, as the runtime sees it.
#[derive(Debug, Clone)]
pub struct SlotSpec {
    /// Its entry in slots.yaml.
    pub config: SlotConfig,
    /// The program is Claude Code: the daemon adds its session id, permission mode and
    /// hook settings, and reads its transcript.
    pub claude: bool,
    /// The slot's id (from `config`, kept at hand: every log line and error names it).
    pub id: String,
}

/// The process side of a slot, from spawn until the next spawn (kept after exit so its
/// final screen and exit code stay readable).
pub struct Run {
    pub pty: SlotProcess,
    pub term: SemanticTerminal,
    /// Time zero of the screen reader and the PTY log.
    pub origin: Instant,
    pub started_at: SystemTime,
    pub session_id: Option<String>,
    /// Where the transcript may be; a `SessionStart` hook names the real one.
    pub transcript: Vec<PathBuf>,
    pub log: Option<PtyLog>,
    /// `Some` once the process has exited: its code (`None` inside: killed by a signal).
    pub exit: Option<Option<i32>>,
    pub exited_at: Option<SystemTime>,
    /// The daemon ended the process (kill or shutdown), as opposed to it exiting.
    pub killed: bool,
    pub turn: Option<Turn>,
    pub next_seq: u64,
    /// The folder-trust dialog was already answered for this run.
    pub trust_answered: bool,
    /// Store row of this run.
    pub record_id: Option<i64>,
    /// Screen readings and hook events, reconciled (see [`Run::state`]).
    pub merge: StateMerge,
    /// Output chunks received so far: lets a caller tell "nothing at all happened since
    /// I typed" from "the screen was redrawn".
    pub output_chunks: u64,
    /// This run's id, in every process it starts (`MISSIOND_RUN_ID`): finds the tool
    /// processes Claude Code starts in sessions of their own when the run ends.
    pub run_id: String,
    /// Scrubs secrets from the output sent to attached viewers.
    pub viewer_scrub: Option<missiond_core::secrets::RedactingStream>,
    /// The state last published on the event bus.
    pub published_state: Option<missiond_core::catalogue::SlotState>,
    /// The program runs inside the slot's bubblewrap sandbox.
    pub sandboxed: bool,
    /// The sandboxed program's own host pid, once found (see [`Run::pid`]).
    pub program_pid: std::sync::OnceLock<u32>,
    /// Claude Code's status file's last `status`, once read (see `status_file`).
    pub status_file: Option<String>,
}

impl Run {
    /// The slot's state as reported to clients: the screen merged with hooks while the
    /// process lives; `Stopped` after the daemon ended it, `Exited` after it ended alone.
    pub fn slot_state(&self) -> missiond_core::catalogue::SlotState {
        use missiond_core::catalogue::SlotState;
        match (self.is_alive(), self.killed) {
            (true, _) => SlotState::from(self.state()),
            (false, true) => SlotState::Stopped,
            (false, false) => SlotState::Exited,
        }
    }

    /// Seconds since the run began: the screen reader's clock.
    pub fn now(&self) -> f64 {
        self.origin.elapsed().as_secs_f64()
    }

    /// The slot's state as reported everywhere: the screen's reading, overruled by
    /// Claude Code's hooks when the two disagree for long (see `state_merge`). The raw
    /// reading is `term.state()`.
    pub fn state(&self) -> State {
        if self.is_alive() {
            match self.pty.link() {
                // A remote slot whose link is down: its screen is stale, so never Idle.
                super::slot_process::Link::Down => return State::Unknown,
                super::slot_process::Link::Connecting => return State::Starting,
                _ => {}
            }
        }
        self.merge.reported(self.term.state(), self.now())
    }

    /// The slot program's process id, as the host sees it: the program itself, also
    /// when it runs in a sandbox (where the PTY's child is bubblewrap). Signals for the
    /// whole slot go to the PTY's process group instead (`pty.signal_group`).
    /// For a remote slot it is the program's pid on its host (never signalled from
    /// here: signals travel through the runner).
    pub fn pid(&self) -> Option<u32> {
        if let SlotProcess::Remote(_) = &self.pty {
            return self.pty.remote_pid();
        }
        let outer = self.pty.pid()?;
        if !self.sandboxed {
            return Some(outer);
        }
        if let Some(pid) = self.program_pid.get() {
            return Some(*pid);
        }
        match super::sandbox::program_pid(outer) {
            Some(pid) => Some(*self.program_pid.get_or_init(|| pid)),
            None => Some(outer),
        }
    }

    /// Whether the process is still alive.
    pub fn is_alive(&self) -> bool {
        self.exit.is_none()
    }

    /// A cursor at the transcript's current end.
    pub fn transcript_cursor(&self) -> TranscriptCursor {
        TranscriptCursor::at_end(self.transcript.clone())
    }
}

/// Slot state guarded by one lock.
#[derive(Default)]
pub struct Inner {
    pub run: Option<Run>,
    /// A send is in progress (it holds the slot until its turn ends or it times out).
    pub sending: bool,
}

/// A configured slot.
pub struct Slot {
    pub spec: SlotSpec,
    pub ctx: Arc<Ctx>,
    inner: Mutex<Inner>,
    changed: watch::Sender<u64>,
    /// The process's output (secrets scrubbed), for attached viewers.
    output: broadcast::Sender<Arc<[u8]>>,
    /// Restart, stuck, context and autonomous-run state (see `lifecycle`).
    pub life: Mutex<super::lifecycle::Life>,
    /// Its git worktree, once made or found at a start (`workspace:` in slots.yaml).
    pub workspace: Mutex<Option<missiond_core::workspace::Layout>>,
}

impl Slot {
    /// A configured, not yet running slot.
    pub fn new(spec: SlotSpec, ctx: Arc<Ctx>) -> Arc<Self> {
        Arc::new(Slot {
            life: Mutex::new(super::lifecycle::Life::new(&spec.config.lifecycle)),
            spec,
            ctx,
            inner: Mutex::new(Inner::default()),
            changed: watch::channel(0).0,
            output: broadcast::channel(OUTPUT_BACKLOG).0,
            workspace: Mutex::new(None),
        })
    }

    /// The slot's state, locked. Never held across an `.await`.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent-enough data; keep serving.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wake everyone waiting on this slot.
    pub fn notify(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// Send output to attached viewers. Called with the slot locked, right after the
    /// bytes reached the emulator, so a viewer that subscribes and paints the screen
    /// under the same lock misses nothing and sees nothing twice.
    pub fn publish_output(&self, bytes: Arc<[u8]>) {
        let _ = self.output.send(bytes);
    }

    /// The output from now on. Take it with the slot locked, together with the screen.
    pub fn subscribe_output(&self) -> broadcast::Receiver<Arc<[u8]>> {
        self.output.subscribe()
    }

    /// A receiver that wakes on every change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Start the slot's process. Returns false, doing nothing, when it already runs.
    /// Secrets are resolved on this thread; async callers use `secrets::start`.
    pub fn spawn(self: &Arc<Self>) -> Result<bool, RpcError> {
        if self.lock().run.as_ref().is_some_and(Run::is_alive) {
            return Ok(false);
        }
        let env = super::secrets::resolve_now(self)?;
        self.spawn_with(env)
    }

    /// Start the slot's process with its environment resolved.
    pub fn spawn_with(self: &Arc<Self>, env: ResolvedEnv) -> Result<bool, RpcError> {
        if self.ctx.is_shutting_down() {
            return Err(shutting_down());
        }
        if self.lock().run.as_ref().is_some_and(Run::is_alive) {
            return Ok(false);
        }
        // The worktree first (git runs here, not under the slot's lock).
        super::workspace_slot::prepare(self).map_err(|why| {
            RpcError::new(
                missiond_core::ipc::ErrorCode::SpawnFailed,
                format!("slot `{}`: {why}", self.spec.id),
            )
            .with_data(serde_json::json!({"slotId": self.spec.id}))
        })?;
        let work_dir = self.work_dir();
        let mut inner = self.lock();
        if inner.run.as_ref().is_some_and(Run::is_alive) {
            return Ok(false);
        }
        let spawn_failed = |what: String| {
            RpcError::new(
                missiond_core::ipc::ErrorCode::SpawnFailed,
                format!("slot `{}`: {what}", self.spec.id),
            )
            .with_data(serde_json::json!({"slotId": self.spec.id}))
        };
        let session_id = self.spec.claude.then(|| uuid::Uuid::new_v4().to_string());
        let run_id = uuid::Uuid::new_v4().to_string();
        let (process, streams, command, sandboxed) = if let Some(host) = &self.spec.config.host {
            let (process, streams) =
                super::remote::launch::start(self, host, session_id.as_deref(), &env, &run_id)
                    .map_err(|e| spawn_failed(format!("{e:#}")))?;
            let mut command = vec![self.spec.config.command.clone()];
            command.extend(self.spec.config.args.iter().cloned());
            (SlotProcess::Remote(process), streams, command, false)
        } else {
            let Launch {
                pty: mut pty_spec,
                command,
                sandboxed,
            } = self
                .launch(session_id.as_deref(), &env)
                .map_err(|e| spawn_failed(format!("{e:#}")))?;
            pty_spec
                .env
                .push((super::orphans::RUN_ENV.to_string(), run_id.clone()));
            let (process, streams) =
                pty::spawn(&pty_spec).map_err(|e| spawn_failed(format!("{e:#}")))?;
            (SlotProcess::Local(process), streams, command, sandboxed)
        };
        let log = match PtyLog::open(
            &self.ctx.logs,
            &self.spec.id,
            command,
            self.spec.config.cols,
            self.spec.config.rows,
        ) {
            Ok(log) => Some(log.with_redactor(&super::secrets::redactor())),
            Err(e) => {
                tracing::warn!(slot = %self.spec.id, "no PTY log: {e:#}");
                None
            }
        };
        let transcript = match (&session_id, transcript::config_dir(&self.spec.config.env)) {
            // A remote slot's transcript is on its host: the runner streams it into a
            // copy here (see `remote::mirror`).
            (Some(id), _) if self.spec.config.host.is_some() => {
                vec![super::remote::mirror::transcript_path(
                    &self.ctx.home,
                    &self.spec.id,
                    id,
                )]
            }
            _ if self.spec.config.host.is_some() => Vec::new(),
            (Some(id), Some(dir)) => transcript::candidate_paths(&dir, &work_dir, id),
            _ => Vec::new(),
        };
        let pid = process.pid();
        let record_id = self.ctx.records.session_started(
            &self.spec.id,
            &self.spec.config.role,
            session_id.as_deref(),
            pid,
            &work_dir,
        );
        tracing::info!(slot = %self.spec.id, pid, session = ?session_id, sandboxed, "slot started");
        inner.run = Some(Run {
            pty: process,
            term: SemanticTerminal::with_rules(
                self.spec.config.cols,
                self.spec.config.rows,
                TermConfig::default(),
                super::rules_override::in_force(&self.ctx.home)
                    .rules
                    .clone(),
            ),
            origin: Instant::now(),
            started_at: SystemTime::now(),
            session_id,
            transcript,
            log,
            exit: None,
            exited_at: None,
            killed: false,
            turn: None,
            next_seq: 1,
            trust_answered: false,
            record_id,
            merge: StateMerge::new(),
            output_chunks: 0,
            run_id,
            viewer_scrub: Some(super::secrets::redactor().stream()),
            published_state: None,
            sandboxed,
            program_pid: std::sync::OnceLock::new(),
            status_file: None,
        });
        inner.sending = false;
        drop(inner);
        super::lifecycle::on_started(self);
        tokio::spawn(super::slot_task::drive(Arc::clone(self), streams));
        self.notify();
        Ok(true)
    }

    /// The command line, environment and hook settings for one run.
    fn launch(&self, session_id: Option<&str>, resolved: &ResolvedEnv) -> anyhow::Result<Launch> {
        let config = &self.spec.config;
        let mut args = config.args.clone();
        let mut env = vec![
            ("TERM".to_string(), "xterm-256color".to_string()),
            ("COLORTERM".to_string(), "truecolor".to_string()),
        ];
        if self.spec.claude {
            // The screen is read as the fullscreen renderer draws it. Without this, Claude
            // Code falls back to its classic renderer on a machine where a few starts
            // were cut short (slots killed while starting), and says so instead of
            // showing its prompt. The slot's own `env` may still override it.
            env.push((FULLSCREEN_ENV.to_string(), "1".to_string()));
        }
        let vars = resolved.exposed();
        env.extend(vars.map(|(k, v)| (k.to_string(), v.to_string())));
        if let Some(why) = self.ctx.endpoint_error(&self.spec.id) {
            anyhow::bail!("it has no endpoint of its own: {why}");
        }
        // The slot's processes reach the daemon through their own endpoint only.
        let endpoint = super::agent_endpoint::endpoint(&self.ctx.run_dir, &self.spec.id);
        let endpoint = endpoint.to_string();
        let slot_dir = super::agent_endpoint::slot_dir(&self.ctx.run_dir, &self.spec.id);
        env.push((hooks::SLOT_ENV.to_string(), self.spec.id.clone()));
        env.push((
            missiond_core::paths::ENV_IPC_ENDPOINT.to_string(),
            endpoint.clone(),
        ));
        let mut mcp_bin = None;
        if let Some(session_id) = session_id {
            std::fs::create_dir_all(&slot_dir)?;
            let settings_path = slot_dir.join("settings.json");
            let target = hooks::HookTarget {
                slot: &self.spec.id,
                role: &config.role,
                endpoint: &endpoint,
                permissions: self.ctx.permissions.path(),
            };
            let settings = hooks::settings_json(&self.ctx.exe, &target);
            std::fs::write(&settings_path, serde_json::to_vec_pretty(&settings)?)?;
            args.extend(super::mcp_config::claude_args(&self.ctx, &target)?);
            mcp_bin = super::mcp_config::mission_mcp(&self.ctx.exe);
            args.extend([
                "--session-id".to_string(),
                session_id.to_string(),
                "--permission-mode".to_string(),
                config.permission_mode.as_str().to_string(),
                "--settings".to_string(),
                settings_path.to_string_lossy().into_owned(),
            ]);
        }
        let mut env_remove: Vec<String> =
            INHERITED_CLAUDE_ENV.iter().map(|s| s.to_string()).collect();
        env_remove.extend(DAEMON_ONLY_ENV.iter().map(|s| s.to_string()));
        let mut program = config.command.clone();
        let mut command = vec![program.clone()];
        command.extend(args.iter().cloned());
        let sandboxed = match super::sandbox::decide(config.isolation, &self.ctx.sandbox) {
            Err(why) => anyhow::bail!("{why}"),
            Ok(None) => false,
            Ok(Some(bwrap)) => {
                let plan = self.sandbox_plan(&slot_dir, mcp_bin.as_deref(), &env)?;
                args = plan.bwrap_args(&program, &args);
                program = bwrap.to_string_lossy().into_owned();
                true
            }
        };
        Ok(Launch {
            pty: PtySpec {
                program,
                args,
                cwd: self.work_dir(),
                env,
                env_remove,
                cols: config.cols,
                rows: config.rows,
            },
            command,
            sandboxed,
        })
    }

    /// What this slot's sandbox hides and shows (see `sandbox`).
    fn sandbox_plan(
        &self,
        slot_dir: &std::path::Path,
        mcp_bin: Option<&std::path::Path>,
        env: &[(String, String)],
    ) -> anyhow::Result<super::sandbox::Plan> {
        let ctx = &self.ctx;
        let mut plan = super::sandbox::Plan {
            home: ctx.home.clone(),
            ..Default::default()
        };
        plan.place_cwd(&self.work_dir(), &[&ctx.run_dir, &ctx.logs_dir])?;
        if let Some(own) = self
            .workspace
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            // The other slots as slots.yaml has them now (made or not yet).
            let loaded = super::slot_config::load(&ctx.slots_config);
            // Without the file the other worktrees are unknown, and a sandbox that
            // cannot lock them would leave them writable: refuse rather than weaken.
            if let Some(why) = loaded.error {
                anyhow::bail!(
                    "{}: {why}; the other slots' worktrees cannot be kept from this one \
                     until it loads",
                    ctx.slots_config.display()
                );
            }
            let configured = loaded.specs;
            let others =
                super::workspace_slot::others(configured.iter().map(|s| &s.config), &self.spec.id);
            super::workspace_slot::contain(&mut plan, &own, &others);
        }
        plan.show_read_only(slot_dir);
        plan.show_read_only(ctx.permissions.path());
        plan.show_read_only(&ctx.exe);
        if let Some(mcp) = mcp_bin {
            plan.show_read_only(mcp);
        }
        // A HOME or Claude Code config folder kept in the daemon's home stays usable.
        for (key, value) in env {
            if matches!(key.as_str(), "HOME" | "CLAUDE_CONFIG_DIR") {
                plan.show_writable(std::path::Path::new(value));
            }
        }
        if let Some(home) = std::env::var_os("HOME") {
            plan.show_writable(std::path::Path::new(&home));
        }
        for file in &ctx.daemon_files {
            plan.hide_file(file);
        }
        Ok(plan)
    }

    /// The folder the slot's program runs in: its place in its worktree when it has a
    /// workspace (made at its first start), else its `cwd`.
    pub fn work_dir(&self) -> PathBuf {
        super::workspace_slot::work_dir(self)
    }

    /// Run `f` on the live process, or fail with "not running".
    pub fn with_live<T>(
        &self,
        f: impl FnOnce(&mut Run) -> Result<T, RpcError>,
    ) -> Result<T, RpcError> {
        let mut inner = self.lock();
        match inner.run.as_mut() {
            Some(run) if run.is_alive() => f(run),
            _ => Err(RpcError::slot_not_running(&self.spec.id)),
        }
    }

    /// Write bytes to the live process.
    pub fn write(&self, bytes: &[u8]) -> Result<(), RpcError> {
        self.with_live(|run| {
            run.pty
                .write(bytes)
                .map_err(|e| RpcError::internal(format!("slot `{}`: {e:#}", self.spec.id)))
        })
    }

    /// Resize the live terminal (the emulator, the PTY and its log follow). Claude Code
    /// redraws for the new size; the next start uses the configured size again.
    pub fn resize(&self, cols: u16, rows: u16) -> Result<(), RpcError> {
        if !(RESIZE_COLS.contains(&cols) && RESIZE_ROWS.contains(&rows)) {
            return Err(RpcError::invalid_params(
                "cols",
                format!(
                    "{cols}x{rows} is outside {}..={} columns by {}..={} rows",
                    RESIZE_COLS.start(),
                    RESIZE_COLS.end(),
                    RESIZE_ROWS.start(),
                    RESIZE_ROWS.end()
                ),
            ));
        }
        self.with_live(|run| {
            run.pty
                .resize(cols, rows)
                .map_err(|e| RpcError::internal(format!("slot `{}`: {e:#}", self.spec.id)))?;
            let t = run.now();
            run.term.resize(t, cols, rows);
            if let Some(log) = run.log.as_mut() {
                let _ = log.append(&semantic_terminal::recording::Entry::Resize { t, cols, rows });
            }
            Ok(())
        })
    }

    /// Interrupt the current work: Escape for Claude Code, Ctrl+C for anything else.
    pub fn interrupt(&self) -> Result<(), RpcError> {
        self.write(if self.spec.claude { b"\x1b" } else { b"\x03" })
    }

    /// End the slot's process group: SIGTERM, then SIGKILL after `grace`. Returns the
    /// exit code (`None`: ended by a signal).
    pub async fn kill(&self, grace: Duration) -> Result<Option<i32>, RpcError> {
        // The run being ended: another may replace it meanwhile (a restart, the task
        // dispatcher starting the slot on demand), and must not get this kill's SIGKILL.
        let (origin, sandbox_init) = self.with_live(|run| {
            run.killed = true;
            // Found before the signals: bubblewrap's own process dies on SIGTERM at once,
            // while the program in its sandbox may take a moment to follow.
            let init = run
                .sandboxed
                .then(|| run.pty.pid().and_then(super::sandbox::init_pid))
                .flatten();
            run.pty.signal_group(libc::SIGTERM);
            // Claude Code asks before quitting on a single signal; HUP ends it at once.
            run.pty.signal_group(libc::SIGHUP);
            Ok((run.origin, init))
        })?;
        let code = match self.wait_exit(origin, grace).await {
            Some(code) => code,
            None => {
                self.with_live(|run| {
                    if run.origin == origin {
                        run.pty.signal_group(libc::SIGKILL);
                    }
                    Ok(())
                })
                .ok();
                self.wait_exit(origin, grace).await.ok_or_else(|| {
                    RpcError::internal(format!(
                        "slot `{}` did not exit after SIGKILL",
                        self.spec.id
                    ))
                })?
            }
        };
        if let Some(init) = sandbox_init {
            self.end_sandbox(init, grace).await;
        }
        Ok(code)
    }

    /// Waits for a sandbox's init to end (and with it every process inside), ending it
    /// with SIGKILL after `grace`: a slot is stopped only once nothing of it runs.
    async fn end_sandbox(&self, init: u32, grace: Duration) {
        let gone = |limit: Duration| async move {
            let deadline = tokio::time::Instant::now() + limit;
            while !super::sandbox::has_ended(init) {
                if tokio::time::Instant::now() >= deadline {
                    return false;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            true
        };
        if gone(grace).await {
            return;
        }
        if let Ok(pid) = i32::try_from(init) {
            // SAFETY: kill(2) only sends a signal. SIGKILL from outside reaches a
            // namespace's init, and the kernel then ends the whole namespace.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
        if !gone(grace).await {
            tracing::warn!(slot = %self.spec.id, init, "the slot's sandbox outlived SIGKILL");
        }
    }

    /// Wait up to `limit` for the run that began at `origin` to exit; its exit code when
    /// it did (`None` inside when a newer run already replaced it).
    async fn wait_exit(&self, origin: Instant, limit: Duration) -> Option<Option<i32>> {
        let mut rx = self.subscribe();
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            match self.lock().run.as_ref() {
                Some(run) if run.origin == origin => {
                    if let Some(code) = run.exit {
                        return Some(code);
                    }
                }
                _ => return Some(None),
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                return None;
            }
        }
    }

    /// The slot's reported state ([`Run::state`]), `None` when the slot never ran.
    pub fn state(&self) -> Option<State> {
        self.lock().run.as_ref().map(Run::state)
    }
}

/// The error for new work during shutdown.
pub fn shutting_down() -> RpcError {
    RpcError::new(
        missiond_core::ipc::ErrorCode::ShuttingDown,
        "missiond is shutting down",
    )
}
