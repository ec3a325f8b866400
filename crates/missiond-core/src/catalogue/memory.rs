//! Memory extraction tools (see [`crate::memory`]): the memory slot takes conversation
//! pieces with `mission_memory_pending` and finishes each with `mission_memory_done`
//! (agent tools of slots whose role is `memory`); the orchestrator pauses, resumes and
//! asks for a deep pass.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Annotations, Tool, ToolDef};
use crate::memory::{DoneOutcome, ItemKind, QueueCounts};

/// The role whose slots extract memory (and alone get the memory agent tools).
pub const MEMORY_ROLE: &str = "memory";
/// Most items one `mission_memory_pending` call hands out.
pub const MEMORY_PENDING_MAX: u32 = 20;
/// Longest pause, in minutes (a week).
pub const MEMORY_PAUSE_MAX_MINUTES: f64 = 7.0 * 24.0 * 60.0;

const CHANGES: Annotations = Annotations {
    read_only_hint: false,
    destructive_hint: false,
    idempotent_hint: false,
    open_world_hint: false,
};

const IDEMPOTENT: Annotations = Annotations {
    idempotent_hint: true,
    ..CHANGES
};

/// `mission_memory_pending`.
pub struct MemoryPending;
/// `mission_memory_done`.
pub struct MemoryDone;
/// `mission_memory_pause`.
pub struct MemoryPause;
/// `mission_memory_resume`.
pub struct MemoryResume;
/// `mission_memory_status`.
pub struct MemoryStatus;
/// `mission_memory_deep`.
pub struct MemoryDeep;

/// Arguments of `mission_memory_pending`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemoryPendingParams {
    /// The memory slot asking (filled in from the calling slot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_id: Option<String>,
    /// At most this many items (default 5, at most 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 20))]
    pub limit: Option<u32>,
    /// About this many bytes of text in all (default 96 KiB, at most 512 KiB); the
    /// first item always comes, cut if needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1024, max = 524288))]
    pub max_bytes: Option<u32>,
}

/// One piece of a conversation to learn from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemoryItemInfo {
    /// Its id: pass it to mission_memory_done when finished.
    pub id: i64,
    /// `realtime` (one finished turn) or `deep` (a whole conversation).
    pub kind: ItemKind,
    /// The conversation (give it as `conversation` to mission_kb_remember).
    pub conversation: String,
    /// The slot that had the conversation.
    pub slot_id: String,
    /// First message id of the range (mission_conversation_get reads around it).
    pub first_message_id: i64,
    /// Last message id of the range.
    pub last_message_id: i64,
    /// Messages in the range.
    pub messages: u64,
    /// Their size in bytes.
    pub bytes: u64,
    /// Times it was handed out (1 the first time).
    pub attempts: u32,
    /// When the lease ends (RFC 3339): finish before, or it goes back to the queue.
    pub lease_until: Option<String>,
    /// The messages, secrets scrubbed, bounded in size.
    pub text: String,
    /// Whether `text` was cut.
    pub text_truncated: bool,
}

/// Result of `mission_memory_pending`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemoryPendingResult {
    /// The items now leased to the caller (empty when there is nothing, or paused).
    pub items: Vec<MemoryItemInfo>,
    /// Set while extraction is paused (RFC 3339 end of the pause).
    pub paused_until: Option<String>,
    /// Items still waiting after these.
    pub remaining: u64,
}

/// Arguments of `mission_memory_done`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemoryDoneParams {
    /// The memory slot finishing (filled in from the calling slot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_id: Option<String>,
    /// The items finished (ids from mission_memory_pending), 1 to 100.
    #[schemars(length(min = 1, max = 100))]
    pub ids: Vec<i64>,
    /// What was learned, in a line (kept with the items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2000))]
    pub note: Option<String>,
}

/// What happened to one id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemoryDoneItem {
    /// The item.
    pub id: i64,
    /// done, alreadyDone, notLeased (not held by the caller: its lease may have run
    /// out) or unknown.
    pub outcome: DoneOutcome,
}

/// Result of `mission_memory_done`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemoryDoneResult {
    /// One entry per id given, in order.
    pub results: Vec<MemoryDoneItem>,
    /// Items still waiting.
    pub remaining: u64,
}

/// Arguments of `mission_memory_pause`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemoryPauseParams {
    /// Minutes until extraction resumes by itself (more than 0, at most 10080).
    #[schemars(range(max = 10080))]
    pub ttl_minutes: f64,
}

