//! `${secret:path}` references in `env` values.
//!
//! - `${secret:PATH}` is replaced by the secret at `PATH`, anywhere in a value
//!   (`Bearer ${secret:api/token}` works).
//! - `$${` stands for a literal `${` (so `$${secret:x}` is the text `${secret:x}`).
//! - Any other `$` is plain text: `$HOME` and `${HOME}` are not expanded.
//!
//! The value is read left to right, so `$$${secret:x}` is a lone `$` followed by the
//! escape: the text `$${secret:x}`. A `$` cannot sit right before a reference.
//!
//! A path is any text up to the next `}` that is not empty, holds no control characters
//! and does not start with `-` (the command would take it for an option).

/// One piece of an `env` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Literal text (escapes already undone).
    Text(String),
    /// A reference to the secret at this path.
    Secret(String),
}

/// A malformed reference. Messages name the path, never the rest of the value (which
/// may hold a pasted secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `${secret:` without its closing `}`.
    #[error("`${{secret:` without a closing `}}` (write `$${{` for a literal `${{`)")]
    Unterminated,
    /// The path cannot be used.
    #[error("secret path {path:?}: {why}")]
    BadPath {
        /// The path as written.
        path: String,
        /// What is wrong with it.
        why: &'static str,
    },
}

const OPEN: &str = "${secret:";

/// Splits `value` into text and secret references.
pub fn parse(value: &str) -> Result<Vec<Part>, TemplateError> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = value;
    while let Some(i) = rest.find('$') {
        text.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("$${") {
            text.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix(OPEN) {
            let end = after.find('}').ok_or(TemplateError::Unterminated)?;
            let path = &after[..end];
            check_path(path)?;
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            parts.push(Part::Secret(path.to_string()));
            rest = &after[end + 1..];
        } else {
            text.push('$');
            rest = &tail[1..];
        }
    }
    text.push_str(rest);
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(parts)
}

/// Whether `value` refers to at least one secret (malformed references included).
pub fn mentions_secrets(value: &str) -> bool {
    match parse(value) {
        Ok(parts) => parts.iter().any(|p| matches!(p, Part::Secret(_))),
        Err(_) => true,
    }
}

/// Checks a path before it goes to the command as an argument.
pub fn check_path(path: &str) -> Result<(), TemplateError> {
    let why = if path.is_empty() {
        "is empty"
    } else if path.chars().any(char::is_control) {
        "holds a control character"
    } else if path.starts_with('-') {
        "starts with '-', which the command would read as an option"
    } else {
        return Ok(());
    };
    Err(TemplateError::BadPath {
        path: path.to_string(),
        why,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Part {
        Part::Text(s.into())
    }

    fn secret(s: &str) -> Part {
        Part::Secret(s.into())
    }

    #[test]
    fn parse_table() {
        let cases: Vec<(&str, Vec<Part>)> = vec![
            ("plain", vec![text("plain")]),
            ("", vec![]),
            ("${secret:api/token}", vec![secret("api/token")]),
            (
                "Bearer ${secret:a/b}!",
                vec![text("Bearer "), secret("a/b"), text("!")],
            ),
            ("${secret:x}${secret:y}", vec![secret("x"), secret("y")]),
            ("$${secret:x}", vec![text("${secret:x}")]),
            // Scanned left to right: a lone `$`, then the escape.
            ("$$${secret:x}", vec![text("$${secret:x}")]),
            ("a$${b}c", vec![text("a${b}c")]),
            ("$HOME ${HOME} $", vec![text("$HOME ${HOME} $")]),
            (
                "${secret:with space/and:colon}",
                vec![secret("with space/and:colon")],
            ),
            ("${secret:ünï/cødé}x", vec![secret("ünï/cødé"), text("x")]),
            ("${secretx}", vec![text("${secretx}")]),
        ];
        for (value, want) in cases {
            assert_eq!(parse(value).as_ref(), Ok(&want), "{value:?}");
        }
    }

    #[test]
    fn malformed_references_are_refused() {
        let cases: [(&str, &str); 5] = [
            ("${secret:abc", "closing"),
            ("x ${secret:}", "is empty"),
            ("${secret:a\nb}", "control"),
            ("${secret:a\u{7f}b}", "control"),
            ("${secret:--help}", "option"),
        ];
        for (value, words) in cases {
            let err = parse(value).expect_err(value);
            assert!(err.to_string().contains(words), "{value:?}: {err}");
        }
    }

    #[test]
    fn mentions() {
        assert!(mentions_secrets("a ${secret:x}"));
        assert!(mentions_secrets("${secret:broken"));
        assert!(!mentions_secrets("$${secret:x}"));
        assert!(!mentions_secrets("plain $HOME"));
    }
}
