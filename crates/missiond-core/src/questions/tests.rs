//! Question queue tests, on real SQLite files.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::*;
use crate::catalogue::{
    QuestionAnswerParams, QuestionCreateParams, QuestionDismissParams, QuestionGetParams,
    QuestionInfo, QuestionListParams,
};
use crate::inbox::{InboxKind, InboxQuery};
use crate::ipc::ErrorCode;
use crate::store::Store;
use crate::tasks::TaskId;

fn temp_store() -> (tempfile::TempDir, PathBuf, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mission.db");
    let store = Store::open(&path).expect("open store");
    (dir, path, store)
}

fn reopen(path: &Path) -> Store {
    Store::open(path).expect("reopen store")
}

fn ask(question: &str) -> QuestionCreateParams {
    QuestionCreateParams {
        question: question.to_string(),
        context: None,
        slot_id: None,
        task_id: None,
        options: None,
        priority: None,
        wake_when_answered: None,
    }
}

fn create(store: &Store, p: QuestionCreateParams, now: i64) -> QuestionInfo {
    ops::create(store, p, now).expect("create")
}

fn answer(
    store: &Store,
    id: QuestionId,
    text: &str,
    now: i64,
) -> Result<QuestionInfo, QuestionError> {
    let p = QuestionAnswerParams {
        question_id: id,
        answer: text.to_string(),
    };
    ops::answer(store, p, now)
}

fn dismiss(store: &Store, id: QuestionId, now: i64) -> Result<QuestionInfo, QuestionError> {
    let p = QuestionDismissParams {
        question_id: id,
        reason: Some("moot".into()),
    };
    ops::dismiss(store, p, now)
}

fn list(store: &Store, status: Option<QuestionFilter>, slot: Option<&str>) -> Vec<String> {
    let p = QuestionListParams {
        status,
        slot_id: slot.map(String::from),
        limit: None,
    };
    ops::list(store, &p)
        .expect("list")
        .questions
        .into_iter()
        .map(|q| q.question)
        .collect()
}

#[test]
fn ids_parse_strictly_and_print_with_six_digits() {
    assert_eq!("q-000001".parse::<QuestionId>(), Ok(QuestionId(1)));
    assert_eq!("q-42".parse::<QuestionId>(), Ok(QuestionId(42)));
    assert_eq!(QuestionId(7).to_string(), "q-000007");
    assert_eq!(QuestionId(1_234_567).to_string(), "q-1234567");
    for bad in [
        "",
        "1",
        "q-",
        "q-0",
        "Q-1",
        "t-000001",
        "b-000001",
        " q-1",
        "q-1 ",
        "q-1x",
        "q--1",
        "q-+1",
        "q-99999999999999999999",
    ] {
        let err = bad.parse::<QuestionId>().expect_err(bad);
        assert!(
            err.to_string().contains("not a question id"),
            "{bad}: {err}"
        );
    }
    let err = serde_json::from_value::<QuestionGetParams>(json!({"questionId": "t-000001"}))
        .expect_err("a task id is not a question id");
    assert!(err.to_string().contains("t-000001"), "{err}");
}

#[test]
fn a_question_and_its_inbox_message_survive_a_reopen() {
    let (_dir, path, store) = temp_store();
    let p = QuestionCreateParams {
        question: "Which database should the cache use?".into(),
        context: Some("Redis is not installed here.".into()),
        slot_id: Some("  coder-1 ".into()),
        task_id: None,
        options: Some(vec!["sqlite".into(), "memory".into(), "sqlite".into()]),
        priority: Some(Priority::High),
        wake_when_answered: None,
    };
    let q = create(&store, p, 5_000);
    assert_eq!(q.question_id, QuestionId(1));
    assert_eq!(q.status, QuestionStatus::Pending);
    assert_eq!(q.slot_id.as_deref(), Some("coder-1"));
    assert_eq!(q.options, ["sqlite", "memory"], "duplicates dropped");
    assert_eq!(q.created_at, "1970-01-01T00:00:05.000Z");
    let inbox_id = q.inbox_message_id.expect("announced in the inbox");
    drop(store);

    let store = reopen(&path);
    let again = ops::get(
        &store,
        &QuestionGetParams {
            question_id: QuestionId(1),
        },
    )
    .expect("get");
    assert_eq!(again, q);
    let message = store
        .inbox_message(inbox_id)
        .expect("read inbox")
        .expect("message kept");
    assert_eq!(message.kind, InboxKind::AgentQuestion);
    assert_eq!(message.text, "Which database should the cache use?");
    assert_eq!(message.slot_id.as_deref(), Some("coder-1"));
    assert_eq!(message.data["questionId"], "q-000001");
    assert_eq!(message.data["priority"], "high");
    assert_eq!(message.data["options"], json!(["sqlite", "memory"]));
    assert_eq!(message.read_at, None);
}

