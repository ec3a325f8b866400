use super::*;
use crate::catalogue::{SlotState, ToolUse};

fn session<'a>(slot: &'a str, started_at: i64) -> NewSession<'a> {
    NewSession {
        slot_id: slot,
        session_id: None,
        pid: Some(4242),
        cwd: "/src/app",
        role: "coder",
        started_at,
    }
}

#[test]
fn sessions_and_turns_survive_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nested").join("mission.db");
    let (sid, tid) = {
        let store = Store::open(&path).expect("open");
        let sid = store
            .insert_session(&session("coder-1", 1_000))
            .expect("session");
        store.set_session_id(sid, "5b0c-uuid").expect("session id");
        let tid = store
            .insert_turn(&NewTurn {
                slot_id: "coder-1",
                session_ref: Some(sid),
                prompt: "list files",
                started_at: 2_000,
            })
            .expect("turn");
        let tools = [ToolUse {
            tool: "Bash".into(),
            summary: Some("ls".into()),
        }];
        store
            .finish_turn(
                tid,
                &TurnEnd {
                    answer: Some("a b c"),
                    end_state: SlotState::Idle,
                    tools_used: &tools,
                    ended_at: 3_000,
                },
            )
            .expect("finish");
        store
            .end_session(
                sid,
                &SessionEnd {
                    ended_at: 4_000,
                    exit_code: Some(0),
                    reason: "killed",
                },
            )
            .expect("end");
        (sid, tid)
    };
    let store = Store::open(&path).expect("reopen");
    assert_eq!(
        store.schema_version().expect("version"),
        SCHEMA_VERSION as i64
    );
    let s = store.session(sid).expect("query").expect("row");
    assert_eq!(s.session_id.as_deref(), Some("5b0c-uuid"));
    assert_eq!(
        (s.pid, s.started_at, s.ended_at),
        (Some(4242), 1_000, Some(4_000))
    );
    assert_eq!(
        (s.exit_code, s.end_reason.as_deref()),
        (Some(0), Some("killed"))
    );

    let turns = store.recent_turns("coder-1", 10).expect("turns");
    assert_eq!(turns.len(), 1);
    let t = &turns[0];
    assert_eq!(t.id, tid);
    assert_eq!(t.session_id.as_deref(), Some("5b0c-uuid"));
    assert_eq!(t.answer.as_deref(), Some("a b c"));
    assert_eq!(t.end_state, Some(SlotState::Idle));
    assert_eq!(t.tools_used[0].tool, "Bash");
    let summary = t.summary();
    assert_eq!(summary.started_at, "1970-01-01T00:00:02.000Z");
    assert_eq!(
        summary.ended_at.as_deref(),
        Some("1970-01-01T00:00:03.000Z")
    );
}

#[test]
fn recent_turns_are_the_latest_oldest_first_per_slot() {
    let store = Store::open_in_memory().expect("open");
    for (i, slot) in ["a", "b", "a", "a"].iter().enumerate() {
        store
            .insert_turn(&NewTurn {
                slot_id: slot,
                session_ref: None,
                prompt: &format!("p{i}"),
                started_at: i as i64,
            })
            .expect("turn");
    }
    let prompts: Vec<String> = store
        .recent_turns("a", 2)
        .expect("turns")
        .into_iter()
        .map(|t| t.prompt)
        .collect();
    assert_eq!(prompts, ["p2", "p3"]);
    let open = &store.recent_turns("b", 5).expect("turns")[0];
    assert_eq!(
        (open.answer.as_ref(), open.end_state, open.ended_at),
        (None, None, None)
    );
}

#[test]
fn sessions_list_newest_first_and_open_ones_can_be_closed() {
    let store = Store::open_in_memory().expect("open");
    let first = store.insert_session(&session("a", 10)).expect("s1");
    let second = store.insert_session(&session("a", 20)).expect("s2");
    store.insert_session(&session("b", 30)).expect("s3");
    let ids: Vec<i64> = store
        .sessions_for_slot("a", 10)
        .expect("list")
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids, [second, first]);
    assert_eq!(
        store
            .close_open_sessions(99, "daemon_stopped")
            .expect("close"),
        3
    );
    let s = store.session(first).expect("query").expect("row");
    assert_eq!(
        (s.ended_at, s.end_reason.as_deref()),
        (Some(99), Some("daemon_stopped"))
    );
    assert_eq!(store.close_open_sessions(100, "x").expect("close again"), 0);
}

