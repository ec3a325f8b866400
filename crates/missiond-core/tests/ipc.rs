//! IPC end to end over real sockets in temporary folders.

use std::sync::Arc;
use std::time::Duration;

use missiond_core::catalogue::{
    self, Health, HealthResult, PtyStatus, PtyStatusResult, SlotParams, SlotState, Tool,
};
use missiond_core::ipc::{
    ClientError, Endpoint, ErrorCode, Handler, IpcClient, RpcError, SecretToken, ServerConfig,
    TransportError, serve,
};

/// The token the test servers want on TCP.
const TOKEN: &str = "test-token-0123456789";
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{Notify, oneshot};

/// A handler with just enough methods to exercise the server loop.
#[derive(Default)]
struct TestHandler {
    release: Notify,
    slow_started: Notify,
}

impl Handler for TestHandler {
    async fn handle(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        match method {
            "echo" => Ok(params),
            "request_id" => Ok(json!(missiond_core::jarvis::request_id::current())),
            // Waits until "release" is called: proves calls run concurrently.
            "slow" => {
                self.slow_started.notify_one();
                self.release.notified().await;
                Ok(json!("released"))
            }
            "await_slow" => {
                self.slow_started.notified().await;
                Ok(json!(true))
            }
            "release" => {
                self.release.notify_one();
                Ok(json!(true))
            }
            "fail" => Err(RpcError::unknown_slot("ghost")),
            "panic" => panic!("handler bug"),
            "big" => Ok(json!("x".repeat(4096))),
            Health::NAME => {
                catalogue::run::<Health, _, _>(params, |_| async {
                    Ok(HealthResult {
                        ok: true,
                        version: "0.1.0".into(),
                        pid: 1,
                        uptime_secs: 2,
                        home: "/h".into(),
                        endpoint: "unix:///h/s".into(),
                        db_path: "/h/db".into(),
                        web_url: None,
                        slots_configured: 3,
                        slots_running: 1,
                        warnings: Vec::new(),
                        config_error: None,
                        started_by: None,
                        parser_disagreements: None,
                        sandbox: None,
                        screen_rules: None,
                        hosts: Default::default(),
                    })
                })
                .await
            }
            PtyStatus::NAME => {
                catalogue::run::<PtyStatus, _, _>(params, |p| async move {
                    Ok(PtyStatusResult {
                        state: SlotState::Idle,
                        since: "2026-01-01T00:00:00.000Z".into(),
                        status_bar: None,
                        dialog: None,
                        pid: Some(7),
                        session_id: None,
                        cwd: "/w".into(),
                        role: "coder".into(),
                        screen_state: None,
                        parser_disagreements: None,
                        current_tool: None,
                        status_file: None,
                        slot_id: p.slot_id,
                    })
                })
                .await
            }
            other => Err(RpcError::method_not_found(other)),
        }
    }
}

/// Guards against hangs: a test that would block forever fails instead.
async fn bounded<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), fut)
        .await
        .expect("operation hung")
}

struct Running {
    endpoint: Endpoint,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = bounded(self.task).await;
    }
}

async fn start(endpoint: Endpoint, mut config: ServerConfig) -> Running {
    config
        .tcp_token
        .get_or_insert_with(|| SecretToken::new(TOKEN));
    let listener = endpoint.listen().await.expect("listen");
    let endpoint = listener.endpoint().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(
        listener,
        Arc::new(TestHandler::default()),
        config,
        async move {
            let _ = stopped.await;
        },
    ));
    Running {
        endpoint,
        stop: Some(stop),
        task,
    }
}

fn small_limit() -> ServerConfig {
    ServerConfig {
        max_line_bytes: 1024,
        ..ServerConfig::default()
    }
}

/// Sends raw lines and reads raw reply lines.
struct RawConn {
    reader: BufReader<tokio::io::ReadHalf<missiond_core::ipc::IpcStream>>,
    writer: tokio::io::WriteHalf<missiond_core::ipc::IpcStream>,
}

impl RawConn {
    /// Connected, and on TCP authenticated.
    async fn open(endpoint: &Endpoint) -> RawConn {
        let mut conn = RawConn::open_bare(endpoint).await;
        if let Endpoint::Tcp(_) = endpoint {
            let auth = json!({"jsonrpc": "2.0", "id": 0, "method": "ipc.auth", "params": {"token": TOKEN}});
            conn.send(format!("{auth}\n").as_bytes()).await;
            assert_eq!(conn.reply().await["result"], json!({"ok": true}));
        }
        conn
    }

