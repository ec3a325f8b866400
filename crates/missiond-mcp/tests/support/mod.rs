//! Shared by the tests and the benchmark: the real `mission-mcp` and `missiond` binaries
//! in a temporary `MISSIOND_HOME`, driven by rmcp's client over a child process.

#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::TokioChildProcess;
use serde_json::Value;

/// The `mission-mcp` binary under test.
pub const MISSION_MCP: &str = env!("CARGO_BIN_EXE_mission-mcp");

/// An MCP client session with a `mission-mcp` child.
pub type Client = RunningService<RoleClient, ()>;

/// Makes sure `missiond` is built, fresh, beside `mission-mcp` (where mission-mcp looks
/// first), and returns its path. `cargo test -p missiond-mcp` does not build other
/// packages' binaries, so this runs `cargo build` once per test process.
pub fn missiond_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let profile_dir = Path::new(MISSION_MCP)
            .parent()
            .expect("mission-mcp has a folder");
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
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cargo.arg("--release");
        }
        let status = cargo.status().expect("running cargo build for missiond");
        assert!(status.success(), "cargo build -p missiond-daemon failed");
        let bin = profile_dir.join(format!("missiond{}", std::env::consts::EXE_SUFFIX));
        assert!(bin.is_file(), "missiond was not built at {}", bin.display());
        bin
    })
}

/// A temporary `MISSIOND_HOME`; any daemon started for it is stopped when dropped.
pub struct Home {
    pub tmp: tempfile::TempDir,
    pub home: PathBuf,
}

impl Home {
    /// A fresh home, with `slots_yaml` written to `slots.yaml` if given.
    pub fn new(slots_yaml: Option<&str>) -> Home {
        missiond_bin();
        let tmp = tempfile::tempdir().expect("tempdir");
        let home = tmp.path().join("mhome");
        std::fs::create_dir_all(&home).expect("creating the home");
        if let Some(yaml) = slots_yaml {
            std::fs::write(home.join("slots.yaml"), yaml).expect("writing slots.yaml");
        }
        Home { tmp, home }
    }

    /// The daemon's socket.
    pub fn socket(&self) -> PathBuf {
        self.home.join("missiond.sock")
    }

    /// Whether a daemon accepts connections for this home now.
    pub fn daemon_listening(&self) -> bool {
        std::os::unix::net::UnixStream::connect(self.socket()).is_ok()
    }

    /// The pid of the live daemon of this home: the pid in its lock file, trusted only
    /// while that process is alive (not a zombie) and has this home in its environment,
    /// so a stale or reused pid is never returned (and never signalled).
    pub fn daemon_pid(&self) -> Option<i32> {
        let text = std::fs::read_to_string(self.home.join("missiond.lock")).ok()?;
        let pid: i32 = text.trim().parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let state = stat.rsplit(')').next()?.split_whitespace().next()?;
        if state == "Z" || state == "X" {
            return None;
        }
        let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
        let wanted = format!("MISSIOND_HOME={}", self.home.display());
        environ
            .split(|b| *b == 0)
            .any(|entry| entry == wanted.as_bytes())
            .then_some(pid)
    }

    /// A `mission-mcp` command for this home, logging to `stderr`.
    pub fn mcp_command(&self, stderr_name: &str) -> (tokio::process::Command, PathBuf) {
        let stderr = self.tmp.path().join(stderr_name);
        let mut command = tokio::process::Command::new(MISSION_MCP);
        command
            .env("MISSIOND_HOME", &self.home)
            // Tests run side by side: each daemon takes a free WebSocket port.
            .env("MISSION_WS_PORT", "0")
            .env("MISSION_LOG_LEVEL", "info")
            .env_remove("MISSION_IPC_ENDPOINT")
            .env_remove("MISSION_DB_PATH")
            .env_remove("MISSION_SLOTS_CONFIG")
            .env_remove("MISSIOND_BIN");
        (command, stderr)
    }

    /// Starts `mission-mcp` for this home and completes the MCP handshake.
    pub async fn connect(&self) -> Client {
        let (command, stderr) = self.mcp_command("mission-mcp.stderr");
        connect_with(command, &stderr).await
    }

    /// Stops this home's daemon, if one runs: SIGTERM, then SIGKILL after 10 s.
    pub fn stop_daemon(&self) {
        if let Some(pid) = self.daemon_pid() {
            signal(pid, libc::SIGTERM);
            wait_until(Duration::from_secs(10), || self.daemon_pid().is_none());
            if self.daemon_pid() == Some(pid) {
                signal(pid, libc::SIGKILL);
            }
        }
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        self.stop_daemon();
    }
}

/// Completes the MCP handshake with `command`, its stderr going to `stderr`.
pub async fn connect_with(command: tokio::process::Command, stderr: &Path) -> Client {
    let log = File::create(stderr).expect("stderr file");
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(Stdio::from(log))
        .spawn()
        .expect("starting mission-mcp");
    match ().serve(transport).await {
        Ok(client) => client,
        Err(e) => panic!(
            "MCP handshake failed: {e}\nmission-mcp stderr:\n{}",
            std::fs::read_to_string(stderr).unwrap_or_default()
        ),
    }
}

/// Calls `tool` with `args` (a JSON object).
pub async fn call(
    client: &Client,
    tool: &str,
    args: Value,
) -> Result<CallToolResult, ServiceError> {
    let mut params = CallToolRequestParams::new(tool.to_string());
    if let Value::Object(map) = args {
        params = params.with_arguments(map);
    }
    client.call_tool(params).await
}

/// Calls `tool` and expects a successful result; returns its structured content.
pub async fn call_ok(client: &Client, tool: &str, args: Value) -> Value {
    let result = call(client, tool, args.clone())
        .await
        .unwrap_or_else(|e| panic!("{tool} {args}: protocol error {e}"));
    assert_ne!(
        result.is_error,
        Some(true),
        "{tool} {args} failed: {}",
        text_of(&result)
    );
    result
        .structured_content
        .unwrap_or_else(|| panic!("{tool}: no structuredContent"))
}

/// Calls `tool` and expects a tool error (`isError: true`); returns its text.
pub async fn call_err(client: &Client, tool: &str, args: Value) -> String {
    let result = call(client, tool, args.clone())
        .await
        .unwrap_or_else(|e| panic!("{tool} {args}: protocol error {e}"));
    assert_eq!(
        result.is_error,
        Some(true),
        "{tool} {args} should fail: {}",
        text_of(&result)
    );
    text_of(&result)
}

/// All text content of a result, joined.
pub fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Sends `sig` to `pid` (a process this test started, directly or through mission-mcp).
pub fn signal(pid: i32, sig: i32) {
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, sig);
    }
}

/// Whether a process with this pid exists (zombies included).
pub fn process_exists(pid: i32) -> bool {
    // SAFETY: signal 0 only checks for existence.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// Polls `done` every 20 ms until it holds or `limit` passes; returns whether it held.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}

/// A slots.yaml with one plain `bash` slot `sh` (no Claude Code needed).
pub fn bash_slot_yaml(cwd: &Path) -> String {
    format!(
        "slots:\n  - id: sh\n    role: shell\n    description: a plain shell\n    cwd: {}\n    command: bash\n    args: [\"--norc\", \"--noprofile\"]\n    env:\n      PS1: \"sh$ \"\n",
        serde_json::json!(cwd.display().to_string())
    )
}
