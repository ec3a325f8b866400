use proptest::prelude::*;

use super::*;
use crate::tasks::TaskOrigin;

/// A queued task: id, priority, pinned slot, role.
fn task(id: i64, priority: i32, slot: Option<&str>, role: Option<&str>) -> Task {
    Task {
        id: TaskId(id),
        prompt: format!("p{id}"),
        slot_id: slot.map(String::from),
        role: role.map(String::from),
        priority,
        origin: TaskOrigin::Submit,
        status: TaskStatus::Queued,
        assigned_slot: None,
        attempts: 0,
        max_attempts: 3,
        result: None,
        error: None,
        created_at: id,
        started_at: None,
        ended_at: None,
    }
}

fn free(id: i64) -> Task {
    task(id, 0, None, None)
}

fn slot(id: &str, role: &str, idle: bool) -> SlotView {
    SlotView::new(id, role, idle)
}

/// Assignments as (task number, slot) pairs.
fn pairs(out: &[Assignment]) -> Vec<(i64, &str)> {
    out.iter()
        .map(|a| (a.task_id.0, a.slot_id.as_str()))
        .collect()
}

#[test]
fn routing_table() {
    struct Case {
        name: &'static str,
        tasks: Vec<Task>,
        slots: Vec<SlotView>,
        want: Vec<(i64, &'static str)>,
    }
    let coder_reviewer = || {
        vec![
            slot("c1", "coder", true),
            slot("c2", "coder", true),
            slot("r1", "reviewer", true),
        ]
    };
    let cases = vec![
        Case {
            name: "empty queue",
            tasks: vec![],
            slots: coder_reviewer(),
            want: vec![],
        },
        Case {
            name: "no idle slot: everything waits",
            tasks: vec![free(1), task(2, 0, None, Some("coder"))],
            slots: vec![slot("c1", "coder", false), slot("r1", "reviewer", false)],
            want: vec![],
        },
        Case {
            name: "no role, no slot: first idle slot, busy ones skipped",
            tasks: vec![free(1)],
            slots: vec![slot("c1", "coder", false), slot("r1", "reviewer", true)],
            want: vec![(1, "r1")],
        },
        Case {
            name: "role: first idle slot of that role",
            tasks: vec![task(1, 0, None, Some("reviewer"))],
            slots: coder_reviewer(),
            want: vec![(1, "r1")],
        },
        Case {
            name: "role with every slot busy waits, other roles stay free",
            tasks: vec![task(1, 0, None, Some("coder"))],
            slots: vec![
                slot("c1", "coder", false),
                slot("c2", "coder", false),
                slot("r1", "reviewer", true),
            ],
            want: vec![],
        },
        Case {
            name: "explicit slot wins over role",
            tasks: vec![task(1, 0, Some("c2"), Some("reviewer"))],
            slots: coder_reviewer(),
            want: vec![(1, "c2")],
        },
        Case {
            name: "explicit busy slot: the task waits without blocking the next",
            tasks: vec![task(1, 9, Some("c1"), None), free(2)],
            slots: vec![slot("c1", "coder", false), slot("c2", "coder", true)],
            want: vec![(2, "c2")],
        },
        Case {
            name: "unknown slot or role waits, others proceed",
            tasks: vec![
                task(1, 5, Some("ghost"), None),
                task(2, 5, None, Some("poet")),
                free(3),
            ],
            slots: coder_reviewer(),
            want: vec![(3, "c1")],
        },
        Case {
            name: "priority beats arrival",
            tasks: vec![free(1), task(2, 5, None, None), task(3, -1, None, None)],
            slots: vec![slot("c1", "coder", true)],
            want: vec![(2, "c1")],
        },
        Case {
            name: "same priority: arrival order, whatever the input order",
            tasks: vec![free(7), free(3), free(5)],
            slots: vec![slot("a", "x", true), slot("b", "x", true)],
            want: vec![(3, "a"), (5, "b")],
        },
        Case {
            name: "one task per slot",
            tasks: vec![free(1), free(2), free(3)],
            slots: vec![slot("a", "x", true), slot("b", "x", true)],
            want: vec![(1, "a"), (2, "b")],
        },
        Case {
            name: "a flexible task leaves the slot a later pinned task needs",
            tasks: vec![free(1), task(2, 0, Some("c1"), None)],
            slots: coder_reviewer(),
            want: vec![(1, "c2"), (2, "c1")],
        },
        Case {
            name: "a task naming no role leaves the role a later task needs",
            tasks: vec![free(1), task(2, 0, None, Some("reviewer"))],
            slots: vec![slot("r1", "reviewer", true), slot("c1", "coder", true)],
            want: vec![(1, "c1"), (2, "r1")],
        },
        Case {
            name: "but an earlier task still gets the only slot it can use",
            tasks: vec![free(1), task(2, 0, Some("c1"), None)],
            slots: vec![slot("c1", "coder", true)],
            want: vec![(1, "c1")],
        },
        Case {
            name: "tasks that are not queued are ignored",
            tasks: vec![
                Task {
                    status: TaskStatus::Running,
                    ..free(1)
                },
                Task {
                    status: TaskStatus::Done,
                    ..free(2)
                },
                free(3),
            ],
            slots: coder_reviewer(),
            want: vec![(3, "c1")],
        },
    ];
    for case in cases {
        let out = route(&case.tasks, &case.slots);
        assert_eq!(pairs(&out), case.want, "{}", case.name);
    }
}

fn arb_task() -> impl Strategy<Value = (i32, Option<usize>, Option<usize>)> {
    (
        -2..3i32,
        prop::option::of(0..5usize),
        prop::option::of(0..3usize),
    )
}

proptest! {
    /// Whatever the queue: each task and each slot is used at most once, only idle
    /// slots that accept the task are used, and no idle slot is left unused while a
    /// task it accepts waits.
    #[test]
    fn assignments_are_valid_and_maximal(
        specs in prop::collection::vec(arb_task(), 0..30),
        idle in prop::collection::vec(any::<bool>(), 5),
    ) {
        let roles = ["a", "b", "c"];
        let slots: Vec<SlotView> = idle
            .iter()
            .enumerate()
            .map(|(i, idle)| slot(&format!("s{i}"), roles[i % 2], *idle))
            .collect();
        let tasks: Vec<Task> = specs
            .iter()
            .enumerate()
            .map(|(i, (p, s, r))| {
                let slot_name = s.map(|s| format!("s{s}"));
                task(i as i64 + 1, *p, slot_name.as_deref(), r.map(|r| roles[r]))
            })
            .collect();
        let out = route(&tasks, &slots);
        let mut used_slots = std::collections::HashSet::new();
        let mut used_tasks = std::collections::HashSet::new();
        for a in &out {
            prop_assert!(used_slots.insert(a.slot_id.clone()), "slot twice");
            prop_assert!(used_tasks.insert(a.task_id), "task twice");
            let s = slots.iter().find(|s| s.slot_id == a.slot_id).expect("known slot");
            let t = tasks.iter().find(|t| t.id == a.task_id).expect("known task");
            prop_assert!(s.idle && s.accepts(t));
        }
        for s in slots.iter().filter(|s| s.idle && !used_slots.contains(&s.slot_id)) {
            let waiting = tasks.iter().find(|t| !used_tasks.contains(&t.id) && s.accepts(t));
            prop_assert!(waiting.is_none(), "{} idle while {:?} waits", s.slot_id, waiting);
        }
    }
}

#[test]
fn a_task_naming_no_slot_or_role_is_never_routed_to_the_memory_slot() {
    let slots = [slot("mem", "memory", true), slot("w", "coder", false)];
    assert!(
        route(&[free(1)], &slots).is_empty(),
        "only the memory slot is idle"
    );
    let slots = [slot("mem", "memory", true), slot("w", "coder", true)];
    assert_eq!(pairs(&route(&[free(1)], &slots)), vec![(1, "w")]);
    // Named, it goes there.
    let pinned = task(2, 0, Some("mem"), None);
    assert_eq!(pairs(&route(&[pinned], &slots)), vec![(2, "mem")]);
    let by_role = task(3, 0, None, Some("memory"));
    assert_eq!(pairs(&route(&[by_role], &slots)), vec![(3, "mem")]);
}
