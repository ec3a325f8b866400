//! Checks of the board tools' arguments (limits shared with the question queue).

use super::{BoardChange, BoardQuery, NewBoardTask};
use crate::catalogue::{
    BOARD_LIST_DEFAULT, BOARD_LIST_MAX, BoardCreateParams, BoardListParams, BoardUpdateParams,
};
use crate::questions::validate::{Invalid, line, lines, text};

/// Who a note is from when the caller does not say.
pub const DEFAULT_AUTHOR: &str = "orchestrator";

/// An optional text that may be cleared: an empty (or blank) string clears it.
fn clearable_text(field: &str, value: Option<String>) -> Result<Option<Option<String>>, Invalid> {
    value
        .map(|v| {
            if v.trim().is_empty() {
                Ok(None)
            } else {
                text(field, v).map(Some)
            }
        })
        .transpose()
}

/// An optional one-line value that may be cleared the same way.
fn clearable_line(field: &str, value: Option<&str>) -> Result<Option<Option<String>>, Invalid> {
    value
        .map(|v| {
            if v.trim().is_empty() {
                Ok(None)
            } else {
                line(field, v).map(Some)
            }
        })
        .transpose()
}

/// `mission_board_create`'s arguments, checked.
pub fn new_task(p: BoardCreateParams, now: i64) -> Result<NewBoardTask, Invalid> {
    Ok(NewBoardTask {
        title: line("title", &p.title)?,
        description: p.description.map(|d| text("description", d)).transpose()?,
        priority: p.priority.unwrap_or_default(),
        tags: lines("tags", p.tags.as_deref().unwrap_or_default())?,
        assignee: p.assignee.map(|a| line("assignee", &a)).transpose()?,
        hidden: p.hidden.unwrap_or(false),
        created_at: now,
    })
}

/// `mission_board_update`'s arguments, checked; at least one field must be given.
pub fn change(p: BoardUpdateParams) -> Result<BoardChange, Invalid> {
    let change = BoardChange {
        title: p.title.map(|t| line("title", &t)).transpose()?,
        description: clearable_text("description", p.description)?,
        status: p.status,
        priority: p.priority,
        tags: p.tags.map(|t| lines("tags", &t)).transpose()?,
        assignee: clearable_line("assignee", p.assignee.as_deref())?,
        hidden: p.hidden,
    };
    if change.is_empty() {
        return Err(Invalid::new(
            "",
            "nothing to change: give at least one of title, description, status, \
             priority, tags, assignee, hidden",
        ));
    }
    Ok(change)
}

/// `mission_board_list`'s arguments, checked.
pub fn query(p: &BoardListParams) -> Result<BoardQuery, Invalid> {
    Ok(BoardQuery {
        status: p.status,
        tag: p.tag.as_deref().map(|t| line("tag", t)).transpose()?,
        assignee: p
            .assignee
            .as_deref()
            .map(|a| line("assignee", a))
            .transpose()?,
        include_hidden: p.include_hidden.unwrap_or(false),
        limit: p
            .limit
            .unwrap_or(BOARD_LIST_DEFAULT)
            .clamp(1, BOARD_LIST_MAX),
    })
}

/// A note's author: trimmed, one line; the default when absent.
pub fn author(value: Option<&str>) -> Result<String, Invalid> {
    match value {
        Some(a) => line("author", a),
        None => Ok(DEFAULT_AUTHOR.to_string()),
    }
}