    /// Connected, nothing sent.
    async fn open_bare(endpoint: &Endpoint) -> RawConn {
        let stream = endpoint.connect().await.expect("connect");
        let (r, w) = tokio::io::split(stream);
        RawConn {
            reader: BufReader::new(r),
            writer: w,
        }
    }

    /// Whether the peer closes the connection (within the test bound).
    async fn closed(&mut self) -> bool {
        let mut line = String::new();
        matches!(
            bounded(self.reader.read_line(&mut line)).await,
            Ok(0) | Err(_)
        )
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("write");
    }

    async fn reply(&mut self) -> Value {
        let mut line = String::new();
        let n = bounded(self.reader.read_line(&mut line))
            .await
            .expect("read");
        assert!(n > 0, "connection closed instead of replying");
        serde_json::from_str(&line).expect("reply is JSON")
    }
}

#[cfg(unix)]
mod unix {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &std::path::Path) -> u32 {
        std::fs::metadata(path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[tokio::test]
    async fn unix_socket_is_private_and_serves_calls() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sock = dir.path().join("home").join("missiond.sock");
        let server = start(Endpoint::Unix(sock.clone()), ServerConfig::default()).await;
        assert_eq!(mode(&sock), 0o600);
        assert_eq!(mode(sock.parent().expect("parent")), 0o700);

        let client = IpcClient::connect_with_token(&server.endpoint, TOKEN)
            .await
            .expect("connect");
        let reply = bounded(client.call("echo", json!({"slotId": "a"}))).await;
        assert_eq!(reply.expect("echo"), json!({"slotId": "a"}));
        // The request id rides in params._meta: the handler runs inside it and never
        // sees `_meta`; without one, the server mints an `ipc-` id.
        let traced = client.with_request_id("cli-test-7");
        let reply = bounded(traced.call("echo", json!({"slotId": "a"}))).await;
        assert_eq!(reply.expect("echo"), json!({"slotId": "a"}));
        let id = bounded(traced.call("request_id", json!({})))
            .await
            .expect("id");
        assert_eq!(id, json!("cli-test-7"));
        let id = bounded(client.call("request_id", json!({})))
            .await
            .expect("id");
        assert!(id.as_str().is_some_and(|s| s.starts_with("ipc-")), "{id}");
        // Typed call through the catalogue binding.
        let health: HealthResult = bounded(client.tool::<Health>(&Default::default()))
            .await
            .expect("health");
        assert_eq!(health.slots_configured, 3);
        server.stop().await;
        assert!(!sock.exists(), "socket file removed on shutdown");
    }

    #[tokio::test]
    async fn a_live_socket_refuses_a_second_daemon() {
        let dir = tempfile::tempdir().expect("tempdir");
        let endpoint = Endpoint::Unix(dir.path().join("d.sock"));
        let server = start(endpoint.clone(), ServerConfig::default()).await;
        match endpoint.listen().await {
            Err(TransportError::AlreadyRunning(_)) => {}
            Err(other) => panic!("wrong error: {other}"),
            Ok(_) => panic!("second listener accepted"),
        }
        let msg = TransportError::AlreadyRunning(endpoint.clone()).to_string();
        assert!(msg.contains("a daemon is already running"), "{msg}");
        server.stop().await;
    }

    #[tokio::test]
    async fn a_stale_socket_file_is_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sock = dir.path().join("d.sock");
        // A socket file nobody accepts on: what a crashed daemon leaves.
        drop(std::os::unix::net::UnixListener::bind(&sock).expect("bind"));
        assert!(sock.exists());
        let server = start(Endpoint::Unix(sock.clone()), ServerConfig::default()).await;
        let client = IpcClient::connect_with_token(&server.endpoint, TOKEN)
            .await
            .expect("connect");
        assert_eq!(
            bounded(client.call("echo", json!({}))).await.expect("echo"),
            json!({})
        );
        server.stop().await;
    }

    #[tokio::test]
    async fn a_regular_file_at_the_socket_path_is_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("d.sock");
        std::fs::write(&path, "precious").expect("write");
        match Endpoint::Unix(path.clone()).listen().await {
            Err(TransportError::NotASocket(p)) => assert_eq!(p, path),
            Err(other) => panic!("wrong error: {other}"),
            Ok(_) => panic!("replaced a regular file"),
        }
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "precious");
    }

    #[tokio::test]
    async fn a_group_readable_folder_of_ours_is_tightened() {
        let dir = tempfile::tempdir().expect("tempdir");
        let home = dir.path().join("home");
        std::fs::create_dir(&home).expect("mkdir");
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let server = start(Endpoint::Unix(home.join("s.sock")), ServerConfig::default()).await;
        assert_eq!(mode(&home), 0o700);
        server.stop().await;
    }
}

