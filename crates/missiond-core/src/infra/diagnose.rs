//! What `mission_os_diagnose` concludes from the numbers: which disk holds the home,
//! and which limits are near.

use std::path::Path;

use crate::catalogue::{DiskInfo, OsDiagnoseResult};

/// Disk free space under this percentage is a warning.
pub const DISK_FREE_WARN_PERCENT: f64 = 5.0;
/// Open files over this share of the limit is a warning.
pub const FD_WARN_SHARE: f64 = 0.8;
/// Memory or swap use over this share is a warning.
pub const MEMORY_WARN_SHARE: f64 = 0.9;

/// Marks the disk holding `home` (the longest mount point that is a prefix of it) and
/// puts it first; the rest keep their order. Pseudo filesystems of size 0 are dropped.
pub fn order_disks(mut disks: Vec<DiskInfo>, home: &Path) -> Vec<DiskInfo> {
    disks.retain(|d| d.total_bytes > 0);
    let home = std::fs::canonicalize(home).unwrap_or_else(|_| home.to_path_buf());
    let best = disks
        .iter()
        .enumerate()
        .filter(|(_, d)| home.starts_with(&d.mount_point))
        .max_by_key(|(_, d)| d.mount_point.len())
        .map(|(i, _)| i);
    if let Some(i) = best {
        let mut disk = disks.remove(i);
        disk.holds_home = true;
        disks.insert(0, disk);
    }
    disks
}

/// The warnings for `report`.
pub fn warnings(report: &OsDiagnoseResult) -> Vec<String> {
    let mut out = Vec::new();
    for d in &report.disks {
        if d.free_percent < DISK_FREE_WARN_PERCENT {
            out.push(format!(
                "disk {} is {:.1} % free ({} MiB left){}",
                d.mount_point,
                d.free_percent,
                d.available_bytes / (1024 * 1024),
                if d.holds_home {
                    ": the missiond home is on it"
                } else {
                    ""
                }
            ));
        }
    }
    if let (Some(open), Some(limit)) = (report.daemon.open_files, report.daemon.open_files_limit)
        && limit > 0
        && open as f64 > FD_WARN_SHARE * limit as f64
    {
        out.push(format!(
            "the daemon has {open} files open of its limit {limit} (over {:.0} %)",
            FD_WARN_SHARE * 100.0
        ));
    }
    for (what, m) in [("memory", &report.memory), ("swap", &report.swap)] {
        if m.total_bytes > 0 && m.used_bytes as f64 > MEMORY_WARN_SHARE * m.total_bytes as f64 {
            out.push(format!(
                "{what} is {:.0} % used",
                m.used_bytes as f64 * 100.0 / m.total_bytes as f64
            ));
        }
    }
    out
}

/// Free space in percent (0 for a disk of size 0).
pub fn free_percent(available: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        available as f64 * 100.0 / total as f64
    }
}
