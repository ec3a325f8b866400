//! Throughput of `SemanticTerminal` beside the bare alacritty emulator on the same bytes,
//! and the cost of one state evaluation.
//!
//! Input: every recording in tests/fixtures concatenated (in their recorded chunks), or
//! a synthetic Claude-like stream when there are none.
//!
//! `cargo bench -p semantic-terminal --bench semantic`

#[path = "../tests/common/synthetic.rs"]
mod synthetic;

use std::hint::black_box;

use alacritty_terminal::event::VoidListener;
use alacritty_terminal::grid::Dimensions;
use alacritty_terminal::term::{Config as TermConfig, Term};
use alacritty_terminal::vte::ansi::{Processor, StdSyncHandler};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use semantic_terminal::recording::{Entry, Recording};
use semantic_terminal::{Config, SemanticTerminal};

struct Size(usize, usize);

impl Dimensions for Size {
    fn total_lines(&self) -> usize {
        self.1
    }
    fn screen_lines(&self) -> usize {
        self.1
    }
    fn columns(&self) -> usize {
        self.0
    }
}

/// The chunks to feed, with times, and where they came from.
fn input() -> (Vec<(f64, Vec<u8>)>, &'static str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.sort();
    let mut chunks = Vec::new();
    for path in paths {
        let name = path.to_string_lossy().to_string();
        if !name.ends_with(".jsonl") || name.ends_with(".labels.jsonl") {
            continue;
        }
        let Some(rec) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| Recording::parse(&t).ok())
        else {
            continue;
        };
        let offset = chunks.last().map_or(0.0, |c: &(f64, Vec<u8>)| c.0 + 1.0);
        for e in rec.entries {
            if let Entry::Output { t, bytes } = e {
                chunks.push((offset + t, bytes));
            }
        }
    }
    if chunks.is_empty() {
        (synthetic::session(120, 40, 20), "synthetic")
    } else {
        (chunks, "fixtures")
    }
}

fn throughput(c: &mut Criterion) {
    let (chunks, source) = input();
    let total: usize = chunks.iter().map(|c| c.1.len()).sum();
    eprintln!("input: {source}, {} chunks, {total} bytes", chunks.len());
    let mut group = c.benchmark_group(format!("feed_{source}"));
    group.throughput(Throughput::Bytes(total as u64));
    group.bench_function("alacritty_only", |b| {
        b.iter(|| {
            let mut term = Term::new(TermConfig::default(), &Size(120, 40), VoidListener);
            let mut parser: Processor<StdSyncHandler> = Processor::new();
            for (_, bytes) in &chunks {
                parser.advance(&mut term, bytes);
            }
            black_box(term.grid().cursor.point);
        })
    });
    // What a daemon does: timers fire before the next bytes, every chunk is fed when it
    // arrives, replies go back and events are taken at once; pending timers fire at the end.
    group.bench_function("semantic_terminal", |b| {
        b.iter(|| {
            let mut term = SemanticTerminal::new(120, 40, Config::default());
            for (t, bytes) in &chunks {
                while let Some(d) = term.next_deadline().filter(|d| d <= t) {
                    term.advance(d);
                    black_box(term.drain_events());
                }
                term.feed(*t, bytes);
                black_box(term.take_replies());
                black_box(term.drain_events());
            }
            while let Some(d) = term.next_deadline() {
                term.advance(d);
            }
            black_box(term.drain_events());
        })
    });
    group.finish();
}

fn one_evaluation(c: &mut Criterion) {
    // A busy 120x40 screen mid-turn (answer streaming above the spinner, box, footer);
    // each iteration changes the spinner line, so the screen is read once.
    let mut term = SemanticTerminal::new(120, 40, Config::default());
    for (t, bytes) in synthetic::turn(120, 40, 0).into_iter().take(22) {
        term.feed(t, &bytes);
    }
    assert!(term.raw_state().is_working(), "{}", term.screen_text());
    // A full read: the answer grows and the spinner ticks.
    let frames = [
        "\x1b[8;1H\x1b[2K  more words\x1b[35;1H\x1b[2K✶ Pondering… (3s · ↓ 12 tokens)".as_bytes(),
        "\x1b[8;1H\x1b[2K  more words and more\x1b[35;1H\x1b[2K✻ Pondering… (4s · ↓ 13 tokens)"
            .as_bytes(),
    ];
    let spinner_only = [
        "\x1b[35;1H\x1b[2K✶ Pondering… (3s · ↓ 12 tokens)".as_bytes(),
        "\x1b[35;1H\x1b[2K✻ Pondering… (4s · ↓ 13 tokens)".as_bytes(),
    ];
    let mut i = 0usize;
    let mut t = 1e6;
    c.bench_function("spinner_frame", |b| {
        b.iter(|| {
            i += 1;
            t += 1.0;
            term.feed(t, spinner_only[i % 2]);
            black_box(term.state());
        })
    });
    c.bench_function("one_state_evaluation", |b| {
        b.iter(|| {
            i += 1;
            t += 1.0;
            term.feed(t, frames[i % 2]);
            black_box(term.state());
        })
    });
    c.bench_function("feed_without_text_change", |b| {
        b.iter(|| {
            t += 1.0;
            term.feed(t, b"\x1b[1;1H");
            black_box(term.state());
        })
    });
}

criterion_group!(benches, throughput, one_evaluation);
criterion_main!(benches);