/// The memory queue's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemoryStatusResult {
    /// Items per status.
    pub counts: QueueCounts,
    /// Set while paused: when it resumes by itself (RFC 3339).
    pub paused_until: Option<String>,
    /// The slots that extract (role `memory`).
    pub memory_slots: Vec<String>,
    /// Whether the daemon prompts memory slots itself (`extraction.enabled` in
    /// memory.yaml).
    pub driving: bool,
}

/// Arguments of `mission_memory_deep`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemoryDeepParams {
    /// Only this conversation (its session id); default every conversation with
    /// messages not yet analysed, however recent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub conversation: Option<String>,
}

/// Result of `mission_memory_deep`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemoryDeepResult {
    /// Ids of the deep items queued now.
    pub queued: Vec<i64>,
    /// Items per status afterwards.
    pub counts: QueueCounts,
}

impl Tool for MemoryPending {
    const NAME: &'static str = "mission_memory_pending";
    const TITLE: &'static str = "Take conversation pieces to learn from";
    const DESCRIPTION: &'static str = "For memory slots: hands out pieces of the team's \
        conversations (one finished turn, or a whole conversation for a deep pass), with \
        their text (secrets scrubbed, bounded by maxBytes), each leased to you. Read each, \
        keep what the team will need again with mission_kb_remember (category, tier, \
        tags, and the item's conversation), then finish it with mission_memory_done. An \
        item not finished before leaseUntil, or when your turn ends, goes back to the \
        queue. Returns no items while extraction is paused (pausedUntil says until when).";
    const ANNOTATIONS: Annotations = CHANGES;
    type Params = MemoryPendingParams;
    type Output = MemoryPendingResult;
}

impl Tool for MemoryDone {
    const NAME: &'static str = "mission_memory_done";
    const TITLE: &'static str = "Finish conversation pieces";
    const DESCRIPTION: &'static str = "For memory slots: marks items from \
        mission_memory_pending done, whether or not anything was worth remembering; a \
        done item is never handed out again. Each id reports done, alreadyDone, \
        notLeased (not held by you: take it again with mission_memory_pending) or \
        unknown.";
    const ANNOTATIONS: Annotations = IDEMPOTENT;
    type Params = MemoryDoneParams;
    type Output = MemoryDoneResult;
}

impl Tool for MemoryPause {
    const NAME: &'static str = "mission_memory_pause";
    const TITLE: &'static str = "Pause memory extraction";
    const DESCRIPTION: &'static str = "Stops feeding the memory slots for ttlMinutes: \
        finished turns are still queued, but the daemon prompts no memory slot and \
        mission_memory_pending hands out nothing until the pause ends by itself (or \
        mission_memory_resume). Pausing again sets a new end. Fails with invalid_params \
        for ttlMinutes not above 0 or over 10080 (a week).";
    const ANNOTATIONS: Annotations = IDEMPOTENT;
    type Params = MemoryPauseParams;
    type Output = MemoryStatusResult;
}

impl Tool for MemoryResume {
    const NAME: &'static str = "mission_memory_resume";
    const TITLE: &'static str = "Resume memory extraction";
    const DESCRIPTION: &'static str = "Ends a pause of memory extraction at once, so \
        the daemon prompts the memory slots again when work waits; harmless when not \
        paused. Returns the queue's state: counts per status and the memory slots.";
    const ANNOTATIONS: Annotations = IDEMPOTENT;
    type Params = super::EmptyParams;
    type Output = MemoryStatusResult;
}

impl Tool for MemoryStatus {
    const NAME: &'static str = "mission_memory_status";
    const TITLE: &'static str = "Memory queue state";
    const DESCRIPTION: &'static str = "How many conversation pieces wait for, are held \
        by, or were finished by the memory slots; whether extraction is paused and until \
        when; which slots extract.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = super::EmptyParams;
    type Output = MemoryStatusResult;
}

impl Tool for MemoryDeep {
    const NAME: &'static str = "mission_memory_deep";
    const TITLE: &'static str = "Queue a deep pass";
    const DESCRIPTION: &'static str = "Queues whole conversations (what of them was not \
        yet analysed) for the memory slot now, instead of waiting for the periodic deep \
        pass: every one, or the conversation named. A conversation already queued up to \
        its last message is not queued again.";
    const ANNOTATIONS: Annotations = CHANGES;
    type Params = MemoryDeepParams;
    type Output = MemoryDeepResult;
}

/// This area's tools, in display order.
pub(super) fn defs() -> Vec<ToolDef> {
    vec![
        ToolDef::of::<MemoryPending>(),
        ToolDef::of::<MemoryDone>(),
        ToolDef::of::<MemoryPause>(),
        ToolDef::of::<MemoryResume>(),
        ToolDef::of::<MemoryStatus>(),
        ToolDef::of::<MemoryDeep>(),
    ]
}
