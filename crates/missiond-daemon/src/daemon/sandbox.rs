//! Slot isolation: each slot's program runs inside a bubblewrap sandbox that hides the
//! daemon from it.
//!
//! An agent runs whatever code its allowed commands run (`cargo test`, `npm test`), in
//! processes that may fork away from the slot, read any file they can see and connect to
//! any socket. Permission rules cannot stop that code; the sandbox limits what it can
//! reach. Inside, the filesystem is the user's own (`--dev-bind / /`: the slot sees and
//! does what the user's processes do) except:
//! - `MISSIOND_HOME` is an empty tmpfs: the main socket, the database, the rules, the
//!   logs and every other slot's endpoint are gone. Bound back into it: the slot's own
//!   folder under `run/` (its agent socket and generated settings, read-only), the rules
//!   file read-only (the hook's fail-closed check reads it when the daemon cannot be
//!   asked), and anything the slot itself needs that lives there (its working folder, the
//!   daemon's binaries).
//! - The daemon's files that live outside the home (a `MISSION_DB_PATH` elsewhere, ...)
//!   are covered by `/dev/null`, read-only.
//! - A PID namespace of its own (`--unshare-pid`, a fresh `/proc`): the daemon's
//!   environment and memory under `/proc/PID` are out of sight, and when the slot's
//!   program ends the kernel ends every process left in the namespace, double-forked
//!   and `setsid` ones included.
//! - No capabilities (`--cap-drop ALL`): as root, bubblewrap would otherwise keep them and
//!   the agent could simply unmount the mask. Mounts inherited from the sandbox's mount
//!   namespace are locked, so a nested user namespace cannot unmount them either.
//!
//! Identity does not come from the sandbox: it comes from the endpoint reached (see
//! `agent_endpoint`). The sandbox makes sure the slot's own endpoint is the only one it
//! can reach.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use missiond_core::config::slots::Isolation;

/// Overrides where bubblewrap is found (`bwrap` on `PATH` otherwise).
pub const ENV_BWRAP: &str = "MISSIOND_BWRAP";

/// Whether this machine can run slots in a sandbox.
#[derive(Debug, Clone)]
pub enum Support {
    /// bubblewrap works here: its path.
    Available(PathBuf),
    /// It does not: why, in words a person can act on.
    Unavailable(String),
}

impl Support {
    /// Finds bubblewrap and checks that it can build the sandbox slots use (a PID
    /// namespace without capabilities). Takes a few milliseconds; run once at start.
    pub fn probe() -> Support {
        let Some(bwrap) = find_bwrap() else {
            return Support::Unavailable(
                "bubblewrap (bwrap) is not installed (Debian/Ubuntu: apt install bubblewrap; \
                 not available on macOS)"
                    .into(),
            );
        };
        let child = Command::new(&bwrap)
            .args([
                "--dev-bind",
                "/",
                "/",
                "--unshare-pid",
                "--proc",
                "/proc",
                "--cap-drop",
                "ALL",
                "--",
                "true",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match child {
            Ok(child) => child,
            Err(e) => return Support::Unavailable(format!("{} cannot run: {e}", bwrap.display())),
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => return Support::Available(bwrap),
                Ok(Some(status)) => {
                    let mut err = String::new();
                    if let Some(mut stderr) = child.stderr.take() {
                        use std::io::Read;
                        let _ = stderr.read_to_string(&mut err);
                    }
                    return Support::Unavailable(format!(
                        "{} is installed but may not build a sandbox here ({status}: {}); \
                         user namespaces may be disabled (a container, or \
                         kernel.unprivileged_userns_clone=0)",
                        bwrap.display(),
                        err.trim()
                    ));
                }
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok(None) | Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Support::Unavailable(format!(
                        "{} did not finish a trial run within 10 s",
                        bwrap.display()
                    ));
                }
            }
        }
    }

    /// The bubblewrap binary, when it works here.
    pub fn bwrap(&self) -> Option<&Path> {
        match self {
            Support::Available(path) => Some(path),
            Support::Unavailable(_) => None,
        }
    }
}

fn find_bwrap() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(ENV_BWRAP).filter(|p| !p.is_empty()) {
        // Named but not there: not installed where it was said to be.
        return Some(PathBuf::from(path)).filter(|p| p.is_file());
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("bwrap"))
            .find(|p| p.is_file())
    })
}

/// What the sandbox of one slot hides and shows.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// `MISSIOND_HOME`: replaced by an empty tmpfs.
    pub home: PathBuf,
    /// The daemon's files outside the home: each covered by `/dev/null` while it exists.
    pub hidden_files: Vec<PathBuf>,
    /// Paths inside the home bound back read-only (the slot's own folder, the rules).
    pub read_only: Vec<PathBuf>,
    /// Paths inside the home bound back writable (a working folder kept there).
    pub writable: Vec<PathBuf>,
    /// Where the program starts.
    pub cwd: PathBuf,
    /// Paths outside the home made read-only (the main checkout and other slots'
    /// worktrees, for a slot with a workspace).
    pub locked: Vec<PathBuf>,
    /// Paths inside locked ones made writable again (the slot's own worktree).
    pub unlocked: Vec<PathBuf>,
}

