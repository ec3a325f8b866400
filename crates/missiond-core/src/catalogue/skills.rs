//! Skill tools: Claude Code's `SKILL.md` files (user, slot projects, plugins), searched
//! and assembled into the context an agent needs for a task.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Annotations, Tool, ToolDef};

/// Default size budget of `mission_context_build`, in bytes.
pub const CONTEXT_DEFAULT_BYTES: u32 = 16 * 1024;
/// Largest size budget of `mission_context_build`, in bytes.
pub const CONTEXT_MAX_BYTES: u32 = 1024 * 1024;
/// Default number of `mission_skill_search` hits.
pub const SKILL_SEARCH_DEFAULT: u32 = 10;
/// Most `mission_skill_search` hits.
pub const SKILL_SEARCH_MAX: u32 = 100;

/// `mission_skill_list`.
pub struct SkillList;
/// `mission_skill_search`.
pub struct SkillSearch;
/// `mission_context_build`.
pub struct ContextBuild;

/// Where a skill was found.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SkillSource {
    /// The user's own skills (`~/.claude/skills/`).
    User,
    /// A slot's project (`<slot cwd>/.claude/skills/`).
    Project,
    /// An installed Claude Code plugin.
    Plugin,
}

/// One skill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkillInfo {
    /// Its name (front matter `name`).
    pub name: String,
    /// What it is for (front matter `description`).
    pub description: String,
    /// user, project or plugin.
    pub source: SkillSource,
    /// The slots whose project holds it (project skills), or the plugin's name.
    pub origin: Option<String>,
    /// Its `SKILL.md`.
    pub path: String,
    /// Size of its body (after the front matter), in bytes.
    pub body_bytes: u64,
}

/// A `SKILL.md` that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkillFileError {
    /// The file.
    pub path: String,
    /// What is wrong with it.
    pub error: String,
}

/// Arguments of `mission_skill_list`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SkillListParams {
    /// Only skills from this source: user, project or plugin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SkillSource>,
}

/// Result of `mission_skill_list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkillListResult {
    /// The skills, user first, then project, then plugin, each by name.
    pub skills: Vec<SkillInfo>,
    /// Files that are not valid skills, each with its problem.
    pub errors: Vec<SkillFileError>,
    /// The folders searched.
    pub searched: Vec<String>,
}

impl Tool for SkillList {
    const NAME: &'static str = "mission_skill_list";
    const TITLE: &'static str = "Available skills";
    const DESCRIPTION: &'static str = "List Claude Code's skills: SKILL.md files (front \
        matter name and description) under ~/.claude/skills/, each slot's project \
        .claude/skills/, and installed plugins' skills. A malformed file does not fail \
        the list: it is reported in errors with its path and problem. source keeps one \
        kind (user, project, plugin). Search them with mission_skill_search.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = SkillListParams;
    type Output = SkillListResult;
}

/// Arguments of `mission_skill_search`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SkillSearchParams {
    /// Words to find in skills' names, descriptions and bodies (every word must
    /// appear; prefixes match). At most 1000 characters.
    #[schemars(length(min = 1, max = 1000))]
    pub query: String,
    /// At most this many hits (default 10, at most 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub limit: Option<u32>,
}

/// One search hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkillHit {
    /// The skill.
    pub skill: SkillInfo,
    /// A short extract with the matches between `**`.
    pub snippet: String,
    /// Relevance (higher is better).
    pub score: f64,
}

/// Result of `mission_skill_search`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkillSearchResult {
    /// The hits, best first.
    pub hits: Vec<SkillHit>,
    /// Files that are not valid skills (not searched).
    pub errors: Vec<SkillFileError>,
}

impl Tool for SkillSearch {
    const NAME: &'static str = "mission_skill_search";
    const TITLE: &'static str = "Search skills";
    const DESCRIPTION: &'static str = "Full-text search (SQLite FTS5, ranked by bm25) \
        over the name, description and body of every skill mission_skill_list finds. \
        Every word of the query must appear; a word also matches as a prefix. Returns \
        the best hits first with a snippet. Fails with invalid_params naming `query` \
        for a blank or over-long query.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = SkillSearchParams;
    type Output = SkillSearchResult;
}

/// Arguments of `mission_context_build`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContextBuildParams {
    /// The task the context is for, in words (at most 1000 characters).
    #[schemars(length(min = 1, max = 1000))]
    pub task: String,
    /// Skills to include by name, before any found by the task's words; each must
    /// exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 50))]
    pub skills: Option<Vec<String>>,
    /// The size budget of the context, in bytes (default 16384, at most 1048576).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 256, max = 1048576))]
    pub max_bytes: Option<u32>,
}

/// What kind of source a part of the context came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContextSourceKind {
    /// A skill's SKILL.md.
    Skill,
    /// A knowledge base entry.
    Kb,
}

/// One part of the built context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContextSource {
    /// skill or kb.
    pub kind: ContextSourceKind,
    /// The skill's name, or the entry's key (else `#id`).
    pub name: String,
    /// The skill's file, or `kb:<id>`.
    pub location: String,
    /// Bytes it takes in the context.
    pub bytes: u64,
    /// Whether it was cut to fit the budget.
    pub truncated: bool,
}

/// Result of `mission_context_build`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContextBuildResult {
    /// The context, as Markdown: one section per source.
    pub context: String,
    /// Its size in bytes (never more than maxBytes).
    pub bytes: u64,
    /// The budget used.
    pub max_bytes: u32,
    /// Every source included, in order.
    pub sources: Vec<ContextSource>,
    /// Matching sources left out because the budget was spent.
    pub omitted: Vec<String>,
}

impl Tool for ContextBuild {
    const NAME: &'static str = "mission_context_build";
    const TITLE: &'static str = "Build context from skills";
    const DESCRIPTION: &'static str = "Assemble the context an agent needs for a task: \
        the skills named in skills, then the skills and knowledge base entries that \
        match the task's words (any of them, best first), as one Markdown text within \
        maxBytes (default 16 KiB). The last part that does not fit whole is cut; later \
        ones are listed in omitted. sources lists every part with its file or kb id. \
        Fails with invalid_params naming `skills` for an unknown skill name.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = ContextBuildParams;
    type Output = ContextBuildResult;
}

/// This area's tools, in display order.
pub(super) fn defs() -> Vec<ToolDef> {
    vec![
        ToolDef::of::<SkillList>(),
        ToolDef::of::<SkillSearch>(),
        ToolDef::of::<ContextBuild>(),
    ]
}
