//! `missiond-attach SLOT`: a live slot of the missiond daemon in your terminal.
//!
//! It finds the daemon's WebSocket server through `mission_health` (or `--url`), attaches
//! to `/pty/SLOT`, repaints the slot's screen on the alternate screen and then shows its
//! output as it comes, while your keys go to the slot (not with `--view`). `Ctrl-]`
//! detaches and leaves the slot running; the slot's process ending detaches too.

mod session;

use anyhow::{Context, Result};
use clap::Parser;
use missiond_core::ipc::{IpcClient, web_access};
use missiond_core::paths::Paths;

/// Attach your terminal to a running missiond slot.
#[derive(Debug, Parser)]
#[command(
    name = "missiond-attach",
    version,
    after_help = "Detach with Ctrl-] (the slot keeps running)."
)]
struct Cli {
    /// The slot to attach to (as in slots.yaml).
    slot: String,
    /// Watch only: your keys are not sent to the slot.
    #[arg(long)]
    view: bool,
    /// Resize the slot's terminal to yours, now and whenever yours changes (the agent
    /// redraws; other viewers see the new size too). This is the default when your
    /// terminal is smaller than the slot.
    #[arg(long, conflicts_with_all = ["view", "no_fit"])]
    fit: bool,
    /// Keep the slot's size even when your terminal is smaller: what does not fit is cut
    /// off, and the cut edge is marked.
    #[arg(long)]
    no_fit: bool,
    /// The daemon's WebSocket server (default: asked from the daemon, see MISSION_WS_PORT).
    #[arg(long, value_name = "ws://127.0.0.1:PORT", requires = "token")]
    url: Option<String>,
    /// The server's token (default: asked of the daemon over its IPC endpoint).
    #[arg(long, env = "MISSIOND_WEB_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

/// Where the daemon's WebSocket server listens and the token it asks for.
async fn web_server() -> Result<(String, String)> {
    let paths = Paths::from_env().context("reading the environment")?;
    let client = IpcClient::connect(&paths.ipc_endpoint)
        .await
        .with_context(|| {
            format!(
                "no missiond daemon answers at {} (start it with `missiond`)",
                paths.ipc_endpoint
            )
        })?;
    let access = web_access(&client).await?;
    Ok((access.ws_url, access.token))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let cli = Cli::parse();
    let result = async {
        let (base, token) = match (cli.url.clone(), cli.token.clone()) {
            (Some(url), Some(token)) => (url, token),
            _ => web_server().await?,
        };
        session::run(
            &base,
            &token,
            &cli.slot,
            session::Mode {
                view: cli.view,
                fit: cli.fit,
                no_fit: cli.no_fit,
            },
        )
        .await
    }
    .await;
    // Exit here rather than return: a read of stdin may still be pending on tokio's
    // blocking pool, and the runtime would wait for a key before ending.
    match result {
        Ok(message) => {
            eprintln!("missiond-attach: {message}");
            std::process::exit(0);
        }
        Err(e) => {
            eprintln!("missiond-attach: {e:#}");
            std::process::exit(1);
        }
    }
}
