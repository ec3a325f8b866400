//! One screen in, one reading out: the state the bottom of the screen shows, with the
//! dialog, status, tool outputs and last answer that go with it.
//!
//! The bottom decides: a dialog under the last rule, else the input box with the
//! spinner just above it, else nothing readable. The transcript is only consulted to
//! tell thinking, answering and running a tool apart while the spinner shows.

use crate::event::{ConfirmInfo, DialogKind, State, Status};
use crate::memo::{Memo, is_error};
use crate::rules::Rules;
use crate::screen::{InputBox, Layout, is_rule, strip_marker};
use crate::screen_text::ScreenText;
use crate::status::{
    SpinnerMemo, context_left, find_spinner, find_spinner_or_status_line, status_of, waiting_in,
};
#[cfg(test)]
use crate::tool_output::row_infos;
use crate::tool_output::{Block, BlockKind, RowInfo, blocks_with};
use crate::trim::TrimRow;

/// What one screen shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The state read; `Starting` only for a blank screen or the start-up banner.
    pub state: State,
    /// The dialog, when `state` is `Confirming`.
    pub confirm: Option<ConfirmInfo>,
    /// Spinner and footer, when the input box shows.
    pub status: Option<Status>,
    /// The row of the spinner line, when one shows.
    pub spinner_row: Option<usize>,
    /// The row of the rule above a dialog, when one shows.
    pub dialog_row: Option<usize>,
    /// The input box, when one shows.
    pub input_box: Option<InputBox>,
    /// Whether the input box holds a lone `/command` (a slash menu may open by it).
    pub command_typed: bool,
}

fn answer_text(b: &Block) -> String {
    let mut text = b.head.to_string();
    for l in &b.body {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(l);
    }
    text.trim_row().to_string()
}

/// Whether the input box holds a lone `/command` (what [`Layout::input_text`] would
/// return, checked without building it: a read happens on every frame).
fn typed_command(layout: &Layout<'_>, b: InputBox, rules: &Rules) -> bool {
    let mut typed: Option<&str> = None;
    for (i, line) in layout.lines[b.top + 1..b.bottom].iter().enumerate() {
        let t = line.trim_row_start();
        let t = if i == 0 {
            strip_marker(t, &rules.prompt_markers)
                .or_else(|| strip_marker(t, &rules.shell_command_markers))
                .unwrap_or(t)
        } else {
            t
        };
        let piece = t.trim_row();
        if piece.is_empty() {
            continue;
        }
        if typed.is_some() {
            // Two rows of text: a line break lies between them.
            return false;
        }
        typed = Some(piece);
    }
    typed.is_some_and(|t| t.starts_with('/') && !t.contains(char::is_whitespace))
}

/// Whether a slash-command menu shows next to the input box; `typed` is whether the box
/// holds a lone `/command` (see [`typed_command`]).
fn slash_menu(layout: &Layout<'_>, typed: bool, rules: &Rules) -> bool {
    let Some(b) = layout.input_box else {
        return false;
    };
    if !typed {
        return false;
    }
    let is_item = |l: &String| rules.slash_menu_item.is_match(l);
    let above = layout.lines[b.top.saturating_sub(12)..b.top]
        .iter()
        .filter(|l| is_item(l))
        .count();
    let below = layout.lines[b.bottom + 1..]
        .iter()
        .filter(|l| is_item(l))
        .count();
    above + below >= 1
}

/// Whether the input box holds text (typed, or a placeholder Claude Code shows).
fn box_has_text(layout: &Layout<'_>, rules: &Rules) -> bool {
    let Some(b) = layout.input_box else {
        return false;
    };
    layout.lines[b.top + 1..b.bottom]
        .iter()
        .enumerate()
        .any(|(i, line)| {
            let t = line.trim_row_start();
            let t = if i == 0 {
                strip_marker(t, &rules.prompt_markers)
                    .or_else(|| strip_marker(t, &rules.shell_command_markers))
                    .unwrap_or(t)
            } else {
                t
            };
            !t.trim_row().is_empty()
        })
}

/// Whether the turn's status line just above the input box (where the spinner goes)
/// says a failed request is being retried.
fn retry_line(line: Option<&str>, rules: &Rules) -> bool {
    let Some(re) = rules.retrying.as_ref() else {
        return false;
    };
    line.is_some_and(|l| re.is_match(l))
}

