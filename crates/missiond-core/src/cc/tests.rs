//! The parsers on hand-written files of every shape seen (2.1.331's status files, the
//! task file schema in its binary) and on broken ones.

use super::session_file::{self, proc_start_of};
use super::tasks::{self, CcTask};

/// A status file exactly as 2.1.331 wrote it (busy, then idle).
const SEEN: &str = r#"{"pid":23600,"sessionId":"248d304a-21cb-4be7-8c49-5d0a0b2c6e3c","cwd":"/tmp/wj/work","startedAt":1796532691376,"procStart":"2270510","version":"2.1.331","peerProtocol":1,"peerFeatures":["notify_idle","reply_across_default_dirs","artifact_yield"],"kind":"interactive","entrypoint":"cli","pidDomain":"linux:3d1219c7c4c5404aaa1f6d2a48adfda4:pid:[4026531836]","asksForConvertedSkills":null,"messagingSocketPath":"/tmp/cc-socks/23600.sock","name":"work-91","nameSource":"derived","nameSince":1796532691376,"status":"idle","updatedAt":1796532696373,"statusUpdatedAt":1796532696373}"#;

#[test]
fn a_status_file_as_written_by_2_1_331_parses_with_every_field_used() {
    let r = session_file::parse(SEEN).unwrap();
    assert_eq!(r.pid, 23600);
    assert_eq!(r.session_id, "248d304a-21cb-4be7-8c49-5d0a0b2c6e3c");
    assert_eq!(r.cwd.as_deref(), Some("/tmp/wj/work"));
    assert_eq!(r.proc_start.as_deref(), Some("2270510"));
    assert_eq!(r.kind.as_deref(), Some("interactive"));
    assert_eq!(r.name.as_deref(), Some("work-91"));
    assert_eq!(r.status.as_deref(), Some("idle"));
    assert_eq!(r.waiting_for, None);
    assert_eq!(r.status_updated_at, Some(1796532696373));
}

#[test]
fn status_file_variants_and_garbage() {
    // Waiting, with a numeric procStart, no cwd, a status a later version may use.
    let waiting = r#"{"pid":7,"sessionId":"s","status":"waiting","waitingFor":"permission prompt","procStart":12345}"#;
    let r = session_file::parse(waiting).unwrap();
    assert_eq!(r.waiting_for.as_deref(), Some("permission prompt"));
    assert_eq!(r.proc_start.as_deref(), Some("12345"));
    assert_eq!(r.cwd, None);
    // The first write of a starting session has no status yet.
    let starting = r#"{"pid":9,"sessionId":"st","cwd":"/w","startedAt":1,"procStart":"5","version":"2.1.331","kind":"interactive","entrypoint":"cli"}"#;
    let r = session_file::parse(starting).unwrap();
    assert_eq!((r.status, r.updated_at), (None, None));
    let bg = r#"{"pid":8,"sessionId":"b","kind":"bg","status":"shell","unknownField":{"x":1}}"#;
    assert_eq!(
        session_file::parse(bg).unwrap().status.as_deref(),
        Some("shell")
    );
    // Not a status file: no session id, empty session id, no pid, half-written, not JSON.
    for bad in [
        r#"{"pid":1}"#,
        r#"{"pid":1,"sessionId":""}"#,
        r#"{"sessionId":"s"}"#,
        r#"{"pid":1,"sessionId":"s","sta"#,
        "",
        "[1,2]",
    ] {
        assert!(session_file::parse(bad).is_none(), "{bad}");
    }
}

#[test]
fn liveness_checks_the_pid_and_its_start_time() {
    let me = std::process::id();
    let stat = std::fs::read_to_string(format!("/proc/{me}/stat")).unwrap();
    let start = proc_start_of(&stat).unwrap().to_string();
    let record = |proc_start: &str| {
        session_file::parse(&format!(
            r#"{{"pid":{me},"sessionId":"s","procStart":"{proc_start}"}}"#
        ))
        .unwrap()
    };
    assert!(record(&start).alive());
    // The same pid with another start time is another process (the session is gone).
    assert!(!record("1").alive());
    // A pid that does not exist.
    let gone = session_file::parse(r#"{"pid":999999999,"sessionId":"s"}"#).unwrap();
    assert!(!gone.alive());
    // A command name with spaces and parentheses does not shift the fields.
    let line = "42 (a (weird) name) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 777 19";
    assert_eq!(proc_start_of(line), Some("777"));
}

#[test]
fn task_files_of_every_shape() {
    // The full shape (2.1.331's schema: id, subject, description, activeForm?, owner?,
    // status, blocks, blockedBy, metadata?).
    let full = r#"{"id":"3","subject":"Write the parser","description":"Parse the files","activeForm":"Writing the parser","owner":"agent-a","status":"in_progress","blocks":["4"],"blockedBy":["1","2"],"metadata":{"k":1}}"#;
    let t = tasks::parse(full).unwrap();
    assert_eq!(t.id, "3");
    assert_eq!(t.active_form.as_deref(), Some("Writing the parser"));
    assert_eq!(t.owner.as_deref(), Some("agent-a"));
    assert_eq!(t.blocks, ["4"]);
    assert_eq!(t.blocked_by, ["1", "2"]);
    // The least: an id and a subject; numbers as ids.
    let least = tasks::parse(r#"{"id":7,"subject":"x","blockedBy":[1]}"#).unwrap();
    assert_eq!(least.id, "7");
    assert_eq!(least.status, "pending");
    assert_eq!(least.blocked_by, ["1"]);
    assert!(least.blocks.is_empty());
    for bad in [r#"{"subject":"no id"}"#, r#"{"id":""}"#, "{", "", "null"] {
        assert!(tasks::parse(bad).is_none(), "{bad}");
    }
}

#[test]
fn a_task_list_folder_is_read_in_id_order_skipping_locks_and_broken_files() {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    w("10.json", r#"{"id":"10","subject":"ten"}"#);
    w(
        "2.json",
        r#"{"id":"2","subject":"two","status":"completed"}"#,
    );
    w(
        "1.json",
        r#"{"id":"1","subject":"one","status":"completed"}"#,
    );
    w(".highwatermark", "10");
    w(".lock", "");
    w("5.json", r#"{"id":"5","subj"#);
    w("notes.txt", "not a task");
    let list = tasks::read_list(dir.path());
    let ids: Vec<&str> = list.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "10"]);
    assert!(tasks::read_list(&dir.path().join("missing")).is_empty());
}

#[test]
fn a_task_is_ready_when_pending_unowned_and_its_blockers_are_done() {
    let t = |id: &str, status: &str, owner: Option<&str>, blocked_by: &[&str]| CcTask {
        id: id.into(),
        subject: id.into(),
        description: String::new(),
        active_form: None,
        status: status.into(),
        owner: owner.map(str::to_string),
        blocks: Vec::new(),
        blocked_by: blocked_by.iter().map(|s| s.to_string()).collect(),
    };
    let all = vec![
        t("1", "completed", None, &[]),
        t("2", "in_progress", None, &[]),
        t("3", "pending", None, &["1"]),
        t("4", "pending", None, &["2"]),
        t("5", "pending", Some("bob"), &[]),
        t("6", "pending", None, &["99"]),
    ];
    let ready: Vec<&str> = all
        .iter()
        .filter(|x| x.ready(&all))
        .map(|x| x.id.as_str())
        .collect();
    // A blocker that does not exist (deleted) does not block.
    assert_eq!(ready, ["3", "6"]);
}