#[test]
fn only_a_pending_question_can_be_answered_or_dismissed() {
    let (_dir, path, store) = temp_store();
    let a = create(&store, ask("Ship it?"), 1_000).question_id;
    let b = create(&store, ask("Rename the crate?"), 1_001).question_id;

    let answered = answer(&store, a, "yes", 2_000).expect("first answer");
    assert_eq!(answered.status, QuestionStatus::Answered);
    assert_eq!(answered.answer.as_deref(), Some("yes"));
    assert_eq!(
        answered.answered_at.as_deref(),
        Some("1970-01-01T00:00:02.000Z")
    );

    let second = answer(&store, a, "no", 3_000).expect_err("a second answer");
    let rpc = second.to_rpc();
    assert_eq!(rpc.code, ErrorCode::InvalidChoice.code());
    assert!(rpc.message.contains("already answered"), "{}", rpc.message);
    assert_eq!(
        rpc.data,
        Some(json!({"questionId": "q-000001", "status": "answered"}))
    );
    assert!(
        dismiss(&store, a, 3_000).is_err(),
        "an answered question stays answered"
    );

    let dismissed = dismiss(&store, b, 4_000).expect("dismiss");
    assert_eq!(dismissed.status, QuestionStatus::Dismissed);
    assert_eq!(dismissed.dismiss_reason.as_deref(), Some("moot"));
    assert_eq!(
        dismissed.dismissed_at.as_deref(),
        Some("1970-01-01T00:00:04.000Z")
    );
    let late = answer(&store, b, "yes", 5_000).expect_err("answering a dismissed one");
    assert!(late.to_string().contains("already dismissed"), "{late}");
    drop(store);

    // The answer, not the refused second one, is what was kept.
    let store = reopen(&path);
    let kept = ops::get(&store, &QuestionGetParams { question_id: a }).expect("get");
    assert_eq!(kept.answer.as_deref(), Some("yes"));
    assert_eq!(kept.answered_at, answered.answered_at);
}

#[test]
fn unknown_ids_and_tasks_are_named_in_the_error() {
    let (_dir, _path, store) = temp_store();
    let err = ops::get(
        &store,
        &QuestionGetParams {
            question_id: QuestionId(42),
        },
    )
    .expect_err("unknown");
    let rpc = err.to_rpc();
    assert_eq!(rpc.code, ErrorCode::InvalidParams.code());
    assert!(rpc.message.contains("q-000042"), "{}", rpc.message);
    assert_eq!(
        rpc.data,
        Some(json!({"field": "questionId", "questionId": "q-000042"}))
    );
    assert!(matches!(
        answer(&store, QuestionId(42), "x", 1),
        Err(QuestionError::NotFound(QuestionId(42)))
    ));

    let p = QuestionCreateParams {
        task_id: Some(TaskId(9)),
        ..ask("About a task that does not exist")
    };
    let err = ops::create(&store, p, 1).expect_err("unknown task");
    assert!(err.to_string().contains("t-000009"), "{err}");
    assert_eq!(
        err.to_rpc().data,
        Some(json!({"field": "taskId", "taskId": "t-000009"}))
    );
    // Nothing half-written: no question, no inbox message.
    assert!(store.questions(None, None, 100).expect("list").is_empty());
    assert!(
        store
            .inbox_messages(&InboxQuery::default())
            .expect("inbox")
            .is_empty()
    );
}

