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
