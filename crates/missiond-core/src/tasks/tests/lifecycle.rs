//! Submit, start, finish, cancel, retry: the states a task goes through and the
//! refusals, with the JSON-RPC codes they become.

use serde_json::json;

use super::*;
use crate::inbox::{InboxKind, InboxQuery};

#[test]
fn a_task_runs_once_and_its_answer_reaches_the_inbox() {
    let (_dir, _path, q) = temp_queue(RetryPolicy::default());
    let t = submit(&q, "write the parser", None, Some("reviewer"));
    assert_eq!(
        (t.status, t.attempts, t.id),
        (TaskStatus::Queued, 0, TaskId(1))
    );
    assert_eq!(q.position(t.id).expect("position"), Some(0));

    let started = q.assign(&slots(), 2_000).expect("assign");
    assert_eq!(started.len(), 1);
    let running = &started[0];
    assert_eq!(running.assigned_slot.as_deref(), Some("r1"));
    assert_eq!((running.status, running.attempts), (TaskStatus::Running, 1));
    assert_eq!(running.started_at, Some(2_000));
    assert_eq!(q.position(t.id).expect("position"), None);

    let done = q
        .complete(t.id, "r1", "Parser written.\nAll tests pass.", 3_000)
        .expect("complete");
    assert_eq!(done.status, TaskStatus::Done);
    assert_eq!(
        done.result.as_deref(),
        Some("Parser written.\nAll tests pass.")
    );
    assert_eq!(done.ended_at, Some(3_000));

    let inbox = q
        .store()
        .inbox_messages(&InboxQuery::default())
        .expect("inbox");
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].kind, InboxKind::TaskDone);
    assert_eq!(inbox[0].task_id, Some(t.id));
    assert_eq!(inbox[0].slot_id.as_deref(), Some("r1"));
    assert_eq!(inbox[0].text, "Parser written.\nAll tests pass.");
    assert_eq!(inbox[0].data["prompt"], json!("write the parser"));

    let history = q.slot_history("r1", 10).expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].task_id, history[0].attempt, history[0].outcome),
        (t.id, 1, Some(RunOutcome::Done))
    );
    assert!(q.slot_history("c1", 10).expect("history").is_empty());

    let info = done.info();
    assert_eq!(info.task_id.to_string(), "t-000001");
    assert_eq!(info.slot_id.as_deref(), Some("r1"));
    assert_eq!(info.requested_role.as_deref(), Some("reviewer"));
    assert_eq!(info.ended_at.as_deref(), Some("1970-01-01T00:00:03.000Z"));
}

#[test]
fn an_ask_task_announces_only_failures() {
    let (_dir, _path, q) = temp_queue(RetryPolicy::default());
    let ask = |prompt: &str| SubmitRequest {
        ask: true,
        ..request(prompt, Some("c1"), None, 0)
    };
    let a = q.submit(&ask("why?"), &slots(), 1).expect("submit");
    assert_eq!(a.origin, TaskOrigin::Ask);
    q.claim(a.id, "c1", 2).expect("claim");
    q.complete(a.id, "c1", "because", 3).expect("complete");
    let b = q.submit(&ask("how?"), &slots(), 4).expect("submit");
    q.claim(b.id, "c1", 5).expect("claim");
    q.fail(b.id, "c1", "API error on screen", 6).expect("fail");
    let inbox = q
        .store()
        .inbox_messages(&InboxQuery::default())
        .expect("inbox");
    let kinds: Vec<_> = inbox.iter().map(|m| (m.kind, m.task_id)).collect();
    assert_eq!(kinds, [(InboxKind::TaskFailed, Some(b.id))]);
    assert_eq!(inbox[0].text, "API error on screen");
}

#[test]
fn finished_tasks_never_change_again() {
    let (_dir, _path, q) = temp_queue(RetryPolicy::default());
    let t = submit(&q, "p", Some("c1"), None);
    q.claim(t.id, "c1", 1).expect("claim");
    q.complete(t.id, "c1", "answer", 2).expect("complete");

    let again = q.claim(t.id, "c1", 3).expect_err("done -> running");
    assert!(
        matches!(
            again,
            TaskError::Transition {
                status: TaskStatus::Done,
                ..
            }
        ),
        "{again}"
    );
    let rpc = again.to_rpc();
    assert_eq!(rpc.code, -32011);
    assert_eq!(
        rpc.data,
        Some(json!({"taskId": "t-000001", "status": "done"}))
    );

    for err in [
        q.complete(t.id, "c1", "twice", 4).expect_err("done twice"),
        q.fail(t.id, "c1", "late", 4).expect_err("done -> failed"),
        q.cancel(t.id, "no", 4).expect_err("done -> cancelled"),
    ] {
        assert_eq!(err.to_rpc().code, -32011, "{err}");
    }
    assert!(
        q.slot_lost("c1", "crashed", false, 5)
            .expect("lost")
            .is_none()
    );
    let t = q.get(t.id).expect("get");
    assert_eq!(
        (t.status, t.result.as_deref()),
        (TaskStatus::Done, Some("answer"))
    );
}

