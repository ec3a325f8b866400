//! `mock-anthropic`: serve a scenario until SIGTERM or SIGINT.

use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use mock_anthropic::{Scenario, Server, ServerConfig};

/// A scripted Anthropic Messages API server for running Claude Code offline.
#[derive(Debug, Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Scenario file (YAML).
    #[arg(long, required = true)]
    scenario: Option<PathBuf>,
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

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Prepare a throwaway HOME for Claude Code (onboarding done, the fake key approved,
    /// folders trusted) and print the environment a slot needs to use this server, as one
    /// JSON object (valid YAML too, so it can go straight into a slots.yaml `env:`).
    ClaudeEnv {
        /// The throwaway HOME to create (its `.claude.json` is written).
        #[arg(long)]
        home: PathBuf,
        /// The server's base URL, as printed by `listening on ...`.
        #[arg(long)]
        base_url: String,
        /// A folder Claude Code should trust without asking (repeatable).
        #[arg(long)]
        trust: Vec<PathBuf>,
    },
}

/// `claude-env`: write the home, print the environment.
fn claude_env(home: PathBuf, base_url: String, trust: Vec<PathBuf>) -> anyhow::Result<()> {
    let trusted: Vec<&std::path::Path> = trust.iter().map(PathBuf::as_path).collect();
    let home = mock_anthropic::offline::ClaudeHome::create(&home, &trusted)
        .with_context(|| format!("creating {}", home.display()))?;
    let env: serde_json::Map<String, serde_json::Value> =
        mock_anthropic::offline::claude_env(home.path(), &base_url)
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
    println!("{}", serde_json::Value::Object(env));
    Ok(())
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
    if let Some(Command::ClaudeEnv {
        home,
        base_url,
        trust,
    }) = args.command
    {
        return claude_env(home, base_url, trust);
    }
    let scenario_path = args.scenario.context("--scenario is required")?;
    let scenario = Scenario::from_file(&scenario_path)
        .with_context(|| format!("loading scenario {}", scenario_path.display()))?;
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
