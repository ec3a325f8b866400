//! Claude Code's own record of a session: the transcript JSONL under
//! `<config dir>/projects/<cwd as a file name>/<session id>.jsonl`. The daemon chooses
//! the session id, so it knows the path before Claude Code writes a line; answers are
//! read from here (never from the screen) when no `Stop` hook supplied them.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use missiond_core::catalogue::ToolUse;
use serde_json::Value;

/// Claude Code's configuration folder for a child with environment `env`:
/// `CLAUDE_CONFIG_DIR`, else `$HOME/.claude`.
pub fn config_dir(env: &BTreeMap<String, String>) -> Option<PathBuf> {
    let lookup = |key: &str| {
        env.get(key)
            .cloned()
            .or_else(|| std::env::var(key).ok())
            .filter(|v| !v.is_empty())
    };
    if let Some(dir) = lookup("CLAUDE_CONFIG_DIR") {
        return Some(PathBuf::from(dir));
    }
    lookup("HOME").map(|home| PathBuf::from(home).join(".claude"))
}

/// The transcript paths Claude Code may use for `cwd` and `session_id`, most likely first.
/// Versions differ in how they turn the folder into a name: every `/` becomes `-`, or
/// every character that is not a letter or digit does. Both are tried.
pub fn candidate_paths(config_dir: &Path, cwd: &Path, session_id: &str) -> Vec<PathBuf> {
    let cwd = cwd.to_string_lossy();
    let all = cwd
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>();
    let slashes = cwd.replace('/', "-");
    let mut names = vec![all];
    if !names.contains(&slashes) {
        names.push(slashes);
    }
    names
        .into_iter()
        .map(|name| {
            config_dir
                .join("projects")
                .join(name)
                .join(format!("{session_id}.jsonl"))
        })
        .collect()
}

/// What one turn left in the transcript.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TurnRecord {
    /// The text of the turn's final answer (the assistant message(s) after the last user
    /// line), when there is one.
    pub answer: Option<String>,
    /// The tools the turn called, in order.
    pub tools: Vec<ToolUse>,
}

/// Reads a transcript from a byte offset (the size it had when the turn began).
#[derive(Debug, Clone)]
pub struct TranscriptCursor {
    candidates: Vec<PathBuf>,
    offset: u64,
    path: Option<PathBuf>,
}

