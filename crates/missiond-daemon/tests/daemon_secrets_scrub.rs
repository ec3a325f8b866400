//! No secret reaches a sink in clear: a bash slot whose `TOKEN` is a resolved
//! `${secret:...}` prints it plainly, split by escape sequences, and a GitHub token
//! shape; then the screen tool, the logs tool, the attach repaint and live stream over a
//! real WebSocket, the stores (written through IPC and read back from the files), every
//! file in the daemon's home and the daemon's own log are checked.

mod daemon_support;

use std::time::Duration;

use daemon_support::{Daemon, ok, type_line, wait_screen};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

const SECRET: &str = "s3cr3t-demo-VALUE-90817265";
/// Typed as `${K}` + the rest, so the typed line never holds the whole key.
const KEY: &str = "ghp_0123456789abcdefghijABCDEFGHIJklmnop";
const REDACTED: &str = "[REDACTED]";
const LIMIT: Duration = Duration::from_secs(30);

fn world(tmp: &std::path::Path) -> Daemon {
    let script = tmp.join("secret-tool");
    std::fs::write(&script, "#!/bin/sh\necho \"s3cr3t-$1-VALUE-90817265\"\n").expect("script");
    let mut perms = std::fs::metadata(&script).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).expect("chmod");
    let yaml = format!(
        "secrets:\n  command: [{script}, \"{{path}}\"]\nslots:\n  - id: sh\n    cwd: {cwd}\n    \
         command: bash\n    args: [\"--norc\", \"--noprofile\"]\n    \
         env: {{PS1: \"sh$ \", TOKEN: \"${{secret:demo}}\"}}\n    cols: 80\n    rows: 24\n",
        script = json!(script.display().to_string()),
        cwd = json!(tmp.display().to_string()),
    );
    Daemon::start(&tmp.join("home"), Some(&yaml))
}

/// `bytes` without escape sequences: what a terminal shows of them.
fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for c in chars.by_ref() {
                    if ('\x40'..='\x7e').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                for c in chars.by_ref() {
                    if c == '\x07' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(SECRET), "{what} shows the secret:\n{text}");
    assert!(!text.contains(KEY), "{what} shows the key:\n{text}");
    // Not even a long piece of the secret (the key's tail is in the typed command).
    assert!(!text.contains(&SECRET[4..20]), "{what}:\n{text}");
}

