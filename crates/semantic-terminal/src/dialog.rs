//! Dialogs: tool permission prompts and start-up questions, parsed into [`ConfirmInfo`].
//!
//! A dialog is read by its shape, not by its wording: a title, some details, a
//! question, a column of options with a selection marker on exactly one, and a footer
//! such as `Esc to cancel`. Wording only decides the kind and each option's meaning.

use crate::event::{ConfirmInfo, ConfirmOption, DialogKind, OptionMeaning};
use crate::rules::Rules;
use crate::screen::{indent, is_dashed_rule, is_rule, strip_marker};
use crate::trim::TrimRow;

/// Remove a box border (`│ text │`) if the line has one.
fn unbox(line: &str) -> &str {
    let t = line.trim_end();
    let t = t.strip_suffix('│').unwrap_or(t);
    let t = match t.trim_row_start().strip_prefix('│') {
        Some(rest) => rest,
        None => t,
    };
    t.trim_end()
}

fn is_box_edge(line: &str) -> bool {
    let t = line.trim_row();
    (t.starts_with('╭') || t.starts_with('╰')) && t.chars().filter(|c| *c == '─').count() > 3
}

/// One option row: the selection marker's column and the label's column.
struct OptionRow {
    row: usize,
    selected: bool,
    label_col: usize,
    number: Option<u32>,
    label: String,
    /// Deeper rows under the label: its wrapped tail, or (in question dialogs) the
    /// option's description.
    more: Vec<String>,
}

/// Parse a row as an option. `marker_col` is the column of the selection marker of the
/// selected row; other options are indented to the label column.
fn option_row(row: usize, line: &str, rules: &Rules) -> Option<OptionRow> {
    let ind = indent(line);
    let t = &line[ind..];
    let (selected, body, label_col) = match strip_marker(t, &rules.selected_markers) {
        Some(rest) => {
            let skipped = t.len() - rest.len();
            let rest_trim = rest.trim_row_start();
            let extra = rest.len() - rest_trim.len();
            (true, rest_trim, ind + t[..skipped].chars().count() + extra)
        }
        None => (false, t, ind),
    };
    if body.is_empty() {
        return None;
    }
    let (number, label) = match body.split_once(". ") {
        Some((n, rest))
            if !n.is_empty() && n.len() <= 2 && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (n.parse().ok(), rest.trim_row())
        }
        _ => (None, body.trim_row()),
    };
    Some(OptionRow {
        row,
        selected,
        label_col,
        number,
        label: label.to_string(),
        more: Vec::new(),
    })
}

/// The question from the text above the options: the last sentence that asks one.
fn question_from(lines: &[&str]) -> Option<(usize, String)> {
    for (i, line) in lines.iter().enumerate().rev() {
        if let Some(q_end) = line.rfind('?') {
            let upto = &line[..=q_end];
            let start = [". ", ": ", "! "]
                .iter()
                .filter_map(|sep| upto.rfind(sep).map(|p| p + sep.len()))
                .max()
                .unwrap_or(0);
            return Some((i, upto[start..].trim_row().to_string()));
        }
    }
    None
}

/// The kind from the title; a generic title ("Tool use") is refined by the body.
fn classify(title: &str, body: &[&str], rules: &Rules) -> (DialogKind, Option<String>) {
    let by_title = rules
        .dialog_kinds
        .iter()
        .find(|k| k.title.is_match(title))
        .map(|k| (k.kind, k.tool.clone()));
    if let Some(found) = &by_title
        && found.0 != DialogKind::OtherTool
    {
        return found.clone();
    }
    for (re, kind, tool) in &rules.dialog_body_kinds {
        if body.iter().any(|l| re.is_match(l)) {
            return (*kind, tool.clone());
        }
    }
    by_title.unwrap_or((DialogKind::Unrecognised, None))
}

/// Parse the region under the dialog's top rule. `None` when it is not a dialog with
/// confidence: fewer than two options, or not exactly one selected, or no question and
/// no dialog footer.
#[cfg(test)]
pub fn parse_dialog(region: &[String], rules: &Rules) -> Option<ConfirmInfo> {
    parse_dialog_with(region, rules, &mut |kind, label| {
        rules.option_meaning_in(kind, label)
    })
}

