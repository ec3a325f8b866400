//! The visible rows as text, kept in step with the grid from alacritty's damage.
//!
//! Much damage is no change of text: alacritty damages the cursor's old and new cell on
//! every read, and applications redraw cells with the same text. A row without wide
//! characters or extra data ("plain") has one character per cell, so a damaged span
//! of it is first compared with the row's old text; only a row that differs there (or
//! is not plain) is read again, and only as far as its damage or its old text reaches:
//! past both, the cells were blank and still are.

use alacritty_terminal::event::EventListener;
use alacritty_terminal::grid::Dimensions;
use alacritty_terminal::index::Line;
use alacritty_terminal::term::cell::{Cell, Flags};
use alacritty_terminal::term::{Term, TermDamage};

/// Cells written beside a damaged span (a wide character's other half, a combining mark
/// on the previous cell) can change without damage of their own: compare this many more
/// cells on each side.
const DAMAGE_MARGIN: usize = 2;

/// The flags that change a row's text: which cells are wide characters or their spacers.
const TEXT_FLAGS: u16 = Flags::WIDE_CHAR
    .union(Flags::WIDE_CHAR_SPACER)
    .union(Flags::LEADING_WIDE_CHAR_SPACER)
    .bits();

const SPACERS: Flags = Flags::WIDE_CHAR_SPACER.union(Flags::LEADING_WIDE_CHAR_SPACER);

/// What of a cell decides the row's text: the character (low 32 bits), the text flags
/// (next 16) and whether it has extra data (combining marks, a link: bit 48). A plain
/// cell's code is its character's.
fn code(cell: &Cell) -> u64 {
    u64::from(cell.c)
        | (u64::from(cell.flags.bits() & TEXT_FLAGS) << 32)
        | (u64::from(cell.extra.is_some()) << 48)
}

/// Whether a cell shows nothing: a plain blank.
fn blank(cell: &Cell) -> bool {
    cell.c == ' ' && cell.extra.is_none()
}

/// Whether four cells are all blank, tested without branching on each (blank runs are
/// long: most rows are mostly blank).
fn blank4(q: &[Cell]) -> bool {
    blank(&q[0]) & blank(&q[1]) & blank(&q[2]) & blank(&q[3])
}

/// The index after the last cell that shows something (not a plain blank).
fn content_end(cells: &[Cell]) -> usize {
    let mut end = cells.len();
    while end >= 4 && blank4(&cells[end - 4..end]) {
        end -= 4;
    }
    while end > 0 && blank(&cells[end - 1]) {
        end -= 1;
    }
    end
}

/// Whether all of `cells` are blank.
fn all_blank(cells: &[Cell]) -> bool {
    let mut quads = cells.chunks_exact(4);
    quads.all(blank4) && quads.remainder().iter().all(blank)
}

/// Write the text of `cells` into `text` (cleared first): wide-character spacers left
/// out, combining marks kept, trailing blanks trimmed. Returns whether the row is
/// plain: no wide characters and no extra data, so its `n`th character is its `n`th
/// cell's (blank past the end).
pub fn row_text(cells: &[Cell], text: &mut String) -> bool {
    read_row(cells, text).0
}

/// [`row_text`], also returning how many cells the text covers (up to the last that
/// shows something).
fn read_row(cells: &[Cell], text: &mut String) -> (bool, usize) {
    text.clear();
    // Most rows are mostly blank: find the end first, then build only what shows.
    let end = content_end(cells);
    // One allocation at most: a character takes at most 4 bytes, and few rows grow.
    text.reserve(end * 4);
    let mut plain = true;
    let mut utf8 = [0u8; 4];
    // SAFETY: only ASCII bytes and whole `char::encode_utf8` encodings are appended,
    // so the bytes stay valid UTF-8.
    let bytes = unsafe { text.as_mut_vec() };
    for cell in &cells[..end] {
        let c = cell.c;
        // The common cell: no text flags and no extra data (one test for both), and
        // most often ASCII: one byte pushed, with no UTF-8 encoding.
        if cell.flags.bits() & TEXT_FLAGS == 0 && cell.extra.is_none() {
            if c.is_ascii() {
                bytes.push(c as u8);
            } else {
                bytes.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            }
            continue;
        }
        plain &= cell.flags.bits() & TEXT_FLAGS == 0;
        if cell.flags.intersects(SPACERS) {
            continue;
        }
        bytes.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        if let Some(marks) = cell.zerowidth() {
            plain = false;
            for mark in marks {
                bytes.extend_from_slice(mark.encode_utf8(&mut utf8).as_bytes());
            }
        }
    }
    while bytes.last() == Some(&b' ') {
        bytes.pop();
    }
    (plain, end)
}

/// Whether the cells `from..to` of a plain row (see [`row_text`]) still show `old`, the
/// row's text (blank past its end).
fn same_cells(cells: &[Cell], old: &str, from: usize, to: usize) -> bool {
    let mut old = old.chars().skip(from);
    let mut i = from;
    while i < to {
        let Some(was) = old.next() else {
            return all_blank(&cells[i..to]);
        };
        if code(&cells[i]) != u64::from(was) {
            return false;
        }
        i += 1;
    }
    true
}

