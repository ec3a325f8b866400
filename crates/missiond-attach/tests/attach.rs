//! `missiond-attach` in a real pseudo-terminal, attached to a real daemon's `bash` slot:
//! what is typed reaches the slot, the slot's output reaches the terminal, Ctrl-]
//! detaches and leaves the slot running, and a slot that ends detaches too. Errors
//! (no such slot, no daemon) are reported on stderr with a failing exit code.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const ATTACH: &str = env!("CARGO_BIN_EXE_missiond-attach");
const LIMIT: Duration = Duration::from_secs(30);

/// The `missiond` binary, built in the same profile as this test.
fn missiond_bin() -> PathBuf {
    let dir = Path::new(ATTACH).parent().expect("a folder").to_path_buf();
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args([
            "build",
            "--quiet",
            "-p",
            "missiond-daemon",
            "--bin",
            "missiond",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if dir.file_name().is_some_and(|n| n == "release") {
        cargo.arg("--release");
    }
    assert!(
        cargo.status().expect("cargo build").success(),
        "building missiond"
    );
    dir.join("missiond")
}

/// A daemon with one `bash` slot `sh`, stopped (SIGTERM) when dropped.
struct Daemon {
    child: Child,
    home: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Daemon {
    fn start() -> Daemon {
        let tmp = tempfile::tempdir().expect("tempdir");
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&home).expect("home");
        std::fs::write(
            home.join("slots.yaml"),
            format!(
                "slots:\n  - id: sh\n    cwd: {}\n    command: bash\n    args: [\"--norc\", \"--noprofile\"]\n    env: {{PS1: \"sh$ \"}}\n    cols: 80\n    rows: 24\n    autostart: true\n",
                serde_json::json!(tmp.path().display().to_string())
            ),
        )
        .expect("slots.yaml");
        let child = Command::new(missiond_bin())
            .env("MISSIOND_HOME", &home)
            .env("MISSION_WS_PORT", "0")
            .env_remove("MISSION_IPC_ENDPOINT")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting missiond");
        let deadline = Instant::now() + LIMIT;
        while !home.join("missiond.sock").exists() {
            assert!(Instant::now() < deadline, "the daemon never listened");
            std::thread::sleep(Duration::from_millis(50));
        }
        Daemon {
            child,
            home,
            _tmp: tmp,
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // SAFETY: a signal to our own child, which has not been reaped yet.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

/// `missiond-attach` running in a pseudo-terminal of its own, its output collected.
struct Attached {
    child: Box<dyn portable_pty::Child + Send + Sync>,
    master: Box<dyn portable_pty::MasterPty + Send>,
    keys: Box<dyn Write + Send>,
    output: mpsc::Receiver<Vec<u8>>,
    seen: Vec<u8>,
}

impl Attached {
    fn start(home: &Path, args: &[&str]) -> Attached {
        Attached::start_sized(home, args, 120, 40)
    }

    /// [`Attached::start`] in a terminal of `cols` x `rows`.
    fn start_sized(home: &Path, args: &[&str], cols: u16, rows: u16) -> Attached {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pty");
        let mut cmd = CommandBuilder::new(ATTACH);
        cmd.args(args);
        cmd.env("MISSIOND_HOME", home);
        cmd.env_remove("MISSION_IPC_ENDPOINT");
        let child = pty
            .slave
            .spawn_command(cmd)
            .expect("starting missiond-attach");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let keys = pty.master.take_writer().expect("writer");
        let (tx, output) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Attached {
            child,
            master: pty.master,
            keys,
            output,
            seen: Vec::new(),
        }
    }

    /// Resize the terminal missiond-attach runs in (it gets SIGWINCH).
    fn resize(&self, cols: u16, rows: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize");
    }

    fn type_keys(&mut self, keys: &[u8]) {
        self.keys.write_all(keys).expect("typing");
        self.keys.flush().expect("flush");
    }

    /// Wait until the terminal showed `needle`.
    fn wait_for(&mut self, needle: &str) {
        let deadline = Instant::now() + LIMIT;
        while !String::from_utf8_lossy(&self.seen).contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(bytes) => self.seen.extend(bytes),
                Err(_) => panic!(
                    "never saw {needle:?}; the terminal got {:?}",
                    String::from_utf8_lossy(&self.seen)
                ),
            }
        }
    }

    /// The exit code once it ended.
    fn wait_exit(&mut self) -> u32 {
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // What it wrote last is still on its way through the pseudo-terminal:
                // read until the reader thread ends.
                while let Ok(bytes) = self.output.recv_timeout(Duration::from_secs(2)) {
                    self.seen.extend(bytes);
                }
                return status.exit_code();
            }
            assert!(Instant::now() < deadline, "missiond-attach did not exit");
            while let Ok(bytes) = self.output.try_recv() {
                self.seen.extend(bytes);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn typing_reaches_the_slot_and_ctrl_bracket_detaches() {
    let daemon = Daemon::start();
    let mut attached = Attached::start(&daemon.home, &["sh"]);
    attached.wait_for("sh$");
    attached.type_keys(b"echo attached-$((40+2))\r");
    attached.wait_for("attached-42");
    attached.type_keys(&[0x1d]);
    assert_eq!(attached.wait_exit(), 0);
    let text = String::from_utf8_lossy(&attached.seen).into_owned();
    assert!(
        text.contains("\x1b[?1049h"),
        "the alternate screen was not used"
    );
    assert!(
        text.contains("\x1b[?1049l"),
        "the user's screen was not restored"
    );
    assert!(text.contains("detached from slot `sh`"), "{text:?}");

    // The slot kept running: a second attachment repaints what the first one typed.
    let mut again = Attached::start(&daemon.home, &["sh", "--view"]);
    again.wait_for("attached-42");
    again.type_keys(b"echo not-sent\r");
    again.type_keys(&[0x1d]);
    assert_eq!(again.wait_exit(), 0);
    assert!(!String::from_utf8_lossy(&again.seen).contains("not-sent\r\nnot-sent"));

    // The slot's process ending detaches with a note.
    let mut last = Attached::start(&daemon.home, &["sh"]);
    last.wait_for("sh$");
    last.type_keys(b"exit 4\r");
    assert_eq!(last.wait_exit(), 0);
    assert!(
        String::from_utf8_lossy(&last.seen).contains("slot `sh` exited (code 4)"),
        "{:?}",
        String::from_utf8_lossy(&last.seen)
    );
}

#[test]
fn fit_keeps_the_slot_the_size_of_the_terminal() {
    let daemon = Daemon::start();
    // The slot is 80x24; the terminal missiond-attach runs in is 120x40.
    let mut attached = Attached::start(&daemon.home, &["sh", "--fit"]);
    attached.wait_for("sh$");
    attached.type_keys(b"stty size\r");
    attached.wait_for("40 120");
    attached.resize(100, 30);
    // The resize reaches the slot through SIGWINCH; ask until the shell sees it.
    let deadline = Instant::now() + LIMIT;
    loop {
        attached.type_keys(b"stty size\r");
        std::thread::sleep(Duration::from_millis(300));
        while let Ok(bytes) = attached.output.try_recv() {
            attached.seen.extend(bytes);
        }
        if String::from_utf8_lossy(&attached.seen).contains("30 100") {
            break;
        }
        assert!(Instant::now() < deadline, "the slot never became 100x30");
    }
    attached.type_keys(&[0x1d]);
    assert_eq!(attached.wait_exit(), 0);
}

#[test]
fn a_terminal_smaller_than_the_slot_fits_it_or_shows_the_cut_edge() {
    let daemon = Daemon::start();
    // The slot is 80x24; this terminal is 60x20. A viewer cannot resize: it is told so
    // before the screen is taken, and the cut edge is drawn.
    let mut view = Attached::start_sized(&daemon.home, &["sh", "--view"], 60, 20);
    view.wait_for("cut off here");
    view.type_keys(&[0x1d]);
    assert_eq!(view.wait_exit(), 0);
    let text = String::from_utf8_lossy(&view.seen).into_owned();
    let said = text
        .find("so its right and bottom are cut off")
        .expect(&text);
    let screen = text.find("\x1b[?1049h").expect("the screen was taken");
    assert!(said < screen, "the warning came after attaching: {text:?}");

    // In control, the slot is fitted to the terminal, and it says so first.
    let mut control = Attached::start_sized(&daemon.home, &["sh"], 60, 20);
    control.wait_for("sh$");
    let deadline = Instant::now() + LIMIT;
    loop {
        control.type_keys(b"stty size\r");
        std::thread::sleep(Duration::from_millis(300));
        while let Ok(bytes) = control.output.try_recv() {
            control.seen.extend(bytes);
        }
        if String::from_utf8_lossy(&control.seen).contains("20 60") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the slot was never fitted to 60x20"
        );
    }
    control.type_keys(&[0x1d]);
    assert_eq!(control.wait_exit(), 0);
    let text = String::from_utf8_lossy(&control.seen).into_owned();
    let said = text.find("resizing the slot to fit").expect(&text);
    assert!(said < text.find("\x1b[?1049h").unwrap(), "{text:?}");
}

#[test]
fn unknown_slots_and_a_missing_daemon_fail_clearly() {
    let daemon = Daemon::start();
    let mut missing = Attached::start(&daemon.home, &["nope"]);
    assert_eq!(missing.wait_exit(), 1);
    assert!(
        String::from_utf8_lossy(&missing.seen).contains("404"),
        "{:?}",
        String::from_utf8_lossy(&missing.seen)
    );

    let empty = tempfile::tempdir().expect("tempdir");
    let mut nobody = Attached::start(empty.path(), &["sh"]);
    assert_eq!(nobody.wait_exit(), 1);
    assert!(
        String::from_utf8_lossy(&nobody.seen).contains("no missiond daemon answers"),
        "{:?}",
        String::from_utf8_lossy(&nobody.seen)
    );
}
