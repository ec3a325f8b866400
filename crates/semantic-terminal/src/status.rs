//! The spinner line above the input box (`✶ Verb… (3s · ↓ 20 tokens · thinking)`) and
//! the footer under it (`⏸ manual mode on · esc to interrupt`).

use std::borrow::Cow;

use crate::event::{Status, Subagent};
use crate::rules::{ContextMeaning, Rules};
use crate::screen::{Layout, is_blank_line};
use crate::trim::TrimRow;

/// What the spinner line says (borrowing the line and the rules).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spinner<'a> {
    /// Screen row of the spinner line.
    pub row: usize,
    pub glyph: &'a str,
    pub verb: &'a str,
    pub elapsed_secs: Option<u64>,
    pub tokens: Option<u64>,
    /// The details mention extended thinking.
    pub thinking: bool,
    pub interruptible: bool,
}

/// Parse one line as a spinner line. The spinner starts at column 0 with a known glyph
/// and its verb ends in an ellipsis; a finished turn (`✻ Brewed for 2s`) has none.
#[cfg(test)]
pub fn parse_spinner<'a>(line: &'a str, rules: &'a Rules) -> Option<Spinner<'a>> {
    let (glyph, rest) = split_glyph(line, rules)?;
    parse_details(rest, rules).map(|d| d.spinner(glyph, rest))
}

/// The spinner glyph `line` starts with, and the text after it and a space.
fn split_glyph<'a>(line: &'a str, rules: &'a Rules) -> Option<(&'a str, &'a str)> {
    // Most rows tried are not spinners: their first byte already tells.
    let bytes = line.as_bytes();
    bytes.first()?;
    // Glyphs are a few bytes long: compared byte by byte, with no call to compare
    // slices (many rows start with the same lead byte as most glyphs: `●`, `⎿`, `─`).
    let glyph = rules.spinner_glyphs.iter().find(|g| {
        let g = g.as_bytes();
        bytes.len() >= g.len() && g.iter().zip(bytes).all(|(a, b)| a == b)
    })?;
    let rest = line[glyph.len()..].strip_prefix(' ')?;
    Some((glyph.as_str(), rest))
}

/// What a spinner line says after its glyph; the verb as a byte range of that text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Details {
    verb: std::ops::Range<usize>,
    elapsed_secs: Option<u64>,
    tokens: Option<u64>,
    thinking: bool,
    interruptible: bool,
}

impl Details {
    /// The spinner line these details were read from: `rest` is the text after `glyph`.
    fn spinner<'a>(&self, glyph: &'a str, rest: &'a str) -> Spinner<'a> {
        Spinner {
            row: 0,
            glyph,
            verb: &rest[self.verb.clone()],
            elapsed_secs: self.elapsed_secs,
            tokens: self.tokens,
            thinking: self.thinking,
            interruptible: self.interruptible,
        }
    }
}

/// Parse what follows a spinner glyph (`Verb… (3s · ↓ 20 tokens)`).
fn parse_details(rest: &str, rules: &Rules) -> Option<Details> {
    let (verb, after) = rules
        .spinner_ellipsis
        .iter()
        .find_map(|e| split_once(rest, e))?;
    let verb = verb.trim_row();
    let words = verb.split_whitespace().count();
    if verb.is_empty()
        || words > 4
        || verb.chars().count() > 40
        || !verb.chars().next().is_some_and(char::is_alphabetic)
    {
        return None;
    }
    // `verb` is a slice of `rest`: its offset gives the range.
    let at = verb.as_ptr() as usize - rest.as_ptr() as usize;
    let mut d = Details {
        verb: at..at + verb.len(),
        elapsed_secs: None,
        tokens: None,
        thinking: false,
        interruptible: false,
    };
    let after = after.trim_row();
    let details = after
        .strip_prefix('(')
        .and_then(|d| d.rfind(')').map(|end| &d[..end]))
        .unwrap_or(after);
    for part in details.split('·').map(TrimRow::trim_row) {
        // Copied only when lowercasing changes it (it seldom does).
        let lower: Cow<'_, str> = if part.chars().all(lowercase_already) {
            Cow::Borrowed(part)
        } else {
            Cow::Owned(part.to_lowercase())
        };
        if let Some(secs) = parse_elapsed(part) {
            d.elapsed_secs = Some(secs);
        } else if lower.contains("token") {
            d.tokens = parse_tokens(part);
        }
        if rules.thinking_markers.iter().any(|m| lower.starts_with(m)) {
            d.thinking = true;
        }
        if rules.interrupt_markers.iter().any(|m| lower.contains(m)) {
            d.interruptible = true;
        }
    }
    Some(d)
}

