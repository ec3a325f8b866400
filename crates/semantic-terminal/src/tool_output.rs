//! The transcript above the input box, cut into blocks: prompts (`❯ ...`), answers
//! (`● text`), tool calls (`● Tool(args)` with `⎿` output or a box), thinking notes.

use std::borrow::Cow;

use crate::event::ToolOutput;
use crate::rules::Rules;
use crate::screen::{indent, strip_marker};
use crate::trim::TrimRow;

/// Indent from which a line after a blank line is furniture rather than transcript.
const FURNITURE_INDENT: usize = 16;

/// What a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// A prompt the user sent.
    Prompt,
    /// Answer text.
    Answer,
    /// A tool call, with or without output yet.
    Tool,
    /// A thinking note (`Thought for 5s`, `∴ Thinking…`).
    Thinking,
    /// Anything else at column 0 (turn summaries, banners).
    Other,
    /// A note about the turn under its last block (`⎿  Interrupted · ...`).
    Note,
}

/// One block of the transcript, borrowing the screen's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block<'a> {
    pub kind: BlockKind,
    /// The head line without its bullet or marker.
    pub head: &'a str,
    /// Lines after the head that are not tool output (answer continuation), unindented.
    pub body: Vec<&'a str>,
    /// Tool output lines (after `⎿`, or inside a box), unindented.
    pub output: Vec<&'a str>,
    /// Output was drawn in a box.
    pub boxed: bool,
}

/// Thinking notes are short lines; longer ones are not tried against the patterns
/// (this keeps long answers cheap to scan).
const MAX_THINKING_HEAD_LEN: usize = 48;

fn is_thinking_head(text: &str, rules: &Rules) -> bool {
    text.len() <= MAX_THINKING_HEAD_LEN && rules.thinking_heads.iter().any(|re| re.is_match(text))
}

/// A `⎿` row that is a note about the turn (`Interrupted · ...`), not tool output.
fn is_note(text: &str, rules: &Rules) -> bool {
    text.strip_prefix(rules.output_marker.as_str())
        .is_some_and(|rest| {
            rules
                .turn_notes
                .iter()
                .any(|re| re.is_match(rest.trim_row()))
        })
}

/// A `⎿` row saying the prompt above waits for the turn to end (`Queued · …`).
fn is_queued(text: &str, rules: &Rules) -> bool {
    text.strip_prefix(rules.output_marker.as_str())
        .is_some_and(|rest| {
            rules
                .queued_notes
                .iter()
                .any(|re| re.is_match(rest.trim_row()))
        })
}

/// What one row says for cutting the transcript into blocks. It depends on the row's
/// text alone, so it is worked out once per change of the row (see [`row_infos`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowInfo {
    /// Leading spaces.
    pub ind: usize,
    /// Nothing but whitespace.
    pub blank: bool,
    /// Starts (after whitespace) with the output marker `⎿`.
    pub marker: bool,
    /// A `⎿` row that is tool output rather than a note.
    pub output: bool,
    /// A `⎿` note about the turn (`Interrupted · ...`); false on blank rows.
    pub note: bool,
    /// A thinking note (`Thought for 5s`); false on blank rows.
    pub thinking: bool,
    /// Starts (after whitespace) with a box corner `╭`.
    pub box_top: bool,
    /// At column 0, after an answer bullet, text that reads as a tool call.
    pub bullet_call: bool,
    /// A `⎿` row saying the prompt above it waits until the turn ends (`Queued · …`).
    pub queued: bool,
}

/// Whether `line` is tool output (a `⎿` row that is not a note): [`RowInfo::output`]
/// alone, which is cheap.
pub fn is_output_row(line: &str, rules: &Rules) -> bool {
    let start = line.trim_row_start();
    start.starts_with(rules.output_marker.as_str()) && !is_note(start, rules)
}

