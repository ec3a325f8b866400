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

#[test]
fn roles_and_slot_overrides_merge_field_by_field() {
    use crate::lifecycle::{ContextPolicy, LifecycleSettings};
    use std::time::Duration;
    let cfg = parse(
        "roles:\n\
         \x20 coder:\n\
         \x20   context_policy: auto_compact\n\
         \x20   context_threshold_percent: 15\n\
         \x20   stuck_after_secs: 120\n\
         \x20   restart_backoff: {min_secs: 5, max_secs: 50}\n\
         \x20   max_restarts_per_hour: 3\n\
         \x20 general:\n\
         \x20   stuck_grace_secs: 7\n\
         slots:\n\
         \x20 - id: a\n\
         \x20   role: coder\n\
         \x20   cwd: /x\n\
         \x20   lifecycle:\n\
         \x20     context_policy: restart\n\
         \x20     restart_backoff: {max_secs: 20, stable_after_secs: 60}\n\
         \x20 - {id: b, role: coder, cwd: /x}\n\
         \x20 - {id: c, cwd: /x}\n\
         \x20 - {id: d, role: unknown-role, cwd: /x}\n",
    )
    .expect("valid");
    let a = &cfg.get("a").expect("a").lifecycle;
    assert_eq!(a.context_policy, ContextPolicy::Restart, "slot wins");
    assert_eq!(a.context_threshold_percent, 15, "from the role");
    assert_eq!(a.stuck_after, Duration::from_secs(120));
    assert_eq!(a.backoff.min, Duration::from_secs(5), "role's min");
    assert_eq!(a.backoff.max, Duration::from_secs(20), "slot's max");
    assert_eq!(a.backoff.stable_after, Duration::from_secs(60));
    assert_eq!(a.backoff.max_restarts_per_hour, 3);

    let b = &cfg.get("b").expect("b").lifecycle;
    assert_eq!(b.context_policy, ContextPolicy::AutoCompact);
    assert_eq!(b.backoff.max, Duration::from_secs(50));
    assert_eq!(b, &cfg.roles["coder"]);

    let c = &cfg.get("c").expect("c").lifecycle;
    assert_eq!(
        c.stuck_grace,
        Duration::from_secs(7),
        "role-less slots are general"
    );
    assert_eq!(c.stuck_after, LifecycleSettings::default().stuck_after);

    assert_eq!(
        cfg.get("d").expect("d").lifecycle,
        LifecycleSettings::default()
    );
    assert!(cfg.secrets.is_none());
}

#[test]
fn the_secrets_section_as_a_line_or_a_list() {
    use std::time::Duration;
    let cfg = parse(
        "secrets:\n  command: \"pass show {path}\"\n\
         slots:\n  - {id: a, cwd: /x, env: {TOKEN: '${secret:gh/token}', LIT: '$${x}'}}\n",
    )
    .expect("valid");
    let secrets = cfg.secrets.as_ref().expect("secrets");
    assert_eq!(secrets.argv(), ["pass", "show", "{path}"]);
    assert_eq!(secrets.timeout(), crate::secrets::DEFAULT_TIMEOUT);
    // env keeps the references for spawn time.
    assert_eq!(cfg.slots[0].env["TOKEN"], "${secret:gh/token}");
    assert_eq!(cfg.slots[0].env["LIT"], "$${x}");

    let cfg = parse(
        "secrets:\n  command: [sh, -c, 'printf %s \"$1\"', sh, '{path}']\n  timeout_secs: 3\n",
    )
    .expect("valid");
    let secrets = cfg.secrets.as_ref().expect("secrets");
    assert_eq!(secrets.argv()[2], "printf %s \"$1\"");
    assert_eq!(secrets.timeout(), Duration::from_secs(3));
}

