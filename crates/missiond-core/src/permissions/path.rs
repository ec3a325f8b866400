//! File paths as the kernel will see them: relative to the slot's folder, `..` applied,
//! symbolic links followed.
//!
//! [`resolve`] walks the path one component at a time like `realpath`: a symlink is
//! replaced by its target before the next component is looked at, so `link/../x` goes
//! where the kernel goes (the target's parent), not where the text suggests. Once a
//! component does not exist, the rest is applied lexically (a file about to be written).
//! The filesystem is a [`FileSystem`] argument so the logic is testable without disk.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// Symlinks followed before giving up (Linux's own limit is 40).
const MAX_LINKS: usize = 40;

/// What [`resolve`] needs from a filesystem.
pub trait FileSystem {
    /// The target of `path` if it is a symbolic link (as stored, possibly relative).
    fn read_link(&self, path: &Path) -> Option<PathBuf>;
    /// Whether `path` exists (following symlinks).
    fn exists(&self, path: &Path) -> bool;
}

/// The real filesystem.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealFs;

impl FileSystem for RealFs {
    fn read_link(&self, path: &Path) -> Option<PathBuf> {
        let meta = std::fs::symlink_metadata(path).ok()?;
        if meta.file_type().is_symlink() {
            std::fs::read_link(path).ok()
        } else {
            None
        }
    }

    fn exists(&self, path: &Path) -> bool {
        std::fs::symlink_metadata(path).is_ok()
    }
}

/// A path that cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// Symlinks loop or chain too long.
    #[error("too many symbolic links under {0}")]
    TooManyLinks(PathBuf),
    /// Relative path with no absolute working folder to anchor it.
    #[error("relative path {0:?} but the working folder {1:?} is not absolute")]
    NoBase(String, PathBuf),
    /// `~/…` without a home folder.
    #[error("{0:?} needs a home folder, and none is known")]
    NoHome(String),
    /// Empty path.
    #[error("empty path")]
    Empty,
}

/// A path in the forms rules are matched against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathForms {
    /// Absolute, symlinks followed: where the call really lands.
    pub resolved: String,
    /// `resolved` relative to the (resolved) working folder; `None` when outside it.
    pub resolved_rel: Option<String>,
    /// Absolute with `.` and `..` applied to the text only.
    pub lexical: String,
    /// `lexical` relative to the working folder as given; `None` when outside it.
    pub lexical_rel: Option<String>,
}

impl PathForms {
    /// Computes the forms of `raw` (as the tool received it) for a slot working in `cwd`.
    pub fn new(
        raw: &str,
        cwd: &Path,
        home: Option<&Path>,
        fs: &dyn FileSystem,
    ) -> Result<PathForms, PathError> {
        if raw.is_empty() {
            return Err(PathError::Empty);
        }
        let given = if raw == "~" || raw.starts_with("~/") {
            let home = home.ok_or_else(|| PathError::NoHome(raw.to_string()))?;
            home.join(raw.trim_start_matches('~').trim_start_matches('/'))
        } else {
            PathBuf::from(raw)
        };
        let absolute = if given.is_absolute() {
            given
        } else if cwd.is_absolute() {
            cwd.join(given)
        } else {
            return Err(PathError::NoBase(raw.to_string(), cwd.to_path_buf()));
        };
        let lexical_abs = lexical(&absolute);
        let resolved = resolve(&absolute, fs)?;
        let cwd_lexical = lexical(cwd);
        let cwd_resolved = resolve(&cwd_lexical, fs)?;
        Ok(PathForms {
            resolved_rel: relative(&resolved, &cwd_resolved),
            lexical_rel: relative(&lexical_abs, &cwd_lexical),
            resolved: slash(&resolved),
            lexical: slash(&lexical_abs),
        })
    }
}

/// `path` with `.` and `..` applied to the text (`/a/b/../c` -> `/a/c`).
pub fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `path` (absolute) with symlinks followed, component by component.
pub fn resolve(path: &Path, fs: &dyn FileSystem) -> Result<PathBuf, PathError> {
    let mut out = PathBuf::new();
    let mut pending: VecDeque<OsString> = VecDeque::new();
    for c in path.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => out.push(c.as_os_str()),
            other => pending.push_back(other.as_os_str().to_os_string()),
        }
    }
    let root = out.clone();
    let mut links = 0;
    let mut missing = false;
    while let Some(name) = pending.pop_front() {
        if name == "." {
            continue;
        }
        if name == ".." {
            // `out` holds no symlinks, so its parent is the real parent.
            if out != root {
                out.pop();
            }
            continue;
        }
        let candidate = out.join(&name);
        if !missing {
            if let Some(target) = fs.read_link(&candidate) {
                links += 1;
                if links > MAX_LINKS {
                    return Err(PathError::TooManyLinks(candidate));
                }
                for c in target.components().rev() {
                    match c {
                        Component::Prefix(_) | Component::RootDir => {}
                        other => pending.push_front(other.as_os_str().to_os_string()),
                    }
                }
                if target.has_root() {
                    out = root.clone();
                }
                continue;
            }
            missing = !fs.exists(&candidate);
        }
        out = candidate;
    }
    Ok(out)
}

/// `path` relative to `base` when inside it (`base` itself is `.`).
fn relative(path: &Path, base: &Path) -> Option<String> {
    let rest = path.strip_prefix(base).ok()?;
    let s = slash(rest);
    Some(if s.is_empty() { ".".into() } else { s })
}

/// A path as text with `/` separators (how patterns are written).
fn slash(path: &Path) -> String {
    let s = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

#[cfg(test)]
pub(crate) mod tests;
