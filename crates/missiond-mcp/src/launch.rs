//! Starting `missiond` when no daemon answers: find its binary, start it detached from
//! this process (its own session, output to a log file), and wait until it accepts
//! connections.

use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use missiond_core::ipc::{Endpoint, IpcClient};
use missiond_core::paths::Paths;

/// `MISSIOND_BIN`: the daemon binary to start, overriding the search.
pub const ENV_BIN: &str = "MISSIOND_BIN";
/// `MISSIOND_START_TIMEOUT_MS`: how long to wait for a started daemon to listen.
pub const ENV_START_TIMEOUT: &str = "MISSIOND_START_TIMEOUT_MS";
/// Default wait for a started daemon (it opens its database and loads slots first).
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(20);
/// Tells a daemon who started it (the daemon's `mission_health` reports it as
/// `startedBy`).
pub const STARTED_BY_ENV: &str = "MISSIOND_STARTED_BY";

/// The log file, under `$MISSIOND_HOME/logs`, that a started daemon writes to.
pub const LOG_FILE: &str = "missiond.log";

/// After the started daemon exits, how long another daemon (which won the lock) gets
/// to start listening before we give up.
const GRACE_AFTER_EXIT: Duration = Duration::from_secs(3);
const POLL: Duration = Duration::from_millis(20);
const LOG_TAIL_BYTES: u64 = 2000;

/// Why the daemon could not be started.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// No binary found.
    #[error(
        "cannot find the missiond binary: looked beside {beside} and on PATH; install it or set {ENV_BIN}"
    )]
    NotFound {
        /// The folder searched first.
        beside: String,
    },
    /// `MISSIOND_BIN` names nothing usable.
    #[error("{ENV_BIN}={} is not a file", .0.display())]
    BadOverride(PathBuf),
    /// The home or logs folder could not be made.
    #[error("cannot prepare {}: {source}", .path.display())]
    Prepare {
        /// The folder or file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The process could not be started.
    #[error("cannot start {}: {source}", .bin.display())]
    Spawn {
        /// The binary.
        bin: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// It stopped before listening.
    #[error(
        "missiond ({}) exited with {status} before accepting connections on {endpoint}; end of its log {}:\n{tail}",
        .bin.display(), .log.display()
    )]
    Exited {
        /// The binary.
        bin: PathBuf,
        /// How it ended.
        status: ExitStatus,
        /// Where it should have listened.
        endpoint: Endpoint,
        /// Its log file.
        log: PathBuf,
        /// What it wrote during this start.
        tail: String,
    },
    /// It did not listen in time.
    #[error(
        "missiond ({}) did not accept connections on {endpoint} within {timeout:?}; see its log {}",
        .bin.display(), .log.display()
    )]
    Timeout {
        /// The binary.
        bin: PathBuf,
        /// Where it should listen.
        endpoint: Endpoint,
        /// The time allowed.
        timeout: Duration,
        /// Its log file.
        log: PathBuf,
    },
}

/// Picks the daemon binary: `override_bin` (from `MISSIOND_BIN`) if given, else
/// `missiond` beside `own_exe`, else the first `missiond` on `path_var`.
pub fn find_binary(
    override_bin: Option<OsString>,
    own_exe: Option<&Path>,
    path_var: Option<OsString>,
) -> Result<PathBuf, LaunchError> {
    if let Some(bin) = override_bin.filter(|v| !v.is_empty()) {
        let bin = PathBuf::from(bin);
        return if bin.is_file() {
            Ok(bin)
        } else {
            Err(LaunchError::BadOverride(bin))
        };
    }
    let name = format!("missiond{}", std::env::consts::EXE_SUFFIX);
    let beside = own_exe.and_then(Path::parent);
    if let Some(found) = beside.map(|dir| dir.join(&name)).filter(|p| p.is_file()) {
        return Ok(found);
    }
    path_var
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(&name))
        .find(|p| p.is_file())
        .ok_or_else(|| LaunchError::NotFound {
            beside: beside.map_or_else(|| "(unknown)".into(), |d| d.display().to_string()),
        })
}

/// Finds the binary from the real environment.
pub fn binary_from_env() -> Result<PathBuf, LaunchError> {
    let own = std::env::current_exe().ok();
    find_binary(
        std::env::var_os(ENV_BIN),
        own.as_deref(),
        std::env::var_os("PATH"),
    )
}

/// The start timeout from the environment, or the default.
pub fn start_timeout_from_env() -> Duration {
    std::env::var(ENV_START_TIMEOUT)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(DEFAULT_START_TIMEOUT, Duration::from_millis)
}

