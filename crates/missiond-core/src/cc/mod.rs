//! What Claude Code writes about its live sessions and task lists, parsed leniently (the
//! files are undocumented and change between versions: unknown fields are ignored, a
//! file that does not parse is skipped, never an error that stops the watcher).
//!
//! - [`session_file`]: `sessions/<pid>.json`, one running session's live status.
//! - [`tasks`]: `tasks/<task list id>/<task id>.json`, a task list's tasks.
//! - [`model`]: what the `mission_cc_*` tools return.

pub mod model;
pub mod session_file;
pub mod tasks;

#[cfg(test)]
mod tests;
