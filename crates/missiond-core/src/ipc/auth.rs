//! The token a TCP connection must show before anything else is served.
//!
//! A Unix socket is reachable only by its owner (0600 socket in a 0700 folder), but a
//! TCP port on loopback is open to every user of the machine: without a token, another
//! user could spawn a slot and run code as the daemon's user. So on TCP endpoints the
//! first message must be [`AUTH_METHOD`] with the token; until then the daemon answers
//! nothing but a `not_allowed` error, and it closes the connection after a wrong token,
//! a message that is not the token, or [`AUTH_TIMEOUT`] of silence.
//!
//! The daemon takes the token from [`ENV_IPC_TOKEN`], else makes a new one at each start
//! and writes it to `$MISSIOND_HOME/ipc-token` (mode 0600, in the 0700 home), before it
//! listens. Clients take it from [`ENV_IPC_TOKEN`], else from that file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::paths::Paths;

/// The method a TCP connection opens with: `{"token": "..."}`, answered `{"ok": true}`.
pub const AUTH_METHOD: &str = "ipc.auth";

/// `MISSION_IPC_TOKEN`: the token for TCP endpoints (daemon and clients).
pub const ENV_IPC_TOKEN: &str = "MISSION_IPC_TOKEN";

/// The token file's name in the daemon's home.
pub const TOKEN_FILE: &str = "ipc-token";

/// How long a new TCP connection has to authenticate before it is closed.
pub const AUTH_TIMEOUT: Duration = Duration::from_secs(10);

/// The params of [`AUTH_METHOD`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthParams {
    /// The token.
    pub token: String,
}

/// The token file of a daemon home.
pub fn token_file(home: &Path) -> PathBuf {
    home.join(TOKEN_FILE)
}

/// Why a client has no token to show.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The environment does not say where the home is.
    #[error("{ENV_IPC_TOKEN} is unset and the daemon's home cannot be found: {0}")]
    Paths(#[from] crate::paths::PathsError),
    /// The token file could not be read.
    #[error(
        "{ENV_IPC_TOKEN} is unset and the token file {} cannot be read ({source}); \
         a TCP endpoint needs the daemon's token: run as the daemon's user, or set {ENV_IPC_TOKEN}",
        .path.display()
    )]
    File {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The token file is empty.
    #[error("the token file {} is empty", .0.display())]
    Empty(PathBuf),
}

/// The token a client shows: [`ENV_IPC_TOKEN`], else the file in the home the
/// environment names (`MISSIOND_HOME`, else `~/.missiond`).
pub fn client_token() -> Result<String, TokenError> {
    if let Some(token) = std::env::var(ENV_IPC_TOKEN)
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
    {
        return Ok(token);
    }
    read_token_file(&token_file(&Paths::from_env()?.home))
}

/// Reads a token file (surrounding whitespace ignored).
pub fn read_token_file(path: &Path) -> Result<String, TokenError> {
    let text = std::fs::read_to_string(path).map_err(|source| TokenError::File {
        path: path.to_path_buf(),
        source,
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(TokenError::Empty(path.to_path_buf()));
    }
    Ok(token.to_string())
}

/// Writes `token` to `path` readable by this user only; a file left there before is
/// replaced whatever its mode was (it is never opened for writing as it is).
pub fn write_token_file(path: &Path, token: &str) -> std::io::Result<()> {
    use std::io::Write;
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(token.as_bytes())?;
    file.sync_all()
}

/// Compares without stopping at the first difference, so the time taken says nothing
/// about how much of a guess was right.
pub fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc123", "abc123"));
        assert!(!same_secret("abc124", "abc123"));
        assert!(!same_secret("abc12", "abc123"));
        assert!(!same_secret("", "abc123"));
    }

    #[cfg(unix)]
    #[test]
    fn the_token_file_is_private_and_replaced() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = token_file(dir.path());
        std::fs::write(&path, "old").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        write_token_file(&path, "new-token").expect("write token");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(read_token_file(&path).expect("read"), "new-token");
        std::fs::write(&path, "  \n").expect("write");
        assert!(matches!(read_token_file(&path), Err(TokenError::Empty(_))));
    }
}

/// A token that never shows in `Debug` output (logs, panics).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// Wraps `token`.
    pub fn new(token: impl Into<String>) -> Self {
        SecretToken(token.into())
    }

    /// The token itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretToken(..)")
    }
}
