//! Crashes and dead slots: every task accounted for, none lost, none run twice.

use super::*;
use crate::inbox::{InboxKind, InboxQuery};

#[test]
fn a_change_cut_short_leaves_the_task_where_it_was() {
    let (_dir, path, q) = temp_queue(RetryPolicy::default());
    let t = submit(&q, "p", None, None);
    // Start the task, then fail before the transaction ends (as a crash would).
    let cut: Result<(), TaskError> = q.store().write("test", |tx| {
        crate::store::tasks::start(tx, t.id, "c1", 5).expect("first statements");
        Err(TaskError::Invalid {
            field: "crash",
            message: "cut short".into(),
        })
    });
    assert!(cut.is_err());
    drop(q);
    let q = open_queue(&path, RetryPolicy::default());
    let t = q.get(t.id).expect("get");
    assert_eq!(
        (t.status, t.attempts, t.assigned_slot),
        (TaskStatus::Queued, 0, None)
    );
    assert_eq!(open_runs(q.store()), 0);
}

#[test]
fn after_a_crash_every_task_is_accounted_for_and_runs_once() {
    let (_dir, path, q) = temp_queue(RetryPolicy::default());
    let ids: Vec<TaskId> = (0..8)
        .map(|i| submit(&q, &format!("job {i}"), None, None).id)
        .collect();
    let started = q.assign(&slots(), 100).expect("assign");
    assert_eq!(started.len(), 3);
    q.complete(started[0].id, "c1", "first answer", 110)
        .expect("complete");
    let started = q.assign(&slots(), 120).expect("assign c1 again");
    assert_eq!(started.len(), 1);
    // The daemon dies here: c1, c2, r1 each hold a task; nothing is cleaned up.
    drop(q);

    let q = open_queue(&path, RetryPolicy::default());
    let report = q.recover_after_restart(200).expect("recover");
    assert_eq!(report.requeued.len(), 3);
    assert!(report.failed.is_empty());
    assert_eq!(report.queued, 7);
    let notice = report.notice.expect("a notice");
    let inbox = q
        .store()
        .inbox_messages(&InboxQuery {
            unread_only: false,
            since_id: None,
            limit: 100,
        })
        .expect("inbox");
    let notice = inbox.iter().find(|m| m.id == notice).expect("posted");
    assert_eq!(notice.kind, InboxKind::Notice);
    assert!(
        notice.text.contains("3 interrupted task(s) requeued"),
        "{}",
        notice.text
    );
    assert_eq!(
        inbox
            .iter()
            .filter(|m| m.kind == InboxKind::TaskRetried)
            .count(),
        3
    );
    assert_eq!(open_runs(q.store()), 0);
    // Recovering again finds nothing more to do.
    let again = q.recover_after_restart(210).expect("recover again");
    assert_eq!((again.requeued.len(), again.notice), (0, None));

    // Drain the queue: every task ends done, each with exactly one successful run.
    loop {
        let started = q.assign(&slots(), 300).expect("assign");
        if started.is_empty() {
            break;
        }
        for t in started {
            let slot = t.assigned_slot.clone().expect("slot");
            q.complete(t.id, &slot, "answer", 301).expect("complete");
        }
    }
    let tasks = all_tasks(q.store());
    assert_eq!(tasks.iter().map(|t| t.id).collect::<Vec<_>>(), ids);
    for t in &tasks {
        assert_eq!(t.status, TaskStatus::Done, "{}", t.id);
        let runs = q.store().task_runs(t.id).expect("runs");
        assert_eq!(runs.len() as u32, t.attempts, "{}", t.id);
        let done = runs
            .iter()
            .filter(|r| r.outcome == Some(RunOutcome::Done))
            .count();
        assert_eq!(done, 1, "{} ran to completion once", t.id);
        assert!(runs.iter().all(|r| r.ended_at.is_some()));
    }
    let retried = tasks.iter().filter(|t| t.attempts == 2).count();
    assert_eq!(retried, 3);
}

