//! `missiond runner --serve SLOT`: holds one slot's program on this host.
//!
//! One daemon connection at a time (a newer one replaces the older: the older is a link
//! that died without us noticing yet). Output is numbered and kept until acknowledged;
//! controls (input, resize, signals) are numbered by the daemon and applied once. Without
//! a daemon for `detached_timeout_secs`, the program is ended; once it has ended and the
//! daemon has taken its exit (`Done`), or nobody came for it, the server quits.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use missiond_core::remote::ReplayBuffer;
use missiond_core::remote::frame::{
    Control, Frame, Msg, PROTOCOL_VERSION, RunInfo, SpawnSpec, Welcome, check_protocol,
};
use tokio::io::AsyncWriteExt;
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::daemon::pty::{self, PtyProcess, PtySpec};

/// Output kept for a daemon that is away.
const OUTPUT_LIMIT: usize = 8 * 1024 * 1024;
/// How long a server with no program waits for a daemon before quitting.
const IDLE_QUIT: Duration = Duration::from_secs(120);
/// Output still read after the program exited (children may hold the terminal).
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(500);
/// Between SIGHUP and SIGKILL when the server ends an abandoned program.
const KILL_GRACE: Duration = Duration::from_secs(5);

/// Environment variable naming this runner's executable, for hook commands.
pub const RUNNER_EXE_ENV: &str = "MISSIOND_RUNNER_EXE";

enum Ev {
    Client(UnixStream),
    Frame(u64, Frame),
    ClientGone(u64),
    /// Output of the run numbered so (see [`Run::number`]).
    Output(u64, Vec<u8>),
    /// The exit of the run numbered so.
    Exit(u64, Option<i32>),
    Conn(UnixStream),
    ConnData(u64, Vec<u8>),
    ConnClosed(u64),
    /// Claude Code's files on the host changed (see `files`).
    File(super::files::Change),
}

struct Run {
    id: String,
    /// Counts the runs this server started: a replaced run's pump may still send its
    /// last output and exit, which must not land on its successor.
    number: u64,
    pty: PtyProcess,
    control_applied: u64,
    exit: Option<Option<i32>>,
    output: ReplayBuffer<Vec<u8>>,
    /// Where Claude Code keeps its files for this program: config folder and cwd.
    files_at: (PathBuf, PathBuf),
    /// Following the session's files for the daemon (restarted by each `Watch`).
    files: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Run {
    fn drop(&mut self) {
        if let Some(task) = self.files.take() {
            task.abort();
        }
    }
}

struct Server {
    dir: PathBuf,
    slot: String,
    events: mpsc::UnboundedSender<Ev>,
    client: Option<(u64, mpsc::UnboundedSender<Frame>)>,
    /// The latest client's writer: frames queued before quitting still go out.
    writer: Option<tokio::task::JoinHandle<()>>,
    /// The client finished its handshake.
    greeted: bool,
    next_client: u64,
    /// Runs started so far (numbers the next one).
    runs_started: u64,
    run: Option<Run>,
    conns: HashMap<u64, mpsc::UnboundedSender<Option<Vec<u8>>>>,
    /// Connections (hooks) made while no daemon was connected: forwarded once one is,
    /// so a hook that fires during a reconnect still arrives.
    pending: Vec<UnixStream>,
    next_conn: u64,
    detached_timeout: Duration,
    /// When the server gives up on a daemon coming back.
    deadline: Option<Instant>,
    /// The program was ended for want of a daemon; SIGKILL follows at this time.
    kill_at: Option<Instant>,
}

/// Serves `slot` until its program has ended and been collected.
pub fn run(dir: &Path, slot: &str) -> Result<i32> {
    super::check_slot(slot)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runner's runtime")?;
    rt.block_on(serve(dir, slot))?;
    Ok(0)
}

async fn serve(dir: &Path, slot: &str) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    super::attach::set_private(dir);
    let _lock = lock(dir, slot)?;
    let socket = super::socket_path(dir, slot);
    let _ = std::fs::remove_file(&socket);
    let listener = UnixListener::bind(&socket)
        .with_context(|| format!("listening on {}", socket.display()))?;
    let slot_dir = super::slot_dir(dir, slot);
    std::fs::create_dir_all(&slot_dir)?;
    let agent_socket = slot_dir.join(crate::daemon::agent_endpoint::SOCKET_NAME);
    let _ = std::fs::remove_file(&agent_socket);
    let agent = UnixListener::bind(&agent_socket)
        .with_context(|| format!("listening on {}", agent_socket.display()))?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    accept_loop(listener, tx.clone(), Ev::Client);
    accept_loop(agent, tx.clone(), Ev::Conn);
    let mut server = Server {
        dir: dir.to_path_buf(),
        slot: slot.to_string(),
        events: tx,
        client: None,
        writer: None,
        greeted: false,
        next_client: 1,
        runs_started: 0,
        run: None,
        conns: HashMap::new(),
        pending: Vec::new(),
        next_conn: 1,
        detached_timeout: IDLE_QUIT,
        deadline: Some(Instant::now() + IDLE_QUIT),
        kill_at: None,
    };
    loop {
        let wake = [server.deadline, server.kill_at]
            .into_iter()
            .flatten()
            .min();
        let timer = async {
            match wake {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            ev = rx.recv() => match ev {
                Some(ev) => if server.on_event(ev) { break },
                None => break,
            },
            () = timer => if server.on_timer() { break },
        }
    }
    let _ = std::fs::remove_file(&socket);
    let _ = std::fs::remove_file(&agent_socket);
    let writer = server.writer.take();
    drop(server);
    if let Some(writer) = writer {
        let _ = tokio::time::timeout(Duration::from_secs(2), writer).await;
    }
    Ok(())
}

/// One server per slot: an flock held for the server's life.
fn lock(dir: &Path, slot: &str) -> Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    let path = dir.join(format!("{slot}.lock"));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    // SAFETY: flock(2) on a descriptor we own.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    anyhow::ensure!(rc == 0, "another runner serves slot `{slot}` here");
    Ok(file)
}