/// Rows at the bottom of the screen looked at for the note Claude Code prints as it exits.
const EXIT_NOTE_ROWS: usize = 4;

/// Whether the last rows of the screen are the note Claude Code prints as it exits
/// (`Resume this session with:` and the command to do so).
fn says_exited(lines: &[String], rules: &Rules) -> bool {
    !rules.exit_notes.is_empty()
        && lines
            .iter()
            .rev()
            .filter(|l| !l.trim_row().is_empty())
            .take(EXIT_NOTE_ROWS)
            .any(|l| rules.exit_notes.iter().any(|re| re.is_match(l.trim_row())))
}

/// The row of the edge (`▔▔▔`) above a full-width overlay with something drawn under
/// it, when one shows: the last such row, looked for from the bottom.
fn overlay_edge(lines: &[String], rules: &Rules) -> Option<usize> {
    if rules.overlay_edge_chars.is_empty() {
        return None;
    }
    let is_edge = |line: &str| {
        let t = line.trim_row();
        let mut n = 0;
        t.chars().all(|c| {
            n += 1;
            rules.overlay_edge_chars.contains(&c)
        }) && n >= rules.min_rule_len
    };
    let mut below = false;
    for (row, line) in lines.iter().enumerate().rev() {
        if below && is_edge(line) {
            return Some(row);
        }
        below |= !line.trim_row().is_empty();
    }
    None
}

/// Where the transcript ends: at the spinner when one shows, else at the box or dialog.
pub fn transcript_end(lines: &[String], rules: &Rules) -> usize {
    let layout = Layout::new(lines, rules);
    find_spinner(&layout, rules).map_or(layout.transcript_end(), |s| s.row)
}

/// Read the state of one screen.
#[cfg(test)]
pub fn read(lines: &[String], rules: &Rules) -> Reading {
    read_with(lines, None, &mut Memo::default(), rules)
}

