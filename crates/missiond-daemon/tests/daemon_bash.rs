//! The daemon with real PTYs running `bash`: spawn, type, screen, logs, kill with its
//! process group, protocol errors, restart with the store kept, one daemon per home.

mod daemon_support;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use daemon_support::{Daemon, err_code, host_pid, ok, process_exists, type_line, wait_screen};
use serde_json::{Value, json};

const UNKNOWN_SLOT: i32 = -32001;
const SLOT_NOT_RUNNING: i32 = -32002;
const NO_DIALOG_OPEN: i32 = -32004;
const SPAWN_FAILED: i32 = -32008;

fn bash_slots(cwd: &std::path::Path) -> String {
    format!(
        r#"slots:
  - id: sh
    role: shell
    description: "a plain shell"
    cwd: {cwd}
    command: bash
    args: ["--norc", "--noprofile"]
    env:
      PS1: "sh$ "
    cols: 100
    rows: 30
  - id: missing-program
    cwd: {cwd}
    command: /nonexistent/program
  - id: missing-folder
    cwd: {cwd}/does/not/exist
    command: bash
"#,
        cwd = cwd.display()
    )
}

/// The pid the bash slot printed after `marker` (e.g. `bg=1234`).
/// The pid the slot printed after `marker`, as the host knows it (`slot_pid`: the slot's
/// program; see `host_pid`).
async fn pid_shown_after(
    client: &missiond_core::ipc::IpcClient,
    slot_pid: i64,
    marker: &str,
) -> i64 {
    let screen = wait_screen(client, "sh", marker, Duration::from_secs(10)).await;
    let shown = screen
        .split(marker)
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no pid after {marker} on screen:\n{screen}"));
    host_pid(slot_pid, shown)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_with_no_configuration_and_says_how_to_add_slots() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let daemon = Daemon::start(&home, None);
    let client = daemon.client().await;
    let health = ok(&client, "mission_health", json!({})).await;
    assert_eq!(health["slotsConfigured"], 0);
    assert_eq!(health["home"], home.display().to_string());
    let slots = ok(&client, "mission_slots", json!({})).await;
    assert_eq!(slots["slots"], json!([]));
    let stderr = daemon.stderr_text();
    assert!(
        stderr.contains(&home.join("slots.yaml").display().to_string()),
        "stderr should say where to add slots:\n{stderr}"
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&home), 0o700);
    assert_eq!(mode(&home.join("missiond.sock")), 0o600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bash_slot_spawn_type_screen_logs_and_kill_with_its_process_group() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(&tmp.path().join("home"), Some(&bash_slots(tmp.path())));
    let client = daemon.client().await;

    err_code(
        &client,
        "mission_pty_screen",
        json!({"slotId": "sh"}),
        SLOT_NOT_RUNNING,
    )
    .await;
    let spawned = ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    assert_eq!(spawned["alreadyRunning"], false);
    let pid = spawned["pid"].as_i64().expect("a pid");
    assert!(process_exists(pid));
    let again = ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    assert_eq!(again["alreadyRunning"], true);
    assert_eq!(again["pid"], spawned["pid"]);

    wait_screen(&client, "sh", "sh$", Duration::from_secs(10)).await;
    type_line(&client, "sh", "echo hello-$((6*7))").await;
    let screen = wait_screen(&client, "sh", "hello-42", Duration::from_secs(10)).await;
    assert!(screen.contains("echo hello-$((6*7))"), "{screen}");
    let screen_result = ok(&client, "mission_pty_screen", json!({"slotId": "sh"})).await;
    assert_eq!(
        (
            screen_result["cols"].as_u64(),
            screen_result["rows"].as_u64()
        ),
        (Some(100), Some(30))
    );

    // A background child in the slot's process group must die with the slot.
    // Quoted so the typed command line does not itself read `bg=`.
    type_line(&client, "sh", r#"sleep 1000 & echo "b""g=$!""#).await;
    let bg = pid_shown_after(&client, pid, "bg=").await;
    assert!(process_exists(bg));
    // Claude Code starts tool commands in sessions of their own (setsid), out of the
    // slot's process group: those must die with the slot too.
    type_line(
        &client,
        "sh",
        r#"setsid sh -c 'echo "s""id=$$"; exec sleep 1001' &"#,
    )
    .await;
    let own_session = pid_shown_after(&client, pid, "sid=").await;
    assert!(process_exists(own_session));

    err_code(
        &client,
        "mission_pty_confirm",
        json!({"slotId": "sh", "response": "yes"}),
        NO_DIALOG_OPEN,
    )
    .await;

    let logs = ok(&client, "mission_pty_logs", json!({"slotId": "sh"})).await;
    assert!(
        logs["text"]
            .as_str()
            .unwrap_or_default()
            .contains("hello-42"),
        "{logs}"
    );
    let log_path = logs["path"].as_str().expect("log path").to_string();
    assert!(log_path.starts_with(&daemon.home.join("logs").display().to_string()));

    let killed = ok(&client, "mission_pty_kill", json!({"slotId": "sh"})).await;
    assert_eq!(killed["wasRunning"], true);
    assert!(!process_exists(pid), "slot process {pid} still exists");
    // The background sleep gets reparented and reaped by init; give it a moment.
    let mut gone = false;
    for _ in 0..50 {
        if !process_exists(bg) {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "background child {bg} outlived its slot");
    let mut gone = false;
    for _ in 0..50 {
        if !process_exists(own_session) {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        gone,
        "child {own_session} in its own session outlived its slot"
    );
    let status = ok(&client, "mission_pty_status", json!({"slotId": "sh"})).await;
    assert_eq!(status["state"], "Stopped");
    assert_eq!(status["pid"], Value::Null);
    let killed = ok(&client, "mission_pty_kill", json!({"slotId": "sh"})).await;
    assert_eq!(killed["wasRunning"], false);
    err_code(
        &client,
        "mission_pty_screen",
        json!({"slotId": "sh"}),
        SLOT_NOT_RUNNING,
    )
    .await;

    // The PTY log is a recording `missiond replay` reads: a header, then output.
    let text = std::fs::read_to_string(&log_path).unwrap();
    let recording =
        semantic_terminal::recording::Recording::parse(&text).expect("a valid recording");
    let header = recording.header.expect("a header");
    assert_eq!((header.cols, header.rows), (100, 30));
    assert_eq!(header.command[0], "bash");
    let output: Vec<u8> = recording
        .entries
        .iter()
        .filter_map(|e| match e {
            semantic_terminal::recording::Entry::Output { bytes, .. } => Some(bytes.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(String::from_utf8_lossy(&output).contains("hello-42"));
    let replay = std::process::Command::new(env!("CARGO_BIN_EXE_missiond"))
        .args(["replay", &log_path, "--screen-at", "1000"])
        .output()
        .unwrap();
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    assert!(String::from_utf8_lossy(&replay.stdout).contains("hello-42"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_errors_carry_codes_and_context() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(&tmp.path().join("home"), Some(&bash_slots(tmp.path())));
    let client = daemon.client().await;
    let data = err_code(
        &client,
        "mission_pty_spawn",
        json!({"slotId": "nope"}),
        UNKNOWN_SLOT,
    )
    .await;
    assert_eq!(data["slotId"], "nope");
    let data = err_code(
        &client,
        "mission_pty_send",
        json!({"message": "hi"}),
        -32602,
    )
    .await;
    assert_eq!(data["field"], "slotId");
    err_code(
        &client,
        "mission_pty_confirm",
        json!({"slotId": "sh", "response": "maybe"}),
        -32602,
    )
    .await;
    err_code(&client, "mission_no_such_tool", json!({}), -32601).await;
    err_code(
        &client,
        "mission_pty_send",
        json!({"slotId": "sh", "message": "x"}),
        SLOT_NOT_RUNNING,
    )
    .await;
    err_code(
        &client,
        "mission_pty_interrupt",
        json!({"slotId": "sh"}),
        SLOT_NOT_RUNNING,
    )
    .await;
    for slot in ["missing-program", "missing-folder"] {
        let data = err_code(
            &client,
            "mission_pty_spawn",
            json!({"slotId": slot}),
            SPAWN_FAILED,
        )
        .await;
        assert_eq!(data["slotId"], slot);
    }
    // Still serving after all that.
    let health = ok(&client, "mission_health", json!({})).await;
    assert_eq!(health["slotsConfigured"], 3);
    assert_eq!(health["slotsRunning"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hook_command_prints_nothing_and_never_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(&tmp.path().join("home"), Some(&bash_slots(tmp.path())));
    let endpoints = [
        format!("unix://{}", daemon.home.join("missiond.sock").display()),
        format!(
            "unix://{}",
            tmp.path().join("nobody-listens.sock").display()
        ),
    ];
    for endpoint in endpoints {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_missiond"))
            .args(["hook", "UserPromptSubmit"])
            .env("MISSIOND_SLOT_ID", "sh")
            .env("MISSION_IPC_ENDPOINT", &endpoint)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(br#"{"session_id": "s", "prompt": "hi"}"#)
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "hook via {endpoint} failed: {out:?}");
        assert!(
            out.stdout.is_empty(),
            "hook via {endpoint} printed {:?}",
            out.stdout
        );
    }
    ok(&daemon.client().await, "mission_health", json!({})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_lines_get_error_replies_and_the_daemon_keeps_serving() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(&tmp.path().join("home"), None);
    let stream =
        std::os::unix::net::UnixStream::connect(daemon.home.join("missiond.sock")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let mut exchange = |line: &[u8]| -> Value {
        writer.write_all(line).unwrap();
        writer.write_all(b"\n").unwrap();
        let mut reply = String::new();
        reader.read_line(&mut reply).unwrap();
        serde_json::from_str(&reply).unwrap_or_else(|e| panic!("reply {reply:?}: {e}"))
    };
    let reply = exchange(b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ");
    assert_eq!(reply["error"]["code"], -32700);
    assert_eq!(reply["id"], Value::Null);
    let reply = exchange(b"\xff\xfe not utf8");
    assert_eq!(reply["error"]["code"], -32700);
    let reply = exchange(
        br#"{"jsonrpc":"2.0","id":2,"method":"mission_pty_status","params":{"slotId":7}}"#,
    );
    assert_eq!(reply["error"]["code"], -32602);
    let reply = exchange(br#"{"jsonrpc":"2.0","id":3,"method":"mission_health"}"#);
    assert_eq!(reply["id"], 3);
    assert_eq!(reply["result"]["slotsConfigured"], 0);
    // And a fresh connection still works.
    let client = daemon.client().await;
    ok(&client, "mission_health", json!({})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_keeps_the_store_and_sigterm_ends_slots() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let yaml = bash_slots(tmp.path());
    let mut daemon = Daemon::start(&home, Some(&yaml));
    let pid = {
        let client = daemon.client().await;
        let spawned = ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
        wait_screen(&client, "sh", "sh$", Duration::from_secs(10)).await;
        type_line(&client, "sh", "echo first-turn").await;
        let history = ok(&client, "mission_pty_history", json!({"slotId": "sh"})).await;
        assert_eq!(history["turns"][0]["prompt"], "echo first-turn");
        spawned["pid"].as_i64().expect("pid")
    };
    let status = daemon.stop();
    assert!(status.success(), "missiond exited with {status}");
    assert!(
        !process_exists(pid),
        "SIGTERM left slot process {pid} running"
    );
    assert!(!home.join("missiond.sock").exists(), "socket left behind");

    let daemon = Daemon::start(&home, Some(&yaml));
    let client = daemon.client().await;
    let history = ok(&client, "mission_pty_history", json!({"slotId": "sh"})).await;
    let turns = history["turns"].as_array().expect("turns");
    assert_eq!(turns.len(), 1, "{history}");
    assert_eq!(turns[0]["prompt"], "echo first-turn");
    let status = ok(&client, "mission_pty_status", json!({"slotId": "sh"})).await;
    assert_eq!(status["state"], "Stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_daemon_per_home_and_a_stale_socket_is_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    // A socket file nobody listens on, as a crashed daemon leaves it.
    drop(std::os::unix::net::UnixListener::bind(home.join("missiond.sock")).unwrap());
    let daemon = Daemon::start(&home, None);
    ok(&daemon.client().await, "mission_health", json!({})).await;

    let second = std::process::Command::new(env!("CARGO_BIN_EXE_missiond"))
        .env("MISSIOND_HOME", &home)
        .output()
        .unwrap();
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("already"), "{stderr}");
    // The first daemon is unharmed.
    ok(&daemon.client().await, "mission_health", json!({})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_drives_the_daemon() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(&tmp.path().join("home"), Some(&bash_slots(tmp.path())));
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_missiond"))
            .args(args)
            .env("MISSIOND_HOME", &daemon.home)
            .env_remove("MISSION_IPC_ENDPOINT")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok_, out, _) = cli(&["slots"]);
    assert!(
        ok_ && out.contains("sh") && out.contains("missing-program"),
        "{out}"
    );
    let (ok_, out, _) = cli(&["spawn", "sh"]);
    assert!(ok_ && out.contains("sh: started"), "{out}");
    let (ok_, out, _) = cli(&["status"]);
    assert!(ok_ && out.contains("1 of 3 slots running"), "{out}");
    let client = daemon.client().await;
    wait_screen(&client, "sh", "sh$", Duration::from_secs(10)).await;
    let (ok_, out, _) = cli(&["screen", "sh"]);
    assert!(ok_ && out.contains("sh$"), "{out}");
    let (ok_, _, err) = cli(&["confirm", "sh", "yes"]);
    assert!(!ok_ && err.contains("no dialog is open"), "{err}");
    let (ok_, _, err) = cli(&["spawn", "nope"]);
    assert!(!ok_ && err.contains("unknown slot"), "{err}");
    // The generic form reaches any catalogue tool, with the daemon's own errors.
    let (ok_, out, _) = cli(&["call", "mission_pty_status", r#"{"slotId":"sh"}"#]);
    let status: Value = serde_json::from_str(&out).unwrap_or(Value::Null);
    assert!(
        ok_ && status["slotId"] == "sh" && status["role"] == "shell",
        "{out}"
    );
    let (ok_, _, err) = cli(&["call", "mission_pty_status", r#"{"slotId":"nope"}"#]);
    assert!(!ok_ && err.contains("unknown slot"), "{err}");
    let (ok_, _, err) = cli(&["call", "mission_nonsense"]);
    assert!(!ok_ && err.contains("missiond tools"), "{err}");
    let (ok_, _, err) = cli(&["call", "mission_pty_status", "{not json"]);
    assert!(!ok_ && err.contains("JSON object"), "{err}");
    let (ok_, out, _) = cli(&["tools"]);
    assert!(
        ok_ && out.lines().any(|l| l.starts_with("mission_pty_send ")),
        "{out}"
    );
    type_line(&client, "sh", "echo logged-$((40+2))").await;
    wait_screen(&client, "sh", "logged-42", Duration::from_secs(10)).await;
    let (ok_, out, err) = cli(&["logs", "sh"]);
    assert!(
        ok_ && out.contains("logged-42") && err.contains(".jsonl"),
        "{out}{err}"
    );
    let (ok_, out, _) = cli(&["history", "sh"]);
    assert!(ok_ && out.contains("echo logged-$((40+2))"), "{out}");
    let (ok_, out, _) = cli(&["interrupt", "sh"]);
    assert!(ok_ && out.starts_with("sh: "), "{out}");
    let (ok_, out, _) = cli(&["kill", "sh"]);
    assert!(ok_ && out.contains("sh: stopped"), "{out}");
}

/// A daemon installed without mission-mcp (the README's first command builds only
/// `missiond`) says so in its health, instead of starting Claude Code slots silently
/// without their agent tools.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_mission_mcp_is_a_health_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_missiond"), bin.join("missiond")).unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("slots.yaml"),
        format!("slots:\n  - id: c1\n    cwd: {}\n", tmp.path().display()),
    )
    .unwrap();
    let health = |path: &str, mcp_bin: Option<&std::path::Path>| {
        let mut cmd = std::process::Command::new(bin.join("missiond"));
        cmd.env("MISSIOND_HOME", &home)
            .env("MISSION_WS_PORT", "0")
            .env("PATH", path)
            .env_remove("MISSION_IPC_ENDPOINT")
            .env_remove("MISSIOND_MCP_BIN")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if let Some(mcp) = mcp_bin {
            cmd.env("MISSIOND_MCP_BIN", mcp);
        }
        let mut child = cmd.spawn().unwrap();
        let socket = home.join("missiond.sock");
        let out = (0..200)
            .find_map(|_| {
                std::thread::sleep(Duration::from_millis(50));
                let out = std::process::Command::new(bin.join("missiond"))
                    .args(["call", "mission_health"])
                    .env("MISSIOND_HOME", &home)
                    .env_remove("MISSION_IPC_ENDPOINT")
                    .output()
                    .ok()?;
                (socket.exists() && out.status.success())
                    .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
            })
            .expect("the daemon answered");
        // SAFETY: kill(2) only sends a signal.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        child.wait().unwrap();
        out
    };
    let without = health("/usr/bin:/bin", None);
    assert!(
        without.contains("mission-mcp is neither beside"),
        "{without}"
    );
    // Found on PATH (as `cargo install` leaves it), or named by MISSIOND_MCP_BIN.
    let on_path = tmp.path().join("path-bin");
    std::fs::create_dir_all(&on_path).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_missiond"), on_path.join("mission-mcp")).unwrap();
    let path = format!("{}:/usr/bin:/bin", on_path.display());
    let with = health(&path, None);
    assert!(!with.contains("mission-mcp is neither beside"), "{with}");
    let named = health("/usr/bin:/bin", Some(&on_path.join("mission-mcp")));
    assert!(!named.contains("mission-mcp is neither beside"), "{named}");
}
