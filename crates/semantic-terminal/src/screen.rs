//! The screen as text, cut into the regions Claude Code draws: the transcript at the
//! top, then either the input box (between two full-width rules) with its footer, or a
//! dialog under a single rule.

use crate::rules::Rules;
use crate::trim::TrimRow;

/// The input box: rows of its two rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputBox {
    /// Row of the rule above the box.
    pub top: usize,
    /// Row of the rule below the box.
    pub bottom: usize,
}

/// One screen's text and where its regions are.
#[derive(Debug, Clone)]
pub struct Layout<'a> {
    pub lines: &'a [String],
    /// The input box, when the bottom of the screen shows one.
    pub input_box: Option<InputBox>,
    /// The last full-width rule on screen (the dialog's top edge when there is no box).
    pub last_rule: Option<usize>,
    /// The full-width rule before the last one.
    pub second_rule: Option<usize>,
}

/// Whether `line` is a full-width horizontal rule.
pub fn is_rule(line: &str, rules: &Rules) -> bool {
    let Some(first) = line.chars().next() else {
        return false;
    };
    // A rule repeats one character: the byte length gives the count, and a string
    // repeats its first `n` bytes exactly when it equals itself shifted by `n`.
    let (bytes, n) = (line.as_bytes(), first.len_utf8());
    rules.rule_chars.contains(&first)
        && bytes.len() / n >= rules.min_rule_len
        && bytes.len() % n == 0
        && bytes[n..] == bytes[..bytes.len() - n]
}

/// Whether `line` is a dashed separator (drawn around commands and diffs in dialogs).
pub fn is_dashed_rule(line: &str, rules: &Rules) -> bool {
    let t = line.trim_row();
    !t.is_empty() && t.chars().all(|c| rules.dashed_rule_chars.contains(&c))
}

/// `line` without leading spaces, if it starts with one of `markers` (then a space or
/// nothing): returns the rest after the marker.
pub fn strip_marker<'s>(line: &'s str, markers: &[String]) -> Option<&'s str> {
    let first = line.as_bytes().first();
    markers.iter().find_map(|m| {
        // Most rows start with none of the markers: the first byte already tells.
        if m.as_bytes().first().is_some_and(|b| Some(b) != first) {
            return None;
        }
        let rest = line.strip_prefix(m.as_str())?;
        if rest.is_empty() {
            Some(rest)
        } else {
            rest.strip_prefix(' ')
                .or_else(|| rest.strip_prefix('\u{a0}'))
        }
    })
}

/// Whether `line` shows nothing (screen rows come with trailing blanks trimmed, so
/// most blank rows are empty strings: checked first).
pub fn is_blank_line(line: &str) -> bool {
    line.is_empty() || line.trim_row().is_empty()
}

/// Number of leading spaces.
pub fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

impl<'a> Layout<'a> {
    /// Find the regions of `lines`.
    pub fn new(lines: &'a [String], rules: &Rules) -> Self {
        let mut last = None;
        let mut second = None;
        for (i, line) in lines.iter().enumerate().rev() {
            if is_rule(line, rules) {
                if last.is_none() {
                    last = Some(i);
                } else {
                    second = Some(i);
                    break;
                }
            }
        }
        // The box is the last two rules, with the prompt marker on the row after the top.
        let input_box = match (second, last) {
            (Some(top), Some(bottom)) if bottom > top + 1 => {
                let first = lines[top + 1].trim_row_start();
                // In shell mode (`!` typed first) the box starts with that marker instead.
                strip_marker(first, &rules.prompt_markers)
                    .or_else(|| strip_marker(first, &rules.shell_command_markers))
                    .map(|_| InputBox { top, bottom })
            }
            _ => None,
        };
        Self {
            lines,
            input_box,
            last_rule: last,
            second_rule: second,
        }
    }

    /// The text typed in the input box (rows joined by `\n`, marker removed).
    #[cfg(test)]
    pub fn input_text(&self, rules: &Rules) -> Option<String> {
        let b = self.input_box?;
        let mut out = Vec::new();
        for (i, line) in self.lines[b.top + 1..b.bottom].iter().enumerate() {
            let t = line.trim_row_start();
            let t = if i == 0 {
                strip_marker(t, &rules.prompt_markers).unwrap_or(t)
            } else {
                t
            };
            out.push(t.trim_end());
        }
        Some(out.join("\n").trim_row().to_string())
    }