/// The last spinner line parsed, by its text after the glyph: most animation frames
/// change the glyph alone, and then the rest is not parsed again.
#[derive(Debug, Default)]
pub struct SpinnerMemo {
    rest: String,
    details: Option<Details>,
}

impl SpinnerMemo {
    /// [`parse_spinner`], remembering the last line's details.
    pub fn parse<'a>(&mut self, line: &'a str, rules: &'a Rules) -> Option<Spinner<'a>> {
        let (glyph, rest) = split_glyph(line, rules)?;
        self.parse_split(glyph, rest, rules)
    }

    /// [`Self::parse`] of a line already split into its glyph and the rest.
    fn parse_split<'a>(
        &mut self,
        glyph: &'a str,
        rest: &'a str,
        rules: &Rules,
    ) -> Option<Spinner<'a>> {
        if self.rest != rest {
            self.rest.clear();
            self.rest.push_str(rest);
            self.details = parse_details(rest, rules);
        }
        self.details.as_ref().map(|d| d.spinner(glyph, rest))
    }
}

/// `s.split_once(pat)`, searching for a one-character pattern as a `char` (quicker).
fn split_once<'s>(s: &'s str, pat: &str) -> Option<(&'s str, &'s str)> {
    let mut chars = pat.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => s.split_once(c),
        _ => s.split_once(pat),
    }
}

/// Whether `c` lowercases to itself.
fn lowercase_already(c: char) -> bool {
    if c.is_ascii() {
        return !c.is_ascii_uppercase();
    }
    let mut lower = c.to_lowercase();
    lower.next() == Some(c) && lower.next().is_none()
}

/// `5s`, `1m 5s`, `2h 1m 5s`, `1m` -> seconds.
pub(crate) fn parse_elapsed(part: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut any = false;
    for piece in part.split_whitespace() {
        let unit = piece.chars().last()?;
        let n: u64 = piece[..piece.len() - unit.len_utf8()].parse().ok()?;
        total = total.saturating_add(match unit {
            's' => n,
            'm' => n.saturating_mul(60),
            'h' => n.saturating_mul(3600),
            _ => return None,
        });
        any = true;
    }
    any.then_some(total)
}

/// `↓ 8 tokens`, `↑ 2.2k tokens`, `1,234 tokens` -> count.
fn parse_tokens(part: &str) -> Option<u64> {
    let num: String = part
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | 'k' | 'K' | 'm' | 'M'))
        .filter(|c| *c != ',')
        .collect();
    let (digits, scale) = match num.chars().last()? {
        'k' | 'K' => (&num[..num.len() - 1], 1_000.0),
        'm' | 'M' => (&num[..num.len() - 1], 1_000_000.0),
        _ => (num.as_str(), 1.0),
    };
    let value: f64 = digits.parse().ok()?;
    Some((value * scale).round() as u64)
}

/// The spinner line, searched only just above the input box: a stale line further up
/// the transcript must not count.
pub fn find_spinner<'a>(layout: &Layout<'a>, rules: &'a Rules) -> Option<Spinner<'a>> {
    find_spinner_with(layout, rules, &mut SpinnerMemo::default())
}

/// [`find_spinner`], parsing with `memo`.
pub fn find_spinner_with<'a>(
    layout: &Layout<'a>,
    rules: &'a Rules,
    memo: &mut SpinnerMemo,
) -> Option<Spinner<'a>> {
    find_spinner_or_status_line(layout, rules, memo).ok()
}

/// [`find_spinner_with`]; when no spinner shows, the turn's status line instead (see
/// [`status_line`]), found on the same rows in the same pass.
pub fn find_spinner_or_status_line<'a>(
    layout: &Layout<'a>,
    rules: &'a Rules,
    memo: &mut SpinnerMemo,
) -> Result<Spinner<'a>, Option<&'a str>> {
    let Some(b) = layout.input_box else {
        return Err(None);
    };
    let mut status_line = None;
    let mut seen = 0;
    for row in (0..b.top).rev() {
        let line = &layout.lines[row];
        if is_blank_line(line) {
            continue;
        }
        if let Some((glyph, rest)) = split_glyph(line, rules) {
            if let Some(mut s) = memo.parse_split(glyph, rest, rules) {
                s.row = row;
                return Ok(s);
            }
            // The first row with a glyph: where the status line search stops.
            status_line = status_line.or(Some(line.as_str()));
        }
        seen += 1;
        if seen >= rules.spinner_search_lines {
            break;
        }
    }
    Err(status_line)
}