fn accept_loop(listener: UnixListener, tx: mpsc::UnboundedSender<Ev>, wrap: fn(UnixStream) -> Ev) {
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            if tx.send(wrap(stream)).is_err() {
                return;
            }
        }
    });
}

impl Server {
    /// Handles one event; true when the server should quit.
    fn on_event(&mut self, ev: Ev) -> bool {
        match ev {
            Ev::Client(stream) => self.on_client(stream),
            Ev::Frame(id, frame) if self.client.as_ref().is_some_and(|c| c.0 == id) => {
                return self.on_frame(frame);
            }
            Ev::Frame(..) => {}
            Ev::ClientGone(id) => {
                if self.client.as_ref().is_some_and(|c| c.0 == id) {
                    self.detach();
                }
            }
            Ev::Output(number, bytes) => {
                if let Some(run) = self.run.as_mut().filter(|r| r.number == number) {
                    let len = bytes.len();
                    let seq = run.output.push(bytes.clone(), len);
                    self.send(Frame::with_payload(Msg::Output { seq }, bytes));
                }
            }
            Ev::Exit(number, code) => {
                if let Some(run) = self.run.as_mut().filter(|r| r.number == number) {
                    run.exit = Some(code);
                    let after_seq = run.output.last_seq();
                    self.kill_at = None;
                    self.send(Frame::new(Msg::Exit { code, after_seq }));
                    if self.client.is_none() {
                        self.deadline = Some(Instant::now() + self.detached_timeout);
                    }
                }
            }
            Ev::Conn(stream) => self.on_conn(stream),
            Ev::ConnData(conn, bytes) => {
                if self.conns.contains_key(&conn) {
                    self.send(Frame::with_payload(Msg::Data { conn }, bytes));
                }
            }
            Ev::ConnClosed(conn) => {
                if self.conns.remove(&conn).is_some() {
                    self.send(Frame::new(Msg::Close { conn }));
                }
            }
            // Sent only to a daemon that is here: the next one says in its `Watch`
            // where to start again.
            Ev::File(super::files::Change::Transcript { offset, bytes }) => {
                self.send(Frame::with_payload(Msg::Transcript { offset }, bytes));
            }
            Ev::File(super::files::Change::Status { name, bytes }) => {
                self.send(Frame::with_payload(Msg::Status { name }, bytes));
            }
        }
        false
    }

