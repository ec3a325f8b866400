//! Detection rules as data: glyph sets, marker phrases, dialog titles and option
//! phrases. A change in Claude Code's TUI should be a rules edit, not a code change.
//!
//! The built-in rules (`src/rules.json`) are embedded in the crate; [`Rules::from_json`]
//! loads another file with the same shape.

use regex::Regex;
use serde::Deserialize;

use crate::event::{DialogKind, OptionMeaning};

/// The rules this crate ships with.
pub const BUILTIN_RULES_JSON: &str = include_str!("rules.json");

/// The rules format version this crate understands.
pub const RULES_VERSION: u32 = 1;

/// A rules file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("rules are not valid JSON for this format: {0}")]
    Json(#[from] serde_json::Error),
    #[error("rules version {found} is not supported (expected {RULES_VERSION})")]
    Version { found: u32 },
    #[error("rule {field}: bad regex {pattern:?}: {source}")]
    Regex {
        field: &'static str,
        pattern: String,
        source: regex::Error,
    },
    #[error("rule {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

#[derive(Deserialize)]
struct RawContext {
    regex: String,
    meaning: String,
}

#[derive(Deserialize)]
struct RawDialogKind {
    title: String,
    kind: DialogKindName,
    #[serde(default)]
    tool: Option<String>,
}

#[derive(Deserialize)]
struct RawBodyKind {
    pattern: String,
    kind: DialogKindName,
    #[serde(default)]
    tool: Option<String>,
}

#[derive(Deserialize)]
struct RawMeaning {
    regex: String,
    meaning: MeaningName,
    /// Only in dialogs of these kinds (every kind when empty).
    #[serde(default)]
    kinds: Vec<DialogKindName>,
}

#[derive(Deserialize)]
struct RawSubagents {
    row: String,
    waiting: String,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum DialogKindName {
    Bash,
    FileWrite,
    FileEdit,
    McpTool,
    WebFetch,
    OtherTool,
    FolderTrust,
    ApiKeyApproval,
    Onboarding,
    AskUserQuestion,
    ExitPlanMode,
}

impl From<DialogKindName> for DialogKind {
    fn from(k: DialogKindName) -> Self {
        match k {
            DialogKindName::Bash => DialogKind::Bash,
            DialogKindName::FileWrite => DialogKind::FileWrite,
            DialogKindName::FileEdit => DialogKind::FileEdit,
            DialogKindName::McpTool => DialogKind::McpTool,
            DialogKindName::WebFetch => DialogKind::WebFetch,
            DialogKindName::OtherTool => DialogKind::OtherTool,
            DialogKindName::FolderTrust => DialogKind::FolderTrust,
            DialogKindName::ApiKeyApproval => DialogKind::ApiKeyApproval,
            DialogKindName::Onboarding => DialogKind::Onboarding,
            DialogKindName::AskUserQuestion => DialogKind::AskUserQuestion,
            DialogKindName::ExitPlanMode => DialogKind::ExitPlanMode,
        }
    }
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum MeaningName {
    Yes,
    YesAlways,
    No,
    Other,
    FreeText,
}

impl From<MeaningName> for OptionMeaning {
    fn from(m: MeaningName) -> Self {
        match m {
            MeaningName::Yes => OptionMeaning::Yes,
            MeaningName::YesAlways => OptionMeaning::YesAlways,
            MeaningName::No => OptionMeaning::No,
            MeaningName::Other => OptionMeaning::Other,
            MeaningName::FreeText => OptionMeaning::FreeText,
        }
    }
}

/// The file's shape.
#[derive(Deserialize)]
struct RawRules {
    version: u32,
    rule_chars: Vec<char>,
    min_rule_len: usize,
    dashed_rule_chars: Vec<char>,
    prompt_markers: Vec<String>,
    selected_markers: Vec<String>,
    answer_bullets: Vec<String>,
    output_marker: String,
    spinner_glyphs: Vec<String>,
    spinner_ellipsis: Vec<String>,
    spinner_search_lines: usize,
    interrupt_markers: Vec<String>,
    thinking_markers: Vec<String>,
    title_working_glyphs: Vec<String>,
    title_idle_glyphs: Vec<String>,
    permission_mode: String,
    context_left: Vec<RawContext>,
    dialog_footer_markers: Vec<String>,
    dialog_kinds: Vec<RawDialogKind>,
    dialog_body_kinds: Vec<RawBodyKind>,
    option_meanings: Vec<RawMeaning>,
    error_markers: Vec<String>,
    thinking_heads: Vec<String>,
    turn_notes: Vec<String>,
    tool_call: String,
    tool_running_output: Vec<String>,
    /// Added after version 1 files were written: optional, so they still load.
    #[serde(default)]
    tool_running_head: Vec<String>,
    #[serde(default)]
    tool_running_hints: Vec<String>,
    output_noise: Vec<String>,
    slash_menu_item: String,
    #[serde(default)]
    overlay_edge_chars: Vec<char>,
    #[serde(default)]
    exit_notes: Vec<String>,
    #[serde(default)]
    shell_command_markers: Vec<String>,
    #[serde(default)]
    queued_notes: Vec<String>,
    #[serde(default)]
    background_shells: Option<String>,
    #[serde(default)]
    retrying: Option<String>,
    starting_markers: Vec<String>,
    subagents: RawSubagents,
}

/// How a context figure reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextMeaning {
    /// The figure is what is left.
    Left,
    /// The figure is what is used (left = 100 - figure).
    Used,
    /// The pattern has no figure: the next prompt compacts (nothing is left).
    Next,
}

/// A dialog title pattern and the kind it means.
#[derive(Debug, Clone)]
pub struct DialogKindRule {
    pub title: Regex,
    pub kind: DialogKind,
    pub tool: Option<String>,
}

/// Compiled detection rules. Cheap to share (`Arc<Rules>`).
#[derive(Debug, Clone)]
pub struct Rules {
    pub version: u32,
    pub rule_chars: Vec<char>,
    pub min_rule_len: usize,
    pub dashed_rule_chars: Vec<char>,
    pub prompt_markers: Vec<String>,
    pub selected_markers: Vec<String>,
    pub answer_bullets: Vec<String>,
    pub output_marker: String,
    pub spinner_glyphs: Vec<String>,
    pub spinner_ellipsis: Vec<String>,
    pub spinner_search_lines: usize,
    pub interrupt_markers: Vec<String>,
    pub thinking_markers: Vec<String>,
    pub title_working_glyphs: Vec<String>,
    pub title_idle_glyphs: Vec<String>,
    pub permission_mode: Regex,
    pub context_left: Vec<(Regex, ContextMeaning)>,
    pub dialog_footer_markers: Vec<String>,
    pub dialog_kinds: Vec<DialogKindRule>,
    /// Body patterns, the kind they mean and the tool it is about, if one.
    pub dialog_body_kinds: Vec<(Regex, DialogKind, Option<String>)>,
    /// Option label patterns, the meaning they give, and the dialog kinds they apply
    /// to (all when empty); the first that applies and matches wins.
    pub option_meanings: Vec<(Regex, OptionMeaning, Vec<DialogKind>)>,
    pub error_markers: Vec<Regex>,
    pub thinking_heads: Vec<Regex>,
    /// Notes under a turn's last block (after `⎿`) that are not tool output.
    pub turn_notes: Vec<Regex>,
    pub tool_call: Regex,
    pub tool_running_output: Vec<Regex>,
    /// A tool call's head while it runs (`Calling server…`: a verb in -ing and an
    /// ellipsis), whatever its output rows show.
    pub tool_running_head: Vec<Regex>,
    /// Output rows only a running tool shows (`Running… (3s)`, `ctrl+b to run in
    /// background`): the tool runs whatever the footer says.
    pub tool_running_hints: Vec<Regex>,
    pub output_noise: Vec<Regex>,
    pub slash_menu_item: Regex,
    /// Characters of the edge drawn above a full-width overlay (`▔▔▔`): a picker the
    /// user opened (`/model`, `/resume`) when no tool dialog is read under it.
    pub overlay_edge_chars: Vec<char>,
    /// What Claude Code prints on the normal screen as it exits (how to resume the
    /// session), read when no input box shows.
    pub exit_notes: Vec<Regex>,
    /// What starts a command the user ran in the shell (`! ls`), at column 0.
    pub shell_command_markers: Vec<String>,
    /// Text after `⎿` under a prompt typed while busy (`Queued · …`).
    pub queued_notes: Vec<Regex>,
    /// The footer's count of shells running in the background (`1 shell`), as group 1.
    pub background_shells: Option<Regex>,
    /// A line above the input box saying a failed request is retried (`retrying in 3s
    /// · attempt 1/10`): the turn is held up by an error.
    pub retrying: Option<Regex>,
    pub starting_markers: Vec<String>,
    /// A row of the background-agents panel under the footer, with named groups
    /// `kind`, `description` and optionally `elapsed`.
    pub subagent_row: Regex,
    /// The transcript line a turn ends with while background agents still run, with
    /// the count as its first group.
    pub waiting_for_agents: Regex,
}

fn re(field: &'static str, pattern: &str) -> Result<Regex, RulesError> {
    Regex::new(pattern).map_err(|source| RulesError::Regex {
        field,
        pattern: pattern.to_string(),
        source,
    })
}

/// The subagent row pattern: it must name the groups the panel is read by.
fn subagent_row(pattern: &str) -> Result<Regex, RulesError> {
    let row = re("subagents.row", pattern)?;
    for group in ["kind", "description"] {
        if !row.capture_names().flatten().any(|n| n == group) {
            return Err(RulesError::Invalid {
                field: "subagents.row",
                reason: format!("the pattern needs a named group `{group}`"),
            });
        }
    }
    Ok(row)
}

fn res(field: &'static str, patterns: &[String]) -> Result<Vec<Regex>, RulesError> {
    patterns.iter().map(|p| re(field, p)).collect()
}

impl Rules {
    /// The rules embedded in this crate.
    pub fn builtin() -> Self {
        Self::shared_builtin().as_ref().clone()
    }

    /// The embedded rules, compiled once per process and shared.
    pub fn shared_builtin() -> std::sync::Arc<Rules> {
        static BUILTIN: std::sync::OnceLock<std::sync::Arc<Rules>> = std::sync::OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                // The embedded file is tested (`builtin_rules_load`): failing is a build bug.
                std::sync::Arc::new(
                    Rules::from_json(BUILTIN_RULES_JSON).expect("embedded rules.json is valid"),
                )
            })
            .clone()
    }

    /// Load rules from JSON text of the same shape as `src/rules.json`.
    pub fn from_json(text: &str) -> Result<Self, RulesError> {
        let raw: RawRules = serde_json::from_str(text)?;
        if raw.version != RULES_VERSION {
            return Err(RulesError::Version { found: raw.version });
        }
        if raw.rule_chars.is_empty() || raw.min_rule_len == 0 {
            return Err(RulesError::Invalid {
                field: "rule_chars",
                reason: "need at least one rule character and a positive min_rule_len".into(),
            });
        }
        let context_left = raw
            .context_left
            .iter()
            .map(|c| {
                let meaning = match c.meaning.as_str() {
                    "left" => ContextMeaning::Left,
                    "used" => ContextMeaning::Used,
                    "next" => ContextMeaning::Next,
                    other => {
                        return Err(RulesError::Invalid {
                            field: "context_left",
                            reason: format!(
                                "meaning must be \"left\", \"used\" or \"next\", not {other:?}"
                            ),
                        });
                    }
                };
                Ok((re("context_left", &c.regex)?, meaning))
            })
            .collect::<Result<_, _>>()?;
        let dialog_kinds = raw
            .dialog_kinds
            .iter()
            .map(|k| {
                Ok(DialogKindRule {
                    title: re("dialog_kinds", &k.title)?,
                    kind: k.kind.into(),
                    tool: k.tool.clone(),
                })
            })
            .collect::<Result<_, RulesError>>()?;
        let dialog_body_kinds = raw
            .dialog_body_kinds
            .iter()
            .map(|k| {
                Ok((
                    re("dialog_body_kinds", &k.pattern)?,
                    k.kind.into(),
                    k.tool.clone(),
                ))
            })
            .collect::<Result<_, RulesError>>()?;
        let option_meanings = raw
            .option_meanings
            .iter()
            .map(|m| {
                Ok((
                    re("option_meanings", &m.regex)?,
                    m.meaning.into(),
                    m.kinds.iter().map(|k| (*k).into()).collect(),
                ))
            })
            .collect::<Result<_, RulesError>>()?;
        Ok(Self {
            version: raw.version,
            permission_mode: re("permission_mode", &raw.permission_mode)?,
            error_markers: res("error_markers", &raw.error_markers)?,
            thinking_heads: res("thinking_heads", &raw.thinking_heads)?,
            turn_notes: res("turn_notes", &raw.turn_notes)?,
            tool_call: re("tool_call", &raw.tool_call)?,
            tool_running_output: res("tool_running_output", &raw.tool_running_output)?,
            tool_running_head: res("tool_running_head", &raw.tool_running_head)?,
            tool_running_hints: res("tool_running_hints", &raw.tool_running_hints)?,
            overlay_edge_chars: raw.overlay_edge_chars,
            exit_notes: res("exit_notes", &raw.exit_notes)?,
            shell_command_markers: raw.shell_command_markers,
            queued_notes: res("queued_notes", &raw.queued_notes)?,
            retrying: raw
                .retrying
                .as_deref()
                .map(|p| re("retrying", p))
                .transpose()?,
            background_shells: raw
                .background_shells
                .as_deref()
                .map(|p| re("background_shells", p))
                .transpose()?,
            output_noise: res("output_noise", &raw.output_noise)?,
            slash_menu_item: re("slash_menu_item", &raw.slash_menu_item)?,
            subagent_row: subagent_row(&raw.subagents.row)?,
            waiting_for_agents: re("subagents.waiting", &raw.subagents.waiting)?,
            context_left,
            dialog_kinds,
            dialog_body_kinds,
            option_meanings,
            rule_chars: raw.rule_chars,
            min_rule_len: raw.min_rule_len,
            dashed_rule_chars: raw.dashed_rule_chars,
            prompt_markers: raw.prompt_markers,
            selected_markers: raw.selected_markers,
            answer_bullets: raw.answer_bullets,
            output_marker: raw.output_marker,
            spinner_glyphs: raw.spinner_glyphs,
            spinner_ellipsis: raw.spinner_ellipsis,
            spinner_search_lines: raw.spinner_search_lines,
            interrupt_markers: raw.interrupt_markers,
            thinking_markers: raw.thinking_markers,
            title_working_glyphs: raw.title_working_glyphs,
            title_idle_glyphs: raw.title_idle_glyphs,
            dialog_footer_markers: raw.dialog_footer_markers,
            starting_markers: raw.starting_markers,
        })
    }

    /// What an option label means in any dialog (first matching rule; `Other` when
    /// none matches).
    #[cfg(test)]
    pub fn option_meaning(&self, label: &str) -> OptionMeaning {
        self.option_meaning_in(DialogKind::Unrecognised, label)
    }

    /// What an option label means in a dialog of `kind`: the first rule that applies to
    /// the kind and matches; `Other` when none does.
    pub fn option_meaning_in(&self, kind: DialogKind, label: &str) -> OptionMeaning {
        self.option_meanings
            .iter()
            .filter(|(_, _, kinds)| kinds.is_empty() || kinds.contains(&kind))
            .find(|(re, _, _)| re.is_match(label))
            .map_or(OptionMeaning::Other, |(_, m, _)| *m)
    }
}

