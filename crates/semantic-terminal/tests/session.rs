//! The glue as a caller sees it: debounce on the caller's clock, bounded events while
//! the spinner animates, turns ending, dialogs announced with what is needed to answer.

use semantic_terminal::{
    Config, DialogKind, OptionMeaning, SemanticTerminal, SessionEvent, State, TimedEvent,
};

const COLS: usize = 80;

/// A whole frame drawn from text rows, the way a full redraw looks.
fn frame(rows: &[&str]) -> Vec<u8> {
    let mut out = b"\x1b[2J\x1b[H".to_vec();
    out.extend_from_slice(rows.join("\r\n").as_bytes());
    out
}

fn screen(transcript: &[&str], spinner: Option<&str>, footer: &str) -> Vec<u8> {
    let rule = "─".repeat(COLS);
    let mut rows: Vec<&str> = transcript.to_vec();
    if let Some(s) = spinner {
        rows.push(s);
    }
    rows.extend(["", &rule, "❯\u{a0}", &rule, footer]);
    frame(&rows)
}

fn states(events: &[TimedEvent]) -> Vec<State> {
    events
        .iter()
        .filter_map(|e| match e.event {
            SessionEvent::StateChange { new_state, .. } => Some(new_state),
            _ => None,
        })
        .collect()
}

/// Run deadlines up to `t` like a host's timer would.
fn run_to(term: &mut SemanticTerminal, t: f64) {
    while let Some(d) = term.next_deadline().filter(|d| *d <= t) {
        term.advance(d);
    }
    term.advance(t);
}

#[test]
fn an_idle_terminal_needs_no_timer() {
    let mut term = SemanticTerminal::new(80, 24, Config::default());
    term.feed(
        0.0,
        &screen(&["● hi"], None, "⏸ manual mode on · ? for shortcuts"),
    );
    run_to(&mut term, 1.0);
    assert_eq!(term.state(), State::Idle);
    assert_eq!(term.next_deadline(), None);
    assert!(term.state_since() <= 0.1);
}

#[test]
fn a_state_is_announced_only_after_it_holds() {
    let mut term = SemanticTerminal::new(80, 24, Config::default());
    term.feed(0.0, &screen(&["● hi"], None, "? for shortcuts"));
    run_to(&mut term, 1.0);
    term.drain_events();
    // A one-frame flash of a spinner is not a state change.
    term.feed(
        1.0,
        &screen(&["❯ go"], Some("✶ Musing…"), "esc to interrupt"),
    );
    term.feed(1.05, &screen(&["● hi"], None, "? for shortcuts"));
    run_to(&mut term, 2.0);
    assert_eq!(states(&term.drain_events()), []);
    // One that holds is announced, at least `debounce` after it appeared.
    term.feed(
        2.0,
        &screen(&["❯ go"], Some("✶ Musing…"), "esc to interrupt"),
    );
    assert_eq!(term.state(), State::Idle);
    let due = term
        .next_deadline()
        .expect("a pending change needs a timer");
    assert!(due >= 2.0 + Config::default().debounce - 1e-9);
    run_to(&mut term, due);
    assert_eq!(term.state(), State::Thinking);
    let events = term.drain_events();
    assert_eq!(states(&events), [State::Thinking]);
}

