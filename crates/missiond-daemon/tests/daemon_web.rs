//! The WebSocket server, through real sockets: attach to a `bash` slot (repaint, live
//! output, typing, view-only mode, the end of the process), refusals (unknown slot,
//! another site's page), and task events while the REAL Claude Code runs a task against
//! mock-anthropic (skipped with a line on stderr when Claude Code is not installed,
//! unless MISSIOND_E2E_REQUIRED=1).

mod daemon_support;
mod daemon_tasks_support;

use std::time::Duration;

use daemon_support::{Daemon, ok};
use daemon_tasks_support::{World, answer, prompt};
use futures::{SinkExt, StreamExt};
use missiond_core::ipc::IpcClient;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const LIMIT: Duration = Duration::from_secs(30);

/// The daemon's WebSocket server and the token it asks for.
struct Web {
    base: String,
    token: String,
}

impl Web {
    async fn of(daemon: &Daemon, client: &IpcClient) -> Web {
        let health = ok(client, "mission_health", json!({})).await;
        let base = health["webUrl"]
            .as_str()
            .unwrap_or_else(|| panic!("no webUrl in {health}"))
            .to_string();
        let token = std::fs::read_to_string(daemon.home.join("web-token")).expect("web-token");
        Web { base, token }
    }

    /// `path` (with its query, if any) on the server, with the token.
    fn url(&self, path: &str) -> String {
        let join = if path.contains('?') { '&' } else { '?' };
        format!("{}{path}{join}token={}", self.base, self.token)
    }
}

/// The next frame, within [`LIMIT`].
async fn next(ws: &mut Ws) -> Message {
    tokio::time::timeout(LIMIT, ws.next())
        .await
        .expect("a frame in time")
        .expect("the socket stays open")
        .expect("a good frame")
}

