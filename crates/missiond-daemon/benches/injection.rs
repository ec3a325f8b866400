//! What knowledge injection adds to each prompt (prints the figures; not a criterion
//! bench). A daemon with one slot `sh` (role coder) and N knowledge entries; a
//! `UserPromptSubmit` event with a 12-word prompt is sent:
//!
//! 1. as the hook's IPC call (`hook.event`) with injection on, then off (`memory.yaml`
//!    `injection.enabled: false`): the difference is what injection adds in the daemon;
//! 2. through the whole hook command (`missiond hook UserPromptSubmit`, the process Claude
//!    Code runs for every prompt), injection on and off.
//!
//! `cargo bench -p missiond-daemon --bench injection` (`BENCH_KB=N` entries, default
//! 5000; `BENCH_PROMPTS=M` prompts per figure, default 300).

#[path = "../tests/daemon_support/mod.rs"]
mod daemon_support;

use std::time::{Duration, Instant};

mod bench_support;

use bench_support::{percentiles, words};
use daemon_support::{Daemon, ok};
use serde_json::{Value, json};

fn event(i: usize) -> Value {
    json!({"slot": "sh", "event": "UserPromptSubmit", "payload": {
        "session_id": "bench-session",
        "prompt": format!("Please {} and tell me how it went", words(i * 31 + 5, 6)),
    }})
}

fn run_hook(daemon: &Daemon, payload: &Value) -> Duration {
    use std::io::Write;
    let began = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_missiond"))
        .args(["hook", "UserPromptSubmit"])
        .env("MISSIOND_SLOT_ID", "sh")
        .env("MISSIOND_SLOT_ROLE", "coder")
        .env("MISSION_IPC_ENDPOINT", daemon.endpoint.to_string())
        .env("MISSIOND_HOME", &daemon.home)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("missiond hook");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(payload.to_string().as_bytes())
        .expect("event");
    let out = child.wait_with_output().expect("hook ended");
    assert!(out.status.success());
    began.elapsed()
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_KB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let prompts: usize = std::env::var("BENCH_PROMPTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let yaml = format!(
        "slots:\n  - id: sh\n    role: coder\n    cwd: {}\n    command: bash\n",
        dir.path().display()
    );
    let daemon = Daemon::start(&home, Some(&yaml));
    let client = daemon.client().await;
    for batch in (0..n).collect::<Vec<_>>().chunks(1000) {
        let entries: Vec<Value> = batch
            .iter()
            .map(|&i| {
                let category = ["infra", "project", "howto"][i % 3];
                json!({
                    "key": format!("fact-{i}"),
                    "title": words(i, 4),
                    "content": format!("{} (fact number {i})", words(i + 7, 60)),
                    "category": category,
                })
            })
            .collect();
        ok(&client, "mission_kb_import", json!({"entries": entries})).await;
    }
    let injected = ok(&client, "hook.event", event(0)).await;
    let context = injected["additionalContext"].as_str().unwrap_or_default();
    assert!(!context.is_empty(), "nothing injected: {injected}");
    println!(
        "{n} entries; a prompt gets {} bytes of context",
        context.len()
    );

    let mut figures = Vec::new();
    for (label, enabled) in [("on", true), ("off", false)] {
        std::fs::write(
            home.join("memory.yaml"),
            format!("injection:\n  enabled: {enabled}\n"),
        )
        .expect("memory.yaml");
        let mut ipc = Vec::new();
        for i in 0..prompts {
            let began = Instant::now();
            let v = ok(&client, "hook.event", event(i)).await;
            ipc.push(began.elapsed());
            assert_eq!(v.get("additionalContext").is_some(), enabled, "{v}");
        }
        let mut hook = Vec::new();
        for i in 0..prompts.min(100) {
            hook.push(run_hook(&daemon, &event(i)["payload"]));
        }
        let (ipc50, ipc99) = percentiles(ipc);
        let (hook50, hook99) = percentiles(hook);
        println!(
            "injection {label}: hook.event IPC p50 {ipc50:.2} ms p99 {ipc99:.2} ms; \
             `missiond hook UserPromptSubmit` p50 {hook50:.2} ms p99 {hook99:.2} ms"
        );
        figures.push((ipc50, ipc99, hook50, hook99));
    }
    let (on, off) = (figures[0], figures[1]);
    println!(
        "added by injection: p50 {:.2} ms, p99 {:.2} ms (IPC); p50 {:.2} ms (whole hook)",
        on.0 - off.0,
        on.1 - off.1,
        on.2 - off.2
    );
}
