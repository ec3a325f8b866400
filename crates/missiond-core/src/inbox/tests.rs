use serde_json::json;

use super::*;
use crate::store::Store;

fn all(store: &Store) -> Vec<Message> {
    store
        .inbox_messages(&InboxQuery {
            unread_only: false,
            since_id: None,
            limit: 1000,
        })
        .expect("list")
}

#[test]
fn messages_keep_their_fields_across_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mission.db");
    let id = {
        let store = Store::open(&path).expect("open");
        let mut m = NewMessage::report("c1", ReportKind::Question, "Which branch?", 1_500);
        m.data = json!({"options": ["main", "dev"]});
        store.post_message(&m).expect("post")
    };
    let store = Store::open(&path).expect("reopen");
    let got = all(&store);
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.id, id);
    assert_eq!(m.kind, InboxKind::AgentQuestion);
    assert_eq!(m.slot_id.as_deref(), Some("c1"));
    assert_eq!(m.text, "Which branch?");
    assert_eq!(m.data, json!({"options": ["main", "dev"]}));
    assert_eq!((m.created_at, m.read_at), (1_500, None));
    let info = m.info();
    assert_eq!(info.created_at, "1970-01-01T00:00:01.500Z");
    assert!(!info.read);
    assert_eq!(
        serde_json::to_value(&info).expect("json")["kind"],
        json!("agent_question")
    );
}

#[test]
fn unread_since_and_mark_read_page_through_the_inbox() {
    let store = Store::open_in_memory().expect("open");
    let ids: Vec<i64> = (0..5)
        .map(|i| {
            store
                .post_message(&NewMessage::new(InboxKind::Notice, format!("n{i}"), i))
                .expect("post")
        })
        .collect();
    assert_eq!(store.unread_count().expect("count"), 5);
    assert_eq!(store.mark_read(&ids[..2], 100).expect("mark"), 2);
    // Marking again changes nothing and keeps the first read time.
    assert_eq!(store.mark_read(&ids[..1], 200).expect("mark"), 0);
    assert_eq!(all(&store)[0].read_at, Some(100));
    assert_eq!(store.unread_count().expect("count"), 3);

    let unread: Vec<String> = store
        .inbox_messages(&InboxQuery::default())
        .expect("unread")
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(unread, ["n2", "n3", "n4"]);
    let page = store
        .inbox_messages(&InboxQuery {
            unread_only: false,
            since_id: Some(ids[2]),
            limit: 1,
        })
        .expect("page");
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].id, ids[3]);
}

#[test]
fn kinds_and_reports_use_their_wire_names() {
    for kind in InboxKind::ALL {
        assert_eq!(InboxKind::parse(kind.as_str()), kind);
        assert_eq!(
            serde_json::to_value(kind).expect("json"),
            json!(kind.as_str())
        );
    }
    assert_eq!(InboxKind::parse("from_the_future"), InboxKind::Notice);
    let done = NewMessage::report("s", ReportKind::Done, "finished", 1);
    assert_eq!(done.kind, InboxKind::AgentDone);
    assert_eq!(ReportKind::Progress.inbox_kind(), InboxKind::AgentReport);
}

#[test]
fn a_message_with_null_data_is_stored_as_an_empty_object() {
    let store = Store::open_in_memory().expect("open");
    let mut m = NewMessage::new(InboxKind::Notice, "x", 1);
    m.data = serde_json::Value::Null;
    store.post_message(&m).expect("post");
    assert_eq!(all(&store)[0].data, json!({}));
}

#[test]
fn reading_the_inbox_marks_what_it_returns_unless_peeking() {
    use crate::catalogue::InboxParams;
    let store = Store::open_in_memory().expect("open");
    for i in 0..3 {
        store
            .post_message(&NewMessage::new(InboxKind::Notice, format!("n{i}"), i))
            .expect("post");
    }
    let peek = InboxParams {
        mark_read: Some(false),
        limit: Some(2),
        ..InboxParams::default()
    };
    let r = read(&store, &peek, 10).expect("peek");
    assert_eq!((r.messages.len(), r.unread), (2, 3));
    let r = read(
        &store,
        &InboxParams {
            limit: Some(2),
            ..InboxParams::default()
        },
        10,
    )
    .expect("read");
    assert_eq!(
        r.messages
            .iter()
            .map(|m| m.text.as_str())
            .collect::<Vec<_>>(),
        ["n0", "n1"]
    );
    assert!(
        r.messages.iter().all(|m| !m.read),
        "read before this call: no"
    );
    assert_eq!(r.unread, 1);
    let r = read(&store, &InboxParams::default(), 11).expect("rest");
    assert_eq!((r.messages.len(), r.unread), (1, 0));
    assert!(
        read(&store, &InboxParams::default(), 12)
            .expect("empty")
            .messages
            .is_empty()
    );
    let everything = InboxParams {
        unread_only: Some(false),
        ..InboxParams::default()
    };
    let r = read(&store, &everything, 13).expect("all");
    assert_eq!(r.messages.len(), 3);
    assert!(r.messages.iter().all(|m| m.read));
}

#[test]
fn a_hook_message_can_be_claimed_by_the_task_it_holds_up() {
    use crate::tasks::{RetryPolicy, SlotView, SubmitRequest, TaskQueue};
    let store = std::sync::Arc::new(Store::open_in_memory().expect("open"));
    let queue = TaskQueue::new(store.clone(), RetryPolicy::default());
    let task = queue
        .submit(
            &SubmitRequest {
                prompt: "delete it".into(),
                slot_id: Some("c1".into()),
                role: None,
                priority: None,
                ask: false,
            },
            &[SlotView::new("c1", "coder", true)],
            10,
        )
        .expect("submit");
    let mut ask = NewMessage::new(InboxKind::PermissionAsk, "c1 wants Bash", 20);
    ask.data = json!({"tool": "Bash"});
    let id = store.post_message(&ask).expect("post");

    let data = json!({"tool": "Bash", "dialog": {"title": "Bash command"}});
    assert!(
        store
            .attach_task(id, task.id, "task waits at a dialog", &data)
            .expect("attach")
    );
    let got = all(&store);
    assert_eq!(got.len(), 1, "still one message");
    assert_eq!(got[0].task_id, Some(task.id));
    assert_eq!(got[0].text, "task waits at a dialog");
    assert_eq!(got[0].data, data);
    assert!(
        !store
            .attach_task(id + 1, task.id, "x", &data)
            .expect("attach to nothing"),
        "an unknown message is reported, not created"
    );
}
