//! `term-render` draws a terminal screen ([`semantic_terminal::ScreenCells`]) as a PNG.
//!
//! Pure: fonts come in as bytes ([`Renderer::new`]: the primary monospace font, then
//! fallbacks tried in order for characters it lacks), and the PNG comes out as bytes.
//! Box-drawing, block and braille characters (and Claude Code's `⏺`, `⎿` markers) are
//! drawn in code so lines meet and spinners show whatever the fonts hold; a character no
//! font has is drawn as an empty box. Bold uses the bold face when one is given
//! ([`Renderer::with_bold`]), else the glyph is drawn twice, one pixel apart; italic is a
//! slant of the regular glyph.
//!
//! ```no_run
//! # fn main() -> Result<(), term_render::RenderError> {
//! let font = std::fs::read("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf").unwrap();
//! let renderer = term_render::Renderer::new(vec![font])?;
//! let mut term = semantic_terminal::SemanticTerminal::new(80, 24, Default::default());
//! term.feed(0.0, b"\x1b[31mhello\x1b[0m");
//! let png: Vec<u8> = renderer.render_png(&term.cells(), 1.0)?;
//! # Ok(()) }
//! ```

mod canvas;
mod draw;
mod glyphs;
mod shapes;

use semantic_terminal::ScreenCells;

use crate::canvas::Canvas;
use crate::glyphs::Fonts;

/// Font size in pixels at scale 1.
pub const BASE_FONT_PX: f32 = 14.0;
/// Smallest and largest accepted scale.
pub const SCALE_RANGE: std::ops::RangeInclusive<f32> = 0.5..=4.0;
/// The largest image drawn, in pixels (about 60 MB of RGB): bounds memory for huge
/// terminals at a large scale.
pub const MAX_PIXELS: u64 = 20_000_000;

/// Why fonts could not be loaded or a screen not rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// `Renderer::new` got no fonts.
    #[error("no font given: at least a monospace font is needed")]
    NoFonts,
    /// A font file did not parse.
    #[error("font #{index} is not a usable TrueType/OpenType font: {reason}")]
    BadFont {
        /// Position in the list given (the bold face comes after the regular ones).
        index: usize,
        /// The parser's message.
        reason: String,
    },
    /// The scale is not a number in [`SCALE_RANGE`].
    #[error("scale {0} is outside 0.5..=4")]
    BadScale(f32),
    /// The image would exceed [`MAX_PIXELS`].
    #[error("the image would be {width}x{height} pixels, more than {MAX_PIXELS}")]
    TooLarge {
        /// Width in pixels.
        width: u64,
        /// Height in pixels.
        height: u64,
    },
    /// The PNG encoder failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// Cell geometry at one scale, in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellSize {
    /// Cell width.
    pub width: u32,
    /// Cell height.
    pub height: u32,
    /// Baseline, from the cell's top.
    pub baseline: u32,
    /// The font size used.
    pub px: f32,
}

/// Renders screens with a fixed set of fonts, parsed once. `Sync`: share one renderer.
pub struct Renderer {
    fonts: Fonts,
}

impl Renderer {
    /// A renderer with the primary (monospace) font first, then fallbacks.
    pub fn new(font_bytes: Vec<Vec<u8>>) -> Result<Renderer, RenderError> {
        Ok(Renderer {
            fonts: Fonts::new(&font_bytes)?,
        })
    }

    /// Uses `bold` (the primary font's bold face) for bold text instead of faking it.
    pub fn with_bold(mut self, bold: Vec<u8>) -> Result<Renderer, RenderError> {
        self.fonts.set_bold(&bold)?;
        Ok(self)
    }

    /// The cell size at `scale`: the primary font's advance and line height.
    pub fn cell_size(&self, scale: f32) -> Result<CellSize, RenderError> {
        if !SCALE_RANGE.contains(&scale) {
            return Err(RenderError::BadScale(scale));
        }
        let px = BASE_FONT_PX * scale;
        let font = self.fonts.primary();
        let (ascent, descent) = font
            .horizontal_line_metrics(px)
            .map_or((px * 0.8, -px * 0.2), |m| (m.ascent, m.descent));
        let width = font.metrics('M', px).advance_width.round().max(1.0) as u32;
        Ok(CellSize {
            width,
            height: (ascent - descent).ceil().max(2.0) as u32,
            baseline: ascent.round() as u32,
            px,
        })
    }

    /// `screen` as a PNG of `cols * cell width` by `rows * cell height` pixels.
    pub fn render_png(&self, screen: &ScreenCells, scale: f32) -> Result<Vec<u8>, RenderError> {
        let cell = self.cell_size(scale)?;
        let (width, height) = (
            screen.cols as u64 * cell.width as u64,
            screen.rows as u64 * cell.height as u64,
        );
        if width * height > MAX_PIXELS || width == 0 || height == 0 {
            return Err(RenderError::TooLarge { width, height });
        }
        let mut canvas = Canvas::new(width as u32, height as u32, semantic_terminal::DEFAULT_BG);
        draw::screen(&mut canvas, &self.fonts, screen, cell);
        canvas
            .encode_png()
            .map_err(|e| RenderError::Png(e.to_string()))
    }
}