    /// Rows under the input box (the footer), non-blank, trimmed.
    pub fn footer(&self) -> Vec<&'a str> {
        match self.input_box {
            Some(b) => self.lines[b.bottom + 1..]
                .iter()
                .map(|l| l.trim_row())
                .filter(|l| !l.is_empty())
                .collect(),
            None => Vec::new(),
        }
    }

    /// Rows of the dialog region: everything under the last rule, when there is no box.
    #[cfg(test)]
    pub fn dialog_region(&self) -> Option<&'a [String]> {
        if self.input_box.is_some() {
            return None;
        }
        self.last_rule.map(|r| &self.lines[r + 1..])
    }

    /// Where a dialog may begin, most likely first, when there is no input box: the
    /// row of a rule and the rows under it. Under the last full-width rule; under the
    /// one before it (a question dialog draws a rule between its answers and `Chat
    /// about this`); under the last indented rule (the plan dialog's top edge).
    pub fn dialog_candidates(
        &self,
        rules: &'a Rules,
    ) -> impl Iterator<Item = (usize, &'a [String])> + 'a {
        let lines = self.lines;
        let boxed = self.input_box.is_some();
        let from = self.last_rule.map_or(0, |r| r + 1);
        // Looked for only when the rules' regions gave no dialog (a scan of every row).
        let indented = std::iter::once_with(move || {
            (from..lines.len()).rev().find(|&i| {
                let l = &lines[i];
                l.starts_with(' ') && is_rule(l.trim_row(), rules)
            })
        })
        .flatten();
        [self.last_rule, self.second_rule]
            .into_iter()
            .flatten()
            .chain(indented)
            .take_while(move |_| !boxed)
            .map(move |r| (r, &lines[r + 1..]))
    }

    /// The row where the transcript ends (exclusive): the input box's top rule, else
    /// the last rule, else the screen's end.
    pub fn transcript_end(&self) -> usize {
        self.input_box
            .map(|b| b.top)
            .or(self.last_rule)
            .unwrap_or(self.lines.len())
    }

    /// Whether the screen has nothing on it.
    pub fn is_blank(&self) -> bool {
        self.lines.iter().all(|l| is_blank_line(l))
    }
}

#[cfg(test)]
pub(crate) fn lines_of(text: &str) -> Vec<String> {
    text.lines().map(|l| l.trim_end().to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule() -> String {
        "─".repeat(60)
    }

    #[test]
    fn finds_the_input_box_and_footer() {
        let r = Rules::builtin();
        let text = format!(
            "❯ old prompt\n● answer\n\n{rule}\n❯ hello\n  world\n{rule}\n  ⏸ manual mode on · ? for shortcuts\n",
            rule = rule()
        );
        let lines = lines_of(&text);
        let l = Layout::new(&lines, &r);
        assert_eq!(l.input_box, Some(InputBox { top: 3, bottom: 6 }));
        assert_eq!(l.input_text(&r).as_deref(), Some("hello\nworld"));
        assert_eq!(l.footer(), vec!["⏸ manual mode on · ? for shortcuts"]);
        assert!(l.dialog_region().is_none());
    }

    #[test]
    fn a_single_rule_opens_a_dialog_region() {
        let r = Rules::builtin();
        let text = format!(
            "● Bash(ls)\n{rule}\n Bash command\n ❯ 1. Yes\n   2. No\n",
            rule = rule()
        );
        let lines = lines_of(&text);
        let l = Layout::new(&lines, &r);
        assert_eq!(l.input_box, None);
        assert_eq!(l.dialog_region().map(|d| d.len()), Some(3));
        assert_eq!(l.transcript_end(), 1);
    }

    #[test]
    fn short_dashes_are_not_rules() {
        let r = Rules::builtin();
        assert!(!is_rule("───", &r));
        assert!(!is_rule(&format!("a{}", rule()), &r));
        assert!(is_dashed_rule(&"╌".repeat(30), &r));
    }
}
