//! Where missiond keeps things, from `MISSIOND_HOME` and friends, and the
//! one-daemon-per-home lock.
//!
//! Everything is computed from an explicit variable map ([`Paths::from_vars`]) so tests
//! never touch the process environment; [`Paths::from_env`] reads the real one.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::ipc::Endpoint;

/// `MISSIOND_HOME`: the home folder (default `~/.missiond`).
pub const ENV_HOME: &str = "MISSIOND_HOME";
/// `MISSION_DB_PATH`: the SQLite file (default `$MISSIOND_HOME/mission.db`).
pub const ENV_DB_PATH: &str = "MISSION_DB_PATH";
/// `MISSION_SLOTS_CONFIG`: the slots file (default `$MISSIOND_HOME/slots.yaml`).
pub const ENV_SLOTS_CONFIG: &str = "MISSION_SLOTS_CONFIG";
/// `MISSION_PERMISSIONS_CONFIG`: the tool permission rules (default
/// `$MISSIOND_HOME/permissions.yaml`).
pub const ENV_PERMISSIONS_CONFIG: &str = "MISSION_PERMISSIONS_CONFIG";
/// `MISSION_IPC_ENDPOINT`: where the daemon listens (see [`Endpoint::parse`]).
pub const ENV_IPC_ENDPOINT: &str = "MISSION_IPC_ENDPOINT";
/// `MISSION_WS_PORT`: the WebSocket/HTTP port (default 9120).
pub const ENV_WS_PORT: &str = "MISSION_WS_PORT";
/// `MISSION_LOG_LEVEL`: a tracing filter (default `warn`).
pub const ENV_LOG_LEVEL: &str = "MISSION_LOG_LEVEL";
/// `MISSION_LOG_MAX_SLOT_BYTES`: what one slot's PTY logs may take together.
pub const ENV_LOG_MAX_SLOT_BYTES: &str = "MISSION_LOG_MAX_SLOT_BYTES";
/// `MISSION_LOG_MAX_TOTAL_BYTES`: what the whole logs folder may take.
pub const ENV_LOG_MAX_TOTAL_BYTES: &str = "MISSION_LOG_MAX_TOTAL_BYTES";

/// Default WebSocket port.
pub const DEFAULT_WS_PORT: u16 = 9120;
/// Default TCP port for IPC where Unix sockets are not used (Windows).
pub const DEFAULT_IPC_TCP_PORT: u16 = 9121;
/// Default log filter.
pub const DEFAULT_LOG_LEVEL: &str = "warn";
/// Default cap on one slot's PTY logs: 256 MiB keeps days of an ordinary agent's output
/// (a busy Claude Code session writes a few MiB an hour) for `replay` and
/// `mission_pty_logs`, while a runaway command printing without end costs a bounded slice
/// of the disk.
pub const DEFAULT_LOG_MAX_SLOT_BYTES: u64 = 256 * 1024 * 1024;
/// Default cap on the whole logs folder: 2 GiB, room for eight slots at their own cap
/// (the usual fleet), and a hard ceiling when many more come and go (logs of slots no
/// longer configured are pruned too).
pub const DEFAULT_LOG_MAX_TOTAL_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// A problem with the environment, naming the variable.
#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    /// No home folder to put `.missiond` in.
    #[error("cannot find your home folder (HOME / USERPROFILE unset): set {ENV_HOME}")]
    NoHome,
    /// A variable's value is unusable.
    #[error("{var}={value:?}: {reason}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// Why it was refused.
        reason: String,
    },
}

/// Every location and setting derived from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// `MISSIOND_HOME`.
    pub home: PathBuf,
    /// The SQLite database file.
    pub db_path: PathBuf,
    /// `slots.yaml`.
    pub slots_config: PathBuf,
    /// `permissions.yaml`.
    pub permissions_config: PathBuf,
    /// Where the daemon listens and clients connect.
    pub ipc_endpoint: Endpoint,
    /// The WebSocket/HTTP port.
    pub ws_port: u16,
    /// The tracing filter (`warn`, `info`, `missiond=debug` ...).
    pub log_level: String,
    /// Cap on one slot's PTY logs, in bytes (0: none).
    pub log_max_slot_bytes: u64,
    /// Cap on the whole logs folder, in bytes (0: none).
    pub log_max_total_bytes: u64,
    /// Log files (`$MISSIOND_HOME/logs`).
    pub logs_dir: PathBuf,
    /// The one-daemon lock file (`$MISSIOND_HOME/missiond.lock`).
    pub lock_path: PathBuf,
}