/// The [`RowInfo`] of one row.
pub fn row_info(line: &str, rules: &Rules) -> RowInfo {
    let text = line.trim_row();
    let ind = indent(line);
    let bullet_call = ind == 0
        && strip_marker(line, &rules.answer_bullets).is_some_and(|rest| {
            let rest = rest.trim_row();
            rest.contains('(') && rules.tool_call.is_match(rest)
        });
    let blank = text.is_empty();
    RowInfo {
        ind,
        blank,
        marker: text.starts_with(rules.output_marker.as_str()),
        output: is_output_row(line, rules),
        // Blank rows head nothing: their patterns are never asked about.
        note: !blank && is_note(text, rules),
        thinking: !blank && is_thinking_head(text, rules),
        box_top: text.starts_with('╭'),
        bullet_call,
        queued: !blank && is_queued(text, rules),
    }
}

/// The [`RowInfo`] of every row.
pub fn row_infos(lines: &[String], rules: &Rules) -> Vec<RowInfo> {
    lines.iter().map(|l| row_info(l, rules)).collect()
}

/// Whether the row after `i` is tool output (a `⎿` row that is not a note).
fn output_follows(infos: &[RowInfo], i: usize) -> bool {
    infos.get(i + 1).is_some_and(|n| n.output)
}

/// Whether row `i` starts a block (see [`blocks`]); `infos` are the rows' [`row_info`].
pub fn is_head(infos: &[RowInfo], i: usize) -> bool {
    let r = &infos[i];
    !r.blank
        && (r.ind == 0
            || r.note
            || (r.ind == 2 && !r.marker && output_follows(infos, i))
            || (r.ind <= 2 && r.thinking))
}

/// Cut `lines` into blocks. Only column-0 lines start blocks, except a two-space line
/// followed by a `⎿` line (a tool call whose blinking bullet is off in this frame) and a
/// two-space thinking note.
#[cfg(test)]
pub fn blocks<'a>(lines: &'a [String], rules: &Rules) -> Vec<Block<'a>> {
    blocks_with(lines, &row_infos(lines, rules), true, rules)
}

/// [`blocks`] with the rows' [`row_info`] already worked out. Without `bodies`, blocks
/// come without their [`Block::body`], and blocks other than tool calls without their
/// [`Block::output`] either (the state and tool output look at neither): the rows
/// inside such a block are passed over unread.
pub fn blocks_with<'a>(
    lines: &'a [String],
    infos: &[RowInfo],
    bodies: bool,
    rules: &Rules,
) -> Vec<Block<'a>> {
    blocks_from(lines, infos, 0, bodies, rules, None)
}

