//! Which tool output is news: the outputs already announced, and a memory of the last
//! look so an unchanged transcript is not parsed again.

use std::collections::VecDeque;

use crate::event::ToolOutput;
use crate::rules::Rules;
use crate::screen_text::ScreenText;
use crate::tool_output::{Block, BlockKind, RowInfo, blocks_with, tool_output};

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
    /// The tool blocks of the last look and their output: most are still on screen
    /// unchanged at the next look.
    parsed: Vec<(ToolBlock, Option<ToolOutput>)>,
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

impl ToolTracker {
    fn is_sent(&self, tool: &ToolOutput) -> bool {
        self.sent
            .iter()
            .any(|(c, o)| *c == tool.call && *o == tool.output)
    }

    /// Tool calls with output in the transcript (rows `..end`), top to bottom, reusing
    /// the last look's parse of blocks that did not change.
    fn tool_outputs(
        &mut self,
        lines: &[String],
        infos: &[RowInfo],
        end: usize,
        rules: &Rules,
    ) -> Vec<ToolOutput> {
        let blocks = blocks_with(&lines[..end], &infos[..end], false, rules);
        let mut parsed = Vec::new();
        for b in blocks.iter().filter(|b| b.kind == BlockKind::Tool) {
            let known = self.parsed.iter().position(|(seen, _)| seen.is(b));
            let entry = match known {
                Some(i) => self.parsed.swap_remove(i),
                None => (ToolBlock::of(b), tool_output(b, rules)),
            };
            parsed.push(entry);
        }
        self.parsed = parsed;
        self.parsed.iter().filter_map(|(_, t)| t.clone()).collect()
    }

    /// Tool outputs on screen not announced yet, in screen order; they count as
    /// announced from now on.
    /// `infos` are the [`RowInfo`] of `text`'s rows; its transcript ends at row `end`.
    pub fn look(
        &mut self,
        text: &ScreenText,
        infos: &[RowInfo],
        end: usize,
        rules: &Rules,
    ) -> Vec<ToolOutput> {
        let lines = text.lines();
        let generation = text.generation();
        if let Some((seen_end, seen)) = self.settled
            && seen_end == end
            && !text.changed_since(0..end, seen)
        {
            // Nothing changed above where the transcript ends.
            return Vec::new();
        }
        let tools = self.tool_outputs(lines, infos, end, rules);
        let mut news = Vec::new();
        for tool in &tools {
            if self.is_sent(tool) {
                continue;
            }
            self.sent.retain(|(c, _)| *c != tool.call);
            if self.sent.len() >= MAX_REMEMBERED_TOOLS {
                self.sent.pop_front();
            }
            self.sent
                .push_back((tool.call.clone(), tool.output.clone()));
            news.push(tool.clone());
        }
        // Two calls that read the same with different outputs replace each other in
        // `sent`: such a screen announces again on every look, so it never settles.
        self.settled = tools
            .iter()
            .all(|t| self.is_sent(t))
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

    struct Size;
    impl Dimensions for Size {
        fn total_lines(&self) -> usize {
            8
        }
        fn screen_lines(&self) -> usize {
            8
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
        tracker
            .look(text, &infos, end, rules)
            .into_iter()
            .map(|t| format!("{} => {}", t.call, t.output))
            .collect()
    }

    #[test]
    fn output_is_announced_once_and_again_when_it_grows() {
        let rules = Rules::builtin();
        let mut term = Term::new(Config::default(), &Size, VoidListener);
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
        let mut term = Term::new(Config::default(), &Size, VoidListener);
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
}
