//! Remote slot figures for BENCHMARKS.md: what running a slot on another host adds per
//! turn, and what it costs on the link. Prints them; asserts nothing.
//!
//! `cargo bench -p missiond-daemon --bench remote` (root: the host is a network namespace
//! running sshd, as in the `daemon_remote` tests; the link is a veth pair, so the figures
//! are missiond's and OpenSSH's own cost, without a network's latency).
//!
//! - Turn latency: the same real Claude Code (mock-anthropic, a one-line answer) in a
//!   local slot and in a remote slot, `mission_pty_send` round trips, median of N.
//! - Echo latency: a bash slot, a typed line until its output is on the daemon's screen.
//! - Link bytes: the veth's byte counters while the slot is idle (keep-alives), during
//!   the turns (the terminal, the hooks, and the transcript and status file the runner
//!   streams), and while the program writes 1 MB (framing + ssh overhead).
//! - First start: ssh, the platform check, copying the runner (and mission-mcp when it
//!   is beside `missiond`: build it first for the full figure), the start.

#[path = "../tests/daemon_support/mod.rs"]
mod daemon_support;
#[path = "../tests/remote_support/mod.rs"]
mod remote_support;

use std::time::{Duration, Instant};

use daemon_support::{Daemon, ok, type_line, wait_screen};
use mock_anthropic::offline::{ClaudeHome, claude_env, claude_for_test};
use mock_anthropic::{Scenario, Server, ServerConfig};
use remote_support::Host;
use serde_json::json;

const TURNS: usize = 20;
const SCENARIO: &str = r#"
rules:
  - name: ping
    match: { contains: "ping" }
    steps:
      - text: "pong"
"#;

