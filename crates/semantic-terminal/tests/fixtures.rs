//! Recordings of the real Claude Code, replayed through the library and checked against
//! labels a person wrote after looking at each moment's screen.
//!
//! For every `tests/fixtures/NAME.jsonl` there must be `NAME.labels.jsonl`, one label per
//! line: `{"t": 3.2, "state": "Thinking", "note": "..."}`, optionally with `"dialog"`
//! (the dialog kind, e.g. `"bash"`), `"options"` (option meanings in screen order, e.g.
//! `["yes", "yes_always", "no"]`) and `"answer"` (text the last finished answer contains).
//! The replay uses the same driver as `missiond replay`. Every mismatch is listed.
//! See docs/recording.md for recording and labelling.

use std::path::{Path, PathBuf};

use semantic_terminal::recording::Recording;
use semantic_terminal::replay::{DEFAULT_SIZE, Replayer};
use semantic_terminal::{Config, SessionEvent, State};
use serde::Deserialize;

/// One labelled moment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Label {
    t: f64,
    state: State,
    note: String,
    #[serde(default)]
    dialog: Option<String>,
    #[serde(default)]
    options: Option<Vec<String>>,
    #[serde(default)]
    answer: Option<String>,
    /// Option labels in screen order, as a person reads them.
    #[serde(default)]
    labels: Option<Vec<String>>,
    /// Text the dialog's question contains.
    #[serde(default)]
    question: Option<String>,
    /// Background agents the panel lists as running.
    #[serde(default)]
    subagents: Option<usize>,
    /// The permission mode the footer names.
    #[serde(default)]
    mode: Option<String>,
    /// Shells the footer counts as running in the background (`1 shell`).
    #[serde(default)]
    shells: Option<u32>,
    /// The context left before auto-compact, in percent, that the screen shows (0 for
    /// `auto-compact next`).
    #[serde(default)]
    context_left: Option<u8>,
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every recording in the fixtures folder, sorted by name.
fn recordings() -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .map(|dir| {
            dir.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    name.ends_with(".jsonl") && !name.ends_with(".labels.jsonl")
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

fn load_labels(path: &Path) -> Result<Vec<Label>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("no labels: {e}"))?;
    let mut labels = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let label: Label =
            serde_json::from_str(line).map_err(|e| format!("labels line {}: {e}", i + 1))?;
        labels.push(label);
    }
    if labels.is_empty() {
        return Err("the labels file is empty".into());
    }
    labels.sort_by(|a, b| a.t.total_cmp(&b.t));
    Ok(labels)
}

fn json_name(value: impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(e) => format!("<{e}>"),
    }
}

/// Replays one fixture and returns one message per mismatch.
fn check_fixture(path: &Path) -> Vec<String> {
    let name = path.file_stem().and_then(|n| n.to_str()).unwrap_or("?");
    let fail = |msg: String| vec![format!("{name}: {msg}")];
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => return fail(format!("unreadable: {e}")),
    };
    let recording = match Recording::parse(&text) {
        Ok(r) => r,
        Err(e) => return fail(format!("bad recording: {e}")),
    };
    let labels = match load_labels(&path.with_extension("labels.jsonl")) {
        Ok(labels) => labels,
        Err(e) => return fail(e),
    };

    let size = recording.size_or(DEFAULT_SIZE);
    let mut replayer = Replayer::new(&recording, size, Config::default());
    let mut last_answer: Option<String> = None;
    let mut problems = Vec::new();
    for label in &labels {
        replayer.run_until(label.t);
        for event in replayer.take_events() {
            if let SessionEvent::TextComplete(text) = event.event {
                last_answer = Some(text);
            }
        }
        let term = replayer.terminal();
        let mut report = |what: &str, expected: &str, got: &str| {
            problems.push(format!(
                "{name} t={}: {what}: expected {expected}, got {got}  ({})",
                label.t, label.note
            ));
        };
        if term.state() != label.state {
            report("state", label.state.as_str(), term.state().as_str());
        }
        if let Some(kind) = &label.dialog {
            match term.confirm() {
                Some(info) if json_name(info.kind) == *kind => {}
                Some(info) => report("dialog", kind, &json_name(info.kind)),
                None => report("dialog", kind, "no dialog"),
            }
        }
        if let Some(expected) = &label.options {
            let got: Vec<String> = term
                .confirm()
                .map(|info| info.options.iter().map(|o| json_name(o.meaning)).collect())
                .unwrap_or_default();
            if got != *expected {
                report("options", &expected.join(","), &got.join(","));
            }
        }
        if let Some(expected) = &label.labels {
            let got: Vec<String> = term
                .confirm()
                .map(|info| info.options.iter().map(|o| o.label.clone()).collect())
                .unwrap_or_default();
            if got != *expected {
                report("labels", &expected.join("|"), &got.join("|"));
            }
        }
        if let Some(expected) = &label.question {
            let got = term
                .confirm()
                .map(|i| i.question.clone())
                .unwrap_or_default();
            if !got.contains(expected.as_str()) {
                report("question", expected, &got);
            }
        }
        if let Some(expected) = label.subagents {
            let got = term.status().map_or(0, |s| s.subagents.len());
            if got != expected {
                report("subagents", &expected.to_string(), &got.to_string());
            }
        }
        if let Some(expected) = &label.mode {
            let got = term
                .status()
                .and_then(|s| s.permission_mode.clone())
                .unwrap_or_default();
            if got != *expected {
                report("mode", expected, &got);
            }
        }
        if let Some(expected) = label.shells {
            let got = term.status().and_then(|s| s.background_shells).unwrap_or(0);
            if got != expected {
                report("shells", &expected.to_string(), &got.to_string());
            }
        }
        if let Some(expected) = label.context_left {
            let got = term.status().and_then(|s| s.context_left_percent);
            if got != Some(expected) {
                report("context_left", &expected.to_string(), &format!("{got:?}"));
            }
        }
        if let Some(expected) = &label.answer {
            match &last_answer {
                Some(text) if text.contains(expected.as_str()) => {}
                Some(text) => report("answer", &format!("{expected:?}"), &format!("{text:?}")),
                None => report("answer", &format!("{expected:?}"), "no finished answer"),
            }
        }
    }
    problems
}

