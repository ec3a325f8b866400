//! What happens to a slot's process outside anyone's request, for the parts of the daemon
//! that must react (the task dispatcher requeues the task of a lost slot with
//! `TaskQueue::slot_lost(slot, reason, returns, now)` and hands work to a restarted one).
//!
//! Subscribe with [`SlotEvents::subscribe`]; a slow subscriber that falls behind gets
//! `RecvError::Lagged` and should re-read the slots' states.

use tokio::sync::broadcast;

/// How many events a subscriber may fall behind before it lags.
const CAPACITY: usize = 256;

/// One lifecycle event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotEvent {
    /// The slot's process ended without the daemon asking (crash, `kill -9`), or the
    /// daemon ended it to restart it (stuck, context full). Its turn is gone.
    Lost {
        /// The slot.
        slot: String,
        /// Why, for messages (`exited unexpectedly (code 1)`, `stuck`, ...).
        reason: String,
        /// The daemon will start it again (false: it gave up).
        returns: bool,
    },
    /// The slot runs again after a [`SlotEvent::Lost`], with a fresh session.
    Restarted {
        /// The slot.
        slot: String,
        /// Claude Code's new session id, when it is Claude Code.
        session_id: Option<String>,
    },
}

// Subscribers (the task dispatcher) are wired separately; the API is kept whole.
#[allow(dead_code)]
impl SlotEvent {
    /// The slot concerned.
    pub fn slot(&self) -> &str {
        match self {
            SlotEvent::Lost { slot, .. } | SlotEvent::Restarted { slot, .. } => slot,
        }
    }
}

/// The daemon's lifecycle event channel.
pub struct SlotEvents {
    tx: broadcast::Sender<SlotEvent>,
}

impl Default for SlotEvents {
    fn default() -> Self {
        SlotEvents {
            tx: broadcast::channel(CAPACITY).0,
        }
    }
}

impl SlotEvents {
    /// Events from now on.
    #[allow(dead_code)]
    pub fn subscribe(&self) -> broadcast::Receiver<SlotEvent> {
        self.tx.subscribe()
    }

    /// Publish `event` (nobody listening is fine).
    pub fn send(&self, event: SlotEvent) {
        tracing::debug!(?event, "slot event");
        let _ = self.tx.send(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribers_get_events_sent_after_they_subscribe() {
        let events = SlotEvents::default();
        events.send(SlotEvent::Restarted {
            slot: "early".into(),
            session_id: None,
        });
        let mut rx = events.subscribe();
        events.send(SlotEvent::Lost {
            slot: "c1".into(),
            reason: "stuck".into(),
            returns: true,
        });
        let got = rx.try_recv().expect("one event");
        assert_eq!(got.slot(), "c1");
        assert!(rx.try_recv().is_err());
    }
}
