//! Tables of the memory queue (see [`crate::memory`]): work items for the memory slot,
//! how far each conversation was queued, the pause, and which slots extract.
//!
//! An item is a range of one conversation's messages (`first_message_id ..=
//! last_message_id`). `memory_cursors` remembers, per conversation, the last message
//! queued for real-time and for deep extraction, so a range is queued once: items never
//! overlap within a kind, and a done item is never handed out again. Items are created in
//! the same transaction as the messages they cover (see `conversations.rs`), so a crash
//! neither loses a finished turn nor queues it twice.

use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::{Store, StoreError, query_err};
use crate::memory::{
    DoneOutcome, ItemKind, ItemStatus, MemoryItem, QueueCounts, TakeLimits, render_messages,
};

/// The schema this area adds (one migration; see `migrations.rs`).
pub(super) const SCHEMA: &str = "
CREATE TABLE memory_items (
    id               INTEGER PRIMARY KEY,
    kind             TEXT    NOT NULL CHECK (kind IN ('realtime', 'deep')),
    session_id       TEXT    NOT NULL,
    slot_id          TEXT    NOT NULL,           -- the slot (or source) of the conversation
    first_message_id INTEGER NOT NULL,
    last_message_id  INTEGER NOT NULL CHECK (last_message_id >= first_message_id),
    messages         INTEGER NOT NULL,           -- messages in the range (thinking left out)
    bytes            INTEGER NOT NULL,           -- their text's size
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'leased', 'done', 'failed')),
    lease_slot       TEXT,                       -- the memory slot working on it
    lease_until      INTEGER,                    -- Unix ms; back to pending after this
    attempts         INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    ended_at         INTEGER,
    note             TEXT,
    CHECK (status <> 'leased' OR (lease_slot IS NOT NULL AND lease_until IS NOT NULL)),
    UNIQUE (kind, session_id, first_message_id)
) STRICT;
CREATE INDEX memory_items_queue ON memory_items(status, kind, id);
CREATE INDEX memory_items_by_lease ON memory_items(lease_slot) WHERE status = 'leased';
CREATE TABLE memory_cursors (
    session_id       TEXT    PRIMARY KEY,
    realtime_through INTEGER NOT NULL DEFAULT 0,  -- last message id queued in real time
    deep_through     INTEGER NOT NULL DEFAULT 0   -- last message id queued for deep analysis
) STRICT;
CREATE TABLE memory_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
CREATE TABLE memory_extractors (
    slot_id TEXT PRIMARY KEY                      -- memory slots: their own talk is not queued
) STRICT;
";

const ITEM_COLUMNS: &str = "id, kind, session_id, slot_id, first_message_id, last_message_id, \
     messages, bytes, status, lease_slot, lease_until, attempts, created_at";

fn item_from_row(r: &Row<'_>) -> rusqlite::Result<MemoryItem> {
    let kind: String = r.get(1)?;
    let status: String = r.get(8)?;
    Ok(MemoryItem {
        id: r.get(0)?,
        // Both columns are checked to hold known values.
        kind: ItemKind::parse(&kind).unwrap_or(ItemKind::Realtime),
        session_id: r.get(2)?,
        slot_id: r.get(3)?,
        first_message_id: r.get(4)?,
        last_message_id: r.get(5)?,
        messages: r.get::<_, i64>(6)?.unsigned_abs(),
        bytes: r.get::<_, i64>(7)?.unsigned_abs(),
        status: ItemStatus::parse(&status).unwrap_or(ItemStatus::Pending),
        lease_slot: r.get(9)?,
        lease_until: r.get(10)?,
        attempts: r.get::<_, i64>(11)?.unsigned_abs() as u32,
        created_at: r.get(12)?,
        text: String::new(),
        text_truncated: false,
    })
}

/// Queues the messages of `session` after its real-time cursor as one item (called in
/// the ingest transaction when a turn ended). Returns the new item's id, if any.
pub(super) fn queue_turn(
    tx: &Transaction<'_>,
    session: &str,
    slot: &str,
    now: i64,
) -> rusqlite::Result<Option<i64>> {
    queue_range(tx, ItemKind::Realtime, session, slot, now)
}

