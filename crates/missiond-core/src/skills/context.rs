//! A task's context: sections of skills and knowledge entries, in order of relevance,
//! within a byte budget.

use crate::catalogue::{ContextBuildResult, ContextSource, ContextSourceKind};

/// A part that may go into the context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// skill or kb.
    pub kind: ContextSourceKind,
    /// The skill's name, or the entry's key/title.
    pub name: String,
    /// The skill's file, or `kb:<id>`.
    pub location: String,
    /// Its text (skill body, entry content).
    pub text: String,
}

/// Parts smaller than this are not worth cutting a section down to: the budget's end is
/// reached instead.
const MIN_CUT_BYTES: usize = 128;

/// Builds the context for `task` from `parts` (most relevant first; duplicates by
/// location are dropped) within `max_bytes`. Whole sections while they fit; the first
/// that does not is cut to the rest of the budget (when enough is left); the rest are
/// listed as omitted.
pub fn build(task: &str, parts: Vec<Part>, max_bytes: u32) -> ContextBuildResult {
    let budget = max_bytes as usize;
    let mut context = String::new();
    let header = format!("# Context for: {}\n\n", one_line(task));
    push_within(&mut context, &header, budget);
    let mut sources = Vec::new();
    let mut omitted = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut full = false;
    for part in parts {
        if !seen.insert(part.location.clone()) {
            continue;
        }
        let label = match part.kind {
            ContextSourceKind::Skill => "Skill",
            ContextSourceKind::Kb => "Knowledge",
        };
        let section = format!(
            "## {label}: {} ({})\n\n{}\n\n",
            one_line(&part.name),
            part.location,
            part.text.trim_end()
        );
        let left = budget.saturating_sub(context.len());
        if full || (section.len() > left && left < MIN_CUT_BYTES) {
            full = true;
            omitted.push(part.location);
            continue;
        }
        let truncated = section.len() > left;
        let before = context.len();
        if truncated {
            const MARK: &str = "\n…[cut to fit the budget]\n";
            let room = left.saturating_sub(MARK.len());
            context.push_str(cut(&section, room));
            context.push_str(MARK);
            full = true;
        } else {
            context.push_str(&section);
        }
        sources.push(ContextSource {
            kind: part.kind,
            name: part.name,
            location: part.location,
            bytes: (context.len() - before) as u64,
            truncated,
        });
    }
    ContextBuildResult {
        bytes: context.len() as u64,
        context,
        max_bytes,
        sources,
        omitted,
    }
}

fn one_line(text: &str) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    cut(&line, 300).to_string()
}

fn push_within(out: &mut String, text: &str, budget: usize) {
    let room = budget.saturating_sub(out.len());
    out.push_str(cut(text, room));
}

/// The longest prefix of `text` of at most `max` bytes ending on a character boundary.
fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
