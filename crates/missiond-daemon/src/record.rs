//! `missiond record`: run a program in a PTY and write everything it shows to a recording.
//!
//! Every output chunk goes to the recording (flushed at once, so a crash keeps what was
//! written), to a [`SemanticTerminal`] that mirrors the screen, and, when interactive, to
//! our stdout. Input comes from the user's keyboard or from an input script.
//!
//! Terminal queries (device attributes, cursor position, ...): the program waits for
//! answers. When our stdin is a terminal and the session is interactive, that terminal
//! sees the echoed query and answers through the keyboard stream, so we stay silent;
//! otherwise (scripted input, or stdin not a terminal) the emulator answers. The
//! `--answer-queries` flag overrides this.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use portable_pty::ExitStatus;
use semantic_terminal::recording::{Entry, Header};
use semantic_terminal::{Config, SemanticTerminal, Timestamp};

use crate::cli::{AnswerQueries, RecordArgs};
use crate::input_script::{self, Action, Step};
use crate::pty::{self, Event, Pty};
use missiond_core::tty;

/// Exit code when an input script step fails (the recording is kept).
pub const EXIT_SCRIPT_FAILED: i32 = 3;
/// How often the loop checks on the child when nothing else happens.
const POLL: Duration = Duration::from_millis(100);
/// How long output may keep coming after the child itself has exited (a grandchild may
/// still hold the terminal).
const DRAIN_GRACE: Duration = Duration::from_millis(500);
/// How long the child gets to exit after SIGHUP before it is killed.
const HANGUP_GRACE: Duration = Duration::from_secs(3);

/// Run `missiond record`; returns the process exit code.
pub fn run(args: RecordArgs) -> Result<i32> {
    let stdin_tty = std::io::stdin().is_terminal();
    let steps = match &args.input {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Some(input_script::parse(&text).with_context(|| format!("in {}", path.display()))?)
        }
        None => None,
    };
    let interactive = steps.is_none();
    let user_size = if stdin_tty { tty::size(0) } else { None };
    let (cols, rows) = (
        args.cols.or(user_size.map(|s| s.0)).unwrap_or(120),
        args.rows.or(user_size.map(|s| s.1)).unwrap_or(40),
    );
    let answer = match args.answer_queries {
        AnswerQueries::Always => true,
        AnswerQueries::Never => false,
        AnswerQueries::Auto => !(interactive && stdin_tty),
    };

    let out = RecordingFile::create(&args.out, cols, rows, &args.command)?;
    let (tx, rx) = pty::events();
    let start = Instant::now();
    let pty = Pty::spawn(&args.command, cols, rows, tx.clone())?;
    let mut session = Session {
        pty,
        rx,
        out,
        term: SemanticTerminal::new(cols, rows, Config::default()),
        start,
        last_t: 0.0,
        answer,
        echo: interactive,
        output_done: false,
        exited: None,
        exited_at: None,
    };

    let Some(steps) = steps else {
        // Raw mode before the first keystroke; restored when `_raw` drops, on every path.
        let _raw = if stdin_tty {
            Some(tty::RawMode::enable(0).context("putting the terminal in raw mode")?)
        } else {
            None
        };
        pty::spawn_stdin_reader(tx.clone())?;
        if stdin_tty {
            pty::spawn_winch_watcher(tx)?;
        } else {
            drop(tx);
        }
        session.run_to_exit()?;
        return session.finish(false);
    };
    drop(tx);
    match session.run_script(&steps) {
        Ok(()) => {
            let ended_by_us = session.exited.is_none();
            session.end_child()?;
            session.finish(ended_by_us)
        }
        Err(failure) => {
            eprintln!("missiond record: {failure:#}");
            eprintln!("--- screen at {:.3}s ---", session.now());
            eprintln!("{}", session.term.screen_text().trim_end());
            eprintln!("--- end of screen ---");
            session.end_child()?;
            session.finish(true)?;
            Ok(EXIT_SCRIPT_FAILED)
        }
    }
}

/// The recording file: header first, then one flushed line per entry.
struct RecordingFile {
    file: std::io::BufWriter<std::fs::File>,
    path: PathBuf,
}

