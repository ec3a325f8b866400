//! The connection to the daemon: opened on first use, started when no daemon answers,
//! reopened after the daemon restarts.
//!
//! A call whose connection drops before its reply may or may not have taken effect in
//! the daemon. Such a call is sent again only when its tool is read-only or idempotent;
//! otherwise the caller gets [`LinkError::OutcomeUnknown`] and decides.

use std::io::ErrorKind;
use std::time::Duration;

use missiond_core::catalogue::{Health, Tool, ToolDef};
use missiond_core::ipc::{ClientError, IpcClient, RpcError, TransportError};
use missiond_core::paths::Paths;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::launch::{self, LaunchError};
use crate::tools;

/// Calls without a `timeoutMs` argument wait at most this long for the daemon's reply.
pub const DEFAULT_CALL_CEILING: Duration = Duration::from_secs(600);
/// Added to a call's own `timeoutMs`, so the daemon's timeout error arrives first.
const CEILING_MARGIN: Duration = Duration::from_secs(60);

/// Why a call got no result from the daemon.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// No daemon answered and starting one failed.
    #[error("missiond is not running at {endpoint} and starting it failed: {source}")]
    Start {
        /// Where it was expected.
        endpoint: String,
        /// What went wrong.
        #[source]
        source: LaunchError,
    },
    /// A daemon may be there but the connection failed for another reason.
    #[error("cannot connect to missiond at {endpoint}: {source}")]
    Connect {
        /// Where it was expected.
        endpoint: String,
        /// What went wrong.
        #[source]
        source: ClientError,
    },
    /// The connection dropped while a call that must not be repeated was in flight.
    #[error(
        "the connection to missiond was lost while {tool} was in flight ({reason}), so its outcome is unknown: it may or may not have taken effect. It was not sent again. Check the current state ({health}, then the slot's status) before deciding to call it again",
        health = <Health as Tool>::NAME
    )]
    OutcomeUnknown {
        /// The tool called.
        tool: String,
        /// How the connection ended.
        reason: String,
    },
    /// No reply in time.
    #[error(
        "no reply from missiond to {tool} within {timeout:?}; its outcome is unknown (it may still be running)"
    )]
    Timeout {
        /// The tool called.
        tool: String,
        /// The time allowed.
        timeout: Duration,
    },
    /// The daemon answered with an error.
    #[error("{0}")]
    Rpc(RpcError),
    /// Anything else the client reported.
    #[error("calling missiond failed: {0}")]
    Other(ClientError),
}

/// The one connection of this server to its daemon, shared by all calls.
pub struct DaemonLink {
    paths: Paths,
    start_timeout: Duration,
    /// Whether a daemon may be started when none answers (not inside a slot, whose
    /// daemon is the one that started it).
    may_start: bool,
    client: Mutex<Option<IpcClient>>,
}

impl DaemonLink {
    /// A link to the daemon of `paths`; nothing is opened yet.
    pub fn new(paths: Paths) -> DaemonLink {
        DaemonLink {
            paths,
            start_timeout: launch::start_timeout_from_env(),
            may_start: true,
            client: Mutex::new(None),
        }
    }

    /// The same link, never starting a daemon: connection failures are reported as they
    /// are. For the server inside a slot, whose endpoint belongs to the daemon that
    /// started the slot.
    pub fn without_start(mut self) -> DaemonLink {
        self.may_start = false;
        self
    }

    /// An open connection: the current one, a new one, or one to a daemon started now.
    pub async fn client(&self) -> Result<IpcClient, LinkError> {
        let mut slot = self.client.lock().await;
        if let Some(client) = slot.as_ref().filter(|c| !c.is_closed()) {
            return Ok(client.clone());
        }
        *slot = None;
        let endpoint = &self.paths.ipc_endpoint;
        let client = match IpcClient::connect(endpoint).await {
            Ok(client) => client,
            Err(ClientError::Connect(e)) if self.may_start && nobody_listening(&e) => {
                tracing::info!(%endpoint, "no daemon answers; starting one");
                let start = || async {
                    let bin = launch::binary_from_env()?;
                    launch::start_and_connect(&bin, &self.paths, self.start_timeout).await
                };
                start().await.map_err(|source| LinkError::Start {
                    endpoint: endpoint.to_string(),
                    source,
                })?
            }
            Err(source) => {
                return Err(LinkError::Connect {
                    endpoint: endpoint.to_string(),
                    source,
                });
            }
        };
        *slot = Some(client.clone());
        Ok(client)
    }

