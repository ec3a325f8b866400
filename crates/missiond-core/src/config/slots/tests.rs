use super::*;

const FILE: &str = "/etc/missiond/slots.yaml";

fn parse(text: &str) -> Result<SlotsConfig, ConfigError> {
    SlotsConfig::parse(text, Path::new(FILE), Some(Path::new("/home/ann")))
}

fn parse_err(text: &str) -> ConfigError {
    parse(text).expect_err("must be refused")
}

#[test]
fn a_full_slot_and_the_defaults() {
    let cfg = parse(
        "slots:\n\
         \x20 - id: coder-1\n\
         \x20   role: coder\n\
         \x20   description: Coding specialist\n\
         \x20   cwd: /src/app\n\
         \x20   command: /opt/claude\n\
         \x20   args: [--model, opus]\n\
         \x20   env: {FOO: bar}\n\
         \x20   permission_mode: acceptEdits\n\
         \x20   cols: 100\n\
         \x20   rows: 30\n\
         \x20   autostart: true\n\
         \x20   trusted: true\n\
         \x20 - id: plain\n\
         \x20   cwd: /tmp\n",
    )
    .expect("valid");
    assert_eq!(cfg.slots.len(), 2);
    let full = cfg.get("coder-1").expect("coder-1");
    assert_eq!(full.role, "coder");
    assert_eq!(full.description, "Coding specialist");
    assert_eq!(full.cwd, PathBuf::from("/src/app"));
    assert_eq!(full.command, "/opt/claude");
    assert_eq!(full.args, ["--model", "opus"]);
    assert_eq!(full.env.get("FOO").map(String::as_str), Some("bar"));
    assert_eq!(full.permission_mode, PermissionMode::AcceptEdits);
    assert_eq!((full.cols, full.rows), (100, 30));
    assert!(full.autostart && full.trusted);

    let plain = cfg.get("plain").expect("plain");
    assert_eq!(plain.command, "claude");
    assert_eq!(plain.role, "general");
    assert_eq!(plain.permission_mode, PermissionMode::Manual);
    assert_eq!((plain.cols, plain.rows), (120, 40));
    assert!(!plain.autostart && !plain.trusted);
    assert!(plain.args.is_empty() && plain.env.is_empty());
}

#[test]
fn every_permission_mode_is_accepted() {
    for mode in [
        PermissionMode::Manual,
        PermissionMode::AcceptEdits,
        PermissionMode::Auto,
        PermissionMode::BypassPermissions,
        PermissionMode::DontAsk,
        PermissionMode::Plan,
    ] {
        let text = format!(
            "slots:\n  - id: a\n    cwd: /x\n    permission_mode: {}\n",
            mode.as_str()
        );
        let cfg = parse(&text).unwrap_or_else(|e| panic!("{}: {e}", mode.as_str()));
        assert_eq!(cfg.slots[0].permission_mode, mode);
    }
}

#[test]
fn cwd_tilde_and_relative_paths_are_resolved() {
    let cfg = parse(
        "slots:\n  - {id: a, cwd: ~/work}\n  - {id: b, cwd: projects/x}\n  - {id: c, cwd: '~'}\n",
    )
    .expect("valid");
    assert_eq!(cfg.slots[0].cwd, PathBuf::from("/home/ann/work"));
    assert_eq!(cfg.slots[1].cwd, PathBuf::from("/etc/missiond/projects/x"));
    assert_eq!(cfg.slots[2].cwd, PathBuf::from("/home/ann"));
}

#[test]
fn cwd_tilde_without_a_home_is_an_error_on_its_line() {
    let err = SlotsConfig::parse("slots:\n  - id: a\n    cwd: ~/w\n", Path::new(FILE), None)
        .expect_err("no home");
    assert_eq!((err.line, err.field.as_deref()), (Some(3), Some("cwd")));
    let err = parse_err("slots:\n  - id: a\n    cwd: ~bob/w\n");
    assert_eq!(err.field.as_deref(), Some("cwd"));
    assert!(err.message.contains("~bob"), "{err}");
}

/// Each broken file is refused with the file, the line and the field in the message.
#[test]
fn errors_name_file_line_and_field() {
    let cases: [(&str, u64, &str, &str); 8] = [
        (
            "slots:\n  - id: a\n    cwd: /x\n    colour: red\n",
            4,
            "colour",
            "unknown field",
        ),
        (
            "slots:\n  - id: a\n    cwd: /x\n    cols: wide\n",
            4,
            "cols",
            "u16",
        ),
        (
            "slots:\n  - id: a\n    cwd: /x\n    autostart: maybe\n",
            4,
            "autostart",
            "",
        ),
        (
            "slots:\n  - role: r\n    cwd: /x\n",
            3,
            "id",
            "missing field",
        ),
        (
            "slots:\n  - id: a\n    cwd: /x\n    permission_mode: yolo\n",
            4,
            "permission_mode",
            "yolo",
        ),
        (
            "slots:\n  - id: a\n    cwd: /x\n  - id: a\n    cwd: /y\n",
            4,
            "id",
            "duplicate",
        ),
        (
            "slots:\n  - id: 'a b'\n    cwd: /x\n",
            2,
            "id",
            "invalid slot id",
        ),
        (
            "slots:\n  - id: a\n    cwd: /x\n    rows: 2\n",
            4,
            "rows",
            "out of range",
        ),
    ];
    for (text, line, field, words) in cases {
        let err = parse_err(text);
        assert_eq!(err.line, Some(line), "{text}\n{err}");
        assert_eq!(err.field.as_deref(), Some(field), "{text}\n{err}");
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!("{FILE}:{line}: `{field}`")),
            "{shown}"
        );
        assert!(shown.contains(words), "{shown}");
    }
}

#[test]
fn a_missing_file_means_no_slots_and_an_empty_one_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("slots.yaml");
    let cfg = SlotsConfig::load(&path, None).expect("missing file is fine");
    assert!(cfg.slots.is_empty());
    std::fs::write(&path, "\n# nothing yet\n").expect("write");
    assert!(
        SlotsConfig::load(&path, None)
            .expect("empty")
            .slots
            .is_empty()
    );
    std::fs::write(&path, "slots:\n  - id: a\n    cwd: rel\n").expect("write");
    let cfg = SlotsConfig::load(&path, None).expect("valid");
    assert_eq!(cfg.slots[0].cwd, dir.path().join("rel"));
}

#[test]
fn a_folder_in_place_of_the_file_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = SlotsConfig::load(dir.path(), None).expect_err("a folder");
    assert_eq!(err.path, dir.path());
    assert!(err.message.contains("cannot read"), "{err}");
}

#[test]
fn config_errors_become_rpc_errors_with_context() {
    let err = parse_err("slots:\n  - id: a\n    cwd: /x\n    colour: red\n").to_rpc();
    assert_eq!(err.code, -32006);
    let data = err.data.expect("data");
    assert_eq!(data["path"], serde_json::json!(FILE));
    assert_eq!(data["line"], serde_json::json!(4));
    assert_eq!(data["field"], serde_json::json!("colour"));
}

#[test]
fn slot_info_leaves_out_the_environment() {
    let cfg = parse("slots:\n  - {id: a, cwd: /x, env: {TOKEN: secret}}\n").expect("valid");
    let info = serde_json::to_value(cfg.slots[0].info()).expect("json");
    assert_eq!(info["id"], "a");
    assert_eq!(info["permissionMode"], "manual");
    assert!(!info.to_string().contains("secret"));
}
