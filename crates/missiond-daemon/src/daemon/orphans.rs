//! Slot processes a previous daemon left behind (it was SIGKILLed, or crashed): found at
//! start-up by the environment every slot process gets (its slot id and its endpoint,
//! which lies in this home's `run/` folder, so only this home's slots match), and ended
//! with their process group. A sandboxed slot ends whole: SIGKILL reaches its sandbox's
//! init, and the kernel ends everything inside.
//! Left running, they would keep working on tasks the queue has already requeued and
//! send hook events for slots that no longer know them.

use std::path::Path;

use super::hooks::SLOT_ENV;

/// A leftover slot process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    pub pid: i32,
    pub pgid: i32,
    pub slot: String,
}

/// Processes whose environment names a slot and either `endpoint` (as daemons before
/// per-slot endpoints gave them) or a slot endpoint under `run_dir` (Linux `/proc`;
/// elsewhere none are found).
pub fn find(endpoint: &str, run_dir: &Path) -> Vec<Orphan> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = std::process::id() as i32;
    // SAFETY: getpgid(0) only reads this process's group.
    let my_group = unsafe { libc::getpgid(0) };
    let endpoint_var = format!("MISSION_IPC_ENDPOINT={endpoint}");
    let slot_endpoint_prefix = format!("MISSION_IPC_ENDPOINT=unix://{}/", run_dir.display());
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Some(slot) = slot_of(&entry.path(), &endpoint_var, &slot_endpoint_prefix) else {
            continue;
        };
        // SAFETY: getpgid on a pid only reads its group (-1 if it is gone).
        let pgid = unsafe { libc::getpgid(pid) };
        if pgid > 1 && pgid != my_group {
            found.push(Orphan { pid, pgid, slot });
        }
    }
    found
}

/// The slot id in a process's environment, when it also names `endpoint_var` or an
/// endpoint starting with `slot_endpoint_prefix`.
fn slot_of(proc_dir: &Path, endpoint_var: &str, slot_endpoint_prefix: &str) -> Option<String> {
    let environ = std::fs::read(proc_dir.join("environ")).ok()?;
    let mut slot = None;
    let mut ours = false;
    for var in environ.split(|b| *b == 0) {
        let var = String::from_utf8_lossy(var);
        if var == endpoint_var || var.starts_with(slot_endpoint_prefix) {
            ours = true;
        } else if let Some(id) = var.strip_prefix(SLOT_ENV).and_then(|v| v.strip_prefix('=')) {
            slot = Some(id.to_string());
        }
    }
    slot.filter(|_| ours)
}

/// The environment variable naming the slot run a process belongs to.
pub const RUN_ENV: &str = "MISSIOND_RUN_ID";

/// Processes (other than this daemon) whose environment carries `MISSIOND_RUN_ID=run_id`.
fn run_members(run_id: &str) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let me = std::process::id() as i32;
    let marker = format!("{RUN_ENV}={run_id}");
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()))
        .filter(|pid| *pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .map(|env| env.split(|b| *b == 0).any(|v| v == marker.as_bytes()))
                .unwrap_or(false)
        })
        .collect()
}

/// End, with SIGKILL, every process still carrying a finished run's id (tool commands
/// that Claude Code started in sessions of their own, and their children); returns their
/// pids. The run id is unique to one run, so a slot's next run is never touched.
pub fn end_run_leftovers(run_id: &str) -> Vec<i32> {
    // SAFETY: getpgid(0) only reads this process's group.
    let my_group = unsafe { libc::getpgid(0) };
    let pids = run_members(run_id);
    for pid in &pids {
        // SAFETY: kill(2) on a process found above by its run id; its group too, unless
        // that group is the daemon's own.
        unsafe {
            let pgid = libc::getpgid(*pid);
            if pgid > 1 && pgid != my_group {
                libc::kill(-pgid, libc::SIGKILL);
            }
            libc::kill(*pid, libc::SIGKILL);
        }
    }
    pids
}

/// End every orphan's process group with SIGKILL; returns what was found.
pub fn reap(endpoint: &str, run_dir: &Path) -> Vec<Orphan> {
    let orphans = find(endpoint, run_dir);
    let mut groups: Vec<i32> = orphans.iter().map(|o| o.pgid).collect();
    groups.sort_unstable();
    groups.dedup();
    for pgid in groups {
        // SAFETY: kill(2) on a process group found above, never our own.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
    for o in &orphans {
        tracing::warn!(slot = %o.slot, pid = o.pid, "ended a slot process left by a previous daemon");
    }
    orphans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc_dir(vars: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let mut environ = Vec::new();
        for v in vars {
            environ.extend_from_slice(v.as_bytes());
            environ.push(0);
        }
        std::fs::write(dir.path().join("environ"), environ).unwrap();
        dir
    }

    #[test]
    fn only_processes_of_this_daemon_with_a_slot_are_orphans() {
        let ours = "MISSION_IPC_ENDPOINT=unix:///h/missiond.sock";
        let run = "MISSION_IPC_ENDPOINT=unix:///h/run/";
        let both = proc_dir(&["PATH=/bin", "MISSIOND_SLOT_ID=a1", ours]);
        assert_eq!(slot_of(both.path(), ours, run), Some("a1".to_string()));
        let own_endpoint = proc_dir(&[
            "MISSIOND_SLOT_ID=a1",
            "MISSION_IPC_ENDPOINT=unix:///h/run/a1/agent.sock",
        ]);
        assert_eq!(
            slot_of(own_endpoint.path(), ours, run),
            Some("a1".to_string())
        );
        let other_home = proc_dir(&[
            "MISSIOND_SLOT_ID=a1",
            "MISSION_IPC_ENDPOINT=unix:///other/missiond.sock",
        ]);
        assert_eq!(slot_of(other_home.path(), ours, run), None);
        let other_run = proc_dir(&[
            "MISSIOND_SLOT_ID=a1",
            "MISSION_IPC_ENDPOINT=unix:///other/run/a1/agent.sock",
        ]);
        assert_eq!(slot_of(other_run.path(), ours, run), None);
        let no_slot = proc_dir(&[ours, "MISSIOND_SLOT_ID_X=a1"]);
        assert_eq!(slot_of(no_slot.path(), ours, run), None);
        let gone = tempfile::tempdir().unwrap();
        assert_eq!(slot_of(gone.path(), ours, run), None);
    }
}