impl TranscriptCursor {
    /// A cursor at the current end of whichever candidate exists (or at 0).
    pub fn at_end(candidates: Vec<PathBuf>) -> Self {
        let existing = candidates.iter().find(|p| p.exists()).cloned();
        let offset = existing
            .as_ref()
            .and_then(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .unwrap_or(0);
        TranscriptCursor {
            candidates,
            offset,
            path: existing,
        }
    }

    /// Use `path` (named by Claude Code itself in a hook) ahead of the guessed candidates.
    pub fn prefer(&mut self, path: PathBuf) {
        if self.path.as_ref() == Some(&path) {
            return;
        }
        self.candidates.retain(|p| p != &path);
        self.candidates.insert(0, path);
        if self.path.is_some() {
            // The offset belonged to another file; the answer is the text after the last
            // user line, so reading this file whole is still right.
            self.path = None;
            self.offset = 0;
        }
    }

    /// Parse the complete lines written since the cursor was made. Unknown line types
    /// and unparsable lines are skipped, never fatal.
    pub fn read_since(&mut self) -> Vec<Value> {
        if self.path.is_none() {
            self.path = self.candidates.iter().find(|p| p.exists()).cloned();
        }
        let Some(path) = &self.path else {
            return Vec::new();
        };
        let Ok(mut file) = std::fs::File::open(path) else {
            return Vec::new();
        };
        if file.seek(SeekFrom::Start(self.offset)).is_err() {
            return Vec::new();
        }
        let mut text = String::new();
        if file.read_to_string(&mut text).is_err() {
            return Vec::new();
        }
        // Only whole lines: Claude Code may be in the middle of writing the last one.
        let complete = text.rfind('\n').map(|i| i + 1).unwrap_or(0);
        text[..complete]
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }
}

/// Summarise a turn's transcript lines: its tools and final answer.
pub fn summarize(lines: &[Value]) -> TurnRecord {
    let mut record = TurnRecord::default();
    let mut answer_parts: Vec<String> = Vec::new();
    for line in lines {
        let kind = line.get("type").and_then(Value::as_str);
        let content = line.pointer("/message/content");
        match kind {
            Some("assistant") => {
                let Some(Value::Array(blocks)) = content else {
                    continue;
                };
                for block in blocks {
                    match block.get("type").and_then(Value::as_str) {
                        Some("text") => {
                            if let Some(text) = block.get("text").and_then(Value::as_str) {
                                answer_parts.push(text.to_string());
                            }
                        }
                        Some("tool_use") => {
                            if let Some(name) = block.get("name").and_then(Value::as_str) {
                                record.tools.push(tool_use(name, block.get("input")));
                            }
                        }
                        _ => {}
                    }
                }
            }
            // A user line (prompt or tool result) starts the next assistant message:
            // only the text after the last one is the answer.
            Some("user") => answer_parts.clear(),
            _ => {}
        }
    }
    if !answer_parts.is_empty() {
        record.answer = Some(answer_parts.join("\n\n"));
    }
    record
}

/// A tool call with a one-line summary of its input (the command, the path, ...).
pub fn tool_use(name: &str, input: Option<&Value>) -> ToolUse {
    const KEYS: [&str; 7] = [
        "command",
        "file_path",
        "path",
        "url",
        "pattern",
        "query",
        "description",
    ];
    let summary = input.and_then(|input| {
        KEYS.iter()
            .find_map(|k| input.get(*k).and_then(Value::as_str))
            .map(|s| {
                let line = s.lines().next().unwrap_or_default();
                line.chars().take(200).collect::<String>()
            })
    });
    ToolUse {
        tool: name.to_string(),
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_both_folder_spellings() {
        let paths = candidate_paths(Path::new("/h/.claude"), Path::new("/tmp/.x_y/w"), "abc");
        assert_eq!(
            paths,
            vec![
                PathBuf::from("/h/.claude/projects/-tmp--x-y-w/abc.jsonl"),
                PathBuf::from("/h/.claude/projects/-tmp-.x_y-w/abc.jsonl"),
            ]
        );
    }

    #[test]
    fn answer_is_the_text_after_the_last_user_line() {
        let lines = vec![
            json!({"type": "user", "message": {"content": "do it"}}),
            json!({"type": "assistant", "message": {"content": [
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "name": "Bash", "input": {"command": "ls -l\nx"}}]}}),
            json!({"type": "user", "message": {"content": [{"type": "tool_result"}]}}),
            json!({"type": "system", "whatever": 1}),
            json!({"type": "assistant", "message": {"content": [
                {"type": "thinking", "thinking": "hmm"},
                {"type": "text", "text": "Done: 42."}]}}),
        ];
        let r = summarize(&lines);
        assert_eq!(r.answer.as_deref(), Some("Done: 42."));
        assert_eq!(
            r.tools,
            vec![ToolUse {
                tool: "Bash".into(),
                summary: Some("ls -l".into())
            }]
        );
        assert_eq!(summarize(&lines[..3]).answer, None);
    }

    #[test]
    fn reads_only_complete_lines_written_after_the_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        std::fs::write(&path, "{\"type\":\"user\"}\n").unwrap();
        let mut cursor = TranscriptCursor::at_end(vec![path.clone()]);
        let mut more = std::fs::read_to_string(&path).unwrap();
        more.push_str("{\"type\":\"assistant\"}\n{\"type\":\"partial");
        std::fs::write(&path, more).unwrap();
        let lines = cursor.read_since();
        assert_eq!(lines, vec![json!({"type": "assistant"})]);
    }
}
