//! Characters drawn in code rather than from a font, as terminals do: box-drawing lines
//! meet exactly at cell edges, blocks fill the cell, braille dots (Claude Code's spinners)
//! sit on a grid. Fonts often lack them or draw them with gaps. Also Claude Code's
//! `⏺` and `⎿` markers, missing from the usual free monospace fonts.

use semantic_terminal::Rgb;

use crate::canvas::Canvas;

/// The cell being drawn, in pixels.
#[derive(Clone, Copy)]
pub(crate) struct CellBox {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

/// Draws `c` in code if it is one of ours; returns whether it was.
pub(crate) fn draw(canvas: &mut Canvas, c: char, cell: CellBox, fg: Rgb) -> bool {
    let code = c as u32;
    match code {
        0x2500..=0x257F => match box_arms(code) {
            Some(arms) => {
                draw_arms(canvas, arms, cell, fg);
                true
            }
            None => false,
        },
        0x2580..=0x259F => {
            draw_block(canvas, code, cell, fg);
            true
        }
        0x2800..=0x28FF => {
            draw_braille(canvas, (code - 0x2800) as u8, cell, fg);
            true
        }
        // ⏺ (Claude Code's message bullet): a filled circle.
        0x23FA => {
            draw_disc(canvas, cell, fg);
            true
        }
        // ⎿ (Claude Code's result marker): a light up-and-right corner.
        0x23BF => {
            draw_arms(canvas, [1, 0, 0, 1], cell, fg);
            true
        }
        _ => false,
    }
}

/// Arm weights (up, down, left, right): 0 none, 1 light, 2 heavy, 3 double.
type Arms = [u8; 4];

/// The arms of a box-drawing character, or None for those left to the font (diagonals).
fn box_arms(code: u32) -> Option<Arms> {
    // U+2500..=U+254B in Unicode's order, as (up, down, left, right).
    const LINES: [Arms; 76] = [
        [0, 0, 1, 1],
        [0, 0, 2, 2],
        [1, 1, 0, 0],
        [2, 2, 0, 0], // ─ ━ │ ┃
        [0, 0, 1, 1],
        [0, 0, 2, 2],
        [1, 1, 0, 0],
        [2, 2, 0, 0], // dashes ┄ ┅ ┆ ┇
        [0, 0, 1, 1],
        [0, 0, 2, 2],
        [1, 1, 0, 0],
        [2, 2, 0, 0], // dashes ┈ ┉ ┊ ┋
        [0, 1, 0, 1],
        [0, 1, 0, 2],
        [0, 2, 0, 1],
        [0, 2, 0, 2], // ┌ ┍ ┎ ┏
        [0, 1, 1, 0],
        [0, 1, 2, 0],
        [0, 2, 1, 0],
        [0, 2, 2, 0], // ┐ ┑ ┒ ┓
        [1, 0, 0, 1],
        [1, 0, 0, 2],
        [2, 0, 0, 1],
        [2, 0, 0, 2], // └ ┕ ┖ ┗
        [1, 0, 1, 0],
        [1, 0, 2, 0],
        [2, 0, 1, 0],
        [2, 0, 2, 0], // ┘ ┙ ┚ ┛
        [1, 1, 0, 1],
        [1, 1, 0, 2],
        [2, 1, 0, 1],
        [1, 2, 0, 1], // ├ ┝ ┞ ┟
        [2, 2, 0, 1],
        [2, 1, 0, 2],
        [1, 2, 0, 2],
        [2, 2, 0, 2], // ┠ ┡ ┢ ┣
        [1, 1, 1, 0],
        [1, 1, 2, 0],
        [2, 1, 1, 0],
        [1, 2, 1, 0], // ┤ ┥ ┦ ┧
        [2, 2, 1, 0],
        [2, 1, 2, 0],
        [1, 2, 2, 0],
        [2, 2, 2, 0], // ┨ ┩ ┪ ┫
        [0, 1, 1, 1],
        [0, 1, 2, 1],
        [0, 1, 1, 2],
        [0, 1, 2, 2], // ┬ ┭ ┮ ┯
        [0, 2, 1, 1],
        [0, 2, 2, 1],
        [0, 2, 1, 2],
        [0, 2, 2, 2], // ┰ ┱ ┲ ┳
        [1, 0, 1, 1],
        [1, 0, 2, 1],
        [1, 0, 1, 2],
        [1, 0, 2, 2], // ┴ ┵ ┶ ┷
        [2, 0, 1, 1],
        [2, 0, 2, 1],
        [2, 0, 1, 2],
        [2, 0, 2, 2], // ┸ ┹ ┺ ┻
        [1, 1, 1, 1],
        [1, 1, 2, 1],
        [1, 1, 1, 2],
        [1, 1, 2, 2], // ┼ ┽ ┾ ┿
        [2, 1, 1, 1],
        [1, 2, 1, 1],
        [2, 2, 1, 1],
        [2, 1, 2, 1], // ╀ ╁ ╂ ╃
        [2, 1, 1, 2],
        [1, 2, 2, 1],
        [1, 2, 1, 2],
        [2, 1, 2, 2], // ╄ ╅ ╆ ╇
        [1, 2, 2, 2],
        [2, 2, 2, 1],
        [2, 2, 1, 2],
        [2, 2, 2, 2], // ╈ ╉ ╊ ╋
    ];
    // U+2550..=U+256C, the double lines.
    const DOUBLE: [Arms; 29] = [
        [0, 0, 3, 3],
        [3, 3, 0, 0],
        [0, 1, 0, 3],
        [0, 3, 0, 1], // ═ ║ ╒ ╓
        [0, 3, 0, 3],
        [0, 1, 3, 0],
        [0, 3, 1, 0],
        [0, 3, 3, 0], // ╔ ╕ ╖ ╗
        [1, 0, 0, 3],
        [3, 0, 0, 1],
        [3, 0, 0, 3],
        [1, 0, 3, 0], // ╘ ╙ ╚ ╛
        [3, 0, 1, 0],
        [3, 0, 3, 0],
        [1, 1, 0, 3],
        [3, 3, 0, 1], // ╜ ╝ ╞ ╟
        [3, 3, 0, 3],
        [1, 1, 3, 0],
        [3, 3, 1, 0],
        [3, 3, 3, 0], // ╠ ╡ ╢ ╣
        [0, 1, 3, 3],
        [0, 3, 1, 1],
        [0, 3, 3, 3],
        [1, 0, 3, 3], // ╤ ╥ ╦ ╧
        [3, 0, 1, 1],
        [3, 0, 3, 3],
        [1, 1, 3, 3],
        [3, 3, 1, 1], // ╨ ╩ ╪ ╫
        [3, 3, 3, 3], // ╬
    ];
    // U+2574..=U+257F, half lines.
    const HALVES: [Arms; 12] = [
        [0, 0, 1, 0],
        [1, 0, 0, 0],
        [0, 0, 0, 1],
        [0, 1, 0, 0], // ╴ ╵ ╶ ╷
        [0, 0, 2, 0],
        [2, 0, 0, 0],
        [0, 0, 0, 2],
        [0, 2, 0, 0], // ╸ ╹ ╺ ╻
        [0, 0, 1, 2],
        [1, 2, 0, 0],
        [0, 0, 2, 1],
        [2, 1, 0, 0], // ╼ ╽ ╾ ╿
    ];
    Some(match code {
        0x2500..=0x254B => LINES[(code - 0x2500) as usize],
        0x254C | 0x254D => [0, 0, code as u8 - 0x4B, code as u8 - 0x4B], // ╌ ╍
        0x254E | 0x254F => [code as u8 - 0x4D, code as u8 - 0x4D, 0, 0], // ╎ ╏
        0x2550..=0x256C => DOUBLE[(code - 0x2550) as usize],
        // ╭ ╮ ╯ ╰: rounded corners, drawn square.
        0x256D => [0, 1, 0, 1],
        0x256E => [0, 1, 1, 0],
        0x256F => [1, 0, 1, 0],
        0x2570 => [1, 0, 0, 1],
        0x2574..=0x257F => HALVES[(code - 0x2574) as usize],
        _ => return None,
    })
}

/// Light line thickness for a cell of width `w`.
fn light(w: i32) -> i32 {
    (w / 8).max(1)
}

fn draw_arms(canvas: &mut Canvas, [up, down, left, right]: Arms, cell: CellBox, fg: Rgb) {
    let t = light(cell.w);
    let (cx, cy) = (cell.x + cell.w / 2, cell.y + cell.h / 2);
    // Each arm runs from the cell's edge to the far side of the crossing line, so arms
    // join without gaps or overhangs.
    let ext_v = half_width(left.max(right), t);
    let ext_h = half_width(up.max(down), t);
    for (weight, y0, y1) in [
        (up, cell.y, cy + ext_v),
        (down, cy - ext_v, cell.y + cell.h),
    ] {
        for (offset, thick) in strokes(weight, t) {
            canvas.fill(cx + offset - thick / 2, y0, thick, y1 - y0, fg);
        }
    }
    for (weight, x0, x1) in [
        (left, cell.x, cx + ext_h),
        (right, cx - ext_h, cell.x + cell.w),
    ] {
        for (offset, thick) in strokes(weight, t) {
            canvas.fill(x0, cy + offset - thick / 2, x1 - x0, thick, fg);
        }
    }
}

/// How far a line of this weight reaches either side of its centre line.
fn half_width(weight: u8, t: i32) -> i32 {
    match weight {
        0 => 0,
        1 => (t + 1) / 2,
        2 => t,
        _ => t + (t + 1) / 2,
    }
}

/// The parallel strokes of an arm: (offset from the centre line, thickness).
fn strokes(weight: u8, t: i32) -> Vec<(i32, i32)> {
    match weight {
        0 => vec![],
        1 => vec![(0, t)],
        2 => vec![(0, 2 * t)],
        _ => vec![(-t, t), (t, t)],
    }
}

fn draw_block(canvas: &mut Canvas, code: u32, c: CellBox, fg: Rgb) {
    let eighth_h = |n: i32| c.h * n / 8;
    let eighth_w = |n: i32| c.w * n / 8;
    let (hw, hh) = (c.w / 2, c.h / 2);
    match code {
        0x2580 => canvas.fill(c.x, c.y, c.w, hh, fg),
        0x2581..=0x2588 => {
            let h = eighth_h(code as i32 - 0x2580);
            canvas.fill(c.x, c.y + c.h - h, c.w, h, fg);
        }
        0x2589..=0x258F => canvas.fill(c.x, c.y, eighth_w(0x2590 - code as i32), c.h, fg),
        0x2590 => canvas.fill(c.x + hw, c.y, c.w - hw, c.h, fg),
        0x2591..=0x2593 => {
            let alpha = [64u8, 128, 192][(code - 0x2591) as usize];
            canvas.blend_rect(c.x, c.y, c.w, c.h, fg, alpha);
        }
        0x2594 => canvas.fill(c.x, c.y, c.w, eighth_h(1).max(1), fg),
        0x2595 => {
            let w = eighth_w(1).max(1);
            canvas.fill(c.x + c.w - w, c.y, w, c.h, fg);
        }
        _ => {
            // Quadrants ▖..▟ as bits: upper-left, upper-right, lower-left, lower-right.
            const QUADS: [u8; 10] = [
                0b0010, 0b0001, 0b1000, 0b1011, 0b1001, 0b1110, 0b1101, 0b0100, 0b0110, 0b0111,
            ];
            let q = QUADS[(code - 0x2596) as usize];
            let parts = [
                (0b1000, c.x, c.y, hw, hh),
                (0b0100, c.x + hw, c.y, c.w - hw, hh),
                (0b0010, c.x, c.y + hh, hw, c.h - hh),
                (0b0001, c.x + hw, c.y + hh, c.w - hw, c.h - hh),
            ];
            for (bit, x, y, w, h) in parts {
                if q & bit != 0 {
                    canvas.fill(x, y, w, h, fg);
                }
            }
        }
    }
}

fn draw_braille(canvas: &mut Canvas, bits: u8, c: CellBox, fg: Rgb) {
    // Dot n (1-based) is bit n-1: dots 1-3 and 7 down the left, 4-6 and 8 the right.
    const DOTS: [(i32, i32); 8] = [
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 0),
        (1, 1),
        (1, 2),
        (0, 3),
        (1, 3),
    ];
    let dot = (c.w / 4).max(1);
    for (i, (col, row)) in DOTS.iter().enumerate() {
        if bits & (1 << i) != 0 {
            let x = c.x + c.w * (2 * col + 1) / 4 - dot / 2;
            let y = c.y + c.h * (2 * row + 1) / 8 - dot / 2;
            canvas.fill(x, y, dot, dot, fg);
        }
    }
}

