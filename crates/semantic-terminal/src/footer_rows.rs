//! The footer read row by row, each row's reading remembered by its text.
//!
//! A footer changes one row at a time: the background agents panel counts each agent's
//! seconds, the first row gains or loses `esc to interrupt`. Every rule the footer is
//! read with looks at one row at a time, so a row seen before needs no pattern run
//! again; only the rows that changed are matched. The result is [`parse_footer`]'s.
//!
//! [`parse_footer`]: crate::status::parse_footer

use crate::event::Subagent;
use crate::rules::Rules;
use crate::status::{Footer, context_left, parse_elapsed};
use crate::text_memo::TextMemo;
use crate::trim::TrimRow;

/// A piece of a row, as byte offsets into it.
type Span = (usize, usize);

/// Where `part`, a slice of `row`, lies in it.
fn span_of(row: &str, part: &str) -> Span {
    let start = part.as_ptr() as usize - row.as_ptr() as usize;
    (start, start + part.len())
}

/// What one footer row says, as offsets into the row (so it can be remembered).
#[derive(Debug, Clone, Copy)]
pub struct RowFacts {
    interrupt: bool,
    mode: Option<Span>,
    context_left: Option<u8>,
    /// A background agent's row: its kind, description and running time.
    subagent: Option<(Span, Span, Option<u64>)>,
    background_shells: Option<u32>,
}

impl RowFacts {
    fn of(row: &str, rules: &Rules) -> Self {
        let subagent = rules.subagent_row.captures(row).and_then(|caps| {
            Some((
                span_of(row, caps.name("kind")?.as_str()),
                span_of(row, caps.name("description")?.as_str().trim_row()),
                caps.name("elapsed").and_then(|e| parse_elapsed(e.as_str())),
            ))
        });
        Self {
            interrupt: rules
                .interrupt_markers
                .iter()
                .any(|m| row.contains(m.as_str())),
            mode: rules
                .permission_mode
                .captures(row)
                .and_then(|caps| Some(span_of(row, caps.name("mode")?.as_str().trim_row()))),
            context_left: context_left(&[row], rules),
            subagent,
            background_shells: rules
                .background_shells
                .as_ref()
                .and_then(|re| re.captures(row)?.get(1)?.as_str().parse().ok()),
        }
    }
}

/// [`crate::status::parse_footer`] of `footer`'s rows (non-blank, trimmed), reading
/// only rows `rows` has not seen.
pub fn parse_footer_rows(footer: &[&str], rows: &mut TextMemo<RowFacts>, rules: &Rules) -> Footer {
    let mut out = Footer {
        text: (!footer.is_empty()).then(|| footer.join("\n")),
        ..Footer::default()
    };
    for row in footer {
        let facts = rows.get_or(row, |r| RowFacts::of(r, rules));
        let text = |(from, to): Span| row[from..to].to_string();
        out.interruptible |= facts.interrupt;
        // Each of these comes from the first row that says it.
        if out.permission_mode.is_none() {
            out.permission_mode = facts.mode.map(text);
        }
        out.context_left_percent = out.context_left_percent.or(facts.context_left);
        out.background_shells = out.background_shells.or(facts.background_shells);
        if let Some((kind, description, elapsed_secs)) = facts.subagent {
            out.subagents.push(Subagent {
                kind: text(kind),
                description: text(description),
                elapsed_secs,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::parse_footer;

    #[test]
    fn reads_as_the_whole_footer_parse_does() {
        let r = Rules::builtin();
        let panel = |secs: u32| {
            vec![
                "⏸ manual mode on · ? for shortcuts · ↓ to manage".to_string(),
                "● main".to_string(),
                format!("◯ general-purpose  Survey module alpha      {secs}s · ↑ 7.0k tokens"),
                "◯ Explore  Find the tests    0s".to_string(),
            ]
        };
        let footers: Vec<Vec<String>> = vec![
            vec!["⏸ manual mode on · esc to interrupt".into()],
            vec![
                "⏵⏵ accept edits on (shift+tab to cycle) · 1 shell".into(),
                "12% until auto-compact".into(),
            ],
            vec![
                "Context left until auto-compact: 9%".into(),
                "? for shortcuts".into(),
            ],
            panel(1),
            panel(2),
            panel(1),
            vec![],
        ];
        let mut rows = TextMemo::default();
        for footer in footers.iter().chain(&footers) {
            let footer: Vec<&str> = footer.iter().map(String::as_str).collect();
            let fresh = parse_footer(&footer, &r);
            assert_eq!(
                parse_footer_rows(&footer, &mut rows, &r),
                fresh,
                "{footer:?}"
            );
        }
        // The panel rows were read as agents (so the comparison covered them).
        let footer = panel(3);
        let footer: Vec<&str> = footer.iter().map(String::as_str).collect();
        let read = parse_footer_rows(&footer, &mut rows, &r);
        assert_eq!(read.subagents.len(), 2);
        assert_eq!(read.subagents[0].elapsed_secs, Some(3));
    }
}
