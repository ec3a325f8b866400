//! Tool permissions enforced on the REAL Claude Code (against mock-anthropic) through the
//! `PreToolUse` hook: a deny rule the agent hears about, a confirm rule answered with
//! mission_pty_confirm, an allow rule that skips Claude Code's dialog in manual mode, and
//! a rule changed at run time. Skipped (with a line on stderr) when Claude Code is not
//! installed, unless MISSIOND_E2E_REQUIRED=1.

mod daemon_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use daemon_support::{Daemon, ok, wait_status};
use missiond_core::ipc::IpcClient;
use missiond_core::store::Store;
use mock_anthropic::offline::{ClaudeHome, claude_env, claude_for_test};
use mock_anthropic::{Scenario, Server};
use serde_json::{Value, json};

/// A Bash call per prompt, then a closing sentence.
fn bash_rule(trigger: &str, command: &str) -> String {
    format!(
        "  - name: {trigger}\n    match: {{ contains: {trigger:?} }}\n    steps:\n      - text: \"On it.\"\n        tool_use:\n          name: Bash\n          input: {{ command: {command:?}, description: \"Run it\" }}\n      - text: \"Finished {trigger}.\"\n"
    )
}

fn scenario() -> String {
    let mut yaml = String::from("rules:\n");
    for (trigger, command) in [
        ("delete the victim", "rm -f victim.txt"),
        ("touch yes", "touch confirmed-yes.txt"),
        ("touch no", "touch confirmed-no.txt"),
        ("touch for a task", "touch confirmed-task.txt"),
        ("write first", "echo first-content > first.txt"),
        ("write second", "echo second-content > second.txt"),
    ] {
        yaml.push_str(&bash_rule(trigger, command));
    }
    yaml
}

const POLICY: &str = r#"roles:
  coder:
    allow: ["Bash(echo *)", "Write(*.txt)"]
    confirm: ["Bash(touch *)"]
    deny: ["Bash(rm *)"]
"#;

struct World {
    tmp: tempfile::TempDir,
    server: Server,
    daemon: Daemon,
    proj: PathBuf,
}

/// A mock server, a Claude home trusting `proj` (with a user hook of its own that
/// touches `user-hook-ran`), `POLICY` in permissions.yaml, and one manual-mode slot `c1`.
fn world(test: &str) -> Option<World> {
    let claude = claude_for_test(test)?;
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    let server = Server::start(Scenario::from_yaml(&scenario()).expect("scenario")).expect("mock");
    let home = ClaudeHome::create(tmp.path().join("claude-home"), &[&proj]).expect("claude home");
    let marker = tmp.path().join("user-hook-ran");
    let user_settings = json!({"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [
        {"type": "command", "command": format!("touch '{}'", marker.display())}
    ]}]}});
    std::fs::create_dir_all(home.claude_dir()).unwrap();
    std::fs::write(
        home.claude_dir().join("settings.json"),
        user_settings.to_string(),
    )
    .unwrap();
    let env: String = claude_env(home.path(), server.base_url())
        .into_iter()
        .map(|(k, v)| format!("      {k}: {}\n", json!(v)))
        .collect();
    let yaml = format!(
        "slots:\n  - id: c1\n    role: coder\n    cwd: {}\n    command: {}\n    permission_mode: manual\n    env:\n{env}",
        json!(proj.display().to_string()),
        json!(claude.display().to_string()),
    );
    let daemon_home = tmp.path().join("missiond-home");
    std::fs::create_dir_all(&daemon_home).unwrap();
    std::fs::write(daemon_home.join("permissions.yaml"), POLICY).unwrap();
    let daemon = Daemon::start(&daemon_home, Some(&yaml));
    Some(World {
        tmp,
        server,
        daemon,
        proj,
    })
}

const TURN: Duration = Duration::from_secs(60);

async fn spawn_idle(client: &IpcClient) {
    let spawned = ok(client, "mission_pty_spawn", json!({"slotId": "c1"})).await;
    assert_eq!(
        spawned["state"], "Idle",
        "c1 did not become idle: {spawned}"
    );
}

async fn send(client: &IpcClient, message: &str) -> Value {
    ok(
        client,
        "mission_pty_send",
        json!({"slotId": "c1", "message": message, "timeoutMs": 60000}),
    )
    .await
}

/// The tool results the model received after the prompt containing `trigger`.
fn tool_results_after(server: &Server, trigger: &str) -> Vec<(String, bool)> {
    let requests = server.requests();
    let start = requests
        .iter()
        .position(|r| r.last_user_text.contains(trigger))
        .unwrap_or_else(|| panic!("the model never saw {trigger:?}"));
    requests[start..]
        .iter()
        .flat_map(|r| r.tool_results.iter())
        .map(|t| (t.content.clone(), t.is_error))
        .collect()
}

