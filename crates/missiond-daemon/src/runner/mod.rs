//! `missiond runner`: the process that owns a remote slot's PTY on its host.
//!
//! The daemon starts `missiond runner --attach SLOT` over SSH. That command is only a
//! pipe: it connects to the slot's runner server on this host (a Unix socket under
//! `~/.missiond/run/`), starting one first if none runs, and copies frames between the
//! SSH channel and the socket. The server ([`serve`]) is detached from any SSH session:
//! when the connection drops, the program keeps running and its output is kept (bounded)
//! until the daemon comes back and says what it already has.

pub mod attach;
pub mod contain;
pub mod files;
pub mod serve;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

/// Options of the hidden `missiond runner` subcommand.
#[derive(Debug, Args)]
pub struct RunnerArgs {
    /// Connect stdin/stdout to the slot's runner, starting it when needed.
    #[arg(long, value_name = "SLOT", conflicts_with = "serve")]
    pub attach: Option<String>,
    /// Be the slot's runner server (started by `--attach`).
    #[arg(long, value_name = "SLOT")]
    pub serve: Option<String>,
    /// Say whether this host can run slots in a bubblewrap sandbox, and exit.
    #[arg(long, conflicts_with_all = ["attach", "serve"])]
    pub probe_sandbox: bool,
    /// Where runners keep their sockets and files (default `~/.missiond/run`).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// Runs the subcommand.
pub fn run(args: RunnerArgs) -> Result<i32> {
    if args.probe_sandbox {
        println!("{}", contain::probe_line());
        return Ok(0);
    }
    let dir = match args.state_dir {
        Some(dir) => dir,
        None => default_state_dir()?,
    };
    match (args.attach, args.serve) {
        (Some(slot), None) => attach::run(&dir, &slot),
        (None, Some(slot)) => serve::run(&dir, &slot),
        _ => anyhow::bail!("missiond runner needs --attach SLOT or --serve SLOT"),
    }
}

/// `~/.missiond/run` of the user running the runner.
fn default_state_dir() -> Result<PathBuf> {
    let home = std::env::var_os("HOME").context("HOME is not set on this host")?;
    Ok(PathBuf::from(home).join(".missiond").join("run"))
}

/// The server's socket for `slot`.
pub fn socket_path(dir: &std::path::Path, slot: &str) -> PathBuf {
    dir.join(format!("{slot}.sock"))
}

/// The folder of `slot`'s files on this host (settings, its agent socket).
pub fn slot_dir(dir: &std::path::Path, slot: &str) -> PathBuf {
    dir.join(slot)
}

/// Refuses slot ids that could leave the state folder.
fn check_slot(slot: &str) -> Result<()> {
    let ok = !slot.is_empty()
        && slot.len() <= 64
        && !slot.starts_with('.')
        && slot
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    anyhow::ensure!(ok, "invalid slot id {slot:?}");
    Ok(())
}

/// This binary's version as runners report it: the package version and a hash of the
/// executable, so two builds of one version are told apart.
pub fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        let hash = std::env::current_exe()
            .and_then(std::fs::read)
            .map(|bytes| fnv1a(&bytes))
            .unwrap_or(0);
        format!("{}-{hash:016x}", env!("CARGO_PKG_VERSION"))
    })
}

/// The file name of mission-mcp beside the runner on a host (named by the daemon's
/// build, as the runner is).
pub fn mcp_file_name() -> String {
    format!("mission-mcp-{}", version())
}

/// FNV-1a, 64 bits: enough to tell builds apart, no dependency.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
