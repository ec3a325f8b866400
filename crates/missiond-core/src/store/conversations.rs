//! Tables of the conversations (see [`crate::conversations`]): the messages read from
//! the slots' transcripts, a full-text index over their text, the token usage of each
//! API response, and how far each transcript file was read.

use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde_json::Value;

use super::{Store, StoreError, query_err};
use crate::conversations::{
    Conversation, ConversationQuery, EXTERNAL_SLOT, MAX_PAYLOAD_BYTES, MAX_TEXT_BYTES, Message,
    MessageKind, MessageQuery, NewMessage, Role, SearchHit, SearchQuery, SessionSummary,
    TokenQuery, TokenRow, TokenStats, TranscriptFile, Usage, cap_text,
};
use crate::time::{now_ms, rfc3339_ms};

/// The schema this area adds (one migration; see `migrations.rs`).
///
/// `conversation_messages` holds one row per content block, unique per session, line
/// key (the line's uuid, or `@<offset>`) and block index, so a line read twice is stored
/// once. `conversation_fts` is an external-content FTS5 index of their text, kept by
/// triggers. `conversation_usage` has one row per API response: Claude Code repeats a
/// response's usage on the line of each of its blocks, and counting lines would count
/// it several times. `conversation_files` remembers how far each transcript was read;
/// it is updated in the same transaction as the messages, so a restart neither loses
/// nor repeats any.
pub(super) const SCHEMA: &str = "
CREATE TABLE conversation_files (
    path         TEXT    PRIMARY KEY,
    session_id   TEXT    NOT NULL,
    slot_id      TEXT    NOT NULL,
    read_offset  INTEGER NOT NULL DEFAULT 0 CHECK (read_offset >= 0),
    updated_at   INTEGER NOT NULL                -- Unix ms of the last lines read
) STRICT;
CREATE INDEX conversation_files_by_session ON conversation_files(session_id);
CREATE INDEX conversation_files_by_slot ON conversation_files(slot_id, updated_at);
CREATE TABLE conversation_messages (
    id               INTEGER PRIMARY KEY,
    session_id       TEXT    NOT NULL,
    slot_id          TEXT    NOT NULL,
    line_key         TEXT    NOT NULL,           -- the line's uuid, or @<byte offset>
    block_index      INTEGER NOT NULL,
    uuid             TEXT,
    parent_uuid      TEXT,
    role             TEXT    NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    kind             TEXT    NOT NULL CHECK (kind IN ('text', 'thinking', 'tool_use',
                                                      'tool_result', 'system', 'summary')),
    text             TEXT    NOT NULL,
    truncated        INTEGER NOT NULL DEFAULT 0,
    tool_name        TEXT,
    tool_use_id      TEXT,
    is_error         INTEGER,
    payload          TEXT    CHECK (payload IS NULL OR json_valid(payload)),
    model            TEXT,
    api_message_id   TEXT,
    input_tokens     INTEGER,
    output_tokens    INTEGER,
    cache_read_tokens     INTEGER,
    cache_creation_tokens INTEGER,
    meta             INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,           -- Unix ms
    UNIQUE (session_id, line_key, block_index)
) STRICT;
CREATE INDEX conversation_messages_by_session ON conversation_messages(session_id, id);
CREATE INDEX conversation_messages_by_slot ON conversation_messages(slot_id, id);
CREATE INDEX conversation_messages_by_tool_use ON conversation_messages(session_id, tool_use_id)
    WHERE tool_use_id IS NOT NULL;