/// Why a slot cannot run in the sandbox it asked for.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The working folder is the home itself, or holds it: the mask would hide the slot's
    /// own files, or expose the daemon's.
    #[error(
        "its working folder {} is MISSIOND_HOME ({}) itself; a slot's folder must be outside the daemon's home",
        .cwd.display(), .home.display()
    )]
    CwdIsHome {
        /// The slot's folder.
        cwd: PathBuf,
        /// The daemon's home.
        home: PathBuf,
    },
    /// The slot's folder is one of the daemon's own folders under the home.
    #[error(
        "its working folder {} is inside the daemon's own folder {}; choose a folder outside MISSIOND_HOME",
        .cwd.display(), .owned.display()
    )]
    CwdInDaemonFolder {
        /// The slot's folder.
        cwd: PathBuf,
        /// The daemon's folder it lies in.
        owned: PathBuf,
    },
}

impl Plan {
    /// Checks a working folder against the home: outside it is fine; inside it (but not
    /// in `daemon_dirs`, the daemon's own folders there) it is bound back writable.
    pub fn place_cwd(&mut self, cwd: &Path, daemon_dirs: &[&Path]) -> Result<(), PlanError> {
        self.cwd = cwd.to_path_buf();
        if cwd == self.home {
            return Err(PlanError::CwdIsHome {
                cwd: cwd.to_path_buf(),
                home: self.home.clone(),
            });
        }
        if let Some(owned) = daemon_dirs.iter().find(|d| cwd.starts_with(d)) {
            return Err(PlanError::CwdInDaemonFolder {
                cwd: cwd.to_path_buf(),
                owned: owned.to_path_buf(),
            });
        }
        if cwd.starts_with(&self.home) {
            self.writable.push(cwd.to_path_buf());
        }
        Ok(())
    }

    /// Shows `path` read-only inside the sandbox when it lies in the home (a binary the
    /// slot runs, the rules file); paths outside are visible anyway.
    pub fn show_read_only(&mut self, path: &Path) {
        if path.starts_with(&self.home) && path != self.home && path.exists() {
            self.read_only.push(path.to_path_buf());
        }
    }

    /// Shows `path` writable inside the sandbox when it lies in the home (a config folder
    /// the slot's program writes to).
    pub fn show_writable(&mut self, path: &Path) {
        if path.starts_with(&self.home) && path != self.home && path.exists() {
            self.writable.push(path.to_path_buf());
        }
    }

    /// Makes `path` (and everything under it) read-only in the sandbox, when it exists.
    pub fn lock(&mut self, path: &Path) {
        if path.exists() && !self.locked.iter().any(|p| p == path) {
            self.locked.push(path.to_path_buf());
        }
    }

    /// Makes `path` writable again inside a locked folder, when it exists.
    pub fn unlock(&mut self, path: &Path) {
        if path.exists() && !self.unlocked.iter().any(|p| p == path) {
            self.unlocked.push(path.to_path_buf());
        }
    }

    /// Hides one of the daemon's files that lies outside the home.
    pub fn hide_file(&mut self, path: &Path) {
        if !path.starts_with(&self.home) {
            self.hidden_files.push(path.to_path_buf());
        }
    }

    /// bubblewrap's arguments, ending with `--` and the program's own command line.
    pub fn bwrap_args(&self, program: &str, args: &[String]) -> Vec<String> {
        let s = |p: &Path| p.to_string_lossy().into_owned();
        let mut out: Vec<String> = vec!["--dev-bind".into(), "/".into(), "/".into()];
        // Locked folders first, the writable ones inside them after (later mounts win),
        // all before the home's mask.
        for path in &self.locked {
            out.extend(["--ro-bind".into(), s(path), s(path)]);
        }
        for path in &self.unlocked {
            out.extend(["--bind".into(), s(path), s(path)]);
        }
        out.extend(["--tmpfs".into(), s(&self.home)]);
        for file in &self.hidden_files {
            // Only what exists: bubblewrap would create a missing target on the real disk.
            if file.is_file() || is_socket(file) {
                out.extend(["--ro-bind".into(), "/dev/null".into(), s(file)]);
            }
        }
        // Writable binds first, so a read-only path inside one (the slot's folder under a
        // working folder kept in the home) stays read-only.
        for path in &self.writable {
            out.extend(["--bind".into(), s(path), s(path)]);
        }
        for path in &self.read_only {
            out.extend(["--ro-bind".into(), s(path), s(path)]);
        }
        out.extend([
            "--unshare-pid".into(),
            "--proc".into(),
            "/proc".into(),
            "--cap-drop".into(),
            "ALL".into(),
            "--chdir".into(),
            s(&self.cwd),
            "--".into(),
            program.to_string(),
        ]);
        out.extend(args.iter().cloned());
        out
    }
}

