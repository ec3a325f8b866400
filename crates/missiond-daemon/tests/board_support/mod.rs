//! Shared by the board tests: the daemon's web address and token, raw HTTP, and a REAL
//! headless chromium driven over the DevTools protocol.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use missiond_core::ipc::IpcClient;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::daemon_support::Daemon;

/// How long one wait of these helpers may take (the machine may be loaded).
pub const LIMIT: Duration = Duration::from_secs(60);

/// The daemon's web server (`host:port`) and its tokens.
pub struct Web {
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// The full token.
    pub token: String,
    /// The read-only token (`missiond board --view`).
    pub view_token: String,
}

impl Web {
    pub async fn of(daemon: &Daemon, client: &IpcClient) -> Web {
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
            view_token: access.view_token.expect("a read-only token"),
        }
    }

    /// `POST /rpc` with the token and `body` as it is.
    pub async fn rpc_raw(&self, body: &[u8]) -> (u16, String) {
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
    pub async fn rpc(&self, method: &str, params: Value) -> (u16, Value) {
        let body = json!({"method": method, "params": params}).to_string();
        let (status, text) = self.rpc_raw(body.as_bytes()).await;
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("/rpc {method}: not JSON ({e}): {text}"));
        (status, value)
    }
}

/// One HTTP/1.1 request over a fresh connection; returns the status and the body.
pub async fn http(
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

// ---- the browser ----

/// Chromium, or None (with a line on stderr) when it is not installed and not required.
pub fn chromium() -> Option<PathBuf> {
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
pub struct Browser {
    child: Child,
}

impl Browser {
    /// Start chromium on a blank page; returns it and the DevTools HTTP address.
    pub fn start(exe: &Path, profile: &Path) -> (Browser, String) {
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
pub struct Page {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

impl Page {
    pub async fn attach(devtools: &str) -> Page {
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

    pub async fn call(&mut self, method: &str, params: Value) -> Value {
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

    pub async fn goto(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url})).await;
    }

    /// The value of a JavaScript expression in the page.
    pub async fn eval(&mut self, expression: &str) -> Value {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            )
            .await;
        assert!(r.get("exceptionDetails").is_none(), "{expression}: {r}");
        r["result"]["value"].clone()
    }

    /// Poll the value of `expression` until `pred` holds; returns it.
    pub async fn until(
        &mut self,
        expression: &str,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + LIMIT;
        loop {
            let v = self.eval(expression).await;
            if pred(&v) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "the board never showed {what}: {v:#}"
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Save a PNG of the page as it shows now to `path` (for a reviewer to look at).
    pub async fn screenshot(&mut self, path: &Path) {
        let shot = self
            .call("Page.captureScreenshot", json!({"format": "png"}))
            .await;
        let data = shot["data"].as_str().expect("screenshot data");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .expect("base64 screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot folder");
        }
        std::fs::write(path, bytes).expect("writing the screenshot");
        eprintln!("screenshot: {}", path.display());
    }

    /// Set the page's viewport (`Emulation.setDeviceMetricsOverride`).
    pub async fn viewport(&mut self, width: u32, height: u32, mobile: bool) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
        )
        .await;
    }
}

/// Where the board tests save their screenshots: `target/board-screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/board-screenshots")
}