/// Read the state of one screen, reusing what `memo` parsed from earlier frames.
/// `text`, when given, is where `lines` come from: it tells which rows changed.
pub fn read_with(
    lines: &[String],
    text: Option<&ScreenText>,
    memo: &mut Memo,
    rules: &Rules,
) -> Reading {
    let layout = Layout::new(lines, rules);
    let mut reading = Reading {
        state: State::Unknown,
        confirm: None,
        status: None,
        spinner_row: None,
        dialog_row: None,
        input_box: layout.input_box,
        command_typed: false,
    };
    // Where the transcript ends when no spinner shows; the settled throttles use it.
    if let Some(text) = text {
        memo.end = Some((text.generation(), layout.transcript_end()));
    }
    for (i, (row, region)) in layout.dialog_candidates(rules).enumerate() {
        // Beyond the last rule only a dialog of a known kind counts: a wider region
        // takes in more of the transcript, and a guess there would be a confident one.
        let Some(info) = memo
            .dialog(region, rules)
            .filter(|d| i == 0 || !matches!(d.kind, DialogKind::Unrecognised))
        else {
            continue;
        };
        reading.state = State::Confirming;
        reading.confirm = Some(info);
        reading.dialog_row = Some(row);
        return reading;
    }
    if layout.input_box.is_none() {
        // Claude Code left its full screen and printed how to resume: it has exited.
        if says_exited(lines, rules) {
            reading.state = State::Exited;
            return reading;
        }
        // A full-width overlay with no tool dialog in it: a picker the user opened.
        if overlay_edge(lines, rules).is_some() {
            reading.state = State::SlashMenu;
            return reading;
        }
        // The banner is looked for only where it would count: with no rule on screen.
        let banner = || {
            lines.iter().any(|l| {
                rules
                    .starting_markers
                    .iter()
                    .any(|m| l.contains(m.as_str()))
            })
        };
        if layout.is_blank() || (layout.last_rule.is_none() && banner()) {
            reading.state = State::Starting;
        }
        return reading;
    }
    let (spinner, status_line) =
        match find_spinner_or_status_line(&layout, rules, &mut memo.spinner) {
            Ok(spinner) => (Some(spinner), None),
            Err(line) => (None, line),
        };
    let status = status_of(spinner.as_ref(), memo.footer_of(&layout, text, rules));
    // The footer offers to interrupt until the turn is really over: the spinner goes
    // first, and the last frame of the answer can follow seconds later.
    let mut status = status;
    // Claude Code puts some context notes (`auto-compact next`) on the row over the
    // input box, right-aligned beside the effort note, rather than in the footer.
    if status.context_left_percent.is_none()
        && let Some(note) = layout
            .input_box
            .and_then(|b| b.top.checked_sub(1))
            .and_then(|row| layout.lines.get(row))
    {
        status.context_left_percent = context_left(&[note.as_str()], rules);
    }
    // Under a spinner the turn is not waiting (the spinner is the turn's last line).
    if spinner.is_none() {
        // The same status line shows for many frames (a turn summary, the waiting line).
        status.waiting_for_agents =
            status_line.and_then(|line| memo.waiting.get_or(line, |l| waiting_in(l, rules)));
    }
    let busy = spinner.is_some() || status.interruptible;
    // Claude Code retries a failed request (`529 Overloaded · retrying in 3s · attempt
    // 1/10`): the turn is held up by an error.
    // The retry line takes the spinner's place: only looked for when no spinner shows.
    let retrying = busy && spinner.is_none() && retry_line(status_line, rules);
    // Background agents keep the turn open while the input box is free: a new turn
    // starts by itself when one finishes.
    let agents = !status.subagents.is_empty() || status.waiting_for_agents.is_some();
    reading.status = Some(status);
    reading.spinner_row = spinner.as_ref().map(|s| s.row);
    let end = spinner.as_ref().map_or(layout.transcript_end(), |s| s.row);
    if let Some(text) = text {
        memo.end = Some((text.generation(), end));
    }
    // The last block only matters when the spinner does not already say thinking.
    let mut last = || memo.last_block(lines, end, text, rules);
    reading.command_typed = layout
        .input_box
        .is_some_and(|b| typed_command(&layout, b, rules));
    reading.state = if slash_menu(&layout, reading.command_typed, rules) {
        State::SlashMenu
    } else if retrying {
        State::Error
    } else if busy {
        if spinner.as_ref().is_some_and(|s| s.thinking) {
            State::Thinking
        } else {
            match last() {
                Some(b) if b.running => State::ToolRunning,
                Some(b) if b.kind == BlockKind::Answer => State::Responding,
                _ => State::Thinking,
            }
        }
    } else if agents {
        State::ToolRunning
    } else {
        match last() {
            // A command still showing `Running…` runs, even where the footer stopped
            // offering to interrupt (text typed into the box meanwhile).
            Some(b) if b.hinted => State::ToolRunning,
            Some(b) if b.error => State::Error,
            // Text typed into the box hides `esc to interrupt`; an answer that nothing
            // closed yet (no turn summary under it) is still being written.
            Some(b) if b.kind == BlockKind::Answer && !b.closed && box_has_text(&layout, rules) => {
                State::Responding
            }
            _ => State::Idle,
        }
    };
    reading
}

/// A new frame changed only rows above an open dialog (the blinking bullet of the
/// pending tool call, say): the dialog, and so the reading, is unchanged.
#[cfg(test)]
pub fn reread_above_dialog(
    prev: &Reading,
    lines: &[String],
    changed: &[usize],
    rules: &Rules,
) -> Option<Reading> {
    same_dialog(prev, lines, changed, rules).then(|| prev.clone())
}

/// Whether `prev` showed a dialog that a new frame left alone: it changed only rows
/// above it (see [`reread_above_dialog`]). Everything from the dialog's rule down is as
/// it was, so every candidate region the reading tried (the last rule's first, then
/// upwards to the dialog's) reads as before, also for a dialog with rules of its own
/// (a question dialog spans one).
pub fn same_dialog(prev: &Reading, lines: &[String], changed: &[usize], rules: &Rules) -> bool {
    let Some(row) = prev.dialog_row else {
        return false;
    };
    !changed.iter().any(|&r| r >= row) && lines.get(row).is_some_and(|l| is_rule(l, rules))
}

/// A new frame changed only the spinner line of `prev`: update the status in place
/// when the line still reads as a spinner of the same kind, so animation frames cost a
/// single line's parse. `None` means the screen must be read in full.
#[cfg(test)]
pub fn reread_spinner(
    prev: &Reading,
    lines: &[String],
    changed: &[usize],
    spinners: &mut SpinnerMemo,
    rules: &Rules,
) -> Option<Reading> {
    let mut next = prev.clone();
    reread_spinner_into(&mut next, lines, changed, spinners, rules).then_some(next)
}