/// Queues what follows `kind`'s cursor in `session` as one item and moves the cursor.
fn queue_range(
    tx: &Transaction<'_>,
    kind: ItemKind,
    session: &str,
    slot: &str,
    now: i64,
) -> rusqlite::Result<Option<i64>> {
    let column = match kind {
        ItemKind::Realtime => "realtime_through",
        ItemKind::Deep => "deep_through",
    };
    let through: i64 = tx
        .prepare_cached(&format!(
            "SELECT {column} FROM memory_cursors WHERE session_id = ?1"
        ))?
        .query_row([session], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let (first, last, count, bytes): (Option<i64>, Option<i64>, i64, i64) = tx
        .prepare_cached(
            "SELECT min(id), max(id),
                    count(*) FILTER (WHERE kind <> 'thinking'),
                    coalesce(sum(length(CAST(text AS BLOB))) FILTER (WHERE kind <> 'thinking'), 0)
             FROM conversation_messages WHERE session_id = ?1 AND id > ?2",
        )?
        .query_row(params![session, through], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(None);
    };
    tx.prepare_cached(&format!(
        "INSERT INTO memory_cursors (session_id, {column}) VALUES (?1, ?2)
         ON CONFLICT (session_id) DO UPDATE SET {column} = excluded.{column}"
    ))?
    .execute(params![session, last])?;
    let extractor: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM memory_extractors WHERE slot_id = ?1)")?
        .query_row([slot], |r| r.get(0))?;
    // A memory slot's own conversations would feed it forever; thinking alone holds
    // nothing to keep.
    if extractor || count == 0 {
        return Ok(None);
    }
    let added = tx
        .prepare_cached(
            "INSERT INTO memory_items (kind, session_id, slot_id, first_message_id,
                 last_message_id, messages, bytes, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (kind, session_id, first_message_id) DO NOTHING",
        )?
        .execute(params![
            kind.as_str(),
            session,
            slot,
            first,
            last,
            count,
            bytes,
            now
        ])?;
    Ok((added == 1).then(|| tx.last_insert_rowid()))
}

/// Items leased past their time go back to the queue (or fail after `max_attempts`).
fn expire_leases(tx: &Transaction<'_>, now: i64, max_attempts: u32) -> rusqlite::Result<usize> {
    tx.prepare_cached(
        "UPDATE memory_items SET
             status = CASE WHEN attempts >= ?2 THEN 'failed' ELSE 'pending' END,
             ended_at = CASE WHEN attempts >= ?2 THEN ?1 ELSE NULL END,
             note = 'the lease ran out',
             lease_slot = NULL, lease_until = NULL
         WHERE status = 'leased' AND lease_until <= ?1",
    )?
    .execute(params![now, max_attempts])
}

