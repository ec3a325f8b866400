//! Upkeep on real SQLite files and real project folders: batching and reading the
//! model's answers, applying proposals, discovery from manifests, scheduled GC.

use std::collections::HashMap;
use std::path::Path;

use super::analyze::{self, batches, parse};
use super::discover::{self, Project};
use super::gc::{self, GcSchedule};
use super::proposals::ProposalKind;
use crate::kb::{Entry, EntryRef, NewEntry};
use crate::store::Store;

const T0: i64 = 1_800_000_000_000;
const DAY: i64 = 86_400_000;

fn entry(id: i64, category: &str, key: &str, content: &str) -> Entry {
    Entry {
        id,
        key: Some(key.to_string()),
        title: Some(format!("title {id}")),
        content: content.to_string(),
        category: category.to_string(),
        tags: vec![format!("t{id}")],
        source: None,
        created_at: T0,
        updated_at: T0 + id,
        expires_at: None,
        hits: 0,
        last_accessed_at: None,
    }
}

#[test]
fn batches_stay_within_budget_and_keep_categories_together() {
    let mut all = Vec::new();
    for i in 0..40 {
        let cat = if i % 2 == 0 { "infra" } else { "howto" };
        all.push(entry(i, cat, &format!("k{i}"), &"x".repeat(300)));
    }
    let budget = 3_000;
    let got = batches(&all, budget);
    let total: usize = got.iter().map(Vec::len).sum();
    assert_eq!(total, 40);
    for b in &got {
        let size: usize = b.iter().map(|e| analyze::render(e).chars().count()).sum();
        assert!(size <= budget, "batch of {size} chars");
    }
    // Sorted by category: all howto entries come before any infra entry.
    let cats: Vec<&str> = got.iter().flatten().map(|e| e.category.as_str()).collect();
    let first_infra = cats.iter().position(|c| *c == "infra").unwrap();
    assert!(cats[first_infra..].iter().all(|c| *c == "infra"));
    // One entry larger than the budget makes a batch of its own, cut in the prompt.
    let big = vec![entry(1, "a", "big", &"y".repeat(10_000))];
    let b = batches(&big, 2_000);
    assert_eq!(b.len(), 1);
    let prompt = analyze::prompt(&b[0], 0, 1);
    assert!(prompt[1].content.contains("[… cut]"));
    assert!(prompt[1].content.len() < 4_000);
}

#[test]
fn answers_are_read_and_checked_against_the_batch() {
    let all = [
        entry(1, "infra", "db", "db at 10.0.0.5"),
        entry(2, "infra", "db2", "database on 10.0.0.5"),
        entry(3, "howto", "old", "use python2"),
    ];
    let batch: Vec<&Entry> = all.iter().collect();
    let text = r#"Here you go:
```json
{"proposals": [
  {"kind": "merge", "ids": [2, 1], "keep": 1, "title": "DB", "content": "The database is at 10.0.0.5.", "reason": "same"},
  {"kind": "stale", "ids": [3], "reason": "python2 is gone"},
  {"kind": "stale", "ids": [99], "reason": "made up"},
  {"kind": "merge", "ids": [1, 2], "reason": "no content"},
  {"kind": "contradiction", "ids": [1, 2], "keep": 7, "reason": "bad keep"},
  {"kind": "rename", "ids": [1], "reason": "?"}
]}
```"#;
    let parsed = parse(text, &batch).unwrap();
    assert_eq!(parsed.drafts.len(), 2, "{:?}", parsed.rejected);
    assert_eq!(parsed.rejected.len(), 4, "{:?}", parsed.rejected);
    assert!(parsed.rejected.iter().any(|r| r.contains("99")));
    assert!(parsed.rejected.iter().any(|r| r.contains("rename")));
    let merge = &parsed.drafts[0];
    assert_eq!(merge.kind, ProposalKind::Merge);
    assert_eq!(merge.entry_ids, [1, 2]);
    assert_eq!(merge.snapshot, [(1, T0 + 1), (2, T0 + 2)]);
    let change = merge.change(|id| vec![format!("t{id}")]).unwrap();
    assert_eq!(change.delete, [2]);
    let (keep, _, content, tags) = change.rewrite.unwrap();
    assert_eq!(
        (keep, content.as_str()),
        (1, "The database is at 10.0.0.5.")
    );
    assert_eq!(tags, ["t1", "t2"]);
}

