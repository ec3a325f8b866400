//! Scripted input for `missiond record --input STEPS`: one JSON object per line.
//!
//! ```text
//! {"wait_for": "text or /regex/", "timeout": 30}   until the emulated screen shows it
//! {"wait_state": "Idle", "timeout": 30}            until the library announces that state
//! {"send": "hello\r"}                              bytes to the program (JSON escapes)
//! {"sleep": 1.5}                                   let the program run, seconds
//! {"resize": {"cols": 80, "rows": 24}}             resize the PTY (recorded)
//! {"wait_exit": 10}                                until the program exits, seconds
//! ```
//! Blank lines and lines starting with `#` are skipped. A step may carry `"note"`, which
//! is only printed in the progress log (handy for finding moments to label).

use anyhow::{Context, Result, anyhow, bail};
use regex::Regex;
use semantic_terminal::State;
use serde_json::Value;

/// Default wait for `wait_for` and `wait_state`, in seconds.
const DEFAULT_TIMEOUT: f64 = 30.0;

/// What a `wait_for` step looks for on the screen.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// Plain text, found anywhere on the screen.
    Text(String),
    /// A regular expression (written `/.../`), matched against the screen text.
    Regex(Regex),
}

impl Pattern {
    /// Parse `text` or `/regex/`.
    pub fn parse(spec: &str) -> Result<Self> {
        match spec.strip_prefix('/').and_then(|s| s.strip_suffix('/')) {
            Some(re) if spec.len() >= 2 => Ok(Pattern::Regex(
                Regex::new(re).with_context(|| format!("bad regex {spec}"))?,
            )),
            _ => Ok(Pattern::Text(spec.to_owned())),
        }
    }

    /// Whether `screen` shows it.
    pub fn matches(&self, screen: &str) -> bool {
        match self {
            Pattern::Text(text) => screen.contains(text.as_str()),
            Pattern::Regex(re) => re.is_match(screen),
        }
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pattern::Text(text) => write!(f, "{text:?}"),
            Pattern::Regex(re) => write!(f, "/{}/", re.as_str()),
        }
    }
}

/// One thing to do.
#[derive(Debug, Clone)]
pub enum Action {
    WaitFor { pattern: Pattern, timeout: f64 },
    WaitState { state: State, timeout: f64 },
    Send(Vec<u8>),
    Sleep(f64),
    Resize { cols: u16, rows: u16 },
    WaitExit(f64),
}

/// An action with where it came from, for messages.
#[derive(Debug, Clone)]
pub struct Step {
    /// 1-based line in the script file.
    pub line: usize,
    pub action: Action,
    pub note: Option<String>,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: ", self.line)?;
        match &self.action {
            Action::WaitFor { pattern, timeout } => write!(f, "wait_for {pattern} ({timeout}s)"),
            Action::WaitState { state, timeout } => write!(f, "wait_state {state} ({timeout}s)"),
            Action::Send(bytes) => write!(f, "send {:?}", String::from_utf8_lossy(bytes)),
            Action::Sleep(secs) => write!(f, "sleep {secs}s"),
            Action::Resize { cols, rows } => write!(f, "resize {cols}x{rows}"),
            Action::WaitExit(secs) => write!(f, "wait_exit ({secs}s)"),
        }?;
        if let Some(note) = &self.note {
            write!(f, " # {note}")?;
        }
        Ok(())
    }
}

/// Parse a whole script; errors name the line.
pub fn parse(text: &str) -> Result<Vec<Step>> {
    let mut steps = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let step = parse_line(trimmed, line).with_context(|| format!("line {line}"))?;
        steps.push(step);
    }
    Ok(steps)
}

