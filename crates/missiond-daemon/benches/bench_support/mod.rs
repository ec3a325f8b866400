//! What the figure-printing benches share: a deterministic knowledge-base vocabulary and
//! percentiles of latency samples.

use std::time::Duration;

/// The vocabulary the benches' knowledge entries and prompts are made of.
pub const WORDS: &[&str] = &[
    "deploy",
    "server",
    "database",
    "migration",
    "cache",
    "build",
    "release",
    "token",
    "queue",
    "worker",
    "backup",
    "index",
    "schema",
    "rollback",
    "proxy",
    "cluster",
    "latency",
    "replica",
    "secret",
    "certificate",
    "pipeline",
    "artifact",
    "kernel",
    "socket",
    "monitor",
    "alert",
    "quota",
    "bucket",
    "region",
    "gateway",
];

/// A deterministic pseudo-random sequence of `n` words of [`WORDS`].
pub fn words(seed: usize, n: usize) -> String {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(12345);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            WORDS[(x >> 33) % WORDS.len()]
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The p50 and p99 of `samples`, in milliseconds.
pub fn percentiles(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (
        at(0.5).as_secs_f64() * 1000.0,
        at(0.99).as_secs_f64() * 1000.0,
    )
}
