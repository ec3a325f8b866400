//! Scrubbing the screen as rendered: rows of cells, where a secret drawn in pieces (split
//! by escape sequences or cursor moves) is one run of characters, and a long one wraps
//! onto the next row.
//!
//! Rows are joined for matching when a row is *wrapped*: its text (after trailing
//! blanks and a box border such as `│`) reaches within [`WRAP_MARGIN`] columns of the
//! right edge. The next row's leading blanks and border are then skipped, so a secret
//! Claude Code wraps inside its boxes or with a two-space indent is still found.
//! A secret drawn with a shorter row in between (one character per line, or broken by
//! other text) is not.

use std::ops::Range;

use super::REDACTED;
use super::redact::Redactor;

/// How close to the right edge a row's text must end to count as wrapped.
pub const WRAP_MARGIN: usize = 4;

/// Characters that frame text in a terminal UI (box sides).
fn is_border(c: char) -> bool {
    matches!(c, '│' | '┃' | '║' | '▌' | '▐' | '|')
}

/// One row: its characters with the column each starts at.
pub type Row = Vec<(char, usize)>;

/// Where a match lies: for each match, its characters as (row, index in the row).
pub type Spans = Vec<Vec<(usize, usize)>>;

/// The matches of `redactor` in `rows` of a screen `cols` wide.
pub fn find(redactor: &Redactor, rows: &[Row], cols: usize) -> Spans {
    if redactor.is_empty() {
        return Vec::new();
    }
    let mut joined = String::new();
    // For each byte of `joined` that starts a character: the cell it came from.
    let mut origin: Vec<Option<(usize, usize)>> = Vec::new();
    let mut push = |joined: &mut String, c: char, at: Option<(usize, usize)>| {
        let start = joined.len();
        joined.push(c);
        origin.resize(start, None);
        origin.push(at);
        origin.resize(joined.len(), None);
    };
    let mut skip_lead = false;
    for (r, row) in rows.iter().enumerate() {
        let mut start = 0;
        if skip_lead {
            start = row
                .iter()
                .position(|(c, _)| !c.is_whitespace() && !is_border(*c))
                .unwrap_or(row.len());
        }
        let content_end = content_end(row);
        let wrapped = content_end > 0
            && row[content_end - 1].1 + char_width(row[content_end - 1].0) + WRAP_MARGIN >= cols
            && r + 1 < rows.len();
        let end = if wrapped { content_end } else { row.len() };
        for (i, (c, _)) in row.iter().enumerate().take(end).skip(start) {
            push(&mut joined, *c, Some((r, i)));
        }
        if !wrapped {
            push(&mut joined, '\n', None);
        }
        skip_lead = wrapped;
    }
    redactor
        .find(joined.as_bytes())
        .into_iter()
        .map(|range| cells_of(&origin, range))
        .filter(|cells| !cells.is_empty())
        .collect()
}

fn cells_of(origin: &[Option<(usize, usize)>], range: Range<usize>) -> Vec<(usize, usize)> {
    origin[range].iter().flatten().copied().collect()
}

/// End of a row's text: trailing blanks, then a border, then blanks left out.
fn content_end(row: &Row) -> usize {
    let mut end = row.len();
    while end > 0 && row[end - 1].0.is_whitespace() {
        end -= 1;
    }
    if end > 0 && is_border(row[end - 1].0) {
        end -= 1;
        while end > 0 && row[end - 1].0.is_whitespace() {
            end -= 1;
        }
    }
    end
}

fn char_width(c: char) -> usize {
    // East Asian wide ranges, roughly: enough to place the end of a row.
    if matches!(c as u32, 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1F64F | 0x1F900..=0x1F9FF | 0x20000..=0x3FFFD)
    {
        2
    } else {
        1
    }
}

/// Text rows (one string per row), as a terminal `cols` wide shows them.
pub fn rows_of_lines(lines: &[impl AsRef<str>]) -> Vec<Row> {
    lines
        .iter()
        .map(|l| {
            let mut col = 0;
            l.as_ref()
                .chars()
                .map(|c| {
                    let at = col;
                    col += char_width(c);
                    (c, at)
                })
                .collect()
        })
        .collect()
}

/// Screen rows with every match replaced by [`REDACTED`] (on the row where it starts;
/// its pieces on the following rows are removed).
pub fn redact_lines(redactor: &Redactor, lines: &[String], cols: usize) -> Vec<String> {
    let rows = rows_of_lines(lines);
    let spans = find(redactor, &rows, cols);
    if spans.is_empty() {
        return lines.to_vec();
    }
    // Per cell: None = keep, Some(true) = the marker goes here, Some(false) = drop.
    let mut fate: Vec<Vec<Option<bool>>> = rows.iter().map(|r| vec![None; r.len()]).collect();
    for span in &spans {
        for (k, &(r, i)) in span.iter().enumerate() {
            fate[r][i] = Some(k == 0);
        }
    }
    rows.iter()
        .zip(fate)
        .map(|(row, fate)| {
            let mut out = String::new();
            for ((c, _), f) in row.iter().zip(fate) {
                match f {
                    None => out.push(*c),
                    Some(true) => out.push_str(REDACTED),
                    Some(false) => {}
                }
            }
            out
        })
        .collect()
}

/// Multi-line text taken from the screen (a dialog, a status line, an answer): scrubbed
/// as rows of a screen as wide as its longest line.
pub fn redact_block(redactor: &Redactor, text: &str) -> String {
    if !text.contains('\n') {
        return redactor.redact_str(text).into_owned();
    }
    let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let cols = rows_of_lines(&lines)
        .iter()
        .map(|r| r.last().map_or(0, |(c, at)| at + char_width(*c)))
        .max()
        .unwrap_or(0);
    let clean = redact_lines(redactor, &lines, cols).join("\n");
    // Anything the row heuristics did not join is still matched as plain text.
    redactor.redact_str(&clean).into_owned()
}

/// What goes in each cell of a match of `len` cells: the marker's characters, then
/// blanks (cut short when the match is shorter than the marker).
pub fn mask_char(k: usize) -> char {
    REDACTED.chars().nth(k).unwrap_or(' ')
}