/// Starts `bin` as a detached daemon for `paths` and returns a connection once it
/// listens. The daemon inherits this environment (so the same `MISSIOND_HOME` and
/// endpoint), runs in its own session so the MCP client's signals and exit do not reach
/// it, and writes to `$MISSIOND_HOME/logs/missiond.log`.
pub async fn start_and_connect(
    bin: &Path,
    paths: &Paths,
    timeout: Duration,
) -> Result<IpcClient, LaunchError> {
    let prepare = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LaunchError::Prepare { path, source }
    };
    paths.ensure_dirs().map_err(prepare(&paths.logs_dir))?;
    let log = paths.logs_dir.join(LOG_FILE);
    let out = File::options()
        .create(true)
        .append(true)
        .open(&log)
        .map_err(prepare(&log))?;
    let start_offset = out.metadata().map(|m| m.len()).unwrap_or(0);
    let err = out.try_clone().map_err(prepare(&log))?;

    let mut command = Command::new(bin);
    command
        .current_dir(&paths.home)
        // Reported by the daemon's mission_health: it outlives this server, and
        // whoever finds it running should learn where it came from and stop it.
        .env(
            STARTED_BY_ENV,
            format!(
                "mission-mcp (pid {}); its log is {}; stop it with `missiond stop`",
                std::process::id(),
                log.display()
            ),
        )
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    detach(&mut command);
    let child = command.spawn().map_err(|source| LaunchError::Spawn {
        bin: bin.to_path_buf(),
        source,
    })?;
    tracing::info!(pid = child.id(), bin = %bin.display(), "started missiond");
    let mut child = Reaped(Some(child));
    let endpoint = &paths.ipc_endpoint;
    let deadline = Instant::now() + timeout;
    let mut exited: Option<(ExitStatus, Instant)> = None;
    loop {
        if let Ok(client) = IpcClient::connect(endpoint).await {
            return Ok(client);
        }
        if exited.is_none()
            && let Some(status) = child.try_wait()
        {
            exited = Some((status, Instant::now()));
        }
        if let Some((status, at)) = exited
            && at.elapsed() > GRACE_AFTER_EXIT
        {
            return Err(LaunchError::Exited {
                bin: bin.to_path_buf(),
                status,
                endpoint: endpoint.clone(),
                tail: log_tail(&log, start_offset),
                log,
            });
        }
        if Instant::now() > deadline {
            return Err(LaunchError::Timeout {
                bin: bin.to_path_buf(),
                endpoint: endpoint.clone(),
                timeout,
                log,
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// A started daemon: when dropped (it is running on its own), a thread waits for it so
/// it never lingers as a zombie of this process.
struct Reaped(Option<Child>);

impl Reaped {
    fn try_wait(&mut self) -> Option<ExitStatus> {
        self.0.as_mut().and_then(|c| c.try_wait().ok().flatten())
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = std::thread::Builder::new()
                .name("missiond-reaper".into())
                .spawn(move || {
                    let _ = child.wait();
                });
        }
    }
}

#[cfg(unix)]
fn detach(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only setsid(2), which is async-signal-safe, runs.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[cfg(windows)]
fn detach(command: &mut Command) {
    use std::os::windows::process::CommandExt;
    const DETACHED_PROCESS: u32 = 0x0000_0008;
    const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
    command.creation_flags(DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP);
}

/// What the log gained since `offset`, at most the last [`LOG_TAIL_BYTES`].
fn log_tail(log: &Path, offset: u64) -> String {
    let read = || -> std::io::Result<String> {
        let mut file = File::open(log)?;
        let len = file.metadata()?.len();
        let from = offset.max(len.saturating_sub(LOG_TAIL_BYTES));
        file.seek(SeekFrom::Start(from))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).trim_end().to_string())
    };
    read().unwrap_or_else(|e| format!("(cannot read it: {e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::write(path, b"").expect("writing a fake binary");
    }

    #[test]
    fn override_wins_and_must_exist() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let bin = tmp.path().join("custom-missiond");
        let missing = find_binary(Some(bin.clone().into()), None, None);
        assert!(matches!(missing, Err(LaunchError::BadOverride(p)) if p == bin));
        touch(&bin);
        let beside = tmp.path().join("missiond");
        touch(&beside);
        let own = tmp.path().join("mission-mcp");
        let found = find_binary(Some(bin.clone().into()), Some(&own), None).expect("found");
        assert_eq!(found, bin);
    }

    #[test]
    fn beside_own_exe_before_path() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let own_dir = tmp.path().join("own");
        let path_dir = tmp.path().join("on-path");
        std::fs::create_dir_all(&own_dir).expect("mkdir");
        std::fs::create_dir_all(&path_dir).expect("mkdir");
        touch(&path_dir.join("missiond"));
        let own = own_dir.join("mission-mcp");
        let path_var = std::env::join_paths([&path_dir]).expect("join");
        let found = find_binary(None, Some(&own), Some(path_var.clone())).expect("path");
        assert_eq!(found, path_dir.join("missiond"));
        touch(&own_dir.join("missiond"));
        let found = find_binary(None, Some(&own), Some(path_var)).expect("beside");
        assert_eq!(found, own_dir.join("missiond"));
    }

    #[test]
    fn not_found_names_where_it_looked() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let own = tmp.path().join("mission-mcp");
        let err = find_binary(None, Some(&own), Some(OsString::new())).expect_err("none");
        let text = err.to_string();
        assert!(text.contains(&tmp.path().display().to_string()), "{text}");
        assert!(text.contains(ENV_BIN), "{text}");
    }
}
