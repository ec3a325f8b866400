//! The visible screen as plain cells with resolved colours: what a renderer (a PNG
//! screenshot, a web view) needs, with no alacritty types in the way.
//!
//! The snapshot is built from the emulator's own painting (see `paint.rs`) replayed into
//! a scratch grid, so this module needs no access to the live terminal's internals; the
//! painting carries every colour and attribute shown here.

use alacritty_terminal::grid::Dimensions;
use alacritty_terminal::index::{Column, Line};
use alacritty_terminal::term::Term;
use alacritty_terminal::term::cell::{Cell, Flags};
use alacritty_terminal::vte::ansi::{Color, NamedColor};

use crate::Cursor;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Rgb {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
}

impl Rgb {
    /// A colour from its three channels.
    pub const fn new(r: u8, g: u8, b: u8) -> Self {
        Self { r, g, b }
    }
}

/// The default foreground of the dark theme (light grey).
pub const DEFAULT_FG: Rgb = Rgb::new(0xc5, 0xc8, 0xc6);
/// The default background of the dark theme (near black); the same colour the emulator
/// reports to programs that ask (OSC 11).
pub const DEFAULT_BG: Rgb = Rgb::new(0x1d, 0x1f, 0x21);
/// How much dim text keeps of its colour (alacritty uses the same factor).
const DIM_FACTOR: f32 = 0.66;

/// One screen cell, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CellView {
    /// The character (a space for an empty cell).
    pub c: char,
    /// Combining characters drawn over `c`.
    pub zerowidth: Vec<char>,
    /// Text colour, with inverse, dim and hidden applied.
    pub fg: Rgb,
    /// Background colour, with inverse applied.
    pub bg: Rgb,
    /// Bold.
    pub bold: bool,
    /// Italic.
    pub italic: bool,
    /// Any kind of underline.
    pub underline: bool,
    /// Struck out.
    pub strikeout: bool,
    /// A double-width character: it covers this cell and the next.
    pub wide: bool,
    /// The right half of a double-width character (draw its background only).
    pub wide_spacer: bool,
}

/// The visible screen, row by row.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScreenCells {
    /// Width in columns.
    pub cols: u16,
    /// Height in rows.
    pub rows: u16,
    /// The cursor.
    pub cursor: Cursor,
    /// `rows * cols` cells, row-major (row 0 first).
    pub cells: Vec<CellView>,
}

impl ScreenCells {
    /// The cell at `row`, `col` (0-based), if inside the screen.
    pub fn get(&self, row: u16, col: u16) -> Option<&CellView> {
        if row >= self.rows || col >= self.cols {
            return None;
        }
        self.cells
            .get(row as usize * self.cols as usize + col as usize)
    }
}

/// The cells of `term`'s visible screen.
pub(crate) fn from_term<T>(term: &Term<T>, cursor: Cursor) -> ScreenCells {
    let grid = term.grid();
    let (rows, cols) = (grid.screen_lines(), grid.columns());
    let mut cells = Vec::with_capacity(cols * rows);
    for row in 0..rows {
        let line = &grid[Line(row as i32)];
        for col in 0..cols {
            cells.push(view(&line[Column(col)]));
        }
    }
    ScreenCells {
        cols: cols as u16,
        rows: rows as u16,
        cursor,
        cells,
    }
}

fn view(cell: &Cell) -> CellView {
    let flags = cell.flags;
    let (mut fg, mut bg) = (resolve(cell.fg, DEFAULT_FG), resolve(cell.bg, DEFAULT_BG));
    if flags.contains(Flags::DIM) || matches!(cell.fg, Color::Named(n) if is_dim(n)) {
        fg = dim(fg);
    }
    if flags.contains(Flags::INVERSE) {
        std::mem::swap(&mut fg, &mut bg);
    }
    if flags.contains(Flags::HIDDEN) {
        fg = bg;
    }
    CellView {
        c: if cell.c == '\0' { ' ' } else { cell.c },
        zerowidth: cell.zerowidth().map(<[char]>::to_vec).unwrap_or_default(),
        fg,
        bg,
        bold: flags.contains(Flags::BOLD),
        italic: flags.contains(Flags::ITALIC),
        underline: flags.intersects(Flags::ALL_UNDERLINES),
        strikeout: flags.contains(Flags::STRIKEOUT),
        wide: flags.contains(Flags::WIDE_CHAR),
        wide_spacer: flags.intersects(Flags::WIDE_CHAR_SPACER | Flags::LEADING_WIDE_CHAR_SPACER),
    }
}

/// A colour as RGB; `default` stands for the named Foreground/Background.
fn resolve(color: Color, default: Rgb) -> Rgb {
    use NamedColor::*;
    match color {
        Color::Spec(rgb) => Rgb::new(rgb.r, rgb.g, rgb.b),
        Color::Indexed(i) => palette(i),
        Color::Named(named) => match named {
            Foreground | Background => default,
            Cursor => DEFAULT_FG,
            BrightForeground => palette(15),
            DimForeground => DEFAULT_FG,
            Black | DimBlack => palette(0),
            Red | DimRed => palette(1),
            Green | DimGreen => palette(2),
            Yellow | DimYellow => palette(3),
            Blue | DimBlue => palette(4),
            Magenta | DimMagenta => palette(5),
            Cyan | DimCyan => palette(6),
            White | DimWhite => palette(7),
            BrightBlack => palette(8),
            BrightRed => palette(9),
            BrightGreen => palette(10),
            BrightYellow => palette(11),
            BrightBlue => palette(12),
            BrightMagenta => palette(13),
            BrightCyan => palette(14),
            BrightWhite => palette(15),
        },
    }
}

