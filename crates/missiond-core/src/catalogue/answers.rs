//! `mission_question_mine`: an agent reads its own questions and their answers (an
//! agent tool; the caller is the slot whose endpoint was reached).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Annotations, QuestionInfo, Tool, ToolDef};

/// Most questions `mission_question_mine` returns.
pub const QUESTION_MINE_MAX: u32 = 50;

/// `mission_question_mine`.
pub struct QuestionMine;

/// Arguments of `mission_question_mine`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuestionMineParams {
    /// The asking slot (filled in from the calling slot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_id: Option<String>,
    /// Only questions still pending (false) or every status (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_closed: Option<bool>,
}

/// Result of `mission_question_mine`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct QuestionMineResult {
    /// The caller's questions, newest first (at most 50).
    pub questions: Vec<QuestionInfo>,
    /// Ids of the answers this call delivered for the first time.
    pub newly_answered: Vec<String>,
}

impl Tool for QuestionMine {
    const NAME: &'static str = "mission_question_mine";
    const TITLE: &'static str = "My questions and their answers";
    const DESCRIPTION: &'static str = "For agents: the questions you left with \
        mission_question_create, newest first, with their status and, once given, the \
        answer. newlyAnswered names the answers you had not seen yet (they no longer \
        come with your next prompt).";
    const ANNOTATIONS: Annotations = Annotations {
        read_only_hint: false,
        destructive_hint: false,
        idempotent_hint: true,
        open_world_hint: false,
    };
    type Params = QuestionMineParams;
    type Output = QuestionMineResult;
}

/// This area's tools.
pub(super) fn defs() -> Vec<ToolDef> {
    vec![ToolDef::of::<QuestionMine>()]
}
