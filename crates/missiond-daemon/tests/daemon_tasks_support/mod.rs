//! Shared by the task tests and the task benchmark: a mock model whose answers name the
//! marker of the prompt they answer, and a daemon with Claude Code slots of given roles.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use missiond_core::ipc::IpcClient;
use mock_anthropic::offline::{ClaudeHome, claude_env, claude_for_test};
use mock_anthropic::{Scenario, Server};
use serde_json::{Value, json};

use crate::daemon_support::{Daemon, ok};

/// The prompt of task `n`.
pub fn prompt(n: usize) -> String {
    format!("Please handle job marker-{n:03} now.")
}

/// The answer the mock gives to [`prompt`]`(n)`: names the marker, spans two lines.
pub fn answer(n: usize) -> String {
    format!("Done with marker-{n:03}.\n\nResult: {} ✓", n * 7)
}

/// The prompt of a slow task `n` (its answer streams for several seconds).
pub fn slow_prompt(n: usize) -> String {
    format!("Please handle slow job slowmark-{n:03} now.")
}

/// The answer to [`slow_prompt`]`(n)`.
pub fn slow_answer(n: usize) -> String {
    format!("Slow job slowmark-{n:03} finished after a long think.")
}

/// A prompt whose answer first runs a Bash command that asks for permission.
pub const DIALOG_PROMPT: &str = "Please write the task file now.";
/// The answer to [`DIALOG_PROMPT`] once the command was allowed.
pub const DIALOG_ANSWER: &str = "Wrote task.txt for the task.";
/// A prompt the model answers with an API error, once (Claude Code sends the unanswered
/// prompt again with the next one).
pub const ERROR_PROMPT: &str = "Please trigger the overload now.";
/// The error message the model gives for [`ERROR_PROMPT`].
pub const ERROR_MESSAGE: &str = "Overloaded for the task test";

/// A scenario answering `count` markers and `count` slow markers, the dialog prompt and
/// the error prompt.
pub fn scenario(count: usize) -> String {
    let mut yaml = String::from("rules:\n");
    yaml.push_str(&format!(
        "  - match: {{ contains: {} }}\n    steps:\n      - text: \"I'll write it.\"\n        tool_use:\n          name: Bash\n          input: {{ command: \"echo task > task.txt\", description: \"Write task.txt\" }}\n      - text: {}\n",
        json!(DIALOG_PROMPT),
        json!(DIALOG_ANSWER)
    ));
    yaml.push_str(&format!(
        "  - match: {{ contains: {} }}\n    once: true\n    steps:\n      - error: {{ status: 529, type: overloaded_error, message: {} }}\n",
        json!(ERROR_PROMPT),
        json!(ERROR_MESSAGE)
    ));
    for n in 0..count {
        yaml.push_str(&format!(
            "  - match: {{ contains: \"marker-{n:03} \" }}\n    steps:\n      - text: {}\n",
            json!(answer(n))
        ));
    }
    // After the quick ones: when Claude Code sends an interrupted prompt again together
    // with the next one, the next one's rule answers.
    for n in 0..count {
        yaml.push_str(&format!(
            "  - match: {{ contains: \"slowmark-{n:03} \" }}\n    steps:\n      - first_token_delay_ms: 5000\n        chunk_chars: 4\n        chunk_delay_ms: 150\n        text: {}\n",
            json!(slow_answer(n))
        ));
    }
    yaml
}

/// A mock model, a Claude home trusting the project, and a daemon whose slots are
/// `(id, role)`.
pub struct World {
    pub tmp: tempfile::TempDir,
    /// The slots' working folder.
    pub proj: PathBuf,
    pub server: Server,
    pub daemon: Daemon,
    pub home: PathBuf,
    pub yaml: String,
}

