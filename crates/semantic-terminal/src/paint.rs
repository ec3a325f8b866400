//! The visible screen as a byte stream that repaints it: clear, then every row with its
//! colours and attributes (SGR), then the cursor. A viewer that attaches to a running
//! terminal writes this first and the live output after it.

use std::fmt::Write as _;

use alacritty_terminal::grid::Dimensions;
use alacritty_terminal::index::{Column, Line};
use alacritty_terminal::term::Term;
use alacritty_terminal::term::cell::{Cell, Flags};
use alacritty_terminal::vte::ansi::{Color, NamedColor};

use crate::emulator::CursorPos;

/// The attributes one SGR sequence sets.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Pen {
    fg: Color,
    bg: Color,
    flags: Flags,
}

impl Pen {
    const DEFAULT: Pen = Pen {
        fg: Color::Named(NamedColor::Foreground),
        bg: Color::Named(NamedColor::Background),
        flags: Flags::empty(),
    };

    fn of(cell: &Cell) -> Pen {
        let shown = Flags::BOLD
            | Flags::DIM
            | Flags::ITALIC
            | Flags::ALL_UNDERLINES
            | Flags::INVERSE
            | Flags::HIDDEN
            | Flags::STRIKEOUT;
        Pen {
            fg: cell.fg,
            bg: cell.bg,
            flags: cell.flags & shown,
        }
    }

    /// `ESC [ 0 ; ... m` setting exactly this pen.
    fn write_sgr(&self, out: &mut String) {
        out.push_str("\x1b[0");
        for (flag, code) in [
            (Flags::BOLD, "1"),
            (Flags::DIM, "2"),
            (Flags::ITALIC, "3"),
            (Flags::INVERSE, "7"),
            (Flags::HIDDEN, "8"),
            (Flags::STRIKEOUT, "9"),
        ] {
            if self.flags.contains(flag) {
                out.push(';');
                out.push_str(code);
            }
        }
        if self.flags.intersects(Flags::ALL_UNDERLINES) {
            out.push_str(";4");
        }
        write_color(out, self.fg, false);
        write_color(out, self.bg, true);
        out.push('m');
    }
}

fn write_color(out: &mut String, color: Color, background: bool) {
    let base = if background { 40 } else { 30 };
    match color {
        Color::Spec(rgb) => {
            let _ = write!(out, ";{};2;{};{};{}", base + 8, rgb.r, rgb.g, rgb.b);
        }
        Color::Indexed(i) => {
            let _ = write!(out, ";{};5;{i}", base + 8);
        }
        Color::Named(named) => {
            if let Some(n) = palette_index(named) {
                let code = if n < 8 { base + n } else { base + 60 + n - 8 };
                let _ = write!(out, ";{code}");
            }
            // Foreground, Background, Cursor: the viewer's defaults (`ESC [ 0 m`).
        }
    }
}

/// The 16-colour palette index of a named colour (dim ones as their normal colour: the
/// dim attribute is carried by the flags).
fn palette_index(named: NamedColor) -> Option<u16> {
    use NamedColor::*;
    let n = match named {
        Black | DimBlack => 0,
        Red | DimRed => 1,
        Green | DimGreen => 2,
        Yellow | DimYellow => 3,
        Blue | DimBlue => 4,
        Magenta | DimMagenta => 5,
        Cyan | DimCyan => 6,
        White | DimWhite => 7,
        BrightBlack => 8,
        BrightRed => 9,
        BrightGreen => 10,
        BrightYellow => 11,
        BrightBlue => 12,
        BrightMagenta => 13,
        BrightCyan => 14,
        BrightWhite => 15,
        Foreground | Background | Cursor | BrightForeground | DimForeground => return None,
    };
    Some(n)
}

