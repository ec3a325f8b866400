//! The log center ("Jarvis"): the daemon's structured log events in their own SQLite
//! file, queryable by request, slot, level, time and text, rotated by size and age.
//!
//! - [`request_id`]: minting the id every request carries from its edge.
//! - [`store`]: the table, batched writes, queries, rotation.
//! - [`since`]: `since` as an RFC 3339 time or an age (`15m`).
//!
//! The daemon's tracing layer (in `missiond-daemon`) turns events into [`Record`]s and
//! hands them to a writer thread; nothing here blocks the daemon.

pub mod request_id;
pub mod since;
pub mod store;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use store::{JarvisStore, LogQuery, StoreLimits};

/// Environment variable naming another log-center file than `$MISSIOND_HOME/jarvis.db`.
pub const ENV_JARVIS_DB: &str = "MISSION_JARVIS_DB";
/// Environment variable: the lowest level stored (`info` by default).
pub const ENV_JARVIS_LEVEL: &str = "MISSION_JARVIS_LEVEL";
/// Environment variable: the file's size cap (`64M` by default; `K`, `M`, `G` suffixes).
pub const ENV_JARVIS_MAX_BYTES: &str = "MISSION_JARVIS_MAX_BYTES";
/// Environment variable: how many days entries are kept (7 by default).
pub const ENV_JARVIS_MAX_AGE_DAYS: &str = "MISSION_JARVIS_MAX_AGE_DAYS";

/// Longest message stored, in bytes (longer ones are cut).
pub const MAX_MESSAGE_BYTES: usize = 4096;
/// Longest JSON of an event's other fields, in bytes (longer ones are cut).
pub const MAX_FIELDS_BYTES: usize = 2048;

/// The log-center file for `home`.
pub fn db_path(home: &Path) -> PathBuf {
    std::env::var_os(ENV_JARVIS_DB)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join("jarvis.db"))
}

/// One event as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Unix ms.
    pub time_ms: i64,
    /// 0 (trace) to 4 (error).
    pub level: u8,
    /// Module path.
    pub target: String,
    /// Message (cut to [`MAX_MESSAGE_BYTES`]).
    pub message: String,
    /// The request it belongs to.
    pub request_id: Option<String>,
    /// The request that caused that one.
    pub cause_id: Option<String>,
    /// The slot concerned.
    pub slot_id: Option<String>,
    /// Other fields as a JSON object (cut to [`MAX_FIELDS_BYTES`]).
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// The longest prefix of `text` of at most `max` bytes on a character boundary.
pub fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
