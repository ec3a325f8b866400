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
        // Asked of the daemon, as attach and `missiond board` do: the token is in no file.
        let access = missiond_core::ipc::web_access(client)
            .await
            .expect("daemon.web_access");
        assert!(!daemon.home.join("web-token").exists());
        let health = ok(client, "mission_health", json!({})).await;
        assert_eq!(health["webUrl"].as_str(), Some(access.ws_url.as_str()));
        Web {
            base: access.ws_url,
            token: access.token,
        }
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
    let mut request = web.url("/events").into_client_request().expect("request");
    request
        .headers_mut()
        .insert("Origin", "https://evil.example".parse().expect("header"));
    assert_eq!(
        status(connect_async(request).await.expect_err("refused")),
        403
    );
    // Another local web server's page is another site too.
    let mut request = web.url("/events").into_client_request().expect("request");
    request
        .headers_mut()
        .insert("Origin", "http://localhost:3000".parse().expect("header"));
    assert_eq!(
        status(connect_async(request).await.expect_err("refused")),
        403
    );

    // The board's own page (either name of this server) may connect.
    let port = web.base.rsplit(':').next().expect("a port").to_string();
    let mut request = web.url("/events").into_client_request().expect("request");
    request.headers_mut().insert(
        "Origin",
        format!("http://localhost:{port}").parse().expect("header"),
    );
    let (_, _) = connect_async(request)
        .await
        .expect("this server's page under `localhost` may connect");
    let mut request = web.url("/events").into_client_request().expect("request");
    request.headers_mut().insert(
        "Origin",
        format!("http://127.0.0.1:{port}").parse().expect("header"),
    );
    let (mut ws, _) = connect_async(request)
        .await
        .expect("this server's page may connect");
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

/// Sends `request` (raw HTTP, `Connection: close` unless it says otherwise) to `addr`
/// and reads the answer to its end; returns the status and the whole text.
async fn raw_http(addr: &str, request: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("request");
    let mut answer = Vec::new();
    tokio::time::timeout(LIMIT, stream.read_to_end(&mut answer))
        .await
        .expect("an answer in time")
        .expect("read");
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    (status, text)
}

/// [`raw_http`] reading only the answer's head (for answers that keep the socket open).
async fn raw_http_head(addr: &str, request: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("request");
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&answer).contains("\r\n\r\n") {
        let n = tokio::time::timeout(LIMIT, stream.read(&mut buf))
            .await
            .expect("an answer in time")
            .expect("read");
        assert!(n > 0, "closed before the head: {answer:?}");
        answer.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    (status, text)
}

fn get(path: &str, host: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n")
}

