//! Memory of the regions parsed from earlier frames. Claude Code redraws a few rows at
//! a time; a new frame re-parses only the regions whose rows changed.

use crate::dialog::parse_dialog_with;
use crate::event::{ConfirmInfo, DialogKind, OptionMeaning};
use crate::footer_rows::{RowFacts, parse_footer_rows};
use crate::rules::Rules;
use crate::screen::Layout;
use crate::screen_text::ScreenText;
use crate::status::{Footer, SpinnerMemo};
use crate::text_memo::TextMemo;
use std::ops::Range;

use crate::tool_output::{
    Block, BlockKind, RowInfo, blocks_with, first_block, is_head, is_output_row, is_quiet_row,
    row_info, row_infos,
};

/// What the state needs from the transcript's last block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastBlock {
    pub kind: BlockKind,
    /// A tool call that has shown no output of its own yet.
    pub running: bool,
    /// An answer that reports an error.
    pub error: bool,
    /// A tool call whose output shows a live running hint (`Running… (3s)`, `ctrl+b to
    /// run in background`), with nothing that closes the turn under it: it runs even
    /// when the footer no longer offers to interrupt (text typed meanwhile).
    pub hinted: bool,
    /// Something at column 0 closes the turn under this block: the turn's summary
    /// (`✻ Brewed for 2s`) or a note (`⎿ Interrupted`).
    pub closed: bool,
}

/// What the patterns said of recent block heads, each by the head's text: the last
/// block is worked out again whenever a row under its head changes (an answer
/// streaming in), its head mostly the same.
#[derive(Debug, Default)]
pub struct HeadMemo {
    /// A tool call's head says it is running.
    running: TextMemo<bool>,
    /// An answer's head reports an error.
    error: TextMemo<bool>,
    /// Of a tool call's output row: whether it is no output of the tool's own (blank,
    /// the echoed command, a running hint), and whether it is a running hint. A running
    /// call's rows are the same from frame to frame while its timer ticks elsewhere.
    output_rows: TextMemo<(bool, bool)>,
}

impl LastBlock {
    fn of_with(b: &Block<'_>, rules: &Rules, heads: &mut HeadMemo) -> Self {
        let tool = b.kind == BlockKind::Tool;
        // Only a call showing no output of its own can show a running hint (the hint is
        // such output): each row's reading is remembered by its text.
        let mut row = |l: &str| {
            heads.output_rows.get_or(l, |l| {
                let hint = rules.tool_running_hints.iter().any(|re| re.is_match(l));
                (is_quiet_row(l, rules), hint)
            })
        };
        let (mut quiet, mut hinted) = (tool, false);
        if tool {
            for l in &b.output {
                let (row_quiet, row_hint) = row(l);
                quiet &= row_quiet;
                hinted |= row_hint;
                if !quiet {
                    break;
                }
            }
        }
        let running_head = |head: &str| rules.tool_running_head.iter().any(|re| re.is_match(head));
        Self {
            kind: b.kind,
            running: quiet || (tool && heads.running.get_or(b.head, running_head)),
            error: b.kind == BlockKind::Answer
                && heads.error.get_or(b.head, |h| error_head(h, rules)),
            closed: false,
            hinted: quiet && hinted,
        }
    }

    /// This block, with whether something under it closed the turn (which also ends
    /// any running hint).
    fn closed_by(mut self, closed: bool) -> Self {
        self.closed = closed;
        self.hinted &= !closed;
        self
    }
}

/// Whether the block at `row` is passed over when looking for the turn's last block:
/// furniture, turn summaries and notes, and a prompt typed while the turn runs (it
/// waits under it, `⎿ Queued`).
fn passed_over(block: &Block<'_>, infos: &[RowInfo], row: usize) -> bool {
    matches!(block.kind, BlockKind::Other | BlockKind::Note)
        || (block.kind == BlockKind::Prompt && infos.get(row + 1).is_some_and(|n| n.queued))
}

/// Whether a block is an answer reporting an error.
pub fn is_error(b: &Block<'_>, rules: &Rules) -> bool {
    b.kind == BlockKind::Answer && error_head(b.head, rules)
}

/// Whether an answer's head reports an error.
fn error_head(head: &str, rules: &Rules) -> bool {
    rules.error_markers.iter().any(|re| re.is_match(head))
}

