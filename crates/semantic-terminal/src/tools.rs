//! Which tool output is news: the outputs already announced, and a memory of the last
//! look so an unchanged transcript is not parsed again.

use std::collections::VecDeque;

use crate::event::ToolOutput;
use crate::rules::Rules;
use crate::screen_text::ScreenText;
use crate::tool_output::{Block, BlockKind, RowInfo, blocks_from, tool_output};

/// Most tool calls remembered to tell new output from output already announced.
const MAX_REMEMBERED_TOOLS: usize = 256;

/// Tool outputs announced so far, by call.
#[derive(Debug, Default)]
pub struct ToolTracker {
    /// (call, output) pairs announced, oldest first; one per call.
    sent: VecDeque<(String, String)>,
    /// The transcript's end row and the text generation of the last look, when looking
    /// at the same text again would announce nothing.
    settled: Option<(usize, u64)>,
    /// The text generation and the transcript's end row of the last look.
    seen: Option<(u64, usize)>,
    /// The rows that headed blocks at the last look, top to bottom: the look starts
    /// again from the last of them whose rows did not change (a streaming answer or a
    /// growing output changes the transcript's end, rarely its top).
    heads: Vec<usize>,
    /// The tool blocks of the last look, each with its first row, and their output:
    /// most are still on screen unchanged at the next look.
    parsed: Vec<(usize, ToolBlock, Option<ToolOutput>)>,
    /// Reused buffer: the first row of each block cut.
    starts: Vec<(usize, bool)>,
}

/// What [`tool_output`] reads of a block.
#[derive(Debug, PartialEq)]
struct ToolBlock {
    head: String,
    output: Vec<String>,
    boxed: bool,
}

impl ToolBlock {
    fn of(b: &Block<'_>) -> Self {
        Self {
            head: b.head.to_string(),
            output: b.output.iter().map(|l| l.to_string()).collect(),
            boxed: b.boxed,
        }
    }

    fn is(&self, b: &Block<'_>) -> bool {
        self.head == b.head
            && self.boxed == b.boxed
            && self.output.len() == b.output.len()
            && self.output.iter().zip(&b.output).all(|(a, b)| a == b)
    }
}

/// Whether `tool` was announced with this output.
fn is_sent(sent: &VecDeque<(String, String)>, tool: &ToolOutput) -> bool {
    sent.iter()
        .any(|(c, o)| *c == tool.call && *o == tool.output)
}

impl ToolTracker {
    /// Where the next [`Self::look`] at `text` (its transcript ending at row `end`)
    /// starts reading: `None` when it would announce nothing, else the first row whose
    /// blocks may differ from the last look's. Only the [`RowInfo`] of the rows from
    /// the one above it are needed.
    pub fn to_read(&self, text: &ScreenText, end: usize) -> Option<usize> {
        if let Some((seen_end, seen)) = self.settled
            && seen_end == end
            && !text.changed_since(0..end, seen)
        {
            // Nothing changed above where the transcript ends.
            return None;
        }
        let Some((seen, seen_end)) = self.seen else {
            return Some(0);
        };
        // Rows at or past either end were not read as part of the same transcript.
        let kept = end.min(seen_end);
        let changed = text.first_changed_since(0..kept, seen).unwrap_or(kept);
        // A row heads the same block while it, the row above (furniture follows a
        // blank row) and the row under it (tool output) are unchanged; the blocks above
        // it depend on no row under it.
        let from = self.heads.iter().rev().find(|&&h| h + 2 <= changed);
        Some(from.copied().unwrap_or(0))
    }

