//! Shared by the daemon tests: start the real `missiond` binary with a temporary home and
//! a slots.yaml, talk to it with the core IPC client, stop it with SIGTERM.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use missiond_core::ipc::{Endpoint, IpcClient};
use serde_json::{Value, json};

/// A running daemon and its home.
pub struct Daemon {
    pub home: PathBuf,
    pub endpoint: Endpoint,
    child: Option<Child>,
    stderr: PathBuf,
}

impl Daemon {
    /// Start `missiond` with `home` as MISSIOND_HOME and `slots_yaml` (if any) written to
    /// `home/slots.yaml`; returns once it accepts connections.
    pub fn start(home: &Path, slots_yaml: Option<&str>) -> Daemon {
        Daemon::start_with_env(home, slots_yaml, &[])
    }

    /// [`Daemon::start`] with extra environment variables.
    pub fn start_with_env(home: &Path, slots_yaml: Option<&str>, env: &[(&str, &str)]) -> Daemon {
        std::fs::create_dir_all(home).expect("creating the home");
        if let Some(yaml) = slots_yaml {
            std::fs::write(home.join("slots.yaml"), yaml).expect("writing slots.yaml");
        }
        let stderr = home.join(format!("daemon-{}.stderr", unique()));
        let child = Command::new(env!("CARGO_BIN_EXE_missiond"))
            .envs(env.iter().copied())
            .env("MISSIOND_HOME", home)
            .env_remove("MISSION_IPC_ENDPOINT")
            .env_remove("MISSION_DB_PATH")
            .env_remove("MISSION_SLOTS_CONFIG")
            // Tests run side by side: each daemon takes a free port.
            .env("MISSION_WS_PORT", "0")
            .env("MISSION_LOG_LEVEL", "info,missiond=debug")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("starting missiond");
        let daemon = Daemon {
            home: home.to_path_buf(),
            endpoint: Endpoint::Unix(home.join("missiond.sock")),
            child: Some(child),
            stderr,
        };
        daemon.wait_ready();
        daemon
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let socket = self.home.join("missiond.sock");
        while Instant::now() < deadline {
            if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("missiond did not start; stderr:\n{}", self.stderr_text());
    }

    /// What the daemon wrote to stderr so far.
    /// The daemon's process id.
    pub fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .map(Child::id)
            .expect("the daemon was stopped")
    }

    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// A connected client.
    pub async fn client(&self) -> IpcClient {
        IpcClient::connect(&self.endpoint)
            .await
            .expect("connecting to missiond")
    }