/// The last block above `end` that is not furniture or a turn summary, found by
/// scanning up from `end` only as far as needed: a long transcript costs nothing. It
/// comes without its body, and only a tool call with its output (see [`first_block`]).
/// With it, whether something closing the turn (a summary, a note) lies below it.
pub fn last_block<'a>(
    lines: &'a [String],
    infos: &[RowInfo],
    end: usize,
    rules: &Rules,
) -> Option<(Block<'a>, bool)> {
    let mut stop = end;
    let mut closed = false;
    for row in (0..end).rev() {
        if !is_head(infos, row) {
            continue;
        }
        // Only a tool call's output matters: other blocks are read from their head.
        let block = first_block(&lines[row..stop], &infos[row..stop], rules)?;
        if !passed_over(&block, infos, row) {
            return Some((block, closed));
        }
        closed |= matches!(block.kind, BlockKind::Other | BlockKind::Note);
        stop = row;
    }
    // No head above: the block's head scrolled off the top.
    blocks_with(&lines[..stop], &infos[..stop], false, rules)
        .into_iter()
        .next()
        .filter(|b| !matches!(b.kind, BlockKind::Other | BlockKind::Note))
        .map(|b| (b, closed))
}

/// Footers and dialogs remembered: Claude Code flips between a few variants (the footer
/// offering to interrupt or not, a dialog's selection moving).
const VARIANTS: usize = 4;

/// Option labels whose meaning is remembered.
const MEANINGS: usize = 32;

/// Rows whose infos are brought up to date at once while scanning up the transcript.
const INFO_STEP: usize = 8;

/// Whether `cached` holds the same rows as `rows`.
fn same_rows<S: AsRef<str>>(cached: &[String], rows: &[S]) -> bool {
    cached.len() == rows.len() && cached.iter().zip(rows).all(|(a, b)| a == b.as_ref())
}

/// The index in `recent` of what `rows` parsed to: remembered, or parsed with `parse`
/// now (and remembered in place of the oldest).
fn recall<S: AsRef<str>, V>(
    recent: &mut Vec<(Vec<String>, V)>,
    rows: &[S],
    parse: impl FnOnce(&[S]) -> V,
) -> usize {
    if let Some(i) = recent.iter().position(|(seen, _)| same_rows(seen, rows)) {
        return i;
    }
    if recent.len() >= VARIANTS {
        recent.remove(0);
    }
    let seen = rows.iter().map(|r| r.as_ref().to_string()).collect();
    recent.push((seen, parse(rows)));
    recent.len() - 1
}

/// Parsed regions of earlier frames, each with what it was parsed from.
#[derive(Debug, Default)]
pub struct Memo {
    /// Recent dialog regions' rows and what they parsed to, oldest first.
    dialogs: Vec<(Vec<String>, Option<ConfirmInfo>)>,
    /// Recent option labels and what they mean.
    meanings: Vec<(DialogKind, String, OptionMeaning)>,
    /// Recent footers' rows and what they parsed to, oldest first.
    footers: Vec<(Vec<String>, Footer)>,
    /// What recent footer rows said, each by its text.
    footer_rows: TextMemo<RowFacts>,
    /// The rows of the last footer read from a [`ScreenText`], its text generation
    /// then, and its index in `footers`.
    footer_seen: Option<(Range<usize>, u64, usize)>,
    /// The transcript's end row, whether the row there was tool output, the text
    /// generation, the first row the scan for the last block read, and the last block
    /// then.
    last_block: Option<(usize, bool, u64, usize, Option<LastBlock>)>,
    /// The text generation of the last reading and where the transcript ended then.
    pub end: Option<(u64, usize)>,
    /// Rows' [`RowInfo`], each with the row's text version it was worked out for.
    infos: Vec<RowInfo>,
    versions: Vec<Option<u64>>,
    /// [`RowInfo`] of texts seen recently: a row that moved (a scroll) or came back (a
    /// blinking bullet) is not worked out again.
    info_of_text: TextMemo<RowInfo>,
    /// The last spinner line's parse.
    pub spinner: SpinnerMemo,
    /// What recent last blocks' heads said.
    heads: HeadMemo,
    /// How many background agents recent status lines said the turn waits for.
    pub waiting: TextMemo<Option<u32>>,
}

