//! The board: `POST /rpc` over real HTTP against a real daemon, `missiond board`, and the
//! page itself in a REAL headless chromium driven over the DevTools protocol (slots,
//! board, questions, escaping, a live state change, buttons that act). The browser test
//! is skipped with a line on stderr when chromium is not installed, unless
//! MISSIOND_E2E_REQUIRED=1 (chromium: `MISSIOND_CHROMIUM`, else `/usr/bin/chromium`).

mod daemon_support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use daemon_support::{Daemon, err_code, ok};
use futures::{SinkExt, StreamExt};
use missiond_core::ipc::IpcClient;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

const LIMIT: Duration = Duration::from_secs(30);

fn bash_world(tmp: &Path) -> Daemon {
    let yaml = format!(
        "slots:\n  - id: sh\n    role: shell\n    cwd: {}\n    command: bash\n    args: [\"--norc\", \"--noprofile\"]\n    env: {{PS1: \"sh$ \"}}\n    cols: 80\n    rows: 24\n",
        json!(tmp.display().to_string())
    );
    Daemon::start(&tmp.join("home"), Some(&yaml))
}

/// The daemon's web server (`host:port`) and its token.
struct Web {
    host: String,
    token: String,
}

impl Web {
    async fn of(daemon: &Daemon, client: &IpcClient) -> Web {
        // Asked of the daemon, as `missiond board` does: the token is in no file.
        let access = missiond_core::ipc::web_access(client)
            .await
            .expect("daemon.web_access");
        assert!(!daemon.home.join("web-token").exists());
        let host = access
            .ws_url
            .strip_prefix("ws://")
            .expect("a ws:// url")
            .to_string();
        Web {
            host,
            token: access.token,
        }
    }

    /// `POST /rpc` with the token and `body` as it is.
    async fn rpc_raw(&self, body: &[u8]) -> (u16, String) {
        let auth = format!("Bearer {}", self.token);
        http(
            &self.host,
            "POST",
            "/rpc",
            &[("Authorization", &auth)],
            body,
        )
        .await
    }

    /// `POST /rpc` of `method` with `params`: the HTTP status and the JSON answer.
    async fn rpc(&self, method: &str, params: Value) -> (u16, Value) {
        let body = json!({"method": method, "params": params}).to_string();
        let (status, text) = self.rpc_raw(body.as_bytes()).await;
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("/rpc {method}: not JSON ({e}): {text}"));
        (status, value)
    }
}

/// One HTTP/1.1 request over a fresh connection; returns the status and the body.
async fn http(
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let mut stream = TcpStream::connect(host).await.expect("connecting over TCP");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("request");
    // A refused body may be cut short by the server: a failed write is no failure here.
    let _ = stream.write_all(body).await;
    let raw = tokio::time::timeout(LIMIT, read_answer(&mut stream))
        .await
        .expect("an answer in time");
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, body)
}

