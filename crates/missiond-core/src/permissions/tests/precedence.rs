//! How deny, confirm, allow, slot overrides and auto-allow combine; what a decision says.

use serde_json::json;

use super::super::Outcome::{Allow, Ask, Deny};
use super::super::path::tests::FakeFs;
use super::super::{ListKind, Outcome, RuleSource};
use super::{bash, decide, decide_in, policy};

fn bash_as(p: &super::Policy, slot: &str, role: &str, cmd: &str) -> Outcome {
    decide_in(
        p,
        &FakeFs::default(),
        slot,
        role,
        "Bash",
        json!({ "command": cmd }),
    )
    .outcome
}

#[test]
fn deny_beats_confirm_beats_allow_and_no_match_asks() {
    let p = policy(
        r#"
roles:
  coder:
    allow: ["Bash(*)", "Read"]
    confirm: ["Bash(git push*)"]
    deny: ["Bash(git push*--force*)"]
"#,
    );
    assert_eq!(bash(&p, "git push origin main --force"), Deny);
    assert_eq!(bash(&p, "git push origin main"), Ask);
    assert_eq!(bash(&p, "git status"), Allow);
    assert_eq!(bash(&p, "git status; git push"), Ask);
    assert_eq!(
        decide(&p, "Read", json!({ "file_path": "/x" })).outcome,
        Allow
    );
    assert_eq!(
        decide(&p, "WebFetch", json!({ "url": "https://x" })).outcome,
        Ask
    );
    // An unknown role has no rules: everything asks.
    assert_eq!(bash_as(&p, "r-1", "nobody", "ls"), Ask);
}

#[test]
fn slot_overrides_loosen_and_tighten_but_never_undo_a_deny() {
    let p = policy(
        r#"
roles:
  coder:
    allow: ["Bash(git *)", "Bash(rm *)"]
    confirm: ["Bash(git push*)"]
    deny: ["Bash(rm -rf*)"]
slots:
  coder-1:
    allow: ["Bash(git push origin feature*)", "Bash(rm -rf build*)"]
    confirm: ["Bash(git reset*)"]
    deny: ["Bash(git clean*)"]
"#,
    );
    assert_eq!(
        bash_as(&p, "coder-1", "coder", "git push origin feature-x"),
        Allow
    );
    assert_eq!(
        bash_as(&p, "coder-2", "coder", "git push origin feature-x"),
        Ask
    );
    assert_eq!(bash_as(&p, "coder-1", "coder", "git reset --hard"), Ask);
    assert_eq!(bash_as(&p, "coder-2", "coder", "git reset --hard"), Allow);
    assert_eq!(bash_as(&p, "coder-1", "coder", "git clean -fdx"), Deny);
    assert_eq!(bash_as(&p, "coder-2", "coder", "git clean -fdx"), Allow);
    assert_eq!(bash_as(&p, "coder-1", "coder", "rm -rf build"), Deny);
}

#[test]
fn auto_allow_applies_to_its_roles_and_slots_and_yields_to_deny() {
    let p = policy(
        r#"
roles:
  coder:
    confirm: ["Bash(npm *)"]
    deny: ["Bash(npm publish*)"]
  researcher: {}
slots:
  coder-3:
    confirm: ["Bash(npm test*)"]
auto_allow:
  - pattern: "Bash(npm test*)"
    roles: [coder]
  - pattern: "Bash(npm publish*)"
  - pattern: "WebSearch"
    slots: [researcher-1]
"#,
    );
    assert_eq!(
        bash_as(&p, "coder-1", "coder", "npm test -- --watch"),
        Allow
    );
    assert_eq!(bash_as(&p, "r-2", "researcher", "npm test"), Ask);
    assert_eq!(
        bash_as(&p, "coder-3", "coder", "npm test"),
        Ask,
        "slot confirm wins"
    );
    assert_eq!(bash_as(&p, "coder-1", "coder", "npm publish"), Deny);
    assert_eq!(bash_as(&p, "r-2", "researcher", "npm publish"), Allow);
    let search = |slot: &str| {
        decide_in(
            &p,
            &FakeFs::default(),
            slot,
            "researcher",
            "WebSearch",
            json!({"query": "q"}),
        )
        .outcome
    };
    assert_eq!(search("researcher-1"), Allow);
    assert_eq!(search("researcher-2"), Ask);
}

