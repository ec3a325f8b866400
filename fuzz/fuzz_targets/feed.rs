//! Arbitrary bytes, resizes and time steps into a `SemanticTerminal`: it must never
//! panic, and its answers must stay within bounds.
//!
//! `cargo +nightly fuzz run feed` from /work/main/fuzz.

#![no_main]

use libfuzzer_sys::fuzz_target;
use semantic_terminal::{Config, MAX_QUEUED_EVENTS, SemanticTerminal};

fuzz_target!(|data: &[u8]| {
    let config = Config {
        debounce: 0.05,
        scrollback_lines: 64,
    };
    let mut term = SemanticTerminal::new(80, 24, config);
    let mut t = 0.0;
    // Control bytes: 0xF0 = resize from the next two bytes, 0xF1 = advance time by the
    // next byte in hundredths of a second; everything else is terminal output, cut
    // into chunks at 0xF2.
    let mut i = 0;
    let mut chunk = Vec::new();
    while i < data.len() {
        match data[i] {
            0xF0 if i + 2 < data.len() => {
                term.feed(t, &chunk);
                chunk.clear();
                term.resize(t, data[i + 1] as u16, data[i + 2] as u16 / 2);
                i += 3;
                continue;
            }
            0xF1 if i + 1 < data.len() => {
                t += data[i + 1] as f64 / 100.0;
                term.advance(t);
                i += 2;
                continue;
            }
            0xF2 => {
                term.feed(t, &chunk);
                chunk.clear();
                t += 0.01;
            }
            b => chunk.push(b),
        }
        i += 1;
    }
    term.feed(t, &chunk);
    while let Some(d) = term.next_deadline() {
        assert!(d.is_finite() && d >= 0.0);
        if d > t + 10.0 {
            break;
        }
        t = t.max(d);
        term.advance(t);
        if term.next_deadline() == Some(d) {
            break;
        }
    }
    let (cols, rows) = term.size();
    assert_eq!(term.screen_lines().len(), rows as usize);
    assert!(cols >= 2 && rows >= 2);
    assert!(term.scrollback_lines(usize::MAX).len() <= 64);
    let _ = term.take_replies();
    let _ = term.confirm();
    let _ = term.status();
    assert!(term.drain_events().len() <= MAX_QUEUED_EVENTS);
});
