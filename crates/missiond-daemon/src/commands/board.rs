//! `missiond board`: the URL that opens the board in a browser, token included.

use anyhow::Result;
use missiond_core::ipc::{IpcClient, web_access};

/// The board's URL: the daemon's web address as `http://`, with the token of its
/// current start (asked of the daemon).
pub async fn url(client: &IpcClient) -> Result<String> {
    let access = web_access(client).await?;
    Ok(format!("{}/?token={}", access.http_url(), access.token))
}
