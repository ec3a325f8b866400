//! The screenshot renderer: fonts read from disk once, on the first screenshot.
//!
//! `MISSIOND_FONT` names the primary monospace font; otherwise DejaVu Sans Mono (Debian
//! `fonts-dejavu-core`). A `-Bold` file beside it is the bold face. Fallbacks for the
//! symbols the primary font lacks are looked for under /usr/share/fonts, in order.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use missiond_core::ipc::{ErrorCode, RpcError};
use term_render::Renderer;

/// The environment variable naming the primary font file.
pub const FONT_ENV: &str = "MISSIOND_FONT";
/// The primary font when `MISSIOND_FONT` is not set.
pub const DEFAULT_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";
/// Where fallback fonts are looked for.
const FONT_DIR: &str = "/usr/share/fonts";
/// Fallback font file names, most useful first: wide symbol coverage for Claude Code's
/// glyphs (⏵ ⏸ ⧉ ✻ ...).
const FALLBACKS: [&str; 5] = [
    "DejaVuSans.ttf",
    "NotoSansSymbols2-Regular.ttf",
    "NotoSansSymbols-Regular.ttf",
    "NotoSansMath-Regular.ttf",
    "Symbola.ttf",
];
/// How deep the fallback search goes under `FONT_DIR` (Debian uses two levels).
const SEARCH_DEPTH: usize = 3;

/// The renderer, once loaded. A failure is not kept: installing the font and calling
/// again works without restarting the daemon.
static RENDERER: Mutex<Option<Arc<Renderer>>> = Mutex::new(None);

/// The shared renderer, loading the fonts on first use. Blocking (reads files).
pub fn renderer() -> Result<Arc<Renderer>, RpcError> {
    let mut slot = RENDERER.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(renderer) = slot.as_ref() {
        return Ok(renderer.clone());
    }
    let renderer = Arc::new(load()?);
    *slot = Some(renderer.clone());
    Ok(renderer)
}

fn load() -> Result<Renderer, RpcError> {
    let (primary, from_env) = match std::env::var_os(FONT_ENV) {
        Some(path) if !path.is_empty() => (PathBuf::from(path), true),
        _ => (PathBuf::from(DEFAULT_FONT), false),
    };
    let bytes = std::fs::read(&primary).map_err(|e| {
        let hint = if from_env {
            format!("set by {FONT_ENV}")
        } else {
            format!("install fonts-dejavu-core or set {FONT_ENV} to a monospace .ttf")
        };
        font_error(format!(
            "cannot read the screenshot font {} ({hint}): {e}",
            primary.display()
        ))
    })?;
    let mut fonts = vec![bytes];
    for path in fallbacks(Path::new(FONT_DIR)) {
        if path != primary
            && let Ok(bytes) = std::fs::read(&path)
        {
            fonts.push(bytes);
        }
    }
    let renderer =
        Renderer::new(fonts).map_err(|e| font_error(format!("{}: {e}", primary.display())))?;
    match std::fs::read(bold_of(&primary)) {
        Ok(bold) => renderer
            .with_bold(bold)
            .map_err(|e| font_error(format!("{}: {e}", bold_of(&primary).display()))),
        Err(_) => Ok(renderer),
    }
}

fn font_error(message: String) -> RpcError {
    RpcError::new(ErrorCode::ConfigError, message)
}

/// `Font.ttf` → `Font-Bold.ttf`.
fn bold_of(path: &Path) -> PathBuf {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let ext = path.extension().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!("{stem}-Bold.{ext}"))
}

/// The fallback fonts installed under `dir`, in `FALLBACKS` order.
fn fallbacks(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<Option<PathBuf>> = vec![None; FALLBACKS.len()];
    let mut stack = vec![(dir.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if depth < SEARCH_DEPTH {
                    stack.push((path, depth + 1));
                }
            } else if let Some(i) = path
                .file_name()
                .and_then(|n| FALLBACKS.iter().position(|f| *f == n.to_string_lossy()))
            {
                found[i].get_or_insert(path);
            }
        }
    }
    found.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bold_sits_beside_the_regular_face() {
        assert_eq!(
            bold_of(Path::new("/f/DejaVuSansMono.ttf")),
            Path::new("/f/DejaVuSansMono-Bold.ttf")
        );
    }

    #[test]
    fn fallbacks_are_found_in_preference_order() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("truetype/noto");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("NotoSansMath-Regular.ttf"), b"x").unwrap();
        std::fs::write(dir.path().join("DejaVuSans.ttf"), b"x").unwrap();
        std::fs::write(dir.path().join("Other.ttf"), b"x").unwrap();
        let found = fallbacks(dir.path());
        assert_eq!(
            found,
            [
                dir.path().join("DejaVuSans.ttf"),
                deep.join("NotoSansMath-Regular.ttf")
            ]
        );
    }
}
