//! The memory queue on a real SQLite file: items from finished turns, leases, pause,
//! deep items; and the knowledge picked for a prompt.

use serde_json::json;

use super::inject::{PROMPT_HEADER, prompt_query, render_context};
use super::*;
use crate::conversations::{NewMessage, TranscriptFile, parse_line};
use crate::kb::NewEntry;
use crate::store::Store;

const SLOT: &str = "w1";
const MEMORY_SLOT: &str = "mem";

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("missiond.db")).expect("store");
    (dir, store)
}

/// A transcript being written: lines in Claude Code's shape, each with a fresh uuid.
struct Transcript {
    session: String,
    slot: String,
    n: usize,
}

impl Transcript {
    fn new(session: &str, slot: &str) -> Transcript {
        Transcript {
            session: session.into(),
            slot: slot.into(),
            n: 0,
        }
    }

    fn uuid(&mut self) -> String {
        self.n += 1;
        format!("{}-line-{}", self.session, self.n)
    }

    fn prompt(&mut self, text: &str) -> String {
        json!({"type": "user", "uuid": self.uuid(), "timestamp": "2026-12-01T10:00:00.000Z",
               "message": {"role": "user", "content": text}})
        .to_string()
    }

    fn assistant(&mut self, block: serde_json::Value, stop: &str) -> String {
        json!({"type": "assistant", "uuid": self.uuid(), "timestamp": "2026-12-01T10:00:01.000Z",
               "message": {"id": format!("msg-{}", self.n), "model": "m", "role": "assistant",
                           "stop_reason": stop, "content": [block],
                           "usage": {"input_tokens": 1, "output_tokens": 1}}})
        .to_string()
    }

    fn answer(&mut self, text: &str) -> String {
        self.assistant(json!({"type": "text", "text": text}), "end_turn")
    }

    fn tool_call(&mut self, command: &str) -> String {
        self.assistant(
            json!({"type": "tool_use", "id": format!("toolu-{}", self.n), "name": "Bash",
                   "input": {"command": command}}),
            "tool_use",
        )
    }

    /// Stores `lines` as the ingester does.
    fn ingest(&self, store: &Store, lines: &[String]) -> usize {
        let messages: Vec<NewMessage> = lines
            .iter()
            .flat_map(|line| parse_line(line).expect("a message line"))
            .map(|m| NewMessage {
                line_key: m.uuid.clone().expect("uuid"),
                created_at: m.timestamp_ms.expect("timestamp"),
                message: m,
            })
            .collect();
        let file = TranscriptFile {
            path: format!("/t/{}.jsonl", self.session),
            session_id: self.session.clone(),
            slot_id: self.slot.clone(),
            offset: 0,
            config_dir: None,
            project: None,
        };
        store.ingest_transcript(&file, &messages).expect("ingest")
    }
}

fn take(store: &Store, slot: &str, now: i64) -> Vec<MemoryItem> {
    store
        .memory_take(slot, &TakeLimits::default(), now)
        .expect("take")
}

#[test]
fn a_finished_turn_becomes_one_item_and_a_turn_in_progress_none() {
    let (_dir, store) = open();
    let mut t = Transcript::new("s1", SLOT);
    let first = [
        t.prompt("how is the app built?"),
        t.tool_call("cat Makefile"),
    ];
    t.ingest(&store, &first);
    assert_eq!(store.memory_counts().unwrap().pending(), 0, "mid-turn");
    let rest = [t.answer("Build it with make release-fast.")];
    t.ingest(&store, &rest);
    let counts = store.memory_counts().unwrap();
    assert_eq!(counts.pending_realtime, 1);
    // Reading the same lines again (a restarted ingester) queues nothing more.
    t.ingest(&store, &rest);
    t.ingest(&store, &first);
    assert_eq!(store.memory_counts().unwrap().pending_realtime, 1);

    let items = take(&store, MEMORY_SLOT, 1_000);
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(
        (item.kind, item.session_id.as_str()),
        (ItemKind::Realtime, "s1")
    );
    assert_eq!(item.slot_id, SLOT);
    assert_eq!(item.messages, 3);
    assert!(item.text.contains("how is the app built?"), "{}", item.text);
    assert!(
        item.text.contains("[assistant called Bash]"),
        "{}",
        item.text
    );
    assert!(item.text.contains("make release-fast"), "{}", item.text);

    // The next turn is a new item that starts after the first one.
    let second = [t.prompt("and the tests?"), t.answer("cargo nextest run.")];
    t.ingest(&store, &second);
    let mut again = take(&store, MEMORY_SLOT, 2_000);
    assert_eq!(
        again.len(),
        2,
        "its own lease comes back, then the new item"
    );
    let next = again.remove(1);
    assert!(next.first_message_id > item.last_message_id);
    assert!(next.text.contains("and the tests?") && !next.text.contains("release-fast"));
}

