//! Remote slots against real hosts: network namespaces running Debian's OpenSSH server
//! with a user of their own (see `remote_support`). A bash slot and a real Claude Code
//! slot (against mock-anthropic, reached by the host over the veth link) run on the host
//! through `missiond runner`; exact answers, a permission dialog answered, the ssh
//! connection cut mid-turn with the same remote process answering after the reconnect,
//! the runner copied on first use, a host that is down reported clearly.
//!
//! Root only (skipped with a line on stderr elsewhere, unless MISSIOND_E2E_REQUIRED=1).

mod daemon_support;
mod lifecycle_support;
mod remote_support;

use std::time::{Duration, Instant};

use daemon_support::{Daemon, ok, type_line, wait_screen, wait_status};
use mock_anthropic::offline::{ClaudeHome, claude_env, claude_for_test};
use mock_anthropic::{Scenario, Server, ServerConfig};
use remote_support::{Host, can_run};
use serde_json::{Value, json};

const LONG: Duration = Duration::from_secs(120);

fn daemon_for(host: &Host, tmp: &std::path::Path, yaml: &str) -> Daemon {
    let config = host.ssh_config.to_string_lossy().into_owned();
    Daemon::start_with_env(
        &tmp.join("missiond-home"),
        Some(yaml),
        &[
            ("MISSIOND_SSH_CONFIG", config.as_str()),
            ("MISSIOND_REMOTE_DETACHED_SECS", "300"),
        ],
    )
}

/// The runner binaries on the host.
fn runners_on(host: &Host) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(host.home.join(".missiond/bin"))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    let name = p.file_name().unwrap_or_default().to_string_lossy();
                    name.starts_with("missiond-") && !name.contains(".part")
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The owner of `/proc/<pid>`.
fn owner(pid: i64) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(format!("/proc/{pid}"))
        .ok()
        .map(|m| m.uid())
}

