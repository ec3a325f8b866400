//! `permissions.yaml`: errors that point at the problem, and load -> mutate -> save -> load.

use std::path::Path;

use serde_json::json;

use super::super::Outcome::{Allow, Ask, Deny};
use super::super::{AutoAllow, ListKind, PermissionsError, Policy, PolicyStore, Rule, RuleSet};
use super::{CFG, bash, policy};

fn parse_err(yaml: &str) -> PermissionsError {
    Policy::parse(yaml, Path::new(CFG), None).expect_err("should not parse")
}

#[test]
fn a_bad_pattern_names_file_line_role_and_pattern() {
    let e =
        parse_err("roles:\n  coder:\n    allow: [\"Read\"]\n    deny:\n      - \"Bash(rm -rf*\"\n");
    assert_eq!(e.path, Path::new(CFG));
    assert_eq!(e.line, Some(5));
    assert_eq!(
        e.context.as_deref(),
        Some("role \"coder\", deny, pattern \"Bash(rm -rf*\"")
    );
    assert!(e.message.contains("closing"), "{e}");
    let shown = e.to_string();
    assert!(
        shown.starts_with("/cfg/permissions.yaml:5: role \"coder\""),
        "{shown}"
    );

    let e = parse_err("slots:\n  s-1:\n    confirm: [\"Write({a,)\"]\n");
    assert_eq!(e.line, Some(3));
    assert!(e.context.unwrap().starts_with("slot \"s-1\", confirm"));

    let e = parse_err("auto_allow:\n  - pattern: \"()\"\n");
    assert_eq!(e.line, Some(2));
    assert!(e.context.unwrap().starts_with("auto_allow #1"));
}

#[test]
fn structural_errors_carry_a_line() {
    let e = parse_err("roles:\n  coder:\n    alow: [\"Read\"]\n");
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("alow"), "{e}");
    assert_eq!(
        e.to_string(),
        "/cfg/permissions.yaml:3: unknown field `alow`, expected one of allow, confirm, deny"
    );
    let e = parse_err("roles: [a, b]\n");
    assert_eq!(e.line, Some(1));
    let e = parse_err("roles:\n  a: {}\n  a: {}\n");
    assert_eq!(e.line, Some(3));
    assert_eq!(e.message, "duplicate mapping key: a");
    let e = parse_err("roles:\n  coder:\n    allow: \"Read\n");
    assert!(e.line.is_some(), "{e}");
}

#[test]
fn a_missing_or_empty_file_means_every_call_asks() {
    let tmp = tempfile::tempdir().unwrap();
    let p = Policy::load(&tmp.path().join("permissions.yaml"), None).unwrap();
    assert_eq!(p, Policy::default());
    assert_eq!(bash(&p, "ls"), Ask);
    assert_eq!(policy("# nothing yet\n"), Policy::default());
    assert_eq!(policy("roles:\n  coder:\n"), {
        let mut want = Policy::default();
        want.set_role("coder", RuleSet::default());
        want
    });
}

#[test]
fn save_writes_a_readable_deterministic_file() {
    let mut p = Policy::default();
    p.set_role(
        "coder",
        RuleSet::parse(
            &["Bash(*)", "Read"],
            &[] as &[&str],
            &["Bash(rm -rf*)"],
            None,
        )
        .unwrap(),
    );
    p.set_role("yes", RuleSet::default());
    p.set_slot(
        "coder-1",
        RuleSet::parse(&[] as &[&str], &["Bash(echo \"hi\")"], &[], None).unwrap(),
    );
    assert!(p.add_auto_allow(AutoAllow {
        rule: Rule::parse("Bash(npm test)", ListKind::Allow, None).unwrap(),
        roles: vec!["coder".into()],
        slots: vec![],
    }));
    let body: String = p
        .to_yaml()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    let want = r#"roles:
  coder:
    allow:
      - "Bash(*)"
      - "Read"
    deny:
      - "Bash(rm -rf*)"
  "yes": {}
slots:
  coder-1:
    confirm:
      - "Bash(echo \"hi\")"
auto_allow:
  - pattern: "Bash(npm test)"
    roles: ["coder"]
"#;
    assert_eq!(body, want);
    assert_eq!(p.to_yaml(), p.clone().to_yaml());
}