/// [`reread_spinner`] on `reading` itself: returns false, leaving it untouched, when
/// the screen must be read in full.
pub fn reread_spinner_into(
    reading: &mut Reading,
    lines: &[String],
    changed: &[usize],
    spinners: &mut SpinnerMemo,
    rules: &Rules,
) -> bool {
    let Some(row) = reading.spinner_row else {
        return false;
    };
    if changed != [row] {
        return false;
    }
    let Some(spinner) = lines.get(row).and_then(|l| spinners.parse(l, rules)) else {
        return false;
    };
    let Some(status) = reading.status.as_mut() else {
        return false;
    };
    if spinner.interruptible && !status.interruptible {
        return false;
    }
    // Extended thinking starting or ending can change the state: read in full.
    if spinner.thinking != (reading.state == State::Thinking) {
        return false;
    }
    set_text(&mut status.spinner, spinner.glyph);
    set_text(&mut status.verb, spinner.verb);
    status.elapsed_secs = spinner.elapsed_secs;
    status.tokens = spinner.tokens;
    true
}

/// Set `slot` to `text`, reusing its buffer.
pub(crate) fn set_text(slot: &mut Option<String>, text: &str) {
    match slot {
        Some(s) => {
            s.clear();
            s.push_str(text);
        }
        None => *slot = Some(text.to_string()),
    }
}

/// The last answer of the current turn (after the last prompt), when one shows.
#[cfg(test)]
pub fn last_answer(lines: &[String], rules: &Rules) -> Option<String> {
    let end = transcript_end(lines, rules);
    last_answer_until(lines, &row_infos(lines, rules), end, rules)
}