/// The visible rows' text, updated from damage.
#[derive(Debug, Default)]
pub struct ScreenText {
    lines: Vec<String>,
    /// Per row, whether it was plain (see [`row_text`]) when last read, its width, and
    /// the cells its text covered then.
    plain: Vec<(bool, usize, usize)>,
    /// Rows whose text the last update changed.
    changed: Vec<usize>,
    /// Per row, the update count at which its text last changed.
    changed_at: Vec<u64>,
    /// Updates that changed any text.
    generation: u64,
    /// Reused buffers: a row's text, the damaged rows with their column spans.
    scratch: String,
    spans: Vec<(usize, Option<(usize, usize)>)>,
}

impl ScreenText {
    /// Text for a screen of `rows` blank rows.
    pub fn new(rows: usize) -> Self {
        Self {
            lines: vec![String::new(); rows],
            plain: vec![(false, 0, 0); rows],
            changed_at: vec![0; rows],
            ..Self::default()
        }
    }

    /// Re-read what alacritty marked as damaged, then reset its damage. Returns whether
    /// any row's text changed.
    pub fn update<T: EventListener>(&mut self, term: &mut Term<T>) -> bool {
        self.changed.clear();
        let rows = term.screen_lines();
        if self.lines.len() != rows {
            self.lines.resize(rows, String::new());
            self.plain.resize(rows, (false, 0, 0));
            // Rows that come back after a shrink start blank: count every row as new.
            self.generation += 1;
            self.changed_at.clear();
            self.changed_at.resize(rows, self.generation);
        }
        // The damage borrows the terminal: list it first (no allocation once grown).
        let mut spans = std::mem::take(&mut self.spans);
        match term.damage() {
            TermDamage::Full => spans.extend((0..rows).map(|r| (r, None))),
            TermDamage::Partial(iter) => spans.extend(
                iter.filter(|d| d.line < rows)
                    .map(|d| (d.line, Some((d.left, d.right)))),
            ),
        }
        term.reset_damage();
        let grid = term.grid();
        let mut text = std::mem::take(&mut self.scratch);
        for &(row, span) in &spans {
            let cells = &grid[Line(row as i32)][..];
            let (plain, width, covered) = &mut self.plain[row];
            let known = *plain && *width == cells.len();
            // The span with its margin: on a plain row of the same width, the cells
            // outside it still show the old text.
            let span = span.map(|(left, right)| {
                let to = (right + 1 + DAMAGE_MARGIN).min(cells.len());
                (left.saturating_sub(DAMAGE_MARGIN).min(to), to)
            });
            // Full damage (a clear, a scroll) reads every row: most of them changed.
            let same = known
                && span.is_some_and(|(from, to)| same_cells(cells, &self.lines[row], from, to));
            if same {
                continue;
            }
            // Past the span and the old text, the cells were blank and still are: only
            // the cells before that can show anything.
            let limit = match span {
                Some((_, to)) if known => to.max(*covered),
                _ => cells.len(),
            };
            *width = cells.len();
            (*plain, *covered) = read_row(&cells[..limit], &mut text);
            if self.lines[row] != text {
                std::mem::swap(&mut self.lines[row], &mut text);
                self.changed.push(row);
            }
        }
        self.scratch = text;
        spans.clear();
        self.spans = spans;
        if self.changed.is_empty() {
            return false;
        }
        self.generation += 1;
        for &row in &self.changed {
            self.changed_at[row] = self.generation;
        }
        true
    }

    /// Forget the last update's changed rows (a refresh that found nothing to read).
    pub fn clear_changed(&mut self) {
        self.changed.clear();
    }

    /// The rows' text, trailing blanks trimmed.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// Rows whose text the last [`Self::update`] changed.
    pub fn changed_rows(&self) -> &[usize] {
        &self.changed
    }

    /// A count of updates that changed text: rows whose [`Self::changed_since`] is false
    /// for a generation read earlier still show the same text.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The generation at which `row`'s text last changed.
    pub fn row_version(&self, row: usize) -> u64 {
        self.changed_at.get(row).copied().unwrap_or(u64::MAX)
    }

    /// The first of `rows` that changed after generation `generation`.
    pub fn first_changed_since(
        &self,
        rows: std::ops::Range<usize>,
        generation: u64,
    ) -> Option<usize> {
        let start = rows.start;
        match self.changed_at.get(rows) {
            Some(at) => at.iter().position(|&g| g > generation).map(|i| start + i),
            None => Some(start),
        }
    }

    /// Whether any of `rows` changed after generation `generation`.
    pub fn changed_since(&self, rows: std::ops::Range<usize>, generation: u64) -> bool {
        self.changed_at
            .get(rows)
            .is_none_or(|at| at.iter().any(|&g| g > generation))
    }
}