    /// SIGTERM, then wait for the exit.
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("daemon already stopped");
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().expect("waiting for missiond") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "missiond did not stop on SIGTERM; stderr:\n{}",
                    self.stderr_text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Daemon {
    /// SIGKILL, as a crash would: the daemon gets no chance to end its slots.
    pub fn kill9(&mut self) {
        let mut child = self.child.take().expect("daemon already stopped");
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // A failed test: what the daemon said is the first thing to read.
            let text = self.stderr_text();
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(150)..].join("\n");
            eprintln!("--- the daemon's last stderr lines ---\n{tail}\n---");
        }
        if let Some(mut child) = self.child.take() {
            // SAFETY: as in `stop`; SIGTERM lets it end its slots' process groups.
            unsafe {
                libc::kill(child.id() as i32, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Call `method` and expect success.
pub async fn ok(client: &IpcClient, method: &str, params: Value) -> Value {
    match client.call(method, params.clone()).await {
        Ok(v) => v,
        Err(e) => panic!("{method} {params} failed: {e}"),
    }
}

/// Call `method` and expect an error with `code`; returns the error's data.
pub async fn err_code(client: &IpcClient, method: &str, params: Value, code: i32) -> Value {
    match client.call(method, params.clone()).await {
        Ok(v) => panic!("{method} {params} succeeded with {v}, expected error {code}"),
        Err(e) => {
            let rpc = e
                .rpc()
                .unwrap_or_else(|| panic!("{method}: not an RPC error: {e}"));
            assert_eq!(rpc.code, code, "{method} {params}: {}", rpc.message);
            rpc.data.clone().unwrap_or(Value::Null)
        }
    }
}

/// Poll `mission_pty_screen` until the screen contains `needle`.
pub async fn wait_screen(client: &IpcClient, slot: &str, needle: &str, limit: Duration) -> String {
    let deadline = Instant::now() + limit;
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(v) = client
            .call("mission_pty_screen", json!({"slotId": slot}))
            .await
        {
            last = v["screen"].as_str().unwrap_or_default().to_string();
            if last.contains(needle) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("screen of {slot} never showed {needle:?}; last screen:\n{last}");
}

/// Poll `mission_pty_status` until `pred` holds for the result.
pub async fn wait_status(
    client: &IpcClient,
    slot: &str,
    limit: Duration,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + limit;
    let mut last = Value::Null;
    while Instant::now() < deadline {
        last = ok(client, "mission_pty_status", json!({"slotId": slot})).await;
        if pred(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("status of {slot} never matched; last: {last}");
}

/// Whether a process with this pid exists.
/// A slots.yaml with one plain shell slot `sh` (100x30, prompt `sh$ `) working in `cwd`.
pub fn shell_slot_yaml(cwd: &Path) -> String {
    format!(
        r#"slots:
  - id: sh
    cwd: {cwd}
    command: bash
    args: ["--norc", "--noprofile"]
    env:
      PS1: "sh$ "
    cols: 100
    rows: 30
"#,
        cwd = cwd.display()
    )
}

/// Types `line` and Enter into a slot that runs a shell: a shell has no turns, so the
/// send waits briefly, times out, and the keys have been typed.
pub async fn type_line(client: &IpcClient, slot: &str, line: &str) {
    err_code(
        client,
        "mission_pty_send",
        json!({"slotId": slot, "message": line, "timeoutMs": 300}),
        -32005,
    )
    .await;
}

/// Whether `pid` runs: it exists and is not a zombie (slots in a sandbox end as orphans
/// of the machine's init, which may take a while to reap them).
pub fn process_exists(pid: i64) -> bool {
    // SAFETY: signal 0 only checks for existence.
    let exists = unsafe { libc::kill(pid as i32, 0) == 0 };
    exists
        && std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state != "Z" && state != "X")
        })
}

/// The host pid of the process that a slot sees as `ns_pid`: slots run in a PID namespace
/// of their own (the sandbox), so a pid a slot prints is not the host's. `slot_pid` is any
/// host pid in the same sandbox (the slot's program, as `mission_pty_spawn` reports it).
/// Without a sandbox the two namespaces are the same and `ns_pid` is returned.
pub fn host_pid(slot_pid: i64, ns_pid: i64) -> i64 {
    let ns = |pid: &str| std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok();
    let slot_ns = ns(&slot_pid.to_string()).expect("the slot's process is gone");
    if ns("self").as_ref() == Some(&slot_ns) {
        return ns_pid;
    }
    for entry in std::fs::read_dir("/proc").expect("reading /proc").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) || ns(&name).as_ref() != Some(&slot_ns) {
            continue;
        }
        let status = std::fs::read_to_string(format!("/proc/{name}/status")).unwrap_or_default();
        let nspids: Vec<i64> = status
            .lines()
            .find_map(|l| l.strip_prefix("NSpid:"))
            .map(|l| {
                l.split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        if nspids.last() == Some(&ns_pid) {
            return nspids[0];
        }
    }
    panic!("no process {ns_pid} in the sandbox of {slot_pid}")
}

/// A daemon with one real Claude Code slot `c1` (manual mode, working in `tmp/proj`)
/// against the mock-anthropic `server`.
pub fn claude_slot_daemon(tmp: &Path, server: &mock_anthropic::Server, claude: &Path) -> Daemon {
    let proj = tmp.join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    let home = mock_anthropic::offline::ClaudeHome::create(tmp.join("claude-home"), &[&proj])
        .expect("claude home");
    let env: String = mock_anthropic::offline::claude_env(home.path(), server.base_url())
        .into_iter()
        .map(|(k, v)| format!("      {k}: {}\n", json!(v)))
        .collect();
    let yaml = format!(
        "slots:\n  - id: c1\n    role: coder\n    cwd: {}\n    command: {}\n    permission_mode: manual\n    env:\n{env}",
        json!(proj.display().to_string()),
        json!(claude.display().to_string()),
    );
    Daemon::start(&tmp.join("missiond-home"), Some(&yaml))
}

/// Runs `missiond hook EVENT` as Claude Code's hook would for `slot` (with `role`),
/// `payload` on stdin, against `daemon`; returns its output once it has ended.
#[allow(dead_code)] // Not every test file sends hooks by hand.
pub fn run_hook(
    daemon: &Daemon,
    slot: &str,
    role: &str,
    event: &str,
    payload: &Value,
) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_missiond"))
        .args(["hook", event])
        .env("MISSIOND_SLOT_ID", slot)
        .env("MISSIOND_SLOT_ROLE", role)
        .env("MISSION_IPC_ENDPOINT", daemon.endpoint.to_string())
        .env("MISSIOND_HOME", &daemon.home)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running missiond hook");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(payload.to_string().as_bytes())
        .expect("writing the event");
    let out = child.wait_with_output().expect("waiting for missiond hook");
    assert!(out.status.success(), "missiond hook {event} failed");
    out
}

/// Run `git -C dir ARGS` (with a test identity) and return its stdout; fails the test
/// with git's stderr when git fails.
pub fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A git repository at `dir` (created) with one commit on `main` holding `README`.
pub fn git_repo(dir: &std::path::Path, readme: &str) {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "--quiet", "-b", "main"]);
    std::fs::write(dir.join("README"), readme).unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "--quiet", "-m", "first"]);
}