#[test]
fn a_task_interrupted_too_often_fails_with_the_reason() {
    let policy = RetryPolicy {
        max_attempts: 2,
        ..RetryPolicy::default()
    };
    let (_dir, path, q) = temp_queue(policy);
    let t = submit(&q, "fragile", None, Some("coder"));
    let mut q = q;
    for round in 0..2 {
        assert_eq!(
            q.assign(&slots(), 10).expect("assign").len(),
            1,
            "round {round}"
        );
        drop(q);
        q = open_queue(&path, policy);
        let report = q.recover_after_restart(20).expect("recover");
        if round == 0 {
            assert_eq!(report.requeued, [t.id]);
        } else {
            assert_eq!(report.failed.len(), 1);
            assert!(
                report.failed[0].1.contains("gave up after 2 attempts"),
                "{:?}",
                report.failed
            );
        }
    }
    let t = q.get(t.id).expect("get");
    assert_eq!((t.status, t.attempts), (TaskStatus::Failed, 2));
    assert!(
        t.error
            .as_deref()
            .unwrap_or("")
            .contains("daemon restarted")
    );
    let failed = q
        .store()
        .inbox_messages(&InboxQuery::default())
        .expect("inbox")
        .into_iter()
        .filter(|m| m.kind == InboxKind::TaskFailed)
        .count();
    assert_eq!(failed, 1);
}

#[test]
fn a_dead_slot_hands_its_task_to_another_of_the_role() {
    let (_dir, _path, q) = temp_queue(RetryPolicy::default());
    let t = submit(&q, "refactor", None, Some("coder"));
    assert_eq!(
        q.claim(t.id, "c1", 1)
            .expect("claim")
            .assigned_slot
            .as_deref(),
        Some("c1")
    );
    let r = q
        .slot_lost("c1", "process exited (code 1)", false, 2)
        .expect("lost")
        .expect("had a task");
    assert_eq!(
        (r.task.status, r.slot_id.as_str()),
        (TaskStatus::Queued, "c1")
    );
    assert!(
        r.task
            .error
            .as_deref()
            .unwrap_or("")
            .contains("process exited")
    );
    // c1 is gone; the task goes to c2, never to the reviewer.
    let views = [
        SlotView::new("c1", "coder", false),
        SlotView::new("r1", "reviewer", true),
        SlotView::new("c2", "coder", true),
    ];
    let started = q.assign(&views, 3).expect("assign");
    assert_eq!(started.len(), 1);
    assert_eq!(
        (started[0].assigned_slot.as_deref(), started[0].attempts),
        (Some("c2"), 2)
    );
    let runs = q.store().task_runs(t.id).expect("runs");
    assert_eq!(runs[1].outcome, Some(RunOutcome::Interrupted));
    assert_eq!(runs[0].outcome, None, "the run on c2 is open");
    // A late answer from the dead slot is refused: the task runs on c2 now.
    assert!(matches!(
        q.complete(t.id, "c1", "stale", 4),
        Err(TaskError::WrongSlot { .. })
    ));
}

#[test]
fn a_pinned_task_fails_with_its_slot_unless_told_to_wait() {
    for requeue_pinned in [false, true] {
        let policy = RetryPolicy {
            requeue_pinned,
            ..RetryPolicy::default()
        };
        let (_dir, _path, q) = temp_queue(policy);
        let t = submit(&q, "only on c2", Some("c2"), None);
        q.claim(t.id, "c2", 1).expect("claim");
        let r = q
            .slot_lost("c2", "killed", false, 2)
            .expect("lost")
            .expect("task");
        if requeue_pinned {
            assert_eq!(r.task.status, TaskStatus::Queued);
        } else {
            assert_eq!(r.task.status, TaskStatus::Failed);
            let why = r.task.error.unwrap_or_default();
            assert!(
                why.contains("slot `c2` stopped: killed") && why.contains("pinned"),
                "{why}"
            );
        }
    }
}

