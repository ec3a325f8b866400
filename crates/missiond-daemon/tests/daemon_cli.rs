//! The `missiond` command line as a person uses it, against a real daemon: errors worded
//! once and in CLI terms, `--json` everywhere, quiet broken pipes, `stop`, `reload` and a
//! watched slots.yaml, logs rendered as they were seen.

mod daemon_support;

use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use daemon_support::{
    Daemon, ok, process_exists, run_hook, shell_slot_yaml, type_line, wait_screen,
};
use serde_json::{Value, json};

/// Runs `missiond ARGS` against the daemon of `home`.
fn cli(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_missiond"))
        .args(args)
        .env("MISSIOND_HOME", home)
        .env_remove("MISSION_IPC_ENDPOINT")
        .env_remove("MISSION_SLOTS_CONFIG")
        .output()
        .expect("running missiond")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `cli`, expecting JSON on stdout.
fn cli_json(home: &Path, args: &[&str]) -> (bool, Value) {
    let mut all = args.to_vec();
    all.push("--json");
    let out = cli(home, &all);
    let value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?} --json printed no JSON ({e}):\n{}\n{}",
            text(&out.stdout),
            text(&out.stderr)
        )
    });
    (out.status.success(), value)
}

/// Polls `check` until it returns true or `limit` passes.
fn wait_until(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn without_a_daemon_every_command_says_so_once_and_how_to_start_one() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    for args in [
        &["status"][..],
        &["slots"],
        &["send", "coder-1", "hello"],
        &["logs", "coder-1"],
    ] {
        let out = cli(&home, args);
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert_eq!(
            err.matches("no missiond daemon is running").count(),
            1,
            "{args:?}: {err}"
        );
        assert!(err.contains(&home.display().to_string()), "{err}");
        assert!(err.contains("start one with `missiond`"), "{err}");
        assert!(!err.contains("error: missiond:"), "doubled prefix: {err}");
        assert!(!err.contains("os error"), "{err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
    let (ok_, value) = cli_json(&home, &["status"]);
    assert!(!ok_);
    assert_eq!(value["error"]["kind"], "no_daemon", "{value}");
    // Stopping what is not running is no error.
    let out = cli(&home, &["stop"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("no missiond daemon is running"));
}

/// Runs `missiond ARGS` with stdout a pipe whose reading end is already closed.
fn into_closed_pipe(home: &Path, args: &[&str]) -> Output {
    let mut fds = [0; 2];
    // SAFETY: pipe(2) fills two new descriptors, which we then own.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    drop(read);
    Command::new(env!("CARGO_BIN_EXE_missiond"))
        .args(args)
        .env("MISSIOND_HOME", home)
        .env_remove("MISSION_IPC_ENDPOINT")
        .stdout(Stdio::from(write))
        .stderr(Stdio::piped())
        .output()
        .expect("running missiond")
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    use std::os::unix::process::ExitStatusExt;
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(&tmp.path().join("home"), Some(&shell_slot_yaml(tmp.path())));
    for args in [&["tools"][..], &["slots"], &["status", "--json"]] {
        let out = into_closed_pipe(&daemon.home, args);
        let err = text(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            out.status.success() || out.status.signal() == Some(libc::SIGPIPE),
            "{args:?}: {:?} {err}",
            out.status
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_speak_json_and_their_errors_name_cli_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(&tmp.path().join("home"), Some(&shell_slot_yaml(tmp.path())));
    let home = daemon.home.clone();

    let (ok_, slots) = cli_json(&home, &["slots"]);
    assert!(ok_ && slots["slots"][0]["id"] == "sh", "{slots}");
    let (ok_, spawned) = cli_json(&home, &["spawn", "sh"]);
    assert!(ok_ && spawned["slotId"] == "sh", "{spawned}");
    let (ok_, status) = cli_json(&home, &["status"]);
    assert!(ok_, "{status}");
    assert_eq!(status["health"]["slotsRunning"], 1, "{status}");
    assert_eq!(status["agents"][0]["slotId"], "sh", "{status}");
    let (ok_, tools) = cli_json(&home, &["tools"]);
    assert!(
        ok_ && tools
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t["name"] == "mission_reload")),
        "{tools}"
    );
    let (ok_, board) = cli_json(&home, &["board"]);
    assert!(
        ok_ && board["url"].as_str().is_some_and(|u| u.starts_with("http")),
        "{board}"
    );
    let client = daemon.client().await;
    wait_screen(&client, "sh", "sh$", Duration::from_secs(20)).await;
    let (ok_, screen) = cli_json(&home, &["screen", "sh"]);
    assert!(
        ok_ && screen["screen"].as_str().unwrap_or("").contains("sh$"),
        "{screen}"
    );

    // The state footer is a line of its own even when stdout and stderr share a pipe.
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' screen sh 2>&1",
            env!("CARGO_BIN_EXE_missiond")
        ))
        .env("MISSIOND_HOME", &home)
        .env_remove("MISSION_IPC_ENDPOINT")
        .output()
        .unwrap();
    let both = text(&out.stdout);
    // The state may have moved on since the JSON call (a shell leaves Starting): any
    // state's footer will do, on a line of its own.
    let states = [
        "Starting",
        "Idle",
        "Thinking",
        "Responding",
        "ToolRunning",
        "Confirming",
        "SlashMenu",
        "Error",
        "Unknown",
        "Exited",
        "Stopped",
    ];
    assert!(
        both.lines()
            .any(|l| states.iter().any(|s| l == format!("[{s}]"))),
        "no state line in:\n{both}"
    );
    assert!(
        states.contains(&screen["state"].as_str().unwrap()),
        "{screen}"
    );

    // Errors: the daemon's words, in CLI terms, once, without JSON-RPC codes.
    for (args, wanted) in [
        (&["spawn", "nope"][..], "run `missiond slots`"),
        (&["history", "nope"], "run `missiond slots`"),
    ] {
        let out = cli(&home, args);
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.contains(wanted), "{args:?}: {err}");
        assert!(!err.contains("mission_"), "{args:?} names a tool: {err}");
        assert!(!err.contains("code -3"), "{args:?} shows a code: {err}");
        assert!(!err.contains("error: missiond:"), "doubled prefix: {err}");
    }
    let (ok_, error) = cli_json(&home, &["spawn", "nope"]);
    assert!(!ok_);
    assert_eq!(error["error"]["kind"], "unknown_slot", "{error}");

    let (ok_, history) = cli_json(&home, &["history", "sh"]);
    assert!(ok_ && history["slotId"] == "sh", "{history}");
    let out = cli(&home, &["kill", "sh"]);
    let said = text(&out.stdout);
    assert!(
        out.status.success() && said.starts_with("sh: stopped"),
        "{said}"
    );
    assert!(!said.contains("Some("), "{said}");
    let (ok_, killed) = cli_json(&home, &["kill", "sh"]);
    assert!(ok_ && killed["wasRunning"] == false, "{killed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_show_what_was_seen_once_and_raw_gives_the_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    // A 10-row terminal: forty lines scroll most of them off the screen.
    let yaml = shell_slot_yaml(tmp.path()).replace("rows: 30", "rows: 10");
    let daemon = Daemon::start(&tmp.path().join("home"), Some(&yaml));
    let client = daemon.client().await;
    ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    wait_screen(&client, "sh", "sh$", Duration::from_secs(20)).await;
    // The words reach the screen by cursor moves, and a counter redraws in place.
    type_line(
        &client,
        "sh",
        r"for i in $(seq 1 40); do printf 'row\033[1Cnumber\033[1C%02d\n' $i; done; for n in 1 2 3 4 5; do printf '\rcounting %s' $n; done; echo",
    )
    .await;
    wait_screen(&client, "sh", "counting 5", Duration::from_secs(20)).await;

    let out = cli(&daemon.home, &["logs", "sh"]);
    let log = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for i in 1..=40 {
        let row = format!("row number {i:02}");
        assert_eq!(log.matches(&row).count(), 1, "{row} in:\n{log}");
    }
    let first = log.find("row number 01").unwrap();
    let last = log.find("row number 40").unwrap();
    assert!(first < last, "{log}");
    let counters: Vec<&str> = log.lines().filter(|l| l.starts_with("counting")).collect();
    assert_eq!(counters, ["counting 5"], "{log}");
    assert!(log.contains("counting 5") && !log.contains('\x1b'), "{log}");

    let out = cli(&daemon.home, &["logs", "sh", "--raw"]);
    let raw = out.stdout;
    assert!(
        raw.windows(2).any(|w| w == b"\x1b["),
        "no escape sequences in --raw"
    );
    assert!(
        text(&raw).contains("counting 3"),
        "the redraws are in the bytes"
    );
    let (ok_, value) = cli_json(&daemon.home, &["logs", "sh"]);
    assert!(
        ok_ && value["text"]
            .as_str()
            .is_some_and(|t| t.contains("row number 40"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_ends_the_slots_closes_the_store_and_removes_the_socket() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(&tmp.path().join("home"), Some(&shell_slot_yaml(tmp.path())));
    let client = daemon.client().await;
    let spawned = ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    let slot_pid = spawned["pid"].as_i64().expect("the slot's pid");
    let daemon_pid = daemon.pid() as i64;
    drop(client);

    let out = cli(&daemon.home, &["stop"]);
    let said = text(&out.stdout);
    assert!(out.status.success(), "{said}{}", text(&out.stderr));
    assert!(said.contains("missiond stopped"), "{said}");
    // When `stop` returns, it is over.
    assert!(!process_exists(daemon_pid), "the daemon still runs");
    assert!(!process_exists(slot_pid), "the slot still runs");
    assert!(!daemon.home.join("missiond.sock").exists());
    assert!(daemon.stderr_text().contains("missiond: stopped"));
    // The store was closed cleanly: a new daemon opens it and serves.
    let again = Daemon::start(&daemon.home, None);
    ok(&again.client().await, "mission_health", json!({})).await;
}

fn two_slots_yaml(dir: &Path) -> String {
    let mut yaml = shell_slot_yaml(dir);
    yaml.push_str(&format!(
        "  - id: sh2\n    cwd: {}\n    command: bash\n    args: [\"--norc\", \"--noprofile\"]\n    autostart: true\n",
        dir.display()
    ));
    yaml
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_yaml_reloads_on_change_and_a_broken_file_keeps_the_last_good_slots() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(&tmp.path().join("home"), Some(&shell_slot_yaml(tmp.path())));
    let home = daemon.home.clone();
    let yaml_path = home.join("slots.yaml");
    let client = daemon.client().await;
    let spawned = ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    let sh_pid = spawned["pid"].as_i64().unwrap();

    // Edited: a new autostart slot appears and starts; the running one is untouched.
    std::fs::write(&yaml_path, two_slots_yaml(tmp.path())).unwrap();
    let agents = || {
        let (_, status) = cli_json(&home, &["status"]);
        status["agents"].clone()
    };
    let pid_of = |agents: &Value, id: &str| {
        agents
            .as_array()
            .and_then(|a| a.iter().find(|a| a["slotId"] == id))
            .and_then(|a| a["pid"].as_i64())
    };
    wait_until(
        Duration::from_secs(30),
        "sh2 to be added and started",
        || pid_of(&agents(), "sh2").is_some(),
    );
    let now = agents();
    assert_eq!(pid_of(&now, "sh"), Some(sh_pid), "sh was restarted: {now}");
    let sh2_pid = pid_of(&now, "sh2").unwrap();

    // A typo: nothing changes, and the error shows wherever slots are listed or used.
    std::fs::write(&yaml_path, "slots:\n  - id: sh\n    cwdd: /tmp\n").unwrap();
    wait_until(Duration::from_secs(30), "the config error to show", || {
        cli_json(&home, &["slots"]).1["configError"].is_string()
    });
    let out = cli(&home, &["slots"]);
    let listed = text(&out.stdout);
    assert!(
        listed.contains("config error") && listed.contains("cwdd"),
        "{listed}"
    );
    assert!(
        listed.contains("sh2"),
        "the last good slots are gone: {listed}"
    );
    let health = ok(&client, "mission_health", json!({})).await;
    assert!(
        health["configError"]
            .as_str()
            .is_some_and(|e| e.contains("cwdd")),
        "{health}"
    );
    let err = text(&cli(&home, &["spawn", "sh3"]).stderr);
    assert!(
        err.contains("cwdd"),
        "spawn does not show the config error: {err}"
    );
    let out = cli(&home, &["reload"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("cwdd"));
    assert_eq!(pid_of(&agents(), "sh"), Some(sh_pid));

    // Fixed, without sh2: sh2 is stopped and gone, sh still untouched; the error clears.
    std::fs::write(&yaml_path, shell_slot_yaml(tmp.path())).unwrap();
    let (ok_, reloaded) = cli_json(&home, &["reload"]);
    assert!(ok_ && reloaded.get("error").is_none(), "{reloaded}");
    wait_until(Duration::from_secs(30), "sh2 to be removed", || {
        !agents().to_string().contains("sh2")
    });
    assert!(!process_exists(sh2_pid), "sh2 still runs");
    assert_eq!(pid_of(&agents(), "sh"), Some(sh_pid));
    let (_, slots) = cli_json(&home, &["slots"]);
    assert!(slots.get("configError").is_none(), "{slots}");
}

/// Runs `missiond hook EVENT` for slot `slot` as Claude Code's hook would.
fn hook(daemon: &Daemon, slot: &str, event: &str, payload: Value) {
    run_hook(daemon, slot, "general", event, &payload);
}

/// A prompt a person typed into the slot's terminal (missiond-attach) is announced only
/// by Claude Code's hooks; it is a turn in `missiond history` all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turns_typed_by_a_person_are_in_the_history() {
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(&tmp.path().join("home"), Some(&shell_slot_yaml(tmp.path())));
    let client = daemon.client().await;
    ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    hook(
        &daemon,
        "sh",
        "UserPromptSubmit",
        json!({"hook_event_name": "UserPromptSubmit", "prompt": "typed by hand: list the files"}),
    );
    hook(
        &daemon,
        "sh",
        "Stop",
        json!({"hook_event_name": "Stop", "last_assistant_message": "Here they are: a, b."}),
    );
    let (ok_, history) = cli_json(&daemon.home, &["history", "sh"]);
    assert!(ok_, "{history}");
    let turns = history["turns"].as_array().cloned().unwrap_or_default();
    assert_eq!(turns.len(), 1, "{history}");
    assert_eq!(turns[0]["prompt"], "typed by hand: list the files");
    assert_eq!(turns[0]["answer"], "Here they are: a, b.");
    let out = text(&cli(&daemon.home, &["history", "sh"]).stdout);
    assert!(out.contains("> typed by hand: list the files"), "{out}");
}
