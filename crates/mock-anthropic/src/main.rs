//! `mock-anthropic`: serve a scenario until SIGTERM or SIGINT.

use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use mock_anthropic::{Scenario, Server, ServerConfig};

/// A scripted Anthropic Messages API server for running Claude Code offline.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Scenario file (YAML).
    #[arg(long)]
    scenario: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Write every request as a JSON line to this file (truncated at start).
    #[arg(long)]
    log: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let scenario = Scenario::from_file(&args.scenario)
        .with_context(|| format!("loading scenario {}", args.scenario.display()))?;
    let server = Server::start_with(ServerConfig {
        scenario,
        host: args.host,
        port: args.port,
        log_file: args.log,
    })
    .context("starting the server")?;

    // Scripts read the port from this one line: print it only once the port is bound.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {}", server.base_url()).context("writing to stdout")?;
    stdout.flush().context("flushing stdout")?;
    drop(stdout);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("building the signal runtime")?;
    let signal = runtime
        .block_on(wait_for_signal())
        .context("waiting for a signal")?;
    tracing::info!(signal, "stopping");
    server.stop();
    Ok(())
}

/// Resolves with the name of the first SIGTERM or SIGINT.
async fn wait_for_signal() -> std::io::Result<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        tokio::select! {
            _ = term.recv() => Ok("SIGTERM"),
            _ = int.recv() => Ok("SIGINT"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await?;
        Ok("ctrl-c")
    }
}