/// Broken lifecycle and secrets sections: file, line and field in each message.
#[test]
fn lifecycle_and_secrets_errors_name_file_line_and_field() {
    let slot = "slots:\n  - id: a\n    cwd: /x\n";
    let cases: Vec<(String, u64, &str, &str)> = vec![
        (
            "roles:\n  coder:\n    context_threshold_percent: 95\n".into(),
            3,
            "context_threshold_percent",
            "role \"coder\": 95 is out of range",
        ),
        (
            "roles:\n  coder:\n    stuck_after: 5\n".into(),
            3,
            "stuck_after",
            "unknown field",
        ),
        (
            "roles:\n  coder:\n    context_policy: compact\n".into(),
            3,
            "context_policy",
            "compact",
        ),
        (
            "roles:\n  coder:\n    restart_backoff:\n      min_secs: 60\n      max_secs: 10\n"
                .into(),
            5,
            "max_secs",
            "min_secs (60) is above max_secs (10)",
        ),
        (
            "roles:\n  coder:\n    restart_backoff: {min_secs: 60}\n\
             slots:\n  - id: a\n    role: coder\n    cwd: /x\n    lifecycle:\n      restart_backoff:\n        max_secs: 30\n"
                .into(),
            10,
            "max_secs",
            "slot \"a\": restart_backoff min_secs (60) is above",
        ),
        (
            format!("{slot}    lifecycle:\n      max_restarts_per_hour: 0\n"),
            5,
            "max_restarts_per_hour",
            "slot \"a\": 0 is out of range",
        ),
        (
            format!("{slot}    env:\n      TOKEN: '${{secret:gh/token}}'\n"),
            5,
            "env.TOKEN",
            "no `secrets:",
        ),
        (
            format!("secrets:\n  command: pass show {{path}}\n{slot}    env:\n      TOKEN: 'x ${{secret:gh'\n"),
            7,
            "env.TOKEN",
            "closing",
        ),
        (
            "secrets:\n  command: pass show\n".into(),
            2,
            "command",
            "no {path}",
        ),
        (
            "secrets:\n  command: pass show --name={path}\n".into(),
            2,
            "command",
            "word of its own",
        ),
        (
            "secrets:\n  command: pass show {path}\n  timeout_secs: 0\n".into(),
            3,
            "timeout_secs",
            "out of range",
        ),
        (
            "secrets:\n  command: pass show {path}\n  shell: true\n".into(),
            3,
            "shell",
            "unknown field",
        ),
    ];
    for (text, line, field, words) in cases {
        let err = parse_err(&text);
        let shown = err.to_string();
        assert_eq!(err.line, Some(line), "{text}\n{shown}");
        assert_eq!(err.field.as_deref(), Some(field), "{text}\n{shown}");
        assert!(
            shown.starts_with(&format!("{FILE}:{line}: `{field}`")),
            "{shown}"
        );
        assert!(shown.contains(words), "{text}\n{shown}");
    }
}

#[test]
fn an_env_value_with_a_pasted_secret_is_not_echoed_in_errors() {
    let err =
        parse_err("slots:\n  - id: a\n    cwd: /x\n    env: {TOKEN: 'sk-live-123 ${secret:x'}\n");
    assert!(!err.to_string().contains("sk-live-123"), "{err}");
}

#[test]
fn env_values_written_as_numbers_or_booleans_stay_text() {
    let cfg =
        parse("slots:\n  - {id: a, cwd: /x, env: {PORT: 8080, DEBUG: true}}\n").expect("valid");
    assert_eq!(cfg.slots[0].env["PORT"], "8080");
    assert_eq!(cfg.slots[0].env["DEBUG"], "true");
}

#[test]
fn the_redact_section_defaults_on_and_is_checked() {
    let cfg = parse("slots: []\n").expect("valid");
    assert_eq!(cfg.redact, crate::secrets::RedactConfig::default());
    assert!(cfg.redact.shapes);
    let cfg = parse(
        "redact:\n  shapes: true\n  disable: [openai, slack]\n  patterns:\n    \
         - name: internal\n      regex: 'itk_[a-z0-9]{8}'\n      prefix: itk_\n",
    )
    .expect("valid");
    assert_eq!(cfg.redact.disable, ["openai", "slack"]);
    assert_eq!(cfg.redact.patterns[0].prefix.as_deref(), Some("itk_"));
    let off = parse("redact:\n  shapes: false\n").expect("valid");
    assert!(off.redact.shapes().expect("shapes").is_empty());
    for (text, words) in [
        ("redact:\n  disable: [nope]\n", "no built-in shape"),
        (
            "redact:\n  patterns:\n    - name: bad\n      regex: '(unclosed'\n",
            "\"bad\"",
        ),
        ("redact:\n  colour: red\n", "colour"),
    ] {
        let err = parse_err(text);
        let shown = err.to_string();
        assert!(shown.contains(words), "{text:?}: {shown}");
        assert!(shown.contains(FILE), "{shown}");
    }
}