#[test]
fn malformed_answers_are_errors_that_say_why() {
    let all = [entry(1, "a", "k", "c")];
    let batch: Vec<&Entry> = all.iter().collect();
    for text in [
        "I think they are fine.",
        "{\"proposals\": 3}",
        "{\"ideas\": []}",
        "{not json}",
    ] {
        let err = parse(text, &batch).unwrap_err();
        assert!(err.contains("began"), "{text}: {err}");
    }
    assert!(
        parse("{\"proposals\": []}", &batch)
            .unwrap()
            .drafts
            .is_empty()
    );
}

#[test]
fn a_contradiction_without_keep_is_not_applicable() {
    let all = [entry(1, "a", "k1", "yes"), entry(2, "a", "k2", "no")];
    let batch: Vec<&Entry> = all.iter().collect();
    let parsed = parse(
        r#"{"proposals": [{"kind": "contradiction", "ids": [1, 2], "keep": null, "reason": "?"}]}"#,
        &batch,
    )
    .unwrap();
    let err = parsed.drafts[0].change(|_| Vec::new()).unwrap_err();
    assert!(err.contains("mission_kb_remember"), "{err}");
}

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("mission.db")).unwrap();
    (dir, store)
}

fn remember(store: &Store, key: &str, category: &str, expires_at: Option<i64>, now: i64) -> i64 {
    let e = NewEntry {
        key: Some(key.to_string()),
        title: None,
        content: format!("content of {key}"),
        category: category.to_string(),
        tags: Vec::new(),
        source: None,
        expires_at,
    };
    store.kb_remember(&e, now).unwrap().0.id
}

#[test]
fn applying_a_change_checks_the_snapshot() {
    let (_dir, store) = temp_store();
    let a = remember(&store, "a", "general", None, T0);
    let b = remember(&store, "b", "general", None, T0);
    let change = crate::store::KbChange {
        rewrite: Some((a, Some("A".into()), "merged".into(), vec!["x".into()])),
        delete: vec![b],
        expect: vec![(a, T0), (b, T0)],
    };
    // b changes after the analysis: nothing is applied.
    remember(&store, "b", "general", None, T0 + 5);
    let why = store
        .kb_apply_change(&change, T0 + 10)
        .unwrap()
        .unwrap_err();
    assert!(why.contains(&format!("entry {b} was changed")), "{why}");
    assert!(store.kb_peek(&EntryRef::Id(b)).unwrap().is_some());
    let fresh = crate::store::KbChange {
        expect: vec![(a, T0), (b, T0 + 5)],
        ..change
    };
    store.kb_apply_change(&fresh, T0 + 10).unwrap().unwrap();
    let kept = store.kb_peek(&EntryRef::Id(a)).unwrap().unwrap();
    assert_eq!(
        (kept.content.as_str(), kept.title.as_deref()),
        ("merged", Some("A"))
    );
    assert_eq!(kept.key.as_deref(), Some("a"));
    assert!(store.kb_peek(&EntryRef::Id(b)).unwrap().is_none());
    // A search finds the merged text: the FTS index followed.
    let fts = crate::kb::query::build("merged", Default::default()).unwrap();
    let hits = store
        .kb_search(
            &crate::kb::SearchQuery {
                fts,
                filter: Default::default(),
                limit: 10,
            },
            T0 + 10,
        )
        .unwrap();
    assert_eq!(hits.iter().map(|h| h.entry.id).collect::<Vec<_>>(), [a]);
}

