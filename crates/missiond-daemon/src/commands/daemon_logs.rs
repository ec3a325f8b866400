//! `missiond logs --daemon`: the log center for people (what mission_jarvis_logs and
//! mission_jarvis_trace return, one line per entry, oldest first).

use anyhow::{Context, Result};
use clap::Parser;
use missiond_core::catalogue::{
    self as cat, JarvisLogsParams, JarvisLogsResult, JarvisTraceParams, LogEntry, LogLevel,
};
use missiond_core::ipc::IpcClient;
use missiond_core::paths::Paths;

/// `missiond logs --daemon [options]`.
#[derive(Debug, Parser)]
#[command(
    name = "missiond logs --daemon",
    about = "The daemon's own log (the log center): newest entries, filtered"
)]
pub struct DaemonLogsArgs {
    /// This level and above: trace, debug, info, warn, error.
    #[arg(long, value_parser = parse_level)]
    pub level: Option<LogLevel>,
    /// Entries since an RFC 3339 time or an age (30s, 15m, 2h, 7d).
    #[arg(long)]
    pub since: Option<String>,
    /// Entries about this slot.
    #[arg(long)]
    pub slot: Option<String>,
    /// Entries containing this text (case-insensitive).
    #[arg(long)]
    pub text: Option<String>,
    /// How many of the newest entries (default 100, at most 1000).
    #[arg(long)]
    pub limit: Option<u32>,
    /// Every entry of one request instead (its id, from an entry or a tool result).
    #[arg(long, value_name = "REQUEST_ID", conflicts_with_all = ["level", "since", "slot", "text", "limit"])]
    pub trace: Option<String>,
    /// Print the entries as JSON lines.
    #[arg(long)]
    pub json: bool,
}

fn parse_level(s: &str) -> Result<LogLevel, String> {
    serde_json::from_value(serde_json::Value::from(s.to_ascii_lowercase()))
        .map_err(|_| format!("{s:?}: one of trace, debug, info, warn, error"))
}

/// Where `logs` stands in `args` (the whole command line) when they ask for
/// `logs --daemon`; the global `--json` may come before it.
fn logs_at(args: &[String]) -> Option<usize> {
    let at = args.iter().skip(1).position(|a| a != "--json")? + 1;
    (args[at] == "logs" && args[at + 1..].iter().any(|a| a == "--daemon")).then_some(at)
}

/// Whether `args` (the whole command line) ask for `logs --daemon`.
pub fn wanted(args: &[String]) -> bool {
    logs_at(args).is_some()
}

/// Parses `missiond [--json] logs --daemon ...` (exits with clap's message on bad options).
pub fn parse(args: &[String]) -> DaemonLogsArgs {
    let at = logs_at(args).unwrap_or(1);
    let json_first = args[1..at].iter().any(|a| a == "--json");
    let rest = args
        .iter()
        .skip(at + 1)
        .filter(|a| *a != "--daemon")
        .cloned();
    let mut parsed = DaemonLogsArgs::parse_from(
        std::iter::once("missiond logs --daemon".to_string()).chain(rest),
    );
    parsed.json |= json_first;
    parsed
}

/// Runs it; returns the exit code.
pub fn run(args: DaemonLogsArgs) -> Result<i32> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(query(args))
}

async fn query(args: DaemonLogsArgs) -> Result<i32> {
    let paths = Paths::from_env()?;
    let client = IpcClient::connect(&paths.ipc_endpoint)
        .await
        .with_context(|| format!("connecting to missiond at {}", paths.ipc_endpoint))?
        .with_request_id(&missiond_core::jarvis::request_id::mint("cli"));
    let result: JarvisLogsResult = match args.trace {
        Some(request_id) => client
            .tool::<cat::JarvisTrace>(&JarvisTraceParams { request_id })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        None => {
            let params = JarvisLogsParams {
                level: args.level,
                since: args.since,
                slot_id: args.slot,
                text: args.text,
                limit: args.limit,
            };
            let mut r = client
                .tool::<cat::JarvisLogs>(&params)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            // Newest first on the wire; people read a log top to bottom.
            r.entries.reverse();
            r
        }
    };
    for entry in &result.entries {
        if args.json {
            println!("{}", serde_json::to_string(entry)?);
        } else {
            println!("{}", line(entry));
        }
    }
    if result.truncated {
        eprintln!("[more entries matched: narrow the query or raise --limit]");
    }
    if result.dropped > 0 {
        eprintln!(
            "[{} entries were dropped since the daemon started: it logged faster than it could store]",
            result.dropped
        );
    }
    Ok(0)
}

/// `2026-11-25T07:40:03.120Z  INFO [mcp-…-1 coder-1] missiond::daemon: message k=v`.
pub fn line(e: &LogEntry) -> String {
    let mut out = format!("{} {:>5}", e.time, e.level.as_str().to_uppercase());
    let ids: Vec<&str> = [e.request_id.as_deref(), e.slot_id.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if !ids.is_empty() {
        out.push_str(&format!(" [{}]", ids.join(" ")));
    }
    out.push_str(&format!(" {}: {}", e.target, e.message));
    if let Some(cause) = &e.cause_id {
        out.push_str(&format!(" cause={cause}"));
    }
    for (k, v) in &e.fields {
        match v {
            serde_json::Value::String(s) => out.push_str(&format!(" {k}={s}")),
            other => out.push_str(&format!(" {k}={other}")),
        }
    }
    out
}