    /// Calls `def`'s tool with `args` (a JSON object), reconnecting (and starting the
    /// daemon) as needed.
    pub async fn call(&self, def: &ToolDef, args: Value) -> Result<Value, LinkError> {
        let ceiling = call_ceiling(&args);
        let client = self.client().await?;
        match self.call_once(&client, def, args.clone(), ceiling).await {
            Err(Dropped(reason)) if tools::safe_to_resend(def) => {
                tracing::info!(tool = def.name, %reason, "connection lost; sending again");
                let client = self.client().await?;
                self.call_once(&client, def, args, ceiling)
                    .await
                    .map_err(|Dropped(reason)| LinkError::OutcomeUnknown {
                        tool: def.name.to_string(),
                        reason,
                    })?
            }
            Err(Dropped(reason)) => Err(LinkError::OutcomeUnknown {
                tool: def.name.to_string(),
                reason,
            }),
            Ok(outcome) => outcome,
        }
    }

    /// One attempt. The outer `Err` means the connection dropped mid-call.
    async fn call_once(
        &self,
        client: &IpcClient,
        def: &ToolDef,
        args: Value,
        ceiling: Duration,
    ) -> Result<Result<Value, LinkError>, Dropped> {
        match client.call_with_timeout(def.name, args, ceiling).await {
            Ok(value) => Ok(Ok(value)),
            Err(ClientError::Rpc(e)) => Ok(Err(LinkError::Rpc(e))),
            Err(ClientError::Disconnected(reason)) => {
                self.forget_closed().await;
                Err(Dropped(reason))
            }
            Err(ClientError::Timeout { method, timeout }) => Ok(Err(LinkError::Timeout {
                tool: method,
                timeout,
            })),
            Err(other) => Ok(Err(LinkError::Other(other))),
        }
    }

    /// Drops the cached connection if it is closed, so the next call opens a new one.
    async fn forget_closed(&self) {
        let mut slot = self.client.lock().await;
        if slot.as_ref().is_some_and(IpcClient::is_closed) {
            *slot = None;
        }
    }
}

/// The connection dropped before a reply; the reason as the client saw it.
struct Dropped(String);

/// Whether connecting failed because nothing listens there (so starting a daemon helps),
/// as opposed to, say, a permission problem with a live socket.
fn nobody_listening(error: &TransportError) -> bool {
    match error {
        TransportError::Io { source, .. } => matches!(
            source.kind(),
            ErrorKind::NotFound | ErrorKind::ConnectionRefused
        ),
        _ => false,
    }
}

/// How long to wait for a reply: the call's own `timeoutMs` plus a margin, else the
/// default ceiling.
fn call_ceiling(args: &Value) -> Duration {
    args.get("timeoutMs")
        .and_then(Value::as_u64)
        .map_or(DEFAULT_CALL_CEILING, |ms| {
            Duration::from_millis(ms) + CEILING_MARGIN
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ceiling_follows_the_calls_own_timeout() {
        assert_eq!(call_ceiling(&json!({})), DEFAULT_CALL_CEILING);
        assert_eq!(
            call_ceiling(&json!({"timeoutMs": 1000})),
            Duration::from_millis(1000) + CEILING_MARGIN
        );
        assert_eq!(
            call_ceiling(&json!({"timeoutMs": "soon"})),
            DEFAULT_CALL_CEILING
        );
    }

    #[test]
    fn only_absent_listeners_trigger_a_start() {
        let io = |kind| TransportError::Io {
            context: "connecting".into(),
            source: std::io::Error::from(kind),
        };
        assert!(nobody_listening(&io(ErrorKind::NotFound)));
        assert!(nobody_listening(&io(ErrorKind::ConnectionRefused)));
        assert!(!nobody_listening(&io(ErrorKind::PermissionDenied)));
    }

    #[test]
    fn outcome_unknown_says_it_was_not_resent() {
        let text = LinkError::OutcomeUnknown {
            tool: "mission_pty_send".into(),
            reason: "the daemon closed the connection".into(),
        }
        .to_string();
        assert!(text.contains("outcome is unknown"), "{text}");
        assert!(text.contains("not sent again"), "{text}");
        assert!(text.contains("mission_pty_send"), "{text}");
    }
}
