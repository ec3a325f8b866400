//! `mission_os_diagnose`: the machine's numbers through `sysinfo` (blocking: it samples
//! CPU use over `sysinfo::MINIMUM_CPU_UPDATE_INTERVAL`).

use std::collections::HashMap;

use missiond_core::catalogue::{
    CpuInfo, DaemonProcessInfo, DiskInfo, LoadInfo, MemoryInfo, OsDiagnoseResult, SlotProcessInfo,
};
use missiond_core::infra::diagnose;
use missiond_core::ipc::RpcError;
use sysinfo::{Disks, Pid, ProcessRefreshKind, ProcessesToUpdate, System};

use super::supervisor::Supervisor;

/// Measures the machine, the daemon and each slot's process tree.
pub fn diagnose(sup: &Supervisor) -> Result<OsDiagnoseResult, RpcError> {
    let fail = |what: &str, e: sysinfo::Error| RpcError::internal(format!("reading {what}: {e}"));
    let mut sys = System::new().map_err(|e| fail("the system", e))?;
    let kind = ProcessRefreshKind::nothing().with_cpu().with_memory();
    sys.refresh_cpu_usage();
    sys.refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
    std::thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
    sys.refresh_cpu_usage();
    sys.refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
    sys.refresh_memory();

    let load = System::load_average().unwrap_or_else(|_| sysinfo::LoadAvg::default());
    let disks = Disks::new_with_refreshed_list()
        .map(|d| {
            d.iter()
                .map(|d| DiskInfo {
                    mount_point: d.mount_point().display().to_string(),
                    file_system: d.file_system().to_string_lossy().into_owned(),
                    total_bytes: d.total_space(),
                    available_bytes: d.available_space(),
                    free_percent: diagnose::free_percent(d.available_space(), d.total_space()),
                    holds_home: false,
                })
                .collect()
        })
        .unwrap_or_default();

    let me = sysinfo::get_current_pid().ok();
    let own = me.and_then(|pid| sys.process(pid));
    let daemon = DaemonProcessInfo {
        pid: std::process::id(),
        open_files: own.and_then(|p| p.open_files()).map(|n| n as u64),
        open_files_limit: own
            .and_then(|p| p.open_files_limit())
            .or_else(|| System::open_files_limit().ok())
            .map(|n| n as u64),
        memory_bytes: own.map(|p| p.memory()).unwrap_or(0),
    };

    let mut children: HashMap<Pid, Vec<Pid>> = HashMap::new();
    for (pid, p) in sys.processes() {
        if let Some(parent) = p.parent() {
            children.entry(parent).or_default().push(*pid);
        }
    }
    let slots = sup
        .slots()
        .map(|slot| {
            // The tree starts at the PTY's child (bubblewrap for a sandboxed slot), so
            // the sandbox and everything in it count; the pid shown is the program's.
            let (pid, root) = {
                let inner = slot.lock();
                let run = inner.run.as_ref().filter(|r| r.is_alive());
                (
                    run.and_then(|r| r.pid()),
                    // A remote program's processes are on its host, not here.
                    run.filter(|r| !matches!(r.pty, super::slot_process::SlotProcess::Remote(_)))
                        .and_then(|r| r.pty.pid().or_else(|| r.pid())),
                )
            };
            let mut info = SlotProcessInfo {
                slot_id: slot.spec.id.clone(),
                running: pid.is_some(),
                pid,
                ..Default::default()
            };
            if let Some(top) = root {
                let mut stack = vec![Pid::from_u32(top)];
                let mut seen = std::collections::HashSet::new();
                while let Some(pid) = stack.pop() {
                    if !seen.insert(pid) {
                        continue;
                    }
                    if let Some(p) = sys.process(pid) {
                        info.processes += 1;
                        info.cpu_percent += p.cpu_usage();
                        info.memory_bytes += p.memory();
                    }
                    stack.extend(children.get(&pid).into_iter().flatten().copied());
                }
            }
            info
        })
        .collect();

    let mut report = OsDiagnoseResult {
        hostname: System::host_name().ok(),
        os: System::long_os_version().ok(),
        uptime_secs: System::uptime().unwrap_or(0),
        cpu: CpuInfo {
            cores: sys.cpus().len() as u32,
            usage_percent: sys.global_cpu_usage(),
        },
        load: LoadInfo {
            one: load.one,
            five: load.five,
            fifteen: load.fifteen,
        },
        memory: MemoryInfo {
            total_bytes: sys.total_memory(),
            used_bytes: sys.used_memory(),
            available_bytes: sys.available_memory(),
        },
        swap: MemoryInfo {
            total_bytes: sys.total_swap(),
            used_bytes: sys.used_swap(),
            available_bytes: sys.free_swap(),
        },
        disks: diagnose::order_disks(disks, &sup.ctx.home),
        daemon,
        slots,
        warnings: Vec::new(),
    };
    report.warnings = diagnose::warnings(&report);
    Ok(report)
}