impl World {
    /// `None` (test skipped) when Claude Code is not installed and not required.
    pub fn start(test: &str, slots: &[(&str, &str)], markers: usize) -> Option<World> {
        let claude = claude_for_test(test)?;
        let tmp = tempfile::tempdir().expect("tempdir");
        let proj = tmp.path().join("proj");
        std::fs::create_dir_all(&proj).expect("project folder");
        let scenario = Scenario::from_yaml(&scenario(markers)).expect("scenario");
        let server = Server::start(scenario).expect("mock server");
        let claude_home =
            ClaudeHome::create(tmp.path().join("claude-home"), &[&proj]).expect("claude home");
        let yaml = slots_yaml(&claude, &proj, claude_home.path(), server.base_url(), slots);
        let home = tmp.path().join("missiond-home");
        let daemon = Daemon::start(&home, Some(&yaml));
        Some(World {
            tmp,
            proj,
            server,
            daemon,
            home,
            yaml,
        })
    }

    /// Start a new daemon on the same home (after the old one was stopped or killed).
    pub fn restart_daemon(&mut self) {
        self.daemon = Daemon::start(&self.home, Some(&self.yaml));
    }
}

fn slots_yaml(
    claude: &Path,
    proj: &Path,
    claude_home: &Path,
    base_url: &str,
    slots: &[(&str, &str)],
) -> String {
    let env: String = claude_env(claude_home, base_url)
        .into_iter()
        .map(|(k, v)| format!("      {k}: {}\n", json!(v)))
        .collect();
    let mut yaml = String::from("slots:\n");
    for (id, role) in slots {
        yaml.push_str(&format!(
            "  - id: {id}\n    role: {role}\n    cwd: {}\n    command: {}\n    permission_mode: manual\n    env:\n{env}",
            json!(proj.display().to_string()),
            json!(claude.display().to_string()),
        ));
    }
    yaml
}

/// Poll `mission_task` until every task is final; returns them in the order asked.
pub async fn wait_final(client: &IpcClient, ids: &[String], limit: Duration) -> Vec<Value> {
    let deadline = Instant::now() + limit;
    loop {
        let got = ok(client, "mission_task", json!({"taskIds": ids})).await;
        let tasks = got["tasks"].as_array().expect("tasks").clone();
        let open = tasks
            .iter()
            .filter(|t| matches!(t["status"].as_str(), Some("queued" | "running")))
            .count();
        if open == 0 {
            return tasks;
        }
        assert!(
            Instant::now() < deadline,
            "{open} task(s) still open; tasks: {}",
            Value::Array(tasks)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Poll `mission_status` until `pred` holds.
pub async fn wait_status(
    client: &IpcClient,
    limit: Duration,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let status = ok(client, "mission_status", json!({})).await;
        if pred(&status) {
            return status;
        }
        assert!(Instant::now() < deadline, "status never matched: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every run of every slot, as `(slot, run)`.
pub async fn all_runs(client: &IpcClient, slots: &[&str]) -> Vec<(String, Value)> {
    let mut runs = Vec::new();
    for slot in slots {
        let h = ok(
            client,
            "mission_slot_history",
            json!({"slotId": slot, "limit": 1000}),
        )
        .await;
        for run in h["runs"].as_array().expect("runs") {
            runs.push((slot.to_string(), run.clone()));
        }
    }
    runs
}

/// Panics when two runs of one slot overlap in time (a slot ran two tasks at once).
pub fn assert_one_at_a_time(runs: &[(String, Value)]) {
    let mut by_slot: std::collections::BTreeMap<&str, Vec<(&str, &str)>> = Default::default();
    for (slot, run) in runs {
        let start = run["startedAt"].as_str().expect("startedAt");
        let end = run["endedAt"].as_str().expect("a run still open");
        by_slot.entry(slot).or_default().push((start, end));
    }
    for (slot, mut spans) in by_slot {
        spans.sort();
        for pair in spans.windows(2) {
            assert!(
                pair[0].1 <= pair[1].0,
                "slot {slot} ran two tasks at once: {:?} and {:?}",
                pair[0],
                pair[1]
            );
        }
    }
}