CREATE VIRTUAL TABLE conversation_fts USING fts5(
    text, content = 'conversation_messages', content_rowid = 'id'
);
CREATE TRIGGER conversation_messages_fts_insert AFTER INSERT ON conversation_messages BEGIN
    INSERT INTO conversation_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER conversation_messages_fts_delete AFTER DELETE ON conversation_messages BEGIN
    INSERT INTO conversation_fts(conversation_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TABLE conversation_usage (
    session_id            TEXT    NOT NULL,
    api_message_id        TEXT    NOT NULL,
    slot_id               TEXT    NOT NULL,
    model                 TEXT    NOT NULL,
    input_tokens          INTEGER NOT NULL,
    output_tokens         INTEGER NOT NULL,
    cache_read_tokens     INTEGER NOT NULL,
    cache_creation_tokens INTEGER NOT NULL,
    created_at            INTEGER NOT NULL,      -- Unix ms of its first line
    PRIMARY KEY (session_id, api_message_id)
) STRICT;
CREATE INDEX conversation_usage_by_time ON conversation_usage(created_at);
";

/// The second migration of this area: where each transcript is (its config folder and
/// project), so sessions the daemon did not start can be told apart and filtered.
/// External sessions are stored with the empty slot id
/// ([`crate::conversations::EXTERNAL_SLOT`]).
pub(super) const SOURCE_SCHEMA: &str = "
ALTER TABLE conversation_files ADD COLUMN config_dir TEXT;
ALTER TABLE conversation_files ADD COLUMN project TEXT;
CREATE INDEX conversation_files_by_project ON conversation_files(project, session_id);
";

/// `?N` is a source filter (`slots`, `external` or NULL) on the slot id column `col`.
fn source_cond(col: &str, n: usize) -> String {
    format!("(?{n} IS NULL OR (?{n} = 'slots') = ({col} <> ''))")
}

/// `?N` is a project filter on the session id column `col`.
fn project_cond(col: &str, n: usize) -> String {
    format!(
        "(?{n} IS NULL OR {col} IN (SELECT session_id FROM conversation_files WHERE project = ?{n}))"
    )
}

const MESSAGE_COLUMNS: &str = "id, uuid, parent_uuid, role, kind, text, truncated, tool_name, \
     tool_use_id, is_error, payload, model, input_tokens, output_tokens, cache_read_tokens, \
     cache_creation_tokens, meta, created_at";

fn message_from_row(r: &Row<'_>, include_payload: bool) -> rusqlite::Result<Message> {
    let role: String = r.get(3)?;
    let kind: String = r.get(4)?;
    let payload: Option<String> = if include_payload { r.get(10)? } else { None };
    let tokens: [Option<i64>; 4] = [r.get(12)?, r.get(13)?, r.get(14)?, r.get(15)?];
    let usage = tokens[0].map(|input| Usage {
        input_tokens: input.unsigned_abs(),
        output_tokens: tokens[1].unwrap_or(0).unsigned_abs(),
        cache_read_tokens: tokens[2].unwrap_or(0).unsigned_abs(),
        cache_creation_tokens: tokens[3].unwrap_or(0).unsigned_abs(),
    });
    Ok(Message {
        id: r.get(0)?,
        uuid: r.get(1)?,
        parent_uuid: r.get(2)?,
        role: Role::parse(&role),
        // The column is checked to hold a known kind.
        kind: MessageKind::parse(&kind).unwrap_or(MessageKind::System),
        text: r.get(5)?,
        truncated: r.get(6)?,
        tool_name: r.get(7)?,
        tool_use_id: r.get(8)?,
        is_error: r.get(9)?,
        // The column is checked to be JSON.
        payload: payload.and_then(|p| serde_json::from_str(&p).ok()),
        model: r.get(11)?,
        usage,
        meta: r.get(16)?,
        created_at: rfc3339_ms(r.get(17)?),
    })
}

fn file_from_row(r: &Row<'_>) -> rusqlite::Result<TranscriptFile> {
    Ok(TranscriptFile {
        path: r.get(0)?,
        session_id: r.get(1)?,
        slot_id: r.get(2)?,
        offset: r.get::<_, i64>(3)?.unsigned_abs(),
        config_dir: r.get(4)?,
        project: r.get(5)?,
    })
}

const FILE_COLUMNS: &str = "path, session_id, slot_id, read_offset, config_dir, project";

/// `payload` as stored: compact JSON, or a note when it is over the limit.
fn stored_payload(payload: &Option<Value>) -> Option<String> {
    let text = payload.as_ref()?.to_string();
    if text.len() <= MAX_PAYLOAD_BYTES {
        return Some(text);
    }
    Some(
        serde_json::json!({
            "omitted": format!(
                "payload of {} bytes is over the {MAX_PAYLOAD_BYTES}-byte limit",
                text.len()
            )
        })
        .to_string(),
    )
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Stores one message unless it is already there; returns whether it was new.
fn insert_message(
    tx: &Transaction<'_>,
    file: &TranscriptFile,
    m: &NewMessage,
) -> rusqlite::Result<bool> {
    let p = &m.message;
    let (text, truncated) = cap_text(&p.text, MAX_TEXT_BYTES);
    // A tool result names its tool by the call it answers.
    let tool_name = match (&p.tool_name, p.kind, &p.tool_use_id) {
        (Some(name), _, _) => Some(name.clone()),
        (None, MessageKind::ToolResult, Some(id)) => tx
            .prepare_cached(
                "SELECT tool_name FROM conversation_messages
                 WHERE session_id = ?1 AND tool_use_id = ?2 AND kind = 'tool_use' LIMIT 1",
            )?
            .query_row(params![file.session_id, id], |r| r.get(0))
            .optional()?
            .flatten(),
        _ => None,
    };
    let usage = p.usage;
    let added = tx
        .prepare_cached(
            "INSERT INTO conversation_messages (session_id, slot_id, line_key, block_index,
                 uuid, parent_uuid, role, kind, text, truncated, tool_name, tool_use_id,
                 is_error, payload, model, api_message_id, input_tokens, output_tokens,
                 cache_read_tokens, cache_creation_tokens, meta, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17, ?18, ?19, ?20, ?21, ?22)
             ON CONFLICT (session_id, line_key, block_index) DO NOTHING",
        )?
        .execute(params![
            file.session_id,
            file.slot_id,
            m.line_key,
            p.block_index,
            p.uuid,
            p.parent_uuid,
            p.role.as_str(),
            p.kind.as_str(),
            text,
            truncated,
            tool_name,
            p.tool_use_id,
            p.is_error,
            stored_payload(&p.payload),
            p.model,
            p.api_message_id,
            usage.map(|u| to_i64(u.input_tokens)),
            usage.map(|u| to_i64(u.output_tokens)),
            usage.map(|u| to_i64(u.cache_read_tokens)),
            usage.map(|u| to_i64(u.cache_creation_tokens)),
            p.meta,
            m.created_at,
        ])?;
    if let (Some(u), Some(api_id)) = (usage, &p.api_message_id) {
        // Lines of one response repeat its usage; a later line may carry final counts.
        tx.prepare_cached(
            "INSERT INTO conversation_usage (session_id, api_message_id, slot_id, model,
                 input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens,
                 created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (session_id, api_message_id) DO UPDATE SET
                 input_tokens = max(input_tokens, excluded.input_tokens),
                 output_tokens = max(output_tokens, excluded.output_tokens),
                 cache_read_tokens = max(cache_read_tokens, excluded.cache_read_tokens),
                 cache_creation_tokens = max(cache_creation_tokens, excluded.cache_creation_tokens)",
        )?
        .execute(params![
            file.session_id,
            api_id,
            file.slot_id,
            p.model.as_deref().unwrap_or("unknown"),
            to_i64(u.input_tokens),
            to_i64(u.output_tokens),
            to_i64(u.cache_read_tokens),
            to_i64(u.cache_creation_tokens),
            m.created_at,
        ])?;
    }
    Ok(added == 1)
}

fn sum_row(r: &Row<'_>) -> rusqlite::Result<TokenRow> {
    let n = |i: usize| r.get::<_, i64>(i).map(i64::unsigned_abs);
    Ok(TokenRow {
        key: r.get(0)?,
        responses: n(1)?,
        usage: Usage {
            input_tokens: n(2)?,
            output_tokens: n(3)?,
            cache_read_tokens: n(4)?,
            cache_creation_tokens: n(5)?,
        },
    })
}

impl Store {
    /// How far `path` was read, if it was ever.
    pub fn transcript_file(&self, path: &str) -> Result<Option<TranscriptFile>, StoreError> {
        self.conn()
            .query_row(
                &format!("SELECT {FILE_COLUMNS} FROM conversation_files WHERE path = ?1"),
                [path],
                file_from_row,
            )
            .optional()
            .map_err(query_err("reading a transcript's offset"))
    }

    /// Every transcript file ever read.
    pub fn transcript_files(&self) -> Result<Vec<TranscriptFile>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {FILE_COLUMNS} FROM conversation_files ORDER BY updated_at"
            ))
            .map_err(query_err("listing transcript files"))?;
        stmt.query_map([], file_from_row)
            .and_then(Iterator::collect)
            .map_err(query_err("listing transcript files"))
    }

    /// Stores `messages` read from `file` and moves its offset to `file.offset`, in one
    /// transaction. Messages already stored (same session, line key and block) are left
    /// as they are. Returns how many were new.
    pub fn ingest_transcript(
        &self,
        file: &TranscriptFile,
        messages: &[NewMessage],
    ) -> Result<usize, StoreError> {
        const ACTION: &str = "storing conversation messages";
        self.write(ACTION, |tx| {
            let mut added = 0;
            for m in messages {
                added += usize::from(insert_message(tx, file, m).map_err(query_err(ACTION))?);
            }
            // A finished turn becomes work for the memory slot (see `crate::memory`).
            if added > 0 && messages.iter().any(|m| m.message.ends_turn) {
                super::memory::queue_turn(tx, &file.session_id, &file.slot_id, now_ms())
                    .map_err(query_err(ACTION))?;
            }
            tx.prepare_cached(
                "INSERT INTO conversation_files (path, session_id, slot_id, read_offset, updated_at,
                     config_dir, project)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?7, ?8)
                 ON CONFLICT (path) DO UPDATE SET read_offset = excluded.read_offset,
                     updated_at = CASE WHEN ?6 THEN excluded.updated_at ELSE updated_at END,
                     config_dir = coalesce(excluded.config_dir, config_dir),
                     project = coalesce(excluded.project, project)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    file.path,
                    file.session_id,
                    file.slot_id,
                    to_i64(file.offset),
                    now_ms(),
                    !messages.is_empty(),
                    file.config_dir,
                    file.project,
                ])
            })
            .map_err(query_err(ACTION))?;
            Ok::<_, StoreError>(added)
        })
    }

    /// The slot of a conversation, `None` when no transcript of this session was read.
    pub fn conversation_slot(&self, session_id: &str) -> Result<Option<String>, StoreError> {
        self.conn()
            .query_row(
                "SELECT slot_id FROM conversation_files WHERE session_id = ?1
                 ORDER BY updated_at DESC LIMIT 1",
                [session_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(query_err("looking up a conversation"))
    }

    /// Whether the store knows this slot (it ran, or a conversation of it was read).
    pub fn slot_recorded(&self, slot_id: &str) -> Result<bool, StoreError> {
        self.conn()
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM conversation_files WHERE slot_id = ?1)
                     OR EXISTS (SELECT 1 FROM slot_sessions WHERE slot_id = ?1)",
                [slot_id],
                |r| r.get(0),
            )
            .map_err(query_err("looking up a slot"))
    }

    /// Conversations, latest activity first, and how many match in all.
    pub fn conversations(
        &self,
        q: &ConversationQuery,
    ) -> Result<(Vec<Conversation>, u64), StoreError> {
        const ACTION: &str = "listing conversations";
        let conn = self.conn();
        let total: i64 = conn
            .query_row(
                &format!(
                    "SELECT count(*) FROM conversation_files WHERE (?1 IS NULL OR slot_id = ?1)
                     AND {} AND (?3 IS NULL OR project = ?3)",
                    source_cond("slot_id", 2)
                ),
                params![q.slot_id, q.source, q.project],
                |r| r.get(0),
            )
            .map_err(query_err(ACTION))?;
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT f.session_id, f.slot_id, f.path, s.started_at, s.ended_at,
                     (SELECT count(*) FROM conversation_messages m WHERE m.session_id = f.session_id),
                     (SELECT min(created_at) FROM conversation_messages m WHERE m.session_id = f.session_id),
                     (SELECT max(created_at) FROM conversation_messages m WHERE m.session_id = f.session_id),
                     (SELECT substr(text, 1, 500) FROM conversation_messages m
                      WHERE m.session_id = f.session_id AND role = 'user' AND kind = 'text'
                        AND meta = 0 ORDER BY id LIMIT 1),
                     u.i, u.o, u.cr, u.cc, f.config_dir, f.project
                 FROM conversation_files f
                 LEFT JOIN slot_sessions s ON s.id = (
                     SELECT id FROM slot_sessions WHERE session_id = f.session_id
                     ORDER BY started_at DESC LIMIT 1)
                 LEFT JOIN (SELECT session_id, sum(input_tokens) AS i, sum(output_tokens) AS o,
                                   sum(cache_read_tokens) AS cr, sum(cache_creation_tokens) AS cc
                            FROM conversation_usage GROUP BY session_id) u
                     ON u.session_id = f.session_id
                 WHERE (?1 IS NULL OR f.slot_id = ?1) AND {}
                   AND (?5 IS NULL OR f.project = ?5)
                 ORDER BY f.updated_at DESC, f.rowid DESC
                 LIMIT ?2 OFFSET ?3",
                source_cond("f.slot_id", 4)
            ))
            .map_err(query_err(ACTION))?;
        let rows = stmt
            .query_map(
                params![q.slot_id, q.limit, q.offset, q.source, q.project],
                |r| {
                    let slot_id: String = r.get(1)?;
                    let n = |i: usize| {
                        r.get::<_, Option<i64>>(i)
                            .map(|v| v.unwrap_or(0).unsigned_abs())
                    };
                    let first_at: Option<i64> = r.get(6)?;
                    let started: Option<i64> = r.get(3)?;
                    Ok(Conversation {
                        session_id: r.get(0)?,
                        source: if slot_id == EXTERNAL_SLOT {
                            "external"
                        } else {
                            "slot"
                        }
                        .into(),
                        slot_id,
                        config_dir: r.get(13)?,
                        project: r.get(14)?,
                        transcript_path: r.get(2)?,
                        started_at: started.or(first_at).map(rfc3339_ms),
                        ended_at: r.get::<_, Option<i64>>(4)?.map(rfc3339_ms),
                        message_count: n(5)?,
                        last_message_at: r.get::<_, Option<i64>>(7)?.map(rfc3339_ms),
                        first_prompt: r.get(8)?,
                        tokens: Usage {
                            input_tokens: n(9)?,
                            output_tokens: n(10)?,
                            cache_read_tokens: n(11)?,
                            cache_creation_tokens: n(12)?,
                        },
                    })
                },
            )
            .and_then(Iterator::collect)
            .map_err(query_err(ACTION))?;
        Ok((rows, total.unsigned_abs()))
    }

    /// A conversation's messages in order, from `q.since_id` on; true when more follow.
    pub fn conversation_messages(
        &self,
        q: &MessageQuery,
    ) -> Result<(Vec<Message>, bool), StoreError> {
        const ACTION: &str = "reading conversation messages";
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM conversation_messages
                 WHERE session_id = ?1 AND id > ?2 AND (?3 OR kind <> 'thinking')
                 ORDER BY id LIMIT ?4"
            ))
            .map_err(query_err(ACTION))?;
        let mut rows = stmt
            .query(params![
                q.session_id,
                q.since_id,
                q.include_thinking,
                i64::from(q.limit) + 1
            ])
            .map_err(query_err(ACTION))?;
        let mut out = Vec::new();
        let mut bytes = 0usize;
        while let Some(row) = rows.next().map_err(query_err(ACTION))? {
            let message = message_from_row(row, q.include_payloads).map_err(query_err(ACTION))?;
            let size =
                message.text.len() + message.payload.as_ref().map_or(0, |p| p.to_string().len());
            let full =
                out.len() >= q.limit as usize || (!out.is_empty() && bytes + size > q.max_bytes);
            if full {
                return Ok((out, true));
            }
            bytes += size;
            out.push(message);
        }
        Ok((out, false))
    }

    /// Messages matching a full-text query, best first.
    pub fn search_conversations(&self, q: &SearchQuery) -> Result<Vec<SearchHit>, StoreError> {
        const ACTION: &str = "searching conversations";
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT m.id, m.session_id, m.slot_id, m.role, m.kind, m.tool_name,
                     snippet(conversation_fts, 0, '**', '**', '…', 24), m.created_at,
                     bm25(conversation_fts) AS score
                 FROM conversation_fts JOIN conversation_messages m ON m.id = conversation_fts.rowid
                 WHERE conversation_fts MATCH ?1
                   AND (?2 IS NULL OR m.slot_id = ?2)
                   AND (?3 IS NULL OR m.session_id = ?3)
                   AND (?4 IS NULL OR m.kind = ?4) AND {} AND {}
                 ORDER BY score, m.id LIMIT ?5 OFFSET ?6",
                source_cond("m.slot_id", 7),
                project_cond("m.session_id", 8)
            ))
            .map_err(query_err(ACTION))?;
        stmt.query_map(
            params![
                q.fts,
                q.slot_id,
                q.session_id,
                q.kind.map(MessageKind::as_str),
                q.limit,
                q.offset,
                q.source,
                q.project
            ],
            |r| {
                let role: String = r.get(3)?;
                let kind: String = r.get(4)?;
                Ok(SearchHit {
                    message_id: r.get(0)?,
                    session_id: r.get(1)?,
                    slot_id: r.get(2)?,
                    role: Role::parse(&role),
                    kind: MessageKind::parse(&kind).unwrap_or(MessageKind::System),
                    tool_name: r.get(5)?,
                    snippet: r.get(6)?,
                    created_at: rfc3339_ms(r.get(7)?),
                    score: r.get(8)?,
                })
            },
        )
        .and_then(Iterator::collect)
        .map_err(query_err(ACTION))
    }

    /// Token totals of the API responses matching `q`.
    pub fn token_stats(&self, q: &TokenQuery) -> Result<TokenStats, StoreError> {
        const ACTION: &str = "summing token usage";
        let conn = self.conn();
        let grouped = |key: &str| -> Result<Vec<TokenRow>, StoreError> {
            let group = if key == "''" {
                String::new()
            } else {
                "GROUP BY 1 ORDER BY 1".to_string()
            };
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {key}, count(*), coalesce(sum(input_tokens), 0),
                         coalesce(sum(output_tokens), 0), coalesce(sum(cache_read_tokens), 0),
                         coalesce(sum(cache_creation_tokens), 0)
                     FROM conversation_usage
                     WHERE (?1 IS NULL OR slot_id = ?1) AND (?2 IS NULL OR created_at >= ?2)
                       AND (?3 IS NULL OR created_at < ?3) AND {} AND {}
                     {group}",
                    source_cond("slot_id", 4),
                    project_cond("session_id", 5)
                ))
                .map_err(query_err(ACTION))?;
            stmt.query_map(
                params![q.slot_id, q.since_ms, q.until_ms, q.source, q.project],
                sum_row,
            )
            .and_then(Iterator::collect)
            .map_err(query_err(ACTION))
        };
        let total = grouped("''")?.into_iter().next().unwrap_or(TokenRow {
            key: String::new(),
            responses: 0,
            usage: Usage::default(),
        });
        Ok(TokenStats {
            total,
            // External sessions (no slot) are one row, `external`.
            by_slot: grouped("CASE WHEN slot_id = '' THEN 'external' ELSE slot_id END")?,
            by_model: grouped("model")?,
            by_day: grouped("date(created_at / 1000, 'unixepoch')")?,
        })
    }

    /// The slot whose run had Claude Code session `session_id`, if any did.
    pub fn slot_of_session(&self, session_id: &str) -> Result<Option<String>, StoreError> {
        self.conn()
            .query_row(
                "SELECT slot_id FROM slot_sessions WHERE session_id = ?1
                 ORDER BY started_at DESC LIMIT 1",
                [session_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(query_err("looking up a session's slot"))
    }

    /// Gives `slot_id` a session stored as external (the sessions watcher read it before
    /// the slot's own follower did): its files, messages and usage become the slot's, so
    /// a slot's session is always a slot's conversation, once. Returns the rows moved.
    pub fn claim_conversation(&self, session_id: &str, slot_id: &str) -> Result<usize, StoreError> {
        const ACTION: &str = "giving a session to its slot";
        self.write(ACTION, |tx| {
            let mut moved = 0;
            for table in [
                "conversation_files",
                "conversation_messages",
                "conversation_usage",
            ] {
                moved += tx
                    .execute(
                        &format!(
                            "UPDATE {table} SET slot_id = ?2 WHERE session_id = ?1 AND slot_id = ''"
                        ),
                        params![session_id, slot_id],
                    )
                    .map_err(query_err(ACTION))?;
            }
            Ok::<_, StoreError>(moved)
        })
    }

    /// What the store knows of session `session_id` (its main transcript), if anything.
    pub fn session_summary(&self, session_id: &str) -> Result<Option<SessionSummary>, StoreError> {
        const ACTION: &str = "summing a session";
        let conn = self.conn();
        let file = conn
            .query_row(
                "SELECT slot_id, project, config_dir FROM conversation_files
                 WHERE session_id = ?1 ORDER BY updated_at DESC LIMIT 1",
                [session_id],
                |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(query_err(ACTION))?;
        let Some((slot_id, project, config_dir)) = file else {
            return Ok(None);
        };
        let n = |v: Option<i64>| v.unwrap_or(0).unsigned_abs();
        let tokens = conn
            .query_row(
                "SELECT sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
                     sum(cache_creation_tokens),
                     (SELECT model FROM conversation_usage WHERE session_id = ?1
                      ORDER BY created_at DESC LIMIT 1)
                 FROM conversation_usage WHERE session_id = ?1",
                [session_id],
                |r| {
                    Ok((
                        Usage {
                            input_tokens: n(r.get(0)?),
                            output_tokens: n(r.get(1)?),
                            cache_read_tokens: n(r.get(2)?),
                            cache_creation_tokens: n(r.get(3)?),
                        },
                        r.get::<_, Option<String>>(4)?,
                    ))
                },
            )
            .map_err(query_err(ACTION))?;
        let (last, first_prompt) = conn
            .query_row(
                "SELECT max(created_at),
                     (SELECT substr(text, 1, 500) FROM conversation_messages
                      WHERE session_id = ?1 AND role = 'user' AND kind = 'text' AND meta = 0
                      ORDER BY id LIMIT 1)
                 FROM conversation_messages WHERE session_id = ?1",
                [session_id],
                |r| Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, Option<String>>(1)?)),
            )
            .map_err(query_err(ACTION))?;
        Ok(Some(SessionSummary {
            slot_id,
            project,
            config_dir,
            tokens: tokens.0,
            model: tokens.1,
            last_message_ms: last,
            first_prompt,
        }))
    }

    /// Sessions whose transcript gained lines at or after `since_ms` (Unix ms), latest
    /// first, at most `limit`.
    pub fn recent_sessions(&self, since_ms: i64, limit: u32) -> Result<Vec<String>, StoreError> {
        const ACTION: &str = "listing recent sessions";
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT session_id, max(updated_at) AS at FROM conversation_files
                 WHERE updated_at >= ?1 GROUP BY session_id ORDER BY at DESC LIMIT ?2",
            )
            .map_err(query_err(ACTION))?;
        stmt.query_map(params![since_ms, limit], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(query_err(ACTION))
    }
}
