//! The generic server loop: accept, read lines, dispatch to a [`Handler`], write replies.
//!
//! Each request runs in its own task, so a slow call (a `mission_pty_send` waiting for a
//! whole turn) does not hold up other calls on the same connection; replies go out in
//! completion order and are matched by id.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::{FutureExt, SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::codec::{FramedRead, FramedWrite};

use super::auth::{AUTH_METHOD, AUTH_TIMEOUT, AuthParams, SecretToken, same_secret};
use super::codec::{DEFAULT_MAX_LINE_BYTES, Frame, LineCodec};
use super::protocol::{Request, Response, RpcError, parse_request};
use super::transport::{IpcStream, Listener};

/// What the daemon supplies: one call per request.
///
/// Implement it with `async fn handle(&self, method: &str, params: Value) -> Result<Value,
/// RpcError>`; the returned future must be `Send` because it runs on the tokio pool.
/// `params` is always a JSON object (`{}` when the request had none).
pub trait Handler: Send + Sync + 'static {
    /// Runs `method` with `params`. Notifications are dispatched too; their result is
    /// dropped.
    fn handle(
        &self,
        method: &str,
        params: Value,
    ) -> impl Future<Output = Result<Value, RpcError>> + Send;
}

/// Limits for a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Longest accepted message (and longest reply sent), in bytes.
    pub max_line_bytes: usize,
    /// Requests one connection may have running at once; further requests wait their
    /// turn (reading from the connection pauses), which bounds memory per client.
    pub max_in_flight_per_connection: usize,
    /// The token TCP connections must show first (see [`super::auth`]); `None` serves
    /// TCP connections without one (only for tests: loopback is open to every user).
    /// Unix socket connections never need it.
    pub tcp_token: Option<SecretToken>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            max_in_flight_per_connection: 64,
            tcp_token: None,
        }
    }
}