fn parse_line(text: &str, line: usize) -> Result<Step> {
    let value: Value = serde_json::from_str(text).context("not JSON")?;
    let obj = value
        .as_object()
        .ok_or_else(|| anyhow!("not a JSON object"))?;
    let note = match obj.get("note") {
        None => None,
        Some(v) => Some(v.as_str().context("\"note\" must be a string")?.to_owned()),
    };
    let timeout = match obj.get("timeout") {
        None => DEFAULT_TIMEOUT,
        Some(v) => seconds(v, "timeout")?,
    };
    let action = if let Some(v) = obj.get("wait_for") {
        let spec = v.as_str().context("\"wait_for\" must be a string")?;
        Action::WaitFor {
            pattern: Pattern::parse(spec)?,
            timeout,
        }
    } else if let Some(v) = obj.get("wait_state") {
        let state: State = serde_json::from_value(v.clone())
            .context("\"wait_state\" must name a state (Idle, Thinking, Confirming, ...)")?;
        Action::WaitState { state, timeout }
    } else if let Some(v) = obj.get("send") {
        Action::Send(v.as_str().context("\"send\" must be a string")?.into())
    } else if let Some(v) = obj.get("sleep") {
        Action::Sleep(seconds(v, "sleep")?)
    } else if let Some(v) = obj.get("resize") {
        let dim = |k: &str| -> Result<u16> {
            v.get(k)
                .and_then(Value::as_u64)
                .and_then(|n| u16::try_from(n).ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| anyhow!("\"resize\" needs a positive \"{k}\""))
        };
        Action::Resize {
            cols: dim("cols")?,
            rows: dim("rows")?,
        }
    } else if let Some(v) = obj.get("wait_exit") {
        Action::WaitExit(seconds(v, "wait_exit")?)
    } else {
        bail!("expected one of wait_for, wait_state, send, sleep, resize, wait_exit");
    };
    Ok(Step { line, action, note })
}

fn seconds(v: &Value, key: &str) -> Result<f64> {
    v.as_f64()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .ok_or_else(|| anyhow!("\"{key}\" must be a number of seconds >= 0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_step_kind() {
        let text = r#"
# a comment
{"wait_for": "❯", "timeout": 5}
{"wait_for": "/Do you want to (proceed|create)/"}
{"wait_state": "Idle"}
{"send": "hi\r\u001b", "note": "type"}
{"sleep": 1.5}
{"resize": {"cols": 80, "rows": 24}}
{"wait_exit": 10}
"#;
        let steps = parse(text).unwrap();
        assert_eq!(steps.len(), 7);
        assert_eq!(steps[0].line, 3);
        assert!(matches!(&steps[0].action,
            Action::WaitFor { pattern: Pattern::Text(t), timeout } if t == "❯" && *timeout == 5.0));
        match &steps[1].action {
            Action::WaitFor { pattern, timeout } => {
                assert!(pattern.matches("x Do you want to create a.txt?"));
                assert!(!pattern.matches("Do you want to leave"));
                assert_eq!(*timeout, DEFAULT_TIMEOUT);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            steps[2].action,
            Action::WaitState {
                state: State::Idle,
                ..
            }
        ));
        assert!(matches!(&steps[3].action, Action::Send(b) if b == b"hi\r\x1b"));
        assert_eq!(steps[3].note.as_deref(), Some("type"));
        assert!(matches!(steps[4].action, Action::Sleep(s) if s == 1.5));
        assert!(matches!(
            steps[5].action,
            Action::Resize { cols: 80, rows: 24 }
        ));
        assert!(matches!(steps[6].action, Action::WaitExit(s) if s == 10.0));
    }

    #[test]
    fn errors_name_the_line() {
        for bad in [
            "{\"send\": 3}",
            "{\"sleep\": -1}",
            "{\"jump\": 1}",
            "{\"resize\": {\"cols\": 0, \"rows\": 4}}",
            "{\"wait_state\": \"Dancing\"}",
            "{\"wait_for\": \"/(/\"}",
            "not json",
        ] {
            let text = format!("{{\"sleep\": 1}}\n\n{bad}\n");
            let err = format!("{:#}", parse(&text).unwrap_err());
            assert!(err.starts_with("line 3"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_lone_slash_is_text() {
        assert!(matches!(Pattern::parse("/").unwrap(), Pattern::Text(t) if t == "/"));
        assert!(Pattern::parse("/ask").unwrap().matches("type /ask"));
    }
}