/// The text of `item`'s messages, rendered and cut to `max_bytes`.
fn item_text(
    conn: &rusqlite::Connection,
    item: &MemoryItem,
    max_bytes: usize,
) -> rusqlite::Result<(String, bool)> {
    let mut stmt = conn.prepare_cached(
        "SELECT role, kind, text, tool_name FROM conversation_messages
         WHERE session_id = ?1 AND id BETWEEN ?2 AND ?3 AND kind <> 'thinking' AND meta = 0
         ORDER BY id",
    )?;
    let rows = stmt
        .query_map(
            params![item.session_id, item.first_message_id, item.last_message_id],
            |r| {
                Ok(crate::memory::RenderedMessage {
                    role: r.get(0)?,
                    kind: r.get(1)?,
                    text: r.get(2)?,
                    tool_name: r.get(3)?,
                })
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(render_messages(&rows, max_bytes))
}

const SETTING_PAUSED_UNTIL: &str = "paused_until";

impl Store {
    /// Sets which slots extract memory (role `memory`): their own conversations are
    /// never queued.
    pub fn memory_set_extractors(&self, slots: &[String]) -> Result<(), StoreError> {
        const ACTION: &str = "recording the memory slots";
        self.write(ACTION, |tx| {
            tx.execute("DELETE FROM memory_extractors", [])
                .map_err(query_err(ACTION))?;
            for slot in slots {
                tx.execute(
                    "INSERT OR IGNORE INTO memory_extractors (slot_id) VALUES (?1)",
                    [slot],
                )
                .map_err(query_err(ACTION))?;
            }
            Ok::<_, StoreError>(())
        })
    }

    /// Queues, as deep items, every conversation with messages not yet queued for deep
    /// analysis whose last message is older than `quiet_before` (Unix ms); only
    /// `session` when given. Returns the new items' ids.
    pub fn memory_queue_deep(
        &self,
        quiet_before: i64,
        session: Option<&str>,
        now: i64,
    ) -> Result<Vec<i64>, StoreError> {
        const ACTION: &str = "queueing conversations for deep analysis";
        self.write(ACTION, |tx| {
            let sessions: Vec<(String, String)> = tx
                .prepare_cached(
                    "SELECT m.session_id, max(m.slot_id) FROM conversation_messages m
                     LEFT JOIN memory_cursors c ON c.session_id = m.session_id
                     WHERE (?2 IS NULL OR m.session_id = ?2)
                     GROUP BY m.session_id
                     HAVING max(m.id) > max(coalesce(c.deep_through, 0))
                        AND max(m.created_at) <= ?1",
                )
                .and_then(|mut s| {
                    s.query_map(params![quiet_before, session], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?
                    .collect()
                })
                .map_err(query_err(ACTION))?;
            let mut ids = Vec::new();
            for (session, slot) in sessions {
                if let Some(id) = queue_range(tx, ItemKind::Deep, &session, &slot, now)
                    .map_err(query_err(ACTION))?
                {
                    ids.push(id);
                }
            }
            Ok::<_, StoreError>(ids)
        })
    }

    /// Hands `slot` work: the items it already holds, then pending ones (real-time
    /// first, oldest first), each leased to it until `now + limits.lease_ms`, with
    /// their text; nothing while the queue is paused. Expired leases go back to the
    /// queue first.
    pub fn memory_take(
        &self,
        slot: &str,
        limits: &TakeLimits,
        now: i64,
    ) -> Result<Vec<MemoryItem>, StoreError> {
        const ACTION: &str = "taking memory items";
        let paused = self.memory_paused_until(now)?.is_some();
        self.write(ACTION, |tx| {
            expire_leases(tx, now, limits.max_attempts).map_err(query_err(ACTION))?;
            if paused {
                return Ok(Vec::new());
            }
            let candidates: Vec<MemoryItem> = tx
                .prepare_cached(&format!(
                    "SELECT {ITEM_COLUMNS} FROM memory_items
                     WHERE (status = 'leased' AND lease_slot = ?1) OR status = 'pending'
                     ORDER BY status = 'pending', kind = 'deep', id LIMIT ?2"
                ))
                .and_then(|mut s| {
                    s.query_map(params![slot, limits.max_items], item_from_row)?
                        .collect()
                })
                .map_err(query_err(ACTION))?;
            let mut out = Vec::new();
            let mut total = 0usize;
            for mut item in candidates {
                let room = limits.max_total_bytes.saturating_sub(total);
                if !out.is_empty() && room < limits.max_total_bytes / 8 {
                    break;
                }
                let (text, cut) = item_text(tx, &item, limits.max_item_bytes.min(room.max(1)))
                    .map_err(query_err(ACTION))?;
                total += text.len();
                item.text = text;
                item.text_truncated = cut;
                let fresh = item.status == ItemStatus::Pending;
                tx.prepare_cached(
                    "UPDATE memory_items SET status = 'leased', lease_slot = ?2,
                         lease_until = ?3, attempts = attempts + ?4
                     WHERE id = ?1",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        item.id,
                        slot,
                        now + limits.lease_ms,
                        i64::from(fresh)
                    ])
                })
                .map_err(query_err(ACTION))?;
                item.status = ItemStatus::Leased;
                item.lease_slot = Some(slot.to_string());
                item.lease_until = Some(now + limits.lease_ms);
                item.attempts += u32::from(fresh);
                out.push(item);
            }
            Ok::<_, StoreError>(out)
        })
    }

    /// Marks items done for `slot`: each must be leased to it (or already done). A done
    /// item is never handed out again.
    pub fn memory_done(
        &self,
        slot: &str,
        ids: &[i64],
        note: Option<&str>,
        now: i64,
    ) -> Result<Vec<(i64, DoneOutcome)>, StoreError> {
        const ACTION: &str = "finishing memory items";
        self.write(ACTION, |tx| {
            let mut out = Vec::new();
            for &id in ids {
                let row: Option<(String, Option<String>)> = tx
                    .prepare_cached("SELECT status, lease_slot FROM memory_items WHERE id = ?1")
                    .and_then(|mut s| s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
                    .map_err(query_err(ACTION))?;
                let outcome = match row {
                    None => DoneOutcome::Unknown,
                    Some((status, _)) if status == "done" => DoneOutcome::AlreadyDone,
                    Some((status, lease))
                        if status == "leased" && lease.as_deref() == Some(slot) =>
                    {
                        tx.prepare_cached(
                            "UPDATE memory_items SET status = 'done', ended_at = ?2, note = ?3,
                                 lease_slot = NULL, lease_until = NULL
                             WHERE id = ?1",
                        )
                        .and_then(|mut s| s.execute(params![id, now, note]))
                        .map_err(query_err(ACTION))?;
                        DoneOutcome::Done
                    }
                    Some(_) => DoneOutcome::NotLeased,
                };
                out.push((id, outcome));
            }
            Ok::<_, StoreError>(out)
        })
    }

    /// Returns every item leased to `slot` to the queue (its process crashed, its turn
    /// ended without finishing them); an item out of attempts fails instead. Returns
    /// how many went back.
    pub fn memory_release(
        &self,
        slot: &str,
        reason: &str,
        max_attempts: u32,
        now: i64,
    ) -> Result<usize, StoreError> {
        const ACTION: &str = "returning memory items to the queue";
        self.write(ACTION, |tx| {
            tx.prepare_cached(
                "UPDATE memory_items SET
                     status = CASE WHEN attempts >= ?3 THEN 'failed' ELSE 'pending' END,
                     ended_at = CASE WHEN attempts >= ?3 THEN ?4 ELSE NULL END,
                     note = ?2, lease_slot = NULL, lease_until = NULL
                 WHERE status = 'leased' AND lease_slot = ?1",
            )
            .and_then(|mut s| s.execute(params![slot, reason, max_attempts, now]))
            .map_err(query_err(ACTION))
        })
    }

    /// Expired leases back to the queue (or failed after `max_attempts`).
    pub fn memory_expire_leases(&self, now: i64, max_attempts: u32) -> Result<usize, StoreError> {
        const ACTION: &str = "expiring memory leases";
        self.write(ACTION, |tx| {
            expire_leases(tx, now, max_attempts).map_err(query_err(ACTION))
        })
    }

    /// Stops handing out work until `until` (Unix ms).
    pub fn memory_pause(&self, until: i64) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO memory_settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![SETTING_PAUSED_UNTIL, until.to_string()],
            )
            .map(drop)
            .map_err(query_err("pausing memory extraction"))
    }

    /// Hands out work again at once.
    pub fn memory_resume(&self) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "DELETE FROM memory_settings WHERE key = ?1",
                [SETTING_PAUSED_UNTIL],
            )
            .map(drop)
            .map_err(query_err("resuming memory extraction"))
    }

    /// When the pause ends, if the queue is paused at `now` (a pause whose time has
    /// passed is over by itself).
    pub fn memory_paused_until(&self, now: i64) -> Result<Option<i64>, StoreError> {
        let value: Option<String> = self
            .conn()
            .query_row(
                "SELECT value FROM memory_settings WHERE key = ?1",
                [SETTING_PAUSED_UNTIL],
                |r| r.get(0),
            )
            .optional()
            .map_err(query_err("reading the memory pause"))?;
        Ok(value
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|&until| until > now))
    }

    /// Items per status.
    pub fn memory_counts(&self) -> Result<QueueCounts, StoreError> {
        let conn = self.conn();
        let mut counts = QueueCounts::default();
        let mut stmt = conn
            .prepare_cached("SELECT status, kind, count(*) FROM memory_items GROUP BY status, kind")
            .map_err(query_err("counting memory items"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
            .map_err(query_err("counting memory items"))?;
        for (status, kind, n) in rows {
            let n = n.unsigned_abs();
            match status.as_str() {
                "pending" if kind == "deep" => counts.pending_deep += n,
                "pending" => counts.pending_realtime += n,
                "leased" => counts.leased += n,
                "done" => counts.done += n,
                _ => counts.failed += n,
            }
        }
        Ok(counts)
    }

    /// One item as stored (without its text).
    pub fn memory_item(&self, id: i64) -> Result<Option<MemoryItem>, StoreError> {
        self.conn()
            .query_row(
                &format!("SELECT {ITEM_COLUMNS} FROM memory_items WHERE id = ?1"),
                [id],
                item_from_row,
            )
            .optional()
            .map_err(query_err("reading a memory item"))
    }
}