#[test]
fn leases_done_and_release() {
    let (_dir, store) = open();
    let mut t = Transcript::new("s1", SLOT);
    for i in 0..3 {
        let lines = [t.prompt(&format!("question {i}")), t.answer("an answer")];
        t.ingest(&store, &lines);
    }
    let limits = TakeLimits {
        max_items: 2,
        lease_ms: 10_000,
        max_attempts: 2,
        ..TakeLimits::default()
    };
    let a = store.memory_take(MEMORY_SLOT, &limits, 0).unwrap();
    assert_eq!(a.len(), 2);
    // Another memory slot gets only what is not leased.
    let b = store.memory_take("mem2", &limits, 0).unwrap();
    assert_eq!(b.len(), 1);
    assert!(a.iter().all(|i| i.id != b[0].id));

    let done = store
        .memory_done(MEMORY_SLOT, &[a[0].id, b[0].id, 999], Some("2 entries"), 5)
        .unwrap();
    assert_eq!(
        done,
        vec![
            (a[0].id, DoneOutcome::Done),
            (b[0].id, DoneOutcome::NotLeased),
            (999, DoneOutcome::Unknown)
        ]
    );
    let again = store.memory_done(MEMORY_SLOT, &[a[0].id], None, 6).unwrap();
    assert_eq!(again, vec![(a[0].id, DoneOutcome::AlreadyDone)]);

    // The memory slot crashed: its other item goes back to the queue.
    assert_eq!(
        store.memory_release(MEMORY_SLOT, "crashed", 2, 7).unwrap(),
        1
    );
    let retaken = store.memory_take("mem2", &limits, 8).unwrap();
    let ids: Vec<i64> = retaken.iter().map(|i| i.id).collect();
    assert!(ids.contains(&a[1].id) && ids.contains(&b[0].id), "{ids:?}");
    assert!(
        !ids.contains(&a[0].id),
        "a done item is never handed out again"
    );
    let a1 = retaken.iter().find(|i| i.id == a[1].id).unwrap();
    assert_eq!(a1.attempts, 2);

    // Its lease runs out: out of attempts, it fails; the other goes back.
    assert!(
        store
            .memory_take(MEMORY_SLOT, &limits, 9)
            .unwrap()
            .is_empty()
    );
    let after = store.memory_take(MEMORY_SLOT, &limits, 8 + 10_000).unwrap();
    assert_eq!(
        after.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![b[0].id]
    );
    assert_eq!(
        store.memory_item(a[1].id).unwrap().unwrap().status,
        ItemStatus::Failed
    );
    let counts = store.memory_counts().unwrap();
    assert_eq!((counts.done, counts.failed, counts.leased), (1, 1, 1));
}

#[test]
fn a_pause_ends_by_itself_or_with_a_resume() {
    let (_dir, store) = open();
    let mut t = Transcript::new("s1", SLOT);
    let lines = [t.prompt("hello there"), t.answer("hi")];
    t.ingest(&store, &lines);
    store.memory_pause(60_000).unwrap();
    assert_eq!(store.memory_paused_until(1_000).unwrap(), Some(60_000));
    assert!(take(&store, MEMORY_SLOT, 1_000).is_empty());
    // The pause does not stop queueing.
    let more = [t.prompt("again"), t.answer("ok")];
    t.ingest(&store, &more);
    assert_eq!(store.memory_counts().unwrap().pending_realtime, 2);
    // Past its time the pause is over without anyone resuming.
    assert_eq!(store.memory_paused_until(60_000).unwrap(), None);
    assert_eq!(take(&store, MEMORY_SLOT, 60_000).len(), 2);
    store.memory_pause(i64::MAX).unwrap();
    assert!(take(&store, "mem2", 70_000).is_empty());
    store.memory_resume().unwrap();
    assert_eq!(store.memory_paused_until(70_000).unwrap(), None);
}

