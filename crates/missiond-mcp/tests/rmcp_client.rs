//! `mission-mcp` driven by rmcp's client over its stdio, with the real `missiond` behind
//! it in a temporary home: handshake, tool list, auto-start, errors, a bash slot, and
//! daemon restarts (including a call in flight when the daemon dies).

mod support;

use std::time::Duration;

use missiond_core::catalogue::{self, Tool as _};
use rmcp::service::ServiceError;
use serde_json::json;
use support::{
    Home, bash_slot_yaml, call, call_err, call_ok, missiond_bin, process_exists, signal, text_of,
    wait_until,
};

const LIMIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_lists_the_catalogue_and_health_starts_a_detached_daemon() {
    let home = Home::new(None);
    let client = home.connect().await;

    let info = client.peer_info().expect("server info after the handshake");
    assert_eq!(
        info.server_info.as_ref().map(|i| i.name.as_str()),
        Some("mission-mcp")
    );
    assert!(
        info.protocol_version.as_str() >= "2025-06-18",
        "{:?}",
        info.protocol_version
    );
    assert!(info.capabilities.tools.is_some());
    let instructions = info.instructions.clone().unwrap_or_default();
    for name in [
        catalogue::PtySpawn::NAME,
        catalogue::PtySend::NAME,
        catalogue::PtyConfirm::NAME,
    ] {
        assert!(
            instructions.contains(name),
            "instructions lack {name}:\n{instructions}"
        );
    }

    let tools = client.list_all_tools().await.expect("tools/list");
    let listed: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    let expected: Vec<&str> = catalogue::all().iter().map(|t| t.name).collect();
    assert_eq!(listed, expected);
    for (tool, def) in tools.iter().zip(catalogue::all()) {
        assert_eq!(tool.title.as_deref(), Some(def.title), "{}", def.name);
        assert_eq!(
            tool.output_schema.as_deref(),
            Some(&def.output_schema),
            "{}",
            def.name
        );
        let ann = tool.annotations.as_ref().expect("annotations");
        assert_eq!(ann.read_only_hint, Some(def.annotations.read_only_hint));
        assert_eq!(ann.destructive_hint, Some(def.annotations.destructive_hint));
    }

    let health = call_ok(&client, catalogue::Health::NAME, json!({})).await;
    assert_eq!(health["ok"], true);
    assert_eq!(health["home"], home.home.display().to_string());
    // A daemon started on the user's behalf says so, with its log and how to stop it.
    let started_by = health["startedBy"].as_str().unwrap_or_default();
    let log_path = home.home.join("logs/missiond.log").display().to_string();
    assert!(
        started_by.contains("mission-mcp")
            && started_by.contains(&log_path)
            && started_by.contains("missiond stop"),
        "{health}"
    );
    let pid = health["pid"].as_i64().expect("pid") as i32;
    assert_eq!(
        home.daemon_pid(),
        Some(pid),
        "the lock holder is the daemon"
    );
    // Detached: the daemon leads its own session, apart from mission-mcp's.
    // SAFETY: getsid(2) only reads.
    assert_eq!(unsafe { libc::getsid(pid) }, pid);
    let log = std::fs::read_to_string(home.home.join("logs/missiond.log")).expect("daemon log");
    assert!(log.contains("listening on"), "{log}");

    // It outlives the MCP session (it belongs to no one's terminal).
    client.cancel().await.expect("closing the session");
    std::thread::sleep(Duration::from_millis(300));
    assert!(process_exists(pid));
    assert!(home.daemon_listening());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_arguments_unknown_slots_and_unknown_tools() {
    let home = Home::new(None);
    let client = home.connect().await;

    let text = call_err(&client, catalogue::PtySend::NAME, json!({"slotId": 3})).await;
    assert!(text.contains("slotId") && text.contains("-32602"), "{text}");
    assert!(text.contains("invalid_params"), "{text}");

    let text = call_err(
        &client,
        catalogue::PtyStatus::NAME,
        json!({"slotId": "nobody"}),
    )
    .await;
    assert!(
        text.contains("unknown slot") && text.contains("nobody"),
        "{text}"
    );
    assert!(text.contains("-32001"), "{text}");

    match call(&client, "mission_no_such_tool", json!({})).await {
        Err(ServiceError::McpError(e)) => {
            assert_eq!(e.code.0, -32602, "{e:?}");
            assert!(e.message.contains("mission_no_such_tool"), "{e:?}");
        }
        other => panic!("an unknown tool must be a protocol error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_daemon_binary_is_a_clear_tool_error() {
    let home = Home::new(None);
    let bogus = home.tmp.path().join("no-such-missiond");
    let (mut command, stderr) = home.mcp_command("bogus.stderr");
    command.env("MISSIOND_BIN", &bogus);
    let client = support::connect_with(command, &stderr).await;
    let text = call_err(&client, catalogue::Health::NAME, json!({})).await;
    assert!(text.contains("MISSIOND_BIN"), "{text}");
    assert!(text.contains(&bogus.display().to_string()), "{text}");
    assert!(!home.daemon_listening());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bash_slot_through_mcp_spawn_screen_and_a_send_timeout() {
    let home = Home::new(None);
    std::fs::write(
        home.home.join("slots.yaml"),
        bash_slot_yaml(home.tmp.path()),
    )
    .expect("yaml");
    let client = home.connect().await;

    let slots = call_ok(&client, catalogue::Slots::NAME, json!({})).await;
    assert_eq!(slots["slots"][0]["id"], "sh");
    let spawned = call_ok(&client, catalogue::PtySpawn::NAME, json!({"slotId": "sh"})).await;
    assert_eq!(spawned["alreadyRunning"], false);
    let slot_pid = spawned["pid"].as_i64().expect("slot pid") as i32;
    assert!(process_exists(slot_pid));

    // bash has no turns: the send types the line, then times out with the daemon's code.
    let text = call_err(
        &client,
        catalogue::PtySend::NAME,
        json!({"slotId": "sh", "message": "echo mcp-$((6*7))", "timeoutMs": 300}),
    )
    .await;
    assert!(
        text.contains("timeout") && text.contains("-32005"),
        "{text}"
    );

    let mut last = String::new();
    let shown = wait_screen(&client, "sh", "mcp-42", &mut last).await;
    assert!(shown, "the screen never showed mcp-42; last text:\n{last}");
    // The readable text carries the screen itself, not only the JSON.
    assert!(last.contains("echo mcp-$((6*7))"), "{last}");
}

/// Polls the screen through MCP until its text content contains `needle`.
async fn wait_screen(
    client: &support::Client,
    slot: &str,
    needle: &str,
    last: &mut String,
) -> bool {
    let deadline = std::time::Instant::now() + LIMIT;
    while std::time::Instant::now() < deadline {
        let result = call(client, catalogue::PtyScreen::NAME, json!({"slotId": slot}))
            .await
            .expect("mission_pty_screen");
        *last = text_of(&result);
        if last.contains(needle) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_work_after_the_daemon_is_killed_or_restarted() {
    let home = Home::new(None);
    let client = home.connect().await;
    let first = call_ok(&client, catalogue::Health::NAME, json!({})).await;
    let first_pid = first["pid"].as_i64().expect("pid") as i32;

    // Restarted by someone else: the next call reaches the new daemon.
    signal(first_pid, libc::SIGKILL);
    assert!(wait_until(LIMIT, || !process_exists(first_pid)));
    let mut outside = std::process::Command::new(missiond_bin())
        .env("MISSIOND_HOME", &home.home)
        .env("MISSION_WS_PORT", "0")
        .env_remove("MISSION_IPC_ENDPOINT")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starting missiond");
    assert!(wait_until(LIMIT, || home.daemon_listening()));
    let second = call_ok(&client, catalogue::Health::NAME, json!({})).await;
    assert_eq!(second["pid"].as_i64(), Some(i64::from(outside.id())));

    // Killed and not restarted: mission-mcp starts a new one itself.
    signal(outside.id() as i32, libc::SIGKILL);
    let _ = outside.wait();
    let third = call_ok(&client, catalogue::Health::NAME, json!({})).await;
    let third_pid = third["pid"].as_i64().expect("pid") as i32;
    assert_ne!(third_pid, first_pid);
    assert_ne!(i64::from(third_pid), i64::from(outside.id()));
    assert_eq!(home.daemon_pid(), Some(third_pid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_in_flight_when_the_daemon_dies_reports_an_unknown_outcome() {
    let home = Home::new(None);
    std::fs::write(
        home.home.join("slots.yaml"),
        bash_slot_yaml(home.tmp.path()),
    )
    .expect("yaml");
    let client = home.connect().await;
    call_ok(&client, catalogue::PtySpawn::NAME, json!({"slotId": "sh"})).await;
    let daemon_pid = home.daemon_pid().expect("a daemon");

    // A send to bash waits for a turn end that never comes: in flight until we kill.
    let peer = client.peer().clone();
    let in_flight = tokio::spawn(async move {
        let params = rmcp::model::CallToolRequestParams::new(catalogue::PtySend::NAME)
            .with_arguments(
                json!({"slotId": "sh", "message": "echo in-flight-marker", "timeoutMs": 120000})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            );
        peer.call_tool(params).await
    });
    let mut last = String::new();
    let typed = wait_screen(&client, "sh", "in-flight-marker", &mut last).await;
    assert!(typed, "the send never reached the slot; screen:\n{last}");

    signal(daemon_pid, libc::SIGKILL);
    let result = tokio::time::timeout(LIMIT, in_flight)
        .await
        .expect("the in-flight call must end when the daemon dies")
        .expect("task")
        .expect("a tool result, not a protocol error");
    assert_eq!(result.is_error, Some(true));
    let text = text_of(&result);
    assert!(text.contains("outcome is unknown"), "{text}");
    assert!(text.contains(catalogue::PtySend::NAME), "{text}");
    // Not sent again: nothing started a new daemon to resend it to.
    assert!(wait_until(Duration::from_secs(2), || !process_exists(
        daemon_pid
    )));
    assert!(
        !home.daemon_listening(),
        "a new daemon was started: the send was resent"
    );

    // The next call starts a fresh daemon and works.
    let health = call_ok(&client, catalogue::Health::NAME, json!({})).await;
    assert_ne!(health["pid"].as_i64(), Some(i64::from(daemon_pid)));
}

/// Writes an executable shell script standing in for a broken daemon binary.
fn fake_daemon(home: &Home, name: &str, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = home.tmp.path().join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_that_exits_or_never_listens_gives_a_clear_error() {
    let home = Home::new(None);

    let exits = fake_daemon(
        &home,
        "exits",
        "echo 'fake daemon: config is broken' >&2; exit 3",
    );
    let (mut command, stderr) = home.mcp_command("exits.stderr");
    command.env("MISSIOND_BIN", &exits);
    let client = support::connect_with(command, &stderr).await;
    let text = call_err(&client, catalogue::Health::NAME, json!({})).await;
    assert!(text.contains("exited with") && text.contains('3'), "{text}");
    assert!(text.contains("fake daemon: config is broken"), "{text}");
    client.cancel().await.expect("closing");

    let pid_file = home.tmp.path().join("silent.pid");
    let silent = fake_daemon(
        &home,
        "silent",
        &format!("echo $$ >> '{}'; exec sleep 60", pid_file.display()),
    );
    let (mut command, stderr) = home.mcp_command("silent.stderr");
    command
        .env("MISSIOND_BIN", &silent)
        .env("MISSIOND_START_TIMEOUT_MS", "700");
    let client = support::connect_with(command, &stderr).await;
    let text = call_err(&client, catalogue::Health::NAME, json!({})).await;
    // Each start (the background warm-up, then the call) appended its pid.
    let pids: Vec<i32> = std::fs::read_to_string(&pid_file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    for pid in &pids {
        signal(*pid, libc::SIGKILL);
    }
    assert!(text.contains("did not accept connections"), "{text}");
    assert!(text.contains("logs/missiond.log"), "{text}");
    assert!(!pids.is_empty(), "the fake daemon never ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_a_tcp_endpoint_mission_mcp_starts_the_daemon_and_shows_its_token() {
    let home = Home::new(None);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let endpoint = format!("tcp://127.0.0.1:{port}");
    let (mut command, stderr) = home.mcp_command("mission-mcp-tcp.stderr");
    command
        .env("MISSION_IPC_ENDPOINT", &endpoint)
        .env_remove("MISSION_IPC_TOKEN");
    let client = support::connect_with(command, &stderr).await;

    // The first call starts a daemon on the TCP endpoint; mission-mcp finds the token
    // it wrote and is served.
    let health = call_ok(&client, "mission_health", json!({})).await;
    assert_eq!(health["endpoint"], json!(endpoint), "{health}");
    let token = std::fs::read_to_string(home.home.join("ipc-token")).expect("the token file");
    assert!(!token.trim().is_empty());

    // A raw connection without it gets nothing.
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut raw = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    raw.write_all(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mission_health\",\"params\":{}}\n")
        .await
        .expect("write");
    let mut line = String::new();
    tokio::time::timeout(LIMIT, BufReader::new(&mut raw).read_line(&mut line))
        .await
        .expect("a reply in time")
        .expect("read");
    assert!(line.contains("-32012"), "{line}");
    assert!(!line.contains("\"result\""), "{line}");
}
