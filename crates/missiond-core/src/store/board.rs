//! `board_tasks` and `board_notes`: the mission board's rows (see [`crate::board`]).
//!
//! Changes are one transaction each: an update reads the row, applies the board's
//! rules ([`BoardTask::apply`]) and writes it back under the same write lock.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Store, StoreError, query_err};
use crate::board::{
    BoardChange, BoardError, BoardNote, BoardQuery, BoardStatus, BoardTask, BoardTaskId,
    NewBoardTask,
};
use crate::questions::Priority;

/// The schema this area adds (one migration; see `migrations.rs`). AUTOINCREMENT keeps
/// the id of a deleted task from being given to a new one.
pub(super) const SCHEMA: &str = "CREATE TABLE board_tasks (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,   -- shown as b-000123
        title        TEXT    NOT NULL CHECK (length(title) > 0),
        description  TEXT,
        status       TEXT    NOT NULL DEFAULT 'todo'
                     CHECK (status IN ('todo', 'doing', 'done', 'skipped')),
        priority     INTEGER NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 3),
        tags         TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
        assignee     TEXT,                -- a slot id or a person
        hidden       INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
        created_at   INTEGER NOT NULL,    -- Unix ms
        updated_at   INTEGER NOT NULL,
        completed_at INTEGER,             -- set exactly while done
        CHECK ((status = 'done') = (completed_at IS NOT NULL))
    ) STRICT;
    CREATE INDEX board_tasks_by_status ON board_tasks(status, priority DESC, id);
    CREATE INDEX board_tasks_by_update ON board_tasks(updated_at DESC, id DESC);
    CREATE TABLE board_notes (
        id            INTEGER PRIMARY KEY,
        board_task_id INTEGER NOT NULL REFERENCES board_tasks(id) ON DELETE CASCADE,
        author        TEXT    NOT NULL CHECK (length(author) > 0),
        text          TEXT    NOT NULL CHECK (length(trim(text)) > 0),
        created_at    INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX board_notes_by_task ON board_notes(board_task_id, id);
    -- Notes are a log: added, never edited.
    CREATE TRIGGER board_notes_append_only BEFORE UPDATE ON board_notes
    BEGIN SELECT RAISE(ABORT, 'board notes are append-only'); END;";

const COLUMNS: &str = "t.id, t.title, t.description, t.status, t.priority, t.tags, \
    t.assignee, t.hidden, t.created_at, t.updated_at, t.completed_at, \
    (SELECT count(*) FROM board_notes n WHERE n.board_task_id = t.id)";

/// Filters of a listing: ?1 status, ?2 tag, ?3 assignee, ?4 include hidden.
const FILTER: &str = "(?1 IS NULL OR t.status = ?1)
    AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(t.tags) WHERE json_each.value = ?2))
    AND (?3 IS NULL OR t.assignee = ?3)
    AND (?4 OR t.hidden = 0)";

fn from_row(r: &Row<'_>) -> rusqlite::Result<BoardTask> {
    let status: String = r.get(3)?;
    let tags: String = r.get(5)?;
    Ok(BoardTask {
        id: BoardTaskId(r.get(0)?),
        title: r.get(1)?,
        description: r.get(2)?,
        // The column is CHECKed to hold one of the four spellings.
        status: BoardStatus::parse(&status).unwrap_or(BoardStatus::Todo),
        priority: Priority::from_rank(r.get(4)?),
        // The column is CHECKed to be JSON, and only arrays of strings are written.
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        assignee: r.get(6)?,
        hidden: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
        completed_at: r.get(10)?,
        note_count: r.get::<_, i64>(11)?.unsigned_abs(),
    })
}

fn note_from_row(r: &Row<'_>) -> rusqlite::Result<BoardNote> {
    Ok(BoardNote {
        id: r.get(0)?,
        author: r.get(1)?,
        text: r.get(2)?,
        created_at: r.get(3)?,
    })
}

fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

fn get(conn: &Connection, id: BoardTaskId) -> rusqlite::Result<Option<BoardTask>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM board_tasks t WHERE t.id = ?1"
    ))?
    .query_row([id.0], from_row)
    .optional()
}

/// The board task `id`, or `NotFound`.
fn existing(
    conn: &Connection,
    id: BoardTaskId,
    action: &'static str,
) -> Result<BoardTask, BoardError> {
    get(conn, id)
        .map_err(query_err(action))?
        .ok_or(BoardError::NotFound(id))
}

/// Writes every changeable column of `t`.
fn save(conn: &Connection, t: &BoardTask) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE board_tasks SET title = ?2, description = ?3, status = ?4, priority = ?5,
           tags = ?6, assignee = ?7, hidden = ?8, updated_at = ?9, completed_at = ?10
         WHERE id = ?1",
    )?
    .execute(params![
        t.id.0,
        t.title,
        t.description,
        t.status.as_str(),
        t.priority.rank(),
        tags_json(&t.tags),
        t.assignee,
        t.hidden,
        t.updated_at,
        t.completed_at
    ])?;
    Ok(())
}

