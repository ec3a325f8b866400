//! Autonomous work: a slot given a goal works turn after turn on its own, within limits,
//! until it reports done with `mission_report`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::params::SlotParams;
use super::{Annotations, Tool};
use crate::inbox::ReportKind;

/// Default turn limit of an autonomous run.
pub const AUTONOMOUS_TURNS_DEFAULT: u32 = 20;
/// The most turns accepted.
pub const AUTONOMOUS_TURNS_MAX: u32 = 500;
/// Default time limit of an autonomous run, in minutes.
pub const AUTONOMOUS_MINUTES_DEFAULT: u32 = 60;
/// The longest time limit accepted (a day), in minutes.
pub const AUTONOMOUS_MINUTES_MAX: u32 = 1440;

/// `mission_autonomous_start`.
pub struct AutonomousStart;
/// `mission_autonomous_stop`.
pub struct AutonomousStop;
/// `mission_report`.
pub struct Report;

/// Arguments of `mission_autonomous_start`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutonomousStartParams {
    /// The slot to put to work (running and idle).
    pub slot_id: String,
    /// What to achieve, as a prompt; the agent is told to call mission_report with kind
    /// "done" when it is reached.
    #[schemars(length(min = 1))]
    pub goal: String,
    /// Stop after this many turns (default 20, at most 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 500))]
    pub max_turns: Option<u32>,
    /// Stop after this many minutes (default 60, at most 1440).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1440))]
    pub max_minutes: Option<u32>,
}

/// Result of `mission_autonomous_start`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutonomousStartResult {
    /// The slot.
    pub slot_id: String,
    /// The turn limit in force.
    pub max_turns: u32,
    /// The time limit in force, in minutes.
    pub max_minutes: u32,
    /// When it started.
    pub started_at: String,
    /// When it will be stopped at the latest.
    pub deadline: String,
}

impl Tool for AutonomousStart {
    const NAME: &'static str = "mission_autonomous_start";
    const TITLE: &'static str = "Give an agent a goal to pursue alone";
    const DESCRIPTION: &'static str = "Put an idle slot to work on a goal on its own: \
        the daemon sends the goal, then prompts the agent to continue after each turn, \
        until the agent calls mission_report with kind done, or maxTurns turns or \
        maxMinutes minutes pass. The slot takes no queued tasks meanwhile. Progress \
        reports, questions and the end (done or stopped by a limit) arrive in \
        mission_inbox. Fails with slot_busy if the slot runs a task or another goal, \
        slot_not_running if it is stopped.";
    const ANNOTATIONS: Annotations = Annotations {
        read_only_hint: false,
        destructive_hint: false,
        idempotent_hint: false,
        open_world_hint: true,
    };
    type Params = AutonomousStartParams;
    type Output = AutonomousStartResult;
}

/// Result of `mission_autonomous_stop`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutonomousStopResult {
    /// The slot.
    pub slot_id: String,
    /// False when it had no goal (nothing was done).
    pub was_running: bool,
    /// Turns it had taken.
    pub turns: u32,
}

impl Tool for AutonomousStop {
    const NAME: &'static str = "mission_autonomous_stop";
    const TITLE: &'static str = "Stop an agent's autonomous work";
    const DESCRIPTION: &'static str = "End a slot's autonomous run: its current turn is \
        interrupted and no further turns are prompted; the agent and its session stay \
        up and the slot goes back to taking queued tasks. Stopping a slot with no goal \
        does nothing (wasRunning false). Returns how many turns it took.";
    const ANNOTATIONS: Annotations = Annotations {
        read_only_hint: false,
        destructive_hint: true,
        idempotent_hint: true,
        open_world_hint: true,
    };
    type Params = SlotParams;
    type Output = AutonomousStopResult;
}

/// Arguments of `mission_report`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReportParams {
    /// "done" when the goal is reached (ends an autonomous run), "progress" for a step
    /// done, "question" when you need the orchestrator's answer to go on.
    pub kind: ReportKind,
    /// The report: what was done and where, or the question.
    #[schemars(length(min = 1))]
    pub text: String,
    /// The reporting slot; filled in by the daemon from the caller, leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_id: Option<String>,
}

/// Result of `mission_report`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportResult {
    /// The inbox message posted.
    pub message_id: i64,
    /// True when the report ended the slot's autonomous run (kind done).
    pub autonomous_ended: bool,
}

impl Tool for Report {
    const NAME: &'static str = "mission_report";
    const TITLE: &'static str = "Report to the orchestrator";
    const DESCRIPTION: &'static str = "For agents working in a slot: tell the \
        orchestrator something. kind done says the goal you were given is reached (this \
        ends an autonomous run: no more turns are prompted); progress reports a step; \
        question asks for a decision or information you need, and the answer comes \
        as a later prompt. The text goes to the orchestrator's inbox. Keep it short and \
        concrete (what, where, what next).";
    const ANNOTATIONS: Annotations = Annotations {
        read_only_hint: false,
        destructive_hint: false,
        idempotent_hint: false,
        open_world_hint: false,
    };
    type Params = ReportParams;
    type Output = ReportResult;
}
