//! A typed async client: many calls in flight over one connection, matched by id.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::codec::{FramedRead, FramedWrite};

use super::auth;
use super::codec::{DEFAULT_MAX_LINE_BYTES, Frame, LineCodec};
use super::protocol::{Id, Request, Response, RpcError};
use super::transport::{Endpoint, TransportError};
use crate::catalogue::Tool;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Could not reach the daemon.
    #[error("{0} (is missiond running?)")]
    Connect(#[from] TransportError),
    /// The connection closed before the reply came (the daemon stopped or crashed).
    #[error("the connection to missiond closed: {0}")]
    Disconnected(String),
    /// The daemon answered with an error.
    #[error("missiond: {0}")]
    Rpc(#[from] RpcError),
    /// The params could not be serialised.
    #[error("cannot serialise params for {method}: {source}")]
    Params {
        /// The method called.
        method: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// The result did not have the expected shape.
    #[error("unexpected result from {method}: {source}")]
    Result {
        /// The method called.
        method: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// A TCP endpoint wants the daemon's token, and none could be shown or it was refused.
    #[error("cannot authenticate to the daemon at {endpoint}: {reason}")]
    Auth {
        /// The endpoint.
        endpoint: String,
        /// Why.
        reason: String,
    },
    /// No reply within the time given to [`IpcClient::call_with_timeout`].
    #[error("no reply to {method} within {timeout:?}")]
    Timeout {
        /// The method called.
        method: String,
        /// The time allowed.
        timeout: Duration,
    },
}

impl ClientError {
    /// The daemon's error, when the daemon sent one.
    pub fn rpc(&self) -> Option<&RpcError> {
        match self {
            ClientError::Rpc(e) => Some(e),
            _ => None,
        }
    }
}

type Reply = Result<Value, ClientError>;

struct Shared {
    pending: Mutex<HashMap<i64, oneshot::Sender<Reply>>>,
    /// Set once the connection is gone; new calls fail at once with it.
    closed: Mutex<Option<String>>,
}

impl Shared {
    fn close(&self, reason: String) {
        let mut closed = self.closed.lock().unwrap_or_else(|e| e.into_inner());
        closed.get_or_insert(reason.clone());
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        for (_, waiter) in pending {
            let _ = waiter.send(Err(ClientError::Disconnected(reason.clone())));
        }
    }
}

struct Inner {
    shared: Arc<Shared>,
    outgoing: mpsc::Sender<String>,
    next_id: AtomicI64,
    tasks: [JoinHandle<()>; 2],
}

impl Drop for Inner {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A connection to missiond. Cheap to clone; clones share the connection, and calls
/// from any of them may run concurrently.
#[derive(Clone)]
pub struct IpcClient {
    inner: Arc<Inner>,
    /// Sent with every call as `params._meta.requestId` (see `crate::jarvis`).
    request_id: Option<Arc<str>>,
}

impl IpcClient {
    /// Connects with the default message limit. On a TCP endpoint it first shows the
    /// daemon's token, from `MISSION_IPC_TOKEN` or `$MISSIOND_HOME/ipc-token` (see
    /// [`super::auth`]).
    pub async fn connect(endpoint: &Endpoint) -> Result<IpcClient, ClientError> {
        IpcClient::connect_with_limit(endpoint, DEFAULT_MAX_LINE_BYTES).await
    }

    /// Connects, refusing replies longer than `max_line_bytes` (token as [`Self::connect`]).
    pub async fn connect_with_limit(
        endpoint: &Endpoint,
        max_line_bytes: usize,
    ) -> Result<IpcClient, ClientError> {
        // Connect first: "nothing listens" must stay a connect error (mission-mcp then
        // starts a daemon, which writes the token before it listens).
        let client = IpcClient::open_unauthenticated(endpoint, max_line_bytes).await?;
        if let Endpoint::Tcp(_) = endpoint {
            let token = auth::client_token().map_err(|e| ClientError::Auth {
                endpoint: endpoint.to_string(),
                reason: e.to_string(),
            })?;
            client.authenticate(endpoint, &token).await?;
        }
        Ok(client)
    }

    /// Connects showing `token` on a TCP endpoint (it is not needed, and not sent, on a
    /// Unix socket).
    pub async fn connect_with_token(
        endpoint: &Endpoint,
        token: &str,
    ) -> Result<IpcClient, ClientError> {
        let client = IpcClient::open_unauthenticated(endpoint, DEFAULT_MAX_LINE_BYTES).await?;
        if let Endpoint::Tcp(_) = endpoint {
            client.authenticate(endpoint, token).await?;
        }
        Ok(client)
    }

    /// The first message on a TCP connection (see [`auth`]).
    async fn authenticate(&self, endpoint: &Endpoint, token: &str) -> Result<(), ClientError> {
        let params = serde_json::json!({ "token": token });
        let failed = |reason: String| ClientError::Auth {
            endpoint: endpoint.to_string(),
            reason,
        };
        match self
            .call_with_timeout(auth::AUTH_METHOD, params, auth::AUTH_TIMEOUT)
            .await
        {
            Ok(_) => Ok(()),
            Err(ClientError::Rpc(e)) => Err(failed(e.message)),
            Err(e) => Err(failed(e.to_string())),
        }
    }

    async fn open_unauthenticated(
        endpoint: &Endpoint,
        max_line_bytes: usize,
    ) -> Result<IpcClient, ClientError> {
        let (read, write) = endpoint.connect().await?.into_split();
        let shared = Arc::new(Shared {
            pending: Mutex::new(HashMap::new()),
            closed: Mutex::new(None),
        });
        let (outgoing, mut rx) = mpsc::channel::<String>(64);
        let writer_shared = shared.clone();
        let writer = tokio::spawn(async move {
            let mut sink = FramedWrite::new(write, LineCodec::new(usize::MAX));
            while let Some(line) = rx.recv().await {
                if let Err(e) = sink.send(line).await {
                    writer_shared.close(format!("write failed: {e}"));
                    return;
                }
            }
        });
        let reader_shared = shared.clone();
        let reader = tokio::spawn(async move {
            let mut frames = FramedRead::new(read, LineCodec::new(max_line_bytes));
            let reason = loop {
                match frames.next().await {
                    None => break "the daemon closed the connection".to_string(),
                    Some(Err(e)) => break format!("read failed: {e}"),
                    Some(Ok(Frame::TooLong)) => {
                        // Cannot tell which call it answered; that call will wait for
                        // its timeout or the connection's end.
                        tracing::warn!(max_line_bytes, "missiond sent an over-long reply");
                    }
                    Some(Ok(Frame::Line(line))) => deliver(&reader_shared, &line),
                }
            };
            reader_shared.close(reason);
        });
        Ok(IpcClient {
            request_id: None,
            inner: Arc::new(Inner {
                shared,
                outgoing,
                next_id: AtomicI64::new(1),
                tasks: [writer, reader],
            }),
        })
    }

    /// A handle on the same connection whose calls all carry request id `id` (one CLI
    /// command is one request, whatever calls it makes); an id already in a call's
    /// `params._meta` wins.
    pub fn with_request_id(&self, id: &str) -> IpcClient {
        IpcClient {
            inner: self.inner.clone(),
            request_id: Some(id.into()),
        }
    }

    /// Calls `method` with `params` (a JSON object) and waits for the reply.
    pub async fn call(&self, method: &str, mut params: Value) -> Result<Value, ClientError> {
        if let Some(request_id) = &self.request_id {
            crate::jarvis::request_id::attach(&mut params, request_id);
        }
        let inner = &self.inner;
        let id = inner.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        {
            // Check and register under the same lock order as `close` to not miss it.
            let closed = inner
                .shared
                .closed
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if let Some(reason) = closed.as_ref() {
                return Err(ClientError::Disconnected(reason.clone()));
            }
            inner
                .shared
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id, tx);
        }
        // Unregisters the call if this future is dropped (timeout, cancellation).
        let _guard = PendingGuard {
            shared: &inner.shared,
            id,
        };
        let request = Request {
            id: Some(Id::Number(id)),
            method: method.to_string(),
            params,
        };
        if inner
            .outgoing
            .send(request.to_value().to_string())
            .await
            .is_err()
        {
            return Err(ClientError::Disconnected("the writer stopped".into()));
        }
        rx.await
            .unwrap_or_else(|_| Err(ClientError::Disconnected("the reply was dropped".into())))
    }

    /// [`Self::call`] with a deadline; on timeout the late reply, if any, is discarded.
    pub async fn call_with_timeout(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, ClientError> {
        match tokio::time::timeout(timeout, self.call(method, params)).await {
            Ok(reply) => reply,
            Err(_) => Err(ClientError::Timeout {
                method: method.to_string(),
                timeout,
            }),
        }
    }

    /// Calls with typed params and result.
    pub async fn call_typed<P: Serialize, R: DeserializeOwned>(
        &self,
        method: &str,
        params: &P,
    ) -> Result<R, ClientError> {
        let params = serde_json::to_value(params).map_err(|source| ClientError::Params {
            method: method.to_string(),
            source,
        })?;
        let value = self.call(method, params).await?;
        serde_json::from_value(value).map_err(|source| ClientError::Result {
            method: method.to_string(),
            source,
        })
    }

    /// Calls a catalogue tool: `client.tool::<PtyStatus>(&SlotParams { .. })`.
    pub async fn tool<T: Tool>(&self, params: &T::Params) -> Result<T::Output, ClientError> {
        self.call_typed(T::NAME, params).await
    }

    /// Sends a notification (no reply, no error from the daemon).
    pub async fn notify(&self, method: &str, params: Value) -> Result<(), ClientError> {
        let request = Request {
            id: None,
            method: method.to_string(),
            params,
        };
        self.inner
            .outgoing
            .send(request.to_value().to_string())
            .await
            .map_err(|_| ClientError::Disconnected("the writer stopped".into()))
    }

    /// Whether the connection is known to be closed.
    pub fn is_closed(&self) -> bool {
        self.inner
            .shared
            .closed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }
}

struct PendingGuard<'a> {
    shared: &'a Shared,
    id: i64,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.shared
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

/// Hands one reply line to the call waiting for it.
fn deliver(shared: &Shared, line: &[u8]) {
    let response = match serde_json::from_slice::<Value>(line)
        .map_err(|e| e.to_string())
        .and_then(Response::from_value)
    {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "unreadable reply from missiond");
            return;
        }
    };
    let Some(Id::Number(id)) = response.id else {
        // A reply with no usable id: the daemon could not read something we sent.
        if let Err(e) = response.outcome {
            tracing::warn!(error = %e, "missiond refused a message");
        }
        return;
    };
    let waiter = shared
        .pending
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&id);
    if let Some(waiter) = waiter {
        let _ = waiter.send(response.outcome.map_err(ClientError::Rpc));
    }
}
