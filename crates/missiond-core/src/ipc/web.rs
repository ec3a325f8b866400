//! Finding the daemon's WebSocket/HTTP server from a client: its address and token, asked
//! of the daemon over the orchestrator's IPC connection ([`WEB_ACCESS_METHOD`]).
//!
//! The token is never written to a file: a file in the daemon's home could be read by
//! anything running as the daemon's user, agents in slots included, while the method is
//! answered only on the daemon's main endpoint (not on a slot's own endpoint).

use serde::{Deserialize, Serialize};

use super::{ClientError, IpcClient};

/// The internal IPC method (not a catalogue tool, not served over `POST /rpc`) that
/// answers with [`WebAccessReply`].
pub const WEB_ACCESS_METHOD: &str = "daemon.web_access";

/// What [`WEB_ACCESS_METHOD`] answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebAccessReply {
    /// `ws://127.0.0.1:PORT`; `None` when the web server is not running.
    pub web_url: Option<String>,
    /// `http://127.0.0.1:PORT` (the board, `/rpc`); `None` when not running.
    pub http_url: Option<String>,
    /// The token of the daemon's current start (`Authorization: Bearer TOKEN`).
    pub token: String,
    /// The read-only token of the same start (`missiond board --view`): sees, never acts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_token: Option<String>,
    /// Why the web server is not running, when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Where the web server listens and what it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAccess {
    /// `ws://127.0.0.1:PORT`.
    pub ws_url: String,
    /// The token of the daemon's current start.
    pub token: String,
    /// Its read-only token, when the daemon has one.
    pub view_token: Option<String>,
}

impl WebAccess {
    /// The same server as `http://` (for the board and `/rpc`).
    pub fn http_url(&self) -> String {
        match self.ws_url.strip_prefix("ws://") {
            Some(rest) => format!("http://{rest}"),
            None => self.ws_url.clone(),
        }
    }
}

/// Why the web server cannot be reached.
#[derive(Debug, thiserror::Error)]
pub enum WebAccessError {
    /// The daemon did not answer (or refused: a slot's endpoint does not serve it).
    #[error("asking the daemon for its web server: {0}")]
    Ask(#[from] ClientError),
    /// The daemon runs without its web server (the port was taken, ...).
    #[error("the daemon's web server is not running: {0}")]
    NotRunning(String),
}

/// The daemon's web server, as `client` (connected to the daemon's main endpoint) is told.
pub async fn web_access(client: &IpcClient) -> Result<WebAccess, WebAccessError> {
    let reply: WebAccessReply = client
        .call_typed(WEB_ACCESS_METHOD, &serde_json::json!({}))
        .await?;
    let Some(ws_url) = reply.web_url else {
        return Err(WebAccessError::NotRunning(
            reply.error.unwrap_or_else(|| "no reason given".into()),
        ));
    };
    Ok(WebAccess {
        ws_url: ws_url.trim_end_matches('/').to_string(),
        token: reply.token,
        view_token: reply.view_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_http_address_is_the_same_server() {
        let access = WebAccess {
            ws_url: "ws://127.0.0.1:9120".into(),
            token: "t".into(),
            view_token: None,
        };
        assert_eq!(access.http_url(), "http://127.0.0.1:9120");
    }
}
