//! Mission board: a task (kanban) board for people and the orchestrator, with notes.
//!
//! Board tasks are plain records, unrelated to the task queue (`t-` tasks run on
//! slots; `b-` board tasks are a to-do list): a title, a status (todo, doing, done,
//! skipped), a priority, tags, an assignee, a hidden flag and append-only notes. They
//! live in the store (see [`crate::store`]), so they survive restarts.
//!
//! - [`id`]: `b-000123` ids.
//! - [`model`]: statuses, rows, and the rules of an update or a toggle.
//! - [`validate`]: argument checks.
//! - [`error`]: why an operation is refused, as JSON-RPC errors.
//! - [`ops`]: the tools' implementations over the store.

pub mod error;
pub mod id;
pub mod model;
pub mod ops;
pub mod validate;

pub use crate::questions::Priority;
pub use error::BoardError;
pub use id::{BadBoardTaskId, BoardTaskId};
pub use model::{BoardChange, BoardNote, BoardQuery, BoardStatus, BoardTask, NewBoardTask};

#[cfg(test)]
mod tests;