#[test]
fn every_fixture_matches_its_labels() {
    let recordings = recordings();
    assert!(
        !recordings.is_empty(),
        "no recordings in {}",
        fixtures_dir().display()
    );
    let mut problems = Vec::new();
    for path in &recordings {
        problems.extend(check_fixture(path));
    }
    assert!(
        problems.is_empty(),
        "{} mismatch(es) in {} fixture(s):\n{}",
        problems.len(),
        recordings.len(),
        problems.join("\n")
    );
}

#[test]
fn labels_without_a_recording_are_an_error() {
    let orphans: Vec<String> = std::fs::read_dir(fixtures_dir())
        .map(|dir| {
            dir.filter_map(|e| e.ok().map(|e| e.path()))
                .filter_map(|p| {
                    let name = p.file_name()?.to_str()?.to_owned();
                    let stem = name.strip_suffix(".labels.jsonl")?;
                    (!p.with_file_name(format!("{stem}.jsonl")).exists()).then_some(name)
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(
        orphans.is_empty(),
        "labels without a recording: {orphans:?}"
    );
}

/// At every labelled moment of every real Claude Code recording, painting the screen into
/// a fresh terminal gives the same text and cursor: what a viewer attaching at that
/// moment would see.
#[test]
fn painted_screens_of_real_sessions_repaint_identically() {
    let mut problems = Vec::new();
    for path in recordings() {
        let name = path.file_stem().and_then(|n| n.to_str()).unwrap_or("?");
        let text = std::fs::read_to_string(&path).expect("readable");
        let recording = Recording::parse(&text).expect("a recording");
        let labels = load_labels(&path.with_extension("labels.jsonl")).expect("labels");
        let size = recording.size_or(DEFAULT_SIZE);
        let mut replayer = Replayer::new(&recording, size, Config::default());
        for label in &labels {
            replayer.run_until(label.t);
            let term = replayer.terminal();
            // Some recordings resize the terminal: paint at the size it has now.
            let (cols, rows) = term.size();
            let mut copy = semantic_terminal::SemanticTerminal::new(cols, rows, Config::default());
            copy.feed(0.0, term.paint().as_bytes());
            if copy.screen_lines() != term.screen_lines() || copy.cursor() != term.cursor() {
                let (a, b) = (copy.screen_lines(), term.screen_lines());
                let rows: Vec<String> = a
                    .iter()
                    .zip(&b)
                    .enumerate()
                    .filter(|(_, (x, y))| x != y)
                    .map(|(i, (x, y))| format!("row {i}: {x:?} instead of {y:?}"))
                    .take(3)
                    .collect();
                problems.push(format!(
                    "{name} t={}: the repainted screen differs: {rows:?} ({} vs {} rows), cursor {:?} vs {:?}",
                    label.t,
                    a.len(),
                    b.len(),
                    copy.cursor(),
                    term.cursor()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A PTY log can end without its exit line (the daemon went down first): a recording
/// whose last label is `Exited` must read `Exited` from the screen alone, which Claude
/// Code leaves on the normal screen with how to resume the session.
#[test]
fn exits_read_from_the_screen_alone() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for path in recordings() {
        let name = path.file_stem().and_then(|n| n.to_str()).unwrap_or("?");
        let labels = load_labels(&path.with_extension("labels.jsonl")).expect("labels");
        if labels.last().is_none_or(|l| l.state != State::Exited) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let mut recording = Recording::parse(&text).expect("a recording");
        recording
            .entries
            .retain(|e| !matches!(e, semantic_terminal::recording::Entry::Exit { .. }));
        let size = recording.size_or(DEFAULT_SIZE);
        let mut replayer = Replayer::new(&recording, size, Config::default());
        replayer.finish();
        checked += 1;
        let state = replayer.terminal().state();
        if state != State::Exited {
            problems.push(format!("{name}: {} without the exit line", state.as_str()));
        }
    }
    assert!(checked > 0, "no recording ends Exited");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