#[tokio::test]
async fn tcp_loopback_serves_calls() {
    let endpoint = Endpoint::parse("tcp://127.0.0.1:0").expect("parse");
    let server = start(endpoint, ServerConfig::default()).await;
    let Endpoint::Tcp(addr) = &server.endpoint else {
        panic!("not tcp: {}", server.endpoint);
    };
    assert_ne!(addr.port(), 0, "the bound port is reported");
    let client = IpcClient::connect_with_token(&server.endpoint, TOKEN)
        .await
        .expect("connect");
    let out: Value = bounded(client.call_typed(
        "echo",
        &SlotParams {
            slot_id: "x".into(),
        },
    ))
    .await
    .expect("echo");
    assert_eq!(out, json!({"slotId": "x"}));
    server.stop().await;
}

#[tokio::test]
async fn a_slow_call_does_not_block_the_connection() {
    let server = start(
        Endpoint::parse("tcp://127.0.0.1:0").expect("parse"),
        small_limit(),
    )
    .await;
    let client = IpcClient::connect_with_token(&server.endpoint, TOKEN)
        .await
        .expect("connect");
    let slow = {
        let client = client.clone();
        tokio::spawn(async move { client.call("slow", json!({})).await })
    };
    // Wait (over another connection) until "slow" is running on the first one...
    let observer = IpcClient::connect_with_token(&server.endpoint, TOKEN)
        .await
        .expect("connect");
    bounded(observer.call("await_slow", json!({})))
        .await
        .expect("slow started");
    // ...then only a connection that keeps reading while "slow" runs can take this.
    bounded(client.call("release", json!({})))
        .await
        .expect("release");
    let slow = bounded(slow).await.expect("join").expect("slow call");
    assert_eq!(slow, json!("released"));
    server.stop().await;
}

#[tokio::test]
async fn errors_reach_the_client_with_code_and_data() {
    let server = start(
        Endpoint::parse("tcp://127.0.0.1:0").expect("parse"),
        small_limit(),
    )
    .await;
    let client = IpcClient::connect_with_token(&server.endpoint, TOKEN)
        .await
        .expect("connect");

    let err = bounded(client.call("fail", json!({})))
        .await
        .expect_err("fails");
    let rpc = err.rpc().expect("an rpc error");
    assert_eq!(rpc.kind(), Some(ErrorCode::UnknownSlot));
    assert_eq!(rpc.data, Some(json!({"slotId": "ghost"})));

    let err = bounded(client.call("nope", json!({})))
        .await
        .expect_err("fails");
    assert_eq!(err.rpc().map(|e| e.code), Some(-32601));

    let err = bounded(client.call("panic", json!({})))
        .await
        .expect_err("fails");
    assert_eq!(err.rpc().map(|e| e.code), Some(-32603));
    // The connection survived the panic.
    assert!(bounded(client.call("echo", json!({}))).await.is_ok());

    // A reply larger than the limit becomes an error, never an over-long line.
    let err = bounded(client.call("big", json!({})))
        .await
        .expect_err("too big");
    let rpc = err.rpc().expect("rpc error");
    assert_eq!(rpc.code, -32603);
    assert_eq!(
        rpc.data.as_ref().and_then(|d| d.get("maxBytes")),
        Some(&json!(1024))
    );
    server.stop().await;
}

#[tokio::test]
async fn malformed_lines_get_error_replies_and_the_connection_survives() {
    let server = start(
        Endpoint::parse("tcp://127.0.0.1:0").expect("parse"),
        small_limit(),
    )
    .await;
    let mut conn = RawConn::open(&server.endpoint).await;

    conn.send(b"{not json\n").await;
    let reply = conn.reply().await;
    assert_eq!(reply["error"]["code"], json!(-32700));
    assert_eq!(reply["id"], Value::Null);

    conn.send(b"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"}]\n")
        .await;
    assert_eq!(conn.reply().await["error"]["code"], json!(-32600));

    // Over the 1024-byte limit, split over writes: one error, then business as usual.
    let long = format!("{{\"pad\":\"{}\"}}\n", "y".repeat(5000));
    conn.send(&long.as_bytes()[..3000]).await;
    conn.send(&long.as_bytes()[3000..]).await;
    let reply = conn.reply().await;
    assert_eq!(reply["error"]["code"], json!(-32600));
    assert_eq!(reply["error"]["data"]["maxBytes"], json!(1024));

    // A notification gets no reply: the next line read answers the request after it.
    conn.send(b"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"n\":1}}\n")
        .await;
    conn.send(b"{\"jsonrpc\":\"2.0\",\"id\":\"r2\",\"method\":\"echo\",\"params\":{\"n\":2}}\n")
        .await;
    let reply = conn.reply().await;
    assert_eq!(reply["id"], json!("r2"));
    assert_eq!(reply["result"], json!({"n": 2}));

    conn.send(&[0xff, 0xfe, b'\n']).await;
    assert_eq!(conn.reply().await["error"]["code"], json!(-32700));
    server.stop().await;
}

