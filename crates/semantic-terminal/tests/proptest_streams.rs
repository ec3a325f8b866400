//! Robustness: random, truncated, interleaved byte streams and resizes never panic,
//! memory stays bounded, and garbage never reads as a confident state.

mod common;

use common::synthetic;
use proptest::prelude::*;
use semantic_terminal::recording::{Entry, Recording};
use semantic_terminal::{Config, MAX_QUEUED_EVENTS, SemanticTerminal, State};

/// Real recordings when there are any, else the synthetic stream: (t, bytes) chunks.
fn realistic_stream() -> Vec<(f64, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut chunks = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    names.sort();
    for path in names {
        let name = path.to_string_lossy().to_string();
        if !name.ends_with(".jsonl") || name.ends_with(".labels.jsonl") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(rec) = Recording::parse(&text) else {
            continue;
        };
        let offset = chunks.last().map_or(0.0, |c: &(f64, Vec<u8>)| c.0);
        for e in rec.entries {
            if let Entry::Output { t, bytes } = e {
                chunks.push((offset + t, bytes));
            }
        }
        if chunks.len() > 400 {
            break;
        }
    }
    if chunks.is_empty() {
        chunks = synthetic::session(120, 40, 3);
    }
    chunks
}

/// Escape sequences and Claude-ish glyphs, to reach the parser's corners quickly.
fn escapey_bytes() -> impl Strategy<Value = Vec<u8>> {
    let pieces: Vec<&'static [u8]> = vec![
        b"\x1b[",
        b"\x1b]",
        b"\x1bP",
        b"\x07",
        b"\x1b\\",
        b";",
        b"?",
        b"2026h",
        b"2026l",
        b"1049h",
        b"1049l",
        b"H",
        b"J",
        b"K",
        b"m",
        b"r",
        b"c",
        b"6n",
        b"0;",
        b"\r\n",
        b"\n",
        "❯ ".as_bytes(),
        "● ".as_bytes(),
        "⎿ ".as_bytes(),
        "✻ ".as_bytes(),
        "─".as_bytes(),
        "…".as_bytes(),
        b"1. Yes",
        b"Esc to cancel",
        b"\xff",
        b"\xe2\x9c",
        b"99999999",
    ];
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(pieces).prop_map(|p| p.to_vec()),
            prop::collection::vec(any::<u8>(), 0..8),
        ],
        0..80,
    )
    .prop_map(|v| v.concat())
}

#[derive(Debug, Clone)]
enum Op {
    Feed(Vec<u8>),
    Resize(u16, u16),
    Advance(f64),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            6 => escapey_bytes().prop_map(Op::Feed),
            1 => (0u16..300, 0u16..120).prop_map(|(c, r)| Op::Resize(c, r)),
            1 => (0.0f64..2.0).prop_map(Op::Advance),
        ],
        1..40,
    )
}

fn check_bounds(term: &SemanticTerminal, config: &Config) {
    assert!(term.scrollback_lines(usize::MAX).len() <= config.scrollback_lines);
    let (cols, rows) = term.size();
    assert!(cols >= 2 && rows >= 2);
    assert_eq!(term.screen_lines().len(), rows as usize);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn random_streams_and_resizes_never_panic(ops in ops()) {
        let config = Config { debounce: 0.1, scrollback_lines: 50 };
        let mut term = SemanticTerminal::new(80, 24, config.clone());
        let mut t = 0.0;
        for op in ops {
            t += 0.01;
            match op {
                Op::Feed(b) => term.feed(t, &b),
                Op::Resize(c, r) => term.resize(t, c, r),
                Op::Advance(dt) => { t += dt; term.advance(t) }
            }
            let _ = term.take_replies();
            if let Some(d) = term.next_deadline() {
                prop_assert!(d.is_finite());
            }
        }
        check_bounds(&term, &config);
        for e in term.drain_events() {
            prop_assert!(e.t.is_finite());
            let _ = e.to_json();
        }
    }

}

