//! Mission board tests, on real SQLite files.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::*;
use crate::catalogue::{
    BoardCreateParams, BoardListParams, BoardNoteAddParams, BoardTaskInfo, BoardTaskParams,
    BoardUpdateParams,
};
use crate::ipc::ErrorCode;
use crate::questions::validate::{TEXT_MAX_BYTES, TITLE_MAX_CHARS};
use crate::store::Store;

fn temp_store() -> (tempfile::TempDir, PathBuf, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mission.db");
    let store = Store::open(&path).expect("open store");
    (dir, path, store)
}

fn reopen(path: &Path) -> Store {
    Store::open(path).expect("reopen store")
}

fn titled(title: &str) -> BoardCreateParams {
    BoardCreateParams {
        title: title.to_string(),
        description: None,
        priority: None,
        tags: None,
        assignee: None,
        hidden: None,
    }
}

fn create(store: &Store, p: BoardCreateParams, now: i64) -> BoardTaskInfo {
    ops::create(store, p, now).expect("create")
}

fn change(id: BoardTaskId) -> BoardUpdateParams {
    BoardUpdateParams {
        board_task_id: id,
        title: None,
        description: None,
        status: None,
        priority: None,
        tags: None,
        assignee: None,
        hidden: None,
    }
}

fn with_status(id: BoardTaskId, status: BoardStatus) -> BoardUpdateParams {
    BoardUpdateParams {
        status: Some(status),
        ..change(id)
    }
}

fn update(store: &Store, p: BoardUpdateParams, now: i64) -> BoardTaskInfo {
    ops::update(store, p, now).expect("update")
}

fn task(id: BoardTaskId) -> BoardTaskParams {
    BoardTaskParams { board_task_id: id }
}

fn titles(store: &Store, p: &BoardListParams) -> Vec<String> {
    ops::list(store, p)
        .expect("list")
        .tasks
        .into_iter()
        .map(|t| t.title)
        .collect()
}

