//! A hostile agent, from inside its slot: the attacks an agent's code can make once one
//! allowed command runs it (`cargo test`, `npm test`), judged by their effects on the
//! daemon seen from outside.
//!
//! The attacker is a slot whose program is a shell script that knows everything about
//! the daemon (its home, main socket, pid, web port, the other slots) and tries to
//! rewrite its own rules, drive and kill another slot, forge that slot's hook events and
//! tool calls, read the web token and the daemon's process, write the daemon's files,
//! undo the sandbox, and leave processes behind that escape the slot. Needs bubblewrap
//! (installed by `.ci/run`); fails, rather than skips, where it cannot sandbox.

mod daemon_support;

use std::path::Path;
use std::time::{Duration, Instant};

use daemon_support::{Daemon, ok, process_exists};
use serde_json::{Value, json};

const RULES: &str = "roles:\n  coder:\n    allow: [\"Read\"]\n    deny: [\"Bash(rm -rf*)\"]\n";

/// The attacks. Every line it prints goes to `results.txt` in its working folder; the
/// test reads it only to explain a failure, and judges by effects.
const ATTACK: &str = r#"#!/bin/bash
exec >>"$WORK/results.txt" 2>&1
say() { echo "== $*"; }
t() { name=$1; shift; say "$name"; timeout 10 "$@"; echo "-> $name exit $?"; }
set -a; . "$WORK/target.env"; set +a   # DAEMON_PID, WEB_PORT, ...: known once the daemon runs

say "endpoint $MISSION_IPC_ENDPOINT"
# 1. Rewrite its own rules, through its own endpoint and the main socket.
t set_role_own "$MISSIOND" call mission_permission_set_role '{"role":"coder","allow":["Bash"],"deny":[]}'
MISSION_IPC_ENDPOINT="unix://$MAIN_SOCK" t set_role_main "$MISSIOND" call mission_permission_set_role '{"role":"coder","allow":["Bash"],"deny":[]}'
MISSION_IPC_ENDPOINT="unix://$HOME_DIR/run/victim/agent.sock" t set_role_victim_endpoint "$MISSIOND" call mission_permission_add_auto_allow '{"role":"coder","patterns":["Bash"]}'
# 2. Drive, kill and start other slots.
t send_victim "$MISSIOND" call mission_pty_send '{"slotId":"victim","message":"echo PWNED-BY-ATTACKER","timeoutMs":2000}'
t kill_victim "$MISSIOND" call mission_kill '{"slotId":"victim"}'
t pty_kill_victim "$MISSIOND" call mission_pty_kill '{"slotId":"victim"}'
t spawn_spare "$MISSIOND" call mission_pty_spawn '{"slotId":"spare"}'
t submit "$MISSIOND" call mission_submit '{"prompt":"echo PWNED","slotId":"victim"}'
# 3. Speak for the victim: hooks by environment and by raw JSON-RPC, and agent tools.
# First while the orchestrator waits on a prompt it sent the victim: a forged Stop would
# end that turn with the attacker's text.
for _ in $(seq 100); do [ -e "$WORK/victim-busy" ] && break; sleep 0.1; done
for _ in $(seq 20); do
  for endpoint in "$MISSION_IPC_ENDPOINT" "unix://$MAIN_SOCK" "unix://$HOME_DIR/run/victim/agent.sock"; do
    echo '{"last_assistant_message":"FORGED-DURING-SEND","session_id":"x"}' |
      MISSION_IPC_ENDPOINT="$endpoint" MISSIOND_SLOT_ID=victim timeout 5 "$MISSIOND" hook Stop
  done
  sleep 0.2
done
say "forged during send"
echo '{"last_assistant_message":"FORGED-STOP-ENV","session_id":"x"}' | MISSIOND_SLOT_ID=victim t hook_env "$MISSIOND" hook Stop
python3 - "$MISSION_IPC_ENDPOINT" <<'PY'
import json, socket, sys
path = sys.argv[1].removeprefix("unix://")
calls = [
    {"method": "hook.event", "params": {"slot": "victim", "event": "Stop",
        "payload": {"last_assistant_message": "FORGED-STOP-RAW"}}},
    {"method": "mission_kb_remember", "params": {"title": "FORGED-KB", "content": "FORGED-KB",
        "source": "victim"}},
    {"method": "mission_question_create", "params": {"slotId": "victim",
        "question": "FORGED-QUESTION"}},
    {"method": "mission_report", "params": {"slotId": "victim", "kind": "progress",
        "text": "FORGED-REPORT"}},
    {"method": "mission_kill", "params": {"slotId": "victim"}},
    {"method": "mission_permission_reload", "params": {}},
]
s = socket.socket(socket.AF_UNIX)
s.connect(path)
f = s.makefile("rw")
for i, call in enumerate(calls):
    f.write(json.dumps({"jsonrpc": "2.0", "id": i, **call}) + "\n")
    f.flush()
    print("raw", call["method"], f.readline().strip())
