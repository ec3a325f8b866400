//! Input checks shared by the question queue and the mission board: limits, and the
//! error naming the offending field.

use super::NewQuestion;
use crate::catalogue::QuestionCreateParams;

/// Longest title or other one-line name (slot id, assignee, author, option, tag), in
/// characters.
pub const TITLE_MAX_CHARS: usize = 300;
/// Longest text (a question, its context, an answer, a description, a note), in bytes.
pub const TEXT_MAX_BYTES: usize = 64 * 1024;
/// Most tags on a board task, and most options on a question.
pub const LIST_MAX: usize = 20;

/// A value that breaks a rule; `field` is its wire name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid `{field}`: {message}")]
pub struct Invalid {
    /// The parameter (`title`, `tags[2]`).
    pub field: String,
    /// What is wrong and what is accepted.
    pub message: String,
}

impl Invalid {
    /// `field` breaks a rule, told by `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Invalid {
        Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A multi-line text: not blank, at most [`TEXT_MAX_BYTES`]; kept as given.
pub fn text(field: &str, value: String) -> Result<String, Invalid> {
    if value.trim().is_empty() {
        return Err(Invalid::new(field, "is empty"));
    }
    if value.len() > TEXT_MAX_BYTES {
        return Err(Invalid::new(
            field,
            format!(
                "is {} bytes long; at most {TEXT_MAX_BYTES} are kept",
                value.len()
            ),
        ));
    }
    Ok(value)
}

/// A one-line name or title: trimmed, not empty, at most [`TITLE_MAX_CHARS`]
/// characters, no control characters (a newline in a title is a mistake).
pub fn line(field: &str, value: &str) -> Result<String, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Invalid::new(field, "is empty"));
    }
    let chars = value.chars().count();
    if chars > TITLE_MAX_CHARS {
        return Err(Invalid::new(
            field,
            format!("is {chars} characters long; at most {TITLE_MAX_CHARS} are allowed"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(Invalid::new(
            field,
            "holds a control character (a newline or tab); use one line",
        ));
    }
    Ok(value.to_string())
}

/// A list of one-line values (tags, options): each checked with [`line`], at most
/// [`LIST_MAX`], duplicates dropped (first kept).
pub fn lines(field: &str, values: &[String]) -> Result<Vec<String>, Invalid> {
    if values.len() > LIST_MAX {
        return Err(Invalid::new(
            field,
            format!(
                "has {} entries; at most {LIST_MAX} are allowed",
                values.len()
            ),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for (n, value) in values.iter().enumerate() {
        let value = line(&format!("{field}[{n}]"), value)?;
        if !out.contains(&value) {
            out.push(value);
        }
    }
    Ok(out)
}

/// `mission_question_create`'s arguments, checked, as the row to insert.
pub fn new_question(p: QuestionCreateParams, now: i64) -> Result<NewQuestion, Invalid> {
    Ok(NewQuestion {
        question: text("question", p.question)?,
        context: p.context.map(|c| text("context", c)).transpose()?,
        slot_id: p.slot_id.map(|s| line("slotId", &s)).transpose()?,
        task_id: p.task_id,
        options: lines("options", p.options.as_deref().unwrap_or_default())?,
        priority: p.priority.unwrap_or_default(),
        created_at: now,
    })
}