/// [`blocks_with`] of the rows from `from` on, which must be 0 or a row that heads a
/// block in the whole of `lines` (a block's rows depend on nothing above its head, so
/// these are the whole parse's blocks from that one on); only `infos[from - 1..]` are
/// looked at. With `starts`, each block's first row is pushed there, with whether it
/// is a head (only the first block can start without one, its head scrolled off).
pub fn blocks_from<'a>(
    lines: &'a [String],
    infos: &[RowInfo],
    from: usize,
    bodies: bool,
    rules: &Rules,
    mut starts: Option<&mut Vec<(usize, bool)>>,
) -> Vec<Block<'a>> {
    let marker = rules.output_marker.as_str();
    let mut out: Vec<Block> = Vec::new();
    let mut in_output = false;
    let mut in_box = false;
    for i in from..lines.len().min(infos.len()) {
        let (line, info) = (&lines[i], &infos[i]);
        if info.blank {
            if let Some(b) = out.last_mut()
                && bodies
                && !in_output
                && b.kind == BlockKind::Answer
            {
                b.body.push("");
            }
            continue;
        }
        // A row that heads nothing, in a block whose rows nobody asks for.
        if !bodies && !is_head(infos, i) && out.last().is_some_and(|b| b.kind != BlockKind::Tool) {
            continue;
        }
        let ind = info.ind;
        let text = line.trim_row();
        // Right-aligned notices (`◐ medium · /effort`, terminal hints) after a gap are
        // screen furniture, not transcript.
        if ind >= FURNITURE_INDENT && (i == 0 || infos[i - 1].blank) {
            in_output = false;
            continue;
        }
        let head = head_of(lines, infos, i, text, rules);
        if let Some((kind, head)) = head {
            in_output = false;
            in_box = false;
            if let Some(starts) = starts.as_deref_mut() {
                starts.push((i, true));
            }
            out.push(Block {
                kind,
                head,
                body: Vec::new(),
                output: Vec::new(),
                boxed: false,
            });
            continue;
        }
        // Rows before any head continue a block whose head scrolled off the top.
        if out.is_empty() && (ind == 2 || text.starts_with(marker)) {
            let kind = if text.starts_with(marker) {
                BlockKind::Tool
            } else {
                BlockKind::Answer
            };
            if let Some(starts) = starts.as_deref_mut() {
                starts.push((i, false));
            }
            out.push(Block {
                kind,
                head: "",
                body: Vec::new(),
                output: Vec::new(),
                boxed: false,
            });
            if kind == BlockKind::Answer {
                if bodies {
                    out[0].body.push(text);
                }
                continue;
            }
        }
        let Some(b) = out.last_mut() else { continue };
        if let Some(rest) = text.strip_prefix(marker) {
            in_output = true;
            b.output.push(rest.trim_row());
        } else if b.kind == BlockKind::Tool && (text.starts_with('╭') || in_box) {
            in_box = !text.starts_with('╰');
            b.boxed = true;
            let inner = text
                .trim_start_matches('│')
                .trim_end_matches('│')
                .trim_row();
            if !(text.starts_with('╭') || text.starts_with('╰')) {
                b.output.push(inner);
            }
        } else if in_output {
            b.output.push(text);
        } else {
            if bodies {
                b.body.push(line.get(2.min(ind)..).unwrap_or("").trim_end());
            }
        }
    }
    for b in &mut out {
        while b.body.last().is_some_and(|l| l.is_empty()) {
            b.body.pop();
        }
    }
    out
}

/// The kind and head text of the block row `i` starts, if it starts one (`i` is not
/// blank and not furniture); `text` is the row trimmed.
#[inline]
fn head_of<'a>(
    lines: &'a [String],
    infos: &[RowInfo],
    i: usize,
    text: &'a str,
    rules: &Rules,
) -> Option<(BlockKind, &'a str)> {
    let (line, info) = (&lines[i], &infos[i]);
    let ind = info.ind;
    let next_is_output = output_follows(infos, i);
    if info.note {
        let note = text[rules.output_marker.len()..].trim_row();
        Some((BlockKind::Note, note))
    } else if ind == 0 {
        if let Some(rest) = strip_marker(line, &rules.answer_bullets) {
            let rest = rest.trim_row();
            let looks_tool =
                next_is_output || infos.get(i + 1).is_some_and(|n| n.box_top) || info.bullet_call;
            Some((
                if looks_tool {
                    BlockKind::Tool
                } else {
                    BlockKind::Answer
                },
                rest,
            ))
        } else if let Some(rest) = strip_marker(line, &rules.prompt_markers) {
            Some((BlockKind::Prompt, rest.trim_row()))
        } else if let Some(rest) =
            strip_marker(line, &rules.shell_command_markers).filter(|_| next_is_output)
        {
            // A command the user ran with `!`: a tool call of its own.
            Some((BlockKind::Tool, rest.trim_row()))
        } else if info.thinking {
            Some((BlockKind::Thinking, text))
        } else {
            Some((BlockKind::Other, text))
        }
    } else if ind == 2 && !info.marker && next_is_output {
        Some((BlockKind::Tool, text))
    } else if ind <= 2 && info.thinking {
        Some((BlockKind::Thinking, text))
    } else {
        None
    }
}