#[test]
fn cancelling_says_which_slot_to_interrupt() {
    let (_dir, _path, q) = temp_queue(RetryPolicy::default());
    let queued = submit(&q, "later", Some("c2"), None);
    let running = submit(&q, "now", Some("c1"), None);
    q.claim(running.id, "c1", 10).expect("claim");

    let c = q
        .cancel(queued.id, "not needed", 11)
        .expect("cancel queued");
    assert_eq!(
        (c.was, c.task.status, c.interrupt_slot),
        (TaskStatus::Queued, TaskStatus::Cancelled, None)
    );
    let c = q
        .cancel(running.id, "wrong approach", 12)
        .expect("cancel running");
    assert_eq!(c.was, TaskStatus::Running);
    assert_eq!(c.interrupt_slot.as_deref(), Some("c1"));
    assert_eq!(c.task.error.as_deref(), Some("wrong approach"));
    let again = q.cancel(running.id, "again", 13).expect("idempotent");
    assert_eq!(
        (again.was, again.interrupt_slot),
        (TaskStatus::Cancelled, None)
    );

    // The turn's end arriving after the cancel does not revive the task.
    let late = q
        .complete(running.id, "c1", "too late", 14)
        .expect_err("cancelled");
    assert!(matches!(late, TaskError::Transition { .. }));
    // The slot is free again.
    let next = submit(&q, "next", Some("c1"), None);
    assert_eq!(
        q.claim(next.id, "c1", 15).expect("claim").status,
        TaskStatus::Running
    );
    assert_eq!(
        q.slot_history("c1", 10).expect("history")[1].outcome,
        Some(RunOutcome::Cancelled)
    );
}

#[test]
fn a_slot_takes_one_task_and_reports_only_on_its_own() {
    let (_dir, _path, q) = temp_queue(RetryPolicy::default());
    let a = submit(&q, "a", None, None);
    let b = submit(&q, "b", None, None);
    q.claim(a.id, "c1", 1).expect("claim");
    let busy = q.claim(b.id, "c1", 2).expect_err("c1 is busy");
    assert!(matches!(busy, TaskError::SlotBusy { task, .. } if task == a.id));
    let rpc = busy.to_rpc();
    assert_eq!(rpc.code, -32003);
    assert_eq!(
        rpc.data,
        Some(json!({"slotId": "c1", "taskId": "t-000001"}))
    );
    assert_eq!(q.get(b.id).expect("get").status, TaskStatus::Queued);

    let wrong = q.complete(a.id, "c2", "x", 3).expect_err("not c2's task");
    assert_eq!(wrong.to_rpc().code, -32011);
    let pinned = submit(&q, "pinned", Some("r1"), None);
    assert!(matches!(
        q.claim(pinned.id, "c2", 4),
        Err(TaskError::WrongSlot { .. })
    ));
    let c1 = SlotView::new("c1", "coder", true);
    assert!(matches!(
        q.claim_next(&c1, 5),
        Err(TaskError::SlotBusy { .. })
    ));
}