fn post_rpc(path: &str, host: &str, extra: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

const UPGRADE: &str = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_hosts_and_tokens_in_urls_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let daemon = bash_world(tmp.path());
    let client = daemon.client().await;
    let web = Web::of(&daemon, &client).await;
    let addr = web.base.strip_prefix("ws://").expect("ws://").to_string();
    let port = addr.rsplit(':').next().expect("port").to_string();
    let bearer = format!("Authorization: Bearer {}\r\n", web.token);
    let body = r#"{"method":"mission_slots"}"#;

    // DNS rebinding: a page of evil.example whose name now points at 127.0.0.1.
    for host in [
        "evil.example",
        &format!("evil.example:{port}"),
        "127.0.0.1:1",
    ] {
        let (code, text) = raw_http(&addr, &get("/health", host, "")).await;
        assert_eq!(code, 403, "/health with Host {host}: {text}");
        let (code, text) = raw_http(&addr, &post_rpc("/rpc", host, &bearer, body)).await;
        assert_eq!(code, 403, "/rpc with Host {host}: {text}");
        let upgrade = format!("{UPGRADE}{bearer}");
        let (code, text) = raw_http(&addr, &get("/pty/sh", host, &upgrade)).await;
        assert_eq!(code, 403, "/pty with Host {host}: {text}");
    }
    // This server's own names are fine.
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ] {
        let (code, text) = raw_http(&addr, &get("/health", &host, "")).await;
        assert_eq!(code, 200, "/health with Host {host}: {text}");
    }

    // The token in a URL counts only on a WebSocket upgrade.
    let with_query = format!("/rpc?token={}", web.token);
    let (code, text) = raw_http(&addr, &post_rpc(&with_query, &addr, "", body)).await;
    assert_eq!(code, 401, "{text}");
    let events_query = format!("/events?token={}", web.token);
    let (code, text) = raw_http(&addr, &get(&events_query, &addr, "")).await;
    assert_eq!(code, 401, "a plain GET with ?token=: {text}");
    let (code, text) = raw_http_head(&addr, &get(&events_query, &addr, UPGRADE)).await;
    assert_eq!(code, 101, "the upgrade with ?token=: {text}");
    let (code, text) = raw_http(&addr, &post_rpc("/rpc", &addr, &bearer, body)).await;
    assert_eq!(code, 200, "{text}");
    assert!(text.contains("\"sh\""), "{text}");

    // The token's way out is the orchestrator's IPC, not /rpc.
    let ask = r#"{"method":"daemon.web_access"}"#;
    let (code, text) = raw_http(&addr, &post_rpc("/rpc", &addr, &bearer, ask)).await;
    assert_eq!(code, 200, "{text}");
    assert!(text.contains("-32601"), "not served over /rpc: {text}");
    assert!(!text.contains(&web.token), "{text}");
}

