//! The `PreToolUse` answer: what the daemon tells the hook command, and how the hook
//! command says it to Claude Code.
//!
//! The daemon decides with the slot's policy ([`missiond_core::permissions`]), logs every
//! decision (tracing and the `permission_decisions` table) and, when the answer is "ask",
//! posts a `permission_ask` message in the inbox: Claude Code then shows its own dialog,
//! which the orchestrator answers with `mission_pty_confirm`.

use std::path::{Path, PathBuf};

use missiond_core::inbox::{InboxKind, NewMessage};
use missiond_core::permissions::{Decision, Outcome, Policy, RealFs, Request};
use missiond_core::store::NewDecision;
use missiond_core::time::now_ms;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::hooks::HookEvent;
use super::mcp_config::is_agent_tool;
use super::permissions::governs;
use super::secrets::{scrub, scrub_value};
use super::slot::Slot;

/// The daemon's answer to a `PreToolUse` hook. `decision` `None` means "no opinion":
/// the hook prints nothing and Claude Code's own permission mode decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookAnswer {
    /// `allow`, `deny` or `ask`.
    #[serde(default)]
    pub decision: Option<String>,
    /// Why, for the agent (deny) or the user (ask).
    #[serde(default)]
    pub reason: String,
}

impl HookAnswer {
    /// No opinion.
    pub fn defer() -> HookAnswer {
        HookAnswer {
            decision: None,
            reason: String::new(),
        }
    }

    /// A refusal with `reason`.
    pub fn deny(reason: impl Into<String>) -> HookAnswer {
        HookAnswer {
            decision: Some("deny".into()),
            reason: reason.into(),
        }
    }

    /// The hook's standard output for Claude Code, `None` when it should print nothing.
    /// The shape is Claude Code's `PreToolUse` hook output (checked against 2.1.331).
    pub fn to_claude_json(&self) -> Option<Value> {
        let decision = self.decision.as_deref()?;
        Some(json!({
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": decision,
                "permissionDecisionReason": self.reason,
            }
        }))
    }
}

fn outcome_str(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Allow => "allow",
        Outcome::Deny => "deny",
        Outcome::Ask => "ask",
    }
}

/// Decide a `PreToolUse` event of `slot`, log it, and return the hook's answer.
pub fn answer(slot: &Slot, event: &HookEvent) -> HookAnswer {
    let slot_id = slot.spec.id.as_str();
    let role = slot.spec.config.role.as_str();
    let tool = event.field("tool_name").unwrap_or_default();
    let input = event
        .payload
        .get("tool_input")
        .cloned()
        .unwrap_or(Value::Null);
    let policy = match slot.ctx.permissions.current() {
        Ok(p) => p,
        Err(e) => {
            let reason = format!(
                "denied by missiond: its permission rules cannot be read ({e}); fix the file and call mission_permission_reload"
            );
            record(
                slot,
                tool,
                &input,
                "",
                "deny",
                &Value::Array(Vec::new()),
                &reason,
            );
            return HookAnswer::deny(reason);
        }
    };
    let home = slot_home(slot);
    let mut decision = decide(&policy, slot, role, tool, &input, event.field("cwd"), &home);
    if is_agent_tool(tool) && decision.outcome != Outcome::Deny {
        // The slot's own line to the orchestrator and the team's knowledge (a report
        // ends an autonomous run, with nobody watching to answer a dialog); only an
        // explicit deny rule stops it.
        decision.outcome = Outcome::Allow;
        decision.reason = "allowed by missiond: one of the agent's own mission tools".into();
    }
    let governed = governs(&policy, slot_id, role);
    let rules = serde_json::to_value(&decision.rules).unwrap_or(Value::Null);
    if !governed && decision.outcome != Outcome::Allow {
        // Nothing written for this slot: Claude Code's own mode decides.
        record(
            slot,
            tool,
            &input,
            &decision.subject,
            "defer",
            &rules,
            "no rules for this slot or its role",
        );
        return HookAnswer::defer();
    }
    let outcome = outcome_str(decision.outcome);
    record(
        slot,
        tool,
        &input,
        &decision.subject,
        outcome,
        &rules,
        &decision.reason,
    );
    if decision.outcome == Outcome::Ask {
        post_ask(slot, &decision);
    }
    HookAnswer {
        decision: Some(outcome.to_string()),
        reason: decision.reason,
    }
}

