//! What a redirection does to the filesystem: `>f` writes `f`, `<f` reads it, `2>&1`
//! touches no file.
//!
//! | operator | access |
//! |---|---|
//! | `>`, `>>`, `>\|`, `N>`, `N>>`, `N>\|`, `&>`, `&>>`, `>&FILE` | write |
//! | `<`, `N<`, `<&FILE` | read |
//! | `<>`, `N<>` | read and write |
//! | `>&N`, `<&N`, `>&-`, `N>&M-` (fd duplication and closing), `<<`, `<<-`, `<<<` | none |
//!
//! `/dev/null`, `/dev/stdin`, `/dev/stdout`, `/dev/stderr`, `/dev/tty` and `/dev/fd/N`
//! are streams the command already has, not files: no access. A target whose value is only
//! known when the command runs (`$X`, `$(cmd)`, a glob, `~user`, a process substitution)
//! is marked as not [`Redirection::known`]: the policy asks.

use serde::Serialize;

use super::lex::{Redirect, Word};

/// What a redirection does to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// No file: fd duplication or closing, here-documents, here-strings, `/dev/null` ….
    None,
    /// Reads the target (`<`).
    Read,
    /// Writes the target (`>`, `>>`, `&>` …).
    Write,
    /// Opens it for both (`<>`).
    ReadWrite,
}

impl Access {
    /// Whether the target is read.
    pub fn reads(self) -> bool {
        matches!(self, Access::Read | Access::ReadWrite)
    }

    /// Whether the target is written.
    pub fn writes(self) -> bool {
        matches!(self, Access::Write | Access::ReadWrite)
    }
}

/// One redirection of a piece.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redirection {
    /// As shown in the piece's text (`2>>log`).
    pub text: String,
    /// The target after quote removal (the path, for a file access). A tilde the shell
    /// would not expand (quoted) is made explicit as `./~…`.
    pub target: String,
    /// What it does to the target.
    pub access: Access,
    /// The target is a literal path (no expansion, no glob): the file is known now.
    pub known: bool,
}

/// Streams a command already holds; redirecting to them touches no file.
const STREAMS: &[&str] = &[
    "/dev/null",
    "/dev/stdin",
    "/dev/stdout",
    "/dev/stderr",
    "/dev/tty",
];

/// Classifies one redirection.
pub(crate) fn classify(r: &Redirect) -> Redirection {
    let core = r.op.trim_start_matches(|c: char| c.is_ascii_digit());
    let target = &r.target;
    let access = match core {
        "<<" | "<<-" | "<<<" => Access::None,
        ">&" | "<&" if is_fd_target(target) => Access::None,
        ">&" => Access::Write,
        "<&" => Access::Read,
        "<" => Access::Read,
        "<>" => Access::ReadWrite,
        // `>`, `>>`, `>|`, `&>`, `&>>`, and anything else that points the other way.
        _ => Access::Write,
    };
    let literal = !target.dynamic && !target.glob;
    let access = if literal && is_stream(&target.text) {
        Access::None
    } else {
        access
    };
    let quoted_tilde = target.text.starts_with('~') && target.first_quoted == Some(0);
    // `~` and `~/…` expand to the home folder; `~user/…` and `~+` are not followed here.
    let odd_tilde = target.text.starts_with('~')
        && !quoted_tilde
        && !(target.text == "~" || target.text.starts_with("~/"));
    Redirection {
        text: r.render(),
        target: if quoted_tilde {
            format!("./{}", target.text)
        } else {
            target.text.clone()
        },
        access,
        known: literal && !odd_tilde && !target.text.is_empty(),
    }
}

/// `>&2`, `<&0`, `>&-`, `2>&3-`: a file descriptor, not a file.
fn is_fd_target(w: &Word) -> bool {
    if w.dynamic || w.first_quoted.is_some() {
        return false;
    }
    let t = w.text.strip_suffix('-').unwrap_or(&w.text);
    t.chars().all(|c| c.is_ascii_digit())
}

fn is_stream(path: &str) -> bool {
    STREAMS.contains(&path)
        || path
            .strip_prefix("/dev/fd/")
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}