#[test]
fn a_decision_carries_slot_tool_arguments_rule_and_outcome() {
    let p = policy(
        r#"
roles:
  coder:
    allow: ["Bash(git *)"]
    deny: ["Bash(rm -rf*)"]
auto_allow:
  - pattern: "Bash(npm test)"
"#,
    );
    let d = decide(&p, "Bash", json!({ "command": "sudo  rm -fr /tmp/x" }));
    assert_eq!(d.outcome, Deny);
    assert_eq!(
        (d.slot.as_str(), d.role.as_str(), d.tool.as_str()),
        ("coder-1", "coder", "Bash")
    );
    assert_eq!(d.input, json!({ "command": "sudo  rm -fr /tmp/x" }));
    assert_eq!(d.subject, "sudo rm -fr /tmp/x");
    assert_eq!(d.rules.len(), 1);
    assert_eq!(d.rules[0].pattern, "Bash(rm -rf*)");
    assert_eq!(d.rules[0].list, ListKind::Deny);
    assert_eq!(d.rules[0].source, RuleSource::Role("coder".into()));
    assert_eq!(d.rules[0].matched, "rm -rf /tmp/x");
    assert!(d.reason.contains("Bash(rm -rf*)"), "{}", d.reason);
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["outcome"], "deny");
    assert_eq!(
        json["rules"][0]["source"],
        json!({ "kind": "role", "name": "coder" })
    );

    let d = decide(&p, "Bash", json!({ "command": "git pull && npm test" }));
    assert_eq!(d.outcome, Allow);
    let used: Vec<(&str, &RuleSource)> = d
        .rules
        .iter()
        .map(|r| (r.pattern.as_str(), &r.source))
        .collect();
    assert_eq!(
        used,
        [
            ("Bash(git *)", &RuleSource::Role("coder".into())),
            ("Bash(npm test)", &RuleSource::AutoAllow(0))
        ]
    );

    let d = decide(&p, "Bash", json!({ "command": "git pull && make" }));
    assert_eq!(d.outcome, Ask);
    assert!(d.rules.is_empty());
    assert!(d.reason.contains("`make`"), "{}", d.reason);
}

#[test]
fn other_tools_match_their_primary_argument() {
    let p = policy(
        r#"
roles:
  coder:
    allow:
      - "WebFetch(domain:docs.rs)"
      - "WebSearch(rust *)"
      - "mcp__github__*"
      - "mcp__db__query"
    confirm: ["mcp__github__create_*"]
    deny:
      - "mcp__github__delete*"
      - "mcp__db__query(*DROP*)"
      - "bash(curl*)"
"#,
    );
    let out = |tool: &str, input| decide(&p, tool, input).outcome;
    assert_eq!(
        out(
            "WebFetch",
            json!({"url": "https://docs.rs/x", "prompt": "p"})
        ),
        Allow
    );
    assert_eq!(
        out("WebFetch", json!({"url": "https://docs.rs.evil.io/"})),
        Ask
    );
    assert_eq!(out("WebSearch", json!({"query": "rust globset"})), Allow);
    assert_eq!(out("WebSearch", json!({"query": "go"})), Ask);
    assert_eq!(out("mcp__github__get_issue", json!({"n": 1})), Allow);
    assert_eq!(out("mcp__github__create_issue", json!({})), Ask);
    assert_eq!(out("mcp__github__delete_repo", json!({})), Deny);
    assert_eq!(out("mcp__db__query", json!({"sql": "select 1"})), Allow);
    assert_eq!(out("mcp__db__query", json!({"sql": "DROP TABLE t"})), Deny);
    assert_eq!(
        out("Bash", json!({"command": "curl x"})),
        Deny,
        "tool names ignore case"
    );
}

#[test]
fn the_readme_example_behaves_as_described() {
    let p = policy(
        r#"
roles:
  coder:
    allow:
      - "Bash(*)"
      - "Read(*)"
      - "Write(*)"
    confirm:
      - "Edit(*)"
    deny:
      - "Bash(rm -rf*)"

  researcher:
    allow:
      - "Read(*)"
      - "WebSearch(*)"
    deny:
      - "Bash(*)"
      - "Write(*)"
"#,
    );
    let as_role = |role: &str, tool: &str, input| {
        decide_in(&p, &FakeFs::default(), "s", role, tool, input).outcome
    };
    let file = json!({ "file_path": "/proj/a.rs" });
    assert_eq!(
        as_role("coder", "Bash", json!({"command": "cargo test"})),
        Allow
    );
    assert_eq!(
        as_role("coder", "Bash", json!({"command": "rm -rf target"})),
        Deny
    );
    assert_eq!(as_role("coder", "Write", file.clone()), Allow);
    assert_eq!(as_role("coder", "Edit", file.clone()), Ask);
    assert_eq!(as_role("researcher", "Read", file.clone()), Allow);
    assert_eq!(
        as_role("researcher", "WebSearch", json!({"query": "q"})),
        Allow
    );
    assert_eq!(
        as_role("researcher", "Bash", json!({"command": "ls"})),
        Deny
    );
    assert_eq!(as_role("researcher", "Write", file), Deny);
    assert_eq!(
        as_role("researcher", "WebFetch", json!({"url": "https://x"})),
        Ask
    );
}