async fn next_json(ws: &mut Ws) -> Value {
    loop {
        match next(ws).await {
            Message::Text(t) => return serde_json::from_str(t.as_str()).expect("JSON"),
            Message::Binary(_) | Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// Read frames until the terminal output (binary frames) contains `needle`; returns the
/// JSON frames seen meanwhile.
async fn output_until(ws: &mut Ws, needle: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut texts = Vec::new();
    while !String::from_utf8_lossy(&seen).contains(needle) {
        match next(ws).await {
            Message::Binary(b) => seen.extend_from_slice(&b),
            Message::Text(t) => texts.push(serde_json::from_str(t.as_str()).expect("JSON")),
            _ => {}
        }
    }
    texts
}

fn bash_world(tmp: &std::path::Path) -> Daemon {
    let yaml = format!(
        "slots:\n  - id: sh\n    cwd: {}\n    command: bash\n    args: [\"--norc\", \"--noprofile\"]\n    env: {{PS1: \"sh$ \"}}\n    cols: 80\n    rows: 24\n",
        json!(tmp.display().to_string())
    );
    Daemon::start(&tmp.join("home"), Some(&yaml))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_repaints_streams_and_types_into_a_slot() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let daemon = bash_world(tmp.path());
    let client = daemon.client().await;
    let web = Web::of(&daemon, &client).await;

    // Not running yet: told so, and closed.
    let (mut ws, _) = connect_async(web.url("/pty/sh")).await.expect("connect");
    let refused = next_json(&mut ws).await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap_or_default()
            .contains("mission_pty_spawn")
    );

    ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    // Bash has no turns: the send times out once the keys are typed.
    let _ = client
        .call(
            "mission_pty_send",
            json!({"slotId": "sh", "message": "echo before-attach", "timeoutMs": 500}),
        )
        .await;
    daemon_support::wait_screen(&client, "sh", "before-attach", LIMIT).await;

    let (mut ws, _) = connect_async(web.url("/pty/sh")).await.expect("connect");
    let hello = next_json(&mut ws).await;
    assert_eq!(hello["type"], "attached", "{hello}");
    assert_eq!(
        (hello["cols"].as_u64(), hello["rows"].as_u64()),
        (Some(80), Some(24))
    );
    assert_eq!(hello["readOnly"], false);
    // The repaint shows what was on the screen before attaching.
    let Message::Binary(paint) = next(&mut ws).await else {
        panic!("the repaint must follow the hello");
    };
    assert!(String::from_utf8_lossy(&paint).contains("before-attach"));

    // Typing through the socket reaches the shell; its output comes back live.
    ws.send(Message::Binary(b"echo typed-$((6*7))\r".to_vec().into()))
        .await
        .expect("send");
    output_until(&mut ws, "typed-42").await;
    ws.send(Message::Text(
        json!({"type": "input", "data": "echo as-text-$((2+3))\r"})
            .to_string()
            .into(),
    ))
    .await
    .expect("send");
    output_until(&mut ws, "as-text-5").await;
    ws.send(Message::Text("not json".into()))
        .await
        .expect("send");
    let complaint = next_json(&mut ws).await;
    assert_eq!(complaint["type"], "error", "{complaint}");

    // A viewer may resize the terminal: the shell and the daemon's screen follow.
    let resize = |cols: u32, rows: u32| {
        Message::Text(
            json!({"type": "resize", "cols": cols, "rows": rows})
                .to_string()
                .into(),
        )
    };
    ws.send(resize(100, 30)).await.expect("send");
    ws.send(Message::Binary(b"stty size\r".to_vec().into()))
        .await
        .expect("send");
    output_until(&mut ws, "30 100").await;
    let screen = ok(&client, "mission_pty_screen", json!({"slotId": "sh"})).await;
    assert_eq!(
        (screen["cols"].as_u64(), screen["rows"].as_u64()),
        (Some(100), Some(30))
    );
    ws.send(resize(5000, 30)).await.expect("send");
    let too_big = next_json(&mut ws).await;
    assert_eq!(too_big["type"], "error", "{too_big}");

    // A view-only viewer sees the output but cannot type.
    let (mut viewer, _) = connect_async(web.url("/pty/sh?mode=view"))
        .await
        .expect("connect");
    let hello = next_json(&mut viewer).await;
    assert_eq!(hello["readOnly"], true, "{hello}");
    viewer
        .send(Message::Binary(b"touch should-not-exist\r".to_vec().into()))
        .await
        .expect("send");
    let refused = next_json(&mut viewer).await;
    assert_eq!(refused["type"], "error", "{refused}");
    ws.send(Message::Binary(b"echo seen-by-both\r".to_vec().into()))
        .await
        .expect("send");
    output_until(&mut viewer, "seen-by-both").await;
    assert!(!tmp.path().join("should-not-exist").exists());

    // The process ends: the viewer hears it and the socket closes.
    ws.send(Message::Binary(b"exit 3\r".to_vec().into()))
        .await
        .expect("send");
    let mut frames = Vec::new();
    loop {
        match tokio::time::timeout(LIMIT, ws.next())
            .await
            .expect("in time")
        {
            Some(Ok(Message::Text(t))) => {
                frames.push(serde_json::from_str::<Value>(t.as_str()).expect("JSON"))
            }
            Some(Ok(Message::Close(_))) | None => break,
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("{e}"),
        }
    }
    assert!(
        frames
            .iter()
            .any(|f| f["type"] == "state" && f["state"] == "Exited"),
        "{frames:?}"
    );
    assert_eq!(
        frames.last().map(|f| f["type"].clone()),
        Some(json!("exited")),
        "{frames:?}"
    );
    assert_eq!(
        frames.last().map(|f| f["code"].clone()),
        Some(json!(3)),
        "{frames:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_slots_and_other_sites_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let daemon = bash_world(tmp.path());
    let client = daemon.client().await;
    let web = Web::of(&daemon, &client).await;

    let status = |e: WsError| match e {
        WsError::Http(response) => response.status().as_u16(),
        other => panic!("expected an HTTP refusal, got {other}"),
    };
    let missing = connect_async(web.url("/pty/nope"))
        .await
        .expect_err("refused");
    assert_eq!(status(missing), 404);
    let bad_mode = connect_async(web.url("/pty/sh?mode=root"))
        .await
        .expect_err("refused");
    assert_eq!(status(bad_mode), 400);

    // Without the token, or with another, nothing but /health answers; the token file
    // is for this user's eyes only.
    let bare = format!("{}/events", web.base);
    assert_eq!(
        status(connect_async(bare.as_str()).await.expect_err("refused")),
        401
    );
    let wrong = format!("{}/pty/sh?token={}x", web.base, web.token);
    assert_eq!(
        status(connect_async(wrong.as_str()).await.expect_err("refused")),
        401
    );
    let mut bearer = format!("{}/events", web.base)
        .into_client_request()
        .expect("request");
    bearer.headers_mut().insert(
        "Authorization",
        format!("Bearer {}", web.token).parse().expect("header"),
    );
    let (mut by_header, _) = connect_async(bearer).await.expect("a bearer token works");
    assert_eq!(next_json(&mut by_header).await["type"], "subscribed");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(daemon.home.join("web-token"))
        .expect("token file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let mut request = web.url("/events").into_client_request().expect("request");
    request
        .headers_mut()
        .insert("Origin", "https://evil.example".parse().expect("header"));
    assert_eq!(
        status(connect_async(request).await.expect_err("refused")),
        403
    );

    let mut request = web.url("/events").into_client_request().expect("request");
    request
        .headers_mut()
        .insert("Origin", "http://localhost:3000".parse().expect("header"));
    let (mut ws, _) = connect_async(request)
        .await
        .expect("a local page may connect");
    assert_eq!(next_json(&mut ws).await["type"], "subscribed");

    // The slot's state changes reach /events.
    ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    let event = next_json(&mut ws).await;
    assert_eq!(event["type"], "slot_state", "{event}");
    assert_eq!(event["slotId"], "sh", "{event}");
    assert_eq!(event["previous"], "Stopped", "{event}");

    // Ended on request, the slot is Stopped (as mission_agents says), not Exited.
    ok(&client, "mission_pty_kill", json!({"slotId": "sh"})).await;
    let last = loop {
        let event = next_json(&mut ws).await;
        if event["state"] == "Stopped" || event["state"] == "Exited" {
            break event;
        }
    };
    assert_eq!(last["state"], "Stopped", "{last}");
    let agents = ok(&client, "mission_agents", json!({})).await;
    assert_eq!(agents["agents"][0]["state"], "Stopped", "{agents}");

    let health = ok(&client, "mission_health", json!({})).await;
    assert_eq!(health["ok"], true, "{health}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_events_follow_a_task_from_queue_to_answer() {
    let Some(w) = World::start(
        "task_events_follow_a_task_from_queue_to_answer",
        &[("a1", "alpha")],
        1,
    ) else {
        return;
    };
    let client = w.daemon.client().await;
    let web = Web::of(&w.daemon, &client).await;
    let (mut ws, _) = connect_async(web.url("/tasks")).await.expect("connect");
    assert_eq!(next_json(&mut ws).await["type"], "subscribed");

    let submitted = ok(
        &client,
        "mission_submit",
        json!({"prompt": prompt(0), "role": "alpha"}),
    )
    .await;
    let id = submitted["taskId"].clone();
    let mut seen = Vec::new();
    let ended = loop {
        let event = tokio::time::timeout(Duration::from_secs(120), next_json(&mut ws))
            .await
            .expect("task events in time");
        assert_ne!(
            event["type"], "slot_state",
            "/tasks carries task events only"
        );
        seen.push(event["type"].as_str().unwrap_or_default().to_string());
        if event["type"] == "task_ended" {
            break event;
        }
    };
    assert_eq!(
        seen,
        ["task_queued", "task_started", "task_ended"],
        "{seen:?}"
    );
    assert_eq!(ended["taskId"], id, "{ended}");
    assert_eq!(ended["slotId"], "a1", "{ended}");
    assert_eq!(ended["status"], "done", "{ended}");
    let task = ok(&client, "mission_task", json!({"taskIds": [id]})).await;
    assert_eq!(task["tasks"][0]["result"], answer(0).as_str());
}
