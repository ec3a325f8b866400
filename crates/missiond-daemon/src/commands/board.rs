//! `missiond board`: the URL that opens the board in a browser, token included.

use anyhow::{Context, Result, bail};
use missiond_core::catalogue::{self as cat, EmptyParams};
use missiond_core::ipc::IpcClient;
use missiond_core::paths::Paths;

/// The board's URL: the daemon's web address (`mission_health`'s `webUrl`, as `http://`)
/// with the token of its current start.
pub async fn url(client: &IpcClient, paths: &Paths) -> Result<String> {
    let health = client
        .tool::<cat::Health>(&EmptyParams {})
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let Some(web) = health.web_url else {
        let why = health.warnings.join("; ");
        bail!("the daemon's web server is not running: {why}");
    };
    let base = match web.strip_prefix("ws://") {
        Some(rest) => format!("http://{rest}"),
        None => web,
    };
    let file = paths.web_token_file();
    let token = std::fs::read_to_string(&file)
        .with_context(|| format!("reading the web token {}", file.display()))?;
    Ok(format!(
        "{}/?token={}",
        base.trim_end_matches('/'),
        token.trim()
    ))
}