/// Polls the slot's state every 50 ms until `want` (or gives up after `limit`).
async fn saw_state(
    client: &missiond_core::ipc::IpcClient,
    slot: &str,
    want: &str,
    limit: Duration,
) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(v) = client
            .call("mission_pty_status", json!({"slotId": slot}))
            .await
            && v["state"] == want
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bash_slot_on_a_host_keeps_its_process_through_a_cut_and_a_dead_link() {
    let test = "a_bash_slot_on_a_host_keeps_its_process_through_a_cut_and_a_dead_link";
    if !can_run(test) {
        return;
    }
    let host = Host::create(true);
    let tmp = tempfile::tempdir().unwrap();
    host.user_dir("work");
    let yaml = format!(
        "slots:\n  - id: rsh\n    host: {}\n    cwd: ~/work\n    command: bash\n    \
         args: [\"--norc\", \"--noprofile\"]\n    isolation: none\n    env:\n      PS1: \"rsh$ \"\n      \
         GREETING: from-the-slot-env\n    cols: 100\n    rows: 30\n",
        host.alias
    );
    let daemon = daemon_for(&host, tmp.path(), &yaml);
    let client = daemon.client().await;
    assert!(runners_on(&host).is_empty(), "a runner before first use");

    ok(&client, "mission_pty_spawn", json!({"slotId": "rsh"})).await;
    wait_screen(&client, "rsh", "rsh$", LONG).await;
    // The runner was copied on first use, as the host's user.
    let runners = runners_on(&host);
    assert_eq!(runners.len(), 1, "{runners:?}");
    assert!(
        runners[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("missiond-0."),
        "{runners:?}"
    );

    // The program runs on the host, as its user, in the slot's cwd there, with its env.
    type_line(
        &client,
        "rsh",
        "echo pid=$$ sum=$((6*7)) cwd=$PWD g=$GREETING",
    )
    .await;
    let screen = wait_screen(&client, "rsh", "sum=42", LONG).await;
    let line = screen
        .lines()
        .find(|l| l.starts_with("pid="))
        .expect("the echo line")
        .to_string();
    let pid: i64 = line
        .split_whitespace()
        .next()
        .and_then(|w| w.strip_prefix("pid="))
        .and_then(|p| p.parse().ok())
        .expect("a pid");
    assert_eq!(
        owner(pid),
        Some(host.uid),
        "the shell is not the host user's"
    );
    assert!(
        line.contains(&format!("cwd={}", host.home.join("work").display())),
        "{line}"
    );
    assert!(line.contains("g=from-the-slot-env"), "{line}");
    // mission_agents and mission_slots say where it runs, and its pid there.
    let agents = ok(&client, "mission_agents", json!({})).await;
    let agent = agents["agents"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["slotId"] == "rsh"))
        .expect("rsh in mission_agents");
    assert_eq!(agent["host"], json!(host.alias), "{agent}");
    assert_eq!(
        agent["pid"],
        json!(pid),
        "the pid is not the shell's on the host: {agent}"
    );
    let slots = ok(&client, "mission_slots", json!({})).await;
    assert_eq!(slots["slots"][0]["host"], json!(host.alias), "{slots}");

    // The ssh connection is cut while output is being written.
    type_line(
        &client,
        "rsh",
        "for i in 1 2 3 4 5 6 7 8 9 10; do echo tick$i; sleep 0.4; done; echo after-cut-$$",
    )
    .await;
    wait_screen(&client, "rsh", "tick1", LONG).await;
    let killed = host.kill_connections();
    assert!(killed > 0, "no ssh connection to cut");
    let screen = wait_screen(&client, "rsh", &format!("after-cut-{pid}"), LONG).await;
    for i in 1..=10 {
        let tick = format!("tick{i}");
        assert_eq!(
            screen.lines().filter(|l| l.trim_end() == tick).count(),
            1,
            "tick{i} lost or doubled after the reconnect:\n{screen}"
        );
    }
    assert!(
        logged(&daemon, "link lost").await,
        "the daemon never saw the link drop"
    );

    // A link that goes silent: the slot reads Unknown (never Idle) until it is back,
    // and input typed meanwhile arrives once, afterwards.
    let veth = host.veth_name();
    run_ip(&["link", "set", veth, "down"]);
    let unknown = saw_state(&client, "rsh", "Unknown", Duration::from_secs(90)).await;
    let typed = client
        .call(
            "mission_pty_send",
            json!({"slotId": "rsh", "message": "echo typed-while-down-$$", "timeoutMs": 300}),
        )
        .await;
    run_ip(&["link", "set", veth, "up"]);
    assert!(
        unknown,
        "the slot never read Unknown while its link was down"
    );
    drop(typed);
    let screen = wait_screen(&client, "rsh", &format!("typed-while-down-{pid}"), LONG).await;
    assert_eq!(
        screen.matches(&format!("typed-while-down-{pid}")).count(),
        1,
        "{screen}"
    );
    let health = ok(&client, "mission_health", json!({})).await;
    let h = &health["hosts"][&host.alias];
    assert_eq!(h["reachable"], true, "{health}");
    assert!(h["latencyMs"].as_f64().is_some(), "{health}");
    assert!(
        h["runnerVersion"]
            .as_str()
            .is_some_and(|v| runners[0].to_string_lossy().ends_with(v)),
        "{health}"
    );
    ok(&client, "mission_pty_kill", json!({"slotId": "rsh"})).await;
    wait_status(&client, "rsh", LONG, |s| s["state"] == "Stopped").await;
    assert!(
        !daemon_support::process_exists(pid),
        "the remote shell outlived its kill"
    );
    // The daemon's ssh master connection ends with the daemon.
    let control_dir = daemon.home.join("run").join("ssh");
    assert!(
        !masters(&control_dir).is_empty(),
        "no ssh master under {control_dir:?}"
    );
    let mut daemon = daemon;
    daemon.stop();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !masters(&control_dir).is_empty() {
        assert!(Instant::now() < deadline, "ssh masters outlived the daemon");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Processes whose command line names `control_dir` (ssh masters: `ssh: DIR/HASH [mux]`).
fn masters(control_dir: &std::path::Path) -> Vec<String> {
    let needle = control_dir.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(&needle))
        .collect()
}

fn run_ip(args: &[&str]) {
    let st = std::process::Command::new("ip")
        .args(args)
        .status()
        .unwrap();
    assert!(st.success(), "ip {args:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_that_is_down_is_reported_clearly() {
    let test = "a_host_that_is_down_is_reported_clearly";
    if !can_run(test) {
        return;
    }
    let host = Host::create(false);
    let tmp = tempfile::tempdir().unwrap();
    let yaml = format!(
        "slots:\n  - id: down\n    host: {}\n    cwd: /tmp\n    command: bash\n",
        host.alias
    );
    let daemon = daemon_for(&host, tmp.path(), &yaml);
    let client = daemon.client().await;
    let err = client
        .call("mission_pty_spawn", json!({"slotId": "down"}))
        .await
        .expect_err("a spawn on a host that is down succeeded");
    let text = err.to_string();
    assert!(
        text.contains(&format!("host `{}` is unreachable", host.alias)),
        "{text}"
    );
    assert!(text.contains("Connection refused"), "{text}");
    let health = ok(&client, "mission_health", json!({})).await;
    let h = &health["hosts"][&host.alias];
    assert_eq!(h["reachable"], false, "{health}");
    assert!(
        h["error"]
            .as_str()
            .is_some_and(|e| e.contains("Connection refused")),
        "{health}"
    );
}

const SCENARIO: &str = r#"
rules:
  - name: exact
    match: { contains: "exact answer" }
    steps:
      - text: "Remote line one, with `code` and ünïcode ✓.\n\n- item: 42"
  - name: write allowed
    match: { contains: "write the yes file" }
    steps:
      - text: "I'll write it."
        tool_use:
          name: Bash
          input: { command: "echo yes-content > yes.txt", description: "Write yes.txt" }
      - text: "Wrote yes.txt."
  - name: agent tool
    match: { contains: "remember the remote fact" }
    steps:
      - text: "Remembering."
        tool_use:
          name: mcp__mission__mission_kb_remember
          input: { key: "remote-fact", content: "Learnt on a host, told through its runner.", source: "someone-else" }
      - text: "Remembered."
  - name: slow
    match: { contains: "slow story" }
    steps:
      - first_token_delay_ms: 500
        chunk_chars: 6
        chunk_delay_ms: 250
        text: "Once upon a time a story crossed a cut link, piece by piece, and every piece arrived exactly once at the end."
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_on_a_host_answers_asks_and_survives_a_cut() {
    let test = "claude_code_on_a_host_answers_asks_and_survives_a_cut";
    if !can_run(test) {
        return;
    }
    let Some(claude) = claude_for_test(test) else {
        return;
    };
    let host = Host::create(true);
    let tmp = tempfile::tempdir().unwrap();
    // mock-anthropic where the host can reach it: this machine's end of the veth link.
    let mut config = ServerConfig::new(Scenario::from_yaml(SCENARIO).expect("scenario"));
    config.host = std::net::IpAddr::V4(host.local_addr);
    let server = Server::start_with(config).expect("mock");
    let proj = host.user_dir("proj");
    let home = ClaudeHome::create(host.home.join("claude-home"), &[&proj]).expect("claude home");
    host.give(home.path());
    let mut env: Vec<(String, String)> = claude_env(home.path(), server.base_url());
    env.retain(|(k, _)| !k.eq_ignore_ascii_case("no_proxy"));
    env.push(("NO_PROXY".into(), format!("{},127.0.0.1", host.local_addr)));
    let env: String = env
        .into_iter()
        .map(|(k, v)| format!("      {k}: {}\n", json!(v)))
        .collect();
    let yaml = format!(
        "slots:\n  - id: rc\n    role: coder\n    host: {}\n    cwd: {}\n    command: {}\n    \
         permission_mode: manual\n    env:\n{env}",
        host.alias,
        json!(proj.display().to_string()),
        json!(claude.display().to_string()),
    );
    // mission-mcp beside missiond: the daemon copies it to the host with the runner.
    lifecycle_support::build_mission_mcp();
    let daemon = daemon_for(&host, tmp.path(), &yaml);
    let client = daemon.client().await;
    let spawned = ok(&client, "mission_pty_spawn", json!({"slotId": "rc"})).await;
    assert_eq!(spawned["state"], "Idle", "{spawned}");

    // The exact answer, from the Stop hook that came back through the runner.
    let sent = ok(
        &client,
        "mission_pty_send",
        json!({"slotId": "rc", "message": "give me the exact answer", "timeoutMs": 90000}),
    )
    .await;
    assert_eq!(
        sent["answer"], "Remote line one, with `code` and ünïcode ✓.\n\n- item: 42",
        "{sent}"
    );

    // The transcript on the host, streamed by the runner, is in the conversation store:
    // the prompt and the answer.
    let agents = ok(&client, "mission_agents", json!({})).await;
    let session = agents["agents"][0]["sessionId"]
        .as_str()
        .expect("a session id")
        .to_string();
    let deadline = Instant::now() + LONG;
    loop {
        let got = client
            .call(
                "mission_conversation_get",
                json!({"sessionId": session, "limit": 1000}),
            )
            .await
            .unwrap_or(Value::Null);
        let messages = got["messages"].as_array().cloned().unwrap_or_default();
        let has = |role: &str, text: &str| {
            messages
                .iter()
                .any(|m| m["role"] == role && m["text"].as_str().is_some_and(|t| t.contains(text)))
        };
        if has("user", "give me the exact answer")
            && has("assistant", "Remote line one, with `code` and ünïcode ✓.")
        {
            assert_eq!(got["slotId"], "rc", "{got}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the remote conversation never reached the store: {got}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Claude Code's status file on the host is read here: after the turn it says idle.
    let status = wait_status(&client, "rc", LONG, |s| s["statusFile"] == "idle").await;
    assert_eq!(status["state"], "Idle", "{status}");

    // An agent tool from the Claude Code on the host: mission-mcp there reaches the
    // slot's socket on the host, the runner forwards it, the daemon serves it as `rc`
    // whatever the call says.
    let sent = ok(
        &client,
        "mission_pty_send",
        json!({"slotId": "rc", "message": "remember the remote fact", "timeoutMs": 90000}),
    )
    .await;
    assert_eq!(sent["answer"], "Remembered.", "{sent}");
    let fact = ok(&client, "mission_kb_get", json!({"key": "remote-fact"})).await;
    assert_eq!(
        fact["entry"]["content"], "Learnt on a host, told through its runner.",
        "{fact}"
    );
    assert_eq!(fact["entry"]["source"], "rc", "{fact}");
    assert!(
        host.home
            .join(".missiond/bin")
            .read_dir()
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("mission-mcp-")),
        "mission-mcp was not copied to the host"
    );

    // A permission dialog on the host, answered from here.
    let sent = ok(
        &client,
        "mission_pty_send",
        json!({"slotId": "rc", "message": "write the yes file", "timeoutMs": 90000}),
    )
    .await;
    assert_eq!(sent["state"], "Confirming", "{sent}");
    let confirmed = ok(
        &client,
        "mission_pty_confirm",
        json!({"slotId": "rc", "response": "yes"}),
    )
    .await;
    assert_eq!(confirmed["chosen"]["meaning"], "yes", "{confirmed}");
    wait_status(&client, "rc", LONG, |s| s["state"] == "Idle").await;
    let written = std::fs::read_to_string(proj.join("yes.txt")).unwrap_or_default();
    assert_eq!(written.trim(), "yes-content");
    let history = ok(&client, "mission_pty_history", json!({"slotId": "rc"})).await;
    let turns = history["turns"].as_array().expect("turns");
    assert_eq!(turns.len(), 3, "{history}");
    assert_eq!(turns[2]["answer"], "Wrote yes.txt.", "{history}");
    assert_eq!(turns[2]["toolsUsed"][0]["tool"], "Bash", "{history}");

    // The connection cut mid-turn: the same Claude Code finishes the same turn.
    let claudes = |h: &Host| {
        let mut p = h.user_pids(|c| c.starts_with("claude"));
        p.sort();
        p
    };
    let before = claudes(&host);
    assert!(
        !before.is_empty(),
        "no Claude Code process of the host user"
    );
    let send = {
        let client = daemon.client().await;
        tokio::spawn(async move {
            client
                .call(
                    "mission_pty_send",
                    json!({"slotId": "rc", "message": "tell the slow story", "timeoutMs": 110000}),
                )
                .await
        })
    };
    // Mid-turn the host's status file says busy (streamed, not read from the screen).
    wait_status(&client, "rc", LONG, |s| s["statusFile"] == "busy").await;
    wait_screen(&client, "rc", "Once upon", LONG).await;
    assert!(host.kill_connections() > 0, "no ssh connection to cut");
    let sent: Value = send.await.unwrap().expect("the send across the cut");
    assert_eq!(
        sent["answer"],
        "Once upon a time a story crossed a cut link, piece by piece, and every piece arrived exactly once at the end.",
        "{sent}"
    );
    assert_eq!(claudes(&host), before, "Claude Code was restarted");
    // The status file streams again after the reconnect, and the transcript resumes
    // where the copy was: the turn across the cut is stored, once.
    wait_status(&client, "rc", LONG, |s| s["statusFile"] == "idle").await;
    let story = "Once upon a time a story crossed a cut link";
    let deadline = Instant::now() + LONG;
    loop {
        let got = client
            .call(
                "mission_conversation_get",
                json!({"sessionId": session, "limit": 1000}),
            )
            .await
            .unwrap_or(Value::Null);
        let told = got["messages"]
            .as_array()
            .map(|m| {
                m.iter()
                    .filter(|m| {
                        m["role"] == "assistant"
                            && m["text"].as_str().is_some_and(|t| t.contains(story))
                    })
                    .count()
            })
            .unwrap_or(0);
        if told > 0 {
            assert_eq!(
                told, 1,
                "the answer across the cut stored {told} times: {got}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the turn across the cut never reached the store: {got}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The prompt reached the model once: typed once, not again after the reconnect.
    let asked = server
        .requests()
        .iter()
        .filter(|r| r.last_user_text.contains("tell the slow story"))
        .count();
    assert_eq!(asked, 1, "the turn ran {asked} times");
    assert!(
        logged(&daemon, "link lost").await,
        "the daemon never saw the link drop"
    );
}

/// Whether the daemon's log shows `needle` within a few seconds (its log is written
/// asynchronously).
async fn logged(daemon: &Daemon, needle: &str) -> bool {
    for _ in 0..100 {
        if daemon.stderr_text().contains(needle) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
