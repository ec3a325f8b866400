//! Print the events a recording produces, one JSON line each, with the raw (undebounced)
//! state changes too when `--raw` is given: a quick look at what the reader sees.
//!
//! `cargo run -p semantic-terminal --example trace -- FILE.jsonl [--raw] [--screens]`

use semantic_terminal::recording::{Entry, Recording};
use semantic_terminal::{Config, SemanticTerminal};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .ok_or("usage: trace FILE.jsonl [--raw] [--screens]")?;
    let raw = args.iter().any(|a| a == "--raw");
    let screens = args.iter().any(|a| a == "--screens");
    // `--at T`: print the screen and the raw state at time T, then stop.
    let at: Option<f64> = args
        .iter()
        .position(|a| a == "--at")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok());
    let rec = Recording::parse(&std::fs::read_to_string(path)?)?;
    let (cols, rows) = rec.size_or((120, 40));
    let mut term = SemanticTerminal::new(cols, rows, Config::default());
    let mut last_raw = term.raw_state();
    let mut emit = |term: &mut SemanticTerminal, t: f64| {
        for e in term.drain_events() {
            println!("{}", e.to_json());
            if screens && matches!(e.event, semantic_terminal::SessionEvent::StateChange { .. }) {
                println!("{}\n-----", term.screen_text());
            }
        }
        if raw && term.raw_state() != last_raw {
            last_raw = term.raw_state();
            println!("{{\"t\": {t:.3}, \"raw\": \"{last_raw}\"}}");
        }
    };
    for entry in &rec.entries {
        if let Some(at) = at
            && entry.t() > at
        {
            term.advance(at);
            println!(
                "raw {} announced {}\n{}",
                term.raw_state(),
                term.state(),
                term.screen_text()
            );
            return Ok(());
        }
        while let Some(d) = term.next_deadline().filter(|d| *d <= entry.t()) {
            term.advance(d);
            emit(&mut term, d);
        }
        match entry {
            Entry::Output { t, bytes } => term.feed(*t, bytes),
            Entry::Resize { t, cols, rows } => term.resize(*t, *cols, *rows),
            Entry::Exit { t, .. } => term.mark_exited(*t),
        }
        term.take_replies();
        emit(&mut term, entry.t());
    }
    while let Some(d) = term.next_deadline() {
        term.advance(d);
        emit(&mut term, d);
    }
    Ok(())
}
