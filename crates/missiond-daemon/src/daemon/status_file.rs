//! Claude Code's own status file, `<config dir>/sessions/<pid>.json`: one signal of a
//! slot's state beside its screen and its hooks (`state_merge` decides). Claude Code
//! 2.1.331 rewrites it 30–90 ms after each change: `status` (`idle`, `busy`, `waiting`,
//! `shell`), `waitingFor` (`permission prompt`, `dialog open`, ...). Undocumented: a file
//! that does not parse, or lacks these fields, is ignored.
//!
//! Watched with inotify (the `notify` crate), never polled, for as long as the slot's run
//! lives. The file is found by its `sessionId` (the daemon chooses it with
//! `--session-id`), not by the pid in its name or body: inside a sandbox with its own PID
//! namespace that pid is not the one the daemon knows. A stale file (a killed session's)
//! cannot match a live run's session id; liveness is the run's own.

use std::path::{Path, PathBuf};

use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecursiveMode, Watcher};
use serde_json::Value;
use tokio::sync::mpsc;

/// What one write of the status file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRecord {
    /// `idle`, `busy`, `waiting`, `shell`, or another word a later version may use.
    pub status: String,
    /// What a `waiting` session waits for (`permission prompt`, `dialog open`, ...).
    pub waiting_for: Option<String>,
    /// `statusUpdatedAt` (ms since the epoch), to skip rewrites that change nothing.
    pub updated_at: Option<u64>,
}

/// The record in `text` when it belongs to `session_id`.
pub fn parse(text: &str, session_id: &str) -> Option<StatusRecord> {
    let v: Value = serde_json::from_str(text).ok()?;
    if v.get("sessionId").and_then(Value::as_str) != Some(session_id) {
        return None;
    }
    Some(StatusRecord {
        status: v.get("status")?.as_str()?.to_string(),
        waiting_for: v
            .get("waitingFor")
            .and_then(Value::as_str)
            .map(str::to_string),
        updated_at: v.get("statusUpdatedAt").and_then(Value::as_u64),
    })
}

/// Whether an event can mean new contents. Opening and reading a file are events too
/// (inotify reports them): reacting to those would answer each read of ours with another
/// read, for ever.
fn is_write(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    }
}

/// A running watch; dropping it stops the watching.
pub struct StatusWatch {
    _watcher: notify::RecommendedWatcher,
    /// Records of the slot's session, in the order they were read.
    pub records: mpsc::UnboundedReceiver<StatusRecord>,
}

/// Watch `<config dir>/sessions/` for the session `session_id`. The folder is created
/// when missing (Claude Code creates it too; watching needs it to exist). Files already
/// there are read once at the start.
pub fn watch(config_dir: &Path, session_id: &str) -> notify::Result<StatusWatch> {
    let dir = config_dir.join("sessions");
    std::fs::create_dir_all(&dir).map_err(notify::Error::io)?;
    let (tx, records) = mpsc::unbounded_channel();
    let id = session_id.to_string();
    let send = {
        let tx = tx.clone();
        let id = id.clone();
        move |path: &Path| {
            if path.extension().is_some_and(|e| e == "json")
                && let Ok(text) = std::fs::read_to_string(path)
                && let Some(record) = parse(&text, &id)
            {
                let _ = tx.send(record);
            }
        }
    };
    let on_event = send.clone();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && is_write(&event.kind)
        {
            let paths: Vec<PathBuf> = event.paths;
            for path in &paths {
                on_event(path);
            }
        }
    })?;
    watcher.watch(&dir, RecursiveMode::NonRecursive)?;
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            send(&entry.path());
        }
    }
    Ok(StatusWatch {
        _watcher: watcher,
        records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const ID: &str = "5e55a001-0000-4000-8000-00000000000a";

    fn record(status: &str, waiting: Option<&str>, at: u64) -> String {
        let mut v = serde_json::json!({
            "pid": 4242, "sessionId": ID, "cwd": "/w", "kind": "interactive",
            "status": status, "updatedAt": at, "statusUpdatedAt": at,
        });
        if let Some(w) = waiting {
            v["waitingFor"] = w.into();
        }
        v.to_string()
    }

    #[test]
    fn parses_the_fields_that_change_and_only_for_its_session() {
        let r = parse(&record("waiting", Some("permission prompt"), 7), ID).unwrap();
        assert_eq!(r.status, "waiting");
        assert_eq!(r.waiting_for.as_deref(), Some("permission prompt"));
        assert_eq!(r.updated_at, Some(7));
        assert_eq!(parse(&record("busy", None, 1), "another-session"), None);
        // A file Claude Code has just created, before any status: nothing to say.
        assert_eq!(parse(r#"{"pid":1,"sessionId":"x"}"#, "x"), None);
        assert_eq!(parse("{not json", ID), None);
    }

    async fn next(w: &mut StatusWatch) -> StatusRecord {
        tokio::time::timeout(Duration::from_secs(10), w.records.recv())
            .await
            .expect("a record in time")
            .expect("the watch is alive")
    }

    #[tokio::test]
    async fn each_write_of_the_sessions_file_is_seen() {
        let tmp = tempfile::tempdir().unwrap();
        let sessions = tmp.path().join("sessions");
        std::fs::create_dir_all(&sessions).unwrap();
        // Another session's file, and ours written before the watch starts.
        std::fs::write(
            sessions.join("1.json"),
            record("busy", None, 1).replace(ID, "x"),
        )
        .unwrap();
        let ours = sessions.join("4242.json");
        std::fs::write(&ours, record("idle", None, 2)).unwrap();
        let mut w = watch(tmp.path(), ID).unwrap();
        assert_eq!(next(&mut w).await.status, "idle");
        std::fs::write(&ours, record("busy", None, 3)).unwrap();
        let mut seen = next(&mut w).await;
        while seen.updated_at != Some(3) {
            seen = next(&mut w).await;
        }
        assert_eq!(seen.status, "busy");
        // Written the way an editor or an atomic writer does: a new file renamed over.
        let tmp_file = sessions.join("4242.json.tmp");
        std::fs::write(&tmp_file, record("waiting", Some("dialog open"), 4)).unwrap();
        std::fs::rename(&tmp_file, &ours).unwrap();
        let mut seen = next(&mut w).await;
        while seen.updated_at != Some(4) {
            seen = next(&mut w).await;
        }
        assert_eq!(seen.waiting_for.as_deref(), Some("dialog open"));
    }

    /// Reading the file is not writing it: the watch's own reads (and anyone else's)
    /// must not come back as records, or each read would set off the next.
    #[tokio::test]
    async fn reads_of_the_file_are_not_news() {
        let tmp = tempfile::tempdir().unwrap();
        let sessions = tmp.path().join("sessions");
        std::fs::create_dir_all(&sessions).unwrap();
        let ours = sessions.join("4242.json");
        let mut w = watch(tmp.path(), ID).unwrap();
        std::fs::write(&ours, record("idle", None, 1)).unwrap();
        // Drain what the write itself reported (a write may show as several events).
        assert_eq!(next(&mut w).await.status, "idle");
        tokio::time::sleep(Duration::from_millis(300)).await;
        while w.records.try_recv().is_ok() {}
        for _ in 0..5 {
            std::fs::read_to_string(&ours).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut extra = 0;
        while w.records.try_recv().is_ok() {
            extra += 1;
        }
        assert_eq!(extra, 0, "reads of the file came back as records");
    }
}