impl Memo {
    /// [`parse_dialog`] of `region`, reused while the region's rows are the same.
    pub fn dialog(&mut self, region: &[String], rules: &Rules) -> Option<ConfirmInfo> {
        let meanings = &mut self.meanings;
        let mut meaning_of = |kind: DialogKind, label: &str| match meanings
            .iter()
            .find(|(k, l, _)| *k == kind && l == label)
        {
            Some((_, _, meaning)) => *meaning,
            None => {
                let meaning = rules.option_meaning_in(kind, label);
                if meanings.len() >= MEANINGS {
                    meanings.remove(0);
                }
                meanings.push((kind, label.to_string(), meaning));
                meaning
            }
        };
        let i = recall(&mut self.dialogs, region, |_| {
            parse_dialog_with(region, rules, &mut meaning_of)
        });
        self.dialogs[i].1.clone()
    }

    /// [`crate::status::parse_footer`] of `footer`, reused while its rows are the same.
    #[cfg(test)]
    pub fn footer(&mut self, footer: &[&str], rules: &Rules) -> &Footer {
        let rows = &mut self.footer_rows;
        let i = recall(&mut self.footers, footer, |_| {
            parse_footer_rows(footer, rows, rules)
        });
        self.footer_seen = None;
        &self.footers[i].1
    }

    /// [`Self::footer`] of `layout`'s footer; with `text` (the source of the layout's
    /// lines), the rows are not even compared while none of them changed.
    pub fn footer_of(
        &mut self,
        layout: &Layout<'_>,
        text: Option<&ScreenText>,
        rules: &Rules,
    ) -> &Footer {
        let len = layout.lines.len();
        let rows = layout.input_box.map_or(len..len, |b| b.bottom + 1..len);
        if let (Some(text), Some((seen_rows, seen, i))) = (text, &self.footer_seen)
            && *seen_rows == rows
            && !text.changed_since(rows.clone(), *seen)
        {
            return &self.footers[*i].1;
        }
        let footer = layout.footer();
        let facts = &mut self.footer_rows;
        let i = recall(&mut self.footers, &footer, |_| {
            parse_footer_rows(&footer, facts, rules)
        });
        self.footer_seen = text.map(|t| (rows, t.generation(), i));
        &self.footers[i].1
    }

    /// The last block of the transcript above `end`, reused while no row it was read
    /// from changed (known only with `text`, the source of `lines`): rows above the
    /// block's head, however they change, leave it the last block.
    pub fn last_block(
        &mut self,
        lines: &[String],
        end: usize,
        text: Option<&ScreenText>,
        rules: &Rules,
    ) -> Option<LastBlock> {
        // The scan reads the rows above `end` and, for the row just above, whether the
        // row at `end` is tool output.
        let end_output = lines.get(end).is_some_and(|l| is_output_row(l, rules));
        if let (Some(text), Some((at, output, seen, top, last))) = (text, self.last_block)
            && at == end
            && output == end_output
            && !text.changed_since(top..end, seen)
        {
            return last;
        }
        let (last, top) = match text {
            Some(text) => self.last_block_of(text, end, rules),
            None => {
                let infos = row_infos(lines, rules);
                let last = last_block(lines, &infos, end, rules).map(|(b, closed)| {
                    LastBlock::of_with(&b, rules, &mut self.heads).closed_by(closed)
                });
                (last, 0)
            }
        };
        self.last_block = text.map(|t| (end, end_output, t.generation(), top, last));
        last
    }

    /// Where `text`'s transcript ends, if the last reading saw this very text.
    pub fn transcript_end(&self, text: &ScreenText) -> Option<usize> {
        self.end
            .and_then(|(seen, end)| (seen == text.generation()).then_some(end))
    }

    /// The [`RowInfo`] of `text`'s `rows`, worked out again only for rows whose text
    /// changed since.
    pub fn row_infos(
        &mut self,
        text: &ScreenText,
        rows: Range<usize>,
        rules: &Rules,
    ) -> &[RowInfo] {
        let lines = text.lines();
        if self.infos.len() != lines.len() {
            self.infos.resize(lines.len(), RowInfo::default());
            self.versions.clear();
            self.versions.resize(lines.len(), None);
        }
        let rows = rows.start.min(lines.len())..rows.end.min(lines.len());
        for row in rows.clone() {
            let version = Some(text.row_version(row));
            if self.versions[row] != version {
                self.infos[row] = self
                    .info_of_text
                    .get_or(&lines[row], |l| row_info(l, rules));
                self.versions[row] = version;
            }
        }
        &self.infos[rows]
    }

    /// [`Self::row_infos`] of `rows`, returned with the rows above them: the infos of
    /// rows `..rows.end`, of which those above `rows.start` are as last worked out
    /// (maybe for other text) and are not to be read.
    pub fn row_infos_upto(
        &mut self,
        text: &ScreenText,
        rows: Range<usize>,
        rules: &Rules,
    ) -> &[RowInfo] {
        self.row_infos(text, rows.clone(), rules);
        &self.infos[..rows.end.min(self.infos.len())]
    }