/// [`last_answer`] of a transcript that ends at row `end`; `infos` are the rows'
/// [`RowInfo`].
pub fn last_answer_until(
    lines: &[String],
    infos: &[RowInfo],
    end: usize,
    rules: &Rules,
) -> Option<String> {
    let bs = blocks_with(&lines[..end], &infos[..end], true, rules);
    let turn = match bs.iter().rposition(|b| b.kind == BlockKind::Prompt) {
        Some(p) => &bs[p + 1..],
        None => &bs[..],
    };
    // An interrupted turn has no finished answer.
    if turn.iter().any(|b| b.kind == BlockKind::Note) {
        return None;
    }
    turn.iter()
        .rev()
        .find(|b| b.kind == BlockKind::Answer && !is_error(b, rules))
        .map(answer_text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::DialogKind;
    use crate::screen::lines_of;

    fn screen(transcript: &str, box_text: &str, footer: &str) -> Vec<String> {
        let rule = "─".repeat(80);
        lines_of(&format!(
            "{transcript}{rule}\n❯ {box_text}\n{rule}\n  {footer}\n"
        ))
    }

    fn state_of(lines: &[String]) -> State {
        read(lines, &Rules::builtin()).state
    }

    #[test]
    fn idle_after_a_turn() {
        let s = screen(
            "❯ hi\n● Hello! This is the answer.\n  Second paragraph.\n✻ Brewed for 2s · done 7:38 AM\n",
            "",
            "⏸ manual mode on · ? for shortcuts",
        );
        let r = read(&s, &Rules::builtin());
        assert_eq!(r.state, State::Idle);
        assert_eq!(
            last_answer(&s, &Rules::builtin()).as_deref(),
            Some("Hello! This is the answer.\nSecond paragraph.")
        );
        assert_eq!(r.status.unwrap().permission_mode.as_deref(), Some("manual"));
    }

    #[test]
    fn thinking_responding_and_tool_running() {
        let footer = "⏸ manual mode on · esc to interrupt";
        let tip = "  ⎿  Tip: Use /memory to view and manage Claude memory\n";
        let thinking = screen(&format!("❯ go\n✶ Harmonizing…\n{tip}"), "", footer);
        assert_eq!(state_of(&thinking), State::Thinking);
        let deep = screen(
            &format!("❯ go\n● Earlier text\n✻ Sketching… (2s · ↓ 15 tokens · thinking)\n{tip}"),
            "",
            footer,
        );
        assert_eq!(state_of(&deep), State::Thinking);
        let responding = screen(
            &format!("❯ go\n● Here is a long answer word0\n✻ Puttering… (4s · ↓ 21 tokens)\n{tip}"),
            "",
            footer,
        );
        assert_eq!(state_of(&responding), State::Responding);
        let empty_bullet = screen(&format!("❯ go\n●\n· Puttering… (3s)\n{tip}"), "", footer);
        assert_eq!(state_of(&empty_bullet), State::Responding);
        let running = screen(
            &format!(
                "❯ go\n  Sleeping then listing · 2s\n  ⎿  $ sleep 6 (3s)\n     (ctrl+b ctrl+b (twice) to run in background)\n· Boogieing… (3s · ↓ 42 tokens)\n{tip}"
            ),
            "",
            footer,
        );
        assert_eq!(state_of(&running), State::ToolRunning);
        let after_tool = screen(
            &format!("❯ go\n● Bash(ls)\n  ⎿  a.txt\n✢ Boogieing… (5s)\n{tip}"),
            "",
            footer,
        );
        assert_eq!(state_of(&after_tool), State::Thinking);
    }

    #[test]
    fn a_turn_is_not_over_while_the_footer_offers_to_interrupt() {
        let half_drawn = screen(
            "❯ say hello\n● Hello! This answer streams in small pieces, so the text grows on screen for a\n",
            "",
            "⏸ manual mode on · esc to interrupt · ← for agents",
        );
        assert_eq!(state_of(&half_drawn), State::Responding);
        let done = screen(
            "❯ say hello\n● Hello! This answer streams.\n✻ Sautéed for 3s · done 7:43 AM\n",
            "",
            "⏸ manual mode on · ? for shortcuts",
        );
        assert_eq!(state_of(&done), State::Idle);
    }

    #[test]
    fn quick_rereads_agree_with_full_reads() {
        let r = Rules::builtin();
        let tip = "  ⎿  Tip: Start small\n";
        let a = screen(
            &format!("❯ go\n●\n✶ Musing… (1s · ↓ 3 tokens)\n{tip}"),
            "",
            "esc to interrupt",
        );
        let b = screen(
            &format!("❯ go\n●\n✻ Musing… (2s · ↓ 9 tokens)\n{tip}"),
            "",
            "esc to interrupt",
        );
        let prev = read(&a, &r);
        let row = prev.spinner_row.unwrap();
        assert_eq!(
            reread_spinner(&prev, &b, &[row], &mut SpinnerMemo::default(), &r),
            Some(read(&b, &r))
        );
        // Anything else changing needs a full read.
        assert_eq!(
            reread_spinner(&prev, &b, &[row, 0], &mut SpinnerMemo::default(), &r),
            None
        );

        let rule = "─".repeat(80);
        let dialog = |bullet: &str| {
            lines_of(&format!(
                "❯ do it\n{bullet}Bash(rm x)\n{rule}\n Bash command\n rm x\n Do you want to proceed?\n ❯ 1. Yes\n   2. No\n Esc to cancel\n"
            ))
        };
        let (on, off) = (dialog("● "), dialog("  "));
        let prev = read(&on, &r);
        assert_eq!(
            reread_above_dialog(&prev, &off, &[1], &r),
            Some(read(&off, &r))
        );
        assert_eq!(reread_above_dialog(&prev, &off, &[6], &r), None);
    }

    #[test]
    fn a_spinner_in_old_transcript_does_not_make_it_busy() {
        let mut old = String::from("❯ first\n✻ Thinking… (3s)\n");
        for i in 0..10 {
            old.push_str(&format!("  detail {i}\n"));
        }
        old.push_str("● done\n");
        assert_eq!(state_of(&screen(&old, "", "? for shortcuts")), State::Idle);
    }

    #[test]
    fn typed_command_agrees_with_the_input_text() {
        let r = Rules::builtin();
        let rule = "─".repeat(40);
        let cases = [
            ("❯ /help", true),
            ("❯  /help", true),
            ("❯ /help me", false),
            ("❯ help", false),
            ("❯ \n  /model", true),
            ("❯ /a\n  /b", false),
            ("❯ ", false),
        ];
        for (box_text, want) in cases {
            let lines = lines_of(&format!("{rule}\n{box_text}\n{rule}\n"));
            let layout = Layout::new(&lines, &r);
            let b = layout.input_box.expect("a box");
            let typed = layout.input_text(&r).unwrap_or_default();
            let by_text = typed.starts_with('/') && !typed.contains(char::is_whitespace);
            assert_eq!(by_text, want, "{box_text:?}");
            assert_eq!(typed_command(&layout, b, &r), want, "{box_text:?}");
        }
    }

    #[test]
    fn error_and_slash_menu() {
        let err = screen(
            "❯ errnow\n● API Error: 500 boom. This is a server-side issue.\n",
            "Resend your message to try again",
            "⏸ manual mode on · ? for shortcuts",
        );
        assert_eq!(state_of(&err), State::Error);
        let menu = screen(
            "  ❯ /add-dir                    Add a working directory\n    /autocompact                Set how full the context gets\n",
            "/",
            "⏸ manual mode on",
        );
        assert_eq!(state_of(&menu), State::SlashMenu);
        let typed_path = screen(
            "● ok\n✻ Brewed for 1s · done 7:38 AM\n",
            "/tmp/x is a path I mention",
            "",
        );
        assert_eq!(state_of(&typed_path), State::Idle);
    }

    #[test]
    fn dialog_replaces_the_box() {
        let rule = "─".repeat(80);
        let text = format!(
            "❯ do it\n● Bash(rm x)\n{rule}\n Bash command\n rm x\n Do you want to proceed?\n ❯ 1. Yes\n   2. No\n Esc to cancel\n"
        );
        let r = read(&lines_of(&text), &Rules::builtin());
        assert_eq!(r.state, State::Confirming);
        assert_eq!(r.confirm.unwrap().kind, DialogKind::Bash);
    }

    #[test]
    fn dialogs_beyond_the_last_rule() {
        let r = Rules::builtin();
        let rule = "─".repeat(80);
        let ask = format!(
            "❯ pick a colour\n● Let me ask.\n{rule}\n ☐ Colour\nWhich colour?\n❯ 1. Red\n     warm\n  2. Green\n  3. Type something.\n{rule}\n  4. Chat about this\nEnter to select · ↑/↓ to navigate · Esc to cancel\n"
        );
        let reading = read(&lines_of(&ask), &r);
        assert_eq!(reading.state, State::Confirming);
        let info = reading.confirm.unwrap();
        assert_eq!(info.kind, DialogKind::AskUserQuestion);
        assert_eq!(info.options.len(), 4);

        let plan = format!(
            "❯ plan the change\n● Here is my plan.\n{}\n  {}\n   Exit plan mode?\n   Claude wants to exit plan mode\n   ❯ 1. Yes, and switch to default (ask each time) for this session\n     2. No\n",
            "▔".repeat(80),
            "─".repeat(76)
        );
        let reading = read(&lines_of(&plan), &r);
        assert_eq!(reading.state, State::Confirming);
        assert_eq!(reading.confirm.unwrap().kind, DialogKind::ExitPlanMode);

        // A wider region that is no known dialog stays unread.
        let prose = format!("{rule}\n Notes\n❯ 1. first\n  2. second\n{rule}\n  3. third\n");
        assert_eq!(read(&lines_of(&prose), &r).state, State::Unknown);
    }

    #[test]
    fn background_agents_keep_the_turn_open() {
        let r = Rules::builtin();
        let transcript = "❯ survey\n● 2 background agents launched (↓ to manage)\n● Both running.\n✻ Waiting for 2 background agents to finish\n";
        let panel = "⏸ manual mode on · ? for shortcuts · ↓ to manage\n  ● main\n  ◯ general-purpose  Survey module alpha          1s · ↑ 7.0k tokens\n  ◯ Explore  Survey module beta     1m 4s · ↑ 7.0k tokens";
        let s = screen(transcript, "", panel);
        let reading = read(&s, &r);
        assert_eq!(reading.state, State::ToolRunning);
        let status = reading.status.unwrap();
        assert_eq!(status.waiting_for_agents, Some(2));
        let agents: Vec<_> = status
            .subagents
            .iter()
            .map(|a| (a.kind.as_str(), a.description.as_str(), a.elapsed_secs))
            .collect();
        assert_eq!(
            agents,
            [
                ("general-purpose", "Survey module alpha", Some(1)),
                ("Explore", "Survey module beta", Some(64))
            ]
        );
        // The panel alone (the waiting line scrolled away) or the line alone suffice.
        let s = screen("● Agent \"alpha\" finished · 8s\n● ok\n", "", panel);
        assert_eq!(state_of(&s), State::ToolRunning);
        let s = screen(transcript, "", "⏸ manual mode on · /tasks to see subagents");
        assert_eq!(state_of(&s), State::ToolRunning);
        // Once the last agent reported and the turn after it ended: idle.
        let done = "❯ survey\n✻ Waiting for 1 background agent to finish\n● Agent \"beta\" finished · 16s\n● Reported.\n✻ Cogitated for 17s · done 10:46 PM\n";
        let s = screen(done, "", "⏸ manual mode on · /tasks to see subagents");
        assert_eq!(state_of(&s), State::Idle);
    }

    #[test]
    fn blank_banner_and_garbage() {
        let r = Rules::builtin();
        assert_eq!(read(&lines_of("\n\n"), &r).state, State::Starting);
        assert_eq!(
            read(&lines_of(" ▐▛███▛█   Claude Code v2.1.331\n"), &r).state,
            State::Starting
        );
        assert_eq!(
            read(&lines_of("x9#@!\n✶ Harmonizing… (1s)\n❯❯❯ ~~\n"), &r).state,
            State::Unknown
        );
    }

    #[test]
    fn a_running_tool_is_read_from_its_head() {
        let footer = "⏸ manual mode on · esc to interrupt";
        // An MCP call shows its arguments under the head while it runs.
        for head in [
            "Calling slowsrv…",
            "Calling slowsrv · 4s…",
            "Reading 3 files…",
        ] {
            let s = screen(
                &format!("❯ go\n● {head}\n  ⎿  \"meaning\"\n✻ Working… (5s · ↓ 25 tokens)\n"),
                "",
                footer,
            );
            assert_eq!(state_of(&s), State::ToolRunning, "{head}");
        }
        // Finished, or cut short at the edge of a narrow screen: not running.
        for head in ["Called slowsrv", "Bash(sleep 20 && echo bui…)"] {
            let s = screen(
                &format!("❯ go\n● {head}\n  ⎿  42\n✻ Working… (5s · ↓ 25 tokens)\n"),
                "",
                footer,
            );
            assert_eq!(state_of(&s), State::Thinking, "{head}");
        }
    }

    #[test]
    fn a_picker_the_user_opened_is_a_slash_menu() {
        let edge = "▔".repeat(60);
        let picker = lines_of(&format!(
            "❯ say hello\n● Hello.\n{edge}\n  Select model\n  ❯ 1. Default (recommended) ✔  Use the default model\n    2. Opus   Opus 5.5\n  s to use this session only · Enter to save · Esc to cancel\n"
        ));
        let r = read(&picker, &Rules::builtin());
        assert_eq!(r.state, State::SlashMenu);
        assert!(r.confirm.is_none(), "a picker is not a dialog to answer");
        // An edge with nothing under it, or no edge at all: not read as a picker.
        let bare = lines_of(&format!("❯ say hello\n● Hello.\n{edge}\n"));
        assert_eq!(state_of(&bare), State::Unknown);
        // The plan dialog also sits under an edge: it stays a dialog.
        let rule = "─".repeat(58);
        let plan = lines_of(&format!(
            "● Here is my plan.\n{edge}\n  {rule}\n   Exit plan mode?\n   Claude wants to exit plan mode\n   ❯ 1. Yes, and switch to default (ask each time) for this session\n     2. No\n"
        ));
        assert_eq!(state_of(&plan), State::Confirming);
    }

    #[test]
    fn the_note_printed_on_exit_reads_exited() {
        let s = lines_of(
            "\nResume this session with:\nclaude --permission-mode manual --resume 5e55a001-0000-4000-\n8000-00000000000e\n",
        );
        assert_eq!(state_of(&s), State::Exited);
        // The same words in an answer above the input box are only an answer.
        let answer = screen(
            "❯ how do I resume?\n● Resume this session with:\n  claude --resume abc\n",
            "",
            "⏸ manual mode on · ? for shortcuts",
        );
        assert_eq!(state_of(&answer), State::Idle);
    }

    #[test]
    fn a_shell_command_the_user_ran_is_a_running_tool() {
        // Typed in the box's shell mode (`!` first): the box is read as usual.
        let rule = "─".repeat(80);
        let s = lines_of(&format!(
            "● Hello.\n✻ Brewed for 1s · done 7:38 AM\n{rule}\n! sleep 5\n{rule}\n  ! for shell mode\n"
        ));
        assert_eq!(state_of(&s), State::Idle);
        let running = "! sleep 5 && echo shell-done\n  ⎿  Running… (3s)\n     (ctrl+b to run in background)\n";
        let s = screen(running, "", "⏸ manual mode on · esc to interrupt");
        assert_eq!(state_of(&s), State::ToolRunning);
        // Text typed into the box hides `esc to interrupt`: the command still runs.
        let s = screen(running, "check three things", "⏸ manual mode on");
        assert_eq!(state_of(&s), State::ToolRunning);
        // Done: its output shows, and the slot is idle.
        let s = screen(
            "! sleep 5 && echo shell-done\n  ⎿  shell-done\n",
            "",
            "⏸ manual mode on · ? for shortcuts",
        );
        assert_eq!(state_of(&s), State::Idle);
        // An interrupted call keeps no running hint.
        let s = screen(
            "● Bash(sleep 20)\n  ⎿  Running… (3s)\n  ⎿  Interrupted · What should Claude do instead?\n",
            "",
            "⏸ manual mode on · ? for shortcuts",
        );
        assert_eq!(state_of(&s), State::Idle);
    }

    #[test]
    fn a_prompt_queued_while_busy_leaves_the_turn_as_it_was() {
        let footer = "⏸ manual mode on · esc to interrupt";
        let s = screen(
            "❯ write a long answer\n● Here is a long answer that streams slowly\n  line after line\n❯ and one more thing\n  ⎿  Queued · ctrl+x ctrl+s to send now\n",
            "Press up to edit queued messages",
            footer,
        );
        assert_eq!(state_of(&s), State::Responding);
        let s = screen(
            "! sleep 5\n  ⎿  Running… (4s)\n❯ check three things\n  ⎿  Queued · ctrl+x ctrl+s to send now\n",
            "Press up to edit queued messages",
            footer,
        );
        assert_eq!(state_of(&s), State::ToolRunning);
    }

    #[test]
    fn shells_in_the_background_are_counted_and_leave_the_slot_idle() {
        let s = screen(
            "● The build goes on in the background.\n✻ Crunched for 5s · done 1:59 AM · 1 shell still running\n",
            "",
            "⏸ manual mode on · 1 shell · ↓ to manage",
        );
        let r = read(&s, &Rules::builtin());
        assert_eq!(r.state, State::Idle);
        assert_eq!(r.status.unwrap().background_shells, Some(1));
        let s = screen(
            "● ok\n",
            "",
            "⏵⏵ accept edits on · 3 shells · esc to interrupt",
        );
        let r = read(&s, &Rules::builtin());
        assert_eq!(r.status.unwrap().background_shells, Some(3));
        let s = screen("● ok\n", "", "⏸ manual mode on · ? for shortcuts");
        assert_eq!(
            read(&s, &Rules::builtin())
                .status
                .unwrap()
                .background_shells,
            None
        );
    }

    #[test]
    fn retries_are_an_error_and_typing_does_not_end_an_answer() {
        let footer = "⏸ manual mode on · esc to interrupt";
        for line in [
            "✻ API error · retrying in 3s · attempt 1/2",
            "✻ 529 Overloaded · retrying in 1s · attempt 2/2\n  ⎿  If it persists, check your inference gateway.",
            "✻ 429 Rate limited · retrying in 12s · attempt 3/10",
        ] {
            let s = screen(&format!("❯ overload for good\n{line}\n"), "", footer);
            assert_eq!(state_of(&s), State::Error, "{line}");
        }
        // An answer still streaming while the user types the next prompt.
        let streaming = "❯ write a long answer\n● Here is a long answer that streams slowly\n  line after line\n";
        let s = screen(streaming, "and one more thing", "⏸ manual mode on");
        assert_eq!(state_of(&s), State::Responding);
        // The same answer closed by its turn summary: idle, whatever is typed.
        let done = format!("{streaming}✻ Churned for 12s · done 2:02 AM\n");
        let s = screen(&done, "and one more thing", "⏸ manual mode on");
        assert_eq!(state_of(&s), State::Idle);
    }
}
