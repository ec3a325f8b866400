//! A slot's program, wherever it runs: a local PTY, or a PTY a runner holds on another
//! host (see `remote`). Both feed the same `PtyStreams` to the slot's I/O task, so the
//! screen reader, state, turns and tasks do not know the difference.

use anyhow::Result;

use super::pty::PtyProcess;
use super::remote::link::RemoteProcess;

/// The process side of a run.
pub enum SlotProcess {
    Local(PtyProcess),
    Remote(RemoteProcess),
}

impl SlotProcess {
    /// The local process id (its process-group id); `None` for a remote program, whose
    /// pid means nothing on this machine (see [`SlotProcess::remote_pid`]).
    pub fn pid(&self) -> Option<u32> {
        match self {
            SlotProcess::Local(p) => p.pid(),
            SlotProcess::Remote(_) => None,
        }
    }

    /// A remote program's pid on its host (`None` for a local one, or before the
    /// runner started it).
    pub fn remote_pid(&self) -> Option<u32> {
        match self {
            SlotProcess::Local(_) => None,
            SlotProcess::Remote(r) => r.pid(),
        }
    }

    /// Whether a remote program runs in a sandbox on its host (false for a local one:
    /// see `Run::sandboxed`).
    pub fn remote_sandboxed(&self) -> bool {
        matches!(self, SlotProcess::Remote(r) if r.sandboxed())
    }

    /// Queue bytes for the program.
    pub fn write(&self, bytes: &[u8]) -> Result<()> {
        match self {
            SlotProcess::Local(p) => p.write(bytes),
            SlotProcess::Remote(r) => r.write(bytes),
        }
    }

    /// Change the terminal's size.
    pub fn resize(&self, cols: u16, rows: u16) -> Result<()> {
        match self {
            SlotProcess::Local(p) => p.resize(cols, rows),
            SlotProcess::Remote(r) => r.resize(cols, rows),
        }
    }

    /// Send `signal` to the program's process group.
    pub fn signal_group(&self, signal: i32) {
        match self {
            SlotProcess::Local(p) => p.signal_group(signal),
            SlotProcess::Remote(r) => r.signal_group(signal),
        }
    }

    /// Where a remote program's link stands (`Local` for a local one).
    pub fn link(&self) -> Link {
        match self {
            SlotProcess::Local(_) => Link::Local,
            SlotProcess::Remote(r) if r.connected() => Link::Up,
            SlotProcess::Remote(r) if r.connecting() => Link::Connecting,
            SlotProcess::Remote(_) => Link::Down,
        }
    }
}

/// A slot program's link to the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// A local PTY: no link.
    Local,
    /// Remote, first connection still being made: the slot is starting.
    Connecting,
    /// Remote, connected.
    Up,
    /// Remote, disconnected after having been up: its screen may be stale, so its state
    /// reads Unknown until the link is back.
    Down,
}