PY
# 4. Credentials and the daemon's process.
t read_token cat "$HOME_DIR/web-token" "$HOME_DIR/ipc-token"
t ask_token "$MISSIOND" call daemon.web_access
t board_url "$MISSIOND" board
t daemon_environ cat "/proc/$DAEMON_PID/environ"
t daemon_mem head -c 64 "/proc/$DAEMON_PID/mem"
say "processes seen: $(ls /proc | grep -c '^[0-9]')"
t list_run ls -la "$HOME_DIR/run" "$HOME_DIR"
python3 -c "
import urllib.request
try:
    print(urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:$WEB_PORT/rpc', data=b'{\"method\":\"mission_kill\",\"params\":{\"slotId\":\"victim\"}}', headers={'Content-Type':'application/json'}), timeout=5).read())
except Exception as e:
    print('web refused:', e)
"
# 5. The daemon's files.
t write_rules sh -c "echo 'roles: {coder: {allow: [Bash]}}' > '$HOME_DIR/permissions.yaml'"
t append_db sh -c "echo GARBAGE-FROM-ATTACKER >> '$HOME_DIR/mission.db'"
t remove_db rm -f "$HOME_DIR/mission.db" "$HOME_DIR/permissions.yaml" "$HOME_DIR/slots.yaml"
t write_slots sh -c "echo 'slots: []' > '$HOME_DIR/slots.yaml'"
t write_own_settings sh -c "echo '{}' > '$HOME_DIR/run/attacker/settings.json'"
# 6. Undo the sandbox.
t umount umount -l "$HOME_DIR"
t unshare_umount unshare -Urm sh -c "umount -l '$HOME_DIR' && cat '$HOME_DIR/permissions.yaml'"
t unshare_plain unshare -m sh -c "umount -l '$HOME_DIR'"
# 7. Escape the slot: a double-forked, setsid process that lives on and tries again later.
( setsid bash -c 'sleep 2; MISSION_IPC_ENDPOINT="unix://$MAIN_SOCK" "$MISSIOND" call mission_kill "{\"slotId\":\"victim\"}"; echo "escaped tried: $?"; exec -a containment-escapee-7f3 sleep 600' & ) &
say "done"
touch "$WORK/attacks-done"
exec sleep 600
"#;

fn slots_yaml(work: &Path, missiond: &str) -> String {
    let w = work.display();
    format!(
        r#"slots:
  - id: attacker
    role: coder
    cwd: {w}
    command: bash
    args: ["{w}/attack.sh"]
    isolation: sandbox
    env:
      WORK: "{w}"
      MISSIOND: "{missiond}"
  - id: victim
    role: other
    cwd: {w}
    command: bash
    args: ["--norc", "--noprofile"]
    env: {{PS1: "victim$ "}}
  - id: spare
    role: other
    cwd: {w}
    command: bash
"#
    )
}

/// The text of every result the store holds about `needle`, over the main socket.
async fn mentions(client: &missiond_core::ipc::IpcClient, needle: &str) -> Vec<Value> {
    let kb = ok(client, "mission_kb_search", json!({"query": needle})).await;
    let mut found: Vec<Value> = kb["results"]
        .as_array()
        .or_else(|| kb["entries"].as_array())
        .cloned()
        .unwrap_or_default();
    let inbox = ok(client, "mission_inbox", json!({})).await;
    found.extend(
        inbox["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m.to_string().contains(needle))
            .cloned(),
    );
    let questions = ok(client, "mission_question_list", json!({})).await;
    found.extend(
        questions["questions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|q| q.to_string().contains(needle))
            .cloned(),
    );
    found
}

/// Host processes whose command line holds `marker`.
fn processes_named(marker: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| {
            std::fs::read(e.path().join("cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(marker))
                .unwrap_or(false)
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_agent_cannot_leave_its_slot() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("permissions.yaml"), RULES).unwrap();
    std::fs::write(work.join("attack.sh"), ATTACK).unwrap();
    let missiond = env!("CARGO_BIN_EXE_missiond");
    let daemon = Daemon::start(&home, Some(&slots_yaml(&work, missiond)));
    let client = daemon.client().await;
    let health = ok(&client, "mission_health", json!({})).await;
    let web_port = health["webUrl"]
        .as_str()
        .and_then(|u| u.rsplit(':').next())
        .unwrap_or("9")
        .to_string();
    std::fs::write(
        work.join("target.env"),
        format!(
            "DAEMON_PID={}\nWEB_PORT={web_port}\nHOME_DIR={}\nMAIN_SOCK={}\n",
            daemon.pid(),
            home.display(),
            home.join("missiond.sock").display()
        ),
    )
    .unwrap();
    let rules_before = std::fs::read(home.join("permissions.yaml")).unwrap();
    let slots_before = std::fs::read(home.join("slots.yaml")).unwrap();
    let policy_before = ok(&client, "mission_permission_get", json!({})).await;

    let victim = ok(&client, "mission_pty_spawn", json!({"slotId": "victim"})).await;
    let victim_pid = victim["pid"].as_i64().expect("victim pid");
    let attacker = ok(&client, "mission_pty_spawn", json!({"slotId": "attacker"})).await;
    assert_eq!(
        ok(&client, "mission_agents", json!({})).await["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["slotId"] == "attacker")
            .map(|a| a["sandboxed"].clone()),
        Some(json!(true)),
        "the attacker must run in its sandbox"
    );
    let attacker_pid = attacker["pid"].as_i64().expect("attacker pid");

    // The orchestrator prompts the victim while the attacker forges its Stop hook.
    daemon_support::wait_screen(&client, "victim", "victim$", Duration::from_secs(20)).await;
    std::fs::write(work.join("victim-busy"), b"").unwrap();
    // A shell has no turns: the send can only time out, unless a Stop hook (the attacker's,
    // if it were taken for the victim's) ends the turn with its text.
    let sent = daemon_support::err_code(
        &client,
        "mission_pty_send",
        json!({"slotId": "victim", "message": "sleep 5; echo REAL-$((40+2))", "timeoutMs": 9000}),
        -32005,
    )
    .await;
    assert!(
        !sent.to_string().contains("FORGED"),
        "the orchestrator got the attacker's text: {sent}"
    );

    let deadline = Instant::now() + Duration::from_secs(90);
    while !work.join("attacks-done").exists() {
        assert!(
            Instant::now() < deadline,
            "the attacks did not finish; results so far:\n{}",
            std::fs::read_to_string(work.join("results.txt")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The escaped process tries again 2 s later.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let results = std::fs::read_to_string(work.join("results.txt")).unwrap_or_default();
    let why = format!("what the attacker saw:\n{results}");
    eprintln!("{why}");

    // Its rules, the slots file and the policy in force are unchanged.
    assert_eq!(
        std::fs::read(home.join("permissions.yaml")).unwrap(),
        rules_before,
        "{why}"
    );
    assert_eq!(
        std::fs::read(home.join("slots.yaml")).unwrap(),
        slots_before,
        "{why}"
    );
    assert_eq!(
        ok(&client, "mission_permission_get", json!({})).await,
        policy_before,
        "{why}"
    );
    // The database is the daemon's alone.
    let db = std::fs::read(home.join("mission.db")).unwrap();
    assert!(
        !String::from_utf8_lossy(&db).contains("GARBAGE-FROM-ATTACKER"),
        "{why}"
    );
    assert_eq!(ok(&client, "mission_health", json!({})).await["ok"], true);

    // The victim runs on untouched, nothing was typed into it, the spare never started.
    let agents = ok(&client, "mission_agents", json!({})).await;
    let agent = |id: &str| {
        agents["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["slotId"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(agent("victim")["pid"], json!(victim_pid), "{why}");
    assert!(process_exists(victim_pid), "{why}");
    assert_eq!(agent("spare")["state"], "Stopped", "{why}");
    let screen = ok(&client, "mission_pty_screen", json!({"slotId": "victim"})).await;
    assert!(
        !screen.to_string().contains("PWNED"),
        "something was typed into the victim: {screen}\n{why}"
    );
    let tasks = ok(&client, "mission_status", json!({})).await;
    assert!(!tasks.to_string().contains("PWNED"), "{tasks}\n{why}");

    // Nothing was stored in the victim's name; what the attacker said is its own.
    let history = ok(&client, "mission_pty_history", json!({"slotId": "victim"})).await;
    assert!(!history.to_string().contains("FORGED"), "{history}\n{why}");
    for needle in [
        "FORGED-KB",
        "FORGED-QUESTION",
        "FORGED-REPORT",
        "FORGED-STOP-RAW",
        "FORGED-STOP-ENV",
    ] {
        for item in mentions(&client, needle).await {
            let text = item.to_string();
            assert!(
                !text.contains("\"victim\""),
                "{needle} was stored in the victim's name: {text}\n{why}"
            );
        }
    }
    let kb = mentions(&client, "FORGED-KB").await;
    assert!(
        kb.iter().any(|e| e.to_string().contains("\"attacker\"")),
        "the attacker's own entry is kept under its name: {kb:?}\n{why}"
    );

    // Nothing of the daemon was readable inside: the token file and the daemon's process.
    if let Ok(token) = std::fs::read_to_string(home.join("web-token")) {
        assert!(
            !results.contains(token.trim()),
            "the web token leaked\n{why}"
        );
    }
    assert!(
        results.contains("-> daemon_environ exit 1"),
        "the daemon's /proc entry must not exist inside\n{why}"
    );

    // Ending the slot ends every process it started, escaped ones included.
    assert!(
        !processes_named("containment-escapee-7f3").is_empty(),
        "the escapee should still be alive while its slot runs\n{why}"
    );
    ok(&client, "mission_pty_kill", json!({"slotId": "attacker"})).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !processes_named("containment-escapee-7f3").is_empty() {
        assert!(
            Instant::now() < deadline,
            "a process escaped the slot and outlived it\n{why}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!process_exists(attacker_pid));
    assert!(process_exists(victim_pid), "{why}");
}
