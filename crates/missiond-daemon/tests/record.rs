//! `missiond record` on small real programs (sh, printf, bash), checked through the
//! recording file it writes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use semantic_terminal::recording::{Entry, Recording};

fn missiond() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_missiond"));
    cmd.stdin(Stdio::null());
    cmd
}

/// Run `missiond record` with `extra` options and `command`; returns its output and the
/// parsed recording.
fn record(dir: &Path, extra: &[&str], command: &[&str]) -> (Output, Recording) {
    let out = dir.join("rec.jsonl");
    let output = missiond()
        .arg("record")
        .arg("--out")
        .arg(&out)
        .args(extra)
        .arg("--")
        .args(command)
        .current_dir(dir)
        .output()
        .expect("run missiond record");
    let text = std::fs::read_to_string(&out).expect("the recording exists");
    let recording = Recording::parse(&text).expect("the recording parses");
    (output, recording)
}

fn script(dir: &Path, lines: &[&str]) -> PathBuf {
    let path = dir.join("steps.jsonl");
    std::fs::write(&path, lines.join("\n")).expect("write script");
    path
}

fn output_bytes(recording: &Recording) -> Vec<u8> {
    recording
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Output { bytes, .. } => Some(bytes.as_slice()),
            _ => None,
        })
        .flatten()
        .copied()
        .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn records_header_bytes_and_exit() {
    let dir = tempfile::tempdir().unwrap();
    let (output, rec) = record(
        dir.path(),
        &["--cols", "90", "--rows", "20"],
        &["printf", "one\\ntwo \\342\\234\\273"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let header = rec.header.as_ref().expect("a header");
    assert_eq!((header.version, header.cols, header.rows), (1, 90, 20));
    assert_eq!(header.command, ["printf", "one\\ntwo \\342\\234\\273"]);
    // The PTY turns \n into \r\n; the UTF-8 star arrives intact.
    assert_eq!(output_bytes(&rec), "one\r\ntwo ✻".as_bytes());
    // Echoed to stdout too, since the session is not scripted.
    assert_eq!(output.stdout, "one\r\ntwo ✻".as_bytes());
    match rec.entries.last() {
        Some(Entry::Exit { code: Some(0), .. }) => {}
        other => panic!("last entry should be a clean exit, got {other:?}"),
    }
    let times: Vec<f64> = rec.entries.iter().map(Entry::t).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}

#[test]
fn exits_with_the_childs_code() {
    let dir = tempfile::tempdir().unwrap();
    let (output, rec) = record(dir.path(), &[], &["sh", "-c", "printf bye; exit 7"]);
    assert_eq!(output.status.code(), Some(7));
    assert!(matches!(
        rec.entries.last(),
        Some(Entry::Exit { code: Some(7), .. })
    ));
    let header = rec.header.expect("a header");
    assert_eq!((header.cols, header.rows), (120, 40), "default size");
}

#[test]
fn scripted_input_waits_sends_and_resizes() {
    let dir = tempfile::tempdir().unwrap();
    let steps = script(
        dir.path(),
        &[
            "# the shell asks, we answer",
            r#"{"wait_for": "name?", "timeout": 10}"#,
            r#"{"send": "ada\r"}"#,
            r#"{"wait_for": "/hello, ada!/", "timeout": 10}"#,
            r#"{"resize": {"cols": 70, "rows": 15}}"#,
            r#"{"send": "\r"}"#,
            r#"{"wait_exit": 10}"#,
        ],
    );
    let (output, rec) = record(
        dir.path(),
        &["--input", steps.to_str().unwrap()],
        &[
            "sh",
            "-c",
            "printf 'name? '; read n; echo \"hello, $n!\"; read _; stty size; exit 4",
        ],
    );
    // The program exited by itself, so its code is ours.
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(rec.entries.iter().any(|e| matches!(
        e,
        Entry::Resize {
            cols: 70,
            rows: 15,
            ..
        }
    )));
    let text = String::from_utf8_lossy(&output_bytes(&rec)).into_owned();
    assert!(text.contains("hello, ada!"), "{text}");
    assert!(
        text.contains("15 70"),
        "the program saw the new size: {text}"
    );
    assert!(output.stdout.is_empty(), "scripted sessions do not echo");
}

#[test]
fn answers_terminal_queries_when_scripted() {
    let dir = tempfile::tempdir().unwrap();
    let steps = script(
        dir.path(),
        &[
            r#"{"wait_for": "got:", "timeout": 10}"#,
            r#"{"wait_exit": 10}"#,
        ],
    );
    // Ask for the cursor position at row 5, column 3 and print the answer.
    let program = "stty -icanon -echo; printf '\\033[5;3H\\033[6n'; \
                   IFS= read -r -d R ans; printf '\\ngot:%s\\n' \"${ans#?}\"";
    let (output, rec) = record(
        dir.path(),
        &["--input", steps.to_str().unwrap()],
        &["bash", "-c", program],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output_bytes(&rec)).into_owned();
    assert!(text.contains("got:[5;3"), "{text}");
}

#[test]
fn a_failed_wait_prints_the_screen_and_keeps_the_recording() {
    let dir = tempfile::tempdir().unwrap();
    let steps = script(
        dir.path(),
        &[r#"{"wait_for": "never shown", "timeout": 0.5}"#],
    );
    let (output, rec) = record(
        dir.path(),
        &["--input", steps.to_str().unwrap()],
        &["sh", "-c", "echo visible-marker; sleep 60"],
    );
    assert_eq!(output.status.code(), Some(3));
    let err = stderr(&output);
    assert!(err.contains("timed out"), "{err}");
    assert!(err.contains("line 1"), "{err}");
    assert!(
        err.contains("visible-marker"),
        "the screen is printed: {err}"
    );
    // The program was ended by a signal: the exit line says so with a null code.
    assert!(matches!(
        rec.entries.last(),
        Some(Entry::Exit { code: None, .. })
    ));
}

#[test]
fn ends_the_program_when_the_script_ends() {
    let dir = tempfile::tempdir().unwrap();
    let steps = script(dir.path(), &[r#"{"wait_for": "ready"}"#]);
    let (output, rec) = record(
        dir.path(),
        &["--input", steps.to_str().unwrap()],
        &["sh", "-c", "echo ready; sleep 60"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(matches!(
        rec.entries.last(),
        Some(Entry::Exit { code: None, .. })
    ));
}

#[test]
fn rejects_a_bad_script_before_starting() {
    let dir = tempfile::tempdir().unwrap();
    let steps = script(dir.path(), &[r#"{"sleep": 1}"#, r#"{"jump": 2}"#]);
    let marker = dir.path().join("started");
    let output = missiond()
        .args(["record", "--out"])
        .arg(dir.path().join("rec.jsonl"))
        .arg("--input")
        .arg(&steps)
        .args(["--", "touch"])
        .arg(&marker)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("line 2"), "{}", stderr(&output));
    assert!(!marker.exists(), "the program must not run");
}