#[test]
fn ids_parse_strictly() {
    assert_eq!("b-000012".parse::<BoardTaskId>(), Ok(BoardTaskId(12)));
    assert_eq!(BoardTaskId(3).to_string(), "b-000003");
    for bad in [
        "", "12", "b-", "b-0", "B-1", "q-000001", "t-1", "b-1.5", "b- 1",
    ] {
        let err = bad.parse::<BoardTaskId>().expect_err(bad);
        assert!(
            err.to_string().contains("not a board task id"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn tasks_and_notes_survive_a_reopen() {
    let (_dir, path, store) = temp_store();
    let p = BoardCreateParams {
        title: "  Write the release notes ".into(),
        description: Some("Cover the board and the questions.\nTwo lines.".into()),
        priority: Some(Priority::High),
        tags: Some(vec!["docs".into(), "release".into(), "docs".into()]),
        assignee: Some("coder-1".into()),
        hidden: Some(true),
    };
    let created = create(&store, p, 1_000);
    assert_eq!(created.board_task_id, BoardTaskId(1));
    assert_eq!(created.title, "Write the release notes");
    assert_eq!(created.status, BoardStatus::Todo);
    assert_eq!(created.tags, ["docs", "release"]);
    assert_eq!(created.completed_at, None);
    let note = BoardNoteAddParams {
        board_task_id: BoardTaskId(1),
        text: "Started on the outline.".into(),
        author: Some("alice".into()),
    };
    let with_note = ops::note_add(&store, note, 2_000).expect("note");
    assert_eq!(with_note.task.note_count, 1);
    assert_eq!(with_note.task.updated_at, "1970-01-01T00:00:02.000Z");
    let note = BoardNoteAddParams {
        board_task_id: BoardTaskId(1),
        text: "Outline done.".into(),
        author: None,
    };
    let detail = ops::note_add(&store, note, 3_000).expect("note");
    drop(store);

    let store = reopen(&path);
    let again = ops::get(&store, &task(BoardTaskId(1))).expect("get");
    assert_eq!(again, detail);
    let notes: Vec<(&str, &str)> = again
        .notes
        .iter()
        .map(|n| (n.author.as_str(), n.text.as_str()))
        .collect();
    assert_eq!(
        notes,
        [
            ("alice", "Started on the outline."),
            ("orchestrator", "Outline done.")
        ]
    );
    assert!(again.task.hidden);
    assert_eq!(
        again.task.description.as_deref(),
        Some("Cover the board and the questions.\nTwo lines.")
    );
}

#[test]
fn update_changes_only_given_fields_and_keeps_completed_at_in_step() {
    let (_dir, path, store) = temp_store();
    let p = BoardCreateParams {
        description: Some("old".into()),
        tags: Some(vec!["a".into()]),
        assignee: Some("bob".into()),
        ..titled("Fix the flaky test")
    };
    let id = create(&store, p, 1_000).board_task_id;

    let renamed = update(
        &store,
        BoardUpdateParams {
            title: Some("Fix the flaky socket test".into()),
            ..change(id)
        },
        2_000,
    );
    assert_eq!(renamed.title, "Fix the flaky socket test");
    assert_eq!(renamed.description.as_deref(), Some("old"), "untouched");
    assert_eq!(renamed.tags, ["a"], "untouched");
    assert_eq!(renamed.assignee.as_deref(), Some("bob"), "untouched");
    assert_eq!(renamed.created_at, "1970-01-01T00:00:01.000Z");
    assert_eq!(renamed.updated_at, "1970-01-01T00:00:02.000Z");

    let done = update(&store, with_status(id, BoardStatus::Done), 3_000);
    assert_eq!(
        done.completed_at.as_deref(),
        Some("1970-01-01T00:00:03.000Z")
    );
    let still = update(&store, with_status(id, BoardStatus::Done), 4_000);
    assert_eq!(
        still.completed_at, done.completed_at,
        "staying done keeps the first stamp"
    );
    let doing = update(&store, with_status(id, BoardStatus::Doing), 5_000);
    assert_eq!(doing.completed_at, None, "leaving done clears it");

    let cleared = update(
        &store,
        BoardUpdateParams {
            description: Some(String::new()),
            assignee: Some(" ".into()),
            tags: Some(Vec::new()),
            priority: Some(Priority::Urgent),
            ..change(id)
        },
        6_000,
    );
    assert_eq!(cleared.description, None);
    assert_eq!(cleared.assignee, None);
    assert!(cleared.tags.is_empty());
    assert_eq!(cleared.priority, Priority::Urgent);
    assert_eq!(cleared.status, BoardStatus::Doing);
    drop(store);

    let store = reopen(&path);
    assert_eq!(ops::get(&store, &task(id)).expect("get").task, cleared);
}

#[test]
fn toggle_flips_between_done_and_todo() {
    let (_dir, _path, store) = temp_store();
    let id = create(&store, titled("Tick me"), 1_000).board_task_id;
    let toggle = |now| ops::toggle(&store, &task(id), now).expect("toggle");

    let done = toggle(2_000);
    assert_eq!(done.status, BoardStatus::Done);
    assert_eq!(
        done.completed_at.as_deref(),
        Some("1970-01-01T00:00:02.000Z")
    );
    let todo = toggle(3_000);
    assert_eq!(todo.status, BoardStatus::Todo);
    assert_eq!(todo.completed_at, None);

    update(&store, with_status(id, BoardStatus::Doing), 4_000);
    assert_eq!(toggle(5_000).status, BoardStatus::Done, "doing -> done");
    update(&store, with_status(id, BoardStatus::Skipped), 6_000);
    let from_skipped = toggle(7_000);
    assert_eq!(from_skipped.status, BoardStatus::Done, "skipped -> done");
    assert_eq!(
        from_skipped.completed_at.as_deref(),
        Some("1970-01-01T00:00:07.000Z")
    );
}

#[test]
fn hidden_tasks_stay_out_of_lists_and_the_summary_unless_asked() {
    let (_dir, _path, store) = temp_store();
    let mk = |title: &str, tags: &[&str], assignee: Option<&str>, hidden: bool, priority, now| {
        let p = BoardCreateParams {
            tags: Some(tags.iter().map(|t| t.to_string()).collect()),
            assignee: assignee.map(String::from),
            hidden: Some(hidden),
            priority: Some(priority),
            ..titled(title)
        };
        create(&store, p, now).board_task_id
    };
    let a = mk("a", &["ui"], Some("coder-1"), false, Priority::Normal, 1);
    let b = mk("b", &["ui", "bug"], None, false, Priority::Urgent, 2);
    let c = mk("c", &["bug"], Some("coder-1"), true, Priority::High, 3);
    let d = mk("d", &[], Some("alice"), false, Priority::Low, 4);
    update(&store, with_status(a, BoardStatus::Doing), 10);
    update(&store, with_status(d, BoardStatus::Skipped), 11);
    update(&store, with_status(c, BoardStatus::Done), 12);
    ops::toggle(&store, &task(b), 9).expect("toggle");

    let all = BoardListParams::default();
    assert_eq!(
        titles(&store, &all),
        ["b", "a", "d"],
        "urgent first, hidden c left out"
    );
    let hidden_too = BoardListParams {
        include_hidden: Some(true),
        ..Default::default()
    };
    assert_eq!(titles(&store, &hidden_too), ["b", "c", "a", "d"]);
    let bugs = BoardListParams {
        tag: Some("bug".into()),
        include_hidden: Some(true),
        ..Default::default()
    };
    assert_eq!(titles(&store, &bugs), ["b", "c"]);
    let coder = BoardListParams {
        assignee: Some("coder-1".into()),
        ..Default::default()
    };
    assert_eq!(titles(&store, &coder), ["a"]);
    let done = BoardListParams {
        status: Some(BoardStatus::Done),
        include_hidden: Some(true),
        ..Default::default()
    };
    assert_eq!(titles(&store, &done), ["b", "c"]);
    let one = ops::list(
        &store,
        &BoardListParams {
            limit: Some(1),
            ..Default::default()
        },
    )
    .expect("list");
    assert_eq!((one.tasks.len(), one.total), (1, 3));

    let s = ops::summary(&store).expect("summary");
    assert_eq!(
        (
            s.counts.todo,
            s.counts.doing,
            s.counts.done,
            s.counts.skipped
        ),
        (0, 1, 1, 1)
    );
    assert_eq!((s.total, s.hidden), (3, 1));
    let recent: Vec<&str> = s.recent.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(
        recent,
        ["d", "a", "b"],
        "latest change first, hidden c left out"
    );
}

#[test]
fn delete_removes_the_notes_and_never_reuses_the_id() {
    let (_dir, path, store) = temp_store();
    create(&store, titled("keep"), 1);
    let gone = create(&store, titled("drop"), 2).board_task_id;
    let note = BoardNoteAddParams {
        board_task_id: gone,
        text: "n".into(),
        author: None,
    };
    ops::note_add(&store, note, 3).expect("note");
    let deleted = ops::delete(&store, &task(gone)).expect("delete");
    assert_eq!(deleted.deleted.title, "drop");
    assert_eq!(deleted.deleted.note_count, 1);
    assert!(store.board_notes(gone).expect("notes").is_empty());
    let err = ops::delete(&store, &task(gone)).expect_err("deleted twice");
    assert!(matches!(err, BoardError::NotFound(id) if id == gone));
    drop(store);

    let store = reopen(&path);
    let next = create(&store, titled("new"), 4);
    assert_eq!(
        next.board_task_id,
        BoardTaskId(3),
        "b-000002 is not given again"
    );
    assert!(ops::get(&store, &task(gone)).is_err());
}

#[test]
fn notes_cannot_be_edited_in_the_database() {
    let (_dir, _path, store) = temp_store();
    let id = create(&store, titled("t"), 1).board_task_id;
    let note = BoardNoteAddParams {
        board_task_id: id,
        text: "first".into(),
        author: None,
    };
    ops::note_add(&store, note, 2).expect("note");
    let err = store
        .conn()
        .execute("UPDATE board_notes SET text = 'rewritten'", [])
        .expect_err("append-only");
    assert!(err.to_string().contains("append-only"), "{err}");
    assert_eq!(store.board_notes(id).expect("notes")[0].text, "first");
}

#[test]
fn bad_input_and_unknown_ids_name_what_is_wrong() {
    let (_dir, _path, store) = temp_store();
    let field_of = |e: BoardError| {
        let rpc = e.to_rpc();
        assert_eq!(rpc.code, ErrorCode::InvalidParams.code(), "{}", rpc.message);
        rpc.data
    };
    let creates: Vec<(BoardCreateParams, &str)> = vec![
        (titled(""), "title"),
        (titled("two\nlines"), "title"),
        (titled(&"t".repeat(TITLE_MAX_CHARS + 1)), "title"),
        (
            BoardCreateParams {
                description: Some("d".repeat(TEXT_MAX_BYTES + 1)),
                ..titled("t")
            },
            "description",
        ),
        (
            BoardCreateParams {
                tags: Some((0..21).map(|n| format!("tag{n}")).collect()),
                ..titled("t")
            },
            "tags",
        ),
        (
            BoardCreateParams {
                tags: Some(vec!["ok".into(), "".into()]),
                ..titled("t")
            },
            "tags[1]",
        ),
        (
            BoardCreateParams {
                assignee: Some("".into()),
                ..titled("t")
            },
            "assignee",
        ),
    ];
    for (p, field) in creates {
        let err = ops::create(&store, p, 1).expect_err(field);
        assert_eq!(field_of(err), Some(json!({ "field": field })));
    }
    // The limits themselves are allowed; multi-byte characters count as one.
    let longest = create(&store, titled(&"é".repeat(TITLE_MAX_CHARS)), 1);
    assert_eq!(longest.title.chars().count(), TITLE_MAX_CHARS);
    let id = longest.board_task_id;

    let nothing = ops::update(&store, change(id), 2).expect_err("no field");
    assert!(
        nothing.to_string().contains("nothing to change"),
        "{nothing}"
    );
    let blank_note = BoardNoteAddParams {
        board_task_id: id,
        text: " ".into(),
        author: None,
    };
    let err = ops::note_add(&store, blank_note, 2).expect_err("blank note");
    assert_eq!(field_of(err), Some(json!({"field": "text"})));

    let unknown = BoardTaskId(99);
    let errors = [
        ops::get(&store, &task(unknown)).map(|_| ()),
        ops::toggle(&store, &task(unknown), 2).map(|_| ()),
        ops::delete(&store, &task(unknown)).map(|_| ()),
        ops::update(&store, with_status(unknown, BoardStatus::Done), 2).map(|_| ()),
        ops::note_add(
            &store,
            BoardNoteAddParams {
                board_task_id: unknown,
                text: "x".into(),
                author: None,
            },
            2,
        )
        .map(|_| ()),
    ];
    for err in errors {
        let err = err.expect_err("unknown id");
        assert!(err.to_string().contains("b-000099"), "{err}");
        assert_eq!(
            field_of(err),
            Some(json!({"field": "boardTaskId", "boardTaskId": "b-000099"}))
        );
    }
    // Refused changes left the task as it was.
    let kept = ops::get(&store, &task(id)).expect("get");
    assert_eq!(
        (kept.task.note_count, kept.task.status),
        (0, BoardStatus::Todo)
    );
}
