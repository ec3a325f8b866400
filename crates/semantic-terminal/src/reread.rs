//! A frame that changed only the transcript above the spinner line: the bottom of the
//! screen (spinner, input box, footer) reads as before, so only what the transcript
//! decides is read again.
//!
//! While Claude Code works, most frames write the answer or tool output above the
//! spinner and leave everything under it alone. A full reading would find the same
//! input box, footer and spinner again; this one re-reads the spinner line when it
//! changed too (as [`crate::classify::reread_spinner_into`] does) and asks the transcript's last block
//! only what the state needs, exactly as [`crate::classify::read_with`] would.

use crate::classify::{Reading, set_text};
use crate::event::State;
use crate::memo::Memo;
use crate::rules::Rules;
use crate::screen_text::ScreenText;
use crate::tool_output::BlockKind;

/// Update `reading`, the reading of the frame before, for a frame whose `changed` rows
/// all lie at or above its spinner line. Returns false, leaving `reading` as it was,
/// when the screen must be read in full.
pub fn reread_transcript_into(
    reading: &mut Reading,
    text: &ScreenText,
    memo: &mut Memo,
    rules: &Rules,
) -> bool {
    let lines = text.lines();
    let changed = text.changed_rows();
    let (Some(row), Some(b)) = (reading.spinner_row, reading.input_box) else {
        return false;
    };
    // A slash menu can open beside a typed `/command` from rows above the box.
    if reading.command_typed || changed.iter().any(|&r| r > row) {
        return false;
    }
    let Some(spinner) = lines.get(row).and_then(|l| memo.spinner.parse(l, rules)) else {
        return false;
    };
    let Some(status) = reading.status.as_mut() else {
        return false;
    };
    let thinking = spinner.thinking;
    if changed.contains(&row) {
        // The row over the box can carry a context note as well as the spinner.
        if row + 1 >= b.top {
            return false;
        }
        // Interruptible when the spinner or the footer says so (markers hold no line
        // break, so the joined footer holds one exactly when one of its rows does).
        let footer_says = status.footer.as_deref().is_some_and(|f| {
            rules
                .interrupt_markers
                .iter()
                .any(|m| f.contains(m.as_str()))
        });
        status.interruptible = spinner.interruptible || footer_says;
        set_text(&mut status.spinner, spinner.glyph);
        set_text(&mut status.verb, spinner.verb);
        status.elapsed_secs = spinner.elapsed_secs;
        status.tokens = spinner.tokens;
    }
    // A spinner shows: the turn is busy, and only the transcript tells what it does.
    reading.state = if thinking {
        State::Thinking
    } else {
        match memo.last_block(lines, row, Some(text), rules) {
            Some(b) if b.running => State::ToolRunning,
            Some(b) if b.kind == BlockKind::Answer => State::Responding,
            _ => State::Thinking,
        }
    };
    memo.end = Some((text.generation(), row));
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::read_with;
    use crate::emulator::Emulator;
    use crate::event::State;

    /// A 80x16 screen: `transcript` rows, a spinner line, a tip, the box and a footer.
    fn frame(transcript: &[&str], spinner: &str, footer: &str) -> Vec<u8> {
        let rule = "─".repeat(80);
        let mut rows: Vec<String> = transcript.iter().map(|r| r.to_string()).collect();
        rows.resize(9, String::new());
        rows.extend([
            spinner.to_string(),
            "  ⎿  Tip: Start small".to_string(),
            String::new(),
            rule.clone(),
            "❯ ".to_string(),
            rule,
            format!("  {footer}"),
        ]);
        // Each row rewritten in place, as Claude Code does (no scroll: partial damage).
        let mut out = String::new();
        for (i, row) in rows.iter().enumerate() {
            out.push_str(&format!("\x1b[{};1H\x1b[2K{row}", i + 1));
        }
        out.into_bytes()
    }

    /// Feeds `frames` one after another; after each, the quick re-read (when it applies)
    /// must give what a full reading of the same screen gives. Returns whether it applied
    /// to each frame after the first.
    fn check(frames: &[Vec<u8>]) -> Vec<bool> {
        let rules = Rules::builtin();
        let mut emu = Emulator::new(80, 16, 0);
        let mut memo = Memo::default();
        let mut reading = None;
        let mut applied = Vec::new();
        for (i, bytes) in frames.iter().enumerate() {
            emu.feed(i as f64, bytes);
            emu.refresh();
            let text = emu.text();
            let full = read_with(text.lines(), Some(text), &mut Memo::default(), &rules);
            let next = match reading.take() {
                Some(mut prev) => {
                    let quick = reread_transcript_into(&mut prev, text, &mut memo, &rules);
                    applied.push(quick);
                    if quick {
                        prev
                    } else {
                        read_with(text.lines(), Some(text), &mut memo, &rules)
                    }
                }
                None => read_with(text.lines(), Some(text), &mut memo, &rules),
            };
            assert_eq!(next, full, "frame {i}");
            reading = Some(next);
        }
        applied
    }

    #[test]
    fn a_changed_transcript_reads_as_a_full_reading_does() {
        let busy = "⏸ manual mode on · esc to interrupt";
        let frames = [
            frame(&["❯ go", "● Here is"], "✶ Musing… (1s · ↓ 3 tokens)", busy),
            // The answer grows and the spinner counts: Responding.
            frame(
                &["❯ go", "● Here is the answer"],
                "✻ Musing… (2s · ↓ 9 tokens)",
                busy,
            ),
            // A tool call shows under it with no output yet: running.
            frame(
                &["❯ go", "● Here is the answer", "", "● Bash(sleep 5)"],
                "✻ Musing… (3s · ↓ 9 tokens)",
                busy,
            ),
            // Its output arrives.
            frame(
                &[
                    "❯ go",
                    "● Here is the answer",
                    "",
                    "● Bash(sleep 5)",
                    "  ⎿  done",
                ],
                "✳ Musing… (4s · ↓ 9 tokens)",
                busy,
            ),
            // Extended thinking starts.
            frame(
                &[
                    "❯ go",
                    "● Here is the answer",
                    "",
                    "● Bash(sleep 5)",
                    "  ⎿  done",
                ],
                "✳ Musing… (5s · ↓ 9 tokens · thinking)",
                busy,
            ),
            // The footer changes: the bottom must be read in full.
            frame(
                &[
                    "❯ go",
                    "● Here is the answer",
                    "",
                    "● Bash(sleep 5)",
                    "  ⎿  done",
                ],
                "✳ Musing… (6s · ↓ 9 tokens · thinking)",
                "⏸ manual mode on",
            ),
        ];
        let applied = check(&frames);
        assert_eq!(applied, [true, true, true, true, false]);
    }

    #[test]
    fn the_states_it_reads_are_the_transcript_s() {
        let rules = Rules::builtin();
        let busy = "⏸ manual mode on · esc to interrupt";
        let mut emu = Emulator::new(80, 16, 0);
        let mut memo = Memo::default();
        emu.feed(0.0, &frame(&["❯ go", "● Here is"], "✶ Musing… (1s)", busy));
        emu.refresh();
        let text = emu.text();
        let mut reading = read_with(text.lines(), Some(text), &mut memo, &rules);
        assert_eq!(reading.state, State::Responding);
        emu.feed(
            1.0,
            &frame(
                &["❯ go", "● Here is", "● Bash(sleep 5)"],
                "✶ Musing… (1s)",
                busy,
            ),
        );
        emu.refresh();
        assert!(reread_transcript_into(
            &mut reading,
            emu.text(),
            &mut memo,
            &rules
        ));
        assert_eq!(reading.state, State::ToolRunning);
    }
}
