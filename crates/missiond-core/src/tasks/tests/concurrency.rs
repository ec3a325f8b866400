//! Two connections claiming at once never both get a task; the queue order holds at size.

use std::sync::Barrier;
use std::thread;

use super::*;

#[test]
fn two_connections_racing_for_one_task_never_both_get_it() {
    let (_dir, path, q) = temp_queue(RetryPolicy::default());
    // Two stores on one file: two SQLite connections, as two processes would have.
    let other = open_queue(&path, RetryPolicy::default());
    for round in 0..40 {
        let t = submit(&q, &format!("race {round}"), None, None);
        let barrier = Barrier::new(2);
        let (a, b) = thread::scope(|s| {
            let a = s.spawn(|| {
                barrier.wait();
                q.claim(t.id, "c1", 10)
            });
            let b = s.spawn(|| {
                barrier.wait();
                other.claim(t.id, "c2", 10)
            });
            (a.join().expect("thread a"), b.join().expect("thread b"))
        });
        let winner = match (&a, &b) {
            (Ok(_), Err(TaskError::Transition { .. })) => "c1",
            (Err(TaskError::Transition { .. }), Ok(_)) => "c2",
            other => panic!("round {round}: exactly one claim must win: {other:?}"),
        };
        assert_eq!(q.get(t.id).expect("get").attempts, 1);
        q.complete(t.id, winner, "ok", 11).expect("complete");
    }
    assert_eq!(open_runs(q.store()), 0);
}

#[test]
fn two_workers_draining_one_queue_take_each_task_exactly_once() {
    let (_dir, path, q) = temp_queue(RetryPolicy::default());
    let n = 150;
    for i in 0..n {
        submit(&q, &format!("job {i}"), None, None);
    }
    let other = open_queue(&path, RetryPolicy::default());
    let drain = |queue: &TaskQueue, slot: &str| {
        let view = SlotView::new(slot, "coder", true);
        let mut taken = Vec::new();
        while let Some(t) = queue.claim_next(&view, 20).expect("claim_next") {
            queue.complete(t.id, slot, slot, 21).expect("complete");
            taken.push(t.id);
        }
        taken
    };
    let (a, b) = thread::scope(|s| {
        let a = s.spawn(|| drain(&q, "c1"));
        let b = s.spawn(|| drain(&other, "c2"));
        (a.join().expect("a"), b.join().expect("b"))
    });
    let mut all: Vec<TaskId> = a.iter().chain(&b).copied().collect();
    all.sort();
    let expected: Vec<TaskId> = (1..=n).map(TaskId).collect();
    assert_eq!(all, expected, "every task taken once, none twice");
    for t in all_tasks(q.store()) {
        assert_eq!((t.status, t.attempts), (TaskStatus::Done, 1), "{}", t.id);
        // The answer names the slot that claimed it: the claimer and the finisher agree.
        let claimer = if a.contains(&t.id) { "c1" } else { "c2" };
        assert_eq!(t.result.as_deref(), Some(claimer));
    }
}

#[test]
fn a_thousand_tasks_run_in_priority_then_arrival_order() {
    let (_dir, _path, q) = temp_queue(RetryPolicy::default());
    // Deterministic pseudo-random priorities in -100..=100 (a small LCG).
    let mut seed: u64 = 0x9e37_79b9;
    let mut submitted = Vec::new();
    for i in 0..1000 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let priority = ((seed >> 33) % 201) as i32 - 100;
        let t = q
            .submit(
                &request(&format!("job {i}"), None, None, priority),
                &slots(),
                i,
            )
            .expect("submit");
        submitted.push((priority, t.id));
    }
    let mut expected = submitted.clone();
    expected.sort_by_key(|(p, id)| (std::cmp::Reverse(*p), *id));
    let expected: Vec<TaskId> = expected.into_iter().map(|(_, id)| id).collect();

    let listed: Vec<TaskId> = q
        .queued(u32::MAX)
        .expect("queued")
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(listed, expected);
    assert_eq!(q.position(expected[0]).expect("pos"), Some(0));
    assert_eq!(q.position(expected[999]).expect("pos"), Some(999));
    assert_eq!(q.position(expected[500]).expect("pos"), Some(500));

    let one = [SlotView::new("c1", "coder", true)];
    let mut ran = Vec::new();
    loop {
        let started = q.assign(&one, 5).expect("assign");
        let Some(t) = started.first() else { break };
        assert_eq!(started.len(), 1, "one slot takes one task");
        q.complete(t.id, "c1", "ok", 6).expect("complete");
        ran.push(t.id);
    }
    assert_eq!(ran, expected);
}
