//! Fonts, parsed once: which font draws a character, and a cache of rasterised glyphs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use fontdue::{Font, FontSettings, Metrics};

use crate::RenderError;

/// Glyphs kept between renders before the cache is emptied (bounds memory).
const CACHE_MAX: usize = 8192;

/// A rasterised glyph: placement metrics and 8-bit coverage, row-major.
pub(crate) struct Glyph {
    pub metrics: Metrics,
    pub coverage: Vec<u8>,
}

/// Which font draws a character, and whether bold must be faked.
pub(crate) struct Pick {
    font: FontRef,
    index: u16,
    pub synthetic_bold: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum FontRef {
    Regular(usize),
    Bold,
}

/// The primary font, its fallbacks, an optional bold face, and the glyph cache.
pub(crate) struct Fonts {
    regular: Vec<Font>,
    bold: Option<Font>,
    cache: Mutex<HashMap<(u32, FontRef, u16), Arc<Glyph>>>,
}

fn parse(bytes: &[u8], index: usize) -> Result<Font, RenderError> {
    Font::from_bytes(bytes, FontSettings::default()).map_err(|reason| RenderError::BadFont {
        index,
        reason: reason.to_string(),
    })
}

impl Fonts {
    /// Parses every font; the first is the primary (monospace) one.
    pub fn new(font_bytes: &[Vec<u8>]) -> Result<Self, RenderError> {
        if font_bytes.is_empty() {
            return Err(RenderError::NoFonts);
        }
        let regular = font_bytes
            .iter()
            .enumerate()
            .map(|(i, bytes)| parse(bytes, i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            regular,
            bold: None,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Sets the primary font's bold face.
    pub fn set_bold(&mut self, bytes: &[u8]) -> Result<(), RenderError> {
        self.bold = Some(parse(bytes, self.regular.len())?);
        Ok(())
    }

    /// The primary font.
    pub fn primary(&self) -> &Font {
        &self.regular[0]
    }

    /// The font that has `c` (the bold face first for bold text), or None if none has.
    pub fn pick(&self, c: char, bold: bool) -> Option<Pick> {
        if bold && let Some(font) = &self.bold {
            let index = font.lookup_glyph_index(c);
            if index != 0 {
                return Some(Pick {
                    font: FontRef::Bold,
                    index,
                    synthetic_bold: false,
                });
            }
        }
        self.regular.iter().enumerate().find_map(|(i, font)| {
            let index = font.lookup_glyph_index(c);
            (index != 0).then_some(Pick {
                font: FontRef::Regular(i),
                index,
                synthetic_bold: bold,
            })
        })
    }

    /// The rasterised glyph, from the cache when drawn before at this size.
    pub fn glyph(&self, pick: &Pick, px: f32) -> Arc<Glyph> {
        let key = (px.to_bits(), pick.font, pick.index);
        // A poisoned cache is still a valid cache: a panic cannot leave a half entry.
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(glyph) = cache.get(&key) {
            return glyph.clone();
        }
        let font = match pick.font {
            FontRef::Regular(i) => &self.regular[i],
            FontRef::Bold => self.bold.as_ref().unwrap_or(&self.regular[0]),
        };
        let (metrics, coverage) = font.rasterize_indexed(pick.index, px);
        let glyph = Arc::new(Glyph { metrics, coverage });
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(key, glyph.clone());
        glyph
    }
}
