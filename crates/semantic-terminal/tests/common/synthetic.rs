//! A synthetic Claude-Code-like byte stream (alternate screen, banner, input box between
//! rules, spinner frames redrawn by cursor moves, a streamed answer, a permission
//! dialog), for tests and the benchmark when no real recording is at hand.

#![allow(dead_code)]

/// Move the cursor to a 1-based row and clear that line.
fn at(out: &mut Vec<u8>, row: usize) {
    out.extend_from_slice(format!("\x1b[{row};1H\x1b[2K").as_bytes());
}

fn rule(cols: usize) -> String {
    "─".repeat(cols)
}

/// Draw the bottom: rule, box with `typed`, rule, footer.
fn draw_box(out: &mut Vec<u8>, cols: usize, rows: usize, typed: &str, footer: &str) {
    at(out, rows - 3);
    out.extend_from_slice(rule(cols).as_bytes());
    at(out, rows - 2);
    out.extend_from_slice(format!("❯\u{a0}{typed}").as_bytes());
    at(out, rows - 1);
    out.extend_from_slice(rule(cols).as_bytes());
    at(out, rows);
    out.extend_from_slice(format!("  \x1b[2m{footer}\x1b[0m").as_bytes());
}

/// One full turn, as a list of (seconds offset, bytes) chunks.
pub fn turn(cols: usize, rows: usize, n: usize) -> Vec<(f64, Vec<u8>)> {
    let mut chunks = Vec::new();
    let mut t = 0.0;
    let mut push = |dt: f64, bytes: Vec<u8>| {
        t += dt;
        chunks.push((t, bytes));
    };
    let mut start =
        b"\x1b[?1049h\x1b[2J\x1b[H\x1b[?25l\x1b]0;\xe2\x9c\xb3 Claude Code\x07".to_vec();
    start
        .extend_from_slice(" ▐▛███▛█   Claude Code v2.1.331\r\n▝▜██████▀  Opus 5.5\r\n".as_bytes());
    draw_box(
        &mut start,
        cols,
        rows,
        "",
        "⏸ manual mode on · ? for shortcuts",
    );
    push(0.1, start);
    let mut prompt = Vec::new();
    at(&mut prompt, 5);
    prompt.extend_from_slice(format!("\x1b[48;5;237m❯ question number {n}\x1b[0m").as_bytes());
    draw_box(
        &mut prompt,
        cols,
        rows,
        "",
        "⏸ manual mode on · esc to interrupt",
    );
    prompt.extend_from_slice(b"\x1b]0;\xe2\x97\x90 Claude Code\x07");
    push(1.0, prompt);
    let glyphs = ["·", "✢", "✳", "✶", "✻", "✽"];
    let words: Vec<String> = (0..60).map(|i| format!("word{i}")).collect();
    for frame in 0..30 {
        let mut f = b"\x1b[?2026h".to_vec();
        let shown = (frame * 2).min(words.len());
        for (i, line) in words[..shown].chunks(10).enumerate() {
            at(&mut f, 7 + i);
            let lead = if i == 0 { "\x1b[37m●\x1b[0m" } else { " " };
            f.extend_from_slice(format!("{lead} {}", line.join(" ")).as_bytes());
        }
        at(&mut f, rows - 5);
        let g = glyphs[frame % glyphs.len()];
        f.extend_from_slice(
            format!(
                "\x1b[38;5;174m{g}\x1b[0m Pondering… ({}s · ↓ {} tokens)",
                frame / 10,
                frame * 3
            )
            .as_bytes(),
        );
        at(&mut f, rows - 4);
        f.extend_from_slice("  ⎿  Tip: Start small".as_bytes());
        f.extend_from_slice(b"\x1b[?2026l");
        push(0.1, f);
    }
    // A permission dialog, answered, then the end of the turn.
    let mut d = Vec::new();
    for row in rows - 12..=rows {
        at(&mut d, row);
    }
    at(&mut d, rows - 11);
    d.extend_from_slice(rule(cols).as_bytes());
    let dialog = [
        " Bash command",
        "   echo hello > out.txt",
        " Do you want to proceed?",
        " ❯ 1. Yes",
        "   2. Yes, and don't ask again for echo commands in /tmp/w",
        "   3. No, and tell Claude what to do differently (esc)",
        " Esc to cancel",
    ];
    for (i, line) in dialog.iter().enumerate() {
        at(&mut d, rows - 10 + i);
        d.extend_from_slice(line.as_bytes());
    }
    push(0.5, d);
    let mut end = Vec::new();
    for row in rows - 12..=rows {
        at(&mut end, row);
    }
    at(&mut end, rows - 6);
    end.extend_from_slice("✻ Pondered for 3s".as_bytes());
    draw_box(
        &mut end,
        cols,
        rows,
        "",
        "⏸ manual mode on · ? for shortcuts",
    );
    end.extend_from_slice(b"\x1b]0;\xe2\x9c\xb3 Claude Code\x07");
    push(2.0, end);
    chunks
}

/// `turns` turns back to back, times running on.
pub fn session(cols: usize, rows: usize, turns: usize) -> Vec<(f64, Vec<u8>)> {
    let mut all = Vec::new();
    let mut offset = 0.0;
    for n in 0..turns {
        let chunks = turn(cols, rows, n);
        let last = chunks.last().map_or(0.0, |c| c.0);
        all.extend(chunks.into_iter().map(|(t, b)| (t + offset, b)));
        offset += last + 1.0;
    }
    all
}