impl RecordingFile {
    fn create(path: &PathBuf, cols: u16, rows: u16, command: &[String]) -> Result<Self> {
        let file =
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut this = Self {
            file: std::io::BufWriter::new(file),
            path: path.clone(),
        };
        let header = Header {
            version: 1,
            cols,
            rows,
            command: command.to_vec(),
        };
        this.line(&serde_json::to_string(&header).context("encoding the header")?)?;
        Ok(this)
    }

    fn entry(&mut self, entry: &Entry) -> Result<()> {
        self.line(&entry.to_line())
    }

    fn line(&mut self, line: &str) -> Result<()> {
        writeln!(self.file, "{line}")
            .and_then(|()| self.file.flush())
            .with_context(|| format!("writing {}", self.path.display()))
    }
}

struct Session {
    pty: Pty,
    rx: Receiver<Event>,
    out: RecordingFile,
    term: SemanticTerminal,
    start: Instant,
    /// Latest time given to the terminal; times never go backwards.
    last_t: Timestamp,
    answer: bool,
    echo: bool,
    output_done: bool,
    exited: Option<ExitStatus>,
    exited_at: Option<Instant>,
}

impl Session {
    fn now(&self) -> Timestamp {
        self.start.elapsed().as_secs_f64()
    }

    fn stamp(&mut self, at: Instant) -> Timestamp {
        let t = at.duration_since(self.start).as_secs_f64().max(self.last_t);
        self.last_t = t;
        t
    }

    /// Whether the program is gone and its output fully read.
    fn done(&self) -> bool {
        self.exited.is_some()
            && (self.output_done || self.exited_at.is_some_and(|at| at.elapsed() >= DRAIN_GRACE))
    }

    /// Wait up to `max_wait` for one event and handle it; keep the terminal's timers and
    /// the child's status current.
    fn step(&mut self, max_wait: Duration) -> Result<()> {
        let mut wait = max_wait.min(POLL);
        if let Some(deadline) = self.term.next_deadline() {
            let until = Duration::from_secs_f64((deadline - self.now()).max(0.0));
            wait = wait.min(until);
        }
        let event = if self.output_done {
            // Nothing more can arrive from the PTY; keyboard events are moot.
            std::thread::sleep(wait);
            None
        } else {
            match self.rx.recv_timeout(wait) {
                Ok(event) => Some(event),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => Some(Event::OutputEnd),
            }
        };
        if let Some(event) = event {
            self.handle(event)?;
        }
        if self.term.next_deadline().is_some_and(|d| d <= self.now()) {
            let t = self.stamp(Instant::now());
            self.term.advance(t);
            self.term.drain_events();
        }
        if self.exited.is_none()
            && let Some(status) = self.pty.try_wait()?
        {
            self.exited = Some(status);
            self.exited_at = Some(Instant::now());
        }
        Ok(())
    }

    fn handle(&mut self, event: Event) -> Result<()> {
        match event {
            Event::Output(at, bytes) => {
                let t = self.stamp(at);
                self.out.entry(&Entry::Output {
                    t,
                    bytes: bytes.clone(),
                })?;
                if self.echo {
                    let mut stdout = std::io::stdout().lock();
                    // A closed stdout must not stop the recording.
                    let _ = stdout.write_all(&bytes).and_then(|()| stdout.flush());
                }
                self.term.feed(t, &bytes);
                self.term.drain_events();
                let replies = self.term.take_replies();
                if self.answer && !replies.is_empty() {
                    // The program may have exited meanwhile; that is not our failure.
                    let _ = self.pty.write(&replies);
                }
            }
            Event::OutputEnd => self.output_done = true,
            Event::Input(bytes) => {
                let _ = self.pty.write(&bytes);
            }
            Event::Winch => {
                if let Some((cols, rows)) = tty::size(0) {
                    self.resize(cols, rows)?;
                }
            }
        }
        Ok(())
    }

