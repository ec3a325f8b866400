//! Tool permissions: what each slot's agent may do without asking.
//!
//! Claude Code's `PreToolUse` hook asks the daemon about every tool call (tool name and
//! real input); [`Policy::decide`] answers allow, deny (with a reason the agent sees) or
//! ask (Claude Code shows its own dialog), and returns a [`Decision`] carrying slot, role,
//! tool, input, the argument as matched, the deciding rules and the outcome, for the
//! caller to log and store. The engine is pure apart from the [`FileSystem`] used to
//! follow symlinks.
//!
//! - [`pattern`]: `Tool(argument glob)` syntax and matching.
//! - [`shell`]: Bash command lines cut into simple commands, wrappers seen through.
//! - [`path`]: paths resolved like the kernel does (`..`, symlinks).
//! - [`policy`]: roles, slot overrides, auto-allow, and how they combine.
//! - [`file`](mod@file): `permissions.yaml`, read and written.
//! - [`store`]: the policy in force, swapped atomically on change.
//!
//! Design choices, in one place: deny beats everything; with no matching rule a call asks;
//! allow rules match strictly (the command as written, the path after `..` and symlinks)
//! while deny and confirm rules match loosely (every spelling of the command, the path
//! before and after resolution, `*` across folders, case ignored); anything that cannot
//! be analysed with confidence asks. Glob matching of shell text is not a sandbox: see
//! [`shell`] for what is and is not seen through.

pub mod file;
pub mod path;
pub mod pattern;
pub mod policy;
pub mod shell;
pub mod store;
mod subject;

pub use file::PermissionsError;
pub use path::{FileSystem, RealFs};
pub use pattern::{ListKind, Rule};
pub use policy::{AutoAllow, Decision, MatchedRule, Outcome, Policy, Request, RuleSet, RuleSource};
pub use store::PolicyStore;

#[cfg(test)]
mod tests;
