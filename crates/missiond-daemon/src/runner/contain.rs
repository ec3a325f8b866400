//! Containment on the host: a remote slot's program runs under bubblewrap with the same
//! policy as a local slot (the daemon's `sandbox::Plan`, its `bwrap_args` the one place
//! the command line is made), the runner's folder standing for the daemon's home.
//!
//! The runner's home (`~/.missiond`: the runner binaries, every slot's socket, folder and
//! log) is an empty tmpfs inside; bound back read-only are the slot's own folder (its hook
//! settings, its rules, its agent socket) and the runner binary the hooks run. So the
//! agent can reach its own socket and nothing else of the runner, and cannot rewrite the
//! rules it runs under. A PID namespace of its own ends every process left when the
//! program ends.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Result;
use missiond_core::config::slots::Isolation;

use crate::daemon::sandbox::{self, Plan, Support};

/// Printed by `missiond runner --probe-sandbox` before the bubblewrap path when one works.
pub const PROBE_OK: &str = "sandbox-available";
/// Printed before the reason when none does.
pub const PROBE_NONE: &str = "sandbox-unavailable";

/// Whether bubblewrap works on this host (probed once per runner process).
pub fn support() -> &'static Support {
    static SUPPORT: OnceLock<Support> = OnceLock::new();
    SUPPORT.get_or_init(Support::probe)
}

/// `missiond runner --probe-sandbox`: one line, [`PROBE_OK`] and the path, or
/// [`PROBE_NONE`] and why.
pub fn probe_line() -> String {
    match support() {
        Support::Available(path) => format!("{PROBE_OK} {}", path.display()),
        Support::Unavailable(why) => format!("{PROBE_NONE} {why}"),
    }
}

/// The folder the sandbox masks: `~/.missiond` for the default state folder
/// (`~/.missiond/run`), else the state folder itself.
pub fn runner_home(state_dir: &Path) -> PathBuf {
    let parent = state_dir.parent();
    let default_layout = state_dir.file_name().is_some_and(|n| n == "run")
        && parent
            .and_then(Path::file_name)
            .is_some_and(|n| n == ".missiond");
    match parent {
        Some(parent) if default_layout => parent.to_path_buf(),
        _ => state_dir.to_path_buf(),
    }
}

/// What the sandbox of one remote slot hides and shows.
pub fn plan(
    state_dir: &Path,
    slot_dir: &Path,
    runner_exe: &Path,
    cwd: &Path,
    env: &[(String, String)],
) -> Result<Plan> {
    let mut plan = Plan {
        home: runner_home(state_dir),
        ..Plan::default()
    };
    let bin = plan.home.join("bin");
    plan.place_cwd(cwd, &[state_dir, &bin])?;
    plan.show_read_only(slot_dir);
    // The runner (the hooks' command) and mission-mcp beside it (the agent tools).
    let mcp = runner_exe.with_file_name(super::mcp_file_name());
    for exe in [runner_exe, mcp.as_path()] {
        if exe.starts_with(&plan.home) {
            plan.show_read_only(exe);
        } else {
            // A binary kept elsewhere is still not the agent's to rewrite.
            plan.lock(exe);
        }
    }
    // A HOME or Claude Code config folder kept in the runner's home stays usable.
    for (key, value) in env {
        if matches!(key.as_str(), "HOME" | "CLAUDE_CONFIG_DIR") {
            plan.show_writable(Path::new(value));
        }
    }
    Ok(plan)
}

/// The bubblewrap binary to start the program under, or none; an error (naming what to
/// install) when the slot requires a sandbox and this host cannot make one.
pub fn decide(isolation: Isolation) -> Result<Option<PathBuf>> {
    sandbox::decide(isolation, support())
        .map(|b| b.map(Path::to_path_buf))
        .map_err(|why| anyhow::anyhow!("on this host, {why}"))
}

/// The host pids of the sandbox's init and of the program in it, once bubblewrap `outer`
/// started them (waits up to a second; `None` for what did not appear).
pub fn sandbox_pids(outer: u32) -> (Option<u32>, Option<u32>) {
    for _ in 0..100 {
        if let Some(program) = sandbox::program_pid(outer) {
            return (sandbox::init_pid(outer), Some(program));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    (sandbox::init_pid(outer), None)
}

/// Makes sure nothing of a sandbox outlives its program: SIGKILL to its init (the
/// kernel then ends every process in the namespace), and a bounded wait for it.
pub async fn end_sandbox(init: u32) {
    if sandbox::has_ended(init) {
        return;
    }
    if let Ok(pid) = i32::try_from(init) {
        // SAFETY: kill(2) only sends a signal, to the sandbox this runner started.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
    for _ in 0..250 {
        if sandbox::has_ended(init) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("runner: the sandbox (init {init}) outlived SIGKILL");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runner_home_is_masked_and_the_slot_folder_bound_back_read_only() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join(".missiond");
        let state = home.join("run");
        let slot_dir = state.join("s1");
        let exe = home.join("bin/missiond-1");
        std::fs::create_dir_all(&slot_dir).unwrap();
        std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
        std::fs::write(&exe, b"bin").unwrap();
        assert_eq!(runner_home(&state), home);
        let p = plan(&state, &slot_dir, &exe, dir.path(), &[]).unwrap();
        let args = p.bwrap_args("bash", &[]).join(" ");
        let tmpfs = args.find(&format!("--tmpfs {}", home.display())).unwrap();
        let slot = args
            .find(&format!("--ro-bind {0} {0}", slot_dir.display()))
            .unwrap();
        let bin = args
            .find(&format!("--ro-bind {0} {0}", exe.display()))
            .unwrap();
        assert!(tmpfs < slot && tmpfs < bin, "{args}");
        assert!(!args.contains(&format!("--bind {}", slot_dir.display())));
        assert!(args.contains("--unshare-pid") && args.contains("--cap-drop ALL"));
        // A folder inside the runner's own is no place to run a slot.
        assert!(plan(&state, &slot_dir, &exe, &state.join("x"), &[]).is_err());
        // A state folder of another layout is masked itself, never its parent.
        assert_eq!(runner_home(Path::new("/tmp/x")), PathBuf::from("/tmp/x"));
    }

    #[test]
    fn a_runner_binary_outside_the_home_is_locked_read_only() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let exe = dir.path().join("missiond");
        std::fs::create_dir_all(&state).unwrap();
        std::fs::write(&exe, b"bin").unwrap();
        let p = plan(&state, &state.join("s"), &exe, Path::new("/"), &[]).unwrap();
        assert_eq!(p.locked, vec![exe]);
    }
}