impl Paths {
    /// Reads the process environment.
    pub fn from_env() -> Result<Paths, PathsError> {
        Paths::from_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// Computes everything from `vars` (name, value) alone. Empty values count as
    /// unset; `~` at the start of a path means the home folder; paths must be absolute.
    pub fn from_vars<K, V>(vars: impl IntoIterator<Item = (K, V)>) -> Result<Paths, PathsError>
    where
        K: Into<String>,
        V: Into<String>,
    {
        let vars: HashMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        let user_home = ["HOME", "USERPROFILE"]
            .iter()
            .find_map(|k| vars.get(*k))
            .map(PathBuf::from);
        let path_var = |var: &'static str| -> Result<Option<PathBuf>, PathsError> {
            vars.get(var)
                .map(|v| absolute_path(var, v, user_home.as_deref()))
                .transpose()
        };
        let home = match path_var(ENV_HOME)? {
            Some(home) => home,
            None => user_home
                .clone()
                .ok_or(PathsError::NoHome)?
                .join(".missiond"),
        };
        let db_path = path_var(ENV_DB_PATH)?.unwrap_or_else(|| home.join("mission.db"));
        let slots_config = path_var(ENV_SLOTS_CONFIG)?.unwrap_or_else(|| home.join("slots.yaml"));
        let permissions_config =
            path_var(ENV_PERMISSIONS_CONFIG)?.unwrap_or_else(|| home.join("permissions.yaml"));
        let ipc_endpoint = match vars.get(ENV_IPC_ENDPOINT) {
            Some(text) => {
                let expanded = match text.strip_prefix("~/") {
                    Some(rest) => match &user_home {
                        Some(h) => h.join(rest).display().to_string(),
                        None => return Err(PathsError::NoHome),
                    },
                    None => text.clone(),
                };
                Endpoint::parse(&expanded).map_err(|e| PathsError::Invalid {
                    var: ENV_IPC_ENDPOINT,
                    value: text.clone(),
                    reason: e.to_string(),
                })?
            }
            None => default_endpoint(&home),
        };
        let ws_port = match vars.get(ENV_WS_PORT) {
            Some(text) => text
                .trim()
                .parse::<u16>()
                .map_err(|_| PathsError::Invalid {
                    var: ENV_WS_PORT,
                    value: text.clone(),
                    reason: "expected a port number (0-65535)".into(),
                })?,
            None => DEFAULT_WS_PORT,
        };
        let bytes_var = |var: &'static str, default: u64| -> Result<u64, PathsError> {
            vars.get(var).map_or(Ok(default), |text| {
                parse_bytes(text).ok_or_else(|| PathsError::Invalid {
                    var,
                    value: text.clone(),
                    reason: "expected a size in bytes, optionally with K, M or G (0: no cap)"
                        .into(),
                })
            })
        };
        let log_max_slot_bytes = bytes_var(ENV_LOG_MAX_SLOT_BYTES, DEFAULT_LOG_MAX_SLOT_BYTES)?;
        let log_max_total_bytes = bytes_var(ENV_LOG_MAX_TOTAL_BYTES, DEFAULT_LOG_MAX_TOTAL_BYTES)?;
        let log_level = vars
            .get(ENV_LOG_LEVEL)
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| DEFAULT_LOG_LEVEL.to_string());
        Ok(Paths {
            log_max_slot_bytes,
            log_max_total_bytes,
            logs_dir: home.join("logs"),
            lock_path: home.join("missiond.lock"),
            home,
            db_path,
            slots_config,
            permissions_config,
            ipc_endpoint,
            ws_port,
            log_level,
        })
    }

    /// Creates the home folder (mode 0700 on Unix) and the logs folder.
    pub fn ensure_dirs(&self) -> std::io::Result<()> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&self.home)?;
        builder.create(&self.logs_dir)
    }
}

/// `1048576`, `512K`, `64M`, `2G` (binary units, case ignored, an optional `B` or `iB`
/// after the letter); `None` for anything else or an overflow.
pub fn parse_bytes(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_uppercase();
    let t = t
        .strip_suffix("IB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(&t);
    let (digits, unit) = match t.char_indices().last()? {
        (i, 'K') => (&t[..i], 1u64 << 10),
        (i, 'M') => (&t[..i], 1 << 20),
        (i, 'G') => (&t[..i], 1 << 30),
        (i, 'T') => (&t[..i], 1 << 40),
        _ => (t, 1),
    };
    let digits = digits.trim();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

/// The platform's default endpoint for a home folder.
pub fn default_endpoint(home: &Path) -> Endpoint {
    if cfg!(windows) {
        Endpoint::Tcp(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            DEFAULT_IPC_TCP_PORT,
        )))
    } else {
        Endpoint::Unix(home.join("missiond.sock"))
    }
}

fn absolute_path(
    var: &'static str,
    value: &str,
    user_home: Option<&Path>,
) -> Result<PathBuf, PathsError> {
    let path = expand_tilde(value, user_home).ok_or(PathsError::NoHome)?;
    if !path.is_absolute() {
        return Err(PathsError::Invalid {
            var,
            value: value.to_string(),
            reason: "must be an absolute path (or start with ~/)".into(),
        });
    }
    Ok(path)
}

/// Replaces a leading `~` or `~/` with `home`. `None` when the value needs a home
/// folder and there is none.
pub fn expand_tilde(value: &str, home: Option<&Path>) -> Option<PathBuf> {
    if value == "~" {
        return home.map(Path::to_path_buf);
    }
    match value
        .strip_prefix("~/")
        .or_else(|| value.strip_prefix("~\\"))
    {
        Some(rest) => home.map(|h| h.join(rest)),
        None => Some(PathBuf::from(value)),
    }
}

/// Why the daemon lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("a daemon is already running for this home (lock {} is held{})", .path.display(), .holder.as_ref().map(|p| format!(" by pid {p}")).unwrap_or_default())]
    Held {
        /// The lock file.
        path: PathBuf,
        /// The pid written by the holder, if readable.
        holder: Option<u32>,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot take the daemon lock {}: {source}", .path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// An exclusive advisory lock (`flock` on Unix, `LockFileEx` on Windows) held for the
/// daemon's lifetime: one daemon per `MISSIOND_HOME`. Released when dropped or when
/// the process dies, so a crash never leaves it stuck.
#[derive(Debug)]
pub struct DaemonLock {
    file: File,
    path: PathBuf,
}

impl DaemonLock {
    /// Takes the lock at `path` without waiting, and writes this process's pid into it.
    pub fn acquire(path: &Path) -> Result<DaemonLock, LockError> {
        let io = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(path)
                    .ok()
                    .and_then(|s| s.trim().parse().ok());
                return Err(LockError::Held {
                    path: path.to_path_buf(),
                    holder,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(DaemonLock {
            file,
            path: path.to_path_buf(),
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DaemonLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests;