    /// The daemon gave up, or the program was abandoned: true when the server quits.
    fn on_timer(&mut self) -> bool {
        let now = Instant::now();
        if self.kill_at.is_some_and(|at| at <= now) {
            self.kill_at = None;
            if let Some(run) = &self.run {
                run.pty.signal_group(libc::SIGKILL);
            }
        }
        if self.deadline.is_some_and(|at| at <= now) {
            self.deadline = None;
            match &self.run {
                Some(run) if run.exit.is_none() => {
                    eprintln!(
                        "runner {}: no daemon for {}s: ending the program",
                        self.slot,
                        self.detached_timeout.as_secs()
                    );
                    run.pty.signal_group(libc::SIGHUP);
                    run.pty.signal_group(libc::SIGTERM);
                    self.kill_at = Some(now + KILL_GRACE);
                }
                // Ended (or never started) and nobody came for it.
                _ => return true,
            }
        }
        false
    }

    fn on_client(&mut self, stream: UnixStream) {
        let id = self.next_client;
        self.next_client += 1;
        // A newer connection wins: the older one's link is dead or dying.
        self.detach();
        let (read, mut write) = stream.into_split();
        let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Frame>();
        self.writer = Some(tokio::spawn(async move {
            while let Some(frame) = out_rx.recv().await {
                if frame.write_async(&mut write).await.is_err() {
                    break;
                }
            }
            let _ = write.shutdown().await;
        }));
        let events = self.events.clone();
        tokio::spawn(async move {
            let mut read = read;
            while let Ok(Some(frame)) = Frame::read_async(&mut read).await {
                if events.send(Ev::Frame(id, frame)).is_err() {
                    return;
                }
            }
            let _ = events.send(Ev::ClientGone(id));
        });
        self.client = Some((id, out_tx));
        self.greeted = false;
        self.deadline = None;
    }

    /// The daemon's connection is gone: close its forwarded connections and start the
    /// clock on its return.
    fn detach(&mut self) {
        if self.client.take().is_none() {
            return;
        }
        self.greeted = false;
        self.conns.clear();
        self.deadline = Some(Instant::now() + self.detached_timeout);
    }

    fn send(&self, frame: Frame) {
        if !self.greeted {
            return;
        }
        if let Some((_, tx)) = &self.client {
            let _ = tx.send(frame);
        }
    }

    fn send_now(&self, frame: Frame) {
        if let Some((_, tx)) = &self.client {
            let _ = tx.send(frame);
        }
    }

    /// A frame from the daemon; true when the server should quit.
    fn on_frame(&mut self, frame: Frame) -> bool {
        match frame.msg {
            Msg::Hello(hello) => {
                if check_protocol(hello.protocol).is_err() {
                    // Said from the runner's side (the shared error is the daemon's).
                    self.send_now(Frame::new(Msg::Error {
                        message: format!(
                            "the daemon speaks protocol {}, this runner ({}) speaks {}: \
                             the daemon copies its own build to the host when it is missing; \
                             remove the runner there if it was installed by hand",
                            hello.protocol,
                            super::version(),
                            PROTOCOL_VERSION
                        ),
                    }));
                    self.detach();
                    // Nothing held: no reason to wait for a daemon that speaks another
                    // protocol.
                    return self.run.is_none();
                }
                let run = self.run.as_ref().map(|r| RunInfo {
                    run_id: r.id.clone(),
                    pid: r.pty.pid(),
                    control_applied: r.control_applied,
                });
                self.send_now(Frame::new(Msg::Welcome(Welcome {
                    protocol: PROTOCOL_VERSION,
                    version: super::version().to_string(),
                    run,
                })));
                self.greeted = true;
                for stream in std::mem::take(&mut self.pending) {
                    self.on_conn(stream);
                }
                if let (Some(resume), Some(run)) = (hello.resume, self.run.as_ref())
                    && resume.run_id == run.id
                {
                    let resend = run.output.since(resume.output_acked);
                    if let Some((first, bytes)) = resend.gap {
                        self.send(Frame::new(Msg::Gap { first, bytes }));
                    }
                    for (seq, bytes) in resend.items {
                        self.send(Frame::with_payload(Msg::Output { seq }, bytes.clone()));
                    }
                    if let Some(code) = run.exit {
                        self.send(Frame::new(Msg::Exit {
                            code,
                            after_seq: run.output.last_seq(),
                        }));
                    }
                }
            }
            _ if !self.greeted => {
                self.send_now(Frame::new(Msg::Error {
                    message: "the first frame must be a hello".into(),
                }));
                self.detach();
            }
            Msg::Spawn { run_id, spec } => self.spawn(run_id, spec),
            Msg::Control { seq, control } => {
                if let Some(run) = self.run.as_mut()
                    && seq > run.control_applied
                    && run.exit.is_none()
                {
                    run.control_applied = seq;
                    match control {
                        Control::Input => {
                            let _ = run.pty.write(&frame.payload);
                        }
                        Control::Resize { cols, rows } => {
                            let _ = run.pty.resize(cols, rows);
                        }
                        Control::Signal { signal } => run.pty.signal_group(signal),
                    }
                }
            }
            Msg::Ack { seq } => {
                if let Some(run) = self.run.as_mut() {
                    run.output.ack(seq);
                }
            }
            Msg::Done if self.run.as_ref().is_some_and(|r| r.exit.is_some()) => return true,
            Msg::Data { conn } => {
                if let Some(tx) = self.conns.get(&conn) {
                    let _ = tx.send(Some(frame.payload));
                }
            }
            Msg::Close { conn } => {
                if let Some(tx) = self.conns.remove(&conn) {
                    let _ = tx.send(None);
                }
            }
            Msg::Ping { nonce } => self.send(Frame::new(Msg::Pong { nonce })),
            Msg::Watch {
                session_id,
                transcript_from,
            } => {
                if let Some(run) = self.run.as_mut() {
                    if let Some(old) = run.files.take() {
                        old.abort();
                    }
                    let session = super::files::Session {
                        config_dir: run.files_at.0.clone(),
                        cwd: run.files_at.1.clone(),
                        id: session_id,
                    };
                    run.files = Some(super::files::follow(
                        session,
                        transcript_from,
                        self.events.clone(),
                        Ev::File,
                    ));
                }
            }
            _ => {}
        }
        false
    }

