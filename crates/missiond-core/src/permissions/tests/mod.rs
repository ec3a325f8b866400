//! Decisions end to end: YAML in, tool call in, outcome and rule out.

mod attacks;
mod config;
mod precedence;
mod props;
mod redirects;

use std::path::Path;

use serde_json::{Value, json};

use super::path::tests::FakeFs;
use super::{Decision, Outcome, Policy, Request};

pub(super) const CFG: &str = "/cfg/permissions.yaml";

pub(super) fn policy(yaml: &str) -> Policy {
    Policy::parse(yaml, Path::new(CFG), Some(Path::new("/home/u")))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A call from slot `slot` with role `role`, working in `/proj`.
pub(super) fn decide_in(
    p: &Policy,
    fs: &FakeFs,
    slot: &str,
    role: &str,
    tool: &str,
    input: Value,
) -> Decision {
    p.decide(
        &Request {
            slot,
            role,
            cwd: Path::new("/proj"),
            tool_cwd: None,
            home: Some(Path::new("/home/u")),
            tool,
            input: &input,
        },
        fs,
    )
}

pub(super) fn decide(p: &Policy, tool: &str, input: Value) -> Decision {
    decide_in(p, &FakeFs::default(), "coder-1", "coder", tool, input)
}

pub(super) fn bash(p: &Policy, command: &str) -> Outcome {
    decide(p, "Bash", json!({ "command": command })).outcome
}
