//! `missiond runner` on its own, without ssh: the real binary's `--attach` on stdin/
//! stdout, as the daemon drives it over the ssh channel. A program keeps running when the
//! channel dies; a new channel resumes from the last acknowledged output with nothing
//! lost or repeated; resent input is applied once; a program without a daemon is ended
//! after the detached timeout; another protocol version is refused by name.

use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use missiond_core::remote::frame::{
    Control, Frame, Hello, Msg, PROTOCOL_VERSION, Resume, SpawnSpec, Welcome,
};

const WAIT: Duration = Duration::from_secs(30);

/// One `missiond runner --attach` process: frames in, frames out.
struct Channel {
    child: Child,
    stdin: ChildStdin,
    frames: Receiver<Frame>,
}

impl Channel {
    fn open(dir: &Path, slot: &str) -> Channel {
        let mut child = Command::new(env!("CARGO_BIN_EXE_missiond"))
            .args(["runner", "--attach", slot, "--state-dir"])
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting the runner");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let (tx, frames) = channel();
        std::thread::spawn(move || {
            while let Ok(Some(frame)) = Frame::read_sync(&mut stdout) {
                if tx.send(frame).is_err() {
                    return;
                }
            }
        });
        Channel {
            child,
            stdin,
            frames,
        }
    }

    fn send(&mut self, frame: Frame) {
        frame.write_sync(&mut self.stdin).expect("writing a frame");
    }

    fn next(&self) -> Frame {
        self.frames
            .recv_timeout(WAIT)
            .expect("no frame from the runner")
    }

