//! Drawing a screen cell by cell: backgrounds first (so glyphs that overhang their cell
//! are not painted over), then text, decorations and the cursor.

use semantic_terminal::{CellView, Rgb, ScreenCells};

use crate::CellSize;
use crate::canvas::Canvas;
use crate::glyphs::{Fonts, Pick};
use crate::shapes::{self, CellBox};

/// Horizontal shift per pixel of height for synthetic italics.
const ITALIC_SLANT: f32 = 0.2;

pub(crate) fn screen(canvas: &mut Canvas, fonts: &Fonts, screen: &ScreenCells, cell: CellSize) {
    let cursor = screen.cursor;
    let colors = |row: u16, col: u16, view: &CellView| -> (Rgb, Rgb) {
        // A visible cursor is a block: the cell inverted.
        if cursor.visible && cursor.row == row && cursor.col == col {
            (view.bg, view.fg)
        } else {
            (view.fg, view.bg)
        }
    };
    let boxed = |row: u16, col: u16, wide: bool| CellBox {
        x: col as i32 * cell.width as i32,
        y: row as i32 * cell.height as i32,
        w: cell.width as i32 * if wide { 2 } else { 1 },
        h: cell.height as i32,
    };
    for (i, view) in screen.cells.iter().enumerate() {
        let (row, col) = position(i, screen.cols);
        let (_, bg) = colors(row, col, view);
        if bg != semantic_terminal::DEFAULT_BG {
            let b = boxed(row, col, false);
            canvas.fill(b.x, b.y, b.w, b.h, bg);
        }
    }
    for (i, view) in screen.cells.iter().enumerate() {
        if view.wide_spacer {
            continue;
        }
        let (row, col) = position(i, screen.cols);
        let (fg, _) = colors(row, col, view);
        let b = boxed(row, col, view.wide);
        if view.c != ' ' {
            text(canvas, fonts, view.c, view, b, cell, fg);
        }
        for &mark in &view.zerowidth {
            text(canvas, fonts, mark, view, b, cell, fg);
        }
        let line = (cell.px / 14.0).round().max(1.0) as i32;
        if view.underline {
            let y = b.y + cell.baseline as i32 + line;
            canvas.fill(b.x, y.min(b.y + b.h - line), b.w, line, fg);
        }
        if view.strikeout {
            canvas.fill(b.x, b.y + cell.baseline as i32 * 2 / 3, b.w, line, fg);
        }
    }
}

fn position(index: usize, cols: u16) -> (u16, u16) {
    (
        (index / cols as usize) as u16,
        (index % cols as usize) as u16,
    )
}

/// One character: in code when it is a shape, else from the first font that has it,
/// else an empty box.
fn text(
    canvas: &mut Canvas,
    fonts: &Fonts,
    c: char,
    view: &CellView,
    b: CellBox,
    cell: CellSize,
    fg: Rgb,
) {
    if shapes::draw(canvas, c, b, fg) {
        return;
    }
    match fonts.pick(c, view.bold) {
        Some(pick) => glyph(canvas, fonts, &pick, view.italic, b, cell, fg),
        None => missing(canvas, b, fg),
    }
}

fn glyph(
    canvas: &mut Canvas,
    fonts: &Fonts,
    pick: &Pick,
    italic: bool,
    b: CellBox,
    cell: CellSize,
    fg: Rgb,
) {
    let glyph = fonts.glyph(pick, cell.px);
    let m = glyph.metrics;
    let baseline = b.y + cell.baseline as i32;
    let left = b.x + m.xmin;
    let top = baseline - (m.ymin + m.height as i32);
    let passes = if pick.synthetic_bold { 2 } else { 1 };
    for (gy, row) in glyph.coverage.chunks(m.width.max(1)).enumerate() {
        let y = top + gy as i32;
        let slant = if italic {
            ((baseline - y) as f32 * ITALIC_SLANT).round() as i32
        } else {
            0
        };
        for (gx, &alpha) in row.iter().enumerate() {
            for pass in 0..passes {
                canvas.blend(left + gx as i32 + slant + pass, y, fg, alpha);
            }
        }
    }
}

/// A character no font has: the outline of a box, as terminals show it.
fn missing(canvas: &mut Canvas, b: CellBox, fg: Rgb) {
    let (x, y, w, h) = (b.x + 1, b.y + 2, b.w - 2, b.h - 4);
    canvas.fill(x, y, w, 1, fg);
    canvas.fill(x, y + h - 1, w, 1, fg);
    canvas.fill(x, y, 1, h, fg);
    canvas.fill(x + w - 1, y, 1, h, fg);
}
