//! Claude Code's whole history on this machine, and exact token usage from it.
//!
//! - [`sources`]: which Claude Code config folders to read (`CLAUDE_CONFIG_DIR`,
//!   `~/.claude`, each slot's, a `watch:` list) and the transcripts under them.
//! - [`line`]: one transcript line to a usage record (or nothing), quickly.
//! - [`reader`]: reads a transcript from a byte offset, complete lines only.
//! - [`index`]: the SQLite index (`history.db`): byte offset per file, one row per API
//!   response, brought up to date incrementally by [`index::HistoryIndex::sync`].
//! - [`report`]: daily, monthly and per-session reports in ccusage's JSON shape.
//! - [`prices`]: the price table shipped with the project, overridable by a file.
//! - [`generate`]: synthetic histories with a known ground truth (tests, benchmarks).
//! - [`time`]: RFC 3339 timestamps to UTC days.
//!
//! Counting rule: Claude Code writes one assistant line per content block of a response
//! (2.1.331: each with the full usage and its own timestamp, no `requestId`; older
//! versions: `requestId`, partial `output_tokens` on earlier blocks). Each response,
//! identified by its `message.id`, is counted once: the line with the largest usage (the
//! first such line on a tie), dated by that line's UTC day. `<synthetic>` lines (errors
//! Claude Code writes itself) are not API responses and are not counted.

pub mod generate;
pub mod index;
pub mod line;
pub mod prices;
pub mod reader;
pub mod report;
pub mod sources;
pub mod time;

#[cfg(test)]
mod tests;

pub use index::{HistoryIndex, SyncStats};
pub use report::{Filter, ReportKind};

/// A failure of the history index, naming what was being done.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The index database could not be opened or queried.
    #[error("history index {}: {action}: {source}", .path.display())]
    Db {
        /// The index file.
        path: std::path::PathBuf,
        /// What was being done.
        action: &'static str,
        /// The cause.
        #[source]
        source: rusqlite::Error,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A configuration file (the `watch:` list, a price table) is malformed.
    #[error("{}: {message}", .path.display())]
    Config {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A bad argument (a date, a period).
    #[error("{0}")]
    Invalid(String),
}

/// The index file for a missiond home (`$MISSIOND_HOME/history.db`), shared by the daemon
/// and `missiond usage`.
pub fn db_path(paths: &crate::paths::Paths) -> std::path::PathBuf {
    paths.home.join("history.db")
}

/// The prices for a missiond home: the shipped table, then `$MISSIOND_HOME/prices.json`
/// when it exists, then `extra` (a `--prices` file).
pub fn load_prices(
    paths: &crate::paths::Paths,
    extra: Option<&std::path::Path>,
) -> Result<prices::PriceTable, HistoryError> {
    let mut table = prices::PriceTable::built_in();
    let home_file = paths.home.join("prices.json");
    if home_file.is_file() {
        table.merge_file(&home_file)?;
    }
    if let Some(extra) = extra {
        table.merge_file(extra)?;
    }
    Ok(table)
}
