//! The knowledge base's store on a real SQLite file: FTS5 edge cases, re-indexing on
//! update, un-indexing on delete, filters, GC, all-or-nothing imports, reopening.

use super::super::query::{Combine, build};
use super::super::*;
use crate::store::Store;

const T0: i64 = 1_800_000_000_000;
const DAY: i64 = 86_400_000;

fn new_entry(key: Option<&str>, title: &str, content: &str, category: &str) -> NewEntry {
    NewEntry {
        key: key.map(str::to_string),
        title: Some(title.to_string()),
        content: content.to_string(),
        category: category.to_string(),
        tags: Vec::new(),
        source: None,
        expires_at: None,
    }
}

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("mission.db")).expect("open");
    (dir, store)
}

fn search_ids(store: &Store, text: &str, filter: Filter) -> Vec<i64> {
    let q = SearchQuery {
        fts: build(text, Combine::All).expect("query"),
        filter,
        limit: 50,
    };
    store
        .kb_search(&q, T0)
        .unwrap_or_else(|e| panic!("search {text:?} failed: {e}"))
        .into_iter()
        .map(|h| h.entry.id)
        .collect()
}

fn find(store: &Store, text: &str) -> Vec<i64> {
    search_ids(store, text, Filter::default())
}

/// FTS5's own consistency check between the index and `kb_entries`.
fn assert_index_consistent(store: &Store) {
    store
        .conn()
        .execute(
            "INSERT INTO kb_fts(kb_fts, rank) VALUES ('integrity-check', 1)",
            [],
        )
        .expect("the FTS index matches kb_entries");
}

#[test]
fn remembering_a_key_again_updates_and_reindexes() {
    let (_dir, store) = temp_store();
    let first = new_entry(
        Some("build/app"),
        "Building",
        "run make with gnu flags",
        "howto",
    );
    let (a, how) = store.kb_remember(&first, T0).expect("remember");
    assert_eq!(how, Upsert::Created);
    assert_eq!((a.created_at, a.updated_at), (T0, T0));
    store
        .kb_get(&EntryRef::Key("build/app".into()), T0 + 1)
        .expect("get");

    let mut second = new_entry(Some("build/app"), "Building", "use cargo build", "howto");
    second.tags = vec!["rust".into()];
    let (b, how) = store.kb_remember(&second, T0 + 10).expect("update");
    assert_eq!(how, Upsert::Updated);
    assert_eq!(b.id, a.id, "same key, same entry");
    assert_eq!((b.created_at, b.updated_at), (T0, T0 + 10));
    assert_eq!(b.hits, 1, "hits survive an update");
    assert_eq!(b.content, "use cargo build");
    assert_eq!(store.kb_count().expect("count"), 1);

    assert!(find(&store, "gnu").is_empty(), "old words leave the index");
    assert_eq!(find(&store, "cargo"), [a.id]);
    let tagged = Filter {
        tag: Some("rust".into()),
        ..Filter::default()
    };
    assert_eq!(search_ids(&store, "cargo", tagged), [a.id]);
    assert_index_consistent(&store);
}

#[test]
fn search_survives_fts_syntax_in_user_text() {
    let (_dir, store) = temp_store();
    let (e, _) = store
        .kb_remember(
            &new_entry(
                Some("q"),
                "Quoting rules",
                r#"say "hello" AND (near) OR not; use NEAR(x y) * ^caret col:umn"#,
                "howto",
            ),
            T0,
        )
        .expect("remember");
    for text in [
        r#""hello"#,
        r#"hello""#,
        "(near",
        "near)",
        "AND",
        "OR",
        "NOT",
        "NEAR(x y)",
        "NEAR",
        "x*",
        "^caret",
        "col:umn",
        "hello AND",
        "OR hello",
        "'hello'",
        "say\"hello",
        "-hello",
        "hello -",
        "{quoting}:",
    ] {
        let ids = find(&store, text);
        assert_eq!(ids, [e.id], "{text:?} finds the entry literally");
    }
    for nothing in [
        "", "   ", "!!!", "***", "\"\"", "( )", "-- ^ :", "😀", "\u{0903}",
    ] {
        assert!(
            find(&store, nothing).is_empty(),
            "{nothing:?} finds nothing"
        );
    }
    assert!(
        find(&store, "NEAR(x zzz)").is_empty(),
        "every word must appear"
    );
}