#[test]
fn workspace_from_the_slot_over_its_role_with_defaults() {
    let cfg = parse(
        "roles:\n  coder:\n    workspace: {base: develop, folder: '/wt/{slot}'}\n\
         slots:\n\
         \x20 - {id: c1, role: coder, cwd: /src/app}\n\
         \x20 - {id: c2, role: coder, cwd: /src/app, workspace: {branch: 'agents/{slot}'}}\n\
         \x20 - {id: c3, role: coder, cwd: /src/app, workspace: none}\n\
         \x20 - {id: p, cwd: /src/app, workspace: worktree}\n\
         \x20 - {id: q, cwd: /src/app}\n",
    )
    .expect("valid");
    let ws = |id: &str| cfg.get(id).unwrap().workspace.clone();
    let c1 = ws("c1").expect("from the role");
    assert_eq!(c1.branch, "missiond/c1");
    assert_eq!(c1.base.as_deref(), Some("develop"));
    assert_eq!(c1.folder, Some(PathBuf::from("/wt/c1")));
    let c2 = ws("c2").expect("own keys over the role's");
    assert_eq!(c2.branch, "agents/c2");
    assert_eq!(c2.folder, Some(PathBuf::from("/wt/c2")));
    assert_eq!(ws("c3"), None, "`none` opts out of the role's");
    let p = ws("p").expect("short form");
    assert_eq!(
        (p.branch.as_str(), p.base.clone(), p.folder.clone()),
        ("missiond/p", None, None)
    );
    assert_eq!(ws("q"), None);
}

#[test]
fn bad_workspaces_are_refused_with_the_field() {
    for (text, field, needle) in [
        (
            "workspace: clone",
            "workspace.mode",
            "unknown workspace mode",
        ),
        ("workspace: {brnch: x}", "workspace.brnch", "unknown key"),
        (
            "workspace: {branch: 'a b'}",
            "workspace.branch",
            "not a valid git branch",
        ),
        (
            "workspace: {branch: 'x..y'}",
            "workspace.branch",
            "not a valid git branch",
        ),
        (
            "workspace: {base: '-x'}",
            "workspace.base",
            "not a valid git branch",
        ),
    ] {
        let e = parse_err(&format!("slots:\n  - id: a\n    cwd: /x\n    {text}\n"));
        assert_eq!(e.field.as_deref(), Some(field), "{text}: {e}");
        assert!(e.message.contains(needle), "{text}: {e}");
    }
    let e = parse_err(
        "slots:\n  - {id: a, cwd: /x, workspace: {branch: same}}\n  - {id: b, cwd: /x, workspace: {branch: same}}\n",
    );
    assert!(e.message.contains("share a worktree"), "{e}");
    let e = parse_err("slots:\n  - {id: a, cwd: /x, lifecycle: {workspace: worktree}}\n");
    assert!(e.message.contains("beside `lifecycle:`"), "{e}");
}

#[test]
fn a_host_keeps_its_cwd_for_the_host_to_expand() {
    let cfg = parse(
        "slots:\n  - id: far\n    host: ann@gpu-box:2222\n    cwd: ~/work\n  - id: near\n    cwd: /w\n",
    )
    .expect("valid");
    let far = cfg.get("far").unwrap();
    assert_eq!(far.host.as_deref(), Some("ann@gpu-box:2222"));
    // Not this machine's home: the runner expands it on the host.
    assert_eq!(far.cwd, std::path::PathBuf::from("~/work"));
    assert_eq!(cfg.get("near").unwrap().host, None);
    for (text, words) in [
        (
            "slots:\n  - id: a\n    host: \"-oProxyCommand=x\"\n    cwd: /w\n",
            "not an ssh destination",
        ),
        (
            "slots:\n  - id: a\n    host: \"two words\"\n    cwd: /w\n",
            "not an ssh destination",
        ),
        (
            "slots:\n  - id: a\n    host: box\n    cwd: rel/dir\n",
            "must be absolute",
        ),
    ] {
        let shown = parse_err(text).to_string();
        assert!(shown.contains(words), "{text:?}: {shown}");
        assert!(
            shown.contains(":4:") || shown.contains(":3:"),
            "no line: {shown}"
        );
    }
}

#[test]
fn a_worktree_workspace_on_a_remote_host_is_refused() {
    let err = parse("slots:\n  - {id: r, cwd: /srv/app, host: build-box, workspace: worktree}\n")
        .expect_err("a worktree is made locally");
    let text = err.to_string();
    assert!(
        text.contains("workspace") && text.contains("host"),
        "{text}"
    );
}
