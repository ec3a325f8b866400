//! The issue's list, end to end over MCP: an rmcp client talks to the real `mission-mcp`
//! on stdio, which starts the real `missiond`, whose slots run the REAL Claude Code
//! against a scripted mock-anthropic. Two slots spawn and answer at once with the exact
//! scripted text; a Bash permission dialog is answered yes, then another no, through
//! mission_pty_confirm; a long answer is interrupted; a slot is killed; the daemon is
//! stopped and mission-mcp starts a new one, which still holds both slots' turns.
//!
//! Every check reads `structuredContent`. Skipped (a line on stderr) when Claude Code is
//! not installed, unless MISSIOND_E2E_REQUIRED=1.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use missiond_core::catalogue::{self, Tool as _};
use mock_anthropic::offline::{ClaudeHome, claude_env, claude_for_test};
use mock_anthropic::{Scenario, Server};
use serde_json::{Value, json};
use support::{Client, Home, call, call_ok, process_exists, text_of, wait_until};

/// Slot one's answer: markdown, a code span and non-ASCII, to show it comes back verbatim.
const ALPHA: &str =
    "Slot one answers: alpha, with `code`, **bold** and ünïcode ✓.\n\n- a list item\n- another: 42";
/// Slot two's answer.
const BETA: &str = "Slot two answers: beta.";
/// The long answer that gets interrupted: about 50 chunks, 400 ms apart.
const STORY: &str = "Once upon a time there was a very slow story that took a long while \
    to tell, one small piece at a time, with many pauses and detours through valleys and \
    over hills, until at last someone pressed escape and it stopped.";

/// Generous bounds: the machine is shared, and Claude Code is heavy to start.
const TURN: Duration = Duration::from_secs(120);
const PROCESS_END: Duration = Duration::from_secs(20);

fn scenario() -> String {
    format!(
        r#"
rules:
  - name: first slot
    match: {{ contains: "who is first" }}
    steps:
      - first_token_delay_ms: 800
        text: {alpha}
  - name: second slot
    match: {{ contains: "who is second" }}
    steps:
      - first_token_delay_ms: 400
        text: {beta}
  - name: write allowed
    match: {{ contains: "write the yes file" }}
    steps:
      - text: "I'll write it."
        tool_use:
          name: Bash
          input: {{ command: "echo yes-content > yes.txt", description: "Write yes.txt" }}
      - text: "Wrote yes.txt."
  - name: write refused
    match: {{ contains: "write the no file" }}
    steps:
      - text: "I'll write it."
        tool_use:
          name: Bash
          input: {{ command: "echo no-content > no.txt", description: "Write no.txt" }}
      - text: "Wrote no.txt."
  - name: slow
    match: {{ contains: "slow story" }}
    steps:
      - first_token_delay_ms: 1000
        chunk_chars: 4
        chunk_delay_ms: 400
        text: {story}
"#,
        alpha = json!(ALPHA),
        beta = json!(BETA),
        story = json!(STORY),
    )
}

/// The mock model, a `MISSIOND_HOME` with two Claude Code slots `c1`/`c2` in a trusted
/// project folder, and an MCP session with `mission-mcp` for that home.
struct World {
    // Dropped first: the MCP session, then the home (which stops the daemon).
    client: Client,
    home: Home,
    server: Server,
    proj: PathBuf,
}

async fn world(test: &str) -> Option<World> {
    let claude = claude_for_test(test)?;
    let home = Home::new(None);
    let proj = home.tmp.path().join("proj");
    std::fs::create_dir_all(&proj).expect("creating the project folder");
    let server = Server::start(Scenario::from_yaml(&scenario()).expect("scenario")).expect("mock");
    let claude_home =
        ClaudeHome::create(home.tmp.path().join("claude-home"), &[&proj]).expect("claude home");
    std::fs::write(
        home.home.join("slots.yaml"),
        slots_yaml(&claude, &proj, claude_home.path(), server.base_url()),
    )
    .expect("writing slots.yaml");
    let client = home.connect().await;
    Some(World {
        client,
        home,
        server,
        proj,
    })
}