#[test]
fn deep_items_cover_quiet_conversations_once() {
    let (_dir, store) = open();
    let mut t = Transcript::new("s1", SLOT);
    let lines = [t.prompt("first"), t.answer("one")];
    t.ingest(&store, &lines);
    let mut quiet = Transcript::new("s2", "w2");
    let partial = [quiet.prompt("unfinished"), quiet.tool_call("ls")];
    quiet.ingest(&store, &partial);
    // The lines are from 2026-12-01T10:00; "quiet" means older than the cut-off.
    let stamp = crate::conversations::parse_instant("2026-12-01T10:00:01.000Z").unwrap();
    assert!(
        store
            .memory_queue_deep(stamp - 1, None, 0)
            .unwrap()
            .is_empty()
    );
    let ids = store.memory_queue_deep(stamp, None, 0).unwrap();
    assert_eq!(ids.len(), 2);
    assert!(
        store.memory_queue_deep(stamp, None, 0).unwrap().is_empty(),
        "once"
    );
    // New messages make a new deep item for that conversation only.
    let more = [t.prompt("second"), t.answer("two")];
    t.ingest(&store, &more);
    let ids = store.memory_queue_deep(i64::MAX, Some("s1"), 0).unwrap();
    assert_eq!(ids.len(), 1);
    let item = store.memory_item(ids[0]).unwrap().unwrap();
    assert_eq!(item.kind, ItemKind::Deep);
    assert_eq!(item.messages, 2);
    let counts = store.memory_counts().unwrap();
    assert_eq!((counts.pending_deep, counts.pending_realtime), (3, 2));
    // Real-time items are handed out before deep ones.
    let kinds: Vec<ItemKind> = take(&store, MEMORY_SLOT, 0)
        .iter()
        .map(|i| i.kind)
        .collect();
    assert_eq!(kinds[..2], [ItemKind::Realtime, ItemKind::Realtime]);
}

#[test]
fn a_memory_slots_own_conversation_is_never_queued() {
    let (_dir, store) = open();
    store
        .memory_set_extractors(&[MEMORY_SLOT.to_string()])
        .unwrap();
    let mut own = Transcript::new("m-session", MEMORY_SLOT);
    let lines = [own.prompt("extract"), own.answer("done")];
    own.ingest(&store, &lines);
    assert_eq!(store.memory_queue_deep(i64::MAX, None, 0).unwrap().len(), 0);
    let mut worker = Transcript::new("w-session", SLOT);
    let lines = [worker.prompt("work"), worker.answer("done")];
    worker.ingest(&store, &lines);
    let items = take(&store, MEMORY_SLOT, 0);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].session_id, "w-session");
}

#[test]
fn item_text_is_bounded() {
    let (_dir, store) = open();
    let mut t = Transcript::new("s1", SLOT);
    let big = "x".repeat(3_000);
    let mut lines: Vec<String> = (0..20).map(|_| t.prompt(&big)).collect();
    lines.push(t.answer("ok"));
    t.ingest(&store, &lines);
    let limits = TakeLimits {
        max_item_bytes: 10_000,
        ..TakeLimits::default()
    };
    let items = store.memory_take(MEMORY_SLOT, &limits, 0).unwrap();
    assert!(items[0].text.len() <= 10_000 && items[0].text_truncated);
    assert!(items[0].bytes > 60_000, "the size counts the whole range");
}

fn entry(key: &str, content: &str, category: &str) -> NewEntry {
    NewEntry {
        key: Some(key.into()),
        title: Some(key.into()),
        content: content.into(),
        category: category.into(),
        tags: Vec::new(),
        source: None,
        expires_at: None,
    }
}

