//! Claude Code's skills: `SKILL.md` files with a YAML front matter (`name`,
//! `description`) and a Markdown body, found in three places:
//!
//! - the user's: `<claude config dir>/skills/<skill>/SKILL.md` (`~/.claude`, or
//!   `CLAUDE_CONFIG_DIR`);
//! - each slot's project: `<slot cwd>/.claude/skills/<skill>/SKILL.md`;
//! - installed plugins: `<installPath>/skills/<skill>/SKILL.md` for every plugin in
//!   `<claude config dir>/plugins/installed_plugins.json`.
//!
//! - [`parse`]: one file to a [`Skill`] or a clear error.
//! - [`scan`]: the folders to a list of skills and per-file errors.
//! - [`index`]: full-text search over them (SQLite FTS5, in memory).
//! - [`context`]: a task's context from skills and knowledge, within a byte budget.

pub mod context;
pub mod index;
pub mod parse;
pub mod scan;

#[cfg(test)]
mod tests;

use std::path::PathBuf;

use crate::catalogue::{SkillInfo, SkillSource};

/// Largest `SKILL.md` read, in bytes.
pub const MAX_SKILL_FILE_BYTES: u64 = 1024 * 1024;
/// Most skills one scan collects (further ones are reported as errors).
pub const MAX_SKILLS: usize = 5000;

/// One skill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skill {
    /// Front matter `name` (else its folder's name).
    pub name: String,
    /// Front matter `description`.
    pub description: String,
    /// The Markdown after the front matter.
    pub body: String,
    /// Where it was found.
    pub source: SkillSource,
    /// Slots (project) or plugin (plugin) it belongs to.
    pub origin: Option<String>,
    /// Its file.
    pub path: PathBuf,
}

impl Skill {
    /// As the tools show it.
    pub fn info(&self) -> SkillInfo {
        SkillInfo {
            name: self.name.clone(),
            description: self.description.clone(),
            source: self.source,
            origin: self.origin.clone(),
            path: self.path.display().to_string(),
            body_bytes: self.body.len() as u64,
        }
    }
}
