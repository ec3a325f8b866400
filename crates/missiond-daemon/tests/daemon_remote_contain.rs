//! Containment on a remote host, tried as an attacker would: a remote slot with
//! `isolation: sandbox` (a shell is enough) tries to rewrite the runner's binary and its
//! own rules folder, read another slot's files and the runner's log, reach the runner's
//! socket, and fork away a process that outlives the slot. The effects are checked on
//! the host from outside (files unchanged, process gone). A host without bubblewrap
//! refuses such a slot, naming the host and what to install.
//!
//! Real hosts as in `daemon_remote` (network namespaces, OpenSSH, a user of their own);
//! root only, skipped with a line on stderr elsewhere unless MISSIOND_E2E_REQUIRED=1.

mod daemon_support;
mod remote_support;

use std::time::{Duration, Instant};

use daemon_support::{Daemon, ok, type_line, wait_screen, wait_status};
use remote_support::{Host, can_run};
use serde_json::json;

const LONG: Duration = Duration::from_secs(120);

fn daemon_for(host: &Host, tmp: &std::path::Path, yaml: &str) -> Daemon {
    let config = host.ssh_config.to_string_lossy().into_owned();
    Daemon::start_with_env(
        &tmp.join("missiond-home"),
        Some(yaml),
        &[("MISSIOND_SSH_CONFIG", config.as_str())],
    )
}

/// Pids of the host user's processes whose command line contains `needle`.
fn with_cmdline(host: &Host, needle: &str) -> Vec<i32> {
    host.user_pids(|_| true)
        .into_iter()
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| {
                    String::from_utf8_lossy(&c)
                        .replace('\0', " ")
                        .contains(needle)
                })
                .unwrap_or(false)
        })
        .collect()
}

/// Types `line` in slot `rsb` and waits until it has run: the screen then.
async fn run_line(client: &missiond_core::ipc::IpcClient, line: &str, tag: &str) -> String {
    // The marker is computed by the shell, so the typed line itself never matches.
    type_line(client, "rsb", &format!("{line}; echo done-{tag}-$((6*7))")).await;
    wait_screen(client, "rsb", &format!("done-{tag}-42"), LONG).await
}

