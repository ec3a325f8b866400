//! An RGB pixel buffer: filled rectangles, coverage blending, PNG encoding.

use semantic_terminal::Rgb;

/// Pixels, row-major, 3 bytes each.
pub(crate) struct Canvas {
    pub width: u32,
    pub height: u32,
    data: Vec<u8>,
}

impl Canvas {
    /// A canvas filled with `bg`.
    pub fn new(width: u32, height: u32, bg: Rgb) -> Self {
        let mut data = Vec::with_capacity(width as usize * height as usize * 3);
        for _ in 0..width as usize * height as usize {
            data.extend_from_slice(&[bg.r, bg.g, bg.b]);
        }
        Self {
            width,
            height,
            data,
        }
    }

    /// Fills the rectangle (clipped to the canvas).
    pub fn fill(&mut self, x: i32, y: i32, w: i32, h: i32, color: Rgb) {
        self.blend_rect(x, y, w, h, color, 255);
    }

    /// Blends `color` over the rectangle with opacity `alpha` (0..=255), clipped.
    pub fn blend_rect(&mut self, x: i32, y: i32, w: i32, h: i32, color: Rgb, alpha: u8) {
        let (x0, y0) = (x.max(0), y.max(0));
        let x1 = (x + w).min(self.width as i32);
        let y1 = (y + h).min(self.height as i32);
        for py in y0..y1 {
            for px in x0..x1 {
                self.blend(px, py, color, alpha);
            }
        }
    }

    /// Blends one pixel; outside the canvas does nothing.
    pub fn blend(&mut self, x: i32, y: i32, color: Rgb, alpha: u8) {
        if x < 0 || y < 0 || x >= self.width as i32 || y >= self.height as i32 || alpha == 0 {
            return;
        }
        let i = (y as usize * self.width as usize + x as usize) * 3;
        let px = &mut self.data[i..i + 3];
        if alpha == 255 {
            px.copy_from_slice(&[color.r, color.g, color.b]);
            return;
        }
        let a = alpha as u32;
        for (dst, src) in px.iter_mut().zip([color.r, color.g, color.b]) {
            *dst = ((src as u32 * a + *dst as u32 * (255 - a) + 127) / 255) as u8;
        }
    }

    /// The image as PNG (RGB, 8 bits). Fast compression: screenshots are sent once.
    pub fn encode_png(&self) -> Result<Vec<u8>, png::EncodingError> {
        let mut out = Vec::with_capacity(self.data.len() / 8);
        let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&self.data)?;
        writer.finish()?;
        Ok(out)
    }
}