/// The bytes that repaint `term`'s visible screen on a terminal of the same size;
/// `mask` may replace the character of a cell (row, column), as a secret scrubber does.
pub(crate) fn paint<T>(
    term: &Term<T>,
    cursor: CursorPos,
    mask: &dyn Fn(usize, usize) -> Option<char>,
) -> String {
    let grid = term.grid();
    let (rows, cols) = (grid.screen_lines(), grid.columns());
    let mut out = String::with_capacity(rows * (cols + 16));
    out.push_str("\x1b[0m\x1b[H\x1b[2J");
    let mut pen = Pen::DEFAULT;
    for row in 0..rows {
        let _ = write!(out, "\x1b[{};1H", row + 1);
        let line = &grid[Line(row as i32)];
        // Trailing default blanks need not be written: the screen was cleared.
        let end = (0..cols)
            .rev()
            .find(|&c| {
                let cell = &line[Column(c)];
                (cell.c != ' ' && cell.c != '\0') || Pen::of(cell) != Pen::DEFAULT
            })
            .map_or(0, |c| c + 1);
        for col in 0..end {
            let cell = &line[Column(col)];
            if cell
                .flags
                .intersects(Flags::WIDE_CHAR_SPACER | Flags::LEADING_WIDE_CHAR_SPACER)
            {
                continue;
            }
            let cell_pen = Pen::of(cell);
            if cell_pen != pen {
                cell_pen.write_sgr(&mut out);
                pen = cell_pen;
            }
            if let Some(c) = mask(row, col) {
                out.push(c);
                continue;
            }
            out.push(if cell.c == '\0' { ' ' } else { cell.c });
            if let Some(extra) = cell.zerowidth() {
                out.extend(extra.iter());
            }
        }
        if pen != Pen::DEFAULT {
            out.push_str("\x1b[0m");
            pen = Pen::DEFAULT;
        }
    }
    let _ = write!(
        out,
        "\x1b[{};{}H\x1b[?25{}",
        cursor.row + 1,
        cursor.col + 1,
        if cursor.visible { 'h' } else { 'l' }
    );
    out
}

#[cfg(test)]
mod tests {
    use crate::emulator::Emulator;

    /// Feeding the painted bytes to a fresh emulator reproduces the screen: text,
    /// colours and attributes (compared through a second painting) and the cursor.
    fn round_trip(input: &[u8]) {
        let mut first = Emulator::new(30, 6, 0);
        first.feed(0.0, input);
        let painted = first.paint();
        let mut second = Emulator::new(30, 6, 0);
        second.feed(0.0, painted.as_bytes());
        assert_eq!(first.screen_lines(), second.screen_lines());
        assert_eq!(first.cursor(), second.cursor());
        assert_eq!(painted, second.paint(), "attributes differ");
    }

    #[test]
    fn a_mask_replaces_cells_and_keeps_the_rest() {
        let mut emu = Emulator::new(20, 3, 0);
        emu.feed(0.0, b"ab\x1b[31mcd\x1b[0mef\r\nxy");
        let painted =
            emu.paint_masked(&|row, col| (row == 0 && (2..4).contains(&col)).then_some('*'));
        let mut second = Emulator::new(20, 3, 0);
        second.feed(0.0, painted.as_bytes());
        assert_eq!(&second.screen_lines()[..2], ["ab**ef", "xy"]);
    }

    #[test]
    fn a_plain_screen_repaints_the_same() {
        round_trip(b"hello\r\nworld\x1b[3;5H");
    }

    #[test]
    fn colours_attributes_and_wide_characters_survive() {
        round_trip(
            "\x1b[1;31mred bold\x1b[0m \x1b[38;5;208mindexed\x1b[0m\r\n\
             \x1b[48;2;10;20;30mtruecolour bg\x1b[0m \x1b[4;3munder\x1b[0m\r\n\
             wide: 日本 and ⏺ \x1b[7minverse\x1b[0m\r\n\x1b[92mbright\x1b[0m\x1b[?25l"
                .as_bytes(),
        );
    }

    #[test]
    fn the_painting_sets_colours_and_leaves_the_cursor_where_it_was() {
        let mut emu = Emulator::new(20, 3, 0);
        emu.feed(0.0, b"\x1b[32mok\x1b[0m\r\nab\x1b[2;2H");
        let painted = emu.paint();
        assert!(painted.contains("\x1b[0;32mok"), "{painted:?}");
        assert!(painted.ends_with("\x1b[2;2H\x1b[?25h"), "{painted:?}");
    }
}