/// Context left before auto-compact, in percent, from any of `lines` (the footer's, or
/// the note row over the input box).
pub(crate) fn context_left(lines: &[&str], rules: &Rules) -> Option<u8> {
    lines.iter().find_map(|line| {
        // Figures need a `%`: most rows have none, so their regexes are not run.
        let figure = line.contains('%');
        rules.context_left.iter().find_map(|(re, meaning)| {
            if *meaning == ContextMeaning::Next {
                return re.is_match(line).then_some(0);
            }
            if !figure {
                return None;
            }
            let n: u32 = re.captures(line)?.get(1)?.as_str().parse().ok()?;
            let n = n.min(100) as u8;
            Some(match meaning {
                ContextMeaning::Used => 100 - n,
                _ => n,
            })
        })
    })
}

/// What the footer under the input box says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Footer {
    pub interruptible: bool,
    pub permission_mode: Option<String>,
    pub context_left_percent: Option<u8>,
    /// The footer rows joined by `\n`, when there are any.
    pub text: Option<String>,
    /// The background agents panel's rows.
    pub subagents: Vec<Subagent>,
    /// Shells running in the background, when the footer counts them.
    pub background_shells: Option<u32>,
}

/// One row of the background agents panel, when `line` is one.
#[cfg(test)]
fn subagent_of(line: &str, rules: &Rules) -> Option<Subagent> {
    let caps = rules.subagent_row.captures(line)?;
    Some(Subagent {
        kind: caps.name("kind")?.as_str().to_string(),
        description: caps.name("description")?.as_str().trim_row().to_string(),
        elapsed_secs: caps.name("elapsed").and_then(|e| parse_elapsed(e.as_str())),
    })
}

/// The turn's last status line: the first row above the input box (within the spinner's
/// search distance) that starts with a spinner glyph. Screens are read with
/// [`find_spinner_or_status_line`], which finds it in the spinner's pass.
#[cfg(test)]
pub fn status_line<'a>(layout: &Layout<'a>, rules: &Rules) -> Option<&'a str> {
    let top = layout.input_box?.top;
    let mut seen = 0;
    for row in (0..top).rev() {
        let line = &layout.lines[row];
        if is_blank_line(line) {
            continue;
        }
        if split_glyph(line, rules).is_some() {
            return Some(line);
        }
        seen += 1;
        if seen >= rules.spinner_search_lines {
            break;
        }
    }
    None
}

/// How many background agents `line`, the turn's last status line (see
/// [`status_line`]), says the turn waits for, when it says so.
pub fn waiting_in(line: &str, rules: &Rules) -> Option<u32> {
    rules
        .waiting_for_agents
        .captures(line)?
        .get(1)?
        .as_str()
        .parse()
        .ok()
}

/// Parse the footer's rows (non-blank, trimmed). Screens are read row by row with
/// [`crate::footer_rows`]; this whole-footer reading is what that is checked against.
#[cfg(test)]
pub fn parse_footer(footer: &[&str], rules: &Rules) -> Footer {
    // Markers are matched as written in the rules (Claude Code writes them lowercase).
    let interruptible = footer.iter().any(|l| {
        rules
            .interrupt_markers
            .iter()
            .any(|m| l.contains(m.as_str()))
    });
    let permission_mode = footer.iter().find_map(|line| {
        let caps = rules.permission_mode.captures(line)?;
        Some(caps.name("mode")?.as_str().trim_row().to_string())
    });
    Footer {
        interruptible,
        permission_mode,
        context_left_percent: context_left(footer, rules),
        text: (!footer.is_empty()).then(|| footer.join("\n")),
        subagents: footer
            .iter()
            .filter_map(|l| subagent_of(l, rules))
            .collect(),
        background_shells: rules.background_shells.as_ref().and_then(|re| {
            footer
                .iter()
                .find_map(|l| re.captures(l)?.get(1)?.as_str().parse().ok())
        }),
    }
}

/// The status from the spinner (if any) and the parsed footer.
pub fn status_of(spinner: Option<&Spinner>, footer: &Footer) -> Status {
    Status {
        spinner: spinner.map(|s| s.glyph.to_string()),
        verb: spinner.map(|s| s.verb.to_string()),
        elapsed_secs: spinner.and_then(|s| s.elapsed_secs),
        tokens: spinner.and_then(|s| s.tokens),
        interruptible: spinner.is_some_and(|s| s.interruptible) || footer.interruptible,
        permission_mode: footer.permission_mode.clone(),
        context_left_percent: footer.context_left_percent,
        footer: footer.text.clone(),
        subagents: footer.subagents.clone(),
        waiting_for_agents: None,
        background_shells: footer.background_shells,
    }
}