#[test]
fn search_handles_unicode_prefixes_and_ranking() {
    let (_dir, store) = temp_store();
    let (cafe, _) = store
        .kb_remember(
            &new_entry(None, "Café notes", "Ünïcödé façade, 東京 server", "project"),
            T0,
        )
        .expect("remember");
    let (in_title, _) = store
        .kb_remember(
            &new_entry(None, "Deployment", "steps are in the wiki", "howto"),
            T0,
        )
        .expect("remember");
    let (in_body, _) = store
        .kb_remember(
            &new_entry(
                None,
                "Misc",
                "a long text that mentions deployment once among other words",
                "howto",
            ),
            T0,
        )
        .expect("remember");
    assert_eq!(find(&store, "cafe"), [cafe.id], "diacritics are folded");
    assert_eq!(find(&store, "UNICODE facade"), [cafe.id]);
    assert_eq!(find(&store, "東京"), [cafe.id]);
    assert_eq!(
        find(&store, "deploy"),
        [in_title.id, in_body.id],
        "prefix match; a title match ranks first"
    );
    let q = SearchQuery {
        fts: build("deployment", Combine::All).expect("q"),
        filter: Filter::default(),
        limit: 1,
    };
    let hits = store.kb_search(&q, T0).expect("search");
    assert_eq!(hits.len(), 1, "limit holds");
    let q = SearchQuery {
        fts: build("mentions", Combine::All).expect("q"),
        filter: Filter::default(),
        limit: 5,
    };
    let hit = &store.kb_search(&q, T0).expect("search")[0];
    assert!(hit.snippet.contains("**mentions**"), "{}", hit.snippet);
    assert!(hit.score > 0.0);
    let any = SearchQuery {
        fts: build("wiki façade", Combine::Any).expect("q"),
        filter: Filter::default(),
        limit: 5,
    };
    let mut ids: Vec<i64> = store
        .kb_search(&any, T0)
        .expect("search")
        .iter()
        .map(|h| h.entry.id)
        .collect();
    ids.sort();
    assert_eq!(ids, [cafe.id, in_title.id]);
}

#[test]
fn forgetting_unindexes_and_unknown_entries_are_none() {
    let (_dir, store) = temp_store();
    let mut e = new_entry(
        Some("srv"),
        "DB",
        "primary database lives on db1",
        "infra/db",
    );
    e.tags = vec!["postgres".into()];
    let (stored, _) = store.kb_remember(&e, T0).expect("remember");
    let gone = store
        .kb_forget(&EntryRef::Key("srv".into()))
        .expect("forget")
        .expect("it existed");
    assert_eq!(gone.id, stored.id);
    assert!(find(&store, "primary").is_empty());
    let tag_rows: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM kb_tags", [], |r| r.get(0))
        .expect("count");
    assert_eq!(tag_rows, 0, "tag rows go with the entry");
    assert_eq!(store.kb_forget(&EntryRef::Id(stored.id)).expect("ok"), None);
    assert_eq!(
        store.kb_get(&EntryRef::Key("srv".into()), T0).expect("ok"),
        None
    );
    assert_index_consistent(&store);
    // Ids are never reused, so a stale id cannot name a new entry.
    let (next, _) = store.kb_remember(&e, T0).expect("again");
    assert!(next.id > stored.id);
}

