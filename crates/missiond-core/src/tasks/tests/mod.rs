//! Task queue tests, on real SQLite files.

mod concurrency;
mod crash;
mod lifecycle;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::store::Store;

/// A queue on a fresh database file; keep the `TempDir` alive.
fn temp_queue(policy: RetryPolicy) -> (tempfile::TempDir, PathBuf, TaskQueue) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mission.db");
    let queue = open_queue(&path, policy);
    (dir, path, queue)
}

fn open_queue(path: &Path, policy: RetryPolicy) -> TaskQueue {
    TaskQueue::new(Arc::new(Store::open(path).expect("open store")), policy)
}

/// Two coders and a reviewer, all idle.
fn slots() -> Vec<SlotView> {
    vec![
        SlotView::new("c1", "coder", true),
        SlotView::new("c2", "coder", true),
        SlotView::new("r1", "reviewer", true),
    ]
}

fn request(prompt: &str, slot: Option<&str>, role: Option<&str>, priority: i32) -> SubmitRequest {
    SubmitRequest {
        prompt: prompt.to_string(),
        slot_id: slot.map(String::from),
        role: role.map(String::from),
        priority: Some(priority),
        ask: false,
    }
}

fn submit(q: &TaskQueue, prompt: &str, slot: Option<&str>, role: Option<&str>) -> Task {
    q.submit(&request(prompt, slot, role, 0), &slots(), 1_000)
        .expect("submit")
}

/// Every task, by id.
fn all_tasks(store: &Store) -> Vec<Task> {
    let mut out = Vec::new();
    for status in TaskStatus::ALL {
        out.extend(store.tasks_with_status(status, u32::MAX).expect("list"));
    }
    out.sort_by_key(|t| t.id);
    out
}

/// Runs still open (a slot holding a task).
fn open_runs(store: &Store) -> i64 {
    store
        .conn()
        .query_row(
            "SELECT count(*) FROM task_runs WHERE ended_at IS NULL",
            [],
            |r| r.get(0),
        )
        .expect("count")
}