/// Two Claude Code slots in manual permission mode (so Bash redirects ask).
fn slots_yaml(claude: &Path, cwd: &Path, claude_home: &Path, base_url: &str) -> String {
    let env: String = claude_env(claude_home, base_url)
        .into_iter()
        .map(|(k, v)| format!("      {k}: {}\n", json!(v)))
        .collect();
    let mut yaml = String::from("slots:\n");
    for id in ["c1", "c2"] {
        yaml.push_str(&format!(
            "  - id: {id}\n    role: coder\n    cwd: {}\n    command: {}\n    permission_mode: manual\n    env:\n{env}",
            json!(cwd.display().to_string()),
            json!(claude.display().to_string()),
        ));
    }
    yaml
}

impl World {
    /// The end of the daemon's log and mission-mcp's stderr, for failure messages.
    fn logs(&self) -> String {
        let tail = |path: PathBuf| {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let start = text.len().saturating_sub(4000);
            let start = (start..text.len())
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(text.len());
            format!("--- {}:\n{}", path.display(), &text[start..])
        };
        format!(
            "{}\n{}",
            tail(self.home.home.join("logs/missiond.log")),
            tail(self.home.tmp.path().join("mission-mcp.stderr"))
        )
    }

    /// `mission_pty_status` of `slot`.
    async fn status(&self, slot: &str) -> Value {
        call_ok(
            &self.client,
            catalogue::PtyStatus::NAME,
            json!({"slotId": slot}),
        )
        .await
    }