fn draw_disc(canvas: &mut Canvas, c: CellBox, fg: Rgb) {
    let r = (c.w.min(c.h) as f32) * 0.35;
    let (cx, cy) = (c.x as f32 + c.w as f32 / 2.0, c.y as f32 + c.h as f32 / 2.0);
    for y in c.y..c.y + c.h {
        for x in c.x..c.x + c.w {
            let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
            // One pixel of anti-aliasing at the rim.
            let cover = (r + 0.5 - d).clamp(0.0, 1.0);
            canvas.blend(x, y, fg, (cover * 255.0) as u8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_table_matches_known_characters() {
        assert_eq!(box_arms('─' as u32), Some([0, 0, 1, 1]));
        assert_eq!(box_arms('┼' as u32), Some([1, 1, 1, 1]));
        assert_eq!(box_arms('╋' as u32), Some([2, 2, 2, 2]));
        assert_eq!(box_arms('┴' as u32), Some([1, 0, 1, 1]));
        assert_eq!(box_arms('╬' as u32), Some([3, 3, 3, 3]));
        assert_eq!(box_arms('╰' as u32), Some([1, 0, 0, 1]));
        assert_eq!(box_arms('╿' as u32), Some([2, 1, 0, 0]));
        assert_eq!(box_arms('╍' as u32), Some([0, 0, 2, 2]));
        assert_eq!(box_arms('╎' as u32), Some([1, 1, 0, 0]));
        assert_eq!(box_arms('╱' as u32), None);
    }
}
