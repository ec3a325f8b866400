//! Puts this daemon's own binary on a host as its runner: `~/.missiond/bin/missiond-<version>`,
//! copied over the ssh connection when missing (the version names the build, so another
//! build is another file). The host must be the same OS and architecture as this machine
//! (`uname -sm`); when it is not, the error says what to install by hand.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

use super::ssh::{self, Destination};

/// How long one check (or copy) may take before the host counts as unreachable.
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);
const COPY_TIMEOUT: Duration = Duration::from_secs(600);

/// Hosts already checked in this daemon's life, with the runner's path there.
static READY: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);

/// Why a host cannot run a slot.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("host `{host}` is unreachable: {why}")]
    Unreachable { host: String, why: String },
    #[error(
        "host `{host}` is {theirs}, this daemon's binary is for {ours}: install a missiond \
         built for {theirs} there as {path}"
    )]
    Platform {
        host: String,
        theirs: String,
        ours: String,
        path: String,
    },
    #[error("copying the runner to host `{host}` failed: {why}")]
    Copy { host: String, why: String },
}

/// The runner's path on the host, as a shell word (`"$HOME"/.missiond/bin/missiond-V`).
pub fn runner_path() -> String {
    format!(
        "\"$HOME\"/.missiond/bin/missiond-{}",
        crate::runner::version()
    )
}

/// mission-mcp's path on the host, as a shell word, beside the runner.
pub fn mcp_path() -> String {
    format!("\"$HOME\"/.missiond/bin/{}", crate::runner::mcp_file_name())
}

fn exe_or_empty() -> std::path::PathBuf {
    std::env::current_exe().unwrap_or_default()
}

/// Forgets what was checked of `host` (a reconnect that failed may mean a new machine).
pub fn forget(host: &str) {
    if let Some(map) = READY.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        map.remove(host);
    }
}

/// Makes sure `host` runs this daemon's runner; returns its path there.
pub async fn ensure(
    host: &str,
    dest: &Destination,
    control_dir: &Path,
) -> Result<String, InstallError> {
    if let Some(path) = READY
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|m| m.get(host).cloned())
    {
        return Ok(path);
    }
    let path = runner_path();
    // mission-mcp goes with it (a remote Claude Code's agent tools), when this daemon
    // has one: the slot then gets it as a local one does.
    let mcp = super::super::mcp_config::mission_mcp(&std::env::current_exe().unwrap_or_default());
    let mcp_path = mcp_path();
    let started = Instant::now();
    let probe = format!(
        "uname -sm; if test -x {path}; then echo present; else echo missing; fi; \
         if test -x {mcp_path}; then echo present; else echo missing; fi"
    );
    let out = run(dest, control_dir, &probe, CHECK_TIMEOUT)
        .await
        .map_err(|why| {
            super::health::unreachable(host, &why);
            InstallError::Unreachable {
                host: host.to_string(),
                why,
            }
        })?;
    super::health::reachable(host, started.elapsed());
    let text = String::from_utf8_lossy(&out);
    let mut lines = text.lines();
    let theirs = lines.next().unwrap_or("").trim().to_string();
    let present = lines.next().map(str::trim) == Some("present");
    let mcp_present = lines.next().map(str::trim) == Some("present");
    if let Some(e) = platform_mismatch(host, &theirs, &local_platform(), &path) {
        super::health::failed(host, &e.to_string());
        return Err(e);
    }
    if !present {
        tracing::info!(host, "copying the runner to the host");
        copy(dest, control_dir, &exe_or_empty(), &path)
            .await
            .map_err(|why| {
                let e = InstallError::Copy {
                    host: host.to_string(),
                    why,
                };
                super::health::failed(host, &e.to_string());
                e
            })?;
    }
    if let Some(mcp) = mcp.filter(|_| !mcp_present) {
        tracing::info!(host, "copying mission-mcp to the host");
        copy(dest, control_dir, &mcp, &mcp_path)
            .await
            .map_err(|why| {
                let e = InstallError::Copy {
                    host: host.to_string(),
                    why: format!("mission-mcp: {why}"),
                };
                super::health::failed(host, &e.to_string());
                e
            })?;
    }
    super::health::runner(host, crate::runner::version());
    READY
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .insert(host.to_string(), path.clone());
    Ok(path)
}

/// Whether the runner at `runner` on `host` can start programs in a bubblewrap sandbox
/// there; why not, in words a person can act on, when it cannot.
pub async fn probe_sandbox(
    host: &str,
    dest: &Destination,
    control_dir: &Path,
    runner: &str,
) -> Result<(), String> {
    let out = run(
        dest,
        control_dir,
        &format!("{runner} runner --probe-sandbox"),
        CHECK_TIMEOUT,
    )
    .await
    .map_err(|why| format!("host `{host}` did not say: {why}"))?;
    parse_probe(&String::from_utf8_lossy(&out))
}

