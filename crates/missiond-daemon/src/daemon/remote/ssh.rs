//! The system's `ssh`: the user's keys, agent, `~/.ssh/config` (aliases, `ProxyJump`)
//! all apply. Every command shares one master connection per host (ControlMaster, its
//! socket under the daemon's run folder), never asks for a password (BatchMode) and
//! notices a dead link within seconds (ServerAliveInterval).

use std::path::{Path, PathBuf};

/// Environment variable naming an ssh config file used instead of `~/.ssh/config`
/// (`ssh -F`).
pub const SSH_CONFIG_ENV: &str = "MISSIOND_SSH_CONFIG";

/// Seconds between keep-alives on the master connection; three missed ones end it.
const ALIVE_INTERVAL: u32 = 5;

/// Where ssh goes: `host` for a config alias or `user@host`, and a port when given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub target: String,
    pub port: Option<u16>,
}

/// Parses a slot's `host:`: an alias, `host`, `user@host`, each with an optional
/// `:port` (`[v6addr]:port` for IPv6).
pub fn parse(host: &str) -> Result<Destination, String> {
    let host = host.trim();
    if host.is_empty() {
        return Err("host is empty".into());
    }
    if host.starts_with('-') || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{host:?} is not an ssh destination"));
    }
    let (user, rest) = match host.rsplit_once('@') {
        Some((u, r)) if !u.is_empty() => (Some(u), r),
        Some(_) => return Err(format!("{host:?}: empty user name")),
        None => (None, host),
    };
    let (name, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (addr, tail) = v6
            .split_once(']')
            .ok_or_else(|| format!("{host:?}: unclosed ["))?;
        match tail.strip_prefix(':') {
            Some(p) => (addr.to_string(), Some(port_of(host, p)?)),
            None if tail.is_empty() => (addr.to_string(), None),
            None => return Err(format!("{host:?}: unexpected {tail:?} after ]")),
        }
    } else {
        match rest.split_once(':') {
            Some((n, p)) => (n.to_string(), Some(port_of(host, p)?)),
            None => (rest.to_string(), None),
        }
    };
    if name.is_empty() {
        return Err(format!("{host:?}: no host name"));
    }
    let target = match user {
        Some(u) => format!("{u}@{name}"),
        None => name,
    };
    Ok(Destination { target, port })
}

fn port_of(host: &str, p: &str) -> Result<u16, String> {
    p.parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("{host:?}: {p:?} is not a port"))
}

/// The options every ssh command of the daemon gets.
pub fn base_args(dest: &Destination, control_dir: &Path) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(config) = std::env::var_os(SSH_CONFIG_ENV) {
        args.push("-F".into());
        args.push(config.to_string_lossy().into_owned());
    }
    for opt in [
        "BatchMode=yes".to_string(),
        "ControlMaster=auto".to_string(),
        format!("ControlPath={}", control_path(control_dir).display()),
        "ControlPersist=300".to_string(),
        format!("ServerAliveInterval={ALIVE_INTERVAL}"),
        "ServerAliveCountMax=3".to_string(),
        "ConnectTimeout=10".to_string(),
    ] {
        args.push("-o".into());
        args.push(opt);
    }
    if let Some(port) = dest.port {
        args.push("-p".into());
        args.push(port.to_string());
    }
    args
}

/// The master connections' sockets: `%C` (a hash of host, port and user) keeps them
/// short, since a Unix socket path has ~100 bytes at most.
fn control_path(control_dir: &Path) -> PathBuf {
    control_dir.join("%C")
}

/// `ssh <options> <dest> -- <remote command>`, stdio left to the caller.
pub fn command(dest: &Destination, control_dir: &Path, remote: &str) -> tokio::process::Command {
    let _ = std::fs::create_dir_all(control_dir);
    let mut cmd = tokio::process::Command::new("ssh");
    cmd.args(base_args(dest, control_dir))
        .arg(&dest.target)
        .arg("--")
        .arg(remote)
        .kill_on_drop(true);
    cmd
}

/// Ends the master connections of every host used (`ssh -O exit`), when the daemon
/// stops: they would otherwise linger for `ControlPersist`.
pub async fn close_masters(run_dir: &Path) {
    let control_dir = control_dir(run_dir);
    for host in super::health::snapshot().into_keys() {
        let Ok(dest) = parse(&host) else { continue };
        let mut cmd = tokio::process::Command::new("ssh");
        cmd.args(base_args(&dest, &control_dir))
            .args(["-O", "exit"])
            .arg(&dest.target)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), cmd.status()).await;
    }
}

/// The folder of the master sockets, under the daemon's run folder.
pub fn control_dir(run_dir: &Path) -> PathBuf {
    run_dir.join("ssh")
}

/// What ssh said on stderr, for an error message: its last non-empty line (ssh's own
/// diagnosis comes last; banners and warnings come first).
pub fn diagnosis(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no message")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_split_into_target_and_port() {
        let d = |s: &str| parse(s).unwrap();
        assert_eq!(
            d("gpu-box"),
            Destination {
                target: "gpu-box".into(),
                port: None
            }
        );
        assert_eq!(d("ann@10.0.0.2:2222").target, "ann@10.0.0.2");
        assert_eq!(d("ann@10.0.0.2:2222").port, Some(2222));
        assert_eq!(d("[fe80::1]:22").target, "fe80::1");
        assert_eq!(d("bob@[::1]").port, None);
        for bad in ["", "-oProxyCommand=x", "a b", "h:0", "h:70000", "@h", "u@"] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn every_command_is_multiplexed_and_never_prompts() {
        let args = base_args(&parse("u@h:2200").unwrap(), Path::new("/run/m/ssh")).join(" ");
        assert!(args.contains("BatchMode=yes"));
        assert!(args.contains("ControlMaster=auto"));
        assert!(args.contains("ControlPath=/run/m/ssh/%C"));
        assert!(args.contains("ServerAliveInterval="));
        assert!(args.ends_with("-p 2200"));
    }

    #[test]
    fn diagnosis_is_the_last_line() {
        assert_eq!(
            diagnosis(b"Warning: x\nssh: connect to host 10.9.9.9 port 22: No route to host\n\n"),
            "ssh: connect to host 10.9.9.9 port 22: No route to host"
        );
    }
}
