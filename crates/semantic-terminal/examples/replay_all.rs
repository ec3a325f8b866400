//! Replay every fixture recording the way a daemon drives a terminal (feed each chunk at
//! its time, advance deadlines, take replies, drain events), for profiling:
//!
//! `valgrind --tool=callgrind target/release/examples/replay_all [--bare] [--loops N]`
//!
//! `--synthetic` replays the synthetic stream the tests use instead.
//! `--bare` feeds the same bytes to alacritty alone, for the baseline.

#[path = "../tests/common/synthetic.rs"]
mod synthetic;

use std::hint::black_box;

use alacritty_terminal::event::VoidListener;
use alacritty_terminal::grid::Dimensions;
use alacritty_terminal::term::{Config as TermConfig, Term};
use alacritty_terminal::vte::ansi::{Processor, StdSyncHandler};
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

/// Bytes with the time they arrived.
type Chunks = Vec<(f64, Vec<u8>)>;

/// Every fixture's output chunks, one after another on one clock (as the bench does).
fn chunks() -> Result<Chunks, Box<dyn std::error::Error>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.to_string_lossy();
            name.ends_with(".jsonl") && !name.ends_with(".labels.jsonl")
        })
        .collect();
    paths.sort();
    let mut chunks: Chunks = Vec::new();
    for path in paths {
        let rec = Recording::parse(&std::fs::read_to_string(&path)?)?;
        let offset = chunks.last().map_or(0.0, |c| c.0 + 1.0);
        for e in rec.entries {
            if let Entry::Output { t, bytes } = e {
                chunks.push((offset + t, bytes));
            }
        }
    }
    Ok(chunks)
}

/// Drain the events (printing them with `dump`); returns how many there were.
fn take_events(term: &mut SemanticTerminal, dump: bool) -> usize {
    let events = black_box(term.drain_events());
    if dump {
        for e in &events {
            println!("{}", e.to_json());
        }
    }
    events.len()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bare = args.iter().any(|a| a == "--bare");
    // `--dump`: print every event and the raw state after each chunk (to compare builds).
    let dump = args.iter().any(|a| a == "--dump");
    let loops: usize = args
        .iter()
        .position(|a| a == "--loops")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    // `--synthetic`: the synthetic Claude-like session instead of the fixtures.
    let chunks = if args.iter().any(|a| a == "--synthetic") {
        synthetic::session(120, 40, 20)
    } else {
        chunks()?
    };
    let mut events = 0;
    for _ in 0..loops {
        if bare {
            let mut term = Term::new(TermConfig::default(), &Size(120, 40), VoidListener);
            let mut parser: Processor<StdSyncHandler> = Processor::new();
            for (_, bytes) in &chunks {
                parser.advance(&mut term, bytes);
            }
            black_box(term.grid().cursor.point);
        } else {
            let mut term = SemanticTerminal::new(120, 40, Config::default());
            for (t, bytes) in &chunks {
                while let Some(d) = term.next_deadline().filter(|d| d <= t) {
                    term.advance(d);
                    events += take_events(&mut term, dump);
                }
                term.feed(*t, bytes);
                black_box(term.take_replies());
                events += take_events(&mut term, dump);
                if dump {
                    let status = serde_json::to_string(&term.status()).unwrap_or_default();
                    let confirm = serde_json::to_string(&term.confirm()).unwrap_or_default();
                    println!("{t} raw={} {status} {confirm}", term.raw_state());
                }
            }
            while let Some(d) = term.next_deadline() {
                term.advance(d);
            }
            events += black_box(term.drain_events()).len();
        }
    }
    let bytes: usize = chunks.iter().map(|c| c.1.len()).sum();
    println!("{} chunks, {bytes} bytes, {events} events", chunks.len());
    Ok(())
}