/// [`parse_dialog`], asking `meaning_of` what each option label means (a caller may
/// remember meanings: the rules' patterns are costly to run).
pub fn parse_dialog_with(
    region: &[String],
    rules: &Rules,
    meaning_of: &mut dyn FnMut(DialogKind, &str) -> OptionMeaning,
) -> Option<ConfirmInfo> {
    let lines: Vec<&str> = region
        .iter()
        .filter(|l| !is_box_edge(l) && !is_rule(l, rules))
        .map(|l| unbox(l))
        .collect();
    // The footer: the last row with a dialog footer marker; options sit above it.
    let footer = lines.iter().rposition(|l| {
        rules
            .dialog_footer_markers
            .iter()
            .any(|m| l.contains(m.as_str()))
    });
    let end = footer.unwrap_or(lines.len());
    let selected = (0..end).rev().find(|&i| {
        let t = lines[i].trim_row_start();
        strip_marker(t, &rules.selected_markers).is_some_and(|r| !r.trim_row().is_empty())
    })?;
    let sel = option_row(selected, lines[selected], rules)?;
    let col = sel.label_col;
    // Options share the label column; deeper rows continue the option above.
    let mut opts = vec![sel];
    // Upwards, deeper rows are the wrapped tail of the option above them.
    let mut row = selected;
    let mut tail: Vec<&str> = Vec::new();
    while row > 0 {
        let line = lines[row - 1];
        let ind = indent(line);
        if line.trim_row().is_empty() || ind < col {
            break;
        }
        row -= 1;
        if ind > col {
            tail.insert(0, line.trim_row());
            continue;
        }
        match option_row(row, line, rules) {
            Some(mut o) if !o.selected => {
                o.more.extend(tail.drain(..).map(str::to_string));
                opts.insert(0, o);
            }
            _ => break,
        }
    }
    let mut row = selected + 1;
    while row < end {
        let line = lines[row];
        if line.trim_row().is_empty() {
            break;
        }
        let ind = indent(line);
        if ind == col {
            match option_row(row, line, rules) {
                Some(o) if !o.selected => opts.push(o),
                _ => break,
            }
        } else if ind > col {
            if let Some(last) = opts.last_mut() {
                last.more.push(line.trim_row().to_string());
            }
        } else {
            break;
        }
        row += 1;
    }
    let numbered = opts.iter().filter(|o| o.number.is_some()).count();
    if opts.len() < 2 || (numbered != 0 && numbered != opts.len()) {
        return None;
    }
    let above: Vec<&str> = lines[..opts[0].row]
        .iter()
        .copied()
        .filter(|l| !l.trim_row().is_empty())
        .collect();
    let question = question_from(&above);
    if question.is_none() && footer.is_none() {
        return None;
    }
    let title = above.first().map(|l| l.trim_row().to_string())?;
    let (kind, mut tool) = classify(&title, &lines[..end], rules);
    // A question dialog's question need not end in `?`: it is the row above the answers.
    let question = match (kind, question) {
        (DialogKind::AskUserQuestion, None) if above.len() > 1 => Some((
            above.len() - 1,
            above[above.len() - 1].trim_row().to_string(),
        )),
        (_, q) => q,
    };
    let detail_end = question.as_ref().map_or(above.len(), |(i, _)| *i);
    let body: Vec<&str> = above[1..detail_end.max(1)].to_vec();

    // The text between dashed rules is the command or diff; otherwise the first detail.
    let mut dashed = Vec::new();
    let mut inside = false;
    let mut details = Vec::new();
    for l in &body {
        if is_dashed_rule(l, rules) {
            inside = !inside;
            continue;
        }
        if inside {
            dashed.push(l.trim_row());
        }
        details.push(l.trim_row().to_string());
    }
    let first_detail = details.iter().find(|d| !d.starts_with("Tip:")).cloned();
    let boxed = (!dashed.is_empty()).then(|| dashed.join("\n"));
    let (command, target) = match kind {
        DialogKind::Bash => (boxed.or(first_detail), None),
        DialogKind::FileWrite | DialogKind::FileEdit => (None, first_detail),
        DialogKind::WebFetch => (
            None,
            details
                .iter()
                .find_map(|d| d.split_whitespace().find(|w| w.contains("://")))
                .map(str::to_string)
                .or(first_detail),
        ),
        DialogKind::FolderTrust => (None, first_detail),
        _ => (None, None),
    };
    if kind == DialogKind::McpTool && tool.is_none() {
        // `mcp__server__tool` when shown; else the display name (`files — Read Thing`).
        tool = above
            .iter()
            .find_map(|l| {
                l.split(|c: char| c.is_whitespace() || c == '(')
                    .find(|w| w.starts_with("mcp__"))
                    .map(str::to_string)
            })
            .or_else(|| {
                above.iter().find(|l| l.contains("(MCP)")).map(|l| {
                    let name = l.replace("(MCP)", "");
                    let name = name.trim_row().trim_end_matches(':').trim_row();
                    name.strip_suffix(" Tool").unwrap_or(name).to_string()
                })
            });
    }
    Some(ConfirmInfo {
        kind,
        title: title.trim_end_matches(':').to_string(),
        tool,
        command,
        target,
        details,
        question: question.map(|(_, q)| q).unwrap_or_default(),
        options: opts
            .into_iter()
            .map(|mut o| {
                // Question dialogs describe each answer under it; elsewhere deeper rows
                // are the label's wrapped tail.
                let description = if kind == DialogKind::AskUserQuestion {
                    (!o.more.is_empty()).then(|| o.more.join(" "))
                } else {
                    for t in &o.more {
                        o.label.push(' ');
                        o.label.push_str(t);
                    }
                    None
                };
                ConfirmOption {
                    meaning: meaning_of(kind, &o.label),
                    number: o.number,
                    label: o.label,
                    selected: o.selected,
                    description,
                }
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::OptionMeaning;
    use crate::screen::lines_of;

    fn dashes() -> String {
        "╌".repeat(50)
    }

    #[test]
    fn bash_permission_dialog() {
        let r = Rules::builtin();
        let text = format!(
            " Bash command\n Tip: auto mode handles these prompts for you — choose \"switch to auto mode\" below\n Write hello to out.txt\n{d}\n echo hello > out.txt\n{d}\n Do you want to proceed?\n ❯ 1. Yes\n   2. Yes, and always allow access to /tmp/h2/proj from this project\n   3. Yes, and switch to auto mode · auto mode handles these prompts for you\n   4. No\n Esc to cancel · Tab to amend\n",
            d = dashes()
        );
        let info = parse_dialog(&lines_of(&text), &r).unwrap();
        assert_eq!(info.kind, DialogKind::Bash);
        assert_eq!(info.title, "Bash command");
        assert_eq!(info.tool.as_deref(), Some("Bash"));
        assert_eq!(info.command.as_deref(), Some("echo hello > out.txt"));
        assert_eq!(info.question, "Do you want to proceed?");
        let meanings: Vec<_> = info.options.iter().map(|o| o.meaning).collect();
        assert_eq!(
            meanings,
            [
                OptionMeaning::Yes,
                OptionMeaning::YesAlways,
                OptionMeaning::Other,
                OptionMeaning::No
            ]
        );
        assert_eq!(info.options[3].number, Some(4));
        assert_eq!(info.selected_index(), Some(0));
        assert!(info.details.iter().any(|d| d == "Write hello to out.txt"));
    }

    #[test]
    fn create_file_dialog_with_wrapped_selected_option() {
        let r = Rules::builtin();
        let text = format!(
            " Create file\n new.txt\n{d}\n  1 line one\n  2 line two\n{d}\n Do you want to create new.txt?\n   1. Yes\n ❯ 2. Yes, and switch to accept edits (auto-approve file edits and common file commands) for this\n      session (shift+tab)\n   3. No\n Esc to cancel\n",
            d = dashes()
        );
        let info = parse_dialog(&lines_of(&text), &r).unwrap();
        assert_eq!(info.kind, DialogKind::FileWrite);
        assert_eq!(info.target.as_deref(), Some("new.txt"));
        assert_eq!(info.question, "Do you want to create new.txt?");
        assert_eq!(info.options.len(), 3);
        assert_eq!(info.selected_index(), Some(1));
        assert!(
            info.options[1]
                .label
                .ends_with("for this session (shift+tab)")
        );
        assert_eq!(info.options[1].meaning, OptionMeaning::YesAlways);
        assert_eq!(info.find(OptionMeaning::No), Some(2));
    }

    #[test]
    fn wrapped_options_above_the_selection() {
        let r = Rules::builtin();
        let text = " Bash command\n rm greeting.txt\n Do you want to proceed?\n   1. Yes\n   2. Yes, and always allow access to /tmp/work\n      from this project\n   3. Yes, and switch to auto mode\n ❯ 4. No\n\n Esc to cancel · Tab to amend\n";
        let info = parse_dialog(&lines_of(text), &r).unwrap();
        let labels: Vec<_> = info.options.iter().map(|o| o.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Yes",
                "Yes, and always allow access to /tmp/work from this project",
                "Yes, and switch to auto mode",
                "No"
            ]
        );
        assert_eq!(info.selected_index(), Some(3));
        assert_eq!(info.keys_for(0).unwrap(), b"\x1b[A\x1b[A\x1b[A\r");
    }

    #[test]
    fn unnumbered_startup_dialogs() {
        let r = Rules::builtin();
        let trust = " Accessing workspace:\n\n /tmp/h2/proj\n\n Quick safety check: Is this a project you created or one you trust? (Like your own code, a well-known open source\n project, or work from your team). If not, take a moment to review what's in this folder first.\n\n Security guide\n\n ❯ No, exit\n   Yes, I trust this folder\n\n Enter to confirm · Esc to cancel\n";
        let info = parse_dialog(&lines_of(trust), &r).unwrap();
        assert_eq!(info.kind, DialogKind::FolderTrust);
        assert_eq!(info.target.as_deref(), Some("/tmp/h2/proj"));
        assert_eq!(
            info.question,
            "Is this a project you created or one you trust?"
        );
        assert_eq!(info.options[0].meaning, OptionMeaning::No);
        assert_eq!(info.options[1].meaning, OptionMeaning::Yes);
        assert_eq!(info.options[1].number, None);
        assert_eq!(info.keys_for(1).unwrap(), b"\x1b[B\r");

        let key = "  Detected a custom API key in your environment\n\n  ANTHROPIC_API_KEY: sk-ant-...abcdefghij0123456789\n\n  Do you want to use this API key?\n\n    Yes\n  ❯ No (recommended)\n\n  Enter to confirm · Esc to cancel\n";
        let info = parse_dialog(&lines_of(key), &r).unwrap();
        assert_eq!(info.kind, DialogKind::ApiKeyApproval);
        assert!(info.kind.is_startup());
        assert_eq!(info.selected_index(), Some(1));
        assert_eq!(info.find(OptionMeaning::Yes), Some(0));
    }

    #[test]
    fn mcp_and_boxed_dialogs() {
        let r = Rules::builtin();
        let text = "╭──────────────────────────────╮\n│ Tool use                     │\n│                              │\n│   files - read_thing(path: \"x\") (MCP) │\n│   Reads a thing              │\n│                              │\n│ Do you want to proceed?      │\n│ ❯ 1. Yes                     │\n│   2. Yes, and don't ask again for files - read_thing commands in /p │\n│   3. No, and tell Claude what to do differently (esc) │\n╰──────────────────────────────╯\n";
        let info = parse_dialog(&lines_of(text), &r).unwrap();
        assert_eq!(info.kind, DialogKind::McpTool);
        let m: Vec<_> = info.options.iter().map(|o| o.meaning).collect();
        assert_eq!(
            m,
            [
                OptionMeaning::Yes,
                OptionMeaning::YesAlways,
                OptionMeaning::No
            ]
        );
    }

    #[test]
    fn real_fetch_edit_and_mcp_dialogs() {
        // As Claude Code 2.1.331 drew them at 120 columns.
        let r = Rules::builtin();
        let fetch = format!(
            " Fetch\n Claude wants to fetch content from example.com\n{d}\n url: https://example.com/x\n prompt: summarize\n{d}\n Do you want to allow Claude to fetch this content?\n ❯ 1. Yes\n   2. Yes, and don't ask again for example.com\n   3. No, and tell Claude what to do differently (esc)\n",
            d = dashes()
        );
        let info = parse_dialog(&lines_of(&fetch), &r).unwrap();
        assert_eq!(info.kind, DialogKind::WebFetch);
        assert_eq!(info.target.as_deref(), Some("https://example.com/x"));
        let m: Vec<_> = info.options.iter().map(|o| o.meaning).collect();
        assert_eq!(
            m,
            [
                OptionMeaning::Yes,
                OptionMeaning::YesAlways,
                OptionMeaning::No
            ]
        );

        let edit = format!(
            " Edit file\n a.txt\n{d}\n 1 -alpha\n 1 +beta\n{d}\n Do you want to make this edit to a.txt?\n ❯ 1. Yes\n   2. Yes, and switch to accept edits (auto-approve file edits and common file commands) for this session (shift+tab)\n   3. No\n Esc to cancel · Tab to amend\n",
            d = dashes()
        );
        let info = parse_dialog(&lines_of(&edit), &r).unwrap();
        assert_eq!(info.kind, DialogKind::FileEdit);
        assert_eq!(info.target.as_deref(), Some("a.txt"));
        assert!(info.details.iter().any(|d| d == "1 +beta"));
        assert_eq!(info.question, "Do you want to make this edit to a.txt?");

        let mcp = format!(
            " Tool use\n files — Read Thing Tool: (MCP)\n{d}\n path: \"x.txt\"\n{d}\n About the files — Read Thing Tool:\n │ Reads a thing\n Do you want to proceed?\n ❯ 1. Yes\n   2. Yes, and don't ask again for files — Read Thing commands in /tmp/h2/proj\n   3. No\n Esc to cancel · Tab to amend\n",
            d = dashes()
        );
        let info = parse_dialog(&lines_of(&mcp), &r).unwrap();
        assert_eq!(info.kind, DialogKind::McpTool);
        assert_eq!(info.tool.as_deref(), Some("files — Read Thing"));
        assert_eq!(info.find(OptionMeaning::YesAlways), Some(1));
    }

    #[test]
    fn a_question_dialog_keeps_labels_and_descriptions_apart() {
        // AskUserQuestion as 2.1.331 draws it (a rule is drawn between the answers and
        // `Chat about this`; the caller passes the region under the rule before it).
        let r = Rules::builtin();
        let rule = "─".repeat(60);
        let text = format!(
            " ☐ Colour\nWhich colour should the banner use?\n  1. Red\n     A warm red banner\n❯ 2. Green\n     A calm green banner\n  3. Type something.\n{rule}\n  4. Chat about this\nEnter to select · ↑/↓ to navigate · Esc to cancel\n"
        );
        let info = parse_dialog(&lines_of(&text), &r).unwrap();
        assert_eq!(info.kind, DialogKind::AskUserQuestion);
        assert_eq!(info.question, "Which colour should the banner use?");
        let labels: Vec<_> = info.options.iter().map(|o| o.label.as_str()).collect();
        assert_eq!(
            labels,
            ["Red", "Green", "Type something.", "Chat about this"]
        );
        assert_eq!(
            info.options[0].description.as_deref(),
            Some("A warm red banner")
        );
        assert_eq!(info.options[2].description, None);
        let m: Vec<_> = info.options.iter().map(|o| o.meaning).collect();
        assert_eq!(
            m,
            [
                OptionMeaning::Other,
                OptionMeaning::Other,
                OptionMeaning::FreeText,
                OptionMeaning::Other
            ]
        );
        assert_eq!(info.selected_index(), Some(1));

        // A question without `?`, a header chip of another shape, and no free text.
        let text = " □ Size\nPick the size of the banner.\n❯ 1. Small\n  2. Large\n     Twice as tall\nEnter to select · Esc to cancel\n";
        let info = parse_dialog(&lines_of(text), &r).unwrap();
        assert_eq!(info.kind, DialogKind::AskUserQuestion);
        assert_eq!(info.question, "Pick the size of the banner.");
        assert_eq!(info.options[1].label, "Large");
        assert_eq!(
            info.options[1].description.as_deref(),
            Some("Twice as tall")
        );
    }

    #[test]
    fn the_plan_dialog_reads_yes_for_every_approval() {
        let r = Rules::builtin();
        let text = "   Exit plan mode?\n   Claude wants to exit plan mode\n     1. Yes, and switch to default (ask each time) for this session\n   ❯ 2. No\n";
        let info = parse_dialog(&lines_of(text), &r).unwrap();
        assert_eq!(info.kind, DialogKind::ExitPlanMode);
        assert_eq!(info.tool.as_deref(), Some("ExitPlanMode"));
        let m: Vec<_> = info.options.iter().map(|o| o.meaning).collect();
        assert_eq!(m, [OptionMeaning::Yes, OptionMeaning::No]);
        // The same label in a tool permission dialog changes the mode: not a plain yes.
        assert_eq!(
            r.option_meaning_in(DialogKind::Bash, &info.options[0].label),
            OptionMeaning::YesAlways
        );
    }

    #[test]
    fn prose_with_a_marker_is_not_a_dialog() {
        let r = Rules::builtin();
        assert!(parse_dialog(&lines_of("❯ hello\n● answer text\n"), &r).is_none());
        assert!(parse_dialog(&lines_of(" Title\n ❯ only one option\n"), &r).is_none());
        assert!(parse_dialog(&lines_of(""), &r).is_none());
    }
}
