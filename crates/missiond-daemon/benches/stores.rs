//! Knowledge base and board figures through the daemon's IPC, as a client sees them
//! (prints them; not a criterion bench):
//!
//! 1. `mission_kb_import` of N entries in batches of 1000 (entries per second);
//! 2. `mission_kb_search` over them: p50/p99 latency of two-word queries;
//! 3. `mission_kb_remember` one entry at a time: p50/p99;
//! 4. `mission_board_create` and `mission_board_summary`: p50/p99.
//!
//! `cargo bench -p missiond-daemon --bench stores` (`BENCH_KB=N` sets N, default 20000).

#[path = "../tests/daemon_support/mod.rs"]
mod daemon_support;

use std::time::{Duration, Instant};

mod bench_support;

use bench_support::{WORDS, percentiles, words};
use daemon_support::{Daemon, ok};
use missiond_core::ipc::IpcClient;
use serde_json::{Value, json};

fn entry(i: usize) -> Value {
    let category = ["infra", "infra/db", "project", "howto"][i % 4];
    json!({
        "key": format!("fact-{i}"),
        "title": words(i, 4),
        "content": format!("{} (fact number {i})", words(i + 7, 60)),
        "category": category,
        "tags": [WORDS[i % WORDS.len()], WORDS[(i / 3) % WORDS.len()]],
    })
}

async fn timed(client: &IpcClient, method: &str, params: Value) -> Duration {
    let began = Instant::now();
    ok(client, method, params).await;
    began.elapsed()
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BENCH_KB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let daemon = Daemon::start(&dir.path().join("home"), Some("slots: []\n"));
    let client = daemon.client().await;

    let began = Instant::now();
    for batch in (0..n).collect::<Vec<_>>().chunks(1000) {
        let entries: Vec<Value> = batch.iter().map(|&i| entry(i)).collect();
        ok(&client, "mission_kb_import", json!({"entries": entries})).await;
    }
    let took = began.elapsed();
    println!(
        "kb_import: {n} entries (~500 B each) in {:.2} s: {:.0} entries/s",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );

    let mut search = Vec::new();
    let mut hits = 0;
    for q in 0..300 {
        let query = words(q * 31 + 5, 2);
        let began = Instant::now();
        let found = ok(
            &client,
            "mission_kb_search",
            json!({"query": query, "limit": 10}),
        )
        .await;
        search.push(began.elapsed());
        hits += found["results"].as_array().map_or(0, Vec::len);
    }
    let (p50, p99) = percentiles(search);
    println!(
        "kb_search over {n} entries, 300 two-word queries (limit 10, {:.1} results each): p50 {p50:.2} ms, p99 {p99:.2} ms",
        hits as f64 / 300.0
    );

    let mut remember = Vec::new();
    for i in 0..300 {
        let e = entry(n + i);
        remember.push(timed(&client, "mission_kb_remember", e).await);
    }
    let (p50, p99) = percentiles(remember);
    println!("kb_remember one entry (FTS index kept in step): p50 {p50:.2} ms, p99 {p99:.2} ms");

    let mut create = Vec::new();
    for i in 0..300 {
        let params =
            json!({"title": words(i, 5), "tags": ["bench"], "description": words(i + 1, 30)});
        create.push(timed(&client, "mission_board_create", params).await);
    }
    let (p50, p99) = percentiles(create);
    println!("board_create: p50 {p50:.2} ms, p99 {p99:.2} ms");
    let mut summary = Vec::new();
    for _ in 0..300 {
        summary.push(timed(&client, "mission_board_summary", json!({})).await);
    }
    let (p50, p99) = percentiles(summary);
    println!("board_summary over 300 tasks: p50 {p50:.2} ms, p99 {p99:.2} ms");
}
