//! What happens in the daemon, as events for live subscribers (the WebSocket `/events`
//! and `/tasks` routes). Publishing never blocks and never fails: with no subscriber an
//! event is dropped, and a subscriber that falls behind is told how many it missed.

use missiond_core::catalogue::SlotState;
use missiond_core::tasks::TaskId;
use serde::Serialize;
use tokio::sync::broadcast;

/// How many events a slow subscriber may fall behind before it loses some.
const BACKLOG: usize = 1024;

/// One event. Serialised as `{"type": "task_started", "taskId": ..., ...}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum DaemonEvent {
    /// A slot's state changed (screen and hooks merged, as `mission_pty_status` says).
    SlotState {
        slot_id: String,
        state: SlotState,
        previous: SlotState,
    },
    /// A task was queued.
    TaskQueued {
        task_id: TaskId,
        slot_id: Option<String>,
        role: Option<String>,
        priority: i32,
    },
    /// A task started on a slot.
    TaskStarted {
        task_id: TaskId,
        slot_id: String,
        attempt: u32,
    },
    /// A task's run on a slot ended; `status` is the task's status after it (`done`,
    /// `failed`, `queued` again after its slot died, ...).
    TaskEnded {
        task_id: TaskId,
        slot_id: String,
        status: String,
    },
    /// A task was cancelled.
    TaskCancelled { task_id: TaskId },
    /// A Claude Code session's process is seen running (any session on the machine, see
    /// `cc_watch`), or its status changed while it runs (`previous` is then set).
    CcSessionActive {
        session_id: String,
        status: String,
        previous: Option<String>,
        waiting_for: Option<String>,
        cwd: Option<String>,
        pid: u32,
        config_dir: String,
    },
    /// A Claude Code session's process is gone (exited or killed).
    CcSessionInactive {
        session_id: String,
        cwd: Option<String>,
        pid: u32,
        config_dir: String,
    },
    /// A Claude Code task list changed (tasks added, removed or edited).
    CcTasksChanged {
        task_list_id: String,
        config_dir: String,
        total: u64,
        pending: u64,
        in_progress: u64,
        completed: u64,
    },
    /// A task of a Claude Code task list went to `in_progress`.
    CcTaskStarted {
        task_list_id: String,
        config_dir: String,
        task_id: String,
        subject: String,
        owner: Option<String>,
    },
    /// A task of a Claude Code task list went to `completed`.
    CcTaskCompleted {
        task_list_id: String,
        config_dir: String,
        task_id: String,
        subject: String,
        owner: Option<String>,
    },
}

impl DaemonEvent {
    /// Whether the event is about the task queue (what `/tasks` streams).
    pub fn is_task_event(&self) -> bool {
        !matches!(self, DaemonEvent::SlotState { .. })
    }
}

/// The daemon's event bus.
pub struct EventBus {
    tx: broadcast::Sender<DaemonEvent>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus {
            tx: broadcast::channel(BACKLOG).0,
        }
    }
}

impl EventBus {
    /// Tell every current subscriber.
    pub fn publish(&self, event: DaemonEvent) {
        let _ = self.tx.send(event);
    }

    /// Events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<DaemonEvent> {
        self.tx.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_a_type_tag_and_camel_case_fields() {
        let e = DaemonEvent::TaskStarted {
            task_id: TaskId(7),
            slot_id: "c1".into(),
            attempt: 2,
        };
        let v = serde_json::to_value(&e).expect("json");
        assert_eq!(v["type"], "task_started");
        assert_eq!(v["slotId"], "c1");
        assert_eq!(v["attempt"], 2);
        assert_eq!(v["taskId"], serde_json::to_value(TaskId(7)).expect("id"));
        assert!(e.is_task_event());
    }

    #[test]
    fn a_subscriber_gets_what_is_published_after_it_subscribed() {
        let bus = EventBus::default();
        bus.publish(DaemonEvent::TaskCancelled { task_id: TaskId(1) });
        let mut rx = bus.subscribe();
        bus.publish(DaemonEvent::TaskCancelled { task_id: TaskId(2) });
        assert_eq!(
            rx.try_recv().expect("one event"),
            DaemonEvent::TaskCancelled { task_id: TaskId(2) }
        );
        assert!(rx.try_recv().is_err());
    }
}