#[test]
fn prompts_find_relevant_entries_and_injections_count_hits() {
    let (_dir, store) = open();
    let (deploy, _) = store
        .kb_remember(
            &entry("deploy", "Deploy with ./ship.sh staging", "howto"),
            1,
        )
        .unwrap();
    let (db, _) = store
        .kb_remember(
            &entry("db", "The staging database is pg-stage-2", "infra/db"),
            1,
        )
        .unwrap();
    store
        .kb_remember(&entry("lunch", "Lunch is at noon", "general"), 1)
        .unwrap();
    store
        .kb_set_meta(db.id, Some("core"), Some("s-abc"))
        .unwrap();
    assert_eq!(
        store.kb_meta(db.id).unwrap(),
        ("core".into(), Some("s-abc".into()))
    );

    let q = prompt_query("Please deploy the app to staging").unwrap();
    let found = store.kb_relevant(&q, &[], 5, 2).unwrap();
    let ids: Vec<i64> = found.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_eq!(ids[0], deploy.id, "matches both words");
    let infra_only = store.kb_relevant(&q, &["infra".into()], 5, 2).unwrap();
    assert_eq!(
        infra_only.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![db.id]
    );
    assert_eq!(infra_only[0].tier, "core");

    let (text, injected) = render_context(PROMPT_HEADER, &found, 4_000);
    assert!(text.contains("./ship.sh staging"));
    store
        .kb_record_injection(
            SLOT,
            Some("s1"),
            "Please deploy",
            "prompt",
            &injected,
            text.len(),
            3,
        )
        .unwrap();
    let log = store.kb_injections(SLOT, 10).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].entry_ids, injected);
    let hits = store
        .kb_peek(&crate::kb::EntryRef::Id(deploy.id))
        .unwrap()
        .unwrap()
        .hits;
    assert_eq!(hits, 1);
    // Without a query: tier first, then hits.
    let top: Vec<i64> = store.kb_top(3, 4).unwrap().iter().map(|e| e.id).collect();
    assert_eq!(top[..2], [db.id, deploy.id]);
}

#[test]
fn answers_reach_their_slot_once() {
    use crate::questions::{NewQuestion, Priority};
    use crate::store::Delivery;
    let (_dir, store) = open();
    let ask = |slot: &str, text: &str| {
        store
            .insert_question(&NewQuestion {
                question: text.into(),
                context: None,
                slot_id: Some(slot.into()),
                task_id: None,
                options: Vec::new(),
                priority: Priority::Normal,
                created_at: 1,
            })
            .unwrap()
            .id
    };
    let a = ask(SLOT, "which db?");
    let b = ask(SLOT, "which port?");
    let other = ask("w2", "which branch?");
    store.question_wake_when_answered(b).unwrap();
    assert!(
        store
            .questions_undelivered(Some(SLOT), false)
            .unwrap()
            .is_empty()
    );
    store.answer_question(a, "postgres", 2).unwrap();
    store.answer_question(b, "8080", 3).unwrap();
    store.answer_question(other, "main", 4).unwrap();
    let mine: Vec<_> = store
        .questions_undelivered(Some(SLOT), false)
        .unwrap()
        .iter()
        .map(|q| q.id)
        .collect();
    assert_eq!(mine, vec![a, b]);
    let wake: Vec<_> = store
        .questions_undelivered(None, true)
        .unwrap()
        .iter()
        .map(|q| q.id)
        .collect();
    assert_eq!(wake, vec![b], "only the one that asked for a wake-up");
    store.questions_delivered(&[b], Delivery::Wake, 5).unwrap();
    assert!(store.questions_undelivered(None, true).unwrap().is_empty());
    // A wake-up whose prompt failed is taken back: the answer is still on its way.
    store.question_wake_failed(b).unwrap();
    let wake: Vec<_> = store
        .questions_undelivered(None, true)
        .unwrap()
        .iter()
        .map(|q| q.id)
        .collect();
    assert_eq!(wake, vec![b], "a failed wake-up loses no answer");
    store.questions_delivered(&[b], Delivery::Wake, 5).unwrap();
    store
        .questions_delivered(&[a], Delivery::Prompt, 6)
        .unwrap();
    // Taking back a wake-up never undoes a delivery made another way.
    store.question_wake_failed(a).unwrap();
    assert!(
        store
            .questions_undelivered(Some(SLOT), false)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.questions_undelivered(None, false).unwrap()[0].id,
        other
    );
}
