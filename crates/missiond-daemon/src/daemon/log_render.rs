//! A PTY log rendered as a person saw it: the recording replayed through the terminal
//! emulator, every line that left the screen kept once, then the final screen.
//!
//! Lines leave the screen two ways. On the main screen they scroll into the emulator's
//! scrollback. Full-screen programs (Claude Code draws on the alternate screen, which has
//! no scrollback) repaint the view instead: comparing each frame with the one before
//! finds how far the content moved up, and the rows that moved off the top are kept.
//! Content moving back down (a dialog closing) takes those rows back, so nothing is
//! shown twice.

use semantic_terminal::Emulator;
use semantic_terminal::recording::{Entry, Recording};

/// Size assumed for a log without a header (the daemon's default slot size).
const DEFAULT_SIZE: (u16, u16) = (120, 40);
/// Scrollback kept while rendering: generous, a slot's logs are capped in bytes anyway.
const SCROLLBACK: usize = 200_000;
/// At most this much output, the log's end, is replayed: rendering costs time in
/// proportion, and a full repaint soon puts a screen started mid-stream right.
const INPUT_MAX_BYTES: usize = 8 << 20;
/// Output followed by this long a pause is a finished frame.
const SETTLED_SECS: f64 = 0.03;

/// What a person watching the terminal saw, as plain text: every line that left the
/// screen, in order, then the final screen (trailing blank lines dropped). Redraws in
/// place (spinners, a repainted prompt box, cursor-addressed words) appear once, as they
/// ended. `redact` is applied to each chunk of output before the emulator sees it.
pub fn render(recording: &Recording, redact: &dyn Fn(&[u8]) -> Vec<u8>) -> String {
    let (cols, rows) = recording
        .header
        .as_ref()
        .map_or(DEFAULT_SIZE, |h| (h.cols, h.rows));
    let mut term = Emulator::new(cols, rows, SCROLLBACK);
    let mut seen = Seen::default();
    let mut last_t = 0.0_f64;
    let mut history = 0;
    let entries = &recording.entries[first_entry(recording)..];
    for (i, entry) in entries.iter().enumerate() {
        last_t = entry.t().max(last_t);
        match entry {
            Entry::Output { bytes, .. } => {
                term.feed(last_t, &redact(bytes));
                // A program paints one frame in several writes: look only at frames
                // that stood for a moment (what a person could see), else a half-painted
                // frame would look like content moving.
                let next = entries[i + 1..]
                    .iter()
                    .find(|e| matches!(e, Entry::Output { .. } | Entry::Resize { .. }));
                let settled = next.is_none_or(|n| {
                    matches!(n, Entry::Resize { .. }) || n.t() - last_t >= SETTLED_SECS
                });
                if settled {
                    seen.frame(&term, history);
                    history = term.scrollback_len();
                }
            }
            Entry::Resize { cols, rows, .. } => {
                term.resize(*cols, *rows);
                history = term.scrollback_len();
                // Rows rewrap: the next frame is not comparable with the last.
                seen.prev.clear();
            }
            Entry::Exit { .. } => {}
        }
    }
    // Flush a synchronized update the program never closed.
    term.advance(last_t + 3600.0);
    seen.frame(&term, history);
    let mut lines = seen.gone;
    lines.extend(term.screen_lines().iter().cloned());
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    lines.join("\n")
}

/// The first entry of the last [`INPUT_MAX_BYTES`] of output.
fn first_entry(recording: &Recording) -> usize {
    let mut total = 0;
    for (i, entry) in recording.entries.iter().enumerate().rev() {
        if let Entry::Output { bytes, .. } = entry {
            total += bytes.len();
            if total > INPUT_MAX_BYTES {
                return i + 1;
            }
        }
    }
    0
}

/// The lines that left the screen so far, and the last frame.
#[derive(Default)]
struct Seen {
    gone: Vec<String>,
    prev: Vec<String>,
}

impl Seen {
    /// Account for the screen after a chunk; `history_before` is the scrollback's length
    /// before it.
    fn frame(&mut self, term: &Emulator, history_before: usize) {
        let frame = term.screen_lines().into_owned();
        let history = term.scrollback_len();
        if history > history_before {
            // The main screen scrolled: the emulator kept exactly what left.
            self.gone
                .extend(term.scrollback_lines(history - history_before));
            self.prev = frame;
            return;
        }
        if frame == self.prev {
            return;
        }
        if frame.iter().all(|l| l.trim().is_empty()) {
            // A blank frame (a clear before a repaint) shows nothing to keep.
            return;
        }
        match shift(&self.prev, &frame) {
            Some(up) if up > 0 => self.gone.extend(self.prev[..up as usize].iter().cloned()),
            Some(down) if down < 0 => {
                // Content came back down: the rows now on top were taken as gone.
                let back = (-down) as usize;
                let n = back.min(self.gone.len());
                if self.gone[self.gone.len() - n..] == frame[back - n..back] {
                    self.gone.truncate(self.gone.len() - n);
                }
            }
            Some(_) => {}
            None => {
                // No row lines up: either redrawn in place (an animation, a spinner),
                // or the content moved by more than a screen at once, or another view
                // replaced it (the program left its full screen). Above the rows that
                // stayed put (a fixed footer), what no longer shows anywhere was seen
                // and left: keep it.
                let fixed = fixed_rows(&self.prev, &frame);
                let above = &self.prev[..self.prev.len() - fixed];
                if !shares_text(above, &frame) {
                    self.gone.extend(trim_blank_end(above));
                }
            }
        }
        self.prev = frame;
    }
}

