//! Real hosts for the remote-slot tests: each [`Host`] is a network namespace joined to
//! this machine by a veth pair, running Debian's OpenSSH server (`/usr/sbin/sshd`, its
//! own config, host key and address) that lets in one user of its own, made with
//! `useradd`, by key only. The daemon reaches it with the system `ssh` through an ssh
//! config file naming the host by an alias (`MISSIOND_SSH_CONFIG`).
//!
//! Needs root (namespaces, useradd). Elsewhere the tests skip with a line on stderr,
//! unless MISSIOND_E2E_REQUIRED=1 (CI), where they fail. Everything made is removed on
//! drop, also when the test fails: the user's processes, sshd, the namespace, the veth
//! pair and the user.

#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// Whether these tests can run here; prints the skip line (or panics under
/// MISSIOND_E2E_REQUIRED=1) when not.
pub fn can_run(test: &str) -> bool {
    let why = if unsafe { libc::geteuid() } != 0 {
        Some("needs root (network namespaces, useradd)".to_string())
    } else {
        [
            "/usr/sbin/sshd",
            "/usr/bin/ssh",
            "/usr/bin/ssh-keygen",
            "/usr/sbin/useradd",
        ]
        .iter()
        .find(|p| !Path::new(p).exists())
        .map(|p| format!("{p} is missing (apt-get install openssh-server openssh-client passwd)"))
        .or_else(|| {
            (!Command::new("ip")
                .args(["netns", "list"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success()))
            .then(|| "`ip netns` does not work here (apt-get install iproute2)".to_string())
        })
    };
    match why {
        None => true,
        Some(why) if std::env::var("MISSIOND_E2E_REQUIRED").is_ok_and(|v| v == "1") => {
            panic!("{test}: {why}, and MISSIOND_E2E_REQUIRED=1")
        }
        Some(why) => {
            eprintln!("skipped: {test}: {why}");
            false
        }
    }
}

/// One host: a namespace with sshd and a user.
pub struct Host {
    /// The alias in [`Host::ssh_config`].
    pub alias: String,
    pub user: String,
    pub uid: u32,
    /// The user's home on the host.
    pub home: PathBuf,
    /// This machine's address on the link (where the host reaches us).
    pub local_addr: Ipv4Addr,
    /// The host's address.
    pub addr: Ipv4Addr,
    /// An ssh config file with the alias, for `MISSIOND_SSH_CONFIG`.
    pub ssh_config: PathBuf,
    netns: String,
    veth: String,
    dir: tempfile::TempDir,
    sshd: Option<Child>,
}

fn run(cmd: &str, args: &[&str]) {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Host {
    /// Makes a host; `sshd: false` leaves it without a server (a host that is down).
    pub fn create(sshd: bool) -> Host {
        Host::create_with(sshd, "")
    }

    /// [`Host::create`] with lines added to sshd's config (`SetEnv NAME=value` gives
    /// every session of the host's user that variable).
    pub fn create_with(sshd: bool, sshd_extra: &str) -> Host {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        let tag = format!("{}{n}", pid % 100_000);
        let netns = format!("mdr{tag}");
        let veth = format!("mdv{tag}");
        let peer = format!("mdp{tag}");
        // 10.213.X.Y/30 per host, X.Y from the pid and the counter: tests of several
        // processes at once get different links.
        let block = ((pid % 1024) * 16 + n % 16) % 16384;
        let (x, y) = (((block * 4) >> 8) as u8, ((block * 4) & 0xff) as u8);
        let local_addr = Ipv4Addr::new(10, 213, x, y + 1);
        let addr = Ipv4Addr::new(10, 213, x, y + 2);
        let user = format!("mdr{tag}");
        let dir = tempfile::Builder::new()
            .prefix("md-host")
            .tempdir()
            .unwrap();
        let home = dir.path().join("home");
        let mut host = Host {
            alias: format!("box{tag}"),
            user: user.clone(),
            uid: 0,
            home: home.clone(),
            local_addr,
            addr,
            ssh_config: dir.path().join("ssh_config"),
            netns: netns.clone(),
            veth: veth.clone(),
            dir,
            sshd: None,
        };
        // From here on, Drop cleans up whatever was made.
        run("ip", &["netns", "add", &netns]);
        run(
            "ip",
            &["link", "add", &veth, "type", "veth", "peer", "name", &peer],
        );
        run("ip", &["link", "set", &peer, "netns", &netns]);
        run(
            "ip",
            &["addr", "add", &format!("{local_addr}/30"), "dev", &veth],
        );
        run("ip", &["link", "set", &veth, "up"]);
        let ns = |args: &[&str]| {
            let mut all = vec!["netns", "exec", netns.as_str()];
            all.extend_from_slice(args);
            run("ip", &all);
        };
        ns(&["ip", "addr", "add", &format!("{addr}/30"), "dev", &peer]);
        ns(&["ip", "link", "set", &peer, "up"]);
        ns(&["ip", "link", "set", "lo", "up"]);
        run(
            "useradd",
            &[
                "-M",
                "-d",
                &home.to_string_lossy(),
                "-s",
                "/bin/bash",
                &user,
            ],
        );
        // Not locked ('!'): sshd without PAM refuses locked accounts even with a key.
        run("usermod", &["-p", "*", &user]);
        std::fs::create_dir_all(&home).unwrap();
        host.uid = user_id(&user);
        let d = host.dir.path().to_path_buf();
        // The temp folder must be passable for the user (its home is inside).
        set_mode(&d, 0o755);
        let key = d.join("id_ed25519");
        let host_key = d.join("host_ed25519");
        for k in [&key, &host_key] {
            run(
                "ssh-keygen",
                &["-q", "-t", "ed25519", "-N", "", "-f", &k.to_string_lossy()],
            );
        }
        let authorized = d.join("authorized_keys");
        std::fs::copy(d.join("id_ed25519.pub"), &authorized).unwrap();
        set_mode(&authorized, 0o644);
        run(
            "chown",
            &["-R", &format!("{user}:"), &home.to_string_lossy()],
        );
        std::fs::write(
            &host.ssh_config,
            format!(
                "Host {alias}\n  HostName {addr}\n  User {user}\n  IdentityFile {key}\n  \
                 IdentitiesOnly yes\n  StrictHostKeyChecking no\n  \
                 UserKnownHostsFile /dev/null\n  LogLevel ERROR\n",
                alias = host.alias,
                key = key.display()
            ),
        )
        .unwrap();
        if sshd {
            host.start_sshd(&host_key, &authorized, sshd_extra);
        }
        host
    }

    fn start_sshd(&mut self, host_key: &Path, authorized: &Path, extra: &str) {
        let d = self.dir.path();
        let config = d.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port 22\nListenAddress {addr}\nHostKey {hk}\nPidFile {pid}\n\
                 AuthorizedKeysFile {ak}\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nUsePAM no\n\
                 StrictModes no\nAllowUsers {user}\nPermitRootLogin no\nLogLevel VERBOSE\n{extra}\n",
                addr = self.addr,
                hk = host_key.display(),
                pid = d.join("sshd.pid").display(),
                ak = authorized.display(),
                user = self.user,
            ),
        )
        .unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let log = std::fs::File::create(d.join("sshd.log")).unwrap();
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.netns,
                "/usr/sbin/sshd",
                "-D",
                "-e",
                "-f",
            ])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting sshd");
        self.sshd = Some(child);
        let target = SocketAddr::from((self.addr, 22));
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect_timeout(&target, Duration::from_millis(500)).is_err() {
            assert!(
                Instant::now() < deadline,
                "sshd did not listen on {target}: {}",
                self.sshd_log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What sshd logged.
    pub fn sshd_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// Cuts every ssh connection to the host: SIGKILL to the user's sshd processes
    /// (one per connection), as a network failure would end them.
    pub fn kill_connections(&self) -> usize {
        let pids = self.user_pids(|comm| comm.starts_with("sshd"));
        for pid in &pids {
            // SAFETY: kill(2) on processes of the test's own user.
            unsafe { libc::kill(*pid, libc::SIGKILL) };
        }
        pids.len()
    }

    /// Pids of the user's processes whose command name passes `pick`.
    pub fn user_pids(&self, pick: impl Fn(&str) -> bool) -> Vec<i32> {
        let mut pids = Vec::new();
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
            let uid = status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().next())
                .and_then(|u| u.parse::<u32>().ok());
            let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
            if uid == Some(self.uid) && pick(comm.trim()) {
                pids.push(pid);
            }
        }
        pids
    }

    /// A folder in the user's home, owned by the user.
    pub fn user_dir(&self, name: &str) -> PathBuf {
        let dir = self.home.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        run(
            "chown",
            &["-R", &format!("{}:", self.user), &dir.to_string_lossy()],
        );
        dir
    }

    /// Gives everything under `path` to the user.
    pub fn give(&self, path: &Path) {
        run(
            "chown",
            &["-R", &format!("{}:", self.user), &path.to_string_lossy()],
        );
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- sshd log of {} ---\n{}", self.alias, self.sshd_log());
        }
        // The user's processes first (runners, programs), then sshd, then the rest.
        if self.uid != 0 {
            for _ in 0..3 {
                let pids = self.user_pids(|_| true);
                if pids.is_empty() {
                    break;
                }
                for pid in pids {
                    // SAFETY: kill(2) on processes of the test's own user.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        if let Some(mut sshd) = self.sshd.take() {
            let _ = sshd.kill();
            let _ = sshd.wait();
        }
        let quiet = |cmd: &str, args: &[&str]| {
            let _ = Command::new(cmd)
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        };
        quiet("ip", &["link", "del", &self.veth]);
        quiet("ip", &["netns", "del", &self.netns]);
        quiet("userdel", &[&self.user]);
    }
}

fn user_id(user: &str) -> u32 {
    let out = Command::new("id").args(["-u", user]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

impl Host {
    /// This machine's end of the link (`ip link set ... down` makes the host silent).
    pub fn veth_name(&self) -> &str {
        &self.veth
    }
}