impl Store {
    /// Adds a board task (status todo).
    pub fn insert_board_task(&self, t: &NewBoardTask) -> Result<BoardTask, BoardError> {
        const ACTION: &str = "adding a board task";
        self.write(ACTION, |tx| {
            tx.prepare_cached(
                "INSERT INTO board_tasks
                   (title, description, priority, tags, assignee, hidden, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    t.title,
                    t.description,
                    t.priority.rank(),
                    tags_json(&t.tags),
                    t.assignee,
                    t.hidden,
                    t.created_at
                ])
            })
            .map_err(query_err(ACTION))?;
            existing(tx, BoardTaskId(tx.last_insert_rowid()), ACTION)
        })
    }

    /// One board task, if it exists.
    pub fn board_task(&self, id: BoardTaskId) -> Result<Option<BoardTask>, StoreError> {
        get(&self.conn(), id).map_err(query_err("reading a board task"))
    }

    /// A board task's notes, oldest first.
    pub fn board_notes(&self, id: BoardTaskId) -> Result<Vec<BoardNote>, StoreError> {
        const ACTION: &str = "reading board notes";
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, author, text, created_at FROM board_notes
                 WHERE board_task_id = ?1 ORDER BY id",
            )
            .map_err(query_err(ACTION))?;
        stmt.query_map([id.0], note_from_row)
            .and_then(Iterator::collect)
            .map_err(query_err(ACTION))
    }

    /// Board tasks matching `q`, most urgent first then oldest first, and how many
    /// match in all (before the limit).
    pub fn board_tasks(&self, q: &BoardQuery) -> Result<(Vec<BoardTask>, u64), StoreError> {
        const ACTION: &str = "listing board tasks";
        let conn = self.conn();
        let status = q.status.map(BoardStatus::as_str);
        let total: i64 = conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM board_tasks t WHERE {FILTER}"
            ))
            .and_then(|mut stmt| {
                stmt.query_row(params![status, q.tag, q.assignee, q.include_hidden], |r| {
                    r.get(0)
                })
            })
            .map_err(query_err(ACTION))?;
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM board_tasks t WHERE {FILTER}
                 ORDER BY t.priority DESC, t.id LIMIT ?5"
            ))
            .map_err(query_err(ACTION))?;
        let tasks = stmt
            .query_map(
                params![status, q.tag, q.assignee, q.include_hidden, q.limit],
                from_row,
            )
            .and_then(Iterator::collect)
            .map_err(query_err(ACTION))?;
        Ok((tasks, total.unsigned_abs()))
    }

    /// Visible board tasks per status (in [`BoardStatus::ALL`] order), and how many
    /// are hidden.
    pub fn board_counts(&self) -> Result<([u64; 4], u64), StoreError> {
        const ACTION: &str = "counting board tasks";
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT status, hidden, count(*) FROM board_tasks GROUP BY status, hidden",
            )
            .map_err(query_err(ACTION))?;
        let rows: Vec<(String, bool, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(Iterator::collect)
            .map_err(query_err(ACTION))?;
        let (mut counts, mut hidden) = ([0u64; 4], 0u64);
        for (status, is_hidden, n) in rows {
            if is_hidden {
                hidden += n.unsigned_abs();
            } else if let Some(i) = BoardStatus::ALL.iter().position(|s| s.as_str() == status) {
                counts[i] += n.unsigned_abs();
            }
        }
        Ok((counts, hidden))
    }

    /// The `limit` visible board tasks changed last, newest change first.
    pub fn recent_board_tasks(&self, limit: u32) -> Result<Vec<BoardTask>, StoreError> {
        const ACTION: &str = "listing recent board tasks";
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM board_tasks t WHERE t.hidden = 0
                 ORDER BY t.updated_at DESC, t.id DESC LIMIT ?1"
            ))
            .map_err(query_err(ACTION))?;
        stmt.query_map([limit], from_row)
            .and_then(Iterator::collect)
            .map_err(query_err(ACTION))
    }

    /// Applies `change` to board task `id` at `now` (see [`BoardTask::apply`]).
    pub fn update_board_task(
        &self,
        id: BoardTaskId,
        change: &BoardChange,
        now: i64,
    ) -> Result<BoardTask, BoardError> {
        const ACTION: &str = "updating a board task";
        self.write(ACTION, |tx| {
            let mut task = existing(tx, id, ACTION)?;
            task.apply(change, now);
            save(tx, &task).map_err(query_err(ACTION))?;
            Ok(task)
        })
    }

    /// Flips board task `id` between done and not done (see [`BoardStatus::toggled`]).
    pub fn toggle_board_task(&self, id: BoardTaskId, now: i64) -> Result<BoardTask, BoardError> {
        const ACTION: &str = "toggling a board task";
        self.write(ACTION, |tx| {
            let mut task = existing(tx, id, ACTION)?;
            task.set_status(task.status.toggled(), now);
            save(tx, &task).map_err(query_err(ACTION))?;
            Ok(task)
        })
    }

    /// Deletes board task `id` and its notes; returns it as it was.
    pub fn delete_board_task(&self, id: BoardTaskId) -> Result<BoardTask, BoardError> {
        const ACTION: &str = "deleting a board task";
        self.write(ACTION, |tx| {
            let task = existing(tx, id, ACTION)?;
            tx.execute("DELETE FROM board_tasks WHERE id = ?1", [id.0])
                .map_err(query_err(ACTION))?;
            Ok(task)
        })
    }

    /// Adds a note to board task `id` at `now` (which counts as a change of the task);
    /// returns the task with its new note count.
    pub fn add_board_note(
        &self,
        id: BoardTaskId,
        author: &str,
        text: &str,
        now: i64,
    ) -> Result<BoardTask, BoardError> {
        const ACTION: &str = "adding a board note";
        self.write(ACTION, |tx| {
            existing(tx, id, ACTION)?;
            tx.execute(
                "INSERT INTO board_notes (board_task_id, author, text, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![id.0, author, text, now],
            )
            .map_err(query_err(ACTION))?;
            tx.execute(
                "UPDATE board_tasks SET updated_at = ?2 WHERE id = ?1",
                params![id.0, now],
            )
            .map_err(query_err(ACTION))?;
            existing(tx, id, ACTION)
        })
    }
}