/// How many rows the content moved up from `prev` to `next` (negative: down), or `None`
/// when the two frames do not line up. Rows that stayed put at the bottom (a fixed
/// footer) are left out; of the rest, the move is the one that lines up the longest run
/// of equal rows with text in it. Ties go to the smaller move.
fn shift(prev: &[String], next: &[String]) -> Option<isize> {
    let rows = prev.len().min(next.len());
    let fixed = fixed_rows(&prev[..rows], &next[..rows]);
    let (p, n) = (&prev[..rows - fixed], &next[..rows - fixed]);
    let h = p.len() as isize;
    let mut best: Option<(usize, isize)> = None;
    for s in -(h - 1)..h {
        let (mut run, mut text, mut longest) = (0, false, 0);
        for i in s.max(0)..h.min(h + s) {
            let row = &p[i as usize];
            if *row == n[(i - s) as usize] {
                run += 1;
                text |= !row.trim().is_empty();
                if text {
                    longest = longest.max(run);
                }
            } else {
                (run, text) = (0, false);
            }
        }
        let better = longest > 0
            && best.is_none_or(|(b, bs)| longest > b || (longest == b && s.abs() < bs.abs()));
        if better {
            best = Some((longest, s));
        }
    }
    best.map(|(_, s)| s)
}

/// How many rows at the bottom are the same in both frames.
fn fixed_rows(prev: &[String], next: &[String]) -> usize {
    prev.iter()
        .rev()
        .zip(next.iter().rev())
        .take_while(|(a, b)| a == b)
        .count()
}

/// Whether any row of `a` with text shows anywhere in `b`, compared by letters and
/// digits only (an animated glyph or spinner beside the words does not count).
fn shares_text(a: &[String], b: &[String]) -> bool {
    let words = |l: &String| -> String { l.chars().filter(|c| c.is_alphanumeric()).collect() };
    let shown: std::collections::HashSet<String> =
        b.iter().map(words).filter(|w| !w.is_empty()).collect();
    a.iter().map(words).any(|w| shown.contains(&w))
}

fn trim_blank_end(lines: &[String]) -> Vec<String> {
    let end = lines
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(0, |i| i + 1);
    lines[..end].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::log_text::parse;

    fn render_text(log: &str) -> String {
        render(&parse(log).0, &|b: &[u8]| b.to_vec())
    }

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/../semantic-terminal/tests/fixtures/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// A log line for output `bytes` at `t`.
    fn out(t: f64, bytes: &[u8]) -> String {
        Entry::Output {
            t,
            bytes: bytes.to_vec(),
        }
        .to_line()
    }

    #[test]
    fn cursor_moves_become_spaces_and_redraws_appear_once() {
        // Words placed with cursor-forward (as Claude Code's renderer does), a spinner
        // redrawn in place five times, then the final line.
        let mut log = String::from("{\"version\":1,\"cols\":40,\"rows\":5}\n");
        log += &out(0.1, b"Paragraph\x1b[1C20:\x1b[1Csome\x1b[1Cprose\r\n");
        for (i, frame) in ["|", "/", "-", "\\", "|"].iter().enumerate() {
            log += "\n";
            log += &out(
                0.2 + i as f64 * 0.1,
                format!("\r\x1b[2K{frame} Thinking").as_bytes(),
            );
        }
        log += "\n";
        log += &out(1.0, b"\r\x1b[2KDone.\r\n");
        let text = render_text(&log);
        assert_eq!(text, "Paragraph 20: some prose\nDone.");
    }

    #[test]
    fn lines_scrolled_off_the_screen_come_before_the_final_screen() {
        let mut log = String::from("{\"version\":1,\"cols\":20,\"rows\":3}\n");
        let body: String = (1..=10).map(|i| format!("line {i}\r\n")).collect();
        log += &out(0.1, body.as_bytes());
        let text = render_text(&log);
        let expected: Vec<String> = (1..=10).map(|i| format!("line {i}")).collect();
        assert_eq!(text, expected.join("\n"));
    }

    #[test]
    fn a_real_claude_code_session_reads_as_it_was_seen() {
        // Claude Code draws on the alternate screen: three turns scrolled through it,
        // then it exited back to the main screen.
        for name in ["basic_120x40.jsonl", "basic_80x24.jsonl"] {
            let log = fixture(name);
            let text = render_text(&log);
            for answer in ["END-ONE", "END-SLOW", "END-THINK"] {
                assert_eq!(
                    text.matches(answer).count(),
                    1,
                    "{name}: {answer} in:\n{text}"
                );
            }
            for prompt in ["❯ say hello", "❯ take your time", "❯ think it over"] {
                assert_eq!(
                    text.matches(prompt).count(),
                    1,
                    "{name}: {prompt} in:\n{text}"
                );
            }
            let order: Vec<usize> = ["END-ONE", "END-SLOW", "END-THINK", "Resume this session"]
                .iter()
                .map(|w| {
                    text.find(w)
                        .unwrap_or_else(|| panic!("{name}: {w} in:\n{text}"))
                })
                .collect();
            assert!(order.windows(2).all(|w| w[0] < w[1]), "{name}:\n{text}");
            assert!(!text.contains('\x1b'), "{text}");
        }
    }
}