#[test]
fn bad_inputs_become_the_right_rpc_errors() {
    let (_dir, _path, q) = temp_queue(RetryPolicy::default());
    let cases = [
        (request("   \n", None, None, 0), -32602, Some("prompt")),
        (request("p", None, None, 101), -32602, Some("priority")),
        (request("p", None, None, -101), -32602, Some("priority")),
        (request("p", None, Some("poet"), 0), -32602, Some("role")),
        (request("p", Some("ghost"), None, 0), -32001, None),
    ];
    for (req, code, field) in cases {
        let err = q.submit(&req, &slots(), 1).expect_err("refused").to_rpc();
        assert_eq!(err.code, code, "{req:?}: {}", err.message);
        if let Some(field) = field {
            assert_eq!(err.data, Some(json!({ "field": field })), "{req:?}");
        }
    }
    let role_err = q
        .submit(&request("p", None, Some("poet"), 0), &slots(), 1)
        .expect_err("unknown role");
    assert!(
        role_err.to_string().contains("coder, reviewer"),
        "{role_err}"
    );
    let big = "x".repeat(PROMPT_MAX_BYTES + 1);
    assert!(matches!(
        q.submit(&request(&big, None, None, 0), &slots(), 1),
        Err(TaskError::Invalid {
            field: "prompt",
            ..
        })
    ));
    // Limits themselves are accepted.
    for p in [PRIORITY_MIN, PRIORITY_MAX] {
        q.submit(&request("p", None, None, p), &slots(), 1)
            .expect("in range");
    }
    assert_eq!(
        all_tasks(q.store()).len(),
        2,
        "refused tasks were not stored"
    );

    let unknown = q.get(TaskId(999)).expect_err("unknown").to_rpc();
    assert_eq!(unknown.code, -32602);
    assert_eq!(
        unknown.data,
        Some(json!({"field": "taskId", "taskId": "t-000999"}))
    );
    assert!(unknown.message.contains("t-000999"), "{}", unknown.message);
    let many = q
        .get_many(&[TaskId(1), TaskId(77)])
        .expect_err("one unknown");
    assert!(matches!(many, TaskError::UnknownTask(TaskId(77))));
    assert_eq!(
        q.cancel(TaskId(55), "x", 1)
            .expect_err("unknown")
            .to_rpc()
            .code,
        -32602
    );
}

#[test]
fn task_ids_read_and_print_as_t_numbers() {
    assert_eq!(TaskId(123).to_string(), "t-000123");
    assert_eq!(TaskId(1_234_567).to_string(), "t-1234567");
    for (text, id) in [("t-000123", 123), ("t-5", 5), ("42", 42), (" T-7 ", 7)] {
        assert_eq!(text.parse::<TaskId>(), Ok(TaskId(id)), "{text}");
    }
    for bad in [
        "",
        "t-",
        "t-0",
        "t--1",
        "x-5",
        "t-1.5",
        "t-99999999999999999999",
    ] {
        assert!(bad.parse::<TaskId>().is_err(), "{bad:?}");
    }
    assert_eq!(
        serde_json::to_value(TaskId(9)).ok(),
        Some(json!("t-000009"))
    );
}

#[test]
fn status_changes_follow_the_life_of_a_task() {
    use TaskStatus::*;
    let allowed = [
        (Queued, Running),
        (Queued, Failed),
        (Queued, Cancelled),
        (Running, Queued),
        (Running, Done),
        (Running, Failed),
        (Running, Cancelled),
    ];
    for from in TaskStatus::ALL {
        for to in TaskStatus::ALL {
            assert_eq!(
                from.can_become(to),
                allowed.contains(&(from, to)),
                "{from} -> {to}"
            );
        }
        assert_eq!(TaskStatus::parse(from.as_str()), Some(from));
    }
}

#[test]
fn status_counts_lists_and_orders_the_work() {
    use crate::catalogue::{SlotActivity, SlotState};
    let (_dir, _path, q) = temp_queue(RetryPolicy::default());
    let a = submit(&q, "a", Some("c1"), None);
    let b = submit(&q, "b", Some("c2"), None);
    let c = q
        .submit(&request("c", None, None, 50), &slots(), 5)
        .expect("urgent");
    let d = submit(&q, "d", None, None);
    q.claim(a.id, "c1", 10).expect("claim a");
    q.claim(b.id, "c2", 11).expect("claim b");
    q.complete(a.id, "c1", "A", 20).expect("done a");
    q.fail(b.id, "c2", "broke", 30).expect("fail b");
    q.claim(d.id, "c1", 40).expect("claim d");
    let slots_now = vec![SlotActivity {
        slot_id: "c1".into(),
        role: "coder".into(),
        state: SlotState::Thinking,
        task_id: Some(d.id),
        autonomous: false,
    }];
    let s = q.status(slots_now.clone(), 10).expect("status");
    assert_eq!(
        (
            s.counts.queued,
            s.counts.running,
            s.counts.done,
            s.counts.failed,
            s.counts.cancelled
        ),
        (1, 1, 1, 1, 0)
    );
    assert_eq!(s.slots, slots_now);
    assert_eq!(
        s.running.iter().map(|t| t.task_id).collect::<Vec<_>>(),
        [d.id]
    );
    assert_eq!(
        s.queued.iter().map(|t| t.task_id).collect::<Vec<_>>(),
        [c.id]
    );
    // Newest finished first: b failed at 30, a done at 20.
    assert_eq!(
        s.recent.iter().map(|t| t.task_id).collect::<Vec<_>>(),
        [b.id, a.id]
    );
    assert_eq!(s.unread_messages, 2, "a's answer and b's failure");
    assert_eq!(q.status(Vec::new(), 1).expect("status").recent.len(), 1);
}