/// The status from the spinner (if any) and the footer.
#[cfg(test)]
pub fn parse_status(layout: &Layout<'_>, spinner: Option<&Spinner>, rules: &Rules) -> Status {
    status_of(spinner, &parse_footer(&layout.footer(), rules))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screen::lines_of;

    #[test]
    fn the_status_line_is_found_in_the_spinner_pass() {
        let r = Rules::builtin();
        let rule = "─".repeat(60);
        for transcript in [
            "❯ go\n● Done.\n✻ Brewed for 2s\n",
            "❯ go\n✻ Waiting for 2 background agents to finish\n\n  tip\n",
            "❯ go\n● a\n● b\n● c\n● d\n● e\n● f\n● g\n",
            "✻ Old summary\n● a\n● b\n● c\n● d\n● e\n● f\n",
            "❯ go\n✶ Harmonizing… (1s · ↓ 3 tokens)\n",
            "",
        ] {
            let lines = lines_of(&format!(
                "{transcript}{rule}\n❯ \n{rule}\n  ? for shortcuts\n"
            ));
            let layout = Layout::new(&lines, &r);
            let found = find_spinner_or_status_line(&layout, &r, &mut SpinnerMemo::default());
            match found {
                Ok(s) => assert_eq!(Some(s), find_spinner(&layout, &r)),
                Err(line) => {
                    assert!(find_spinner(&layout, &r).is_none());
                    assert_eq!(line, status_line(&layout, &r), "{transcript:?}");
                }
            }
        }
    }

    #[test]
    fn spinner_lines_parse() {
        let r = Rules::builtin();
        let s = parse_spinner("✶ Harmonizing… (1s · ↓ 3 tokens)", &r).unwrap();
        assert_eq!((s.glyph, s.verb), ("✶", "Harmonizing"));
        assert_eq!(
            (s.elapsed_secs, s.tokens, s.thinking),
            (Some(1), Some(3), false)
        );
        let s = parse_spinner("* Nesting… (1m 3s · ↓ 2.2k tokens · thinking)", &r).unwrap();
        assert_eq!(
            (s.elapsed_secs, s.tokens, s.thinking),
            (Some(63), Some(2200), true)
        );
        let s = parse_spinner("· Puttering…", &r).unwrap();
        assert_eq!((s.verb, s.elapsed_secs), ("Puttering", None));
        let s = parse_spinner("✳ Working… (esc to interrupt)", &r).unwrap();
        assert!(s.interruptible);
    }

    #[test]
    fn finished_turns_and_prose_are_not_spinners() {
        let r = Rules::builtin();
        assert!(parse_spinner("✻ Brewed for 2s · done 7:38 AM", &r).is_none());
        assert!(parse_spinner("❯ please think", &r).is_none());
        assert!(parse_spinner("* a list item that goes on and on… and on", &r).is_none());
        assert!(parse_spinner("  ✶ Indented… (1s)", &r).is_none());
    }

    #[test]
    fn status_from_spinner_and_footer() {
        let r = Rules::builtin();
        let rule = "─".repeat(40);
        let text = format!(
            "❯ hi\n●\n✻ Puttering… (4s · ↓ 11 tokens)\n  ⎿  Tip: Start small\n{rule}\n❯ \n{rule}\n  ⏵⏵ accept edits on (shift+tab to cycle) · esc to interrupt    12% until auto-compact\n"
        );
        let lines = lines_of(&text);
        let layout = Layout::new(&lines, &r);
        let spinner = find_spinner(&layout, &r).unwrap();
        assert_eq!(spinner.row, 2);
        let st = parse_status(&layout, Some(&spinner), &r);
        assert_eq!(st.spinner.as_deref(), Some("✻"));
        assert_eq!(st.tokens, Some(11));
        assert!(st.interruptible);
        assert_eq!(st.permission_mode.as_deref(), Some("accept edits"));
        assert_eq!(st.context_left_percent, Some(12));
        assert!(st.footer.unwrap().starts_with("⏵⏵ accept edits on"));
    }

    #[test]
    fn manual_mode_and_context_used() {
        let r = Rules::builtin();
        let rule = "─".repeat(40);
        let text = format!(
            "{rule}\n❯ \n{rule}\n  ⏸ manual mode on · ? for shortcuts · 85% context used\n"
        );
        let lines = lines_of(&text);
        let layout = Layout::new(&lines, &r);
        assert!(find_spinner(&layout, &r).is_none());
        let st = parse_status(&layout, None, &r);
        assert_eq!(st.permission_mode.as_deref(), Some("manual"));
        assert_eq!(st.context_left_percent, Some(15));
        assert!(!st.interruptible);
    }

    #[test]
    fn a_stale_spinner_far_above_the_box_is_ignored() {
        let r = Rules::builtin();
        let rule = "─".repeat(40);
        let mut text = String::from("✻ Thinking… (3s)\n");
        for i in 0..8 {
            text.push_str(&format!("  line {i}\n"));
        }
        text.push_str(&format!("{rule}\n❯ \n{rule}\n"));
        let lines = lines_of(&text);
        assert!(find_spinner(&Layout::new(&lines, &r), &r).is_none());
    }
}