    /// Polls `mission_pty_status` until `done` holds; panics with the last status after
    /// `limit`.
    async fn wait_status(&self, slot: &str, limit: Duration, done: impl Fn(&Value) -> bool) {
        let deadline = Instant::now() + limit;
        let mut last = Value::Null;
        while Instant::now() < deadline {
            last = self.status(slot).await;
            if done(&last) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!(
            "status of {slot} never matched within {limit:?}; last: {last}\n{}",
            self.logs()
        );
    }

    /// `mission_pty_history` of `slot`: its turns, oldest first.
    async fn turns(&self, slot: &str) -> Vec<Value> {
        let history = call_ok(
            &self.client,
            catalogue::PtyHistory::NAME,
            json!({"slotId": slot}),
        )
        .await;
        assert_eq!(history["slotId"], slot, "{history}");
        history["turns"].as_array().cloned().unwrap_or_default()
    }

    /// Polls the history until the turn sent as `prompt` has ended; returns it.
    async fn ended_turn(&self, slot: &str, prompt: &str) -> Value {
        let deadline = Instant::now() + TURN;
        let mut last = Vec::new();
        while Instant::now() < deadline {
            last = self.turns(slot).await;
            if let Some(turn) = last
                .iter()
                .find(|t| t["prompt"] == prompt && t["endedAt"].is_string())
            {
                return turn.clone();
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!(
            "the turn {prompt:?} of {slot} never ended; history: {last:?}\n{}",
            self.logs()
        );
    }

    /// How many requests reached the model carrying a tool result that is not an error:
    /// one per tool call Claude Code actually ran and reported back.
    fn tool_runs_reported(&self) -> usize {
        self.server
            .requests()
            .iter()
            .filter(|r| r.tool_results.iter().any(|t| !t.is_error))
            .count()
    }

    /// Whether a prompt containing `needle` reached the model.
    fn model_saw(&self, needle: &str) -> bool {
        self.server
            .requests()
            .iter()
            .any(|r| r.last_user_text.contains(needle))
    }
}

fn is_working(status: &Value) -> bool {
    ["Thinking", "Responding", "ToolRunning"].contains(&status["state"].as_str().unwrap_or(""))
}

fn pid_of(value: &Value) -> i32 {
    let pid = value["pid"]
        .as_i64()
        .unwrap_or_else(|| panic!("no pid in {value}"));
    i32::try_from(pid).unwrap_or_else(|_| panic!("pid {pid} out of range"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issue_list_over_mcp_with_real_claude_code_slots() {
    let Some(w) = world("the_issue_list_over_mcp_with_real_claude_code_slots").await else {
        return;
    };
    let pids = two_slots_answer_at_once(&w).await;
    permission_dialog_answered_yes_then_no(&w).await;
    a_long_answer_is_interrupted(&w).await;
    a_killed_slot_stops(&w, pids[1]).await;
    records_survive_a_daemon_restart(&w, pids[0]).await;
}

/// Spawns c1 and c2 together, prompts both together; returns their Claude Code pids.
async fn two_slots_answer_at_once(w: &World) -> [i32; 2] {
    let spawn = |slot: &'static str| {
        call_ok(
            &w.client,
            catalogue::PtySpawn::NAME,
            json!({"slotId": slot}),
        )
    };
    let (a, b) = tokio::join!(spawn("c1"), spawn("c2"));
    for (slot, spawned) in [("c1", &a), ("c2", &b)] {
        assert_eq!(spawned["slotId"], slot, "{spawned}");
        assert_eq!(spawned["state"], "Idle", "{spawned}\n{}", w.logs());
        assert_eq!(spawned["alreadyRunning"], false, "{spawned}");
        assert!(spawned["sessionId"].is_string(), "{spawned}");
    }
    let pids = [pid_of(&a), pid_of(&b)];
    assert_ne!(pids[0], pids[1]);
    assert!(pids.iter().all(|p| process_exists(*p)), "{pids:?}");

    let send = |slot: &'static str, message: &'static str| {
        call_ok(
            &w.client,
            catalogue::PtySend::NAME,
            json!({"slotId": slot, "message": message, "timeoutMs": TURN.as_millis() as u64}),
        )
    };
    let (one, two) = tokio::join!(send("c1", "who is first?"), send("c2", "who is second?"));
    assert_eq!(one["answer"], ALPHA, "{one}\n{}", w.logs());
    assert_eq!(one["state"], "Idle", "{one}");
    assert_eq!(two["answer"], BETA, "{two}\n{}", w.logs());
    assert_eq!(two["state"], "Idle", "{two}");
    assert!(w.model_saw("who is first?") && w.model_saw("who is second?"));

    pids
}

/// On c1: a Bash command that writes a file asks first; "yes" runs it, "no" does not.
async fn permission_dialog_answered_yes_then_no(w: &World) {
    for (answer, file, prompt) in [
        ("yes", "yes.txt", "write the yes file"),
        ("no", "no.txt", "write the no file"),
    ] {
        let runs_before = w.tool_runs_reported();
        let sent = call_ok(
            &w.client,
            catalogue::PtySend::NAME,
            json!({"slotId": "c1", "message": prompt, "timeoutMs": TURN.as_millis() as u64}),
        )
        .await;
        assert_eq!(sent["state"], "Confirming", "{sent}\n{}", w.logs());
        let dialog = &sent["dialog"];
        assert_eq!(dialog["kind"], "bash", "{sent}");
        let command = dialog["command"].as_str().unwrap_or_default();
        assert!(command.contains(file), "{sent}");
        let meanings: Vec<&str> = dialog["options"]
            .as_array()
            .map(|o| o.iter().filter_map(|o| o["meaning"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            meanings.contains(&"yes") && meanings.contains(&"no"),
            "the dialog must offer both a yes and a no: {sent}"
        );
        let status = w.status("c1").await;
        assert_eq!(status["state"], "Confirming", "{status}");
        assert_eq!(status["dialog"]["kind"], "bash", "{status}");

        let confirmed = call_ok(
            &w.client,
            catalogue::PtyConfirm::NAME,
            json!({"slotId": "c1", "response": answer}),
        )
        .await;
        assert_eq!(confirmed["slotId"], "c1", "{confirmed}");
        assert_eq!(confirmed["chosen"]["meaning"], answer, "{confirmed}");

        let turn = w.ended_turn("c1", prompt).await;
        w.wait_status("c1", TURN, |s| s["state"] == "Idle").await;
        let path = w.proj.join(file);
        if answer == "yes" {
            let written = std::fs::read_to_string(&path).unwrap_or_default();
            assert_eq!(written.trim(), "yes-content", "{turn}\n{}", w.logs());
            assert_eq!(turn["answer"], "Wrote yes.txt.", "{turn}");
            assert_eq!(turn["toolsUsed"][0]["tool"], "Bash", "{turn}");
            assert!(
                w.tool_runs_reported() > runs_before,
                "no tool result reached the model"
            );
        } else {
            assert!(!path.exists(), "the refused command ran: {turn}");
            assert_eq!(
                w.tool_runs_reported(),
                runs_before,
                "a successful tool result reached the model after a no"
            );
        }
    }
    // Nothing is asking any more.
    let result = call(
        &w.client,
        catalogue::PtyConfirm::NAME,
        json!({"slotId": "c1", "response": "yes"}),
    )
    .await
    .expect("mission_pty_confirm");
    assert_eq!(result.is_error, Some(true), "{}", text_of(&result));
    assert!(text_of(&result).contains("-32004"), "{}", text_of(&result));
}

/// On c2: a long streamed answer is cut short; the waiting send returns, the slot idles.
async fn a_long_answer_is_interrupted(w: &World) {
    let peer = w.client.peer().clone();
    let slow = tokio::spawn(async move {
        let args = json!({"slotId": "c2", "message": "tell me a slow story", "timeoutMs": 300_000});
        let params = rmcp::model::CallToolRequestParams::new(catalogue::PtySend::NAME)
            .with_arguments(args.as_object().cloned().unwrap_or_default());
        peer.call_tool(params).await
    });
    w.wait_status("c2", TURN, is_working).await;
    assert!(w.model_saw("tell me a slow story"));

    let interrupted = call_ok(
        &w.client,
        catalogue::PtyInterrupt::NAME,
        json!({"slotId": "c2"}),
    )
    .await;
    assert_eq!(interrupted["slotId"], "c2", "{interrupted}");

    let result = tokio::time::timeout(TURN, slow)
        .await
        .expect("the interrupted send must return")
        .expect("the send task")
        .expect("a tool result, not a protocol error");
    assert_ne!(result.is_error, Some(true), "{}", text_of(&result));
    let sent = result.structured_content.expect("structuredContent");
    assert_ne!(
        sent["answer"], STORY,
        "the story was told to the end: {sent}"
    );
    assert!(!is_working(&sent), "{sent}");

    w.wait_status("c2", TURN, |s| s["state"] == "Idle").await;
    // Still idle a moment later: the stream did not pick up again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let status = w.status("c2").await;
    assert!(!is_working(&status), "{status}");
}

/// Kills c2: its Claude Code ends and the slot reads Stopped; c1 is untouched.
async fn a_killed_slot_stops(w: &World, pid: i32) {
    let killed = call_ok(&w.client, catalogue::PtyKill::NAME, json!({"slotId": "c2"})).await;
    assert_eq!(killed["wasRunning"], true, "{killed}");
    assert!(
        wait_until(PROCESS_END, || !process_exists(pid)),
        "Claude Code {pid} survived the kill"
    );
    let status = w.status("c2").await;
    assert_eq!(status["state"], "Stopped", "{status}");
    assert!(status["pid"].is_null(), "{status}");
    let other = w.status("c1").await;
    assert_eq!(other["state"], "Idle", "{other}");
}

/// Stops the daemon by pid; the next calls start a new one through mission-mcp, and both
/// slots' turns are still recorded.
async fn records_survive_a_daemon_restart(w: &World, c1_pid: i32) {
    let old = w.home.daemon_pid().expect("a running daemon");
    w.home.stop_daemon();
    assert!(
        wait_until(PROCESS_END, || !process_exists(old)),
        "daemon {old} still runs"
    );
    assert!(
        wait_until(PROCESS_END, || !process_exists(c1_pid)),
        "the daemon's stop left Claude Code {c1_pid} running"
    );

    let health = call_ok(&w.client, catalogue::Health::NAME, json!({})).await;
    let new = pid_of(&health);
    assert_ne!(new, old, "{health}");
    assert_eq!(w.home.daemon_pid(), Some(new));

    let c1 = w.turns("c1").await;
    let prompts: Vec<&str> = c1.iter().filter_map(|t| t["prompt"].as_str()).collect();
    assert_eq!(
        prompts,
        ["who is first?", "write the yes file", "write the no file"],
        "{c1:?}"
    );
    assert_eq!(c1[0]["answer"], ALPHA, "{c1:?}");
    assert_eq!(c1[1]["answer"], "Wrote yes.txt.", "{c1:?}");

    let c2 = w.turns("c2").await;
    let prompts: Vec<&str> = c2.iter().filter_map(|t| t["prompt"].as_str()).collect();
    assert_eq!(
        prompts,
        ["who is second?", "tell me a slow story"],
        "{c2:?}"
    );
    assert_eq!(c2[0]["answer"], BETA, "{c2:?}");
    assert!(c2.iter().all(|t| t["sessionId"].is_string()), "{c2:?}");

    for slot in ["c1", "c2"] {
        let status = w.status(slot).await;
        assert_eq!(status["state"], "Stopped", "{status}");
        assert_eq!(status["role"], "coder", "{status}");
    }
}
