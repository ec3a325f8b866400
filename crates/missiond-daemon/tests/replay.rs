//! `missiond replay` on hand-written recordings: events, screens at a time, bad files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use semantic_terminal::recording::Entry;

fn replay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_missiond"))
        .arg("replay")
        .args(args)
        .output()
        .expect("run missiond replay")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn output(t: f64, text: &str) -> String {
    Entry::Output {
        t,
        bytes: text.as_bytes().to_vec(),
    }
    .to_line()
}

/// Two chunks a second apart, a resize, then exit.
fn sample(dir: &Path) -> PathBuf {
    let lines = [
        r#"{"version": 1, "cols": 30, "rows": 5, "command": ["demo"]}"#.to_owned(),
        output(0.5, "first line\r\n"),
        output(1.5, "second line"),
        r#"{"t": 2.0, "resize": {"cols": 20, "rows": 4}}"#.to_owned(),
        r#"{"t": 3.0, "exit": 0}"#.to_owned(),
    ];
    write(dir, "sample.jsonl", &lines.join("\n"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn screen_at_shows_what_was_on_screen_then() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample(dir.path());
    let file = file.to_str().unwrap();

    let before = replay(&[file, "--screen-at", "0.2"]);
    assert!(before.status.success());
    assert!(stdout(&before).trim().is_empty(), "{}", stdout(&before));

    let middle = replay(&[file, "--screen-at", "1.0"]);
    assert!(middle.status.success());
    let text = stdout(&middle);
    assert!(
        text.contains("first line") && !text.contains("second"),
        "{text}"
    );
    // Five rows at the header's size.
    assert_eq!(text.lines().count(), 5, "{text:?}");

    let end = replay(&[file, "--screen-at", "2.5"]);
    let text = stdout(&end);
    assert!(text.contains("second line"), "{text}");
    assert_eq!(text.lines().count(), 4, "resized: {text:?}");
    let err = String::from_utf8_lossy(&end.stderr);
    assert!(err.contains("state"), "{err}");
}

#[test]
fn size_options_override_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample(dir.path());
    let out = replay(&[file.to_str().unwrap(), "--rows", "7", "--screen-at", "1"]);
    assert_eq!(stdout(&out).lines().count(), 7);
}

#[test]
fn events_are_json_lines_ending_in_exited() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample(dir.path());
    let out = replay(&[file.to_str().unwrap()]);
    assert!(out.status.success());
    let events: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let last_state = events
        .iter()
        .rev()
        .find(|e| e["event"] == "state")
        .expect("a state event");
    assert_eq!(last_state["state"], "Exited");
    assert_eq!(last_state["t"], 3.0);
    let times: Vec<f64> = events.iter().filter_map(|e| e["t"].as_f64()).collect();
    assert_eq!(times.len(), events.len(), "every event has a time");
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}

#[test]
fn bad_files_name_the_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "bad.jsonl",
        "{\"version\": 1, \"cols\": 10, \"rows\": 3}\n{\"t\": 0.1, \"b64\": \"aGk=\"}\n{oops\n",
    );
    let out = replay(&[file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("bad.jsonl"), "{err}");
    assert!(out.stdout.is_empty());

    let missing = replay(&[dir.path().join("absent.jsonl").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("absent.jsonl"));
}

#[test]
fn a_last_line_cut_short_is_skipped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        r#"{"version": 1, "cols": 30, "rows": 5, "command": ["demo"]}"#.to_owned(),
        output(0.5, "kept line"),
    ];
    // A writer stopped mid-line: no newline after the cut.
    let text = format!("{}\n{{\"t\": 0.9, \"b64\": \"aGVs", lines.join("\n"));
    let file = write(dir.path(), "cut.jsonl", &text);
    let out = replay(&[file.to_str().unwrap(), "--screen-at", "5"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("kept line"), "{}", stdout(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cut.jsonl") && err.contains("line 3") && err.contains("skipped"),
        "{err}"
    );
}

#[test]
fn replays_a_recording_made_by_record() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("r.jsonl");
    let status = Command::new(env!("CARGO_BIN_EXE_missiond"))
        .args(["record", "--cols", "40", "--rows", "6", "--out"])
        .arg(&rec)
        .args(["--", "printf", "\\033[3;5Hplaced"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let out = replay(&[rec.to_str().unwrap(), "--screen-at", "1000"]);
    let lines: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 6, "{lines:?}");
    assert_eq!(lines[2], "    placed");
}