    fn spawn(&mut self, run_id: String, spec: SpawnSpec) {
        if let Some(old) = self.run.take()
            && old.exit.is_none()
        {
            // A daemon that starts afresh no longer knows the old run: end it, as the
            // daemon ends its local orphans.
            old.pty.signal_group(libc::SIGHUP);
            old.pty.signal_group(libc::SIGKILL);
        }
        match start(&self.dir, &self.slot, &spec) {
            Ok((pty, streams, sandboxed)) => {
                // Inside a sandbox the PTY's child is bubblewrap: report the program's
                // own pid, and end the sandbox's init with the program.
                let (init, pid) = match (sandboxed, pty.pid()) {
                    (true, Some(outer)) => {
                        let (init, program) = super::contain::sandbox_pids(outer);
                        (init, program.or(Some(outer)))
                    }
                    (_, pid) => (None, pid),
                };
                self.detached_timeout = Duration::from_secs(spec.detached_timeout_secs.max(1));
                self.runs_started += 1;
                let number = self.runs_started;
                self.run = Some(Run {
                    id: run_id.clone(),
                    number,
                    pty,
                    control_applied: 0,
                    exit: None,
                    output: ReplayBuffer::new(OUTPUT_LIMIT),
                    files_at: claude_files(&spec),
                    files: None,
                });
                pump(streams, self.events.clone(), init, number);
                self.send(Frame::new(Msg::Spawned {
                    run_id,
                    pid,
                    sandboxed,
                }));
            }
            Err(e) => self.send(Frame::new(Msg::SpawnFailed {
                message: format!("{e:#}"),
            })),
        }
    }

    fn on_conn(&mut self, stream: UnixStream) {
        if !self.greeted {
            // Held for the daemon's return; the hook's own timeout bounds the wait, and
            // it fails closed if the daemon does not come back in time.
            self.pending.retain(|s| s.peer_addr().is_ok());
            self.pending.push(stream);
            return;
        }
        let conn = self.next_conn;
        self.next_conn += 1;
        let (mut read, mut write) = stream.into_split();
        let (tx, mut rx) = mpsc::unbounded_channel::<Option<Vec<u8>>>();
        tokio::spawn(async move {
            while let Some(Some(bytes)) = rx.recv().await {
                if write.write_all(&bytes).await.is_err() {
                    break;
                }
            }
            let _ = write.shutdown().await;
        });
        let events = self.events.clone();
        tokio::spawn(async move {
            use tokio::io::AsyncReadExt;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match read.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if events.send(Ev::ConnData(conn, buf[..n].to_vec())).is_err() {
                            return;
                        }
                    }
                }
            }
            let _ = events.send(Ev::ConnClosed(conn));
        });
        self.conns.insert(conn, tx);
        self.send(Frame::new(Msg::Open { conn }));
    }
}