fn link_bytes(veth: &str) -> u64 {
    ["rx_bytes", "tx_bytes"]
        .iter()
        .map(|f| {
            std::fs::read_to_string(format!("/sys/class/net/{veth}/statistics/{f}"))
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    if !remote_support::can_run("bench remote") {
        return;
    }
    let Some(claude) = claude_for_test("bench remote") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let host = Host::create(true);
    let tmp = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::new(Scenario::from_yaml(SCENARIO).unwrap());
    config.host = std::net::IpAddr::V4(host.local_addr);
    let server = Server::start_with(config).unwrap();
    let rproj = host.user_dir("proj");
    let rhome = ClaudeHome::create(host.home.join("claude-home"), &[&rproj]).unwrap();
    host.give(rhome.path());
    let lproj = tmp.path().join("proj");
    std::fs::create_dir_all(&lproj).unwrap();
    let lhome = ClaudeHome::create(tmp.path().join("claude-home"), &[&lproj]).unwrap();
    let env = |home: &std::path::Path| -> String {
        let mut env = claude_env(home, server.base_url());
        env.retain(|(k, _)| !k.eq_ignore_ascii_case("no_proxy"));
        env.push(("NO_PROXY".into(), format!("{},127.0.0.1", host.local_addr)));
        env.into_iter()
            .map(|(k, v)| format!("      {k}: {}\n", json!(v)))
            .collect()
    };
    let slot = |id: &str, host_line: &str, cwd: &std::path::Path, home: &std::path::Path| {
        format!(
            "  - id: {id}\n{host_line}    cwd: {}\n    command: {}\n    permission_mode: manual\n    isolation: none\n    env:\n{}",
            json!(cwd.display().to_string()),
            json!(claude.display().to_string()),
            env(home)
        )
    };
    let remote_host = format!("    host: {}\n", host.alias);
    let yaml = format!(
        "slots:\n{}{}  - id: rsh\n{remote_host}    cwd: ~/proj\n    isolation: none\n    command: bash\n    args: [\"--norc\", \"--noprofile\"]\n    env:\n      PS1: \"rsh$ \"\n  - id: lsh\n    cwd: /tmp\n    isolation: none\n    command: bash\n    args: [\"--norc\", \"--noprofile\"]\n    env:\n      PS1: \"rsh$ \"\n",
        slot("local", "", &lproj, lhome.path()),
        slot("remote", &remote_host, &rproj, rhome.path()),
    );
    let config_path = host.ssh_config.to_string_lossy().into_owned();
    let daemon = Daemon::start_with_env(
        &tmp.path().join("missiond-home"),
        Some(&yaml),
        &[("MISSIOND_SSH_CONFIG", config_path.as_str())],
    );
    let veth = host.veth_name().to_string();
    rt.block_on(async {
        let client = daemon.client().await;
        let started = Instant::now();
        ok(&client, "mission_pty_spawn", json!({"slotId": "rsh"})).await;
        wait_screen(&client, "rsh", "rsh$", Duration::from_secs(120)).await;
        let mb = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0) / 1_000_000;
        let exe = std::path::Path::new(env!("CARGO_BIN_EXE_missiond"));
        println!(
            "first remote start (runner copied, {} MB; mission-mcp beside it, {} MB): {:.2} s",
            mb(exe),
            mb(&exe.with_file_name("mission-mcp")),
            started.elapsed().as_secs_f64()
        );

        // Idle link cost.
        let b0 = link_bytes(&veth);
        tokio::time::sleep(Duration::from_secs(30)).await;
        let idle = (link_bytes(&veth) - b0) as f64 / 30.0;
        println!("idle remote slot: {idle:.0} bytes/s on the link");

        ok(&client, "mission_pty_spawn", json!({"slotId": "lsh"})).await;
        wait_screen(&client, "lsh", "rsh$", Duration::from_secs(60)).await;
        // Echo round trips and bulk output, the same in a local and the remote bash slot.
        for slot in ["lsh", "rsh"] {
            let mut echo = Vec::new();
            for i in 0..TURNS {
                let t = Instant::now();
                type_line(&client, slot, &format!("echo mark-{i}-$((0+{i}))x")).await;
                wait_screen(&client, slot, &format!("mark-{i}-{i}x"), Duration::from_secs(30)).await;
                echo.push(t.elapsed().as_secs_f64() * 1000.0);
                type_line(&client, slot, "clear").await;
            }
            println!("{slot}: bash echo (typed line until on the daemon's screen, incl. the send's own 300 ms wait): median {:.1} ms", median(echo));
            let b0 = link_bytes(&veth);
            let t = Instant::now();
            type_line(&client, slot, "head -c 750000 /dev/zero | base64 -w 100; echo bulk-done").await;
            wait_screen(&client, slot, "bulk-done", Duration::from_secs(300)).await;
            let secs = t.elapsed().as_secs_f64();
            let bytes = link_bytes(&veth) - b0;
            println!(
                "{slot}: 1 MB of terminal output: {:.2} s; {:.2} MB on the link ({:.2}x the output)",
                secs,
                bytes as f64 / 1e6,
                bytes as f64 / 1_000_000.0,
            );
        }

        // Claude Code turns, local and remote.
        for slot in ["local", "remote"] {
            let s = ok(&client, "mission_pty_spawn", json!({"slotId": slot})).await;
            assert_eq!(s["state"], "Idle", "{s}");
        }
        for slot in ["local", "remote"] {
            let b0 = link_bytes(&veth);
            let t0 = Instant::now();
            let mut times = Vec::new();
            for i in 0..TURNS {
                let t = Instant::now();
                let sent = ok(
                    &client,
                    "mission_pty_send",
                    json!({"slotId": slot, "message": format!("ping {i}"), "timeoutMs": 60000}),
                )
                .await;
                assert_eq!(sent["answer"], "pong", "{sent}");
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            let link = (link_bytes(&veth) - b0) as f64 / t0.elapsed().as_secs_f64();
            let mut sorted = times.clone();
            sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
            println!(
                "{slot} Claude Code turn (send to exact answer): median {:.0} ms, min {:.0} ms, max {:.0} ms; link {:.0} bytes/s during turns",
                median(times),
                sorted[0],
                sorted[sorted.len() - 1],
                link
            );
        }
    });
}
