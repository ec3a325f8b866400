//! `missiond hook <Event>`: run by Claude Code for each configured hook. Reads the event
//! JSON on stdin and hands it to the daemon.
//!
//! Every event but `PreToolUse` is fire-and-forget: failures go to stderr (Claude Code
//! logs them), nothing is printed, Claude Code carries on. `PreToolUse` waits for the
//! daemon's permission decision and prints it as Claude Code's hook JSON. If the daemon
//! cannot be asked (not running, too slow, an error), the hook FAILS CLOSED: it denies,
//! unless `permissions.yaml` has no entry for the slot or its role, in which case it
//! prints nothing and Claude Code's own permission mode decides.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use missiond_core::ipc::{Endpoint, IpcClient};
use missiond_core::paths::{ENV_PERMISSIONS_CONFIG, Paths};
use missiond_core::permissions::Policy;
use serde_json::Value;

use crate::daemon::hook_decision::HookAnswer;
use crate::daemon::hooks::{HOOK_METHOD, HookEvent, ROLE_ENV, SLOT_ENV};
use crate::daemon::permissions::governs;

/// Largest event read from stdin (tool inputs can be big; bound memory anyway).
const MAX_EVENT_BYTES: u64 = 8 * 1024 * 1024;
/// Connecting and one call together; a stuck daemon must not stall Claude Code. For
/// `PreToolUse` this is well under the timeout Claude Code gives the hook (see
/// `hooks::PRE_TOOL_USE_TIMEOUT_SECS`), so the deny always gets out.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Run the hook for `event`. Never fails: Claude Code would show the error to the agent.
pub async fn forward(event: &str) {
    let input = match read_stdin() {
        Ok(input) => input,
        Err(e) => {
            eprintln!("missiond hook {event}: reading the event: {e:#}");
            String::new()
        }
    };
    let Ok(slot) = std::env::var(SLOT_ENV) else {
        // Not started by missiond: nothing to report to, no rules to enforce.
        return;
    };
    let params = HookEvent {
        slot: slot.clone(),
        event: event.to_string(),
        payload: serde_json::from_str(&input).unwrap_or(Value::String(input)),
    };
    let result = tokio::time::timeout(CALL_TIMEOUT, call(params)).await;
    let reply = match result {
        Ok(Ok(reply)) => Ok(reply),
        // The client's top-level message already names the endpoint and the cause.
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {}s", CALL_TIMEOUT.as_secs())),
    };
    if event == "UserPromptSubmit" {
        match reply {
            Ok(reply) => print_json(prompt_context(&reply)),
            // Fail open: the prompt goes on without added context.
            Err(e) => eprintln!("missiond hook {event}: {e}"),
        }
        return;
    }
    if event != "PreToolUse" {
        if let Err(e) = reply {
            eprintln!("missiond hook {event}: {e}");
        }
        return;
    }
    let answer = match reply {
        Ok(reply) => serde_json::from_value::<HookAnswer>(reply)
            .unwrap_or_else(|e| fail_closed(&slot, &format!("unreadable answer: {e}"))),
        Err(e) => fail_closed(&slot, &e),
    };
    print_json(answer.to_claude_json());
}

fn print_json(json: Option<Value>) {
    if let Some(json) = json {
        let mut out = std::io::stdout().lock();
        // Nothing else can be done if stdout is gone: Claude Code then sees no output.
        let _ = writeln!(out, "{json}").and_then(|()| out.flush());
    }
}

/// Claude Code's `UserPromptSubmit` output adding the daemon's `additionalContext`
/// (knowledge, answers) to the prompt; `None` when there is none.
pub fn prompt_context(reply: &Value) -> Option<Value> {
    let context = reply
        .get("additionalContext")
        .and_then(Value::as_str)
        .filter(|c| !c.trim().is_empty())?;
    Some(serde_json::json!({
        "hookSpecificOutput": {
            "hookEventName": "UserPromptSubmit",
            "additionalContext": context,
        }
    }))
}

fn read_stdin() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin()
        .take(MAX_EVENT_BYTES)
        .read_to_string(&mut input)?;
    Ok(input)
}

async fn call(params: HookEvent) -> anyhow::Result<Value> {
    let endpoint = match std::env::var("MISSION_IPC_ENDPOINT") {
        Ok(text) if !text.trim().is_empty() => Endpoint::parse(&text)?,
        _ => Paths::from_env()?.ipc_endpoint,
    };
    let client = IpcClient::connect(&endpoint)
        .await?
        .with_request_id(&missiond_core::jarvis::request_id::mint("hook"));
    let params = serde_json::to_value(params)?;
    Ok(client.call(HOOK_METHOD, params).await?)
}

/// The answer when the daemon could not be asked: deny if any rule may apply to this
/// slot (or the rules cannot be read), else no opinion.
fn fail_closed(slot: &str, why: &str) -> HookAnswer {
    eprintln!("missiond hook PreToolUse: missiond could not be asked: {why}");
    let role = std::env::var(ROLE_ENV).unwrap_or_default();
    let path = match permissions_path() {
        Ok(p) => p,
        Err(e) => return deny_unasked(why, &format!("and its rules cannot be found: {e:#}")),
    };
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match Policy::load(&path, home.as_deref()) {
        Ok(policy) if !governs(&policy, slot, &role) => HookAnswer::defer(),
        Ok(_) => deny_unasked(why, &format!("and slot `{slot}` has permission rules")),
        Err(e) => deny_unasked(why, &format!("and its rules cannot be read: {e}")),
    }
}

fn deny_unasked(why: &str, detail: &str) -> HookAnswer {
    HookAnswer::deny(format!(
        "denied: missiond could not be asked for permission ({why}) {detail}; the call is refused until missiond answers again"
    ))
}

fn permissions_path() -> anyhow::Result<PathBuf> {
    match std::env::var(ENV_PERMISSIONS_CONFIG) {
        Ok(text) if !text.trim().is_empty() => Ok(PathBuf::from(text)),
        _ => Ok(Paths::from_env()?.permissions_config),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_context_is_claude_codes_user_prompt_submit_output() {
        let out = prompt_context(&serde_json::json!({"additionalContext": "kb says X"})).unwrap();
        assert_eq!(
            out["hookSpecificOutput"]["hookEventName"],
            "UserPromptSubmit"
        );
        assert_eq!(out["hookSpecificOutput"]["additionalContext"], "kb says X");
        assert!(prompt_context(&serde_json::json!({})).is_none());
        assert!(prompt_context(&serde_json::json!({"additionalContext": "  "})).is_none());
    }
}