impl Default for Rules {
    fn default() -> Self {
        Self::builtin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_load() {
        let rules = Rules::builtin();
        assert_eq!(rules.version, RULES_VERSION);
        assert!(rules.spinner_glyphs.iter().any(|g| g == "✻"));
    }

    #[test]
    fn option_meanings_from_label_text() {
        let r = Rules::builtin();
        let cases = [
            ("Yes", OptionMeaning::Yes),
            (
                "Yes, and don't ask again for npm test commands in /x",
                OptionMeaning::YesAlways,
            ),
            (
                "Yes, allow all edits during this session (shift+tab)",
                OptionMeaning::YesAlways,
            ),
            (
                "Yes, and always allow access to /tmp/p from this project",
                OptionMeaning::YesAlways,
            ),
            (
                "Yes, and switch to auto mode · auto mode handles these prompts for you",
                OptionMeaning::Other,
            ),
            (
                "No, and tell Claude what to do differently (esc)",
                OptionMeaning::No,
            ),
            ("No (recommended)", OptionMeaning::No),
            ("No, exit", OptionMeaning::No),
            ("Yes, I trust this folder", OptionMeaning::Yes),
            ("Dark mode", OptionMeaning::Other),
            ("Nothing", OptionMeaning::Other),
        ];
        for (label, want) in cases {
            assert_eq!(r.option_meaning(label), want, "{label}");
        }
    }

    #[test]
    fn bad_rules_are_refused_with_the_field_named() {
        let mut v: serde_json::Value = serde_json::from_str(BUILTIN_RULES_JSON).unwrap();
        v["tool_call"] = "(".into();
        let e = Rules::from_json(&v.to_string()).unwrap_err();
        assert!(e.to_string().contains("tool_call"), "{e}");
        v["version"] = 99.into();
        assert!(matches!(
            Rules::from_json(&v.to_string()),
            Err(RulesError::Version { found: 99 })
        ));
    }
}