/// Every file under `dir`, as bytes.
fn files(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_and_a_key_shape_reach_no_sink_in_clear() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let daemon = world(tmp.path());
    let client = daemon.client().await;
    ok(&client, "mission_pty_spawn", json!({"slotId": "sh"})).await;
    wait_screen(&client, "sh", "sh$", LIMIT).await;

    // Plainly, split by an SGR reset after every character, and a key shape.
    type_line(&client, "sh", "printf '%s\\n' \"$TOKEN\"; echo P1-DONE").await;
    wait_screen(&client, "sh", "P1-DONE", LIMIT).await;
    type_line(
        &client,
        "sh",
        "printf '%s' \"$TOKEN\" | sed 's/./&\\x1b[0m/g'; echo; echo P2-DONE",
    )
    .await;
    wait_screen(&client, "sh", "P2-DONE", LIMIT).await;
    type_line(
        &client,
        "sh",
        &format!("K=ghp_; echo \"${{K}}{}\"; echo P3-DONE", &KEY[4..]),
    )
    .await;
    let screen = wait_screen(&client, "sh", "P3-DONE", LIMIT).await;

    // The screen tool: the redaction marker where each was printed.
    let screen_result = ok(&client, "mission_pty_screen", json!({"slotId": "sh"})).await;
    let text = screen_result["screen"]
        .as_str()
        .expect("screen")
        .to_string();
    assert_clean("mission_pty_screen", &text);
    assert_clean("the screen waited on", &screen);
    let lines: Vec<&str> = text.lines().collect();
    let after = |marker: &str| {
        let at = lines
            .iter()
            .position(|l| l.contains(marker) && l.starts_with("sh$"))
            .unwrap_or_else(|| panic!("no {marker:?} line in\n{text}"));
        lines[at + 1]
    };
    assert_eq!(after("printf '%s\\n'"), REDACTED, "{text}");
    assert_eq!(after("sed "), REDACTED, "{text}");
    assert_eq!(after("K=ghp_"), REDACTED, "{text}");
    let status = ok(&client, "mission_pty_status", json!({"slotId": "sh"})).await;
    assert_clean("mission_pty_status", &status.to_string());

    // The screenshot renders (its cells are masked: see the daemon's unit tests).
    let shot = ok(&client, "mission_pty_screenshot", json!({"slotId": "sh"})).await;
    assert_eq!(shot["mimeType"], "image/png");

    // The logs tool.
    let logs = ok(
        &client,
        "mission_pty_logs",
        json!({"slotId": "sh", "tailBytes": 100000}),
    )
    .await;
    let log_text = logs["text"].as_str().expect("text");
    assert_clean("mission_pty_logs", log_text);
    assert!(log_text.contains(REDACTED), "{log_text}");

    // The attach repaint and the live stream, over the real WebSocket.
    let access = missiond_core::ipc::web_access(&client)
        .await
        .expect("daemon.web_access");
    let (base, token) = (access.ws_url, access.token);
    let (mut ws, _) = connect_async(format!("{base}/pty/sh?mode=view&token={token}"))
        .await
        .expect("connect");
    let mut next = async || {
        tokio::time::timeout(LIMIT, ws.next())
            .await
            .expect("a frame in time")
            .expect("open")
            .expect("a good frame")
    };
    let hello = next().await;
    assert!(matches!(hello, Message::Text(_)), "{hello:?}");
    let Message::Binary(paint) = next().await else {
        panic!("no repaint")
    };
    let painted = shown(&paint);
    assert_clean("the attach repaint", &painted);
    assert!(painted.contains(REDACTED), "{painted:?}");
    type_line(
        &client,
        "sh",
        "printf '%s' \"$TOKEN\" | sed 's/./&\\x1b[1;31m/g'; printf '\\e[0m\\n'; echo \"${K}0123456789abcdefghijABCDEFGHIJklmnop\"; echo LIVE-$((40+2))",
    )
    .await;
    let mut live = Vec::new();
    while !shown(&live).contains("LIVE-42") {
        if let Message::Binary(b) = next().await {
            live.extend_from_slice(&b);
        }
    }
    drop(ws);
    let live = shown(&live);
    assert_clean("the live stream", &live);
    assert!(live.contains(REDACTED), "{live:?}");

    // The stores, written through IPC.
    let with = format!("token {SECRET} and key {KEY}");
    ok(
        &client,
        "mission_kb_remember",
        json!({"key": "leak", "content": with, "category": "fact", "title": with}),
    )
    .await;
    let board = ok(
        &client,
        "mission_board_create",
        json!({"title": with, "description": with}),
    )
    .await;
    let board_id = board["boardTaskId"].clone();
    ok(
        &client,
        "mission_board_note_add",
        json!({"boardTaskId": board_id, "text": with}),
    )
    .await;
    let question = ok(
        &client,
        "mission_question_create",
        json!({"question": with, "context": with, "slotId": "sh"}),
    )
    .await;
    let question_id = question["questionId"].clone();
    if !question_id.is_null() {
        ok(
            &client,
            "mission_question_answer",
            json!({"questionId": question_id, "answer": with}),
        )
        .await;
    }
    ok(
        &client,
        "mission_report",
        json!({"kind": "progress", "text": with, "slotId": "sh"}),
    )
    .await;
    let kb = ok(&client, "mission_kb_get", json!({"key": "leak"})).await;
    assert_clean("mission_kb_get", &kb.to_string());
    assert!(kb.to_string().contains(REDACTED), "{kb}");
    let inbox = ok(&client, "mission_inbox", json!({})).await;
    assert_clean("mission_inbox", &inbox.to_string());
    assert!(inbox.to_string().contains(REDACTED), "{inbox}");
    let got = ok(
        &client,
        "mission_board_get",
        json!({"boardTaskId": board_id}),
    )
    .await;
    assert_clean("mission_board_get", &got.to_string());

    // Nothing in the daemon's files: the database (and its journal), the PTY logs.
    ok(&client, "mission_pty_kill", json!({"slotId": "sh"})).await;
    let mut all = Vec::new();
    files(&daemon.home, &mut all);
    assert!(
        all.iter()
            .any(|(p, _)| p.to_string_lossy().contains("mission.db"))
    );
    for (path, bytes) in &all {
        let text = String::from_utf8_lossy(bytes);
        assert_clean(&path.display().to_string(), &shown(text.as_bytes()));
    }
    assert_clean("the daemon's log", &daemon.stderr_text());
}

/// Results of every tool are scrubbed, including text stored before the slot that
/// resolved the secret ever started.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_shape_is_redacted_in_results_without_any_slot() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let daemon = world(tmp.path());
    let client = daemon.client().await;
    let aws = "AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    ok(
        &client,
        "mission_kb_remember",
        json!({"key": "aws", "content": format!("creds: {aws} ok"), "category": "fact"}),
    )
    .await;
    let got: Value = ok(&client, "mission_kb_get", json!({"key": "aws"})).await;
    let text = got.to_string();
    assert!(!text.contains("AKIAIOSFODNN7EXAMPLE"), "{text}");
    assert!(!text.contains("wJalrXUtnFEMI"), "{text}");
    assert!(text.contains("creds: [REDACTED] [REDACTED] ok"), "{text}");
}
