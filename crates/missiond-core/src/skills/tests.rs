use std::path::Path;

use super::context::{Part, build};
use super::scan::{Roots, scan};
use super::*;
use crate::catalogue::ContextSourceKind;
use crate::kb::query::Combine;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn front_matter_parsing() {
    let (f, body) =
        parse::parse("---\nname: deploy\ndescription: Ship it\n---\n\nSteps.\n").unwrap();
    assert_eq!(
        (f.name.as_deref(), f.description.as_str(), body.as_str()),
        (Some("deploy"), "Ship it", "Steps.\n")
    );
    assert!(
        parse::parse("name: x\n")
            .unwrap_err()
            .contains("no front matter")
    );
    assert!(
        parse::parse("---\nname: x\ndescription: y\n")
            .unwrap_err()
            .contains("closing")
    );
    assert!(
        parse::parse("---\nname: x\n---\nbody")
            .unwrap_err()
            .contains("description")
    );
    let e = parse::parse("---\nname: x\ndescription: [unclosed\n---\n").unwrap_err();
    assert!(e.starts_with("front matter"), "{e}");
    assert!(
        parse::parse("---\nname: [a]\ndescription: y\n---\n")
            .unwrap_err()
            .contains("`name` must be text")
    );
}

#[test]
fn scans_user_project_and_plugin_skills_with_per_file_errors() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("claude");
    let project = dir.path().join("proj");
    let plugin = dir.path().join("plugin-install");
    write(
        &config.join("skills/deploy/SKILL.md"),
        "---\nname: deploy\ndescription: Deploy the web app\n---\nRun make deploy.\n",
    );
    write(
        &config.join("skills/broken/SKILL.md"),
        "no front matter here\n",
    );
    write(&config.join("skills/helper/notes.txt"), "not a skill\n");
    write(
        &project.join(".claude/skills/db/SKILL.md"),
        "---\ndescription: Database migrations\n---\nUse sqlx migrate.\n",
    );
    write(
        &plugin.join("skills/review/SKILL.md"),
        "---\nname: review\ndescription: Review a pull request\n---\nRead the diff.\n",
    );
    write(
        &config.join("plugins/installed_plugins.json"),
        &format!(
            r#"{{"version":2,"plugins":{{"reviewer@market":[{{"scope":"user","installPath":{:?}}}]}}}}"#,
            plugin
        ),
    );
    let s = scan(&Roots {
        config_dir: Some(config.clone()),
        projects: vec![("a".into(), project.clone()), ("b".into(), project.clone())],
    });
    let names: Vec<_> = s
        .skills
        .iter()
        .map(|k| (k.name.as_str(), k.source, k.origin.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("deploy", crate::catalogue::SkillSource::User, None),
            ("db", crate::catalogue::SkillSource::Project, Some("a, b")),
            (
                "review",
                crate::catalogue::SkillSource::Plugin,
                Some("reviewer@market")
            ),
        ]
    );
    assert_eq!(s.errors.len(), 1, "{:?}", s.errors);
    assert!(s.errors[0].path.ends_with("broken/SKILL.md"));

    let q = index::query("migrations", Combine::All).unwrap();
    let hits = index::search(&s.skills, &q, 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(s.skills[hits[0].index].name, "db");
    assert!(
        hits[0].snippet.contains("**migrations**"),
        "{}",
        hits[0].snippet
    );
    let q = index::query("deploy", Combine::All).unwrap();
    let hits = index::search(&s.skills, &q, 10).unwrap();
    assert_eq!(s.skills[hits[0].index].name, "deploy");
}

fn part(name: &str, text: &str) -> Part {
    Part {
        kind: ContextSourceKind::Skill,
        name: name.into(),
        location: format!("/{name}"),
        text: text.into(),
    }
}

#[test]
fn context_respects_the_budget() {
    let parts = vec![
        part("a", &"x".repeat(300)),
        part("b", &"é".repeat(400)),
        part("c", "small"),
        part("a", "dup"),
    ];
    let r = build("do it", parts.clone(), 100_000);
    assert_eq!(r.sources.len(), 3);
    assert!(r.omitted.is_empty());
    assert!(r.context.contains("## Skill: c (/c)\n\nsmall"));

    let r = build("do it", parts, 700);
    assert!(r.context.len() <= 700, "{}", r.context.len());
    assert_eq!(r.bytes as usize, r.context.len());
    assert_eq!(r.sources.len(), 2);
    assert!(!r.sources[0].truncated && r.sources[1].truncated);
    assert_eq!(r.omitted, ["/c"]);
    assert_eq!(
        r.sources.iter().map(|s| s.bytes).sum::<u64>() as usize + "# Context for: do it\n\n".len(),
        r.context.len()
    );
}
