//! Question queue: questions agents leave for a person instead of blocking.
//!
//! A question is created `pending` (and announced in the inbox as `agent_question`, in
//! the same transaction), then answered or dismissed once; both are final. Questions
//! live in the store (see [`crate::store`]), so they survive restarts.
//!
//! - [`id`]: `q-000123` ids (and the macro the board's ids share).
//! - [`model`]: statuses, priority, rows.
//! - [`validate`]: limits and checks, shared with the board.
//! - [`error`]: why an operation is refused, as JSON-RPC errors.
//! - [`ops`]: the tools' implementations over the store.

mod error;
pub mod id;
mod model;
pub mod ops;
pub mod validate;

pub use error::QuestionError;
pub use id::{BadQuestionId, QuestionId};
pub use model::{NewQuestion, Priority, Question, QuestionFilter, QuestionStatus};

#[cfg(test)]
mod tests;