/// The child side of the SIGKILL test: works the queue until killed. Run only by
/// `a_daemon_killed_mid_work_loses_and_duplicates_nothing`.
#[test]
#[ignore = "run as a child process by the SIGKILL test"]
fn crash_child_worker() {
    let Some(db) = std::env::var_os("MISSIOND_TASKS_CRASH_DB") else {
        return;
    };
    let q = open_queue(
        Path::new(&db),
        RetryPolicy {
            max_attempts: 100,
            requeue_pinned: true,
        },
    );
    let views = slots();
    for i in 0u64.. {
        let role = ["coder", "reviewer"][(i % 2) as usize];
        q.submit(
            &request(&format!("job {i}"), None, Some(role), (i % 7) as i32),
            &views,
            1,
        )
        .expect("child submit");
        q.assign(&views, 2).expect("child assign");
        // Finish the oldest running task every other step, so some stay running.
        if i % 2 == 0
            && let Some(t) = q
                .store()
                .tasks_with_status(TaskStatus::Running, 1)
                .expect("list")
                .pop()
        {
            let slot = t.assigned_slot.clone().expect("slot");
            q.complete(t.id, &slot, &format!("answer {}", t.id), 3)
                .expect("child complete");
        }
    }
}

#[cfg(unix)]
#[test]
fn a_daemon_killed_mid_work_loses_and_duplicates_nothing() {
    let (_dir, path, q) = temp_queue(RetryPolicy::default());
    drop(q);
    let exe = std::env::current_exe().expect("test binary");
    let mut child = std::process::Command::new(exe)
        .args([
            "--ignored",
            "--exact",
            "tasks::tests::crash::crash_child_worker",
            "--nocapture",
        ])
        .env("MISSIOND_TASKS_CRASH_DB", &path)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn child");
    // Wait until the child has done real work (bounded, so a broken child fails).
    let watcher = Store::open(&path).expect("watch");
    let mut enough = false;
    for _ in 0..2_000 {
        let counts = watcher.task_counts().expect("counts");
        if counts[2] >= 40 && counts[1] >= 1 {
            enough = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL the child");
    let status = child.wait().expect("reap");
    assert!(enough, "the child never got going (exit: {status})");
    drop(watcher);

    let q = open_queue(&path, RetryPolicy::default());
    let before = all_tasks(q.store());
    let done_before: Vec<(TaskId, Option<String>)> = before
        .iter()
        .filter(|t| t.status == TaskStatus::Done)
        .map(|t| (t.id, t.result.clone()))
        .collect();
    let running_before: Vec<TaskId> = before
        .iter()
        .filter(|t| t.status == TaskStatus::Running)
        .map(|t| t.id)
        .collect();
    assert!(
        !running_before.is_empty(),
        "the kill should catch tasks running"
    );
    let report = q.recover_after_restart(10).expect("recover");
    assert_eq!(report.requeued, running_before);
    assert_eq!(open_runs(q.store()), 0);

    let after = all_tasks(q.store());
    // Ids are dense from 1: no task vanished, and each id is one task.
    let ids: Vec<i64> = after.iter().map(|t| t.id.0).collect();
    assert_eq!(ids, (1..=after.len() as i64).collect::<Vec<_>>());
    assert_eq!(after.len(), before.len());
    for t in &after {
        assert_ne!(t.status, TaskStatus::Running, "{}", t.id);
        let runs = q.store().task_runs(t.id).expect("runs");
        assert_eq!(runs.len() as u32, t.attempts, "{}: one run per start", t.id);
        let done_runs = runs
            .iter()
            .filter(|r| r.outcome == Some(RunOutcome::Done))
            .count();
        assert_eq!(
            done_runs,
            usize::from(t.status == TaskStatus::Done),
            "{}",
            t.id
        );
        if t.status == TaskStatus::Done {
            assert_eq!(
                t.result.as_deref(),
                Some(format!("answer {}", t.id).as_str())
            );
        }
    }
    for (id, result) in done_before {
        let t = q.get(id).expect("done task kept");
        assert_eq!((t.status, t.result), (TaskStatus::Done, result));
    }
}

#[test]
fn a_pinned_task_waits_for_a_restarting_slot() {
    let (_dir, _path, q) = temp_queue(RetryPolicy::default());
    let t = submit(&q, "only on c2", Some("c2"), None);
    q.claim(t.id, "c2", 1).expect("claim");
    let r = q
        .slot_lost("c2", "restarting", true, 2)
        .expect("lost")
        .expect("task");
    assert_eq!(r.task.status, TaskStatus::Queued);
    assert!(
        q.slot_lost("c2", "again", true, 3).expect("lost").is_none(),
        "nothing runs there"
    );
    let views = [
        SlotView::new("c1", "coder", true),
        SlotView::new("c2", "coder", true),
    ];
    let started = q.assign(&views, 4).expect("assign");
    assert_eq!(started[0].assigned_slot.as_deref(), Some("c2"));
}

#[test]
fn tasks_no_configured_slot_can_run_fail_instead_of_waiting_forever() {
    let (_dir, _path, q) = temp_queue(RetryPolicy::default());
    let pinned = submit(&q, "p", Some("c2"), None);
    let by_role = submit(&q, "r", None, Some("reviewer"));
    let anywhere = submit(&q, "a", None, None);
    let fine = submit(&q, "c", None, Some("coder"));
    // c2 and r1 were removed from slots.yaml.
    let now = [SlotView::new("c1", "coder", false)];
    let failed = q.fail_unroutable(&now, 5).expect("fail");
    let ids: Vec<TaskId> = failed.iter().map(|t| t.id).collect();
    assert_eq!(ids, [pinned.id, by_role.id]);
    assert!(
        failed[0]
            .error
            .as_deref()
            .unwrap_or("")
            .contains("`c2` is no longer configured")
    );
    assert!(
        failed[1]
            .error
            .as_deref()
            .unwrap_or("")
            .contains("role `reviewer`")
    );
    for id in [anywhere.id, fine.id] {
        assert_eq!(q.get(id).expect("get").status, TaskStatus::Queued);
    }
    let inbox = q
        .store()
        .inbox_messages(&InboxQuery::default())
        .expect("inbox");
    assert_eq!(
        inbox
            .iter()
            .filter(|m| m.kind == InboxKind::TaskFailed)
            .count(),
        2
    );
    assert!(q.fail_unroutable(&[], 6).expect("none configured").len() == 2);
}

#[test]
fn the_database_itself_refuses_two_open_runs_on_a_slot_or_a_task() {
    let (_dir, _path, q) = temp_queue(RetryPolicy::default());
    let a = submit(&q, "a", None, None);
    let b = submit(&q, "b", None, None);
    q.claim(a.id, "c1", 1).expect("claim");
    let conn = q.store().conn();
    let insert = |task: TaskId, slot: &str| {
        conn.execute(
            "INSERT INTO task_runs (task_id, slot_id, attempt, started_at) VALUES (?1, ?2, 1, 2)",
            rusqlite::params![task.0, slot],
        )
    };
    let second_on_slot = insert(b.id, "c1").expect_err("c1 already runs a");
    assert!(
        second_on_slot.to_string().contains("UNIQUE"),
        "{second_on_slot}"
    );
    let second_of_task = insert(a.id, "c2").expect_err("a already runs on c1");
    assert!(
        second_of_task.to_string().contains("UNIQUE"),
        "{second_of_task}"
    );
    let running_nowhere = conn
        .execute(
            "UPDATE tasks SET assigned_slot = NULL WHERE id = ?1",
            [a.id.0],
        )
        .expect_err("a running task has a slot");
    assert!(
        running_nowhere.to_string().contains("CHECK"),
        "{running_nowhere}"
    );
}
