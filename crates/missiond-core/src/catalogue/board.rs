//! Mission board tools: a task (kanban) board with notes, hidden tasks and a skipped
//! status, kept for people and the orchestrator (not the task queue that runs prompts
//! on slots).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::params::EmptyParams;
use super::{Annotations, Tool, ToolDef};
use crate::board::{BoardStatus, BoardTaskId};
use crate::questions::Priority;

/// Default number of board tasks one `mission_board_list` call returns.
pub const BOARD_LIST_DEFAULT: u32 = 100;
/// Most board tasks one `mission_board_list` call returns.
pub const BOARD_LIST_MAX: u32 = 500;
/// How many recently changed tasks `mission_board_summary` shows.
pub const BOARD_SUMMARY_RECENT: u32 = 5;

// Tools that change the board (and nothing outside missiond).
const CHANGES: Annotations = Annotations {
    read_only_hint: false,
    destructive_hint: false,
    idempotent_hint: false,
    open_world_hint: false,
};

/// `mission_board_list`.
pub struct BoardList;
/// `mission_board_create`.
pub struct BoardCreate;
/// `mission_board_update`.
pub struct BoardUpdate;
/// `mission_board_get`.
pub struct BoardGet;
/// `mission_board_delete`.
pub struct BoardDelete;
/// `mission_board_toggle`.
pub struct BoardToggle;
/// `mission_board_note_add`.
pub struct BoardNoteAdd;
/// `mission_board_summary`.
pub struct BoardSummary;

/// A board task as the tools report it (notes counted, not listed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BoardTaskInfo {
    /// Its id (`b-000123`).
    pub board_task_id: BoardTaskId,
    /// One-line title.
    pub title: String,
    /// Longer description.
    pub description: Option<String>,
    /// todo, doing, done or skipped.
    pub status: BoardStatus,
    /// low, normal, high or urgent.
    pub priority: Priority,
    /// Its tags.
    pub tags: Vec<String>,
    /// Who does it: a slot id or a person.
    pub assignee: Option<String>,
    /// Left out of lists and the summary unless includeHidden is true.
    pub hidden: bool,
    /// How many notes it has (mission_board_get lists them).
    pub note_count: u64,
    /// When it was created.
    pub created_at: String,
    /// When it last changed (a field, its status or a new note).
    pub updated_at: String,
    /// When it became done (only while done).
    pub completed_at: Option<String>,
}

/// A note on a board task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BoardNoteInfo {
    /// Who wrote it.
    pub author: String,
    /// The note.
    pub text: String,
    /// When it was written.
    pub created_at: String,
}

/// A board task with its notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BoardTaskDetail {
    /// The task.
    #[serde(flatten)]
    pub task: BoardTaskInfo,
    /// Its notes, oldest first.
    pub notes: Vec<BoardNoteInfo>,
}

/// Arguments of `mission_board_list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BoardListParams {
    /// Only tasks in this status: todo, doing, done or skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<BoardStatus>,
    /// Only tasks carrying this tag (exact match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Only tasks assigned to this slot or person (exact match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// Include hidden tasks (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_hidden: Option<bool>,
    /// At most this many (default 100, at most 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 500))]
    pub limit: Option<u32>,
}

/// Result of `mission_board_list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BoardListResult {
    /// The tasks, most urgent first, then oldest first.
    pub tasks: Vec<BoardTaskInfo>,
    /// How many tasks match in all (more than listed when the limit cut the list).
    pub total: u64,
}

impl Tool for BoardList {
    const NAME: &'static str = "mission_board_list";
    const TITLE: &'static str = "Board tasks";
    const DESCRIPTION: &'static str = "List the mission board's tasks, most urgent \
        first then oldest first, filtered by status (todo, doing, done, skipped), tag \
        or assignee; hidden tasks are left out unless includeHidden is true. Each \
        task comes with its note count, not its notes (mission_board_get has them). \
        The board is a to-do list for people and the orchestrator; it does not run \
        anything on slots (mission_submit does).";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = BoardListParams;
    type Output = BoardListResult;
}

/// Arguments of `mission_board_create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BoardCreateParams {
    /// One-line title (at most 300 characters).
    #[schemars(length(min = 1, max = 300))]
    pub title: String,
    /// Longer description (at most 64 KiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 65536))]
    pub description: Option<String>,
    /// low, normal (default), high or urgent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// Tags (at most 20, each one line of at most 300 characters; duplicates dropped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub tags: Option<Vec<String>>,
    /// Who does it: a slot id or a person (one line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 300))]
    pub assignee: Option<String>,
    /// Hide it from lists and the summary (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<bool>,
}

impl Tool for BoardCreate {
    const NAME: &'static str = "mission_board_create";
    const TITLE: &'static str = "Add a board task";
    const DESCRIPTION: &'static str = "Add a task to the mission board, in status todo, \
        and return it with its id (b-000123). Use the board to keep track of work \
        items, plans and follow-ups across sessions; it survives daemon restarts. \
        Fails with invalid_params naming the field for an empty title, a title over \
        300 characters, a description over 64 KiB or more than 20 tags.";
    const ANNOTATIONS: Annotations = CHANGES;
    type Params = BoardCreateParams;
    type Output = BoardTaskInfo;
}