/// Whether the server closes `stream` (EOF or reset) within [`LIMIT`], reading and
/// dropping whatever comes first.
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 4096];
    let read_all = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    };
    tokio::time::timeout(LIMIT, read_all).await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_and_silent_websockets_are_let_go() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let tmp = tempfile::tempdir().expect("tempdir");
    let yaml = format!(
        "slots:\n  - id: sh\n    cwd: {}\n    command: bash\n    args: [\"--norc\", \"--noprofile\"]\n",
        json!(tmp.path().display().to_string())
    );
    let daemon = Daemon::start_with_env(
        &tmp.path().join("home"),
        Some(&yaml),
        &[("MISSION_WEB_IDLE_TIMEOUT", "2")],
    );
    let client = daemon.client().await;
    let web = Web::of(&daemon, &client).await;
    let addr = web.base.strip_prefix("ws://").expect("ws://").to_string();

    // A connection that never sends a request.
    let opened = std::time::Instant::now();
    let mut silent = TcpStream::connect(&addr).await.expect("connect");
    assert!(
        closed_by_server(&mut silent).await,
        "a silent connection stays open"
    );
    assert!(
        opened.elapsed() >= Duration::from_millis(1500),
        "closed before its time"
    );

    // A keep-alive connection after its answer.
    let mut kept = TcpStream::connect(&addr).await.expect("connect");
    let request = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    kept.write_all(request.as_bytes()).await.expect("write");
    let mut first = [0u8; 1024];
    let n = tokio::time::timeout(LIMIT, kept.read(&mut first))
        .await
        .expect("an answer")
        .expect("read");
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    assert!(
        closed_by_server(&mut kept).await,
        "an idle keep-alive connection stays open"
    );

    // Two subscribers: one answers pings (it reads), one never reads.
    let (mut mute, _) = connect_async(web.url("/events")).await.expect("connect");
    let (live, _) = connect_async(web.url("/events")).await.expect("connect");
    let (frames_tx, mut frames) = tokio::sync::mpsc::unbounded_channel::<Value>();
    let reader = tokio::spawn(async move {
        let mut live = live;
        while let Some(Ok(frame)) = live.next().await {
            if let Message::Text(t) = frame {
                let _ = frames_tx.send(serde_json::from_str(t.as_str()).expect("JSON"));
            }
        }
    });
    tokio::time::sleep(Duration::from_secs(9)).await;
    // The mute one was closed: after the frames queued before, its stream ends.
    let mute_ended = tokio::time::timeout(LIMIT, async {
        loop {
            match mute.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(
        mute_ended.is_ok(),
        "a WebSocket that never answers pings stays open"
    );
    // The live one still gets events.
    ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    let event = tokio::time::timeout(LIMIT, async {
        loop {
            let frame = frames.recv().await.expect("the live socket stays open");
            if frame["type"] == "slot_state" {
                return frame;
            }
        }
    })
    .await
    .expect("the live subscriber still gets events");
    assert_eq!(event["slotId"], "sh");
    reader.abort();
}

/// How many descriptors process `pid` holds.
fn open_fds(pid: i64) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_idle_connections_leaves_hooks_and_health_working() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let daemon = bash_world(tmp.path());
    let client = daemon.client().await;
    let web = Web::of(&daemon, &client).await;
    let addr = web.base.strip_prefix("ws://").expect("ws://").to_string();
    let pid = ok(&client, "mission_health", json!({})).await["pid"]
        .as_i64()
        .expect("pid");

    let before = open_fds(pid);
    // More idle connections than the 1,019 that once used up the daemon's descriptors.
    let mut flood = Vec::new();
    for _ in 0..1100 {
        match std::net::TcpStream::connect(&addr) {
            Ok(s) => flood.push(s),
            Err(e) => panic!("connect #{}: {e}", flood.len()),
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    // All from one peer (this user): at most its cap of 64 are kept (a few more
    // descriptors may come and go meanwhile).
    let held = open_fds(pid);
    assert!(
        held <= before + 64 + 8,
        "the daemon holds {held} descriptors (from {before}) after 1100 idle connections from one peer"
    );

    // Still served: /health over the web, and a hook over IPC.
    let (code, text) = raw_http(&addr, &get("/health", &addr, "")).await;
    assert_eq!(code, 200, "{text}");
    let hook = client
        .call(
            "hook.event",
            json!({"slot": "sh", "event": "Notification", "payload": {"message": "flooded"}}),
        )
        .await;
    assert!(
        hook.is_ok(),
        "a hook while the web side is flooded: {hook:?}"
    );
    // And attach clients still get in.
    let (mut ws, _) = connect_async(web.url("/events")).await.expect("connect");
    assert_eq!(next_json(&mut ws).await["type"], "subscribed");
    drop(flood);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_every_connection_of_a_peer_is_busy_the_next_gets_a_503() {
    use tokio::io::AsyncReadExt;
    let tmp = tempfile::tempdir().expect("tempdir");
    let daemon = bash_world(tmp.path());
    let client = daemon.client().await;
    let web = Web::of(&daemon, &client).await;
    let addr = web.base.strip_prefix("ws://").expect("ws://").to_string();

    // 64 WebSockets (the per-peer cap) cannot be closed to make room.
    let mut sockets = Vec::new();
    for _ in 0..64 {
        let (mut ws, _) = connect_async(web.url("/events")).await.expect("connect");
        assert_eq!(next_json(&mut ws).await["type"], "subscribed");
        sockets.push(ws);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut refused = TcpStream::connect(&addr).await.expect("connect");
    let mut answer = Vec::new();
    tokio::time::timeout(LIMIT, refused.read_to_end(&mut answer))
        .await
        .expect("an answer in time")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");

    // One WebSocket fewer: served again (once the daemon saw it close; until then a
    // refusal may come as a reset, the request being left unread).
    drop(sockets.pop());
    let deadline = std::time::Instant::now() + LIMIT;
    loop {
        let attempt = tokio::time::timeout(LIMIT, async {
            use tokio::io::AsyncWriteExt;
            let mut stream = TcpStream::connect(&addr).await.ok()?;
            let request = get("/health", &addr, "");
            stream.write_all(request.as_bytes()).await.ok()?;
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await.ok()?;
            Some(String::from_utf8_lossy(&answer).to_string())
        })
        .await
        .ok()
        .flatten();
        if attempt
            .as_deref()
            .is_some_and(|a| a.starts_with("HTTP/1.1 200"))
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never served again: {attempt:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
