//! A program in a pseudo-terminal, with its output arriving on a channel.
//!
//! portable-pty is blocking, so a reader thread turns the master side into [`Event`]s.
//! Other sources (the user's keyboard, SIGWINCH) send into the same channel, so one loop
//! can wait on all of them with a timeout.

use std::io::{Read, Write};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};

/// Something the recording loop must react to.
#[derive(Debug)]
pub enum Event {
    /// The program wrote these bytes; read at this instant.
    Output(Instant, Vec<u8>),
    /// The master side reached EOF (on Linux, EIO once every slave is closed).
    OutputEnd,
    /// The user typed these bytes.
    Input(Vec<u8>),
    /// The user's terminal changed size.
    Winch,
}

/// A running program on a PTY.
pub struct Pty {
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
}

impl Pty {
    /// Spawn `command` on a new PTY of `cols` x `rows` in the current directory with
    /// `TERM=xterm-256color`; its output goes to `events`.
    pub fn spawn(command: &[String], cols: u16, rows: u16, events: Sender<Event>) -> Result<Self> {
        let Some((program, args)) = command.split_first() else {
            bail!("no command to run");
        };
        let pair = native_pty_system()
            .openpty(pty_size(cols, rows))
            .context("opening a pseudo-terminal")?;
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        // portable-pty would start in $HOME otherwise.
        cmd.cwd(std::env::current_dir().context("reading the current directory")?);
        let child = pair
            .slave
            .spawn_command(cmd)
            .with_context(|| format!("starting {program}"))?;
        // Our copy of the slave must go, or the master never sees EOF.
        drop(pair.slave);
        let mut reader = pair
            .master
            .try_clone_reader()
            .context("reading the pseudo-terminal")?;
        let writer = pair
            .master
            .take_writer()
            .context("writing the pseudo-terminal")?;
        std::thread::Builder::new()
            .name("pty-reader".into())
            .spawn(move || read_loop(&mut reader, &events))
            .context("starting the PTY reader thread")?;
        Ok(Self {
            master: pair.master,
            writer,
            child,
        })
    }

    /// Send bytes to the program.
    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.writer
            .write_all(bytes)
            .and_then(|()| self.writer.flush())
            .context("writing to the program")
    }

    /// Resize the PTY (the program gets SIGWINCH).
    pub fn resize(&self, cols: u16, rows: u16) -> Result<()> {
        self.master
            .resize(pty_size(cols, rows))
            .context("resizing the pseudo-terminal")
    }

    /// The exit status, if the program has exited.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        self.child.try_wait().context("polling the program")
    }

    /// Wait for the program to exit.
    pub fn wait(&mut self) -> Result<ExitStatus> {
        self.child.wait().context("waiting for the program")
    }

    /// Ask the program to end: SIGHUP, as a closed terminal would send.
    pub fn hangup(&self) {
        if let Some(pid) = self.child.process_id().and_then(|p| i32::try_from(p).ok()) {
            // SAFETY: signals our own child; a failure only means it is gone already.
            unsafe { libc::kill(pid, libc::SIGHUP) };
        }
    }

    /// End the program for sure (SIGHUP, then SIGKILL after a short grace).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
    }
}

fn pty_size(cols: u16, rows: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

fn read_loop(reader: &mut dyn Read, events: &Sender<Event>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if events
                    .send(Event::Output(Instant::now(), buf[..n].to_vec()))
                    .is_err()
                {
                    return;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // EIO is how Linux reports that the last slave closed: that is EOF.
            Err(_) => break,
        }
    }
    let _ = events.send(Event::OutputEnd);
}

/// Forward the user's keyboard (our stdin) into `events` until stdin ends.
pub fn spawn_stdin_reader(events: Sender<Event>) -> Result<()> {
    std::thread::Builder::new()
        .name("stdin-reader".into())
        .spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buf = [0u8; 4096];
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        if events.send(Event::Input(buf[..n].to_vec())).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => return,
                }
            }
        })
        .context("starting the stdin reader thread")?;
    Ok(())
}

/// Turn SIGWINCH into [`Event::Winch`].
pub fn spawn_winch_watcher(events: Sender<Event>) -> Result<()> {
    let mut signals =
        signal_hook::iterator::Signals::new([libc::SIGWINCH]).context("listening for SIGWINCH")?;
    std::thread::Builder::new()
        .name("sigwinch".into())
        .spawn(move || {
            for _ in signals.forever() {
                if events.send(Event::Winch).is_err() {
                    return;
                }
            }
        })
        .context("starting the SIGWINCH thread")?;
    Ok(())
}

/// A fresh event channel.
pub fn events() -> (Sender<Event>, Receiver<Event>) {
    channel()
}