#[test]
fn scheduled_gc_removes_expired_and_never_read_low_tier_entries() {
    let (_dir, store) = temp_store();
    let expired = remember(&store, "exp", "infra", Some(T0 + DAY), T0);
    let unused = remember(&store, "unused", "general", None, T0);
    let unused_sub = remember(&store, "unused-sub", "general/misc", None, T0);
    let read = remember(&store, "read", "general", None, T0);
    store.kb_get(&EntryRef::Id(read), T0 + 1).unwrap();
    let other_tier = remember(&store, "decision", "decision", None, T0);
    let recent = remember(&store, "recent", "general", None, T0 + 40 * DAY);
    let schedule = GcSchedule::default();
    let run = gc::run_once(&store, &schedule, T0 + 45 * DAY).unwrap();
    assert_eq!((run.expired, run.unused), (1, 2), "{run:?}");
    let mut ids = run.ids.clone();
    ids.sort();
    let mut want = vec![expired, unused, unused_sub];
    want.sort();
    assert_eq!(ids, want);
    for kept in [read, other_tier, recent] {
        assert!(
            store.kb_peek(&EntryRef::Id(kept)).unwrap().is_some(),
            "{kept}"
        );
    }
    // Unused rule off: only expiry counts; `*`: every category.
    let off = GcSchedule {
        unused_days: None,
        ..GcSchedule::default()
    };
    assert_eq!(
        gc::run_once(&store, &off, T0 + 400 * DAY).unwrap().unused,
        0
    );
    let all = GcSchedule {
        unused_categories: Vec::new(),
        ..GcSchedule::default()
    };
    let run = gc::run_once(&store, &all, T0 + 400 * DAY).unwrap();
    assert_eq!(run.ids, [other_tier, recent], "the read entry stays");
}

#[test]
fn the_gc_schedule_reads_its_settings() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        GcSchedule::from_vars(move |k| map.get(k).map(|v| v.to_string()))
    };
    assert_eq!(vars(&[]).unwrap(), GcSchedule::default());
    let s = vars(&[
        (gc::ENV_INTERVAL, "90s"),
        (gc::ENV_UNUSED_DAYS, "0.5"),
        (gc::ENV_UNUSED_CATEGORIES, "general, Memory/Low"),
    ])
    .unwrap();
    assert_eq!(s.interval, Some(std::time::Duration::from_secs(90)));
    assert_eq!(s.unused_days, Some(0.5));
    assert_eq!(s.unused_categories, ["general", "memory/low"]);
    assert_eq!(vars(&[(gc::ENV_INTERVAL, "off")]).unwrap().interval, None);
    assert_eq!(
        vars(&[(gc::ENV_UNUSED_DAYS, "off")]).unwrap().unused_days,
        None
    );
    assert!(
        vars(&[(gc::ENV_UNUSED_CATEGORIES, "*")])
            .unwrap()
            .unused_categories
            .is_empty()
    );
    assert_eq!(gc::parse_duration("6h").unwrap().as_secs(), 21_600);
    assert_eq!(gc::parse_duration("1d").unwrap().as_secs(), 86_400);
    for bad in [
        (gc::ENV_INTERVAL, "soon"),
        (gc::ENV_INTERVAL, "5w"),
        (gc::ENV_UNUSED_DAYS, "-1"),
    ] {
        let err = vars(Box::leak(Box::new([bad]))).unwrap_err();
        assert!(err.contains(bad.0), "{err}");
    }
}

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::create_dir_all(dir.join(file).parent().unwrap()).unwrap();
    std::fs::write(dir.join(file), text).unwrap();
}

