//! Secrets at the IPC boundary: what agents and clients write into the stores (the
//! knowledge base, the board, questions and answers, reports to the inbox) is scrubbed
//! before it is written, and every tool result is scrubbed before it leaves, so text a
//! store held from before a secret was known, or a screen reading, never shows one.
//!
//! Left as they are: what is typed into a slot (`mission_pty_send`, task prompts: the
//! agent is meant to get them), permission rules, hook events (judged as sent; what is
//! stored of them is scrubbed where it is stored), and screenshots (their cells are
//! masked before drawing; the PNG's base64 is not text to match on).

use missiond_core::catalogue::{self as cat, Tool};
use missiond_core::ipc::RpcError;
use serde_json::Value;

use super::secrets::scrub_value;

/// Methods whose parameters end up stored as text.
const STORED_INPUT: &[&str] = &[
    cat::KbRemember::NAME,
    cat::KbImport::NAME,
    cat::BoardCreate::NAME,
    cat::BoardUpdate::NAME,
    cat::BoardNoteAdd::NAME,
    cat::QuestionCreate::NAME,
    cat::QuestionAnswer::NAME,
    cat::QuestionDismiss::NAME,
    cat::Report::NAME,
];

/// `params` with secrets scrubbed when `method` stores them.
pub fn params(method: &str, params: Value) -> Value {
    if STORED_INPUT.contains(&method) {
        scrub_value(&params)
    } else {
        params
    }
}

/// The reply to `method`, secrets scrubbed from its text and from error messages.
pub fn result(method: &str, result: Result<Value, RpcError>) -> Result<Value, RpcError> {
    match result {
        Ok(v) if method == cat::PtyScreenshot::NAME => Ok(v),
        Ok(v) => Ok(scrub_value(&v)),
        Err(mut e) => {
            e.message = super::secrets::scrub(&e.message).into_owned();
            e.data = e.data.as_ref().map(scrub_value);
            Err(e)
        }
    }
}