/// Reads `missiond runner --probe-sandbox`'s line.
fn parse_probe(text: &str) -> Result<(), String> {
    use crate::runner::contain::{PROBE_NONE, PROBE_OK};
    let line = text.lines().next().unwrap_or("").trim();
    if line.starts_with(PROBE_OK) {
        Ok(())
    } else if let Some(why) = line.strip_prefix(PROBE_NONE) {
        Err(why.trim().to_string())
    } else {
        Err(format!("unexpected answer {line:?}"))
    }
}

/// The error for a host whose `uname -sm` is not this machine's, if it is not.
fn platform_mismatch(host: &str, theirs: &str, ours: &str, path: &str) -> Option<InstallError> {
    (theirs != ours).then(|| InstallError::Platform {
        host: host.to_string(),
        theirs: if theirs.is_empty() {
            "unknown (no `uname -sm` output)".into()
        } else {
            theirs.to_string()
        },
        ours: ours.to_string(),
        path: path.replace("\"$HOME\"", "~"),
    })
}

/// This machine's `uname -sm`.
fn local_platform() -> String {
    std::process::Command::new("uname")
        .arg("-sm")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|_| format!("{} {}", std::env::consts::OS, std::env::consts::ARCH))
}

/// Runs `remote` on the host; its stdout, or ssh's diagnosis.
async fn run(
    dest: &Destination,
    control_dir: &Path,
    remote: &str,
    limit: Duration,
) -> Result<Vec<u8>, String> {
    let mut cmd = ssh::command(dest, control_dir, remote);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = tokio::time::timeout(limit, cmd.output())
        .await
        .map_err(|_| format!("no answer within {}s", limit.as_secs()))?
        .map_err(|e| format!("cannot run ssh: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(ssh::diagnosis(&out.stderr))
    }
}

/// Streams the executable `exe` to `path` on the host (through a temporary name, so a cut
/// copy never passes for a runner).
async fn copy(
    dest: &Destination,
    control_dir: &Path,
    exe: &Path,
    path: &str,
) -> Result<(), String> {
    let bytes = tokio::fs::read(exe)
        .await
        .map_err(|e| format!("reading {}: {e}", exe.display()))?;
    let part = format!("{path}.part$$");
    let remote = format!(
        "mkdir -p \"$HOME\"/.missiond/bin && cat > {part} && chmod 755 {part} && mv -f {part} {path}"
    );
    let mut cmd = ssh::command(dest, control_dir, &remote);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("cannot run ssh: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin for ssh")?;
    let work = async {
        stdin
            .write_all(&bytes)
            .await
            .map_err(|e| format!("sending the binary: {e}"))?;
        drop(stdin);
        child
            .wait_with_output()
            .await
            .map_err(|e| format!("waiting for ssh: {e}"))
    };
    let out = tokio::time::timeout(COPY_TIMEOUT, work)
        .await
        .map_err(|_| format!("not done within {}s", COPY_TIMEOUT.as_secs()))??;
    if out.status.success() {
        Ok(())
    } else {
        Err(ssh::diagnosis(&out.stderr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_platform_says_what_to_install_where() {
        assert!(platform_mismatch("b", "Linux x86_64", "Linux x86_64", "p").is_none());
        let e = platform_mismatch(
            "gpu-box",
            "Linux aarch64",
            "Linux x86_64",
            "\"$HOME\"/.missiond/bin/missiond-0.1.0-ab",
        )
        .expect("a mismatch")
        .to_string();
        assert_eq!(
            e,
            "host `gpu-box` is Linux aarch64, this daemon's binary is for Linux x86_64: \
             install a missiond built for Linux aarch64 there as ~/.missiond/bin/missiond-0.1.0-ab"
        );
        let e = platform_mismatch("h", "", "Linux x86_64", "p")
            .unwrap()
            .to_string();
        assert!(e.contains("unknown (no `uname -sm` output)"), "{e}");
    }

    #[test]
    fn the_sandbox_probe_is_read_as_said() {
        assert_eq!(parse_probe("sandbox-available /usr/bin/bwrap\n"), Ok(()));
        assert_eq!(
            parse_probe("sandbox-unavailable bubblewrap (bwrap) is not installed\n"),
            Err("bubblewrap (bwrap) is not installed".to_string())
        );
        assert!(parse_probe("").unwrap_err().contains("unexpected"));
    }

    #[test]
    fn the_runner_path_names_this_build() {
        let path = runner_path();
        assert!(
            path.starts_with("\"$HOME\"/.missiond/bin/missiond-"),
            "{path}"
        );
        assert!(path.ends_with(crate::runner::version()), "{path}");
        assert!(crate::runner::version().starts_with(env!("CARGO_PKG_VERSION")));
    }
}