    /// [`last_block`] of `text`, working out row infos only as far up as it looks; with
    /// the first row it read (whether a row heads a block, and what block, depends on
    /// that row and the rows under it only).
    fn last_block_of(
        &mut self,
        text: &ScreenText,
        end: usize,
        rules: &Rules,
    ) -> (Option<LastBlock>, usize) {
        let lines = text.lines();
        // Whether a row heads a block depends on the row after it too. Infos are
        // brought up to date a few rows at a time, as far up as the scan goes.
        let mut known = end;
        let mut stop = end;
        let mut closed = false;
        for row in (0..end).rev() {
            if row < known {
                let from = row.saturating_sub(INFO_STEP - 1);
                let to = if known == end { end + 1 } else { known };
                self.row_infos(text, from..to, rules);
                known = from;
            }
            let infos = &self.infos;
            if !is_head(infos, row) {
                continue;
            }
            // Only a tool call's output matters: other blocks are read from their head.
            let Some(block) = first_block(&lines[row..stop], &infos[row..stop], rules) else {
                return (None, row);
            };
            if !passed_over(&block, infos, row) {
                let last = LastBlock::of_with(&block, rules, &mut self.heads);
                return (Some(last.closed_by(closed)), row);
            }
            closed |= matches!(block.kind, BlockKind::Other | BlockKind::Note);
            stop = row;
        }
        // No head above: the block's head scrolled off the top (every row is known now).
        let last = blocks_with(&lines[..stop], &self.infos[..stop], false, rules)
            .into_iter()
            .next()
            .filter(|b| !matches!(b.kind, BlockKind::Other | BlockKind::Note))
            .map(|block| LastBlock::of_with(&block, rules, &mut self.heads).closed_by(closed));
        (last, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screen::lines_of;
    use crate::status::parse_footer;

    #[test]
    fn remembered_parses_match_fresh_ones() {
        let r = Rules::builtin();
        let mut memo = Memo::default();
        let a = ["⏸ manual mode on · esc to interrupt"];
        let b = [
            "⏸ accept edits on · ? for shortcuts",
            "12% until auto-compact",
        ];
        for footer in [&a[..], &b[..], &a[..], &b[..]] {
            assert_eq!(*memo.footer(footer, &r), parse_footer(footer, &r));
        }
        let dialog = |sel: usize| {
            let opts: Vec<String> = ["Yes", "No"]
                .iter()
                .enumerate()
                .map(|(i, o)| format!(" {} {}. {o}", if i == sel { "❯" } else { " " }, i + 1))
                .collect();
            lines_of(&format!(
                " Bash command\n rm x\n Do you want to proceed?\n{}\n Esc to cancel\n",
                opts.join("\n")
            ))
        };
        for sel in [0, 1, 0, 1] {
            let region = dialog(sel);
            let fresh = crate::dialog::parse_dialog(&region, &r);
            assert!(fresh.is_some());
            assert_eq!(memo.dialog(&region, &r), fresh);
        }
    }

    #[test]
    fn last_blocks_read_with_remembered_rows_match_fresh_readings() {
        let r = Rules::builtin();
        let screens = [
            "● Bash(sleep 9)\n  ⎿  Running… (3s)",
            "● Bash(sleep 9)\n  ⎿  $ sleep 9 (4s)\n     (ctrl+b ctrl+b (twice) to run in background)",
            "● Bash(ls)\n  ⎿  a.txt\n     Running…",
            "● Bash(sleep 9)\n  ⎿  Running… (3s)",
            "● Bash(ls)\n  ⎿  $ ls\n     a.txt",
        ];
        let expected = [
            (true, true),
            (true, true),
            (false, false),
            (true, true),
            (false, false),
        ];
        let mut heads = HeadMemo::default();
        for (screen, (running, hinted)) in screens.iter().zip(expected) {
            let lines = lines_of(screen);
            let infos = row_infos(&lines, &r);
            let (block, _) = last_block(&lines, &infos, lines.len(), &r).unwrap();
            let fresh = LastBlock::of_with(&block, &r, &mut HeadMemo::default());
            let remembered = LastBlock::of_with(&block, &r, &mut heads);
            assert_eq!(remembered, fresh, "{screen}");
            assert_eq!((fresh.running, fresh.hinted), (running, hinted), "{screen}");
        }
    }
}