#[test]
fn foreign_keys_are_enforced_and_missing_rows_reported() {
    let store = Store::open_in_memory().expect("open");
    let err = store
        .insert_turn(&NewTurn {
            slot_id: "a",
            session_ref: Some(777),
            prompt: "p",
            started_at: 0,
        })
        .expect_err("dangling session_ref");
    assert!(err.to_string().contains("recording a turn"), "{err}");
    assert!(matches!(
        store.set_session_id(555, "x"),
        Err(StoreError::NotFound { id: 555, .. })
    ));
}

#[test]
fn the_file_database_uses_wal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("m.db")).expect("open");
    let mode: String = store
        .conn()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(mode.to_lowercase(), "wal");
    let fk: i64 = store
        .conn()
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(fk, 1);
}

#[test]
fn a_version_1_database_is_upgraded_with_its_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("old.db");
    {
        let mut conn = rusqlite::Connection::open(&path).expect("open");
        rusqlite_migration::Migrations::from_slice(MIGRATIONS)
            .to_version(&mut conn, 1)
            .expect("v1");
        conn.execute(
            "INSERT INTO turns (slot_id, prompt, started_at) VALUES ('a', 'old prompt', 5)",
            [],
        )
        .expect("insert");
    }
    let store = Store::open(&path).expect("upgrade");
    assert_eq!(
        store.schema_version().expect("version"),
        SCHEMA_VERSION as i64
    );
    const { assert!(SCHEMA_VERSION > 1, "this test needs a migration after v1") };
    let turns = store.recent_turns("a", 5).expect("turns");
    assert_eq!(turns[0].prompt, "old prompt");
    let indexes: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'turns_by_slot'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(indexes, 1);
}

#[test]
fn a_corrupt_file_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mission.db");
    std::fs::write(&path, vec![0x5a_u8; 8192]).expect("write garbage");
    let err = Store::open(&path).expect_err("garbage is not a database");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("not a database"), "{msg}");
}

#[test]
fn an_unwritable_location_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A file where a folder should be: fails even for root.
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "x").expect("write");
    let path = blocker.join("mission.db");
    let err = Store::open(&path).expect_err("cannot create");
    assert!(matches!(err, StoreError::Folder { .. }), "{err}");
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn a_database_from_a_newer_missiond_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("new.db");
    drop(Store::open(&path).expect("create"));
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.pragma_update(None, "user_version", 999).expect("bump");
    }
    let err = Store::open(&path).expect_err("too new");
    assert!(matches!(err, StoreError::Migrate { .. }), "{err}");
    assert!(err.to_string().contains("schema"), "{err}");
}

#[cfg(unix)]
#[test]
fn a_database_outside_the_home_is_created_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.path().join("somewhere/new/dir/x.db");
    let store = Store::open(&path).expect("open");
    store
        .insert_session(&session("coder-1", 1_000))
        .expect("a write, so the WAL exists");
    for folder in ["somewhere", "somewhere/new", "somewhere/new/dir"] {
        assert_eq!(mode(&dir.path().join(folder)), 0o700, "{folder}");
    }
    // The existing folder above is left alone.
    assert_eq!(mode(dir.path()), 0o755);
    for file in ["x.db", "x.db-wal", "x.db-shm"] {
        assert_eq!(mode(&path.with_file_name(file)), 0o600, "{file}");
    }
    drop(store);
    // Reopening keeps the data and the modes.
    let store = Store::open(&path).expect("reopen");
    assert_eq!(
        store
            .sessions_for_slot("coder-1", 10)
            .expect("sessions")
            .len(),
        1
    );
    assert_eq!(mode(&path), 0o600);
}
