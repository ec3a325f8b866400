//! Knowledge upkeep through a real daemon: mission_kb_analyze with answers scripted in
//! mock-anthropic (proposals, rejected ids, a malformed answer, batching), the explicit
//! mission_kb_apply, mission_kb_discover over real project folders (a second run adds
//! nothing), and the scheduled GC.

mod daemon_support;

use std::path::Path;
use std::time::{Duration, Instant};

use daemon_support::{Daemon, err_code, ok};
use missiond_core::ipc::IpcClient;
use mock_anthropic::{Scenario, Server};
use serde_json::json;

const INVALID_PARAMS: i32 = -32602;
const INTERNAL: i32 = -32603;

fn credentials(home: &Path, url: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(home).unwrap();
    let path = home.join("credentials.json");
    std::fs::write(
        &path,
        format!(r#"{{"auth_url": "{url}", "api_key": "sk-upkeep-test-key", "model": "kb-model"}}"#),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

async fn remember(client: &IpcClient, key: &str, content: &str, category: &str) -> i64 {
    let r = ok(
        client,
        "mission_kb_remember",
        json!({"key": key, "content": content, "category": category, "tags": [key]}),
    )
    .await;
    r["entry"]["id"].as_i64().unwrap()
}

async fn total(client: &IpcClient) -> u64 {
    ok(client, "mission_kb_list", json!({})).await["total"]
        .as_u64()
        .unwrap()
}

const ANALYZE_SCENARIO: &str = r####"
rules:
  - name: garbage
    match: { contains: "### entry", without_tools: true }
    once: true
    steps:
      - text: "Sure! The knowledge base looks mostly fine to me."
  - name: proposals
    match: { contains: "### entry", without_tools: true }
    steps:
      - text: |
          ```json
          {"proposals": [
            {"kind": "merge", "ids": [1, 2], "keep": 1, "title": "Primary database",
             "content": "The primary database is db1 at 10.0.0.5, port 5432.", "reason": "both say where the database is"},
            {"kind": "stale", "ids": [3], "reason": "python2 is long gone"},
            {"kind": "stale", "ids": [42], "reason": "an id the model made up"}
          ]}
          ```
        usage: { input_tokens: 300, output_tokens: 80 }
"####;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyze_proposes_and_only_apply_changes_the_knowledge_base() {
    let server = Server::start(Scenario::from_yaml(ANALYZE_SCENARIO).unwrap()).unwrap();
    let dir = tempfile::Builder::new()
        .prefix("kb-analyze")
        .tempdir()
        .unwrap();
    let daemon = Daemon::start(dir.path(), Some("slots: []\n"));
    let client = daemon.client().await;

    // No credentials yet: a config error, before any entry is read.
    let err = client
        .call("mission_kb_analyze", json!({}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("credentials.json"), "{err}");
    credentials(dir.path(), server.base_url());

    let db_a = remember(&client, "db/a", "Primary database: 10.0.0.5:5432.", "infra").await;
    let db_b = remember(&client, "db/b", "The main DB lives on 10.0.0.5.", "infra").await;
    let old = remember(&client, "old", "Run the scripts with python2.", "howto").await;
    let keep = remember(&client, "deploy", "Deploy with make deploy.", "howto").await;
    assert_eq!((db_a, db_b, old, keep), (1, 2, 3, 4));

    // The first answer is not JSON: a clear error naming the batch.
    let err = client
        .call("mission_kb_analyze", json!({}))
        .await
        .unwrap_err();
    let rpc = err.rpc().unwrap();
    assert_eq!(rpc.code, INTERNAL);
    assert!(
        rpc.message.contains("batch 1 of 1") && rpc.message.contains("mostly fine"),
        "{}",
        rpc.message
    );

    let result = ok(&client, "mission_kb_analyze", json!({})).await;
    assert_eq!(result["analyzed"], 4, "{result}");
    assert_eq!(result["batches"], 1);
    assert_eq!(
        result["usage"],
        json!({"inputTokens": 300, "outputTokens": 80})
    );
    let proposals = result["proposals"].as_array().unwrap();
    assert_eq!(proposals.len(), 2, "{result}");
    let rejected = result["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0].as_str().unwrap().contains("42"));
    let merge = &proposals[0];
    assert_eq!(merge["kind"], "merge");
    assert_eq!(merge["entryIds"], json!([1, 2]));
    assert_eq!(merge["deletes"], json!([2]));
    assert_eq!(merge["applicable"], true);
    let stale = &proposals[1];
    assert_eq!(
        (stale["kind"].as_str(), stale["deletes"].clone()),
        (Some("stale"), json!([3]))
    );

    // What the model saw: every entry, with its id, in the prompt.
    let asked = server.requests();
    let prompt = &asked.last().unwrap().last_user_text;
    for id in 1..=4 {
        assert!(prompt.contains(&format!("### entry {id}")), "{prompt}");
    }
    assert!(prompt.contains("Deploy with make deploy."));
    assert_eq!(asked.last().unwrap().model.as_deref(), Some("kb-model"));

    // Nothing changed yet.
    assert_eq!(total(&client).await, 4);

    // An entry changed after the analysis is not touched by its proposal.
    remember(&client, "old", "Run the scripts with python3.", "howto").await;
    let ids = json!([merge["id"], stale["id"]]);
    let applied = ok(&client, "mission_kb_apply", json!({"proposalIds": ids})).await;
    let results = applied["results"].as_array().unwrap();
    assert_eq!(results[0]["status"], "applied", "{applied}");
    assert_eq!(results[0]["deleted"], json!([2]));
    assert_eq!(results[0]["updated"], 1);
    assert_eq!(results[1]["status"], "skipped");
    assert!(
        results[1]["reason"]
            .as_str()
            .unwrap()
            .contains("changed since the analysis")
    );

    let merged = ok(&client, "mission_kb_get", json!({"id": 1})).await;
    assert_eq!(
        merged["entry"]["content"],
        "The primary database is db1 at 10.0.0.5, port 5432."
    );
    assert_eq!(merged["entry"]["title"], "Primary database");
    assert_eq!(merged["entry"]["key"], "db/a");
    assert_eq!(merged["entry"]["tags"], json!(["db/a", "db/b"]));
    err_code(&client, "mission_kb_get", json!({"id": 2}), INVALID_PARAMS).await;
    assert_eq!(total(&client).await, 3);

    // Decided proposals are gone; an unknown id applies nothing.
    let data = err_code(
        &client,
        "mission_kb_apply",
        json!({"proposalIds": ids}),
        INVALID_PARAMS,
    )
    .await;
    assert_eq!(data["field"], "proposalIds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analysis_goes_in_bounded_batches() {
    let server = Server::start(
        Scenario::from_yaml(
            "rules:\n  - match: { contains: \"### entry\", without_tools: true }\n    steps:\n      - text: '{\"proposals\": []}'\n",
        )
        .unwrap(),
    )
    .unwrap();
    let dir = tempfile::Builder::new()
        .prefix("kb-batches")
        .tempdir()
        .unwrap();
    credentials(dir.path(), server.base_url());
    let daemon = Daemon::start(dir.path(), Some("slots: []\n"));
    let client = daemon.client().await;
    for i in 0..30 {
        let content = format!("Fact number {i}: {}", "detail ".repeat(60));
        remember(&client, &format!("fact/{i}"), &content, "general").await;
    }
    let result = ok(&client, "mission_kb_analyze", json!({"batchChars": 2000})).await;
    let batches = result["batches"].as_u64().unwrap();
    assert!(batches >= 8, "{result}");
    assert_eq!(result["analyzed"], 30);
    let asked = server.requests();
    assert_eq!(asked.len() as u64, batches);
    let mut seen = 0;
    for r in &asked {
        // The entries of one batch stay within the budget (plus one heading line).
        assert!(
            r.last_user_text.chars().count() <= 2000 + 100,
            "{}",
            r.last_user_text.len()
        );
        seen += r.last_user_text.matches("### entry").count();
    }
    assert_eq!(seen, 30, "every entry is sent exactly once");
}

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(file), text).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_stores_facts_once_with_their_source() {
    let dir = tempfile::Builder::new()
        .prefix("kb-discover")
        .tempdir()
        .unwrap();
    let home = dir.path().join("home");
    let rust = dir.path().join("rusty");
    write(
        &rust,
        "Cargo.toml",
        "[package]\nname = \"rusty\"\nversion = \"0.1.0\"\n",
    );
    let web = dir.path().join("web");
    write(
        &web,
        "package.json",
        r#"{"name": "web", "scripts": {"test": "jest", "build": "tsc"}}"#,
    );
    write(&web, "Makefile", "deploy:\n\t./deploy.sh\n");
    write(
        &web,
        "compose.yaml",
        "services:\n  cache:\n    image: redis:7\n",
    );
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("infra.yaml"),
        "servers:\n  - name: build-box\n    address: 10.1.1.1\n    notes: CI runs here.\n",
    )
    .unwrap();
    let slots = format!(
        "slots:\n  - id: coder-1\n    cwd: {}\n  - id: web-1\n    cwd: {}\n  - id: web-2\n    cwd: {}\n",
        rust.display(),
        web.display(),
        web.display()
    );
    let daemon = Daemon::start(&home, Some(&slots));
    let client = daemon.client().await;

    let dry = ok(&client, "mission_kb_discover", json!({"dryRun": true})).await;
    assert_eq!(dry["created"], 5, "{dry}");
    assert_eq!(total(&client).await, 0, "a dry run stores nothing");

    let first = ok(&client, "mission_kb_discover", json!({})).await;
    assert_eq!(
        (first["created"].as_u64(), first["unchanged"].as_u64()),
        (Some(5), Some(0)),
        "{first}"
    );
    let facts = first["facts"].as_array().unwrap();
    assert_eq!(facts[0]["key"], "discover:infra/build-box");
    assert_eq!(facts[0]["category"], "infra");
    let npm = facts
        .iter()
        .find(|f| f["origin"].as_str().unwrap().ends_with("web/package.json"))
        .expect("package.json fact");
    assert!(
        npm["content"].as_str().unwrap().contains("npm run test"),
        "{npm}"
    );
    assert!(
        npm["content"].as_str().unwrap().contains("web-1, web-2"),
        "{npm}"
    );
    assert!(npm["source"].as_str().unwrap().starts_with("discover:"));
    assert_eq!(total(&client).await, 5);

    let found = ok(&client, "mission_kb_search", json!({"query": "redis"})).await;
    assert_eq!(found["results"].as_array().unwrap().len(), 1, "{found}");

    let second = ok(&client, "mission_kb_discover", json!({})).await;
    assert_eq!(
        (second["created"].as_u64(), second["unchanged"].as_u64()),
        (Some(0), Some(5)),
        "{second}"
    );
    assert_eq!(total(&client).await, 5, "a second run adds no duplicates");

    // A manifest that changed updates its entry in place.
    write(
        &rust,
        "Cargo.toml",
        "[package]\nname = \"rusty\"\n\n[[bin]]\nname = \"rusty-tool\"\n",
    );
    let third = ok(&client, "mission_kb_discover", json!({"infra": false})).await;
    assert_eq!(
        (third["updated"].as_u64(), third["unchanged"].as_u64()),
        (Some(1), Some(3)),
        "{third}"
    );
    assert_eq!(total(&client).await, 5);
    let rusty = ok(&client, "mission_kb_search", json!({"query": "rusty-tool"})).await;
    assert_eq!(rusty["results"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_gc_runs_and_logs_and_can_be_turned_off() {
    let dir = tempfile::Builder::new()
        .prefix("kb-autogc")
        .tempdir()
        .unwrap();
    let mut daemon = Daemon::start_with_env(
        dir.path(),
        Some("slots: []\n"),
        &[
            ("MISSION_KB_GC_INTERVAL", "1s"),
            // A never-read entry goes once about a second old.
            ("MISSION_KB_GC_UNUSED_DAYS", "0.00001"),
            ("MISSION_KB_GC_UNUSED_CATEGORIES", "general,scratch"),
        ],
    );
    let client = daemon.client().await;
    ok(&client, "mission_kb_remember", json!({"content": "expired", "key": "e", "category": "decision", "expiresAt": "2001-01-01"})).await;
    ok(
        &client,
        "mission_kb_remember",
        json!({"content": "never read", "key": "u"}),
    )
    .await;
    ok(
        &client,
        "mission_kb_remember",
        json!({"content": "scratch note", "key": "s", "category": "scratch/tmp"}),
    )
    .await;
    ok(
        &client,
        "mission_kb_remember",
        json!({"content": "a decision", "key": "d", "category": "decision"}),
    )
    .await;
    ok(
        &client,
        "mission_kb_remember",
        json!({"content": "read often", "key": "r"}),
    )
    .await;
    ok(&client, "mission_kb_get", json!({"key": "r"})).await;

    let deadline = Instant::now() + Duration::from_secs(60);
    let keys = loop {
        let list = ok(&client, "mission_kb_list", json!({"includeExpired": true})).await;
        let mut keys: Vec<String> = list["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["key"].as_str().unwrap().to_string())
            .collect();
        keys.sort();
        if keys == ["d", "r"] || Instant::now() > deadline {
            break keys;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(keys, ["d", "r"], "{}", daemon.stderr_text());
    // mission_kb_gc still answers.
    let gc = ok(&client, "mission_kb_gc", json!({"dryRun": true})).await;
    assert_eq!(gc["expired"], 0);
    daemon.stop();
    let log = daemon.stderr_text();
    assert!(log.contains("knowledge GC run"), "{log}");

    // Off: nothing is collected however old.
    let dir = tempfile::Builder::new()
        .prefix("kb-autogc-off")
        .tempdir()
        .unwrap();
    let daemon = Daemon::start_with_env(
        dir.path(),
        Some("slots: []\n"),
        &[
            ("MISSION_KB_GC_INTERVAL", "off"),
            ("MISSION_KB_GC_UNUSED_DAYS", "0.00001"),
        ],
    );
    let client = daemon.client().await;
    ok(
        &client,
        "mission_kb_remember",
        json!({"content": "expired", "expiresAt": "2001-01-01"}),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let list = ok(&client, "mission_kb_list", json!({"includeExpired": true})).await;
    assert_eq!(list["total"], 1, "{list}");
    assert!(
        daemon
            .stderr_text()
            .contains("automatic knowledge GC is off"),
        "{}",
        daemon.stderr_text()
    );
}