#[test]
fn load_mutate_save_load_round_trips_and_applies() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("conf/permissions.yaml");
    let store = PolicyStore::open(&path, None).unwrap();
    assert_eq!(*store.current(), Policy::default());

    let before = store.current();
    store
        .update(|p| {
            p.set_role(
                "coder",
                RuleSet::parse(&["Bash(git *)"], &[], &["Bash(git push*)"], None)
                    .map_err(|m| PermissionsError::new(&path, m))?,
            );
            p.set_slot(
                "coder-1",
                RuleSet::parse(&["Bash(git push origin dev)"], &[], &[], None).unwrap(),
            );
            let auto = AutoAllow::parse(
                "Bash(npm test*)",
                vec![],
                vec!["coder-1".into(), "odd: id".into()],
                None,
            )
            .map_err(|m| PermissionsError::new(&path, m))?;
            p.add_auto_allow(auto);
            Ok(())
        })
        .unwrap();
    // Readers holding the old snapshot keep it; new readers see the change.
    assert_eq!(bash(&before, "git status"), Ask);
    let now = store.current();
    assert_eq!(bash(&now, "git status"), Allow);
    assert_eq!(bash(&now, "git push origin dev"), Deny);
    assert_eq!(bash(&now, "npm test"), Allow);

    let text = std::fs::read_to_string(&path).unwrap();
    let reloaded = Policy::parse(&text, &path, None).unwrap();
    assert_eq!(reloaded, *now);
    assert_eq!(reloaded.to_yaml(), text);
    assert_eq!(*PolicyStore::open(&path, None).unwrap().current(), *now);

    // A failing change leaves both the file and the policy alone.
    let err = store.update(|p| {
        p.set_role("coder", RuleSet::default());
        Err(PermissionsError::new(&path, "nope"))
    });
    assert!(err.is_err());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    assert_eq!(*store.current(), *now);

    // Removing the slot override and reloading a hand-edited file.
    store
        .update(|p| {
            p.set_slot("coder-1", RuleSet::default());
            Ok(())
        })
        .unwrap();
    assert!(!std::fs::read_to_string(&path).unwrap().contains("coder-1:"));
    std::fs::write(&path, "roles:\n  coder:\n    deny: [Bash]\n").unwrap();
    let reloaded = store.reload().unwrap();
    assert_eq!(bash(&reloaded, "ls"), Deny);
    std::fs::write(&path, "roles: {coder: {deny: [\"Bash(\"]}}\n").unwrap();
    assert!(store.reload().is_err());
    assert_eq!(
        bash(&store.current(), "ls"),
        Deny,
        "a bad reload keeps the policy"
    );
    let left: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
    assert_eq!(left.len(), 1, "no temporary file left behind");
}

#[test]
fn home_expands_in_patterns_and_is_required_for_them() {
    let yaml = "roles:\n  coder:\n    deny: [\"Read(~/.ssh/**)\"]\n";
    assert!(Policy::parse(yaml, Path::new(CFG), None).is_err());
    let p = policy(yaml);
    let d = super::decide(&p, "Read", json!({ "file_path": "/home/u/.ssh/id_rsa" }));
    assert_eq!(d.outcome, Deny);
    // Saved as written, not expanded.
    assert!(p.to_yaml().contains("\"Read(~/.ssh/**)\""));
}

#[test]
fn the_policy_serialises_in_the_file_shape() {
    let p = policy(
        "roles:\n  coder:\n    allow: [Read]\n    deny: [\"Bash(rm*)\"]\nauto_allow:\n  - pattern: WebSearch\n    roles: [coder]\n",
    );
    assert_eq!(
        serde_json::to_value(&p).unwrap(),
        json!({
            "roles": { "coder": { "allow": ["Read"], "confirm": [], "deny": ["Bash(rm*)"] } },
            "slots": {},
            "auto_allow": [ { "pattern": "WebSearch", "roles": ["coder"], "slots": [] } ]
        })
    );
    assert!(AutoAllow::parse("Bash(", vec![], vec![], None).is_err());
}