/// Writes the spawn's files and starts the program (under bubblewrap when the slot's
/// isolation asks for it and this host has it; true then).
fn start(dir: &Path, slot: &str, spec: &SpawnSpec) -> Result<(PtyProcess, pty::PtyStreams, bool)> {
    // Refused before anything is written or started.
    let bwrap = super::contain::decide(spec.isolation)?;
    let slot_dir = &super::slot_dir(dir, slot);
    std::fs::create_dir_all(slot_dir)?;
    let dir_text = slot_dir.to_string_lossy().into_owned();
    let exe = std::env::current_exe().context("finding the runner's executable")?;
    let bin_text = exe
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let fill = |s: &str| {
        s.replace("{slot_dir}", &dir_text)
            .replace("{bin_dir}", &bin_text)
    };
    for (name, content) in &spec.files {
        anyhow::ensure!(
            !name.contains('/') && !name.starts_with('.'),
            "refusing file name {name:?}"
        );
        let path = slot_dir.join(name);
        std::fs::write(&path, fill(content))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let mut env: Vec<(String, String)> =
        spec.env.iter().map(|(k, v)| (k.clone(), fill(v))).collect();
    env.push((RUNNER_EXE_ENV.into(), exe.to_string_lossy().into_owned()));
    env.push((
        missiond_core::paths::ENV_IPC_ENDPOINT.to_string(),
        slot_dir
            .join(crate::daemon::agent_endpoint::SOCKET_NAME)
            .to_string_lossy()
            .into_owned(),
    ));
    let cwd = expand_home(&spec.cwd);
    let mut program = spec.program.clone();
    let mut args: Vec<String> = spec.args.iter().map(|a| fill(a)).collect();
    if let Some(bwrap) = &bwrap {
        let plan = super::contain::plan(dir, slot_dir, &exe, &cwd, &env)?;
        args = plan.bwrap_args(&program, &args);
        program = bwrap.to_string_lossy().into_owned();
    }
    let spec = PtySpec {
        program,
        args,
        cwd,
        env,
        env_remove: spec.env_remove.clone(),
        cols: spec.cols,
        rows: spec.rows,
    };
    let (pty, streams) = pty::spawn(&spec)?;
    Ok((pty, streams, bwrap.is_some()))
}

/// Claude Code's configuration folder for the program (`CLAUDE_CONFIG_DIR`, else
/// `$HOME/.claude`, from its environment over this host's) and its working folder.
fn claude_files(spec: &SpawnSpec) -> (PathBuf, PathBuf) {
    let env: std::collections::BTreeMap<String, String> = spec.env.iter().cloned().collect();
    let config =
        crate::daemon::transcript::config_dir(&env).unwrap_or_else(|| expand_home("~/.claude"));
    (config, expand_home(&spec.cwd))
}

/// `~` and `~/...` against this host's HOME (kept as written without one).
fn expand_home(path: &str) -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    missiond_core::paths::expand_tilde(path, home.as_deref()).unwrap_or_else(|| PathBuf::from(path))
}

/// Forwards the program's output and then its exit (after a short drain, and once
/// nothing of its sandbox runs any more) as events.
fn pump(
    streams: pty::PtyStreams,
    events: mpsc::UnboundedSender<Ev>,
    sandbox_init: Option<u32>,
    run: u64,
) {
    let pty::PtyStreams {
        mut output,
        mut exit,
    } = streams;
    tokio::spawn(async move {
        let mut open = true;
        loop {
            tokio::select! {
                chunk = output.recv(), if open => match chunk {
                    Some(bytes) => { let _ = events.send(Ev::Output(run, bytes)); }
                    None => open = false,
                },
                code = &mut exit => {
                    let drain = async {
                        while let Some(bytes) = output.recv().await {
                            let _ = events.send(Ev::Output(run, bytes));
                        }
                    };
                    let _ = tokio::time::timeout(DRAIN_AFTER_EXIT, drain).await;
                    if let Some(init) = sandbox_init {
                        super::contain::end_sandbox(init).await;
                    }
                    let _ = events.send(Ev::Exit(run, code.unwrap_or(None)));
                    return;
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_is_the_hosts() {
        let home = std::env::var("HOME").unwrap();
        assert_eq!(expand_home("~/w"), PathBuf::from(&home).join("w"));
        assert_eq!(expand_home("~"), PathBuf::from(&home));
        assert_eq!(expand_home("/abs"), PathBuf::from("/abs"));
    }
}