fn is_dim(named: NamedColor) -> bool {
    use NamedColor::*;
    matches!(
        named,
        DimBlack
            | DimRed
            | DimGreen
            | DimYellow
            | DimBlue
            | DimMagenta
            | DimCyan
            | DimWhite
            | DimForeground
    )
}

fn dim(c: Rgb) -> Rgb {
    let f = |v: u8| (v as f32 * DIM_FACTOR).round() as u8;
    Rgb::new(f(c.r), f(c.g), f(c.b))
}

/// xterm's 256 colours with a softer dark-theme ANSI 16 (the emulator's palette).
pub fn palette(index: u8) -> Rgb {
    const ANSI: [Rgb; 16] = [
        Rgb::new(0x1d, 0x1f, 0x21),
        Rgb::new(0xcc, 0x66, 0x66),
        Rgb::new(0xb5, 0xbd, 0x68),
        Rgb::new(0xf0, 0xc6, 0x74),
        Rgb::new(0x81, 0xa2, 0xbe),
        Rgb::new(0xb2, 0x94, 0xbb),
        Rgb::new(0x8a, 0xbe, 0xb7),
        Rgb::new(0xc5, 0xc8, 0xc6),
        Rgb::new(0x66, 0x66, 0x66),
        Rgb::new(0xd5, 0x4e, 0x53),
        Rgb::new(0xb9, 0xca, 0x4a),
        Rgb::new(0xe7, 0xc5, 0x47),
        Rgb::new(0x7a, 0xa6, 0xda),
        Rgb::new(0xc3, 0x97, 0xd8),
        Rgb::new(0x70, 0xc0, 0xb1),
        Rgb::new(0xea, 0xea, 0xea),
    ];
    match index {
        0..=15 => ANSI[index as usize],
        16..=231 => {
            let i = index - 16;
            let level = |v: u8| if v == 0 { 0 } else { v * 40 + 55 };
            Rgb::new(level(i / 36), level((i / 6) % 6), level(i % 6))
        }
        232..=255 => {
            let v = 8 + (index - 232) * 10;
            Rgb::new(v, v, v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, SemanticTerminal};

    fn cells_of(input: &str) -> ScreenCells {
        let mut term = SemanticTerminal::new(20, 4, Config::default());
        term.feed(0.0, input.as_bytes());
        term.cells()
    }

    fn at(cells: &ScreenCells, row: u16, col: u16) -> &CellView {
        cells.get(row, col).expect("inside the screen")
    }

    #[test]
    fn named_indexed_and_truecolour_cells_resolve() {
        let cells = cells_of(
            "\x1b[31mR\x1b[0m\x1b[38;5;208mI\x1b[0m\x1b[38;2;10;20;30;48;2;1;2;3mT\x1b[0m\
             \x1b[92mB\x1b[0m\x1b[48;5;232mG\x1b[0mp",
        );
        assert_eq!(at(&cells, 0, 0).c, 'R');
        assert_eq!(at(&cells, 0, 0).fg, Rgb::new(0xcc, 0x66, 0x66));
        // 208 = 16 + 5*36 + 2*6 + 0: levels 255, 135, 0.
        assert_eq!(at(&cells, 0, 1).fg, Rgb::new(255, 135, 0));
        assert_eq!(at(&cells, 0, 2).fg, Rgb::new(10, 20, 30));
        assert_eq!(at(&cells, 0, 2).bg, Rgb::new(1, 2, 3));
        assert_eq!(at(&cells, 0, 3).fg, Rgb::new(0xb9, 0xca, 0x4a));
        assert_eq!(at(&cells, 0, 4).bg, Rgb::new(8, 8, 8));
        assert_eq!(at(&cells, 0, 5).fg, DEFAULT_FG);
        assert_eq!(at(&cells, 0, 5).bg, DEFAULT_BG);
        // An untouched cell is a default blank.
        assert_eq!(at(&cells, 3, 19).c, ' ');
        assert_eq!(at(&cells, 3, 19).bg, DEFAULT_BG);
    }

    #[test]
    fn inverse_swaps_and_dim_darkens() {
        let cells = cells_of("\x1b[7mV\x1b[0m\x1b[31;44;7mW\x1b[0m\x1b[2mD\x1b[0m");
        assert_eq!(at(&cells, 0, 0).fg, DEFAULT_BG);
        assert_eq!(at(&cells, 0, 0).bg, DEFAULT_FG);
        assert_eq!(at(&cells, 0, 1).fg, Rgb::new(0x81, 0xa2, 0xbe));
        assert_eq!(at(&cells, 0, 1).bg, Rgb::new(0xcc, 0x66, 0x66));
        // 0xc5 * 0.66 = 130.02.
        assert_eq!(at(&cells, 0, 2).fg.r, 130);
    }

    #[test]
    fn attributes_wide_characters_and_the_cursor() {
        let cells = cells_of("\x1b[1;3;4;9mA\x1b[0m日x\r\nab");
        let a = at(&cells, 0, 0);
        assert!(a.bold && a.italic && a.underline && a.strikeout);
        assert!(at(&cells, 0, 1).wide && at(&cells, 0, 1).c == '日');
        assert!(at(&cells, 0, 2).wide_spacer);
        assert_eq!(at(&cells, 0, 3).c, 'x');
        assert!(!at(&cells, 0, 3).bold);
        assert_eq!((cells.cols, cells.rows, cells.cells.len()), (20, 4, 80));
        assert_eq!((cells.cursor.row, cells.cursor.col), (1, 2));
        assert!(cells.get(4, 0).is_none());
    }
}