#[test]
fn list_filters_pages_and_hides_expired() {
    let (_dir, store) = temp_store();
    let mut ids = Vec::new();
    for (i, cat) in [
        "infra",
        "infra/db",
        "infrastructure",
        "howto",
        "infra/db/replica",
    ]
    .iter()
    .enumerate()
    {
        let mut e = new_entry(None, "t", &format!("entry {i}"), cat);
        e.source = Some(
            if i % 2 == 0 {
                "orchestrator"
            } else {
                "coder-1"
            }
            .into(),
        );
        e.tags = vec![format!("n{}", i % 2)];
        ids.push(store.kb_remember(&e, T0 + i as i64).expect("remember").0.id);
    }
    let mut expiring = new_entry(None, "old", "expired entry", "infra");
    expiring.expires_at = Some(T0 - 1);
    let expired = store.kb_remember(&expiring, T0).expect("remember").0.id;

    let list = |filter: Filter, since_id: Option<i64>, offset: u32, limit: u32| {
        let q = ListQuery {
            filter,
            since_id,
            offset,
            limit,
        };
        let (entries, total) = store.kb_list(&q, T0).expect("list");
        (entries.iter().map(|e| e.id).collect::<Vec<_>>(), total)
    };
    let infra = Filter {
        category: Some("infra".into()),
        ..Filter::default()
    };
    assert_eq!(
        list(infra.clone(), None, 0, 50),
        (vec![ids[4], ids[1], ids[0]], 3),
        "a tier includes its sub-tiers but not `infrastructure`; expired hidden"
    );
    let with_expired = Filter {
        include_expired: true,
        ..infra
    };
    assert_eq!(list(with_expired, None, 0, 50).1, 4);
    let (page, total) = list(Filter::default(), None, 1, 2);
    assert_eq!(
        (page, total),
        (vec![ids[3], ids[2]], 5),
        "newest first, paged"
    );
    let by_source = Filter {
        source: Some("coder-1".into()),
        ..Filter::default()
    };
    assert_eq!(list(by_source, None, 0, 50), (vec![ids[3], ids[1]], 2));
    let by_tag = Filter {
        tag: Some("n0".into()),
        ..Filter::default()
    };
    assert_eq!(list(by_tag, None, 0, 50).0, [ids[4], ids[2], ids[0]]);
    assert_eq!(
        list(Filter::default(), Some(ids[2]), 0, 50).0,
        [ids[4], ids[3]]
    );
    assert!(find(&store, "expired").is_empty(), "search hides expired");
    let all = Filter {
        include_expired: true,
        ..Filter::default()
    };
    assert_eq!(search_ids(&store, "expired", all), [expired]);
}

#[test]
fn get_counts_reads_without_touching_the_index() {
    let (_dir, store) = temp_store();
    let (e, _) = store
        .kb_remember(&new_entry(Some("k"), "t", "counted", "general"), T0)
        .expect("remember");
    store.kb_get(&EntryRef::Id(e.id), T0 + 5).expect("get");
    let got = store
        .kb_get(&EntryRef::Key("k".into()), T0 + 9)
        .expect("get")
        .expect("exists");
    assert_eq!((got.hits, got.last_accessed_at), (2, Some(T0 + 9)));
    let peeked = store
        .kb_peek(&EntryRef::Id(e.id))
        .expect("peek")
        .expect("exists");
    assert_eq!(
        (peeked.hits, peeked.updated_at),
        (2, T0),
        "a read is not an update"
    );
    assert_index_consistent(&store);
}

#[test]
fn gc_removes_expired_and_stale_entries() {
    let (_dir, store) = temp_store();
    let add = |key: &str, cat: &str, at: i64, expires: Option<i64>| {
        let mut e = new_entry(Some(key), key, &format!("content of {key}"), cat);
        e.expires_at = expires;
        store.kb_remember(&e, at).expect("remember").0.id
    };
    let expired = add("expired", "decision", T0, Some(T0 + DAY));
    let old = add("old", "infra", T0 - 40 * DAY, None);
    let old_but_read = add("read", "infra", T0 - 40 * DAY, None);
    let old_decision = add("decision", "decision", T0 - 40 * DAY, None);
    let fresh = add("fresh", "infra", T0, None);
    store
        .kb_get(&EntryRef::Id(old_but_read), T0 - DAY)
        .expect("read");
    let now = T0 + 2 * DAY;
    let policy = |dry_run, category: Option<&str>| GcPolicy {
        stale_before: Some(now - 30 * DAY),
        stale_category: category.map(str::to_string),
        dry_run,
    };

    let dry = store.kb_gc(&policy(true, Some("infra")), now).expect("gc");
    let named: Vec<(i64, GcReason)> = dry.removed.iter().map(|r| (r.id, r.reason)).collect();
    assert_eq!(
        named,
        [(expired, GcReason::Expired), (old, GcReason::Stale)]
    );
    assert_eq!((dry.expired, dry.stale), (1, 1));
    assert_eq!(
        store.kb_count().expect("count"),
        5,
        "a dry run deletes nothing"
    );

    let only_expired = GcPolicy {
        stale_before: None,
        stale_category: None,
        dry_run: false,
    };
    let report = store.kb_gc(&only_expired, now).expect("gc");
    assert_eq!((report.expired, report.stale), (1, 0));
    let report = store.kb_gc(&policy(false, None), now).expect("gc");
    assert_eq!((report.expired, report.stale), (0, 2));
    let mut left: Vec<i64> = store
        .kb_list(
            &ListQuery {
                filter: Filter::default(),
                since_id: None,
                offset: 0,
                limit: 50,
            },
            now,
        )
        .expect("list")
        .0
        .iter()
        .map(|e| e.id)
        .collect();
    left.sort();
    assert_eq!(left, [old_but_read, fresh]);
    assert!(
        !left.contains(&old_decision),
        "the unfiltered run took the decision"
    );
    assert!(find(&store, "content").iter().all(|id| left.contains(id)));
    assert_index_consistent(&store);
}

