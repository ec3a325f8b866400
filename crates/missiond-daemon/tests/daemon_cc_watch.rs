//! The sessions watcher end to end, with the REAL Claude Code started OUTSIDE the daemon
//! (in a terminal of the test's own, against mock-anthropic), in a config folder the
//! daemon only knows from the `watch:` list of `history.yaml`. The session must appear in
//! `mission_cc_sessions`, busy then idle, then exited once its process ends; its
//! messages must be found by `mission_conversation_search` as an external conversation,
//! and its tokens counted by `mission_token_stats` and `mission_cc_overview`; `/tasks` must
//! stream its `cc_session_active` (busy, then idle) and `cc_session_inactive`. Skipped
//! (with a line on stderr) when Claude Code is not installed, unless
//! MISSIOND_E2E_REQUIRED=1.

mod daemon_support;

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use daemon_support::{Daemon, ok};
use futures::StreamExt;
use missiond_core::ipc::IpcClient;
use mock_anthropic::offline::{ClaudeHome, claude_env, claude_for_test};
use mock_anthropic::{Scenario, Server};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

const MARKER: &str = "outside-marker-6143";

// The answer waits 5 s before its first token: long enough to see the session busy.
const SCENARIO: &str = r#"
rules:
  - name: outside
    match: { contains: "hello from outside the daemon" }
    steps:
      - text: "Answer with outside-marker-6143 in it."
        first_token_delay_ms: 5000
        usage: { input_tokens: 321, output_tokens: 17, cache_read_input_tokens: 5, cache_creation_input_tokens: 3 }
"#;

const WAIT: Duration = Duration::from_secs(90);