#[test]
fn discovers_build_test_and_services_from_real_projects() {
    let tmp = tempfile::tempdir().unwrap();
    let rust = tmp.path().join("rusty");
    write(
        &rust,
        "Cargo.toml",
        "[package]\nname = \"rusty\"\nversion = \"0.1.0\"\n\n[[bin]]\nname = \"rusty-cli\"\npath = \"src/cli.rs\"\n\n[features]\nfast = []\n",
    );
    let node = tmp.path().join("web");
    write(
        &node,
        "package.json",
        r#"{"name": "web-app", "scripts": {"build": "vite build", "test": "vitest run", "dev": "vite"}}"#,
    );
    write(&node, "pnpm-lock.yaml", "lockfileVersion: '9.0'\n");
    let mixed = tmp.path().join("mixed");
    write(
        &mixed,
        "Makefile",
        "CC := gcc\n.PHONY: all test\nall: build\nbuild:\n\t$(CC) -o app main.c\ntest: build\n\t./app --self-test\n%.o: %.c\n\t$(CC) -c $<\n",
    );
    write(
        &mixed,
        "pyproject.toml",
        "[project]\nname = \"tooling\"\n\n[project.scripts]\ntool = \"tooling.cli:main\"\n\n[tool.pytest.ini_options]\naddopts = \"-q\"\n\n[build-system]\nbuild-backend = \"hatchling.build\"\n",
    );
    write(
        &mixed,
        "docker-compose.yml",
        "services:\n  db:\n    image: postgres:16\n    ports: [\"5432:5432\"]\n    environment:\n      POSTGRES_PASSWORD: hunter2-secret\n  api:\n    build: .\n    depends_on: [db]\n",
    );
    let broken = tmp.path().join("broken");
    write(&broken, "package.json", "{ not json");
    let projects = vec![
        Project {
            slots: vec!["coder-1".into()],
            dir: rust.clone(),
        },
        Project {
            slots: vec!["web-1".into()],
            dir: node.clone(),
        },
        Project {
            slots: vec!["ops".into()],
            dir: mixed.clone(),
        },
        Project {
            slots: vec!["x".into()],
            dir: broken.clone(),
        },
        Project {
            slots: vec!["empty".into()],
            dir: tmp.path().join("missing"),
        },
    ];
    let found = discover::discover(None, &projects);
    let by_key: HashMap<&str, &discover::Fact> =
        found.facts.iter().map(|f| (f.key.as_str(), f)).collect();
    let key = |dir: &Path, file: &str| {
        format!(
            "discover:{}",
            std::fs::canonicalize(dir).unwrap().join(file).display()
        )
    };
    let cargo = by_key[key(&rust, "Cargo.toml").as_str()];
    assert!(cargo.content.contains("`cargo build`") && cargo.content.contains("`cargo test`"));
    assert!(cargo.content.contains("rusty-cli") && cargo.content.contains("fast"));
    assert!(
        cargo.tags.contains(&"coder-1".to_string()) && cargo.tags.contains(&"rust".to_string())
    );
    assert_eq!(cargo.category, "project");
    assert!(cargo.source.starts_with("discover:") && cargo.source.ends_with("Cargo.toml"));
    let npm = by_key[key(&node, "package.json").as_str()];
    assert!(npm.content.contains("`pnpm run build`") && npm.content.contains("`pnpm run test`"));
    assert!(npm.content.contains("vitest run"));
    let make = by_key[key(&mixed, "Makefile").as_str()];
    assert!(make.content.contains("`make test`"), "{}", make.content);
    assert!(
        make.content.contains("all, build, test"),
        "{}",
        make.content
    );
    assert!(!make.content.contains("CC") && !make.content.contains("%.o"));
    let py = by_key[key(&mixed, "pyproject.toml").as_str()];
    assert!(
        py.content.contains("`pytest`")
            && py.content.contains("tool")
            && py.content.contains("hatchling")
    );
    let db = by_key[format!("{}#db", key(&mixed, "docker-compose.yml")).as_str()];
    assert!(db.content.contains("postgres:16") && db.content.contains("5432:5432"));
    assert!(
        !db.content.contains("hunter2"),
        "environment values are not read"
    );
    let api = by_key[format!("{}#api", key(&mixed, "docker-compose.yml")).as_str()];
    assert!(api.content.contains("Depends on: db"));
    assert_eq!(found.facts.len(), 6);
    assert_eq!(found.problems.len(), 1, "{:?}", found.problems);
    assert!(found.problems[0].contains("package.json"));
    // The same folder twice (two slots) is read once.
    let twice = discover::projects_of([("a", rust.as_path()), ("b", rust.as_path())]);
    assert_eq!(twice.len(), 1);
    assert_eq!(discover::discover(None, &twice).facts.len(), 1);
}

#[test]
fn discovers_infra_items_without_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("infra.yaml");
    std::fs::write(
        &path,
        "servers:\n  - name: db-1\n    address: 10.0.0.5\n    health: 10.0.0.5:5432\n    tags: [prod, db]\nservices:\n  - name: api\n    address: https://api.example.com\n    health: https://api.example.com/h?token=${secret:api/token}\n    headers: {Authorization: \"Bearer ${secret:api/token}\"}\n    notes: Deployed nightly.\n",
    )
    .unwrap();
    let infra = crate::infra::InfraConfig::load(&path).unwrap();
    let found = discover::discover(Some(&infra), &[]);
    assert_eq!(found.facts.len(), 2);
    let db = &found.facts[0];
    assert_eq!(db.key, "discover:infra/db-1");
    assert_eq!(db.category, "infra");
    assert!(db.content.contains("10.0.0.5:5432") && db.content.contains("prod"));
    let api = &found.facts[1];
    assert!(api.content.contains("Deployed nightly."));
    assert!(!api.content.contains("secret") && !api.content.contains("Bearer"));
}
