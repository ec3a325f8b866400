//! The daemon's end of one remote slot: an ssh session running `missiond runner
//! --attach SLOT` on the host, frames both ways, and reconnects.
//!
//! [`start`] returns at once with a [`RemoteProcess`] (what the slot writes, resizes and
//! signals) and the same `PtyStreams` a local PTY gives, so the slot's I/O task reads a
//! remote program exactly as a local one. The link task behind them connects (copying
//! the runner first when needed), spawns the program once, and then, whenever the
//! connection drops, reconnects with backoff and resumes: the runner resends the output
//! after the last one the daemon acknowledged, and the daemon resends the input (and
//! resizes, signals) the runner had not applied yet, so nothing is lost or done twice.
//! While the link is down the slot reads Unknown ([`RemoteProcess::connected`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use missiond_core::remote::ReplayBuffer;
use missiond_core::remote::frame::{
    Control, Frame, Hello, Msg, PROTOCOL_VERSION, Resume, SpawnSpec, check_protocol,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

use super::ssh::{self, Destination};
use crate::daemon::pty::{ExitCode, PtyStreams};

/// Unapplied input kept for a runner that is away.
const CONTROL_LIMIT: usize = 4 * 1024 * 1024;
/// How long the runner may take to answer the handshake (and to start the program).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// Between keep-alives on a live link; a keep-alive unanswered for [`PING_DEAD`] ends
/// the link (ssh's own keep-alive catches most dead links first).
const PING_EVERY: Duration = Duration::from_secs(5);
const PING_DEAD: Duration = Duration::from_secs(20);
/// Reconnect backoff bounds.
const BACKOFF_FIRST: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// What a link needs to know.
pub struct LinkParams {
    pub slot: String,
    /// The slot's `host:` as written (names the host in messages and health).
    pub host: String,
    pub dest: Destination,
    /// The ssh master sockets' folder.
    pub control_dir: PathBuf,
    /// The slot's own endpoint here: connections to its socket on the host (hooks) are
    /// forwarded to it, so they act as that slot and nothing more.
    pub agent_endpoint: PathBuf,
    pub run_id: String,
    pub spec: SpawnSpec,
    /// Where Claude Code's transcript and status file from the host are copied (a
    /// Claude Code slot's session).
    pub mirror: Option<super::mirror::Mirror>,
    /// Called when the link goes up or down (wakes the slot's waiters).
    pub on_change: Arc<dyn Fn() + Send + Sync>,
}

struct Shared {
    connected: AtomicBool,
    /// The link was up at least once (the program started on the host).
    ever: AtomicBool,
    pid: Mutex<Option<u32>>,
    /// The program runs in a bubblewrap sandbox on its host.
    sandboxed: AtomicBool,
}

/// A slot's program on another host, as the slot drives it.
pub struct RemoteProcess {
    host: String,
    controls: mpsc::UnboundedSender<(Control, Vec<u8>)>,
    shared: Arc<Shared>,
}

impl RemoteProcess {
    /// Queue bytes for the program (sent now, or on reconnect).
    pub fn write(&self, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.send(Control::Input, bytes.to_vec())
    }

    /// Resize the program's terminal.
    pub fn resize(&self, cols: u16, rows: u16) -> Result<()> {
        self.send(Control::Resize { cols, rows }, Vec::new())
    }

    /// Signal the program's process group on its host.
    pub fn signal_group(&self, signal: i32) {
        let _ = self.send(Control::Signal { signal }, Vec::new());
    }

    fn send(&self, control: Control, payload: Vec<u8>) -> Result<()> {
        self.controls
            .send((control, payload))
            .map_err(|_| anyhow::anyhow!("the link to host `{}` has ended", self.host))
    }

    /// Whether the link is up right now.
    pub fn connected(&self) -> bool {
        self.shared.connected.load(Ordering::SeqCst)
    }

    /// The program's pid on its host, once the runner started it (the program's own,
    /// also inside the host's sandbox).
    pub fn pid(&self) -> Option<u32> {
        *self.shared.pid.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the program runs in a bubblewrap sandbox on its host.
    pub fn sandboxed(&self) -> bool {
        self.shared.sandboxed.load(Ordering::SeqCst)
    }

    /// Whether the link has not come up yet since the start (still connecting).
    pub fn connecting(&self) -> bool {
        !self.shared.ever.load(Ordering::SeqCst)
    }
}

/// Starts the link task; the program starts on the host as soon as it connects.
pub fn start(params: LinkParams) -> (RemoteProcess, PtyStreams) {
    let shared = Arc::new(Shared {
        connected: AtomicBool::new(false),
        ever: AtomicBool::new(false),
        pid: Mutex::new(None),
        sandboxed: AtomicBool::new(false),
    });
    let (ctl_tx, ctl_rx) = mpsc::unbounded_channel();
    let (out_tx, out_rx) = mpsc::channel(256);
    let (exit_tx, exit_rx) = oneshot::channel();
    let process = RemoteProcess {
        host: params.host.clone(),
        controls: ctl_tx,
        shared: Arc::clone(&shared),
    };
    tokio::spawn(run(params, shared, ctl_rx, out_tx, exit_tx));
    (
        process,
        PtyStreams {
            output: out_rx,
            exit: exit_rx,
        },
    )
}

/// Where the link stands across sessions.
struct State {
    /// The last output sequence number passed to the slot.
    acked: u64,
    /// Controls the runner may not have applied yet.
    controls: ReplayBuffer<(Control, Vec<u8>)>,
    /// The program was started on the host (later sessions resume it).
    spawned: bool,
}

enum End {
    /// The program exited (or is gone for good): the run is over.
    Over(ExitCode),
    /// The link broke; try again.
    Lost(String),
    /// Nothing to try again: the program could not start.
    Fatal(String),
}

async fn run(
    p: LinkParams,
    shared: Arc<Shared>,
    mut controls: mpsc::UnboundedReceiver<(Control, Vec<u8>)>,
    out: mpsc::Sender<Vec<u8>>,
    exit: oneshot::Sender<ExitCode>,
) {
    let mut st = State {
        acked: 0,
        controls: ReplayBuffer::new(CONTROL_LIMIT),
        spawned: false,
    };
    let mut backoff = BACKOFF_FIRST;
    let mut down_since: Option<Instant> = None;
    // The runner gives up after its detached timeout; a little after that, so do we.
    let give_up = Duration::from_secs(super::detached_secs() + 30);
    loop {
        let end = session(&p, &shared, &mut st, &mut controls, &out, &mut backoff).await;
        let was_up = shared.connected.swap(false, Ordering::SeqCst);
        if was_up {
            super::health::link(&p.host, false);
            down_since = Some(Instant::now());
        }
        (p.on_change)();
        let code = match end {
            End::Over(code) => code,
            End::Fatal(why) => {
                tracing::error!(slot = %p.slot, host = %p.host, "remote slot ended: {why}");
                None
            }
            End::Lost(why) if !st.spawned => {
                tracing::error!(slot = %p.slot, host = %p.host, "remote slot did not start: {why}");
                None
            }
            End::Lost(why) => {
                let since = *down_since.get_or_insert_with(Instant::now);
                if since.elapsed() > give_up {
                    tracing::error!(slot = %p.slot, host = %p.host,
                        "remote slot given up after {}s without its host: {why}", give_up.as_secs());
                    None
                } else {
                    tracing::warn!(slot = %p.slot, host = %p.host,
                        "link lost ({why}); reconnecting in {}ms", backoff.as_millis());
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                    continue;
                }
            }
        };
        let _ = exit.send(code);
        return;
    }
}

/// One ssh session to the runner: handshake, spawn or resume, then frames until it ends.
async fn session(
    p: &LinkParams,
    shared: &Shared,
    st: &mut State,
    controls: &mut mpsc::UnboundedReceiver<(Control, Vec<u8>)>,
    out: &mpsc::Sender<Vec<u8>>,
    backoff: &mut Duration,
) -> End {
    let path = match super::install::ensure(&p.host, &p.dest, &p.control_dir).await {
        Ok(path) => path,
        Err(e @ super::install::InstallError::Unreachable { .. }) => {
            return End::Lost(e.to_string());
        }
        Err(e) => return End::Fatal(e.to_string()),
    };
    let remote = format!(
        "{path} runner --attach {}",
        crate::daemon::hooks::shell_quote(&p.slot)
    );
    let mut cmd = ssh::command(&p.dest, &p.control_dir, &remote);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return End::Fatal(format!("cannot run ssh: {e}")),
    };
    let (Some(mut stdin), Some(mut stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return End::Fatal("ssh's pipes are missing".into());
    };
    let errors = Arc::new(Mutex::new(Vec::new()));
    let errors_in = Arc::clone(&errors);
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf).await {
            if n == 0 {
                break;
            }
            let mut e = errors_in.lock().unwrap_or_else(|e| e.into_inner());
            if e.len() < 64 * 1024 {
                e.extend_from_slice(&buf[..n]);
            }
        }
    });
    let why = |what: &str| {
        let e = errors.lock().unwrap_or_else(|e| e.into_inner());
        if e.is_empty() {
            what.to_string()
        } else {
            format!("{what}: {}", ssh::diagnosis(&e))
        }
    };
    let (wtx, mut wrx) = mpsc::unbounded_channel::<Frame>();
    tokio::spawn(async move {
        while let Some(frame) = wrx.recv().await {
            if frame.write_async(&mut stdin).await.is_err() {
                break;
            }
        }
        let _ = stdin.shutdown().await;
    });
    let send = |f: Frame| {
        let _ = wtx.send(f);
    };
    send(Frame::new(Msg::Hello(Hello {
        protocol: PROTOCOL_VERSION,
        version: crate::runner::version().to_string(),
        resume: st.spawned.then(|| Resume {
            run_id: p.run_id.clone(),
            output_acked: st.acked,
        }),
    })));
    let started = Instant::now();
    let welcome = match read_timed(&mut stdout).await {
        Ok(Msg::Welcome(w)) => w,
        Ok(Msg::Error { message }) => return End::Fatal(format!("the runner refused: {message}")),
        Ok(other) => return End::Fatal(format!("the runner answered {other:?} to hello")),
        Err(e) => {
            // Give ssh a moment to print why it ended.
            let _ = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
            // The next attempt checks the host again (a new machine, a removed runner).
            super::install::forget(&p.host);
            return End::Lost(why(&format!("no handshake from the runner ({e})")));
        }
    };
    super::health::reachable(&p.host, started.elapsed());
    if let Err(e) = check_protocol(welcome.protocol) {
        return End::Fatal(e.to_string());
    }
    if st.spawned {
        match welcome.run {
            Some(run) if run.run_id == p.run_id => {
                st.controls.ack(run.control_applied);
                for (seq, (control, payload)) in st.controls.since(run.control_applied).items {
                    send(Frame::with_payload(
                        Msg::Control {
                            seq,
                            control: control.clone(),
                        },
                        payload.clone(),
                    ));
                }
            }
            _ => {
                tracing::warn!(slot = %p.slot, host = %p.host,
                    "the runner no longer holds this run (host restarted, or no daemon for too long)");
                return End::Over(None);
            }
        }
    } else {
        send(Frame::new(Msg::Spawn {
            run_id: p.run_id.clone(),
            spec: p.spec.clone(),
        }));
        match read_timed(&mut stdout).await {
            Ok(Msg::Spawned { pid, sandboxed, .. }) => {
                *shared.pid.lock().unwrap_or_else(|e| e.into_inner()) = pid;
                shared.sandboxed.store(sandboxed, Ordering::SeqCst);
                st.spawned = true;
                tracing::info!(slot = %p.slot, host = %p.host, pid, "remote slot started");
            }
            Ok(Msg::SpawnFailed { message }) => return End::Fatal(message),
            Ok(other) => return End::Fatal(format!("the runner answered {other:?} to spawn")),
            Err(e) => return End::Lost(why(&format!("no answer to spawn ({e})"))),
        }
    }
    if let Some(m) = &p.mirror {
        // From what the copy holds: a reconnect resumes the files as the output.
        send(Frame::new(Msg::Watch {
            session_id: m.session_id.clone(),
            transcript_from: m.transcript_len(),
        }));
    }
    shared.connected.store(true, Ordering::SeqCst);
    shared.ever.store(true, Ordering::SeqCst);
    super::health::link(&p.host, true);
    (p.on_change)();
    *backoff = BACKOFF_FIRST;

    let (conn_tx, mut conn_rx) = mpsc::unbounded_channel::<(u64, Option<Vec<u8>>)>();
    let mut conns: HashMap<u64, mpsc::UnboundedSender<Option<Vec<u8>>>> = HashMap::new();
    let mut ping = tokio::time::interval(PING_EVERY);
    let mut nonce = 0u64;
    let mut waiting: Option<(u64, Instant)> = None;
    let mut controls_open = true;
    loop {
        tokio::select! {
            frame = Frame::read_async(&mut stdout) => {
                let frame = match frame {
                    Ok(Some(f)) => f,
                    Ok(None) => return End::Lost(why("the connection closed")),
                    Err(e) => return End::Lost(why(&e.to_string())),
                };
                match frame.msg {
                    // Output already passed on (resent after a lost ack) is skipped.
                    Msg::Output { seq } if seq > st.acked => {
                        let _ = out.send(frame.payload).await;
                        st.acked = seq;
                        send(Frame::new(Msg::Ack { seq }));
                    }
                    Msg::Gap { first, bytes } => {
                        tracing::warn!(slot = %p.slot, "{bytes} bytes of output before #{first} were dropped on the host while the link was down");
                    }
                    Msg::Exit { code, .. } => {
                        send(Frame::new(Msg::Done));
                        // Let the writer deliver `Done` before the session goes.
                        drop(wtx);
                        let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
                        return End::Over(code);
                    }
                    Msg::Open { conn } => {
                        match tokio::net::UnixStream::connect(&p.agent_endpoint).await {
                            Ok(stream) => {
                                conns.insert(conn, forward(conn, stream, conn_tx.clone()));
                            }
                            Err(e) => {
                                tracing::warn!(slot = %p.slot, "forwarding a hook connection: {e}");
                                send(Frame::new(Msg::Close { conn }));
                            }
                        }
                    }
                    Msg::Data { conn } => {
                        if let Some(tx) = conns.get(&conn) {
                            let _ = tx.send(Some(frame.payload));
                        }
                    }
                    Msg::Close { conn } => {
                        if let Some(tx) = conns.remove(&conn) {
                            let _ = tx.send(None);
                        }
                    }
                    Msg::Transcript { offset } => {
                        if let Some(m) = &p.mirror
                            && let Err(e) = m.write_transcript(offset, &frame.payload)
                        {
                            tracing::warn!(slot = %p.slot, "copying the host's transcript: {e}");
                        }
                        (p.on_change)();
                    }
                    Msg::Status { name } => {
                        if let Some(m) = &p.mirror
                            && let Err(e) = m.write_status(&name, &frame.payload)
                        {
                            tracing::warn!(slot = %p.slot, "copying the host's status file: {e}");
                        }
                    }
                    Msg::Pong { nonce: n } => {
                        if let Some((sent_nonce, at)) = waiting
                            && sent_nonce == n
                        {
                            super::health::reachable(&p.host, at.elapsed());
                            waiting = None;
                        }
                    }
                    Msg::Error { message } => {
                        tracing::warn!(slot = %p.slot, host = %p.host, "runner: {message}");
                    }
                    _ => {}
                }
            }
            cmd = controls.recv(), if controls_open => match cmd {
                Some((control, payload)) => {
                    let size = payload.len() + 16;
                    let seq = st.controls.push((control.clone(), payload.clone()), size);
                    send(Frame::with_payload(Msg::Control { seq, control }, payload));
                }
                None => controls_open = false,
            },
            Some((conn, data)) = conn_rx.recv() => match data {
                Some(bytes) => send(Frame::with_payload(Msg::Data { conn }, bytes)),
                None => {
                    if conns.remove(&conn).is_some() {
                        send(Frame::new(Msg::Close { conn }));
                    }
                }
            },
            _ = ping.tick() => {
                if let Some((_, at)) = waiting
                    && at.elapsed() > PING_DEAD
                {
                    return End::Lost(format!("no keep-alive answer for {}s", PING_DEAD.as_secs()));
                }
                if waiting.is_none() {
                    nonce += 1;
                    waiting = Some((nonce, Instant::now()));
                    send(Frame::new(Msg::Ping { nonce }));
                }
            }
        }
    }
}

/// The next frame's header, within the handshake timeout.
async fn read_timed(stdout: &mut tokio::process::ChildStdout) -> Result<Msg, String> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, Frame::read_async(stdout)).await {
        Ok(Ok(Some(frame))) => Ok(frame.msg),
        Ok(Ok(None)) => Err("the connection closed".into()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("nothing within {}s", HANDSHAKE_TIMEOUT.as_secs())),
    }
}

/// Copies a forwarded connection's local side: what the daemon answers goes out as
/// `(conn, Some(bytes))`, its end as `(conn, None)`; the returned sender writes to it.
fn forward(
    conn: u64,
    stream: tokio::net::UnixStream,
    to_link: mpsc::UnboundedSender<(u64, Option<Vec<u8>>)>,
) -> mpsc::UnboundedSender<Option<Vec<u8>>> {
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
    tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to_link.send((conn, Some(buf[..n].to_vec()))).is_err() {
                        return;
                    }
                }
            }
        }
        let _ = to_link.send((conn, None));
    });
    tx
}
