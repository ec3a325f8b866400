//! What a board task is: its status, the stored row, its notes, and the changes an
//! update or a toggle makes (pure functions, so the rules are tested without SQL).

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::BoardTaskId;
use crate::questions::Priority;

/// A board task's column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BoardStatus {
    /// Not started.
    Todo,
    /// Being worked on.
    Doing,
    /// Finished (`completedAt` says when).
    Done,
    /// Decided not to do.
    Skipped,
}

impl BoardStatus {
    /// Every status, in board order.
    pub const ALL: [BoardStatus; 4] = [
        BoardStatus::Todo,
        BoardStatus::Doing,
        BoardStatus::Done,
        BoardStatus::Skipped,
    ];

    /// The stored and wire spelling (`todo`).
    pub fn as_str(self) -> &'static str {
        match self {
            BoardStatus::Todo => "todo",
            BoardStatus::Doing => "doing",
            BoardStatus::Done => "done",
            BoardStatus::Skipped => "skipped",
        }
    }

    /// The status spelled `s`.
    pub fn parse(s: &str) -> Option<BoardStatus> {
        BoardStatus::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// What `mission_board_toggle` makes of it: done becomes todo, anything else done
    /// (a checkbox: ticking a skipped task means it got done after all).
    pub fn toggled(self) -> BoardStatus {
        match self {
            BoardStatus::Done => BoardStatus::Todo,
            _ => BoardStatus::Done,
        }
    }
}

impl fmt::Display for BoardStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored board task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardTask {
    /// Its id.
    pub id: BoardTaskId,
    /// One-line title.
    pub title: String,
    /// Longer description.
    pub description: Option<String>,
    /// Its column.
    pub status: BoardStatus,
    /// How urgent.
    pub priority: Priority,
    /// Tags, in the order given, without duplicates.
    pub tags: Vec<String>,
    /// Who does it: a slot id or a person.
    pub assignee: Option<String>,
    /// Left out of lists and the summary unless asked for.
    pub hidden: bool,
    /// How many notes it has.
    pub note_count: u64,
    /// Created, Unix ms.
    pub created_at: i64,
    /// Last changed (fields, status or a new note), Unix ms.
    pub updated_at: i64,
    /// When it became done; `None` unless its status is done.
    pub completed_at: Option<i64>,
}

/// A note on a board task: notes are only ever added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardNote {
    /// Its row id (grows with time).
    pub id: i64,
    /// Who wrote it.
    pub author: String,
    /// The note.
    pub text: String,
    /// Written, Unix ms.
    pub created_at: i64,
}

/// A board task being created, already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBoardTask {
    /// One-line title.
    pub title: String,
    /// Longer description.
    pub description: Option<String>,
    /// How urgent.
    pub priority: Priority,
    /// Tags.
    pub tags: Vec<String>,
    /// Who does it.
    pub assignee: Option<String>,
    /// Left out of lists unless asked for.
    pub hidden: bool,
    /// Created, Unix ms.
    pub created_at: i64,
}

/// What an update changes, already checked; `None` leaves a field as it is. For the
/// optional fields, `Some(None)` clears them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardChange {
    /// New title.
    pub title: Option<String>,
    /// New description, or clear it.
    pub description: Option<Option<String>>,
    /// New status.
    pub status: Option<BoardStatus>,
    /// New priority.
    pub priority: Option<Priority>,
    /// New tags (the whole list).
    pub tags: Option<Vec<String>>,
    /// New assignee, or clear it.
    pub assignee: Option<Option<String>>,
    /// Hide or show.
    pub hidden: Option<bool>,
}

impl BoardChange {
    /// Changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == BoardChange::default()
    }
}

impl BoardTask {
    /// Applies `change` at `now`: only given fields change; entering done stamps
    /// `completed_at` (staying done keeps the first stamp), leaving done clears it.
    pub fn apply(&mut self, change: &BoardChange, now: i64) {
        if let Some(title) = &change.title {
            self.title = title.clone();
        }
        if let Some(description) = &change.description {
            self.description = description.clone();
        }
        if let Some(status) = change.status {
            self.set_status(status, now);
        }
        if let Some(priority) = change.priority {
            self.priority = priority;
        }
        if let Some(tags) = &change.tags {
            self.tags = tags.clone();
        }
        if let Some(assignee) = &change.assignee {
            self.assignee = assignee.clone();
        }
        if let Some(hidden) = change.hidden {
            self.hidden = hidden;
        }
        self.updated_at = now;
    }

    /// Moves it to `status` at `now`, keeping `completed_at` in step.
    pub fn set_status(&mut self, status: BoardStatus, now: i64) {
        self.completed_at = match (self.status, status) {
            (BoardStatus::Done, BoardStatus::Done) => self.completed_at.or(Some(now)),
            (_, BoardStatus::Done) => Some(now),
            _ => None,
        };
        self.status = status;
        self.updated_at = now;
    }
}

/// Which board tasks to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardQuery {
    /// Only this status.
    pub status: Option<BoardStatus>,
    /// Only tasks carrying this tag.
    pub tag: Option<String>,
    /// Only tasks assigned to this slot or person.
    pub assignee: Option<String>,
    /// Hidden tasks too.
    pub include_hidden: bool,
    /// At most this many.
    pub limit: u32,
}
