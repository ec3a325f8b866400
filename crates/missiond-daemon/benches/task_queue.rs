//! Task queue figures (prints them; not a criterion bench):
//!
//! 1. The queue alone, on a SQLite file: tasks per second through submit, route (assign)
//!    and complete, the daemon's bookkeeping without any agent.
//! 2. The daemon with two REAL Claude Code slots against mock-anthropic: latency from
//!    `mission_submit` to the task's start on an idle slot (the daemon's own timestamps),
//!    and end-to-end throughput of a burst of tasks.
//!
//! `cargo bench -p missiond-daemon --bench task_queue` (part 2 is skipped without Claude
//! Code; `BENCH_TASKS=N` sets the burst size, default 40).

#[path = "../tests/daemon_support/mod.rs"]
mod daemon_support;
#[path = "../tests/daemon_tasks_support/mod.rs"]
mod daemon_tasks_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use daemon_support::ok;
use daemon_tasks_support::{World, prompt, wait_final};
use missiond_core::store::Store;
use missiond_core::tasks::{RetryPolicy, SlotView, SubmitRequest, TaskQueue};
use missiond_core::time::now_ms;
use serde_json::json;

fn queue_only(tasks: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(Store::open(&dir.path().join("bench.db")).expect("store"));
    let queue = TaskQueue::new(store, RetryPolicy::default());
    let mut slots: Vec<SlotView> = (0..4)
        .map(|i| SlotView::new(format!("s{i}"), "coder", true))
        .collect();
    let began = Instant::now();
    for n in 0..tasks {
        let req = SubmitRequest {
            prompt: format!("task {n}"),
            role: Some("coder".into()),
            ..SubmitRequest::default()
        };
        queue.submit(&req, &slots, now_ms()).expect("submit");
    }
    let submitted = began.elapsed();
    let mut done = 0;
    while done < tasks {
        for s in &mut slots {
            s.idle = true;
        }
        let started = queue.assign(&slots, now_ms()).expect("assign");
        assert!(!started.is_empty(), "nothing assigned with {done} done");
        for t in started {
            let slot = t.assigned_slot.as_deref().expect("slot");
            queue
                .complete(t.id, slot, "answer", now_ms())
                .expect("complete");
            done += 1;
        }
    }
    let total = began.elapsed();
    println!(
        "queue only (SQLite file, 4 slots): {tasks} tasks; submit {:.0}/s; submit+assign+complete {:.0} tasks/s",
        tasks as f64 / submitted.as_secs_f64(),
        tasks as f64 / total.as_secs_f64()
    );
}

fn ms_between(a: &serde_json::Value, b: &serde_json::Value) -> Option<f64> {
    let parse = |v: &serde_json::Value| {
        let s = v.as_str()?;
        // RFC 3339 UTC with milliseconds: compare within the same day is enough here.
        let time = s.split('T').nth(1)?.trim_end_matches('Z');
        let mut parts = time.split(':');
        let h: f64 = parts.next()?.parse().ok()?;
        let m: f64 = parts.next()?.parse().ok()?;
        let sec: f64 = parts.next()?.parse().ok()?;
        Some(((h * 60.0 + m) * 60.0 + sec) * 1000.0)
    };
    Some(parse(b)? - parse(a)?)
}

async fn with_claude(burst: usize) {
    let slots = [("a1", "alpha"), ("a2", "alpha")];
    let Some(w) = World::start("task_queue bench", &slots, burst.max(20)) else {
        return;
    };
    let client = w.daemon.client().await;
    for (id, _) in slots {
        ok(&client, "mission_spawn", json!({"slotId": id})).await;
    }
    // Latency: one task at a time on an idle slot.
    let mut latencies = Vec::new();
    let mut turns = Vec::new();
    for n in 0..10 {
        let began = Instant::now();
        let asked = ok(
            &client,
            "mission_ask",
            json!({"prompt": prompt(n), "role": "alpha", "timeoutMs": 120000}),
        )
        .await;
        turns.push(began.elapsed().as_secs_f64() * 1000.0);
        let task = ok(
            &client,
            "mission_task",
            json!({"taskIds": [asked["taskId"]]}),
        )
        .await;
        let t = &task["tasks"][0];
        if let Some(ms) = ms_between(&t["createdAt"], &t["startedAt"]) {
            latencies.push(ms);
        }
        // Let the screen settle so the next task finds the slot idle.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    latencies.sort_by(f64::total_cmp);
    turns.sort_by(f64::total_cmp);
    println!(
        "real Claude Code + mock: submit-to-start on an idle slot: median {:.1} ms, max {:.1} ms ({} asks); ask round trip median {:.0} ms",
        latencies
            .get(latencies.len() / 2)
            .copied()
            .unwrap_or(f64::NAN),
        latencies.last().copied().unwrap_or(f64::NAN),
        latencies.len(),
        turns.get(turns.len() / 2).copied().unwrap_or(f64::NAN),
    );
    // Throughput: a burst through two slots.
    let began = Instant::now();
    let mut ids = Vec::new();
    for n in 0..burst {
        let r = ok(
            &client,
            "mission_submit",
            json!({"prompt": prompt(n % burst.max(20)), "role": "alpha"}),
        )
        .await;
        ids.push(r["taskId"].as_str().expect("taskId").to_string());
    }
    let tasks = wait_final(&client, &ids, Duration::from_secs(900)).await;
    let elapsed = began.elapsed().as_secs_f64();
    let done = tasks.iter().filter(|t| t["status"] == "done").count();
    println!(
        "real Claude Code + mock: {burst} tasks over 2 slots in {elapsed:.1} s: {:.2} tasks/s ({done} done)",
        burst as f64 / elapsed
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run only
    // under cargo bench.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    queue_only(2000);
    let burst = std::env::var("BENCH_TASKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(with_claude(burst));
}
