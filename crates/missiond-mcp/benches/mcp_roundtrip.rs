//! Figures for `mission-mcp`: start-up until its initialize reply, and round trips of
//! `mission_health` through it (sequential and 8 in flight), against the direct IPC round
//! trip to the daemon for comparison. Prints p50/p99 and calls per second.
//!
//!     cargo bench -p missiond-mcp --bench mcp_roundtrip
//!
//! Env: BENCH_CALLS (default 2000), BENCH_STARTS (default 30).

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use missiond_core::catalogue::{Health, Tool as _};
use missiond_core::ipc::{Endpoint, IpcClient};
use rmcp::model::CallToolRequestParams;
use support::Home;

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// p50, p99, max of `samples` (sorted in place).
fn summary(label: &str, samples: &mut [Duration], wall: Option<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    let rate = wall.map_or(String::new(), |w| {
        format!(", {:.0} calls/s", samples.len() as f64 / w.as_secs_f64())
    });
    println!(
        "{label:<48} n={:<5} p50 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms{rate}",
        samples.len(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        samples[samples.len() - 1].as_secs_f64() * 1e3,
    );
}

fn health_params() -> CallToolRequestParams {
    CallToolRequestParams::new(Health::NAME).with_arguments(serde_json::Map::new())
}

async fn bench(home: &Home, calls: usize, starts: usize) {
    // Start-up: spawn until the initialize reply (the daemon is not needed for it).
    let mut startup = Vec::with_capacity(starts);
    for _ in 0..starts {
        let began = Instant::now();
        let client = home.connect().await;
        startup.push(began.elapsed());
        let _ = client.cancel().await;
    }
    summary(
        "mission-mcp start-up to initialize reply",
        &mut startup,
        None,
    );

    let client = home.connect().await;
    for _ in 0..100 {
        client.call_tool(health_params()).await.expect("warm-up");
    }
    let mut sequential = Vec::with_capacity(calls);
    let wall = Instant::now();
    for _ in 0..calls {
        let began = Instant::now();
        let result = client.call_tool(health_params()).await.expect("health");
        assert_ne!(result.is_error, Some(true));
        sequential.push(began.elapsed());
    }
    summary(
        "mission_health via MCP, sequential",
        &mut sequential,
        Some(wall.elapsed()),
    );

    let in_flight = 8;
    let peer = client.peer().clone();
    let wall = Instant::now();
    let tasks: Vec<_> = (0..in_flight)
        .map(|_| {
            let peer = peer.clone();
            tokio::spawn(async move {
                let mut own = Vec::with_capacity(calls / in_flight);
                for _ in 0..calls / in_flight {
                    let began = Instant::now();
                    peer.call_tool(health_params()).await.expect("health");
                    own.push(began.elapsed());
                }
                own
            })
        })
        .collect();
    let mut concurrent = Vec::with_capacity(calls);
    for task in tasks {
        concurrent.extend(task.await.expect("task"));
    }
    summary(
        "mission_health via MCP, 8 in flight",
        &mut concurrent,
        Some(wall.elapsed()),
    );
    let _ = client.cancel().await;

    // The same call straight over IPC: what mission-mcp adds is the difference.
    let ipc = IpcClient::connect(&Endpoint::Unix(home.socket()))
        .await
        .expect("ipc connect");
    let mut direct = Vec::with_capacity(calls);
    let wall = Instant::now();
    for _ in 0..calls {
        let began = Instant::now();
        ipc.call(Health::NAME, serde_json::json!({}))
            .await
            .expect("ipc health");
        direct.push(began.elapsed());
    }
    summary(
        "mission_health direct IPC (no MCP), sequential",
        &mut direct,
        Some(wall.elapsed()),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs it once, briefly.
    let quick = !std::env::args().any(|a| a == "--bench");
    let calls = if quick {
        20
    } else {
        env_count("BENCH_CALLS", 2000)
    };
    let starts = if quick {
        2
    } else {
        env_count("BENCH_STARTS", 30)
    };
    let home = Home::new(None);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench(&home, calls, starts));
}
