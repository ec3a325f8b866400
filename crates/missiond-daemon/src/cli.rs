//! The `missiond` command line: one subcommand per job, each in its own module.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// missiond: runs Claude Code instances and reads their screens.
#[derive(Debug, Parser)]
#[command(name = "missiond", version)]
pub struct Cli {
    /// Without a subcommand, run the daemon in the foreground.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Print machine-readable JSON on stdout (results, and errors as `{"error": ...}`).
    #[arg(long, global = true)]
    pub json: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a program in a pseudo-terminal and record its output (JSON lines).
    Record(RecordArgs),
    /// Replay a recording through the screen reader: events as JSON lines, or one screen.
    Replay(ReplayArgs),
    /// Token usage and cost of every Claude Code session here (no daemon needed).
    Usage(crate::commands::usage::UsageArgs),
    /// Talk to the running daemon (status, slots, spawn, send, ...).
    #[command(flatten)]
    Client(crate::commands::ClientCommand),
    /// The process holding a remote slot's program on its host (started over ssh).
    #[command(hide = true)]
    Runner(crate::runner::RunnerArgs),
    /// `missiond logs --daemon`: the log center (parsed apart, see [`parse`]).
    #[command(skip)]
    DaemonLogs(crate::commands::daemon_logs::DaemonLogsArgs),
}

/// Parses the command line. `logs --daemon` is read apart, since `logs SLOT` wants a
/// slot and the daemon's own log has none.
pub fn parse() -> Cli {
    let args: Vec<String> = std::env::args().collect();
    if crate::commands::daemon_logs::wanted(&args) {
        let logs = crate::commands::daemon_logs::parse(&args);
        return Cli {
            json: logs.json,
            command: Some(Command::DaemonLogs(logs)),
        };
    }
    Cli::parse()
}

/// Options of `missiond record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Terminal width (default: yours, else 120).
    #[arg(long)]
    pub cols: Option<u16>,
    /// Terminal height (default: yours, else 40).
    #[arg(long)]
    pub rows: Option<u16>,
    /// Where to write the recording.
    #[arg(long)]
    pub out: PathBuf,
    /// Scripted input (JSON lines) instead of the keyboard; the program is ended when
    /// the script ends.
    #[arg(long, value_name = "STEPS")]
    pub input: Option<PathBuf>,
    /// Who answers the program's terminal queries. auto: your terminal when you type
    /// into it interactively, the built-in emulator otherwise.
    #[arg(long, value_enum, default_value_t = AnswerQueries::Auto)]
    pub answer_queries: AnswerQueries,
    /// The program and its arguments (after `--`).
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// Who answers terminal queries during `record`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AnswerQueries {
    Auto,
    Always,
    Never,
}

/// Options of `missiond replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The recording (JSON lines).
    pub file: PathBuf,
    /// Width to replay at (default: the recording's header, else 120).
    #[arg(long)]
    pub cols: Option<u16>,
    /// Height to replay at (default: the recording's header, else 40).
    #[arg(long)]
    pub rows: Option<u16>,
    /// Print the screen text at this time (seconds) instead of the events; the state at
    /// that time goes to stderr.
    #[arg(long, value_name = "T")]
    pub screen_at: Option<f64>,
}

/// Run the chosen subcommand; returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        None => crate::daemon::run::run(),
        Some(Command::Client(command)) => crate::commands::run(command, cli.json),
        Some(Command::Record(args)) => {
            let out = args.out.clone();
            let code = crate::record::run(args)?;
            if cli.json {
                crate::commands::print_json(&serde_json::json!({
                    "out": out.display().to_string(),
                    "exitCode": code,
                }))?;
            }
            Ok(code)
        }
        Some(Command::Replay(args)) => crate::replay::run(args, cli.json),
        Some(Command::Usage(args)) => crate::commands::usage::run(args, cli.json),
        Some(Command::DaemonLogs(args)) => crate::commands::daemon_logs::run(args),
        Some(Command::Runner(args)) => crate::runner::run(args),
    }
}