/// Serves `listener` until `shutdown` completes; then stops accepting and closes every
/// connection (calls still running are cancelled).
pub async fn serve<H: Handler>(
    listener: Listener,
    handler: Arc<H>,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) {
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(stream) => {
                    connections.spawn(serve_connection(stream, handler.clone(), config.clone()));
                }
                Err(e) => {
                    // EMFILE and friends: back off briefly rather than spin.
                    tracing::warn!(error = %e, "accepting an IPC connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            // Reap finished connections so the set does not grow forever.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

/// Serves one connection until the peer closes it or it fails. Dropping the returned
/// future (as [`serve`] does at shutdown) cancels the calls still running on it.
pub async fn serve_connection<H: Handler>(
    stream: IpcStream,
    handler: Arc<H>,
    config: ServerConfig,
) {
    let token = match stream {
        IpcStream::Tcp(_) => config.tcp_token.clone(),
        #[cfg(unix)]
        IpcStream::Unix(_) => None,
    };
    let (read, write) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<String>(64);
    let writer = async move {
        let mut sink = FramedWrite::new(write, LineCodec::new(usize::MAX));
        while let Some(line) = rx.recv().await {
            if let Err(e) = sink.send(line).await {
                tracing::debug!(error = %e, "IPC client went away while replying");
                break;
            }
        }
    };
    let reader = async move {
        let max = config.max_line_bytes;
        let mut frames = FramedRead::new(read, LineCodec::new(max));
        if let Some(token) = token
            && !authenticate(&mut frames, &token, &tx, max).await
        {
            // Dropping `tx` lets the writer send the refusal, then the connection closes.
            return;
        }
        read_requests(frames, handler, config, tx).await;
    };
    tokio::join!(reader, writer);
}

/// Waits for the connection's first message and checks it is [`AUTH_METHOD`] with
/// `token`. Answers it either way; `false` means the connection must be closed.
async fn authenticate(
    frames: &mut FramedRead<super::transport::BoxRead, LineCodec>,
    token: &SecretToken,
    tx: &mpsc::Sender<String>,
    max: usize,
) -> bool {
    let refuse = |id, method: &str, why: &str| {
        encode(
            &Response::error(id, RpcError::not_allowed(method, why)),
            max,
        )
    };
    let first = match tokio::time::timeout(AUTH_TIMEOUT, frames.next()).await {
        Ok(Some(Ok(Frame::Line(line)))) => line,
        Ok(None | Some(Err(_))) => return false,
        Ok(Some(Ok(Frame::TooLong))) | Err(_) => {
            let why = "this TCP endpoint wants the daemon's token first (ipc.auth {\"token\": ...}); the connection is closed";
            let _ = tx.send(refuse(None, AUTH_METHOD, why)).await;
            return false;
        }
    };
    let request = match parse_request(&first) {
        Ok(request) => request,
        Err(_) => {
            let why = "the first message on a TCP endpoint must be ipc.auth with the token";
            let _ = tx.send(refuse(None, AUTH_METHOD, why)).await;
            return false;
        }
    };
    if request.method != AUTH_METHOD {
        let why = format!(
            "this TCP endpoint serves nothing before the daemon's token: send {AUTH_METHOD} {{\"token\": ...}} first (clients read {} or $MISSIOND_HOME/{}); the connection is closed",
            super::auth::ENV_IPC_TOKEN,
            super::auth::TOKEN_FILE
        );
        let _ = tx.send(refuse(request.id, &request.method, &why)).await;
        return false;
    }
    let given = serde_json::from_value::<AuthParams>(request.params).map(|p| p.token);
    if !given.is_ok_and(|given| same_secret(&given, token.expose())) {
        let why = "wrong or missing token; the connection is closed";
        let _ = tx.send(refuse(request.id, AUTH_METHOD, why)).await;
        return false;
    }
    if let Some(id) = request.id {
        let _ = tx
            .send(encode(&Response::success(id, json!({"ok": true})), max))
            .await;
    }
    true
}

/// Reads and dispatches requests; returns once the peer stopped sending and every call
/// it made has replied.
async fn read_requests<H: Handler>(
    mut frames: FramedRead<super::transport::BoxRead, LineCodec>,
    handler: Arc<H>,
    config: ServerConfig,
    tx: mpsc::Sender<String>,
) {
    let max = config.max_line_bytes;
    let permits = Arc::new(Semaphore::new(config.max_in_flight_per_connection.max(1)));
    let mut calls = JoinSet::new();
    loop {
        let frame = tokio::select! {
            frame = frames.next() => frame,
            // Reap finished calls so the set does not grow with the connection's age.
            Some(_) = calls.join_next(), if !calls.is_empty() => continue,
        };
        let line = match frame {
            None => break,
            Some(Ok(Frame::Line(line))) => line,
            Some(Ok(Frame::TooLong)) => {
                let err = RpcError::invalid_request(format!("message longer than {max} bytes"))
                    .with_data(json!({ "maxBytes": max }));
                if tx
                    .send(encode(&Response::error(None, err), max))
                    .await
                    .is_err()
                {
                    break;
                }
                continue;
            }
            Some(Err(e)) => {
                tracing::debug!(error = %e, "IPC connection read failed");
                break;
            }
        };
        let request = match parse_request(&line) {
            Ok(request) => request,
            Err(reply) => {
                if tx.send(encode(&reply, max)).await.is_err() {
                    break;
                }
                continue;
            }
        };
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        calls.spawn(run_call(handler.clone(), request, tx.clone(), max, permit));
    }
    while calls.join_next().await.is_some() {}
}

/// Runs one call and sends its reply (none for a notification). A panicking handler
/// becomes an internal error reply instead of a reply that never comes.
async fn run_call<H: Handler>(
    handler: Arc<H>,
    request: Request,
    tx: mpsc::Sender<String>,
    max_line_bytes: usize,
    _permit: tokio::sync::OwnedSemaphorePermit,
) {
    let Request {
        id,
        method,
        mut params,
    } = request;
    // The request id minted at the client's edge (or here, for clients that send none)
    // goes on a span, so every event the call logs carries it (see `crate::jarvis`).
    let request_id = crate::jarvis::request_id::take(&mut params)
        .unwrap_or_else(|| crate::jarvis::request_id::mint("ipc"));
    // At ERROR level so that whatever level a subscriber keeps, the span (and with it
    // the id) is there for the events it does keep.
    let span = tracing::error_span!("request", request_id = %request_id, method = %method);
    let call = AssertUnwindSafe(handler.handle(&method, params)).catch_unwind();
    let outcome =
        tracing::Instrument::instrument(crate::jarvis::request_id::scope(request_id, call), span)
            .await
            .unwrap_or_else(|_| {
                tracing::error!(%method, "IPC handler panicked");
                Err(RpcError::internal(format!(
                    "the handler for {method} panicked"
                )))
            });
    match id {
        Some(id) => {
            let reply = Response {
                id: Some(id),
                outcome,
            };
            let _ = tx.send(encode(&reply, max_line_bytes)).await;
        }
        None => {
            if let Err(e) = outcome {
                tracing::debug!(%method, error = %e, "notification failed");
            }
        }
    }
}

/// Serialises a reply; one that would exceed the line limit becomes an error reply so the
/// client is never sent a line it must refuse.
fn encode(reply: &Response, max_line_bytes: usize) -> String {
    let line = reply.to_value().to_string();
    if line.len() <= max_line_bytes {
        return line;
    }
    let err = RpcError::internal(format!(
        "the reply is {} bytes, more than the {max_line_bytes}-byte message limit; ask for less",
        line.len()
    ))
    .with_data(json!({ "bytes": line.len(), "maxBytes": max_line_bytes }));
    Response::error(reply.id.clone(), err)
        .to_value()
        .to_string()
}