#[test]
fn spinner_animation_does_not_flood_events() {
    let mut term = SemanticTerminal::new(80, 24, Config::default());
    term.feed(0.0, &screen(&["● hi"], None, "? for shortcuts"));
    let glyphs = ["·", "✢", "✳", "✶", "✻", "✽"];
    let mut t = 1.0;
    // Five seconds of 20 frames a second, the elapsed counter ticking every second.
    for i in 0..100 {
        let line = format!("{} Musing… ({}s · ↓ 3 tokens)", glyphs[i % 6], i / 20);
        term.feed(t, &screen(&["❯ go"], Some(&line), "esc to interrupt"));
        term.feed(
            t,
            format!("\x1b]0;{} Claude Code\x07", ["◐", "◑"][i % 2]).as_bytes(),
        );
        t += 0.05;
        run_to(&mut term, t);
    }
    let events = term.drain_events();
    assert_eq!(states(&events), [State::Idle, State::Thinking]);
    let statuses = events
        .iter()
        .filter(|e| matches!(e.event, SessionEvent::StatusUpdate(_)))
        .count();
    // Footer changes plus about one per elapsed second, not one per frame.
    assert!(statuses <= 10, "{statuses} status updates for 100 frames");
    let titles = events
        .iter()
        .filter(|e| matches!(e.event, SessionEvent::TitleChange(_)))
        .count();
    assert_eq!(
        titles, 1,
        "the title glyph animates; only its meaning is news"
    );
    assert_eq!(term.title().and_then(|t| t.working), Some(true));
}

#[test]
fn a_turn_quicker_than_the_debounce_still_completes() {
    let mut term = SemanticTerminal::new(80, 24, Config::default());
    term.feed(0.0, &screen(&["● old answer"], None, "? for shortcuts"));
    run_to(&mut term, 1.0);
    term.drain_events();
    term.feed(1.0, b"\x1b]0;\xe2\x97\x90 Claude Code\x07");
    term.feed(
        1.02,
        &screen(
            &["● old answer", "❯ quick one"],
            Some("✶ Musing…"),
            "esc to interrupt",
        ),
    );
    term.feed(
        1.06,
        &screen(
            &[
                "● old answer",
                "❯ quick one",
                "● Done quickly.",
                "✻ Baked for 0s",
            ],
            None,
            "? for shortcuts",
        ),
    );
    term.feed(1.07, "\x1b]0;✳ Claude Code\x07".as_bytes());
    run_to(&mut term, 3.0);
    let texts: Vec<String> = term
        .drain_events()
        .into_iter()
        .filter_map(|e| match e.event {
            SessionEvent::TextComplete(text) => Some(text),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["Done quickly."]);
    assert_eq!(term.next_deadline(), None);
}

#[test]
fn a_dialog_is_announced_with_its_options() {
    let mut term = SemanticTerminal::new(80, 24, Config::default());
    let rule = "─".repeat(COLS);
    term.feed(
        0.0,
        &frame(&[
            "❯ save it",
            "● Bash(echo hi > x.txt)",
            &rule,
            " Bash command",
            "   echo hi > x.txt",
            " Do you want to proceed?",
            " ❯ 1. Yes",
            "   2. Yes, and don't ask again for echo commands in /w",
            "   3. No, and tell Claude what to do differently (esc)",
            " Esc to cancel",
        ]),
    );
    run_to(&mut term, 1.0);
    assert_eq!(term.state(), State::Confirming);
    let events = term.drain_events();
    let (prompt, info) = events
        .iter()
        .find_map(|e| match &e.event {
            SessionEvent::ConfirmRequired { prompt, info } => Some((prompt.clone(), info.clone())),
            _ => None,
        })
        .expect("a confirm event");
    assert_eq!(prompt, "Do you want to proceed?");
    assert_eq!(info.kind, DialogKind::Bash);
    assert_eq!(info.command.as_deref(), Some("echo hi > x.txt"));
    let no = info.find(OptionMeaning::No).unwrap();
    assert_eq!(info.keys_for(no).unwrap(), b"\x1b[B\x1b[B\r");
    assert_eq!(term.confirm().map(|c| c.options.len()), Some(3));
    // The process exits: that is announced at once.
    term.mark_exited(2.0);
    assert_eq!(states(&term.drain_events()), [State::Exited]);
    assert_eq!(term.confirm(), None);
}

#[test]
fn a_terminal_can_move_between_threads() {
    // The daemon keeps one per slot inside async tasks.
    fn assert_send<T: Send + 'static>() {}
    assert_send::<SemanticTerminal>();
}
