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
