//! The daemon's own files against a real daemon and a real bash slot: a database outside
//! the home created private, PTY logs pruned to their caps, and a full disk (a tmpfs
//! mounted by the test, as root) that the log survives: paused with a health warning,
//! resumed and the warning cleared once there is room again, the file a valid recording
//! throughout.

mod daemon_support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use daemon_support::{Daemon, ok, type_line, wait_screen};
use serde_json::{Value, json};

/// The slot's log files and sizes, the last written last.
fn slot_logs(home: &Path) -> Vec<(PathBuf, u64)> {
    let mut found: Vec<(PathBuf, u64)> = std::fs::read_dir(home.join("logs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("sh-") && n.ends_with(".jsonl"))
        })
        .map(|p| {
            let len = std::fs::metadata(&p).unwrap().len();
            (p, len)
        })
        .collect();
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    found.sort_by_key(|(p, _)| modified(p));
    found
}

fn replay_ok(file: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_missiond"))
        .arg("replay")
        .arg(file)
        .output()
        .expect("run missiond replay")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outside_the_home_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = tmp.path().join("somewhere/new/dir/x.db");
    let mut daemon = Daemon::start_with_env(
        &tmp.path().join("home"),
        Some(&daemon_support::shell_slot_yaml(tmp.path())),
        &[("MISSION_DB_PATH", db.to_str().unwrap())],
    );
    let client = daemon.client().await;
    // A write, so SQLite has its -wal and -shm files.
    ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    let health = ok(&client, "mission_health", json!({})).await;
    assert_eq!(health["dbPath"], db.display().to_string());
    for folder in ["somewhere", "somewhere/new", "somewhere/new/dir"] {
        assert_eq!(mode(&tmp.path().join(folder)), 0o700, "{folder}");
    }
    for file in ["x.db", "x.db-wal", "x.db-shm"] {
        assert_eq!(mode(&db.with_file_name(file)), 0o600, "{file}");
    }
    daemon.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slots_logs_are_pruned_to_its_cap_oldest_first() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    // An old log of a slot that no longer exists, and one of this slot's from long ago.
    std::fs::create_dir_all(home.join("logs")).unwrap();
    let ancient = home.join("logs/sh-20000101T000000Z.jsonl");
    std::fs::write(&ancient, "{\"version\":1,\"cols\":80,\"rows\":24}\n").unwrap();
    let daemon = Daemon::start_with_env(
        &home,
        Some(&daemon_support::shell_slot_yaml(tmp.path())),
        &[("MISSION_LOG_MAX_SLOT_BYTES", "256K")],
    );
    let client = daemon.client().await;
    ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    wait_screen(&client, "sh", "sh$", Duration::from_secs(20)).await;
    // About 1.5 MB of output, six times the cap.
    type_line(
        &client,
        "sh",
        "yes 0123456789abcdefghij | head -c 1500000; echo EN''D",
    )
    .await;
    wait_screen(&client, "sh", "END", Duration::from_secs(120)).await;
    let logs = slot_logs(&home);
    let total: u64 = logs.iter().map(|(_, n)| n).sum();
    assert!(total <= 256 * 1024, "{total} bytes in {logs:?}");
    assert!(logs.len() >= 2, "expected rotated files: {logs:?}");
    assert!(!ancient.exists(), "the oldest log was kept");
    // The latest file is the live one: mission_pty_logs reads it.
    let shown = ok(&client, "mission_pty_logs", json!({"slotId": "sh"})).await;
    assert_eq!(
        shown["path"].as_str(),
        logs.last().and_then(|(p, _)| p.to_str())
    );
    assert!(
        shown["text"].as_str().unwrap_or_default().contains("END"),
        "{shown}"
    );
    for (path, _) in &logs {
        let out = replay_ok(path);
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A tmpfs mounted on a fresh folder, unmounted on drop.
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    fn mount(mib: u32) -> Option<SmallDisk> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: mounting a tmpfs needs root");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m,mode=0700")])
            .arg("tmpfs")
            .arg(dir.path())
            .status()
            .expect("running mount");
        assert!(status.success(), "mount -t tmpfs failed as root");
        Some(SmallDisk(dir))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.0.path())
            .status();
    }
}

fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 64 * 1024];
    while f.write_all(&block).is_ok() {}
    while f.write_all(&block[..1]).is_ok() {}
    path
}

fn log_warning(health: &Value) -> Option<String> {
    health["warnings"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .find(|w| w.contains("PTY log"))
        .map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_full_disk_the_log_resumes_and_the_warning_clears() {
    let Some(disk) = SmallDisk::mount(16) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let home = disk.0.path().join("home");
    let mut daemon = Daemon::start(&home, Some(&daemon_support::shell_slot_yaml(tmp.path())));
    let client = daemon.client().await;
    ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    wait_screen(&client, "sh", "sh$", Duration::from_secs(20)).await;
    type_line(&client, "sh", "echo BEFORE-$((1+1))").await;
    wait_screen(&client, "sh", "BEFORE-2", Duration::from_secs(20)).await;

    let filler = fill(disk.0.path());
    type_line(
        &client,
        "sh",
        "yes lost-while-full | head -c 200000; echo FU''LL",
    )
    .await;
    wait_screen(&client, "sh", "FULL", Duration::from_secs(60)).await;
    let health = ok(&client, "mission_health", json!({})).await;
    let warning = log_warning(&health).unwrap_or_else(|| panic!("no PTY log warning: {health}"));
    assert!(warning.contains("`sh`"), "{warning}");
    assert_eq!(health["ok"], false);

    // Room again: after the back-off the next output is written and the warning goes.
    std::fs::remove_file(&filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut n = 0;
    loop {
        n += 1;
        type_line(&client, "sh", &format!("echo AFTER-$((1000+{n}))")).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let health = ok(&client, "mission_health", json!({})).await;
        if log_warning(&health).is_none() {
            break;
        }
        assert!(Instant::now() < deadline, "the warning stayed: {health}");
    }
    type_line(&client, "sh", "echo AFTER-DONE-$((2+3))").await;
    wait_screen(&client, "sh", "AFTER-DONE-5", Duration::from_secs(20)).await;
    // The log reads whole (nothing cut), from before the disk filled to after.
    let deadline = Instant::now() + Duration::from_secs(20);
    let shown = loop {
        let shown = ok(&client, "mission_pty_logs", json!({"slotId": "sh"})).await;
        let text = shown["text"].as_str().unwrap_or_default().to_string();
        if text.contains("AFTER-DONE-5") || Instant::now() > deadline {
            break shown;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let text = shown["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("BEFORE-2") && text.contains("AFTER-DONE-5"),
        "{shown}"
    );
    assert!(shown.get("skippedLine").is_none(), "{shown}");
    let out = replay_ok(Path::new(shown["path"].as_str().unwrap()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    daemon.stop();
}
