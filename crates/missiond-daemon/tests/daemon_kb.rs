//! The knowledge base through a real daemon over its Unix socket: remember, search, get,
//! list, forget, import, gc, the errors bad input gets, and entries surviving a restart.
//! Needs no slots and no Claude Code.

mod daemon_support;

use daemon_support::{Daemon, err_code, ok};
use missiond_core::ipc::IpcClient;
use serde_json::{Value, json};

const INVALID_PARAMS: i32 = -32602;

fn start(name: &str) -> (tempfile::TempDir, Daemon) {
    let dir = tempfile::Builder::new()
        .prefix(name)
        .tempdir()
        .expect("tempdir");
    let daemon = Daemon::start(dir.path(), Some("slots: []\n"));
    (dir, daemon)
}

fn ids(results: &Value, field: &str) -> Vec<i64> {
    results[field]
        .as_array()
        .unwrap_or_else(|| panic!("no `{field}` array in {results}"))
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect()
}

async fn search(client: &IpcClient, params: Value) -> Vec<i64> {
    ids(&ok(client, "mission_kb_search", params).await, "results")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remember_search_get_list_forget() {
    let (_dir, daemon) = start("kb-cycle");
    let client = daemon.client().await;

    let first = ok(
        &client,
        "mission_kb_remember",
        json!({"key": "build/app", "title": "Build the app", "content": "Run make all.",
               "category": "HowTo", "tags": ["Make", "ci"], "source": "coder-1"}),
    )
    .await;
    assert_eq!(first["action"], "created", "{first}");
    let id = first["entry"]["id"].as_i64().expect("id");
    assert_eq!(
        first["entry"]["category"], "howto",
        "categories fold to lower case"
    );
    assert_eq!(first["entry"]["tags"], json!(["make", "ci"]));

    let again = ok(
        &client,
        "mission_kb_remember",
        json!({"key": "build/app", "title": "Build the app", "content": "Run cargo build --release.",
               "category": "howto", "tags": ["rust"]}),
    )
    .await;
    assert_eq!(again["action"], "updated", "{again}");
    assert_eq!(
        again["entry"]["id"], id,
        "the same key updates the same entry"
    );
    assert_eq!(again["entry"]["createdAt"], first["entry"]["createdAt"]);

    let other = ok(
        &client,
        "mission_kb_remember",
        json!({"content": "The primary database is db1.internal, port 5432.",
               "title": "Database", "category": "infra/db", "ttlDays": 30}),
    )
    .await;
    let db = other["entry"]["id"].as_i64().expect("id");
    assert!(other["entry"]["expiresAt"].is_string(), "{other}");

    let found = ok(&client, "mission_kb_search", json!({"query": "cargo"})).await;
    assert_eq!(ids(&found, "results"), [id]);
    let snippet = found["results"][0]["snippet"].as_str().expect("snippet");
    assert!(snippet.contains("**cargo**"), "{snippet}");
    assert_eq!(found["terms"], json!(["cargo"]));
    assert!(
        search(&client, json!({"query": "make"})).await.is_empty(),
        "re-indexed"
    );
    assert_eq!(
        search(&client, json!({"query": "datab", "category": "infra"})).await,
        [db],
        "prefix search within a category tier"
    );
    assert!(
        search(&client, json!({"query": "database", "category": "howto"}))
            .await
            .is_empty()
    );
    assert_eq!(
        search(&client, json!({"query": "cargo db1", "match": "any"}))
            .await
            .len(),
        2
    );
    assert_eq!(
        search(&client, json!({"query": "release", "tag": "RUST"})).await,
        [id]
    );

    let got = ok(&client, "mission_kb_get", json!({"key": "build/app"})).await;
    assert_eq!(got["entry"]["content"], "Run cargo build --release.");
    assert_eq!(got["entry"]["hits"], 1);
    let got = ok(&client, "mission_kb_get", json!({"id": id})).await;
    assert_eq!(got["entry"]["hits"], 2, "every get counts");
    assert!(got["entry"]["lastAccessedAt"].is_string());

    let listed = ok(&client, "mission_kb_list", json!({"limit": 1})).await;
    assert_eq!(listed["total"], 2);
    assert_eq!(ids(&listed, "entries"), [db], "most recently updated first");
    assert_eq!(listed["nextOffset"], 1);
    let page2 = ok(&client, "mission_kb_list", json!({"limit": 1, "offset": 1})).await;
    assert_eq!(ids(&page2, "entries"), [id]);
    assert!(page2["nextOffset"].is_null());
    let by_source = ok(&client, "mission_kb_list", json!({"source": "coder-1"})).await;
    assert_eq!(by_source["total"], 0, "the update replaced the source");

    let gone = ok(&client, "mission_kb_forget", json!({"key": "build/app"})).await;
    assert_eq!(gone["forgotten"]["id"], id);
    assert!(search(&client, json!({"query": "cargo"})).await.is_empty());
    let data = err_code(&client, "mission_kb_get", json!({"id": id}), INVALID_PARAMS).await;
    assert_eq!(
        (data["field"].clone(), data["id"].clone()),
        (json!("id"), json!(id))
    );
    let data = err_code(
        &client,
        "mission_kb_forget",
        json!({"key": "build/app"}),
        INVALID_PARAMS,
    )
    .await;
    assert_eq!(data["key"], "build/app");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_clear_errors_and_the_daemon_stays_up() {
    let (_dir, daemon) = start("kb-bad");
    let client = daemon.client().await;
    let field = |data: Value| data["field"].as_str().unwrap_or_default().to_string();
    let cases = [
        ("mission_kb_remember", json!({}), "content"),
        ("mission_kb_remember", json!({"content": "   "}), "content"),
        (
            "mission_kb_remember",
            json!({"content": "x".repeat(64 * 1024 + 1)}),
            "content",
        ),
        (
            "mission_kb_remember",
            json!({"content": "x", "title": "t".repeat(201)}),
            "title",
        ),
        (
            "mission_kb_remember",
            json!({"content": "x", "key": "k".repeat(201)}),
            "key",
        ),
        (
            "mission_kb_remember",
            json!({"content": "x", "tags": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>()}),
            "tags",
        ),
        (
            "mission_kb_remember",
            json!({"content": "x", "tags": ["ok", "t".repeat(51)]}),
            "tags[1]",
        ),
        (
            "mission_kb_remember",
            json!({"content": "x", "category": "no spaces"}),
            "category",
        ),
        (
            "mission_kb_remember",
            json!({"content": "x", "expiresAt": "next week"}),
            "expiresAt",
        ),
        (
            "mission_kb_remember",
            json!({"content": "x", "ttlDays": -1}),
            "ttlDays",
        ),
        (
            "mission_kb_remember",
            json!({"content": "x", "colour": "red"}),
            "",
        ),
        ("mission_kb_remember", json!({"content": 7}), "content"),
        ("mission_kb_get", json!({}), "id"),
        ("mission_kb_get", json!({"id": 1, "key": "k"}), "id"),
        ("mission_kb_get", json!({"id": "one"}), "id"),
        ("mission_kb_forget", json!({"key": ""}), "key"),
        ("mission_kb_search", json!({}), "query"),
        (
            "mission_kb_search",
            json!({"query": "q".repeat(1001)}),
            "query",
        ),
        (
            "mission_kb_search",
            json!({"query": "q", "match": "some"}),
            "match",
        ),
        (
            "mission_kb_list",
            json!({"category": "Bad Cat"}),
            "category",
        ),
        ("mission_kb_list", json!({"limit": -1}), "limit"),
        ("mission_kb_gc", json!({"maxAgeDays": 0}), "maxAgeDays"),
        ("mission_kb_import", json!({"entries": []}), "entries"),
    ];
    for (method, params, expected) in cases {
        let data = err_code(&client, method, params.clone(), INVALID_PARAMS).await;
        if !expected.is_empty() {
            assert_eq!(field(data), expected, "{method} {params}");
        }
    }

    // Text that is FTS5 syntax is searched literally, never an error.
    ok(
        &client,
        "mission_kb_remember",
        json!({"content": "say \"hi\" AND (then) OR NEAR the * star"}),
    )
    .await;
    for query in [
        "\"hi",
        "(then",
        "AND",
        "NEAR(",
        "star*",
        "hi OR",
        "\"hi\" AND (then)",
        "hi\u{0}AND",
    ] {
        assert_eq!(
            search(&client, json!({"query": query})).await.len(),
            1,
            "{query}"
        );
    }
    for query in ["", "\"", "()", "*", "-- !!"] {
        let r = ok(&client, "mission_kb_search", json!({"query": query})).await;
        assert_eq!(r["results"], json!([]), "{query}: {r}");
    }

    let too_many: Vec<Value> = (0..1001)
        .map(|i| json!({"content": format!("e{i}")}))
        .collect();
    err_code(
        &client,
        "mission_kb_import",
        json!({"entries": too_many}),
        INVALID_PARAMS,
    )
    .await;
    ok(&client, "mission_health", json!({})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_is_all_or_nothing_and_gc_collects() {
    let (_dir, daemon) = start("kb-import");
    let client = daemon.client().await;
    ok(
        &client,
        "mission_kb_remember",
        json!({"key": "a", "content": "alpha one"}),
    )
    .await;

    let bad = json!({"entries": [
        {"key": "b", "content": "bravo"},
        {"key": "a", "content": "alpha two"},
        {"key": "c", "content": ""},
        {"key": "d", "content": "x", "tags": 5},
    ]});
    let data = err_code(&client, "mission_kb_import", bad, INVALID_PARAMS).await;
    assert_eq!(
        data["field"], "entries[3].tags",
        "decoding fails first: {data}"
    );
    let bad = json!({"entries": [
        {"key": "b", "content": "bravo"},
        {"key": "a", "content": "alpha two"},
        {"key": "c", "content": ""},
    ]});
    let data = err_code(&client, "mission_kb_import", bad, INVALID_PARAMS).await;
    assert_eq!(data["field"], "entries[2].content");
    let dup = json!({"entries": [{"key": "z", "content": "1"}, {"key": "z", "content": "2"}]});
    let data = err_code(&client, "mission_kb_import", dup, INVALID_PARAMS).await;
    assert_eq!(data["field"], "entries[1].key");
    let listed = ok(&client, "mission_kb_list", json!({})).await;
    assert_eq!(listed["total"], 1, "nothing of a failed import is stored");
    assert!(search(&client, json!({"query": "bravo"})).await.is_empty());

    let good = json!({"entries": [
        {"key": "b", "content": "bravo"},
        {"key": "a", "content": "alpha two"},
        {"content": "charlie expired", "expiresAt": "2001-01-01T00:00:00Z", "category": "old"},
    ]});
    let counts = ok(&client, "mission_kb_import", good).await;
    assert_eq!(
        (counts["created"].clone(), counts["updated"].clone()),
        (json!(2), json!(1))
    );
    let expired_id = counts["ids"][2].as_i64().expect("id");
    assert!(
        search(&client, json!({"query": "charlie"}))
            .await
            .is_empty()
    );
    assert_eq!(
        search(&client, json!({"query": "charlie", "includeExpired": true})).await,
        [expired_id]
    );

    let dry = ok(&client, "mission_kb_gc", json!({"dryRun": true})).await;
    assert_eq!(
        (dry["dryRun"].clone(), dry["expired"].clone()),
        (json!(true), json!(1))
    );
    assert_eq!(dry["removed"][0]["id"], expired_id);
    assert_eq!(dry["removed"][0]["reason"], "expired");
    ok(&client, "mission_kb_get", json!({"id": expired_id})).await;

    // Everything is younger than a day: the age rule spares it.
    let gc = ok(&client, "mission_kb_gc", json!({"maxAgeDays": 1})).await;
    assert_eq!(
        (gc["expired"].clone(), gc["stale"].clone()),
        (json!(1), json!(0))
    );
    err_code(
        &client,
        "mission_kb_get",
        json!({"id": expired_id}),
        INVALID_PARAMS,
    )
    .await;
    let listed = ok(&client, "mission_kb_list", json!({"includeExpired": true})).await;
    assert_eq!(listed["total"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_survive_a_daemon_restart() {
    let dir = tempfile::Builder::new()
        .prefix("kb-restart")
        .tempdir()
        .expect("tempdir");
    let id = {
        let mut daemon = Daemon::start(dir.path(), Some("slots: []\n"));
        let client = daemon.client().await;
        let r = ok(
            &client,
            "mission_kb_remember",
            json!({"key": "server/ci", "content": "The CI runner is ci-7, reached over ssh.",
                   "tags": ["ci"], "category": "infra"}),
        )
        .await;
        ok(&client, "mission_kb_get", json!({"key": "server/ci"})).await;
        drop(client);
        assert!(daemon.stop().success(), "{}", daemon.stderr_text());
        r["entry"]["id"].as_i64().expect("id")
    };
    let mut daemon = Daemon::start(dir.path(), Some("slots: []\n"));
    let client = daemon.client().await;
    assert_eq!(
        search(&client, json!({"query": "runner ssh", "tag": "ci"})).await,
        [id]
    );
    let got = ok(&client, "mission_kb_get", json!({"key": "server/ci"})).await;
    assert_eq!(got["entry"]["id"], id);
    assert_eq!(
        got["entry"]["hits"], 2,
        "the read before the restart counted"
    );
    drop(client);
    daemon.kill9();
    // After a crash too: the database is written before each reply.
    let daemon = Daemon::start(dir.path(), Some("slots: []\n"));
    let client = daemon.client().await;
    let listed = ok(&client, "mission_kb_list", json!({"category": "infra"})).await;
    assert_eq!(ids(&listed, "entries"), [id]);
}