/// The first block of `lines`, as [`blocks_with`] would cut it without bodies, read
/// from its head row alone when that is enough: a block at row 0 that is not a tool
/// call (only a tool call's output rows matter without bodies; other blocks' output
/// rows are not needed by callers that look at the kind and head).
pub fn first_block<'a>(lines: &'a [String], infos: &[RowInfo], rules: &Rules) -> Option<Block<'a>> {
    let quick = infos
        .first()
        .filter(|info| !info.blank && info.ind < FURNITURE_INDENT)
        .and_then(|_| head_of(lines, infos, 0, lines[0].trim_row(), rules))
        .filter(|(kind, _)| *kind != BlockKind::Tool);
    match quick {
        Some((kind, head)) => Some(Block {
            kind,
            head,
            body: Vec::new(),
            output: Vec::new(),
            boxed: false,
        }),
        None => blocks_with(lines, infos, false, rules).into_iter().next(),
    }
}

/// Remove running-time suffixes and the like, so output compares stable while it runs.
fn denoise(text: &str, rules: &Rules) -> String {
    denoised(text, rules).into_owned()
}

/// [`denoise`], copying only when a pattern matched (most lines have no noise).
fn denoised<'a>(text: &'a str, rules: &Rules) -> Cow<'a, str> {
    let mut s = Cow::Borrowed(text);
    for re in &rules.output_noise {
        if let Cow::Owned(replaced) = re.replace(&s, "") {
            s = Cow::Owned(replaced);
        }
    }
    s
}

/// Whether a tool block is still running: no real output yet, only the echoed command
/// or a running hint.
#[cfg(test)]
pub fn is_running(block: &Block, rules: &Rules) -> bool {
    block.output.iter().all(|l| is_quiet_row(l, rules))
}

/// Whether a tool's output row is none of its own: blank, the echoed command or a
/// running hint: a call all of whose output rows are such is still running.
pub fn is_quiet_row(line: &str, rules: &Rules) -> bool {
    let l = denoised(line, rules);
    l.trim_row().is_empty() || rules.tool_running_output.iter().any(|re| re.is_match(&l))
}