    /// Tool calls with output in the transcript (rows `..end`), top to bottom: the last
    /// look's from above row `from`, the rest cut again, reusing the last look's parse
    /// of blocks that did not change.
    fn tool_outputs(
        &mut self,
        lines: &[String],
        infos: &[RowInfo],
        end: usize,
        from: usize,
        rules: &Rules,
    ) {
        let mut starts = std::mem::take(&mut self.starts);
        starts.clear();
        let blocks = blocks_from(
            &lines[..end],
            &infos[..end],
            from,
            false,
            rules,
            Some(&mut starts),
        );
        let kept = self.parsed.partition_point(|(row, ..)| *row < from);
        let mut old: Vec<_> = self.parsed.drain(kept..).collect();
        for (b, &(row, _)) in blocks.iter().zip(&starts) {
            if b.kind != BlockKind::Tool {
                continue;
            }
            let known = old.iter().position(|(_, seen, _)| seen.is(b));
            let (block, output) = match known {
                Some(i) => {
                    let (_, block, output) = old.swap_remove(i);
                    (block, output)
                }
                None => (ToolBlock::of(b), tool_output(b, rules)),
            };
            self.parsed.push((row, block, output));
        }
        self.heads.retain(|&h| h < from);
        self.heads
            .extend(starts.iter().filter(|(_, head)| *head).map(|(row, _)| *row));
        self.starts = starts;
    }

