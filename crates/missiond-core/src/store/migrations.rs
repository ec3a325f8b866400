//! Schema versions. Append a migration to change the schema; never edit a released one.

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

/// Every migration, oldest first. The schema version is the number applied.
pub const MIGRATIONS: &[M<'static>] = &[
    // v1: slot sessions and turns.
    M::up(
        "CREATE TABLE slot_sessions (
            id          INTEGER PRIMARY KEY,
            slot_id     TEXT    NOT NULL,
            session_id  TEXT,                -- Claude Code's session id, once known
            pid         INTEGER,
            cwd         TEXT    NOT NULL,
            role        TEXT    NOT NULL,
            started_at  INTEGER NOT NULL,    -- Unix ms
            ended_at    INTEGER,             -- NULL while running
            exit_code   INTEGER,
            end_reason  TEXT                 -- exited, killed, crashed, daemon_stopped ...
        ) STRICT;
        CREATE TABLE turns (
            id          INTEGER PRIMARY KEY,
            slot_id     TEXT    NOT NULL,
            session_ref INTEGER REFERENCES slot_sessions(id) ON DELETE SET NULL,
            prompt      TEXT    NOT NULL,
            answer      TEXT,
            end_state   TEXT,                -- SlotState name when the turn ended
            tools_used  TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(tools_used)),
            started_at  INTEGER NOT NULL,
            ended_at    INTEGER
        ) STRICT;",
    ),
    // v2: indexes for per-slot history and session lookups.
    M::up(
        "CREATE INDEX slot_sessions_by_slot ON slot_sessions(slot_id, started_at);
         CREATE INDEX turns_by_slot ON turns(slot_id, started_at);
         CREATE INDEX turns_by_session ON turns(session_ref);",
    ),
    // v3: the task queue. `task_runs` has one row per start of a task on a slot; the two
    // partial unique indexes make "one task per slot" and "never run twice at once"
    // hold in the database itself, whatever the code does.
    M::up(
        "CREATE TABLE tasks (
            id            INTEGER PRIMARY KEY,   -- shown as t-000123
            prompt        TEXT    NOT NULL CHECK (length(prompt) > 0),
            slot_id       TEXT,                  -- requested slot, if any
            role          TEXT,                  -- requested role, if any
            priority      INTEGER NOT NULL DEFAULT 0,
            origin        TEXT    NOT NULL DEFAULT 'submit',
            status        TEXT    NOT NULL DEFAULT 'queued'
                          CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
            assigned_slot TEXT,                  -- running on / last ran on
            attempts      INTEGER NOT NULL DEFAULT 0,
            max_attempts  INTEGER NOT NULL DEFAULT 3,
            result        TEXT,
            error         TEXT,
            created_at    INTEGER NOT NULL,      -- Unix ms
            started_at    INTEGER,
            ended_at      INTEGER,
            CHECK (status <> 'running' OR (assigned_slot IS NOT NULL AND ended_at IS NULL))
        ) STRICT;
        CREATE INDEX tasks_queue ON tasks(status, priority DESC, id);
        CREATE TABLE task_runs (
            id          INTEGER PRIMARY KEY,
            task_id     INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
            slot_id     TEXT    NOT NULL,
            attempt     INTEGER NOT NULL,
            started_at  INTEGER NOT NULL,
            ended_at    INTEGER,                 -- NULL while running
            outcome     TEXT,                    -- done, failed, cancelled, interrupted
            detail      TEXT
        ) STRICT;
        CREATE UNIQUE INDEX task_runs_open_per_task ON task_runs(task_id) WHERE ended_at IS NULL;
        CREATE UNIQUE INDEX task_runs_open_per_slot ON task_runs(slot_id) WHERE ended_at IS NULL;
        CREATE INDEX task_runs_by_slot ON task_runs(slot_id, started_at);",
    ),
    // v4: the orchestrator's inbox.
    M::up(
        "CREATE TABLE inbox (
            id          INTEGER PRIMARY KEY,
            kind        TEXT    NOT NULL,        -- task_done, agent_question, notice ...
            slot_id     TEXT,
            task_id     INTEGER REFERENCES tasks(id) ON DELETE SET NULL,
            text        TEXT    NOT NULL,
            data        TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
            created_at  INTEGER NOT NULL,
            read_at     INTEGER                  -- NULL while unread
        ) STRICT;
        CREATE INDEX inbox_unread ON inbox(id) WHERE read_at IS NULL;",
    ),
    // v5: every permission decision given to a PreToolUse hook.
    M::up(
        "CREATE TABLE permission_decisions (
            id          INTEGER PRIMARY KEY,
            slot_id     TEXT    NOT NULL,
            role        TEXT    NOT NULL,
            tool        TEXT    NOT NULL,
            input       TEXT    NOT NULL CHECK (json_valid(input)),
            subject     TEXT    NOT NULL,        -- the argument as matched
            outcome     TEXT    NOT NULL CHECK (outcome IN ('allow', 'deny', 'ask', 'defer')),
            rules       TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(rules)),
            reason      TEXT    NOT NULL,
            decided_at  INTEGER NOT NULL         -- Unix ms
        ) STRICT;
        CREATE INDEX permission_decisions_by_slot ON permission_decisions(slot_id, id);",
    ),
    // v6: the knowledge base.
    M::up(super::kb::SCHEMA),
    // v7: conversation messages from the slots' transcripts.
    M::up(super::conversations::SCHEMA),
    // v8: the question queue.
    M::up(super::questions::SCHEMA),
    // v9: the mission board.
    M::up(super::board::SCHEMA),
    // v10: where each conversation's transcript is (config folder, project): sessions the
    // daemon did not start are recorded too.
    M::up(super::conversations::SOURCE_SCHEMA),
    // v11: the memory queue.
    M::up(super::memory::SCHEMA),
    // v12: knowledge entries' tiers and the injection log.
    M::up(super::injections::SCHEMA),
    // v13: answers on their way back to the asking slot.
    M::up(super::deliveries::SCHEMA),
    // v14: tasks that asked for a fresh worktree, remembered across restarts.
    M::up(super::task_fresh::SCHEMA),
    // v15: knowledge upkeep proposals and their decisions, kept across restarts.
    M::up(super::kb_proposals::SCHEMA),
];

/// The latest schema version.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

pub(super) fn migrate(conn: &mut Connection) -> Result<(), rusqlite_migration::Error> {
    Migrations::from_slice(MIGRATIONS).to_latest(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert!(Migrations::from_slice(MIGRATIONS).validate().is_ok());
    }
}
