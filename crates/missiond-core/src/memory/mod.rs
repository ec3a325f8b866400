//! Memory extraction: the queue of conversation pieces a `memory` slot turns into
//! knowledge entries.
//!
//! - **Real-time items** are made as messages are stored (`Store::ingest_transcript`,
//!   the one place every recorded conversation passes through): when a stored assistant
//!   line ends a turn, the messages since the conversation's last item become one item.
//! - **Deep items** cover whole conversations (what was not yet analysed) once they have
//!   been quiet for a while: periodically, or on demand (`Store::memory_queue_deep`).
//! - **Leases**: an item handed out is leased to the memory slot until a deadline; a
//!   crash or a finished turn without `mission_memory_done` returns it to the queue
//!   (`memory_release`), and so does an expired lease. Done items are never handed out
//!   again; an item out of attempts fails.
//! - **Pause** with a deadline: nothing is handed out until it passes (or a resume).
//!
//! [`inject`] picks the knowledge entries put in front of an agent's prompt.

pub mod config;
pub mod inject;
mod render;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use render::{RenderedMessage, render_messages};

/// Default lease of an item handed out (15 minutes).
pub const LEASE_MS_DEFAULT: i64 = 15 * 60 * 1000;
/// Default number of tries before an item fails.
pub const MAX_ATTEMPTS_DEFAULT: u32 = 3;
/// Default bound of one item's text.
pub const ITEM_BYTES_DEFAULT: usize = 32 * 1024;
/// Default bound of all items' text in one answer.
pub const TOTAL_BYTES_DEFAULT: usize = 96 * 1024;
/// Largest bound a caller may ask for.
pub const TOTAL_BYTES_MAX: usize = 512 * 1024;

/// Which pass an item is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ItemKind {
    /// The messages of one finished turn (or of the turns since the last item).
    Realtime,
    /// A whole conversation (what was not yet analysed of it).
    Deep,
}

impl ItemKind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Realtime => "realtime",
            ItemKind::Deep => "deep",
        }
    }

    /// From its stored spelling.
    pub fn parse(s: &str) -> Option<ItemKind> {
        match s {
            "realtime" => Some(ItemKind::Realtime),
            "deep" => Some(ItemKind::Deep),
            _ => None,
        }
    }
}

/// Where an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum ItemStatus {
    /// Waiting for the memory slot.
    Pending,
    /// Handed to a memory slot, until its lease ends.
    Leased,
    /// Finished with `mission_memory_done`.
    Done,
    /// Given up after too many tries.
    Failed,
}

impl ItemStatus {
    /// From its stored spelling.
    pub fn parse(s: &str) -> Option<ItemStatus> {
        match s {
            "pending" => Some(ItemStatus::Pending),
            "leased" => Some(ItemStatus::Leased),
            "done" => Some(ItemStatus::Done),
            "failed" => Some(ItemStatus::Failed),
            _ => None,
        }
    }
}

/// One piece of work for the memory slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryItem {
    /// Its id (for `mission_memory_done`).
    pub id: i64,
    /// Real-time or deep.
    pub kind: ItemKind,
    /// The conversation (Claude Code session id).
    pub session_id: String,
    /// The slot (or source) that had the conversation.
    pub slot_id: String,
    /// First message id of the range.
    pub first_message_id: i64,
    /// Last message id of the range.
    pub last_message_id: i64,
    /// Messages in the range (thinking left out).
    pub messages: u64,
    /// Their text's size in bytes.
    pub bytes: u64,
    /// Where it is.
    pub status: ItemStatus,
    /// The memory slot holding it.
    pub lease_slot: Option<String>,
    /// Its lease's end (Unix ms).
    pub lease_until: Option<i64>,
    /// Times handed out.
    pub attempts: u32,
    /// When it was queued (Unix ms).
    pub created_at: i64,
    /// The messages, rendered (filled in when handed out).
    pub text: String,
    /// Whether `text` was cut to its bound.
    pub text_truncated: bool,
}

/// Bounds of one hand-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TakeLimits {
    /// At most this many items.
    pub max_items: u32,
    /// At most this many bytes of text per item.
    pub max_item_bytes: usize,
    /// At most about this many bytes of text in all (the first item always comes).
    pub max_total_bytes: usize,
    /// The lease given, in ms.
    pub lease_ms: i64,
    /// Tries before an item fails.
    pub max_attempts: u32,
}

impl Default for TakeLimits {
    fn default() -> Self {
        TakeLimits {
            max_items: 5,
            max_item_bytes: ITEM_BYTES_DEFAULT,
            max_total_bytes: TOTAL_BYTES_DEFAULT,
            lease_ms: LEASE_MS_DEFAULT,
            max_attempts: MAX_ATTEMPTS_DEFAULT,
        }
    }
}

/// What `mission_memory_done` did with one id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum DoneOutcome {
    /// Marked done now.
    Done,
    /// It was done before (nothing changed).
    AlreadyDone,
    /// It is not leased to the caller (take it with mission_memory_pending first; its
    /// lease may have run out).
    NotLeased,
    /// No item has this id.
    Unknown,
}

/// Items per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueCounts {
    /// Real-time items waiting.
    pub pending_realtime: u64,
    /// Deep items waiting.
    pub pending_deep: u64,
    /// Items leased to a memory slot.
    pub leased: u64,
    /// Items done.
    pub done: u64,
    /// Items given up.
    pub failed: u64,
}

impl QueueCounts {
    /// Items waiting for a memory slot.
    pub fn pending(&self) -> u64 {
        self.pending_realtime + self.pending_deep
    }
}

#[cfg(test)]
mod tests;
