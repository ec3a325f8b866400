//! `missiond board`: the URL that opens the board in a browser, token included.

use anyhow::{Result, bail};
use missiond_core::ipc::{IpcClient, web_access};

/// The board's URL: the daemon's web address as `http://`, with the token of its
/// current start (asked of the daemon); with `view`, the read-only token, for sharing
/// the address with someone who may watch but not act.
pub async fn url(client: &IpcClient, view: bool) -> Result<String> {
    let access = web_access(client).await?;
    let token = if view {
        match &access.view_token {
            Some(t) => t.clone(),
            None => bail!(
                "this daemon has no read-only board token (it predates `missiond board --view`)"
            ),
        }
    } else {
        access.token.clone()
    };
    Ok(format!("{}/?token={token}", access.http_url()))
}
