//! Time to render one 120x40 Claude Code screen (the fullest screen of the
//! `file_write_120x40` recording) to PNG, at scale 1 and 2. Prints the figures; no harness.
//!
//! `cargo bench -p term-render --bench render` (`RENDER_PNG_OUT=file.png` also writes
//! the scale-1 image).

use std::time::Instant;

use semantic_terminal::recording::{Entry, Recording};
use semantic_terminal::{Config, SemanticTerminal};
use term_render::Renderer;

const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";

fn main() {
    let Ok(font) = std::fs::read(FONT) else {
        println!("skipped: {FONT} is not installed");
        return;
    };
    let renderer = Renderer::new(vec![font]).expect("font parses");
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../semantic-terminal/tests/fixtures/file_write_120x40.jsonl"
    );
    let text = std::fs::read_to_string(path).expect("fixture");
    let rec = Recording::parse(&text).expect("recording parses");
    // The fullest screen of the recording (its end is Claude Code's exit message).
    let mut term = SemanticTerminal::new(120, 40, Config::default());
    let mut best = (0, term.cells());
    for entry in rec.entries {
        if let Entry::Output { t, bytes } = entry {
            term.feed(t, &bytes);
            term.advance(t + 1.0);
            let inked = term
                .screen_text()
                .chars()
                .filter(|c| !c.is_whitespace())
                .count();
            if inked > best.0 {
                best = (inked, term.cells());
            }
        }
    }
    let runs = 50;
    let start = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(term.cells());
    }
    let cells_ms = start.elapsed().as_secs_f64() * 1000.0 / runs as f64;
    let cells = best.1;
    for scale in [1.0, 2.0] {
        // The first render fills the glyph cache; report it apart.
        let start = Instant::now();
        let png = renderer.render_png(&cells, scale).expect("renders");
        let first_ms = start.elapsed().as_secs_f64() * 1000.0;
        let start = Instant::now();
        for _ in 0..runs {
            std::hint::black_box(renderer.render_png(&cells, scale).expect("renders"));
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / runs as f64;
        println!(
            "render 120x40 scale {scale}: {ms:.2} ms per PNG (first, cold cache: {first_ms:.2} ms), {} bytes",
            png.len()
        );
    }
    println!("SemanticTerminal::cells() 120x40: {cells_ms:.3} ms");
    // To look at the result: RENDER_PNG_OUT=/tmp/claude.png cargo bench ...
    if let Some(out) = std::env::var_os("RENDER_PNG_OUT") {
        let png = renderer.render_png(&cells, 1.0).expect("renders");
        std::fs::write(&out, png).expect("write the PNG");
    }
}