proptest! {
    // Each case replays the whole stream twice: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn realistic_output_split_anywhere_draws_the_same_screen(
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 1..30),
        resize in any::<bool>(),
    ) {
        let stream = realistic_stream();
        let whole: Vec<u8> = stream.iter().flat_map(|c| c.1.clone()).collect();
        let mut reference = SemanticTerminal::new(120, 40, Config::default());
        reference.feed(0.0, &whole);
        let mut cut_points: Vec<usize> = cuts.iter().map(|i| i.index(whole.len() + 1)).collect();
        cut_points.sort();
        let mut term = SemanticTerminal::new(120, 40, Config::default());
        let mut from = 0;
        for (n, to) in cut_points.into_iter().chain([whole.len()]).enumerate() {
            if resize && n == 1 {
                // A resize and back keeps the run honest without changing the final size.
                term.resize(0.0, 80, 24);
                term.resize(0.0, 120, 40);
            }
            term.feed(0.0, &whole[from..to]);
            from = to;
        }
        // Split points inside escapes, UTF-8 and synchronized updates change nothing.
        if !resize {
            prop_assert_eq!(term.screen_lines(), reference.screen_lines());
        }
        check_bounds(&term, &Config::default());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn interleaved_streams_never_panic(seed in prop::collection::vec(any::<(bool, u8)>(), 1..60)) {
        let a = realistic_stream();
        let b = synthetic::session(80, 24, 1);
        let mut term = SemanticTerminal::new(100, 30, Config::default());
        let (mut ia, mut ib) = (0usize, 0usize);
        for (n, (pick_a, cut)) in seed.into_iter().enumerate() {
            let (src, i) = if pick_a { (&a, &mut ia) } else { (&b, &mut ib) };
            let chunk = &src[*i % src.len()].1;
            let cut = (cut as usize).min(chunk.len());
            term.feed(n as f64 * 0.05, &chunk[..cut]);
            *i += 1;
        }
        let _ = term.drain_events();
    }

    #[test]
    fn garbage_reads_as_unknown_not_a_confident_state(
        rows in prop::collection::vec(
            prop::collection::vec(prop::sample::select(
                "abcXYZ019 #@!~|/\\-_=+*·✻●❯⎿─╌…()[]".chars().collect::<Vec<char>>()), 0..70),
            8..24),
    ) {
        let mut term = SemanticTerminal::new(80, 24, Config::default());
        let mut bytes = b"\x1b[2J\x1b[H".to_vec();
        for row in &rows {
            let line: String = row.iter().collect();
            bytes.extend_from_slice(line.as_bytes());
            bytes.extend_from_slice(b"\r\n");
        }
        term.feed(1.0, &bytes);
        term.advance(5.0);
        let state = term.state();
        prop_assert!(
            matches!(state, State::Unknown | State::Starting),
            "garbage read as {state}:\n{}", term.screen_text()
        );
    }
}

#[test]
fn the_event_queue_is_bounded_when_never_drained() {
    let mut term = SemanticTerminal::new(
        80,
        24,
        Config {
            debounce: 0.0,
            scrollback_lines: 10,
        },
    );
    // Each title change is an event; far more than the cap.
    for i in 0..(MAX_QUEUED_EVENTS * 2) {
        term.feed(i as f64, format!("\x1b]0;title {i}\x07").as_bytes());
    }
    let events = term.drain_events();
    assert_eq!(events.len(), MAX_QUEUED_EVENTS);
    // The newest are kept.
    let last = events.last().map(|e| e.to_json()["title"]["raw"].clone());
    assert_eq!(
        last,
        Some(format!("title {}", MAX_QUEUED_EVENTS * 2 - 1).into())
    );
}

#[test]
fn the_synthetic_stream_reads_as_claude_code() {
    // Guards the generator the benchmark and tests rely on: if it stops looking like
    // Claude Code, the robustness runs above stop meaning much.
    let mut term = SemanticTerminal::new(120, 40, Config::default());
    let mut seen = Vec::new();
    for (t, bytes) in synthetic::turn(120, 40, 0) {
        while let Some(d) = term.next_deadline().filter(|d| *d <= t) {
            term.advance(d);
        }
        term.feed(t, &bytes);
        let _ = term.take_replies();
    }
    term.advance(100.0);
    for e in term.drain_events() {
        if let semantic_terminal::SessionEvent::StateChange { new_state, .. } = e.event {
            seen.push(new_state);
        }
    }
    assert_eq!(
        seen,
        [
            State::Idle,
            State::Thinking,
            State::Responding,
            State::Confirming,
            State::Idle
        ],
        "{}",
        term.screen_text()
    );
}