/// Read an answer: up to its `Content-Length` when it gives one (DevTools keeps the
/// connection open), else to the end.
async fn read_answer(stream: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).await.expect("reading the answer");
        if n == 0 {
            return raw;
        }
        raw.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&raw);
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        let length = head.lines().find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        });
        if length.is_some_and(|len| body.len() >= len) {
            return raw;
        }
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("a chunk size");
        if size == 0 {
            break;
        }
        out.push_str(&tail[..size]);
        rest = &tail[size + 2..];
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_serves_catalogue_tools_with_the_token_only() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let daemon = bash_world(tmp.path());
    let client = daemon.client().await;
    let web = Web::of(&daemon, &client).await;

    // A tool call lands in the same store the Unix socket reads.
    let (status, created) = web
        .rpc("mission_board_create", json!({"title": "made over http"}))
        .await;
    assert_eq!(status, 200, "{created}");
    let id = created["result"]["boardTaskId"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {created}"));
    let listed = ok(&client, "mission_board_list", json!({})).await;
    assert_eq!(listed["tasks"][0]["boardTaskId"], id, "{listed}");
    assert_eq!(listed["tasks"][0]["title"], "made over http");

    // Tool errors are JSON-RPC errors with HTTP 200.
    let (status, answer) = web
        .rpc("mission_pty_status", json!({"slotId": "nope"}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(answer["error"]["code"], -32001, "{answer}");
    assert_eq!(answer["error"]["data"]["slotId"], "nope", "{answer}");
    let (status, answer) = web.rpc("mission_board_create", json!({"title": ""})).await;
    assert_eq!(status, 200);
    assert_eq!(answer["error"]["code"], -32602, "{answer}");

    let (status, answer) = web.rpc("mission_nope", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(answer["error"]["code"], -32601, "{answer}");
    assert_eq!(answer["error"]["data"]["method"], "mission_nope");

    // The hook relay exists on the socket (it answers about the slot) but not over HTTP.
    let hook = json!({"slot": "nope", "event": "Stop", "payload": {}});
    err_code(&client, "hook.event", hook.clone(), -32001).await;
    let (status, answer) = web.rpc("hook.event", hook).await;
    assert_eq!(status, 200);
    assert_eq!(answer["error"]["code"], -32601, "{answer}");

    // Malformed bodies: 400 with a reason.
    for (body, needle) in [
        (&b"{not json"[..], "parse error"),
        (br#"{"params": {}}"#, "method"),
        (br#"{"method": "mission_health", "id": 1}"#, "unknown field"),
    ] {
        let (status, text) = web.rpc_raw(body).await;
        assert_eq!(status, 400, "{text}");
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
    let (status, text) = web
        .rpc_raw(br#"{"method": "mission_health", "params": [1]}"#)
        .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("params"), "{text}");

    // Over 1 MiB: 413.
    let title = "x".repeat(1 << 20);
    let huge = json!({"method": "mission_board_create", "params": {"title": title}}).to_string();
    let (status, text) = web.rpc_raw(huge.as_bytes()).await;
    assert_eq!(status, 413, "{}", &text[..text.len().min(300)]);

    // No token, a wrong one, or another site's page: refused before any tool runs.
    let call = br#"{"method": "mission_board_create", "params": {"title": "intruder"}}"#;
    let (status, _) = http(&web.host, "POST", "/rpc", &[], call).await;
    assert_eq!(status, 401);
    let wrong = [("Authorization", "Bearer not-the-token")];
    let (status, _) = http(&web.host, "POST", "/rpc", &wrong, call).await;
    assert_eq!(status, 401);
    let auth = format!("Bearer {}", web.token);
    let foreign = [
        ("Authorization", auth.as_str()),
        ("Origin", "https://evil.example"),
    ];
    let (status, _) = http(&web.host, "POST", "/rpc", &foreign, call).await;
    assert_eq!(status, 403);
    let titles = ok(&client, "mission_board_list", json!({})).await;
    assert_eq!(titles["total"], 1, "{titles}");

    // The page and its files are served without the token; they hold none.
    let (status, page) = http(&web.host, "GET", "/", &[], b"").await;
    assert_eq!(status, 200);
    assert!(page.contains("missiond board"), "{page}");
    assert!(!page.contains(&web.token));
    let (status, script) = http(&web.host, "GET", "/board.js", &[], b"").await;
    assert_eq!(status, 200);
    assert!(script.contains("/rpc"));

    // Still serving.
    let (status, health) = web.rpc("mission_health", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(health["result"]["slotsConfigured"], 1, "{health}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_command_prints_the_url_with_the_token() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let daemon = Daemon::start(&tmp.path().join("home"), Some("slots: []\n"));
    let client = daemon.client().await;
    let web = Web::of(&daemon, &client).await;
    let out = Command::new(env!("CARGO_BIN_EXE_missiond"))
        .arg("board")
        .env("MISSIOND_HOME", &daemon.home)
        .env_remove("MISSION_IPC_ENDPOINT")
        .output()
        .expect("running missiond board");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(url, format!("http://{}/?token={}", web.host, web.token));
    // The URL is the page.
    let path = url
        .strip_prefix(&format!("http://{}", web.host))
        .expect("path");
    let (status, page) = http(&web.host, "GET", path, &[], b"").await;
    assert_eq!(status, 200);
    assert!(page.contains("<title>missiond board</title>"));
}

// ---- the browser ----

/// Chromium, or None (with a line on stderr) when it is not installed and not required.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("MISSIOND_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    if path.exists() {
        return Some(path);
    }
    if std::env::var("MISSIOND_E2E_REQUIRED").as_deref() == Ok("1") {
        panic!(
            "chromium not found at {} (set MISSIOND_CHROMIUM)",
            path.display()
        );
    }
    eprintln!(
        "skipped: chromium not found at {} (set MISSIOND_CHROMIUM)",
        path.display()
    );
    None
}

/// A headless chromium in its own process group, ended with the test.
struct Browser {
    child: Child,
}

impl Browser {
    /// Start chromium on a blank page; returns it and the DevTools HTTP address.
    fn start(exe: &Path, profile: &Path) -> (Browser, String) {
        use std::os::unix::process::CommandExt;
        let child = Command::new(exe)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("starting chromium");
        let browser = Browser { child };
        // Chromium writes the port it took to this file once DevTools listens.
        let port_file = profile.join("DevToolsActivePort");
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Some(port) = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|t| t.lines().next().map(str::to_string))
                .filter(|p| !p.is_empty())
            {
                return (browser, format!("127.0.0.1:{port}"));
            }
            assert!(Instant::now() < deadline, "chromium did not open DevTools");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // SAFETY: signals the process group this test started (pgid = the child's pid).
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// A DevTools protocol session with one page.
struct Page {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

impl Page {
    async fn attach(devtools: &str) -> Page {
        let (status, list) = http(devtools, "GET", "/json/list", &[], b"").await;
        assert_eq!(status, 200, "{list}");
        let targets: Value = serde_json::from_str(&list).expect("target list");
        let url = targets
            .as_array()
            .and_then(|t| t.iter().find(|t| t["type"] == "page"))
            .and_then(|t| t["webSocketDebuggerUrl"].as_str())
            .unwrap_or_else(|| panic!("no page in {targets}"))
            .to_string();
        let (ws, _) = connect_async(url).await.expect("DevTools connect");
        Page { ws, next_id: 0 }
    }

    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let msg = json!({"id": id, "method": method, "params": params}).to_string();
        self.ws
            .send(Message::text(msg))
            .await
            .expect("DevTools send");
        loop {
            let frame = tokio::time::timeout(LIMIT, self.ws.next())
                .await
                .expect("a DevTools answer in time")
                .expect("DevTools open")
                .expect("a DevTools frame");
            let Message::Text(text) = frame else { continue };
            let v: Value = serde_json::from_str(text.as_str()).expect("DevTools JSON");
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    async fn goto(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url})).await;
    }

    /// The value of a JavaScript expression in the page.
    async fn eval(&mut self, expression: &str) -> Value {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            )
            .await;
        assert!(r.get("exceptionDetails").is_none(), "{expression}: {r}");
        r["result"]["value"].clone()
    }

    /// What the test reads off the board.
    async fn snapshot(&mut self) -> Value {
        self.eval(SNAPSHOT).await
    }

    /// Poll the snapshot until `pred` holds.
    async fn until(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + LIMIT;
        loop {
            let s = self.snapshot().await;
            if pred(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "the board never showed {what}: {s:#}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

const SNAPSHOT: &str = r#"(() => {
  const text = (sel) => { const n = document.querySelector(sel); return n ? n.textContent : null; };
  return {
    ready: document.readyState,
    notice: document.getElementById('notice') ? !document.getElementById('notice').hidden : null,
    app: document.getElementById('app') ? !document.getElementById('app').hidden : null,
    noticeText: text('#notice'),
    slotState: text('tr[data-slot="sh"] .state'),
    slotRole: text('tr[data-slot="sh"] td:nth-child(2)'),
    board: text('#board'),
    questions: text('#questions'),
    screen: text('#screen'),
    events: text('#events'),
    errors: text('#errors'),
    conn: text('#conn'),
    images: document.querySelectorAll('img').length,
    pwned: window.__pwned === true,
  };
})()"#;

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_in_chromium_shows_the_daemon_and_acts() {
    let Some(exe) = chromium() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let daemon = bash_world(tmp.path());
    let client = daemon.client().await;
    let web = Web::of(&daemon, &client).await;

    ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    let hostile = r#"Ship <img src=x onerror="window.__pwned=true"> now"#;
    ok(&client, "mission_board_create", json!({"title": hostile})).await;
    let question = ok(
        &client,
        "mission_question_create",
        json!({"question": "Which port should the proxy use?", "options": ["8080", "9090"]}),
    )
    .await;
    let question_id = s(&question, "questionId");

    let (_browser, devtools) = Browser::start(&exe, &tmp.path().join("chrome"));
    let mut page = Page::attach(&devtools).await;

    // Without the token the page says where to get the URL, and calls nothing.
    page.goto(&format!("http://{}/", web.host)).await;
    let first = page
        .until("the notice", |v| v["notice"] == true && v["app"] == false)
        .await;
    assert!(
        s(&first, "noticeText").contains("missiond board"),
        "{first}"
    );

    page.goto(&format!("http://{}/?token={}", web.host, web.token))
        .await;
    let shown = page
        .until("the slot, the board and the question, live", |v| {
            v["slotState"].is_string()
                && s(v, "board").contains("now")
                && s(v, "questions").contains("proxy")
                && v["conn"] == "live"
        })
        .await;
    let agents = ok(&client, "mission_agents", json!({})).await;
    let state = s(&agents["agents"][0], "state");
    assert_ne!(state, "Stopped", "{agents}");
    assert_eq!(s(&shown, "slotState"), state, "{shown:#}");
    assert_eq!(s(&shown, "slotRole"), "shell");
    assert!(s(&shown, "questions").contains("Which port should the proxy use?"));
    // The hostile title is text, not markup: no image, no script ran.
    assert!(s(&shown, "board").contains(hostile), "{shown:#}");
    assert_eq!(shown["images"], 0, "{shown:#}");
    assert_eq!(shown["pwned"], false);
    assert_eq!(s(&shown, "errors"), "", "{shown:#}");

    // A state change after the load reaches the page through /events.
    ok(&client, "mission_pty_kill", json!({"slotId": "sh"})).await;
    let live = page
        .until("the slot stopping", |v| {
            v["slotState"] == "Stopped" && s(v, "events").contains("slot_state sh")
        })
        .await;
    // The event itself, logged by the page as it arrived (the daemon says `Exited`
    // where mission_agents says `Stopped`).
    let change = format!("slot_state sh {state} -> ");
    assert!(s(&live, "events").contains(&change), "{change}: {live:#}");

    // Buttons act: spawn the slot again from its row.
    page.eval(r#"document.querySelector('tr[data-slot="sh"] button').click()"#)
        .await;
    page.until("the slot running again", |v| {
        v["slotState"].is_string() && v["slotState"] != "Stopped"
    })
    .await;
    let agents = ok(&client, "mission_agents", json!({})).await;
    assert_ne!(agents["agents"][0]["state"], "Stopped", "{agents}");

    // The screen of the chosen slot, in a <pre>.
    page.eval(r#"[...document.querySelectorAll('tr[data-slot="sh"] button')].find(b => b.textContent === 'screen').click()"#)
        .await;
    let _ = client
        .call(
            "mission_pty_send",
            json!({"slotId": "sh", "message": "echo board-screen-$((6*7))", "timeoutMs": 500}),
        )
        .await;
    page.until("the screen", |v| s(v, "screen").contains("board-screen-42"))
        .await;

    // Add a board task from the form.
    page.eval(
        r#"document.getElementById('board-title').value = 'added in the browser';
           document.getElementById('board-form').requestSubmit()"#,
    )
    .await;
    page.until("the new board task", |v| {
        s(v, "board").contains("added in the browser")
    })
    .await;
    let listed = ok(&client, "mission_board_list", json!({})).await;
    assert!(
        listed["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .any(|t| t["title"] == "added in the browser"),
        "{listed}"
    );

    // Answer the question with one of its option buttons.
    page.eval(&format!(
        r#"[...document.querySelectorAll('li[data-question="{question_id}"] button')].find(b => b.textContent === '9090').click()"#
    ))
    .await;
    page.until("the question gone from the pending list", |v| {
        !s(v, "questions").contains("proxy")
    })
    .await;
    let answered = ok(
        &client,
        "mission_question_get",
        json!({"questionId": question_id}),
    )
    .await;
    assert_eq!(answered["status"], "answered", "{answered}");
    assert_eq!(answered["answer"], "9090");
}