/// The decisions stored for c1, oldest first, as (outcome, first rule's list).
fn decisions(daemon_home: &Path) -> Vec<(String, String)> {
    let store = Store::open(&daemon_home.join("mission.db")).expect("store");
    store
        .recent_decisions(Some("c1"), 100)
        .expect("decisions")
        .into_iter()
        .map(|d| {
            let list = d.rules[0]["list"].as_str().unwrap_or_default().to_string();
            (d.outcome, list)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deny_rule_blocks_the_command_and_the_agent_hears_why() {
    let Some(w) = world("a_deny_rule_blocks_the_command_and_the_agent_hears_why") else {
        return;
    };
    std::fs::write(w.proj.join("victim.txt"), "precious").unwrap();
    let client = w.daemon.client().await;
    spawn_idle(&client).await;

    let sent = send(&client, "please delete the victim").await;
    assert_eq!(
        sent["state"], "Idle",
        "no dialog may open for a denied call: {sent}"
    );
    assert_eq!(sent["answer"], "Finished delete the victim.", "{sent}");
    assert_eq!(
        std::fs::read_to_string(w.proj.join("victim.txt")).unwrap(),
        "precious"
    );
    let results = tool_results_after(&w.server, "delete the victim");
    let (content, is_error) = results.first().expect("a tool result");
    assert!(*is_error, "{results:?}");
    assert!(
        content.contains("denied by missiond") && content.contains("Bash(rm *)"),
        "the model did not get the deny reason: {content}"
    );
    assert_eq!(
        decisions(&w.daemon.home),
        [("deny".to_string(), "deny".to_string())]
    );
    // The user's own PreToolUse hook ran beside missiond's.
    assert!(
        w.tmp.path().join("user-hook-ran").exists(),
        "the user's hook in ~/.claude/settings.json did not run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirm_rule_waits_for_mission_pty_confirm() {
    let Some(w) = world("a_confirm_rule_waits_for_mission_pty_confirm") else {
        return;
    };
    let client = w.daemon.client().await;
    spawn_idle(&client).await;

    // A task held up by the confirm rule: one inbox message says it all (the hook's rule
    // and reason, the task, the dialog on screen).
    let task = ok(
        &client,
        "mission_submit",
        json!({"prompt": "please touch for a task", "slotId": "c1"}),
    )
    .await;
    let task_id = task["taskId"].as_str().expect("taskId").to_string();
    let deadline = std::time::Instant::now() + TURN;
    let asks = loop {
        let inbox = ok(
            &client,
            "mission_inbox",
            json!({"markRead": false, "unreadOnly": false, "limit": 500}),
        )
        .await;
        let asks: Vec<Value> = inbox["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter(|m| m["kind"] == "permission_ask")
            .cloned()
            .collect();
        if asks.iter().any(|m| m["taskId"] == task_id.as_str()) {
            break asks;
        }
        assert!(std::time::Instant::now() < deadline, "{inbox}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(asks.len(), 1, "{asks:#?}");
    let asked = &asks[0];
    assert_eq!(asked["taskId"], task_id.as_str(), "{asked}");
    assert_eq!(asked["data"]["tool"], "Bash", "{asked}");
    assert!(
        asked["data"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("Bash(touch *)")),
        "{asked}"
    );
    assert!(
        asked["data"]["dialog"]["command"]
            .as_str()
            .is_some_and(|c| c.contains("confirmed-task.txt")),
        "{asked}"
    );
    ok(
        &client,
        "mission_pty_confirm",
        json!({"slotId": "c1", "response": "yes"}),
    )
    .await;
    let deadline = std::time::Instant::now() + TURN;
    loop {
        let t = ok(&client, "mission_task", json!({"taskIds": [task_id]})).await;
        if t["tasks"][0]["status"] == "done" {
            assert_eq!(t["tasks"][0]["result"], "Finished touch for a task.", "{t}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{t}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(w.proj.join("confirmed-task.txt").exists());

    for (trigger, file, answer) in [
        ("touch yes", "confirmed-yes.txt", "yes"),
        ("touch no", "confirmed-no.txt", "no"),
    ] {
        let sent = send(&client, &format!("please {trigger}")).await;
        assert_eq!(sent["state"], "Confirming", "{sent}");
        assert!(
            sent["dialog"]["command"]
                .as_str()
                .unwrap_or_default()
                .contains(file),
            "{sent}"
        );
        let confirmed = ok(
            &client,
            "mission_pty_confirm",
            json!({"slotId": "c1", "response": answer}),
        )
        .await;
        assert_eq!(confirmed["chosen"]["meaning"], answer, "{confirmed}");
        wait_status(&client, "c1", TURN, |s| s["state"] == "Idle").await;
        assert_eq!(w.proj.join(file).exists(), answer == "yes", "{file}");
    }
    let ask = ("ask".to_string(), "confirm".to_string());
    assert_eq!(decisions(&w.daemon.home), [ask.clone(), ask.clone(), ask]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allow_rule_skips_the_dialog_until_a_runtime_change_denies_it() {
    let Some(w) = world("an_allow_rule_skips_the_dialog_until_a_runtime_change_denies_it") else {
        return;
    };
    let client = w.daemon.client().await;
    spawn_idle(&client).await;

    // Manual mode asks before a redirect to a file; the allow rule answers first.
    let sent = send(&client, "please write first").await;
    assert_eq!(
        sent["state"], "Idle",
        "a dialog opened despite the allow rule: {sent}"
    );
    let written = std::fs::read_to_string(w.proj.join("first.txt")).unwrap_or_default();
    assert_eq!(written.trim(), "first-content");

    ok(
        &client,
        "mission_permission_set_role",
        json!({"role": "coder", "allow": [], "deny": ["Bash(rm *)", "Bash(echo *)"]}),
    )
    .await;
    let on_disk = std::fs::read_to_string(w.daemon.home.join("permissions.yaml")).unwrap();
    assert!(on_disk.contains("\"Bash(echo *)\""), "{on_disk}");

    let sent = send(&client, "please write second").await;
    assert_eq!(sent["state"], "Idle", "{sent}");
    assert!(
        !w.proj.join("second.txt").exists(),
        "the denied command ran"
    );
    let results = tool_results_after(&w.server, "write second");
    assert!(
        results
            .first()
            .is_some_and(|(c, _)| c.contains("Bash(echo *)")),
        "{results:?}"
    );
    assert_eq!(
        decisions(&w.daemon.home),
        [
            ("allow".to_string(), "allow".to_string()),
            ("deny".to_string(), "deny".to_string())
        ]
    );
}
