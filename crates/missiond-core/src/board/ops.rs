//! The board tools over the store: check the arguments, change or read the rows,
//! report them as the catalogue says.

use super::{BoardError, BoardNote, BoardTask, validate};
use crate::catalogue::{
    BOARD_SUMMARY_RECENT, BoardCounts, BoardCreateParams, BoardDeleteResult, BoardListParams,
    BoardListResult, BoardNoteAddParams, BoardNoteInfo, BoardSummaryResult, BoardTaskDetail,
    BoardTaskInfo, BoardTaskParams, BoardUpdateParams,
};
use crate::questions::validate::text;
use crate::store::Store;
use crate::time::rfc3339_ms;

impl BoardTask {
    /// As the tools report it.
    pub fn info(&self) -> BoardTaskInfo {
        BoardTaskInfo {
            board_task_id: self.id,
            title: self.title.clone(),
            description: self.description.clone(),
            status: self.status,
            priority: self.priority,
            tags: self.tags.clone(),
            assignee: self.assignee.clone(),
            hidden: self.hidden,
            note_count: self.note_count,
            created_at: rfc3339_ms(self.created_at),
            updated_at: rfc3339_ms(self.updated_at),
            completed_at: self.completed_at.map(rfc3339_ms),
        }
    }
}

impl BoardNote {
    /// As the tools report it.
    pub fn info(&self) -> BoardNoteInfo {
        BoardNoteInfo {
            author: self.author.clone(),
            text: self.text.clone(),
            created_at: rfc3339_ms(self.created_at),
        }
    }
}

fn detail(store: &Store, task: &BoardTask) -> Result<BoardTaskDetail, BoardError> {
    Ok(BoardTaskDetail {
        task: task.info(),
        notes: store
            .board_notes(task.id)?
            .iter()
            .map(BoardNote::info)
            .collect(),
    })
}

/// `mission_board_list`.
pub fn list(store: &Store, params: &BoardListParams) -> Result<BoardListResult, BoardError> {
    let (tasks, total) = store.board_tasks(&validate::query(params)?)?;
    Ok(BoardListResult {
        tasks: tasks.iter().map(BoardTask::info).collect(),
        total,
    })
}

/// `mission_board_create`.
pub fn create(
    store: &Store,
    params: BoardCreateParams,
    now: i64,
) -> Result<BoardTaskInfo, BoardError> {
    let new = validate::new_task(params, now)?;
    Ok(store.insert_board_task(&new)?.info())
}

/// `mission_board_update`.
pub fn update(
    store: &Store,
    params: BoardUpdateParams,
    now: i64,
) -> Result<BoardTaskInfo, BoardError> {
    let id = params.board_task_id;
    let change = validate::change(params)?;
    Ok(store.update_board_task(id, &change, now)?.info())
}

/// `mission_board_get`.
pub fn get(store: &Store, params: &BoardTaskParams) -> Result<BoardTaskDetail, BoardError> {
    let task = store
        .board_task(params.board_task_id)?
        .ok_or(BoardError::NotFound(params.board_task_id))?;
    detail(store, &task)
}

/// `mission_board_delete`.
pub fn delete(store: &Store, params: &BoardTaskParams) -> Result<BoardDeleteResult, BoardError> {
    Ok(BoardDeleteResult {
        deleted: store.delete_board_task(params.board_task_id)?.info(),
    })
}

/// `mission_board_toggle`.
pub fn toggle(
    store: &Store,
    params: &BoardTaskParams,
    now: i64,
) -> Result<BoardTaskInfo, BoardError> {
    Ok(store.toggle_board_task(params.board_task_id, now)?.info())
}

/// `mission_board_note_add`.
pub fn note_add(
    store: &Store,
    params: BoardNoteAddParams,
    now: i64,
) -> Result<BoardTaskDetail, BoardError> {
    let author = validate::author(params.author.as_deref())?;
    let note = text("text", params.text)?;
    let task = store.add_board_note(params.board_task_id, &author, &note, now)?;
    detail(store, &task)
}

/// `mission_board_summary`.
pub fn summary(store: &Store) -> Result<BoardSummaryResult, BoardError> {
    let ([todo, doing, done, skipped], hidden) = store.board_counts()?;
    Ok(BoardSummaryResult {
        counts: BoardCounts {
            todo,
            doing,
            done,
            skipped,
        },
        total: todo + doing + done + skipped,
        hidden,
        recent: store
            .recent_board_tasks(BOARD_SUMMARY_RECENT)?
            .iter()
            .map(BoardTask::info)
            .collect(),
    })
}