    fn hello(&mut self, resume: Option<Resume>) -> Welcome {
        self.send(Frame::new(Msg::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            version: "test".into(),
            resume,
        })));
        match self.next().msg {
            Msg::Welcome(w) => w,
            other => panic!("expected welcome, got {other:?}"),
        }
    }

    /// Output frames until the text seen contains `needle`: (seq, bytes) in order.
    fn output_until(&mut self, needle: &str) -> Vec<(u64, Vec<u8>)> {
        let deadline = Instant::now() + WAIT;
        let mut got = Vec::new();
        let mut text = String::new();
        while !text.contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.frames.recv_timeout(left) {
                Ok(Frame {
                    msg: Msg::Output { seq },
                    payload,
                }) => {
                    text.push_str(&String::from_utf8_lossy(&payload));
                    got.push((seq, payload));
                }
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => {
                    panic!("never saw {needle:?}; output so far: {text:?}")
                }
            }
        }
        got
    }

    /// The channel dies as a dropped ssh connection would end it.
    fn cut(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn input(seq: u64, text: &str) -> Frame {
    Frame::with_payload(
        Msg::Control {
            seq,
            control: Control::Input,
        },
        text.as_bytes().to_vec(),
    )
}

fn bash_spec(detached_secs: u64) -> SpawnSpec {
    SpawnSpec {
        program: "bash".into(),
        args: vec!["--norc".into(), "--noprofile".into()],
        cwd: "/".into(),
        env: vec![("PS1".into(), "run$ ".into())],
        env_remove: Vec::new(),
        cols: 80,
        rows: 24,
        files: vec![("note.txt".into(), "slot dir is {slot_dir}".into())],
        detached_timeout_secs: detached_secs,
        isolation: missiond_core::config::slots::Isolation::None,
    }
}

#[test]
fn a_new_channel_resumes_where_the_daemon_left_off() {
    let dir = tempfile::tempdir().unwrap();
    let mut ch = Channel::open(dir.path(), "s1");
    let welcome = ch.hello(None);
    assert!(welcome.run.is_none());
    ch.send(Frame::new(Msg::Spawn {
        run_id: "run-a".into(),
        spec: bash_spec(300),
    }));
    let pid = match ch.next().msg {
        Msg::Spawned { run_id, pid, .. } => {
            assert_eq!(run_id, "run-a");
            pid.expect("a pid")
        }
        other => panic!("expected spawned, got {other:?}"),
    };
    // The spawn's files are in the slot's folder, with the folder filled in.
    let note = std::fs::read_to_string(dir.path().join("s1/note.txt")).unwrap();
    assert_eq!(
        note,
        format!("slot dir is {}", dir.path().join("s1").display())
    );
    ch.send(input(1, "echo one-$((40+2))\r"));
    let first = ch.output_until("one-42");
    let acked = first.last().unwrap().0;
    ch.send(Frame::new(Msg::Ack { seq: acked }));
    // Output written after the ack, and then the channel dies.
    ch.send(input(2, "echo two-$((50+5))\r"));
    ch.output_until("two-55");
    ch.cut();
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: signal 0 only checks that the program still exists.
    assert_eq!(
        unsafe { libc::kill(pid as i32, 0) },
        0,
        "the program died with the channel"
    );

    let mut ch = Channel::open(dir.path(), "s1");
    let welcome = ch.hello(Some(Resume {
        run_id: "run-a".into(),
        output_acked: acked,
    }));
    let run = welcome.run.expect("the run is still held");
    assert_eq!(run.run_id, "run-a");
    assert_eq!(run.pid, Some(pid));
    assert_eq!(run.control_applied, 2);
    // Input 2 again (the daemon did not know it arrived) is not typed twice.
    ch.send(input(2, "echo two-$((50+5))\r"));
    ch.send(input(3, "echo three-$((60+6))\r"));
    let resent = ch.output_until("three-66");
    assert_eq!(resent[0].0, acked + 1, "resumed at the wrong place");
    let seqs: Vec<u64> = resent.iter().map(|(s, _)| *s).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    let text: String = resent
        .iter()
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert_eq!(text.matches("two-55").count(), 1, "{text:?}");
    assert!(
        !text.contains("one-42"),
        "acknowledged output came again: {text:?}"
    );

    // The program ends; the runner reports it and quits once the daemon took it.
    ch.send(input(4, "exit 7\r"));
    let code = loop {
        if let Msg::Exit { code, .. } = ch.next().msg {
            break code;
        }
    };
    assert_eq!(code, Some(7));
    ch.send(Frame::new(Msg::Done));
    wait_gone(&dir.path().join("s1.sock"));
}

#[test]
fn without_a_daemon_the_program_is_ended_after_the_detached_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let mut ch = Channel::open(dir.path(), "s2");
    ch.hello(None);
    let mut spec = bash_spec(1);
    spec.program = "sleep".into();
    spec.args = vec!["1000".into()];
    ch.send(Frame::new(Msg::Spawn {
        run_id: "r".into(),
        spec,
    }));
    let pid = match ch.next().msg {
        Msg::Spawned { pid, .. } => pid.unwrap(),
        other => panic!("{other:?}"),
    };
    ch.cut();
    let deadline = Instant::now() + WAIT;
    // SAFETY: signal 0 only checks for existence.
    while unsafe { libc::kill(pid as i32, 0) } == 0
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z"))
    {
        assert!(
            Instant::now() < deadline,
            "the abandoned program still runs"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn another_protocol_version_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut ch = Channel::open(dir.path(), "s3");
    ch.send(Frame::new(Msg::Hello(Hello {
        protocol: PROTOCOL_VERSION + 98,
        version: "future".into(),
        resume: None,
    })));
    match ch.next().msg {
        Msg::Error { message } => assert!(
            message.contains(&format!("protocol {}", PROTOCOL_VERSION + 98)),
            "{message}"
        ),
        other => panic!("expected an error, got {other:?}"),
    }
    // Holding nothing, the runner does not linger for a daemon it cannot talk to.
    wait_gone(&dir.path().join("s3.sock"));
}

fn wait_gone(socket: &Path) {
    let deadline = Instant::now() + WAIT;
    while socket.exists() {
        assert!(Instant::now() < deadline, "the runner did not quit");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_run_replaced_by_a_new_spawn_reports_nothing_on_its_successor() {
    // A fresh daemon that meets a runner still holding a run spawns anew: the old
    // program is ended, and its last output and exit must not be taken for the new run's.
    let dir = tempfile::tempdir().unwrap();
    let mut ch = Channel::open(dir.path(), "s4");
    ch.hello(None);
    ch.send(Frame::new(Msg::Spawn {
        run_id: "old".into(),
        spec: bash_spec(300),
    }));
    assert!(matches!(ch.next().msg, Msg::Spawned { .. }));
    ch.send(input(1, "echo old-$((3+4))\r"));
    ch.output_until("old-7");
    ch.send(Frame::new(Msg::Spawn {
        run_id: "new".into(),
        spec: bash_spec(300),
    }));
    // Frames until the new run's Spawned, then everything for a while: no exit at all
    // (the new program runs on), and the new run answers its own input.
    loop {
        if let Msg::Spawned { run_id, .. } = ch.next().msg {
            assert_eq!(run_id, "new");
            break;
        }
    }
    ch.send(input(1, "echo new-$((5+6))\r"));
    let watch_until = Instant::now() + Duration::from_secs(3);
    let mut text = String::new();
    loop {
        let seen = text.contains("new-11");
        let now = Instant::now();
        if seen && now >= watch_until {
            break;
        }
        let left = if seen { watch_until - now } else { WAIT };
        match ch.frames.recv_timeout(left) {
            Ok(Frame {
                msg: Msg::Exit { code, .. },
                ..
            }) => panic!("the replaced run's exit ({code:?}) was reported for the new one"),
            Ok(Frame {
                msg: Msg::Output { .. },
                payload,
            }) => text.push_str(&String::from_utf8_lossy(&payload)),
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout) if text.contains("new-11") => break,
            Err(e) => panic!("{e:?}; output so far: {text:?}"),
        }
    }
    assert!(!text.contains("old-7"), "the old run's output: {text:?}");
    ch.cut();
}
