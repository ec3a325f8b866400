//! Finding the daemon's WebSocket/HTTP server from a client: its address from
//! `mission_health`, its token from `$MISSIOND_HOME/web-token` (readable by the daemon's
//! user only, which is what makes the token worth asking for).

use std::path::PathBuf;

use crate::catalogue::{EmptyParams, Health};
use crate::paths::Paths;

use super::{ClientError, IpcClient};

/// Where the web server listens and what it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAccess {
    /// `ws://127.0.0.1:PORT`, as `mission_health` reports it.
    pub ws_url: String,
    /// The token of the daemon's current start.
    pub token: String,
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
    /// The daemon did not answer `mission_health`.
    #[error("asking the daemon for its health: {0}")]
    Health(#[from] ClientError),
    /// The daemon runs without its web server (the port was taken, ...).
    #[error("the daemon's web server is not running: {0}")]
    NotRunning(String),
    /// The token file could not be read (another user's daemon, or none started yet).
    #[error("reading the web token {}: {source}", .path.display())]
    Token {
        /// The token file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// The daemon's web server, as `client` (connected to the daemon of `paths`) finds it.
pub async fn web_access(client: &IpcClient, paths: &Paths) -> Result<WebAccess, WebAccessError> {
    let health = client.tool::<Health>(&EmptyParams {}).await?;
    let Some(ws_url) = health.web_url else {
        return Err(WebAccessError::NotRunning(health.warnings.join("; ")));
    };
    let path = paths.web_token_file();
    let token =
        std::fs::read_to_string(&path).map_err(|source| WebAccessError::Token { path, source })?;
    Ok(WebAccess {
        ws_url: ws_url.trim_end_matches('/').to_string(),
        token: token.trim().to_string(),
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
        };
        assert_eq!(access.http_url(), "http://127.0.0.1:9120");
    }
}
