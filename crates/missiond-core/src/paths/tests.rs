use super::*;

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_hang_off_the_home_folder() {
    let p = Paths::from_vars(vars(&[("HOME", "/home/ann")])).expect("paths");
    let home = PathBuf::from("/home/ann/.missiond");
    assert_eq!(p.home, home);
    assert_eq!(p.db_path, home.join("mission.db"));
    assert_eq!(p.slots_config, home.join("slots.yaml"));
    assert_eq!(p.permissions_config, home.join("permissions.yaml"));
    assert_eq!(p.logs_dir, home.join("logs"));
    assert_eq!(p.lock_path, home.join("missiond.lock"));
    assert_eq!(p.ws_port, 9120);
    assert_eq!(p.log_level, "warn");
    assert_eq!(p.log_max_slot_bytes, 256 << 20);
    assert_eq!(p.log_max_total_bytes, 2 << 30);
    if cfg!(unix) {
        assert_eq!(p.ipc_endpoint, Endpoint::Unix(home.join("missiond.sock")));
    }
}

#[test]
fn each_variable_overrides_its_default() {
    let p = Paths::from_vars(vars(&[
        ("HOME", "/home/ann"),
        ("MISSIOND_HOME", "~/m"),
        ("MISSION_DB_PATH", "/data/x.db"),
        ("MISSION_SLOTS_CONFIG", "/etc/slots.yaml"),
        ("MISSION_PERMISSIONS_CONFIG", "~/perm.yaml"),
        ("MISSION_IPC_ENDPOINT", "tcp://127.0.0.1:7000"),
        ("MISSION_WS_PORT", "9999"),
        ("MISSION_LOG_LEVEL", "debug"),
        ("MISSION_LOG_MAX_SLOT_BYTES", "64M"),
        ("MISSION_LOG_MAX_TOTAL_BYTES", "1000000"),
    ]))
    .expect("paths");
    assert_eq!(p.home, PathBuf::from("/home/ann/m"));
    assert_eq!(p.db_path, PathBuf::from("/data/x.db"));
    assert_eq!(p.slots_config, PathBuf::from("/etc/slots.yaml"));
    assert_eq!(p.permissions_config, PathBuf::from("/home/ann/perm.yaml"));
    assert_eq!(
        p.ipc_endpoint,
        Endpoint::parse("tcp://127.0.0.1:7000").expect("ep")
    );
    assert_eq!(p.ws_port, 9999);
    assert_eq!(p.log_level, "debug");
    assert_eq!(p.logs_dir, PathBuf::from("/home/ann/m/logs"));
    assert_eq!(p.log_max_slot_bytes, 64 * 1024 * 1024);
    assert_eq!(p.log_max_total_bytes, 1_000_000);
}

#[test]
fn sizes_read_with_binary_units() {
    for (text, want) in [
        ("0", Some(0)),
        ("4096", Some(4096)),
        ("512K", Some(512 << 10)),
        ("512kb", Some(512 << 10)),
        (" 2 GiB ", Some(2 << 30)),
        ("1T", Some(1 << 40)),
        ("1.5G", None),
        ("-1", None),
        ("M", None),
        ("ten", None),
        ("99999999999999999999", None),
        ("17179869184G", None),
    ] {
        assert_eq!(parse_bytes(text), want, "{text}");
    }
}

#[test]
fn empty_values_count_as_unset() {
    let p = Paths::from_vars(vars(&[("HOME", "/h"), ("MISSION_WS_PORT", "")])).expect("paths");
    assert_eq!(p.ws_port, 9120);
}

#[test]
fn bad_values_name_the_variable() {
    let cases = [
        ("MISSION_WS_PORT", "70000"),
        ("MISSION_IPC_ENDPOINT", "tcp://8.8.8.8:1"),
        ("MISSION_DB_PATH", "relative/x.db"),
        ("MISSION_LOG_MAX_SLOT_BYTES", "lots"),
        ("MISSION_LOG_MAX_TOTAL_BYTES", "1.5G"),
    ];
    for (var, value) in cases {
        let err = Paths::from_vars(vars(&[("HOME", "/h"), (var, value)])).expect_err(var);
        assert!(err.to_string().starts_with(var), "{err}");
    }
}

#[test]
fn no_home_anywhere_is_an_error() {
    assert!(matches!(
        Paths::from_vars(Vec::<(String, String)>::new()),
        Err(PathsError::NoHome)
    ));
    let p = Paths::from_vars(vars(&[("MISSIOND_HOME", "/srv/m")])).expect("explicit home");
    assert_eq!(p.home, PathBuf::from("/srv/m"));
}

#[test]
fn ensure_dirs_creates_a_private_home() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("m");
    let p =
        Paths::from_vars(vars(&[("MISSIOND_HOME", home.to_str().expect("utf8"))])).expect("paths");
    p.ensure_dirs().expect("dirs");
    assert!(p.logs_dir.is_dir());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&home).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}

#[test]
fn the_daemon_lock_is_exclusive_until_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("home").join("missiond.lock");
    let first = DaemonLock::acquire(&path).expect("first lock");
    match DaemonLock::acquire(&path) {
        Err(LockError::Held { holder, .. }) => assert_eq!(holder, Some(std::process::id())),
        other => panic!("second lock must fail, got {other:?}"),
    }
    drop(first);
    let again = DaemonLock::acquire(&path).expect("lock after release");
    assert_eq!(again.path(), path);
}
