//! One child process on a pseudo-terminal: spawn, write, resize, exit detection and
//! process-group cleanup. portable-pty is blocking, so reading, writing and waiting each
//! get a small thread of their own and talk to async code through channels.

use std::io::{ErrorKind, Read, Write};
use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;

use anyhow::{Context, Result};
use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};
use tokio::sync::{mpsc, oneshot};

/// What to run and how big its terminal is.
#[derive(Debug, Clone)]
pub struct PtySpec {
    pub program: String,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    /// Extra environment on top of the daemon's own.
    pub env: Vec<(String, String)>,
    /// Variables of the daemon's environment the child must not inherit.
    pub env_remove: Vec<String>,
    pub cols: u16,
    pub rows: u16,
}

/// The child's exit: its code, or `None` when a signal ended it.
pub type ExitCode = Option<i32>;

/// A running child on a PTY. Dropping it closes the master (the child gets SIGHUP).
pub struct PtyProcess {
    /// The terminal's master side: resized here; dropping it closes the terminal.
    master: Box<dyn MasterPty + Send>,
    writer: std_mpsc::Sender<Vec<u8>>,
    pid: Option<u32>,
}

/// The receiving ends a slot task listens on.
pub struct PtyStreams {
    /// Output chunks; closed at EOF (EIO on Linux once the child is gone).
    pub output: mpsc::Receiver<Vec<u8>>,
    /// Fires once when the child has been reaped.
    pub exit: oneshot::Receiver<ExitCode>,
}

/// Chunk size for reads; Claude Code redraws are a few KiB at most.
const READ_CHUNK: usize = 16 * 1024;

/// Start `spec` on a fresh PTY. The child is a session and process-group leader
/// (portable-pty calls `setsid`), so [`PtyProcess::kill_group`] reaches its children too.
pub fn spawn(spec: &PtySpec) -> Result<(PtyProcess, PtyStreams)> {
    // The child would fail its chdir after the fork, silently; say it here instead.
    if !spec.cwd.is_dir() {
        anyhow::bail!("working folder {} does not exist", spec.cwd.display());
    }
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: spec.rows,
            cols: spec.cols,
            pixel_width: 0,
            pixel_height: 0,
        })
        .context("opening a pseudo-terminal")?;
    let mut cmd = CommandBuilder::new(&spec.program);
    cmd.args(&spec.args);
    cmd.cwd(&spec.cwd);
    for k in &spec.env_remove {
        cmd.env_remove(k);
    }
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    let mut child = pair
        .slave
        .spawn_command(cmd)
        .with_context(|| format!("starting {:?} in {}", spec.program, spec.cwd.display()))?;
    // Without this the master never sees EOF: the daemon would hold the slave open.
    drop(pair.slave);
    let pid = child.process_id();

    let mut reader = pair
        .master
        .try_clone_reader()
        .context("cloning the PTY reader")?;
    let mut raw_writer = pair.master.take_writer().context("taking the PTY writer")?;

    let (out_tx, out_rx) = mpsc::channel::<Vec<u8>>(256);
    std::thread::Builder::new()
        .name("pty-reader".into())
        .spawn(move || {
            let mut buf = vec![0u8; READ_CHUNK];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if out_tx.blocking_send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    // EIO once the child side is closed: that is the end of output.
                    Err(_) => break,
                }
            }
        })
        .context("starting the PTY reader thread")?;

    let (write_tx, write_rx) = std_mpsc::channel::<Vec<u8>>();
    std::thread::Builder::new()
        .name("pty-writer".into())
        .spawn(move || {
            // One thread keeps writes in order and never blocks the async runtime when the
            // child is slow to read.
            while let Ok(bytes) = write_rx.recv() {
                if raw_writer.write_all(&bytes).is_err() || raw_writer.flush().is_err() {
                    break;
                }
            }
        })
        .context("starting the PTY writer thread")?;

    let (exit_tx, exit_rx) = oneshot::channel();
    std::thread::Builder::new()
        .name("pty-waiter".into())
        .spawn(move || {
            let code = match child.wait() {
                Ok(status) if status.signal().is_some() => None,
                Ok(status) => Some(status.exit_code() as i32),
                Err(_) => None,
            };
            let _ = exit_tx.send(code);
        })
        .context("starting the PTY waiter thread")?;

    Ok((
        PtyProcess {
            master: pair.master,
            writer: write_tx,
            pid,
        },
        PtyStreams {
            output: out_rx,
            exit: exit_rx,
        },
    ))
}

impl PtyProcess {
    /// The child's process id (also its process-group id).
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Change the terminal's size (the child gets SIGWINCH).
    pub fn resize(&self, cols: u16, rows: u16) -> Result<()> {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .context("resizing the PTY")
    }

    /// Queue bytes for the child's input. Errors only when the writer thread is gone.
    pub fn write(&self, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.writer
            .send(bytes.to_vec())
            .map_err(|_| anyhow::anyhow!("the terminal's input is closed"))
    }

    /// Send `signal` to the child's whole process group.
    pub fn signal_group(&self, signal: i32) {
        if let Some(pid) = self.pid.and_then(|p| i32::try_from(p).ok()) {
            // SAFETY: kill(2) with a negative pid only sends a signal; no memory involved.
            unsafe {
                libc::kill(-pid, signal);
            }
        }
    }
}