/// Arguments of `mission_board_update`: only the fields given change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BoardUpdateParams {
    /// The task (`b-000123`).
    pub board_task_id: BoardTaskId,
    /// New one-line title (at most 300 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 300))]
    pub title: Option<String>,
    /// New description (at most 64 KiB); an empty string clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 65536))]
    pub description: Option<String>,
    /// New status: todo, doing, done (stamps completedAt) or skipped; leaving done
    /// clears completedAt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<BoardStatus>,
    /// New priority: low, normal, high or urgent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// New tags, replacing the old ones (at most 20; an empty list clears them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub tags: Option<Vec<String>>,
    /// New assignee (a slot id or a person); an empty string clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 300))]
    pub assignee: Option<String>,
    /// Hide it (true) or show it again (false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<bool>,
}

impl Tool for BoardUpdate {
    const NAME: &'static str = "mission_board_update";
    const TITLE: &'static str = "Change a board task";
    const DESCRIPTION: &'static str = "Change a board task: only the fields given \
        change (an empty description or assignee clears it; tags replace the whole \
        list). Setting status done stamps completedAt; moving it out of done clears \
        it. Returns the task as it is now. Fails with invalid_params naming the field \
        for an unknown boardTaskId, a bad value, or no field to change.";
    const ANNOTATIONS: Annotations = Annotations {
        idempotent_hint: true,
        ..CHANGES
    };
    type Params = BoardUpdateParams;
    type Output = BoardTaskInfo;
}

/// Names one board task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BoardTaskParams {
    /// The task (`b-000123`).
    pub board_task_id: BoardTaskId,
}

impl Tool for BoardGet {
    const NAME: &'static str = "mission_board_get";
    const TITLE: &'static str = "One board task with its notes";
    const DESCRIPTION: &'static str = "Return one board task by id, hidden or not, with \
        every field and all its notes oldest first (author, text, time). Use it \
        before working on a task to read what was noted on it. Fails with \
        invalid_params naming boardTaskId for a malformed or unknown id.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = BoardTaskParams;
    type Output = BoardTaskDetail;
}

/// Result of `mission_board_delete`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BoardDeleteResult {
    /// The deleted task, as it was.
    pub deleted: BoardTaskInfo,
}

impl Tool for BoardDelete {
    const NAME: &'static str = "mission_board_delete";
    const TITLE: &'static str = "Delete a board task";
    const DESCRIPTION: &'static str = "Delete a board task and its notes for good, and \
        return it as it was. Its id is never reused. To keep a task but take it off \
        the board, set hidden or status skipped with mission_board_update instead. \
        Fails with invalid_params naming boardTaskId for an unknown id.";
    const ANNOTATIONS: Annotations = Annotations {
        destructive_hint: true,
        ..CHANGES
    };
    type Params = BoardTaskParams;
    type Output = BoardDeleteResult;
}

impl Tool for BoardToggle {
    const NAME: &'static str = "mission_board_toggle";
    const TITLE: &'static str = "Tick or untick a board task";
    const DESCRIPTION: &'static str = "Flip a board task like a checkbox: todo, doing \
        or skipped become done (stamping completedAt); done becomes todo (clearing \
        it). Returns the task as it is now. Fails with invalid_params naming \
        boardTaskId for an unknown id.";
    const ANNOTATIONS: Annotations = CHANGES;
    type Params = BoardTaskParams;
    type Output = BoardTaskInfo;
}

/// Arguments of `mission_board_note_add`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BoardNoteAddParams {
    /// The task (`b-000123`).
    pub board_task_id: BoardTaskId,
    /// The note (not blank, at most 64 KiB).
    #[schemars(length(min = 1, max = 65536))]
    pub text: String,
    /// Who writes it (one line; default `orchestrator`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 300))]
    pub author: Option<String>,
}

impl Tool for BoardNoteAdd {
    const NAME: &'static str = "mission_board_note_add";
    const TITLE: &'static str = "Add a note to a board task";
    const DESCRIPTION: &'static str = "Append a note to a board task (findings, \
        decisions, progress); notes are never edited or removed except with the \
        task. Returns the task with all its notes. Fails with invalid_params naming \
        the field for a blank note, a note over 64 KiB or an unknown boardTaskId.";
    const ANNOTATIONS: Annotations = CHANGES;
    type Params = BoardNoteAddParams;
    type Output = BoardTaskDetail;
}

/// Visible board tasks per status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BoardCounts {
    /// Not started.
    pub todo: u64,
    /// Being worked on.
    pub doing: u64,
    /// Finished.
    pub done: u64,
    /// Decided not to do.
    pub skipped: u64,
}

/// Result of `mission_board_summary`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BoardSummaryResult {
    /// Visible tasks per status.
    pub counts: BoardCounts,
    /// Visible tasks in all.
    pub total: u64,
    /// Hidden tasks (any status), not in the counts.
    pub hidden: u64,
    /// The visible tasks changed last (at most 5), newest change first.
    pub recent: Vec<BoardTaskInfo>,
}

impl Tool for BoardSummary {
    const NAME: &'static str = "mission_board_summary";
    const TITLE: &'static str = "The board at a glance";
    const DESCRIPTION: &'static str = "Summarise the mission board: how many visible \
        tasks are todo, doing, done and skipped, how many are hidden, and the few \
        tasks changed most recently. Use it to get your bearings at the start of a \
        session; mission_board_list gives the full list.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = EmptyParams;
    type Output = BoardSummaryResult;
}

/// This area's tools, in display order.
pub(super) fn defs() -> Vec<ToolDef> {
    vec![
        ToolDef::of::<BoardList>(),
        ToolDef::of::<BoardCreate>(),
        ToolDef::of::<BoardUpdate>(),
        ToolDef::of::<BoardGet>(),
        ToolDef::of::<BoardDelete>(),
        ToolDef::of::<BoardToggle>(),
        ToolDef::of::<BoardNoteAdd>(),
        ToolDef::of::<BoardSummary>(),
    ]
}
