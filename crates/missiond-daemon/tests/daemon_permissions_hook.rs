//! `missiond hook PreToolUse` as Claude Code runs it: with no daemon, with a daemon that
//! never answers, and against a real daemon whose policy the mission_permission_* tools
//! change at run time. No Claude Code needed (see daemon_permissions.rs for that).

mod daemon_support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use daemon_support::{Daemon, err_code, ok};
use missiond_core::inbox::{InboxKind, InboxQuery};
use missiond_core::store::Store;
use serde_json::{Value, json};

const CONFIG_ERROR: i32 = -32006;
const INVALID_PARAMS: i32 = -32602;
const UNKNOWN_SLOT: i32 = -32001;

const POLICY: &str = r#"roles:
  coder:
    allow: ["Bash(echo *)", "Read"]
    deny: ["Bash(rm *)"]
"#;

/// Runs the hook command for a Bash `command` as slot `slot` with `role`; returns
/// (stdout parsed as JSON, or Null when empty; stderr).
fn run_hook(
    slot: Option<&str>,
    role: &str,
    endpoint: &Path,
    permissions: &Path,
    command: &str,
) -> (Value, String) {
    let input = json!({"command": command});
    run_hook_tool(slot, role, endpoint, permissions, "Bash", &input)
}

/// Runs the hook command for any tool call.
fn run_hook_tool(
    slot: Option<&str>,
    role: &str,
    endpoint: &Path,
    permissions: &Path,
    tool: &str,
    input: &Value,
) -> (Value, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_missiond"));
    cmd.args(["hook", "PreToolUse"])
        .env("MISSIOND_SLOT_ROLE", role)
        .env("MISSION_IPC_ENDPOINT", endpoint)
        .env("MISSION_PERMISSIONS_CONFIG", permissions)
        .env_remove("MISSIOND_SLOT_ID")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(slot) = slot {
        cmd.env("MISSIOND_SLOT_ID", slot);
    }
    let mut child = cmd.spawn().expect("running missiond hook");
    let event = json!({
        "session_id": "s", "cwd": "/tmp", "hook_event_name": "PreToolUse",
        "tool_name": tool, "tool_input": input, "tool_use_id": "t1",
    });
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(event.to_string().as_bytes())
        .expect("writing the event");
    let out = child.wait_with_output().expect("hook output");
    assert!(out.status.success(), "the hook must never fail: {out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let value = if stdout.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    };
    (value, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn decision(v: &Value) -> (&str, &str) {
    let out = &v["hookSpecificOutput"];
    assert_eq!(out["hookEventName"], "PreToolUse", "{v}");
    (
        out["permissionDecision"].as_str().unwrap_or_default(),
        out["permissionDecisionReason"].as_str().unwrap_or_default(),
    )
}

#[test]
fn with_no_daemon_the_hook_denies_a_governed_slot_and_stays_out_of_the_others() {
    let tmp = tempfile::tempdir().unwrap();
    let socket = tmp.path().join("nobody-listens.sock");
    let perms = tmp.path().join("permissions.yaml");
    std::fs::write(&perms, POLICY).unwrap();

    // Even a call the policy would allow is refused: the daemon is the one to decide.
    let (out, stderr) = run_hook(Some("c1"), "coder", &socket, &perms, "echo hi");
    let (verdict, reason) = decision(&out);
    assert_eq!(verdict, "deny", "{out}");
    assert!(reason.contains("missiond could not be asked"), "{reason}");
    assert!(stderr.contains("could not be asked"), "{stderr}");

    // A slot whose role has no entry: Claude Code's own permission mode decides.
    let (out, _) = run_hook(Some("w1"), "writer", &socket, &perms, "rm -f x");
    assert_eq!(out, Value::Null);

    // Rules that cannot be read: deny, whatever the role.
    std::fs::write(&perms, "roles: [unclosed\n").unwrap();
    let (out, _) = run_hook(Some("w1"), "writer", &socket, &perms, "echo hi");
    let (verdict, reason) = decision(&out);
    assert_eq!(verdict, "deny", "{out}");
    assert!(reason.contains("cannot be read"), "{reason}");

    // Not started by missiond at all: nothing to enforce.
    let (out, _) = run_hook(None, "coder", &socket, &perms, "rm -f x");
    assert_eq!(out, Value::Null);
}

#[test]
fn a_daemon_that_never_answers_is_a_deny() {
    let tmp = tempfile::tempdir().unwrap();
    let socket = tmp.path().join("silent.sock");
    let perms = tmp.path().join("permissions.yaml");
    std::fs::write(&perms, POLICY).unwrap();
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    // Accept and hold the connection without ever replying.
    let holder = std::thread::spawn(move || listener.accept().map(|(stream, _)| stream));
    let (out, _) = run_hook(Some("c1"), "coder", &socket, &perms, "echo hi");
    let (verdict, reason) = decision(&out);
    assert_eq!(verdict, "deny", "{out}");
    assert!(reason.contains("no answer within"), "{reason}");
    drop(holder.join());
}

fn slots_yaml(cwd: &Path) -> String {
    format!(
        "slots:\n  - id: sh\n    role: coder\n    cwd: {cwd}\n    command: bash\n  - id: free\n    role: other\n    cwd: {cwd}\n    command: bash\n",
        cwd = json!(cwd.display().to_string())
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_decides_and_the_tools_change_the_policy_at_run_time() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let perms = home.join("permissions.yaml");
    std::fs::write(&perms, POLICY).unwrap();
    let daemon = Daemon::start(&home, Some(&slots_yaml(tmp.path())));
    let client = daemon.client().await;
    let socket = home.join("missiond.sock");
    let hook = |slot: &str, role: &str, command: &str| {
        run_hook(Some(slot), role, &socket, &perms, command).0
    };

    let denied = hook("sh", "coder", "rm -f victim.txt");
    let (verdict, reason) = decision(&denied);
    assert_eq!(verdict, "deny");
    assert!(reason.contains("Bash(rm *)"), "{reason}");
    assert_eq!(decision(&hook("sh", "coder", "echo hi")).0, "allow");
    assert_eq!(decision(&hook("sh", "coder", "ls -la")).0, "ask");
    let tool = |name: &str, input: Value| {
        run_hook_tool(Some("sh"), "coder", &socket, &perms, name, &input).0
    };
    let read = tool("Read", json!({"file_path": tmp.path().join("x.txt")}));
    assert_eq!(decision(&read).0, "allow");
    // missiond's own reporting tool needs no rule; anything else no rule names asks.
    let report = tool("mcp__mission__mission_report", json!({"kind": "done"}));
    assert_eq!(decision(&report).0, "allow");
    assert_eq!(decision(&tool("mcp__other__thing", json!({}))).0, "ask");
    // `free` (role `other`) has no rules: no opinion.
    assert_eq!(hook("free", "other", "rm -f victim.txt"), Value::Null);

    // A change through the tool applies to the next call and is saved.
    let set = ok(
        &client,
        "mission_permission_set_role",
        json!({"role": "coder", "deny": ["Bash(rm *)", "Bash(echo *)"]}),
    )
    .await;
    assert_eq!(
        set["rules"]["allow"],
        json!(["Bash(echo *)", "Read"]),
        "{set}"
    );
    assert_eq!(decision(&hook("sh", "coder", "echo hi")).0, "deny");
    let on_disk = std::fs::read_to_string(&perms).unwrap();
    assert!(on_disk.contains("\"Bash(echo *)\""), "{on_disk}");
    assert_eq!(on_disk.matches("Bash(echo *)").count(), 2, "{on_disk}");

    // A slot override, then a bad pattern and an unknown slot.
    ok(
        &client,
        "mission_permission_set_slot",
        json!({"slotId": "free", "deny": ["Bash(rm *)"]}),
    )
    .await;
    assert_eq!(
        decision(&hook("free", "other", "rm -f victim.txt")).0,
        "deny"
    );
    err_code(
        &client,
        "mission_permission_set_slot",
        json!({"slotId": "free", "allow": ["Read", "Bash("]}),
        INVALID_PARAMS,
    )
    .await;
    err_code(
        &client,
        "mission_permission_set_slot",
        json!({"slotId": "ghost", "allow": ["Read"]}),
        UNKNOWN_SLOT,
    )
    .await;

    // A hand edit is picked up by reload.
    std::fs::write(&perms, POLICY).unwrap();
    assert_eq!(
        decision(&hook("sh", "coder", "echo hi")).0,
        "deny",
        "not yet reloaded"
    );
    let reloaded = ok(&client, "mission_permission_reload", json!({})).await;
    assert!(
        reloaded["slots"].as_object().is_some_and(|s| s.is_empty()),
        "{reloaded}"
    );
    assert_eq!(decision(&hook("sh", "coder", "echo hi")).0, "allow");

    // A broken file is refused clearly and the policy in force stays.
    std::fs::write(&perms, "roles:\n  coder:\n    deny: [\"Bash(\"]\n").unwrap();
    let data = err_code(
        &client,
        "mission_permission_reload",
        json!({}),
        CONFIG_ERROR,
    )
    .await;
    assert_eq!(data["path"], perms.display().to_string());
    assert_eq!(decision(&hook("sh", "coder", "echo hi")).0, "allow");
    let got = ok(&client, "mission_permission_get", json!({})).await;
    assert_eq!(
        got["roles"]["coder"]["deny"],
        json!(["Bash(rm *)"]),
        "{got}"
    );

    // Auto-allow silences the "ask" for `ls`.
    let added = ok(
        &client,
        "mission_permission_add_auto_allow",
        json!({"pattern": "Bash(ls *)", "roles": ["coder"]}),
    )
    .await;
    assert_eq!(added["added"], true, "{added}");
    assert_eq!(decision(&hook("sh", "coder", "ls -la")).0, "allow");

    // Every decision was stored, with its rule; the "ask" went to the inbox.
    let store = Store::open(&home.join("mission.db")).expect("store");
    let rows = store.recent_decisions(Some("sh"), 100).expect("decisions");
    let first = rows.first().expect("a decision");
    assert_eq!(
        (first.tool.as_str(), first.outcome.as_str()),
        ("Bash", "deny")
    );
    assert_eq!(first.input["command"], "rm -f victim.txt");
    assert_eq!(first.rules[0]["pattern"], "Bash(rm *)", "{:?}", first.rules);
    let outcomes: Vec<&str> = rows.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        [
            "deny", "allow", "ask", "allow", "allow", "ask", "deny", "deny", "allow", "allow",
            "allow"
        ]
    );
    let free = store
        .recent_decisions(Some("free"), 100)
        .expect("decisions");
    assert_eq!(free[0].outcome, "defer");
    let asks: Vec<_> = store
        .inbox_messages(&InboxQuery::default())
        .expect("inbox")
        .into_iter()
        .filter(|m| m.kind == InboxKind::PermissionAsk)
        .collect();
    assert_eq!(asks.len(), 2, "{asks:?}");
    assert_eq!(asks[0].slot_id.as_deref(), Some("sh"));
    assert!(asks[0].text.contains("ls -la"), "{}", asks[0].text);
}