/// Polls `mission_cc_sessions` until the session in `cwd` satisfies `done`.
async fn wait_session(
    client: &IpcClient,
    cwd: &Path,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + WAIT;
    let cwd = cwd.display().to_string();
    let mut last = Value::Null;
    while Instant::now() < deadline {
        let got = ok(client, "mission_cc_sessions", json!({})).await;
        if let Some(s) = got["sessions"]
            .as_array()
            .and_then(|all| all.iter().find(|s| s["cwd"] == cwd.as_str()))
            && done(s)
        {
            return s.clone();
        }
        last = got;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the outside session never became {what}; last: {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_started_outside_the_daemon_is_seen_live_recorded_and_counted() {
    let test = "a_session_started_outside_the_daemon_is_seen_live_recorded_and_counted";
    let Some(claude) = claude_for_test(test) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp
        .path()
        .join("outside-proj")
        .canonicalize()
        .unwrap_or_else(|_| {
            std::fs::create_dir_all(tmp.path().join("outside-proj")).unwrap();
            tmp.path().join("outside-proj").canonicalize().unwrap()
        });
    let server = Server::start(Scenario::from_yaml(SCENARIO).expect("scenario")).expect("mock");
    // The session's own config folder, which only history.yaml names.
    let config = tmp.path().join("outside-config");
    ClaudeHome::create(&config, &[&proj]).expect("claude home");
    let home = tmp.path().join("missiond-home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("history.yaml"),
        format!("watch:\n  - {}\n", json!(config.display().to_string())),
    )
    .unwrap();
    let mut daemon = Daemon::start(&home, None);
    let client = daemon.client().await;
    // Everything /tasks streams, collected from now on.
    let access = missiond_core::ipc::web_access(&client)
        .await
        .expect("daemon.web_access");
    let (ws, _) = connect_async(format!("{}/tasks?token={}", access.ws_url, access.token))
        .await
        .expect("connect /tasks");
    let (frames_tx, mut frames) = tokio::sync::mpsc::unbounded_channel::<Value>();
    let events = tokio::spawn(async move {
        let mut ws = ws;
        while let Some(Ok(frame)) = ws.next().await {
            if let Message::Text(t) = frame {
                let _ = frames_tx.send(serde_json::from_str(t.as_str()).expect("JSON"));
            }
        }
    });

    // Claude Code in a terminal of our own: the daemon did not start it.
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pty");
    let mut cmd = CommandBuilder::new(&claude);
    cmd.args([
        "--permission-mode",
        "manual",
        "hello from outside the daemon",
    ]);
    cmd.cwd(&proj);
    cmd.env_remove("CLAUDE_CONFIG_DIR");
    for (k, v) in claude_env(&config, server.base_url()) {
        cmd.env(k, v);
    }
    cmd.env("CLAUDE_CONFIG_DIR", &config);
    let mut child = pair.slave.spawn_command(cmd).expect("starting claude");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("pty reader");
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while matches!(reader.read(&mut buf), Ok(n) if n > 0) {}
    });

    // Seen running, busy while the model has not answered, then idle.
    let busy = wait_session(&client, &proj, "busy", |s| {
        s["active"] == true && s["status"] == "busy"
    })
    .await;
    let session = busy["sessionId"].as_str().expect("session id").to_string();
    assert_eq!(busy["slotId"], Value::Null, "{busy}");
    assert_eq!(
        busy["configDir"],
        config.canonicalize().unwrap().display().to_string()
    );
    assert_eq!(
        busy["pid"].as_u64(),
        child.process_id().map(u64::from),
        "{busy}"
    );
    let idle = wait_session(&client, &proj, "idle with its tokens", |s| {
        s["status"] == "idle" && s["tokens"]["outputTokens"] == 17
    })
    .await;
    assert_eq!(idle["sessionId"], session.as_str());
    assert_eq!(idle["active"], true);
    assert_eq!(idle["tokens"]["inputTokens"], 321, "{idle}");
    assert_eq!(
        idle["project"],
        missiond_core::history::sources::project_slug(&proj.display().to_string())
    );

    // Its messages: an external conversation, searchable.
    let hits = ok(
        &client,
        "mission_conversation_search",
        json!({"query": MARKER, "source": "external"}),
    )
    .await;
    let hit = hits["hits"]
        .as_array()
        .and_then(|h| h.iter().find(|h| h["sessionId"] == session.as_str()))
        .unwrap_or_else(|| panic!("no hit in the outside session: {hits}"));
    assert_eq!(hit["role"], "assistant");
    let slots_only = ok(
        &client,
        "mission_conversation_search",
        json!({"query": MARKER, "source": "slots"}),
    )
    .await;
    assert_eq!(slots_only["hits"], json!([]), "{slots_only}");
    let list = ok(
        &client,
        "mission_conversation_list",
        json!({"source": "external"}),
    )
    .await;
    let conv = list["conversations"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["sessionId"] == session.as_str()))
        .unwrap_or_else(|| panic!("not listed: {list}"));
    assert_eq!(conv["source"], "external");
    assert_eq!(conv["firstPrompt"], "hello from outside the daemon");

    // Its tokens: counted once, as external.
    let stats = ok(
        &client,
        "mission_token_stats",
        json!({"source": "external"}),
    )
    .await;
    assert_eq!(stats["total"]["responses"], 1, "{stats}");
    assert_eq!(stats["total"]["inputTokens"], 321);
    assert_eq!(stats["total"]["outputTokens"], 17);
    assert_eq!(stats["total"]["cacheReadTokens"], 5);
    assert_eq!(stats["total"]["cacheCreationTokens"], 3);
    assert_eq!(stats["bySlot"][0]["key"], "external");
    // The daemon keeps the usage index (what `missiond usage` reads) fresh by itself:
    // the response is in history.db without any `missiond usage` run.
    let index = missiond_core::history::HistoryIndex::open(&home.join("history.db")).unwrap();
    let (responses, output): (i64, i64) = index
        .conn()
        .query_row(
            "SELECT count(*), coalesce(sum(output), 0) FROM responses WHERE session = ?1",
            [&session],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((responses, output), (1, 17));
    drop(index);
    let overview = ok(&client, "mission_cc_overview", json!({})).await;
    assert_eq!(overview["externalTokens"]["outputTokens"], 17, "{overview}");
    assert!(overview["active"].as_u64().unwrap() >= 1, "{overview}");

    // Its process ends: inactive, still listed.
    child.kill().expect("killing claude");
    let _ = child.wait();
    let gone = wait_session(&client, &proj, "exited", |s| s["active"] == false).await;
    assert_eq!(gone["status"], "exited", "{gone}");
    assert_eq!(gone["sessionId"], session.as_str());

    // /tasks told it live: running busy, then idle after busy, then gone.
    let mut seen: Vec<(String, String)> = Vec::new();
    let deadline = Instant::now() + WAIT;
    while !seen.iter().any(|(t, _)| t == "cc_session_inactive") {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = tokio::time::timeout(left, frames.recv())
            .await
            .unwrap_or_else(|_| panic!("no cc_session_inactive on /tasks; saw {seen:?}"))
            .expect("the socket stays open");
        if frame["sessionId"] == session.as_str() {
            let status = frame["status"].as_str().unwrap_or_default().to_string();
            seen.push((
                frame["type"].as_str().unwrap_or_default().to_string(),
                status,
            ));
        }
    }
    let busy_at = seen
        .iter()
        .position(|(t, s)| t == "cc_session_active" && s == "busy")
        .unwrap_or_else(|| panic!("no busy event: {seen:?}"));
    // (2.1.331 writes the file first without a status, then idle, then busy, idle.)
    assert!(
        seen[busy_at..]
            .iter()
            .any(|(t, s)| t == "cc_session_active" && s == "idle"),
        "no idle after busy: {seen:?}"
    );
    assert_eq!(
        seen.last().map(|(t, _)| t.as_str()),
        Some("cc_session_inactive")
    );
    events.abort();
    daemon.stop();
}
