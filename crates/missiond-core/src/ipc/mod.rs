//! IPC between missiond and its clients: newline-delimited JSON-RPC 2.0 over a Unix
//! socket or TCP loopback. See `docs/ipc.md`.

pub mod auth;
pub mod client;
pub mod codec;
pub mod protocol;
pub mod server;
pub mod transport;
pub mod web;

pub use auth::SecretToken;
pub use client::{ClientError, IpcClient};
pub use protocol::{ErrorCode, Id, Request, Response, RpcError};
pub use server::{Handler, ServerConfig, serve, serve_connection};
pub use transport::{Endpoint, IpcStream, Listener, TransportError};
/// Internal method: the daemon stops as on SIGTERM (`missiond stop`). Only the main
/// endpoint serves it; slots' own endpoints refuse it like every orchestrator method.
pub const STOP_METHOD: &str = "daemon.stop";

pub use web::{WEB_ACCESS_METHOD, WebAccess, WebAccessError, WebAccessReply, web_access};