#[test]
fn a_failing_inbox_leaves_no_question_behind() {
    let (_dir, _path, store) = temp_store();
    store
        .conn()
        .execute_batch(
            "CREATE TRIGGER inbox_full BEFORE INSERT ON inbox
             BEGIN SELECT RAISE(ABORT, 'inbox refused'); END;",
        )
        .expect("trigger");
    let err = ops::create(&store, ask("Lost?"), 1).expect_err("the inbox refuses");
    assert!(matches!(err, QuestionError::Store(_)), "{err:?}");
    assert!(store.questions(None, None, 100).expect("list").is_empty());
}

#[test]
fn bad_input_names_the_field() {
    let (_dir, _path, store) = temp_store();
    let cases: Vec<(QuestionCreateParams, &str)> = vec![
        (ask("   "), "question"),
        (ask(&"x".repeat(validate::TEXT_MAX_BYTES + 1)), "question"),
        (
            QuestionCreateParams {
                context: Some(String::new()),
                ..ask("q")
            },
            "context",
        ),
        (
            QuestionCreateParams {
                slot_id: Some(" ".into()),
                ..ask("q")
            },
            "slotId",
        ),
        (
            QuestionCreateParams {
                options: Some((0..21).map(|n| n.to_string()).collect()),
                ..ask("q")
            },
            "options",
        ),
        (
            QuestionCreateParams {
                options: Some(vec!["a".into(), "two\nlines".into()]),
                ..ask("q")
            },
            "options[1]",
        ),
        (
            QuestionCreateParams {
                options: Some(vec!["y".repeat(validate::TITLE_MAX_CHARS + 1)]),
                ..ask("q")
            },
            "options[0]",
        ),
    ];
    for (p, field) in cases {
        let err = ops::create(&store, p, 1).expect_err(field);
        let rpc = err.to_rpc();
        assert_eq!(rpc.code, ErrorCode::InvalidParams.code(), "{field}");
        assert_eq!(rpc.data, Some(json!({ "field": field })), "{}", rpc.message);
    }
    // The longest allowed text is taken.
    create(&store, ask(&"x".repeat(validate::TEXT_MAX_BYTES)), 1);
    let q = QuestionId(1);
    let blank = answer(&store, q, "\n\t ", 2).expect_err("blank answer");
    assert_eq!(blank.to_rpc().data, Some(json!({"field": "answer"})));
    let pending = ops::get(&store, &QuestionGetParams { question_id: q }).expect("get");
    assert_eq!(
        pending.status,
        QuestionStatus::Pending,
        "a refused answer changes nothing"
    );
}

#[test]
fn pending_questions_list_most_urgent_then_oldest_and_others_newest_first() {
    let (_dir, _path, store) = temp_store();
    let mut n = 0;
    let mut add = |text: &str, priority: Priority, slot: &str| {
        n += 1;
        let p = QuestionCreateParams {
            priority: Some(priority),
            slot_id: Some(slot.into()),
            ..ask(text)
        };
        create(&store, p, n).question_id
    };
    let low = add("low", Priority::Low, "a");
    add("normal-1", Priority::Normal, "b");
    add("urgent", Priority::Urgent, "a");
    add("normal-2", Priority::Normal, "a");
    let high = add("high", Priority::High, "b");
    answer(&store, low, "done", 100).expect("answer");
    dismiss(&store, high, 101).expect("dismiss");

    assert_eq!(list(&store, None, None), ["urgent", "normal-1", "normal-2"]);
    assert_eq!(
        list(&store, Some(QuestionFilter::Pending), Some("a")),
        ["urgent", "normal-2"]
    );
    assert_eq!(list(&store, Some(QuestionFilter::Answered), None), ["low"]);
    assert_eq!(
        list(&store, Some(QuestionFilter::Dismissed), None),
        ["high"]
    );
    assert_eq!(
        list(&store, Some(QuestionFilter::All), None),
        ["high", "normal-2", "urgent", "normal-1", "low"]
    );
    let limited = ops::list(
        &store,
        &QuestionListParams {
            status: Some(QuestionFilter::All),
            slot_id: Some("a".into()),
            limit: Some(1),
        },
    )
    .expect("list");
    assert_eq!(limited.questions.len(), 1);
    assert_eq!(
        (
            limited.counts.pending,
            limited.counts.answered,
            limited.counts.dismissed
        ),
        (2, 1, 0),
        "counts of slot a, whatever the limit"
    );
}