/// The host pid of the sandbox's init (pid 1 inside), which bubblewrap `outer` starts.
/// When it exits, the kernel ends every process of the sandbox.
pub fn init_pid(outer: u32) -> Option<u32> {
    children(outer).into_iter().next()
}

/// The host pid of the program running in the sandbox that bubblewrap `outer` started:
/// bubblewrap's process runs the namespace's init, which runs the program. `None` until
/// both exist (a few milliseconds after start) or once they are gone.
pub fn program_pid(outer: u32) -> Option<u32> {
    children(init_pid(outer)?).into_iter().next()
}

/// Whether `pid` has ended (gone, or a zombie nobody reaped yet).
pub fn has_ended(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses and may hold any
        // character: read after the last `)`.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_none_or(|state| state == "Z" || state == "X"),
        Err(_) => true,
    }
}

/// The children of `pid`'s main thread, as the kernel lists them.
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn is_socket(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket())
}

/// What a slot asked for, against what the machine has: the bubblewrap binary to use, or
/// none (running unisolated), or an error when the slot requires a sandbox.
pub fn decide(isolation: Isolation, support: &Support) -> Result<Option<&Path>, String> {
    match (isolation, support) {
        (Isolation::None, _) => Ok(None),
        (_, Support::Available(bwrap)) => Ok(Some(bwrap)),
        (Isolation::Auto, Support::Unavailable(_)) => Ok(None),
        (Isolation::Sandbox, Support::Unavailable(why)) => Err(format!(
            "it requires a sandbox (isolation: sandbox) and none can be made here: {why}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(home: &Path) -> Plan {
        Plan {
            home: home.to_path_buf(),
            ..Plan::default()
        }
    }

    #[test]
    fn a_working_folder_in_the_home_is_bound_back_and_the_home_itself_is_refused() {
        let home = Path::new("/h/.missiond");
        let run = home.join("run");
        let mut p = plan(home);
        assert!(p.place_cwd(Path::new("/src/app"), &[&run]).is_ok());
        assert!(p.writable.is_empty(), "outside the home nothing is bound");
        let mut p = plan(home);
        p.place_cwd(&home.join("work/app"), &[&run]).unwrap();
        assert_eq!(p.writable, vec![home.join("work/app")]);
        assert!(matches!(
            plan(home).place_cwd(home, &[&run]),
            Err(PlanError::CwdIsHome { .. })
        ));
        assert!(matches!(
            plan(home).place_cwd(&run.join("x"), &[&run]),
            Err(PlanError::CwdInDaemonFolder { .. })
        ));
    }

    #[test]
    fn the_command_line_masks_the_home_then_binds_back_and_drops_capabilities() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let slot_dir = home.join("run/a1");
        std::fs::create_dir_all(&slot_dir).unwrap();
        let db = dir.path().join("elsewhere.db");
        std::fs::write(&db, b"x").unwrap();
        let mut p = plan(&home);
        p.place_cwd(dir.path(), &[]).unwrap();
        p.show_read_only(&slot_dir);
        p.show_read_only(&home.join("missing")); // not there: not bound
        p.show_read_only(Path::new("/usr/bin/env")); // outside the home: visible anyway
        p.hide_file(&db);
        p.hide_file(&dir.path().join("no-such.db"));
        let args = p.bwrap_args("claude", &["--x".into()]);
        let joined = args.join(" ");
        let home_s = home.display().to_string();
        let tmpfs = joined.find(&format!("--tmpfs {home_s}")).unwrap();
        let back = joined
            .find(&format!("--ro-bind {0} {0}", slot_dir.display()))
            .unwrap();
        assert!(tmpfs < back, "the slot's folder is bound after the mask");
        assert!(joined.contains(&format!("--ro-bind /dev/null {}", db.display())));
        assert!(!joined.contains("no-such.db"));
        assert!(!joined.contains("missing"));
        assert!(!joined.contains("/usr/bin/env"));
        for needed in ["--unshare-pid", "--cap-drop ALL", "--proc /proc"] {
            assert!(joined.contains(needed), "{needed} in {joined}");
        }
        assert_eq!(&args[args.len() - 3..], ["--", "claude", "--x"]);
    }

    #[test]
    fn a_slot_that_requires_a_sandbox_does_not_start_without_one() {
        let none = Support::Unavailable("no bwrap".into());
        let some = Support::Available(PathBuf::from("/usr/bin/bwrap"));
        assert!(decide(Isolation::Sandbox, &none).is_err());
        assert_eq!(decide(Isolation::Auto, &none), Ok(None));
        assert_eq!(decide(Isolation::None, &some), Ok(None));
        assert_eq!(
            decide(Isolation::Auto, &some),
            Ok(Some(Path::new("/usr/bin/bwrap")))
        );
    }
}