#[tokio::test]
async fn the_client_reports_a_daemon_that_goes_away() {
    let server = start(
        Endpoint::parse("tcp://127.0.0.1:0").expect("parse"),
        small_limit(),
    )
    .await;
    let client = IpcClient::connect_with_token(&server.endpoint, TOKEN)
        .await
        .expect("connect");
    let pending = {
        let client = client.clone();
        tokio::spawn(async move { client.call("slow", json!({})).await })
    };
    // Make sure the slow call reached the daemon before stopping it.
    assert!(bounded(client.call("echo", json!({}))).await.is_ok());
    server.stop().await;
    match bounded(pending).await.expect("join") {
        Err(ClientError::Disconnected(_)) => {}
        other => panic!("expected Disconnected, got {other:?}"),
    }
    match bounded(client.call("echo", json!({}))).await {
        Err(ClientError::Disconnected(_)) => {}
        other => panic!("expected Disconnected, got {other:?}"),
    }
    assert!(client.is_closed());
}

#[tokio::test]
async fn connecting_to_nothing_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let endpoint = if cfg!(unix) {
        Endpoint::Unix(dir.path().join("absent.sock"))
    } else {
        Endpoint::parse("tcp://127.0.0.1:1").expect("parse")
    };
    let err = IpcClient::connect(&endpoint)
        .await
        .err()
        .expect("must fail");
    let msg = err.to_string();
    assert!(msg.contains("is missiond running?"), "{msg}");
    assert!(msg.contains(&endpoint.to_string()), "{msg}");
}

#[tokio::test]
async fn tcp_connections_get_nothing_before_the_token() {
    let server = start(
        Endpoint::parse("tcp://127.0.0.1:0").expect("parse"),
        ServerConfig::default(),
    )
    .await;
    let not_allowed = json!(ErrorCode::NotAllowed.code());

    // A call straight away: refused, and the connection closed.
    let mut conn = RawConn::open_bare(&server.endpoint).await;
    conn.send(b"{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"echo\",\"params\":{\"leak\":1}}\n")
        .await;
    let reply = conn.reply().await;
    assert_eq!(reply["error"]["code"], not_allowed, "{reply}");
    assert_eq!(reply["id"], json!(7));
    assert!(reply.get("result").is_none(), "{reply}");
    assert!(
        conn.closed().await,
        "the connection stays open after a refusal"
    );

    // A wrong token, and a token of the right length but wrong: refused and closed.
    for wrong in ["nope", "test-token-0123456780"] {
        let mut conn = RawConn::open_bare(&server.endpoint).await;
        let auth =
            json!({"jsonrpc": "2.0", "id": 1, "method": "ipc.auth", "params": {"token": wrong}});
        conn.send(format!("{auth}\n").as_bytes()).await;
        let reply = conn.reply().await;
        assert_eq!(reply["error"]["code"], not_allowed, "{wrong}: {reply}");
        assert!(conn.closed().await, "{wrong}: still open");
    }

    // The client: a wrong token is a clear error; the right one works.
    match IpcClient::connect_with_token(&server.endpoint, "wrong").await {
        Err(ClientError::Auth { reason, .. }) => assert!(reason.contains("token"), "{reason}"),
        Err(other) => panic!("expected an Auth error, got {other}"),
        Ok(_) => panic!("a wrong token was accepted"),
    }
    let client = IpcClient::connect_with_token(&server.endpoint, TOKEN)
        .await
        .expect("the right token");
    let out = bounded(client.call("echo", json!({"n": 1})))
        .await
        .expect("echo");
    assert_eq!(out, json!({"n": 1}));

    // Silence: closed after the auth timeout.
    let mut conn = RawConn::open_bare(&server.endpoint).await;
    let reply = conn.reply().await;
    assert_eq!(reply["error"]["code"], not_allowed, "{reply}");
    assert!(conn.closed().await);
    server.stop().await;
}