fn decide(
    policy: &Policy,
    slot: &Slot,
    role: &str,
    tool: &str,
    input: &Value,
    tool_cwd: Option<&str>,
    home: &Option<PathBuf>,
) -> Decision {
    // Relative paths are resolved where the slot runs: inside its worktree, if any.
    let work_dir = slot.work_dir();
    let req = Request {
        slot: &slot.spec.id,
        role,
        cwd: &work_dir,
        tool_cwd: tool_cwd.map(Path::new),
        home: home.as_deref(),
        tool,
        input,
    };
    policy.decide(&req, &RealFs)
}

/// The home folder the slot's programs see (`HOME` in its environment, else the
/// daemon's), for `~/` in tool inputs.
fn slot_home(slot: &Slot) -> Option<PathBuf> {
    slot.spec
        .config
        .env
        .get("HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
}

/// Log one decision to tracing and the store. A store failure is logged, never fatal.
fn record(
    slot: &Slot,
    tool: &str,
    input: &Value,
    subject: &str,
    outcome: &str,
    rules: &Value,
    reason: &str,
) {
    // Tool inputs can carry secrets the slot was given: scrub before writing them down.
    let input = scrub_value(input);
    let subject = scrub(subject);
    let reason = scrub(reason);
    tracing::info!(
        slot = %slot.spec.id,
        role = %slot.spec.config.role,
        tool,
        input = %input,
        rules = %rules,
        outcome,
        "permission decision: {reason}"
    );
    let row = NewDecision {
        slot_id: &slot.spec.id,
        role: &slot.spec.config.role,
        tool,
        input: &input,
        subject: &subject,
        outcome,
        rules,
        reason: &reason,
        decided_at: now_ms(),
    };
    if let Err(e) = slot.ctx.records.store().insert_decision(&row) {
        tracing::warn!(slot = %slot.spec.id, "store: recording a permission decision: {e}");
    }
}

/// Tell the orchestrator a dialog is waiting for it, and note the message on the open
/// turn so a task held up by the dialog names itself in it rather than posting again.
fn post_ask(slot: &Slot, decision: &Decision) {
    let message = NewMessage {
        kind: InboxKind::PermissionAsk,
        slot_id: Some(slot.spec.id.clone()),
        task_id: None,
        text: scrub(&format!(
            "{} wants to run {} `{}`: {}. Answer with mission_pty_confirm.",
            slot.spec.id, decision.tool, decision.subject, decision.reason
        ))
        .into_owned(),
        data: scrub_value(&json!({
            "tool": decision.tool,
            "input": decision.input,
            "subject": decision.subject,
            "rules": decision.rules,
            "reason": decision.reason,
        })),
        created_at: now_ms(),
    };
    match slot.ctx.records.store().post_message(&message) {
        Ok(id) => {
            let mut inner = slot.lock();
            // Only an open turn can be held up by the dialog.
            let turn = inner.run.as_mut().and_then(|r| r.turn.as_mut());
            if let Some(turn) = turn.filter(|t| t.is_open()) {
                turn.ask_message = Some(id);
            }
        }
        Err(e) => tracing::warn!(slot = %slot.spec.id, "store: posting a permission_ask: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_json_has_the_pre_tool_use_shape() {
        let v = HookAnswer::deny("no rm here")
            .to_claude_json()
            .expect("json");
        let out = &v["hookSpecificOutput"];
        assert_eq!(out["hookEventName"], "PreToolUse");
        assert_eq!(out["permissionDecision"], "deny");
        assert_eq!(out["permissionDecisionReason"], "no rm here");
        assert!(HookAnswer::defer().to_claude_json().is_none());
    }

    #[test]
    fn the_answer_survives_the_wire_and_a_missing_decision_defers() {
        let a = HookAnswer::deny("x");
        let back: HookAnswer =
            serde_json::from_value(serde_json::to_value(&a).expect("encode")).expect("decode");
        assert_eq!(back, a);
        let empty: HookAnswer = serde_json::from_value(json!({})).expect("decode");
        assert_eq!(empty, HookAnswer::defer());
    }
}