/// The tool output a block shows, if it is a tool call with output.
pub fn tool_output(block: &Block, rules: &Rules) -> Option<ToolOutput> {
    if block.kind != BlockKind::Tool {
        return None;
    }
    // The echoed command and running hints are not output: only what the tool printed.
    let output: Vec<Cow<'_, str>> = block
        .output
        .iter()
        .map(|l| denoised(l, rules))
        .filter(|l| !rules.tool_running_output.iter().any(|re| re.is_match(l)))
        .collect();
    let output = output.join("\n").trim_row().to_string();
    if output.is_empty() {
        return None;
    }
    let call = denoise(block.head, rules);
    let named = rules
        .tool_call
        .captures(&call)
        .filter(|_| call.contains('('));
    let (tool, args) = match named {
        Some(c) => (
            c.name("tool").map(|m| m.as_str().to_string()),
            c.name("args").map(|m| m.as_str().to_string()),
        ),
        // Description-style Bash calls echo the command as the first output line.
        None => match block.output.first().and_then(|l| l.strip_prefix("$ ")) {
            Some(cmd) => (Some("Bash".to_string()), Some(denoise(cmd, rules))),
            None => (None, None),
        },
    };
    Some(ToolOutput {
        call,
        tool,
        args,
        output,
        boxed: block.boxed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screen::lines_of;

    #[test]
    fn blocks_of_a_turn() {
        let r = Rules::builtin();
        let text = "❯ do sleepy\n● Sleeping then listing · 4s\n  ⎿  $ sleep 6 && ls / (5s)\n     (ctrl+b ctrl+b (twice) to run in background)\n● Bash(ls -la)\n  ⎿  total 8\n     drwxr-xr-x 2 a b\n● Here is the answer\n  and more.\n\n  Second paragraph.\n\n\n                                     ◐ medium · /effort\n✻ Baked for 9s · done 7:38 AM\n";
        let lines = lines_of(text);
        let bs = blocks(&lines, &r);
        let kinds: Vec<_> = bs.iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            [
                BlockKind::Prompt,
                BlockKind::Tool,
                BlockKind::Tool,
                BlockKind::Answer,
                BlockKind::Other
            ]
        );
        assert!(is_running(&bs[1], &r));
        assert!(!is_running(&bs[2], &r));
        assert_eq!(bs[3].body, ["and more.", "", "Second paragraph."]);

        // A running command has printed nothing yet: no output event.
        assert!(tool_output(&bs[1], &r).is_none());
        let done = tool_output(&bs[2], &r).unwrap();
        assert_eq!(done.tool.as_deref(), Some("Bash"));
        assert_eq!(done.args.as_deref(), Some("ls -la"));
        assert_eq!(done.output, "total 8\ndrwxr-xr-x 2 a b");
        assert!(!done.boxed);
    }

    #[test]
    fn hidden_bullet_and_boxed_output() {
        let r = Rules::builtin();
        let text = "  Writing hello to out.txt\n  ⎿  $ echo hello > out.txt\n● mcp__files__list(dir: \"/\")\n  ╭────────────╮\n  │ a.txt      │\n  │ b.txt      │\n  ╰────────────╯\n  Thought for 5s\n";
        let lines = lines_of(text);
        let bs = blocks(&lines, &r);
        assert_eq!(bs.len(), 3);
        assert_eq!(bs[0].kind, BlockKind::Tool);
        let boxed = tool_output(&bs[1], &r).unwrap();
        assert!(boxed.boxed);
        assert_eq!(boxed.output, "a.txt\nb.txt");
        assert_eq!(boxed.tool.as_deref(), Some("mcp__files__list"));
        assert_eq!(bs[2].kind, BlockKind::Thinking);
    }

    #[test]
    fn a_block_whose_head_scrolled_off_still_counts() {
        let r = Rules::builtin();
        let lines = lines_of("  line 25\n  line 26\n✻ Crunched for 0s\n");
        let bs = blocks(&lines, &r);
        assert_eq!(bs[0].kind, BlockKind::Answer);
        assert_eq!(bs[0].body, ["line 25", "line 26"]);
        // A banner row indented by one is not an answer.
        let lines = lines_of(" ▐▛███▛█   Claude Code\n");
        let bs = blocks(&lines, &r);
        assert!(bs.is_empty());
    }

    #[test]
    fn described_bash_calls_keep_the_command_apart_from_the_output() {
        let r = Rules::builtin();
        let lines = lines_of("● Listing the root\n  ⎿  $ ls / (2s)\n     bin\n     boot\n");
        let bs = blocks(&lines, &r);
        let out = tool_output(&bs[0], &r).unwrap();
        assert_eq!(out.call, "Listing the root");
        assert_eq!(
            (out.tool.as_deref(), out.args.as_deref()),
            (Some("Bash"), Some("ls /"))
        );
        assert_eq!(out.output, "bin\nboot");
        assert!(!is_running(&bs[0], &r));
    }

    #[test]
    fn an_interruption_note_is_not_tool_output() {
        let r = Rules::builtin();
        let text = "● Once upon a time there was a terminal that never slept. It watched every byte\n  go by and remembered the shape of each screen.\n  ⎿  Interrupted · What should Claude do instead?\n";
        let lines = lines_of(text);
        let bs = blocks(&lines, &r);
        let kinds: Vec<_> = bs.iter().map(|b| b.kind).collect();
        assert_eq!(kinds, [BlockKind::Answer, BlockKind::Note]);
        assert_eq!(
            bs[0].body,
            ["go by and remembered the shape of each screen."]
        );
        assert!(bs.iter().all(|b| tool_output(b, &r).is_none()));
    }

    #[test]
    fn a_call_without_output_yields_none() {
        let r = Rules::builtin();
        let lines = lines_of("● Write(new.txt)\n  ⎿  \n");
        let bs = blocks(&lines, &r);
        assert_eq!(bs[0].kind, BlockKind::Tool);
        assert!(is_running(&bs[0], &r));
        assert!(tool_output(&bs[0], &r).is_none());
    }
}