#[test]
fn an_import_is_all_or_nothing() {
    let (_dir, store) = temp_store();
    store
        .kb_remember(&new_entry(Some("a"), "A", "first a", "general"), T0)
        .expect("remember");
    let batch = vec![
        new_entry(Some("a"), "A", "second a", "general"),
        new_entry(Some("b"), "B", "bee", "general"),
        new_entry(None, "C", "sea", "general"),
    ];
    let counts = store.kb_import(&batch, T0 + 1).expect("import");
    assert_eq!(
        (counts.created, counts.updated, counts.ids.len()),
        (2, 1, 3)
    );
    // Content that skipped validation breaks the table's CHECK half-way: nothing stays.
    let broken = vec![
        new_entry(Some("d"), "D", "dee", "general"),
        new_entry(Some("a"), "A", "third a", "general"),
        new_entry(None, "E", "", "general"),
    ];
    assert!(store.kb_import(&broken, T0 + 2).is_err());
    assert_eq!(store.kb_count().expect("count"), 3);
    assert!(find(&store, "dee").is_empty());
    assert_eq!(
        find(&store, "second").len(),
        1,
        "the update was rolled back too"
    );
    assert_index_consistent(&store);
}

#[test]
fn everything_survives_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mission.db");
    let id = {
        let store = Store::open(&path).expect("open");
        let mut e = new_entry(Some("persist"), "Persisted", "survives restarts", "project");
        e.tags = vec!["durable".into()];
        e.expires_at = Some(T0 + DAY);
        let id = store.kb_remember(&e, T0).expect("remember").0.id;
        store.kb_get(&EntryRef::Id(id), T0 + 1).expect("get");
        id
    };
    let store = Store::open(&path).expect("reopen");
    let e = store
        .kb_peek(&EntryRef::Key("persist".into()))
        .expect("peek")
        .expect("still there");
    assert_eq!(e.id, id);
    assert_eq!(e.tags, ["durable"]);
    assert_eq!((e.hits, e.expires_at), (1, Some(T0 + DAY)));
    assert_eq!(find(&store, "restarts"), [id]);
    let tagged = Filter {
        tag: Some("durable".into()),
        ..Filter::default()
    };
    assert_eq!(search_ids(&store, "survives", tagged), [id]);
    assert_index_consistent(&store);
}

/// Any text at all, FTS5 operators and stray quotes included, searches without error;
/// and a word taken from stored content always finds that content.
#[test]
fn no_user_text_raises_an_fts5_error() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let (_dir, store) = temp_store();
    let (e, _) = store
        .kb_remember(
            &new_entry(
                Some("k"),
                "t",
                "alpha beta gamma \"quoted\" NEAR(x)",
                "general",
            ),
            T0,
        )
        .expect("remember");
    let syntax = prop::sample::select(vec![
        "\"", "'", "(", ")", "*", "^", ":", "-", "+", "AND", "OR", "NOT", "NEAR", "NEAR(", "{",
        "}", ",", "\\", "\0", " ", "é", "東", "😀", "\u{0903}", "\u{0301}", "alpha",
    ]);
    let text = prop::collection::vec(
        prop_oneof![syntax.prop_map(str::to_string), ".{0,6}"],
        0..12,
    )
    .prop_map(|parts| parts.concat());
    let mut runner = TestRunner::new(Config {
        cases: 400,
        ..Config::default()
    });
    runner
        .run(&text, |text| {
            for combine in [Combine::All, Combine::Any] {
                let q = SearchQuery {
                    fts: build(&text, combine).expect("short text"),
                    filter: Filter::default(),
                    limit: 5,
                };
                let hits = store
                    .kb_search(&q, T0)
                    .map_err(|err| TestCaseError::fail(format!("{text:?}: {err}")))?;
                prop_assert!(hits.iter().all(|h| h.entry.id == e.id));
            }
            let with_word = format!("{text} gamma");
            let any = SearchQuery {
                fts: build(&with_word, Combine::Any).expect("short text"),
                filter: Filter::default(),
                limit: 5,
            };
            let hits = store.kb_search(&any, T0).expect("search");
            prop_assert_eq!(hits.len(), 1, "{:?}", with_word);
            Ok(())
        })
        .expect("every query runs");
}