/// The `NAME=value` word of the screen's line starting with `NAME=`.
fn word(screen: &str, name: &str) -> String {
    screen
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name}= line in:\n{screen}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandboxed_remote_slot_cannot_touch_its_rules_see_the_runner_or_outlive_itself() {
    let test = "a_sandboxed_remote_slot_cannot_touch_its_rules_see_the_runner_or_outlive_itself";
    if !can_run(test) {
        return;
    }
    let host = Host::create(true);
    let tmp = tempfile::tempdir().unwrap();
    let work = host.user_dir("work");
    // Another slot's files on the same host, as a runner of the same user keeps them.
    let other = host.home.join(".missiond/run/other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("settings.json"), "other-slot-rules").unwrap();
    host.give(&host.home.join(".missiond"));
    let yaml = format!(
        "slots:\n  - id: rsb\n    host: {}\n    cwd: ~/work\n    command: bash\n    \
         args: [\"--norc\", \"--noprofile\"]\n    isolation: sandbox\n    env:\n      \
         PS1: \"rsb$ \"\n    cols: 160\n    rows: 40\n",
        host.alias
    );
    let daemon = daemon_for(&host, tmp.path(), &yaml);
    let client = daemon.client().await;
    ok(&client, "mission_pty_spawn", json!({"slotId": "rsb"})).await;
    wait_screen(&client, "rsb", "rsb$", LONG).await;

    // The slot reads sandboxed, and its pid is the shell's own on the host, in a PID
    // namespace other than the runner's.
    let agents = ok(&client, "mission_agents", json!({})).await;
    let agent = &agents["agents"][0];
    assert_eq!(agent["sandboxed"], true, "{agents}");
    assert_eq!(agent["host"], json!(host.alias), "{agents}");
    let pid = agent["pid"].as_i64().expect("a pid on the host");
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    assert_eq!(comm.trim(), "bash", "pid {pid} is not the shell");
    let ns = |pid: i64| std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok();
    let runner = *host
        .user_pids(|c| c.starts_with("missiond"))
        .first()
        .expect("the runner on the host");
    assert_ne!(
        ns(pid),
        ns(i64::from(runner)),
        "the shell shares the runner's PID namespace"
    );

    // The runner, and mission-mcp beside it when this build has one.
    let bins: Vec<(std::path::PathBuf, Vec<u8>)> =
        std::fs::read_dir(host.home.join(".missiond/bin"))
            .unwrap()
            .flatten()
            .map(|e| (e.path(), std::fs::read(e.path()).unwrap()))
            .collect();
    assert!(
        bins.iter().any(|(p, _)| p
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("missiond-")),
        "no runner on the host"
    );
    let slot_dir = host.home.join(".missiond/run/rsb");
    let slot_files = || {
        let mut names: Vec<String> = std::fs::read_dir(&slot_dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let slot_files_before = slot_files();

    // The attacks, each reporting what it got.
    let screen = run_line(
        &client,
        "echo pwned >> ~/.missiond/bin/missiond-*; echo w1=$?; \
         rm -f ~/.missiond/bin/* 2>/dev/null; echo w2=$?",
        "a",
    )
    .await;
    assert_ne!(word(&screen, "w1"), "w1=0", "{screen}");
    let screen = run_line(
        &client,
        "echo '{}' > ~/.missiond/run/rsb/settings.json; echo w3=$?",
        "b",
    )
    .await;
    assert_ne!(word(&screen, "w3"), "w3=0", "{screen}");
    let screen = run_line(
        &client,
        "cat ~/.missiond/run/other/settings.json; echo r1=$?; \
         cat ~/.missiond/run/rsb.log >/dev/null 2>&1; echo r2=$?; \
         test -S ~/.missiond/run/rsb.sock; echo s1=$?",
        "c",
    )
    .await;
    assert_ne!(word(&screen, "r1"), "r1=0", "{screen}");
    assert!(!screen.contains("other-slot-rules"), "{screen}");
    assert_ne!(word(&screen, "r2"), "r2=0", "{screen}");
    assert_eq!(word(&screen, "s1"), "s1=1", "{screen}");
    // The sandbox is not a wall around everything: the slot's own folder is writable.
    let screen = run_line(&client, "echo made > ~/work/made.txt; echo w4=$?", "d").await;
    assert_eq!(word(&screen, "w4"), "w4=0", "{screen}");
    // A process forked away from the slot, in a session of its own.
    run_line(
        &client,
        "setsid sleep 987654 </dev/null >/dev/null 2>&1 & disown",
        "e",
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while with_cmdline(&host, "sleep 987654").is_empty() {
        assert!(Instant::now() < deadline, "the escapee never ran");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Seen from outside: nothing of the runner changed, the other slot's rules are
    // intact, the slot's folder holds what it held.
    for (path, bytes) in &bins {
        assert!(
            std::fs::read(path).is_ok_and(|now| now == *bytes),
            "{} changed",
            path.display()
        );
    }
    assert_eq!(
        std::fs::read_to_string(other.join("settings.json")).unwrap(),
        "other-slot-rules"
    );
    assert_eq!(slot_files(), slot_files_before, "the slot's folder changed");
    assert!(!slot_dir.join("settings.json").exists());
    assert_eq!(
        std::fs::read_to_string(work.join("made.txt"))
            .unwrap()
            .trim(),
        "made"
    );

    // The slot ends, and everything it started with it.
    ok(&client, "mission_pty_kill", json!({"slotId": "rsb"})).await;
    wait_status(&client, "rsb", LONG, |s| s["state"] == "Stopped").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = with_cmdline(&host, "sleep 987654");
        if left.is_empty() && !daemon_support::process_exists(pid) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "outlived the slot: escapee {left:?}, shell alive: {}",
            daemon_support::process_exists(pid)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_without_bubblewrap_refuses_a_slot_that_requires_a_sandbox() {
    let test = "a_host_without_bubblewrap_refuses_a_slot_that_requires_a_sandbox";
    if !can_run(test) {
        return;
    }
    // Every session of the host's user is told bubblewrap is somewhere it is not.
    let host = Host::create_with(true, "SetEnv MISSIOND_BWRAP=/nonexistent/bwrap");
    let tmp = tempfile::tempdir().unwrap();
    host.user_dir("work");
    let yaml = format!(
        "slots:\n  - id: strict\n    host: {h}\n    cwd: ~/work\n    command: bash\n    \
         isolation: sandbox\n  - id: relaxed\n    host: {h}\n    cwd: ~/work\n    \
         command: bash\n    args: [\"--norc\", \"--noprofile\"]\n    env:\n      \
         PS1: \"relaxed$ \"\n",
        h = host.alias
    );
    let daemon = daemon_for(&host, tmp.path(), &yaml);
    let client = daemon.client().await;
    let err = client
        .call("mission_pty_spawn", json!({"slotId": "strict"}))
        .await
        .expect_err("a sandbox-only slot started on a host without bubblewrap");
    let text = err.to_string();
    assert!(text.contains(&format!("host `{}`", host.alias)), "{text}");
    assert!(text.contains("isolation: sandbox"), "{text}");
    assert!(text.contains("apt install bubblewrap"), "{text}");
    assert!(
        host.user_pids(|c| c == "bash").is_empty(),
        "the refused slot's program runs anyway"
    );
    // `isolation: auto` (the default) runs there without one, and says so.
    ok(&client, "mission_pty_spawn", json!({"slotId": "relaxed"})).await;
    wait_screen(&client, "relaxed", "relaxed$", LONG).await;
    let agents = ok(&client, "mission_agents", json!({})).await;
    let relaxed = agents["agents"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["slotId"] == "relaxed"))
        .expect("relaxed");
    assert_eq!(relaxed["sandboxed"], false, "{agents}");
    // Health warns about it, naming the slot and its host.
    let health = ok(&client, "mission_health", json!({})).await;
    let warned = health["warnings"]
        .as_array()
        .and_then(|w| {
            w.iter()
                .filter_map(|x| x.as_str())
                .find(|x| x.contains("relaxed"))
        })
        .unwrap_or_else(|| panic!("no warning about `relaxed`: {health}"))
        .to_string();
    assert!(warned.contains(&host.alias), "{warned}");
    assert!(warned.contains("without a sandbox"), "{warned}");
}