    /// Tool outputs on screen not announced yet, in screen order; they count as
    /// announced from now on. `from` is what [`Self::to_read`] said; `infos` are the
    /// [`RowInfo`] of `text`'s rows, those from row `from - 1` to `end` (where its
    /// transcript ends) up to date.
    pub fn look(
        &mut self,
        text: &ScreenText,
        infos: &[RowInfo],
        end: usize,
        from: usize,
        rules: &Rules,
    ) -> Vec<ToolOutput> {
        let generation = text.generation();
        self.tool_outputs(text.lines(), infos, end, from, rules);
        self.seen = Some((generation, end));
        let mut news = Vec::new();
        let sent = &mut self.sent;
        for tool in self.parsed.iter().filter_map(|(_, _, t)| t.as_ref()) {
            if is_sent(sent, tool) {
                continue;
            }
            sent.retain(|(c, _)| *c != tool.call);
            if sent.len() >= MAX_REMEMBERED_TOOLS {
                sent.pop_front();
            }
            sent.push_back((tool.call.clone(), tool.output.clone()));
            news.push(tool.clone());
        }
        // Two calls that read the same with different outputs replace each other in
        // `sent`: such a screen announces again on every look, so it never settles.
        self.settled = self
            .parsed
            .iter()
            .filter_map(|(_, _, t)| t.as_ref())
            .all(|t| is_sent(sent, t))
            .then_some((end, generation));
        news
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alacritty_terminal::event::VoidListener;
    use alacritty_terminal::grid::Dimensions;
    use alacritty_terminal::term::{Config, Term};
    use alacritty_terminal::vte::ansi::{Processor, StdSyncHandler};

    struct Size(usize);
    impl Dimensions for Size {
        fn total_lines(&self) -> usize {
            self.0
        }
        fn screen_lines(&self) -> usize {
            self.0
        }
        fn columns(&self) -> usize {
            40
        }
    }

    /// A screen showing `text`, as the session sees it.
    fn screen(term: &mut Term<VoidListener>, text: &mut ScreenText, shown: &str) {
        let mut parser: Processor<StdSyncHandler> = Processor::new();
        parser.advance(
            term,
            format!("\x1b[2J\x1b[H{}", shown.replace('\n', "\r\n")).as_bytes(),
        );
        text.update(term);
    }

    fn look(tracker: &mut ToolTracker, text: &ScreenText, rules: &Rules) -> Vec<String> {
        let infos = crate::tool_output::row_infos(text.lines(), rules);
        let end = crate::classify::transcript_end(text.lines(), rules);
        let Some(from) = tracker.to_read(text, end) else {
            return Vec::new();
        };
        tracker
            .look(text, &infos, end, from, rules)
            .into_iter()
            .map(|t| format!("{} => {}", t.call, t.output))
            .collect()
    }

    #[test]
    fn output_is_announced_once_and_again_when_it_grows() {
        let rules = Rules::builtin();
        let mut term = Term::new(Config::default(), &Size(8), VoidListener);
        let mut text = ScreenText::new(8);
        let mut tracker = ToolTracker::default();
        screen(&mut term, &mut text, "● Bash(ls)\n  ⎿  a.txt");
        assert_eq!(look(&mut tracker, &text, &rules), ["Bash(ls) => a.txt"]);
        assert!(look(&mut tracker, &text, &rules).is_empty());
        // The same screen drawn again (new text generation, same text): nothing new.
        screen(&mut term, &mut text, "● Bash(ls)\n  ⎿  a.txt");
        assert!(look(&mut tracker, &text, &rules).is_empty());
        screen(&mut term, &mut text, "● Bash(ls)\n  ⎿  a.txt\n     b.txt");
        assert_eq!(
            look(&mut tracker, &text, &rules),
            ["Bash(ls) => a.txt\nb.txt"]
        );
    }

    #[test]
    fn two_calls_that_read_alike_keep_announcing_as_before() {
        // Two `Bash(ls)` calls with different output replace each other in memory, so
        // every look announces both again (the behaviour before looks were skipped).
        let rules = Rules::builtin();
        let mut term = Term::new(Config::default(), &Size(8), VoidListener);
        let mut text = ScreenText::new(8);
        let mut tracker = ToolTracker::default();
        screen(
            &mut term,
            &mut text,
            "● Bash(ls)\n  ⎿  a\n● Bash(ls)\n  ⎿  b",
        );
        let both = ["Bash(ls) => a", "Bash(ls) => b"];
        assert_eq!(look(&mut tracker, &text, &rules), both);
        assert_eq!(look(&mut tracker, &text, &rules), both);
    }

    /// The tool outputs a parse of the whole transcript finds.
    fn whole(text: &ScreenText, rules: &Rules) -> Vec<ToolOutput> {
        let infos = crate::tool_output::row_infos(text.lines(), rules);
        let end = crate::classify::transcript_end(text.lines(), rules);
        let lines = &text.lines()[..end];
        crate::tool_output::blocks_with(lines, &infos[..end], false, rules)
            .iter()
            .filter_map(|b| tool_output(b, rules))
            .collect()
    }

    #[test]
    fn a_look_that_reads_only_changed_blocks_finds_what_a_whole_parse_finds() {
        let rules = Rules::builtin();
        let mut term = Term::new(Config::default(), &Size(16), VoidListener);
        let mut text = ScreenText::new(16);
        let mut tracker = ToolTracker::default();
        let top = "❯ go\n● Bash(ls)\n  ⎿  a.txt\n● Read(x)\n  ⎿  one\n";
        let frames = [
            format!("{top}● Answer"),
            // The answer streams: only the rows under the last head are read again.
            format!("{top}● Answer\n  more"),
            // A row in the middle changes, and the rows under it move down.
            "❯ go\n● Bash(ls)\n  ⎿  a.txt\n     b.txt\n● Read(x)\n  ⎿  one\n● Answer".into(),
            // A call whose bullet blinks off heads its block by the output under it...
            format!("{top}  Writing x\n  ⎿  $ echo x > x\n     done"),
            // ...and heads nothing once that row is no longer output.
            format!("{top}  Writing x\n  plain\n     done"),
            // A row that was blank under furniture-deep text is no longer blank.
            format!("{top}  ⎿  two\n                    ⎿  Interrupted · x"),
            format!("{top}\n                    ⎿  Interrupted · x"),
            // A scroll: every row moves up.
            "  ⎿  a.txt\n● Read(x)\n  ⎿  one\n● Grep(y)\n  ⎿  hit".into(),
            "● Read(x)\n  ⎿  one\n● Grep(y)\n  ⎿  hit\n     more hits".into(),
        ];
        let mut partial = 0;
        for (i, frame) in frames.iter().enumerate() {
            screen(&mut term, &mut text, frame);
            let infos = crate::tool_output::row_infos(text.lines(), &rules);
            let end = crate::classify::transcript_end(text.lines(), &rules);
            if let Some(from) = tracker.to_read(&text, end) {
                partial += usize::from(from > 0);
                tracker.look(&text, &infos, end, from, &rules);
            }
            let found: Vec<_> = tracker
                .parsed
                .iter()
                .filter_map(|(_, _, t)| t.clone())
                .collect();
            assert_eq!(found, whole(&text, &rules), "frame {i}: {frame}");
        }
        assert!(partial >= 3, "only {partial} looks started below the top");
    }
}
