//! Renders real screens with the installed DejaVu Sans Mono and decodes the PNG.

use semantic_terminal::{Config, DEFAULT_BG, Rgb, ScreenCells, SemanticTerminal};
use term_render::{RenderError, Renderer};

const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";

fn renderer() -> Renderer {
    let font = std::fs::read(FONT).unwrap_or_else(|e| panic!("{FONT}: {e} (fonts-dejavu-core)"));
    Renderer::new(vec![font]).expect("DejaVu parses")
}

fn screen(cols: u16, rows: u16, input: &str) -> ScreenCells {
    let mut term = SemanticTerminal::new(cols, rows, Config::default());
    term.feed(0.0, input.as_bytes());
    term.cells()
}

struct Image {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Image {
    fn decode(png_bytes: &[u8]) -> Image {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("a frame");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        Image {
            width: info.width,
            height: info.height,
            rgb: buf,
        }
    }

    fn at(&self, x: u32, y: u32) -> Rgb {
        let i = ((y * self.width + x) * 3) as usize;
        Rgb::new(self.rgb[i], self.rgb[i + 1], self.rgb[i + 2])
    }

    /// Pixels in the cell rectangle that differ from `bg`.
    fn inked(&self, (x0, y0, w, h): (u32, u32, u32, u32), bg: Rgb) -> usize {
        (y0..y0 + h)
            .flat_map(|y| (x0..x0 + w).map(move |x| (x, y)))
            .filter(|&(x, y)| self.at(x, y) != bg)
            .count()
    }
}

#[test]
fn the_image_is_cols_by_rows_cells() {
    let r = renderer();
    let cell = r.cell_size(1.0).unwrap();
    let img = Image::decode(&r.render_png(&screen(30, 7, "hi"), 1.0).unwrap());
    assert_eq!((img.width, img.height), (30 * cell.width, 7 * cell.height));
    let big = r.cell_size(2.0).unwrap();
    assert!(big.width > cell.width && big.height > cell.height);
    let img = Image::decode(&r.render_png(&screen(30, 7, "hi"), 2.0).unwrap());
    assert_eq!((img.width, img.height), (30 * big.width, 7 * big.height));
}

#[test]
fn backgrounds_fill_cells_and_text_inks_pixels() {
    let r = renderer();
    let cell = r.cell_size(1.0).unwrap();
    let (w, h) = (cell.width, cell.height);
    // A blank blue-background cell, then a red letter, then default blanks.
    let img = Image::decode(
        &r.render_png(
            &screen(10, 3, "\x1b[48;2;0;0;200m \x1b[0m\x1b[31mW\x1b[0m"),
            1.0,
        )
        .unwrap(),
    );
    assert_eq!(img.at(w / 2, h / 2), Rgb::new(0, 0, 200));
    assert_eq!(img.at(0, 0), Rgb::new(0, 0, 200));
    assert_eq!(img.at(w * 5 + 2, h + 2), DEFAULT_BG);
    let ink = img.inked((w, 0, w, h), DEFAULT_BG);
    assert!(ink > 10, "the W drew {ink} pixels");
    // The letter's full-coverage pixels are the red of the palette.
    let red = Rgb::new(0xcc, 0x66, 0x66);
    let full = (0..h)
        .flat_map(|y| (w..2 * w).map(move |x| (x, y)))
        .filter(|&(x, y)| img.at(x, y) == red)
        .count();
    assert!(full > 0, "no pure red pixel in the W");
    // Nothing spills into the blank cell after it.
    assert_eq!(img.inked((3 * w, 0, w, h), DEFAULT_BG), 0);
}

#[test]
fn box_drawing_is_drawn_without_a_font_glyph() {
    // The only font given has no box drawing at all (a bold-only face would; DejaVu
    // Sans Mono does, so the check is on the shape: font glyphs are anti-aliased and
    // stop short of the cell edges, the drawn line is solid from edge to edge).
    let r = renderer();
    let cell = r.cell_size(1.0).unwrap();
    let img = Image::decode(&r.render_png(&screen(6, 2, "──────\x1b[?25l"), 1.0).unwrap());
    let fg = Rgb::new(0xc5, 0xc8, 0xc6);
    // Some row is the foreground across the whole image width: lines meet at edges.
    let full_row = (0..cell.height).any(|y| (0..img.width).all(|x| img.at(x, y) == fg));
    assert!(full_row, "no unbroken horizontal line");
    // A braille spinner glyph and a block draw too.
    let img = Image::decode(&r.render_png(&screen(6, 2, "⣿█\x1b[?25l"), 1.0).unwrap());
    assert!(img.inked((0, 0, cell.width, cell.height), DEFAULT_BG) >= 8);
    let block = (0..cell.height)
        .flat_map(|y| (cell.width..2 * cell.width).map(move |x| (x, y)))
        .all(|(x, y)| img.at(x, y) == fg);
    assert!(block, "the full block does not fill its cell");
}

#[test]
fn a_character_no_font_has_is_drawn_as_a_box() {
    let r = renderer();
    let cell = r.cell_size(1.0).unwrap();
    // U+E000 (private use) is in no font.
    let img = Image::decode(&r.render_png(&screen(6, 2, "\u{e000}"), 1.0).unwrap());
    assert!(img.inked((0, 0, cell.width, cell.height), DEFAULT_BG) > 4);
}

#[test]
fn bad_fonts_and_scales_are_errors() {
    assert!(matches!(Renderer::new(vec![]), Err(RenderError::NoFonts)));
    let err = Renderer::new(vec![b"not a font".to_vec()])
        .err()
        .expect("rejected");
    assert!(
        matches!(err, RenderError::BadFont { index: 0, .. }),
        "{err}"
    );
    let r = renderer();
    assert!(matches!(
        r.render_png(&screen(4, 2, ""), 9.0),
        Err(RenderError::BadScale(_))
    ));
    assert!(matches!(
        r.render_png(&screen(4, 2, ""), f32::NAN),
        Err(RenderError::BadScale(_))
    ));
    // A huge terminal at scale 4 is refused rather than allocated.
    assert!(matches!(
        r.render_png(&screen(1000, 500, ""), 4.0),
        Err(RenderError::TooLarge { .. })
    ));
}

#[test]
fn the_cursor_is_an_inverted_cell() {
    let r = renderer();
    let cell = r.cell_size(1.0).unwrap();
    let img = Image::decode(&r.render_png(&screen(6, 2, "ab"), 1.0).unwrap());
    // Cursor after "ab": column 2 is filled with the default foreground.
    assert_eq!(img.at(2 * cell.width + 1, 1), Rgb::new(0xc5, 0xc8, 0xc6));
    let img = Image::decode(&r.render_png(&screen(6, 2, "ab\x1b[?25l"), 1.0).unwrap());
    assert_eq!(img.at(2 * cell.width + 1, 1), DEFAULT_BG);
}