    fn resize(&mut self, cols: u16, rows: u16) -> Result<()> {
        if self.term.size() == (cols, rows) {
            return Ok(());
        }
        self.pty.resize(cols, rows)?;
        let t = self.stamp(Instant::now());
        self.out.entry(&Entry::Resize { t, cols, rows })?;
        self.term.resize(t, cols, rows);
        self.term.drain_events();
        Ok(())
    }

    fn run_to_exit(&mut self) -> Result<()> {
        while !self.done() {
            self.step(POLL)?;
        }
        Ok(())
    }

    /// Handle events until `until`, or until the program is gone.
    fn run_until(&mut self, until: Instant) -> Result<()> {
        while !self.done() {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            self.step(left)?;
        }
        Ok(())
    }

    /// Handle events until `ok` holds; fail after `timeout` seconds or if the program ends.
    fn wait_until(
        &mut self,
        timeout: f64,
        what: &str,
        ok: impl Fn(&SemanticTerminal) -> bool,
    ) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs_f64(timeout);
        loop {
            if ok(&self.term) {
                return Ok(());
            }
            if self.done() {
                anyhow::bail!("the program exited while waiting for {what}");
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                anyhow::bail!("timed out after {timeout}s waiting for {what}");
            }
            self.step(left)?;
        }
    }

    fn run_script(&mut self, steps: &[Step]) -> Result<()> {
        for step in steps {
            eprintln!("[{:8.3}] {step}", self.now());
            self.run_step(step)
                .with_context(|| format!("step {step}"))?;
        }
        eprintln!("[{:8.3}] script done", self.now());
        Ok(())
    }

    fn run_step(&mut self, step: &Step) -> Result<()> {
        match &step.action {
            Action::WaitFor { pattern, timeout } => {
                let what = format!("the screen to show {pattern}");
                self.wait_until(*timeout, &what, |term| pattern.matches(&term.screen_text()))
            }
            Action::WaitState { state, timeout } => {
                let what = format!("state {state}");
                self.wait_until(*timeout, &what, |term| term.state() == *state)
            }
            Action::Send(bytes) => {
                if self.exited.is_some() {
                    anyhow::bail!("the program has exited");
                }
                self.pty.write(bytes)
            }
            Action::Sleep(secs) => self.run_until(Instant::now() + Duration::from_secs_f64(*secs)),
            Action::Resize { cols, rows } => self.resize(*cols, *rows),
            Action::WaitExit(secs) => self
                .wait_until(*secs, "the program to exit", |_| false)
                .or_else(|e| if self.done() { Ok(()) } else { Err(e) }),
        }
    }

    /// Make sure the program is gone: SIGHUP, a grace period, then SIGKILL.
    fn end_child(&mut self) -> Result<()> {
        if self.exited.is_none() {
            self.pty.hangup();
            self.run_until(Instant::now() + HANGUP_GRACE)?;
        }
        if self.exited.is_none() {
            self.pty.kill();
            self.run_until(Instant::now() + HANGUP_GRACE)?;
        }
        Ok(())
    }

    /// Write the exit line and pick our exit code.
    fn finish(mut self, ended_by_us: bool) -> Result<i32> {
        let status = match self.exited.take() {
            Some(status) => status,
            None => self.pty.wait()?,
        };
        let code = if status.signal().is_some() {
            None
        } else {
            i32::try_from(status.exit_code()).ok()
        };
        let t = self.stamp(Instant::now());
        self.out.entry(&Entry::Exit { t, code })?;
        self.term.mark_exited(t);
        Ok(match (ended_by_us, code) {
            (true, _) => 0,
            (false, Some(code)) => code,
            (false, None) => 128 + signal_number(status.signal().unwrap_or("")),
        })
    }
}

/// portable-pty reports signals by description (strsignal); map the common ones back.
fn signal_number(description: &str) -> i32 {
    match description {
        "Hangup" => libc::SIGHUP,
        "Interrupt" => libc::SIGINT,
        "Quit" => libc::SIGQUIT,
        "Aborted" => libc::SIGABRT,
        "Killed" => libc::SIGKILL,
        "Segmentation fault" => libc::SIGSEGV,
        "Broken pipe" => libc::SIGPIPE,
        "Terminated" => libc::SIGTERM,
        _ => 0,
    }
}
