//! Bash command analysis: which simple commands a command line runs, and how each may be
//! spelled.
//!
//! [`analyse`] cuts a command line into [`Piece`]s: every simple command of the line, of
//! every `$(…)`, backtick and `<(…)` substitution, subshell, `bash -c '…'` / `sh -c`
//! string, `eval` argument and `find -exec` clause. For each piece it keeps:
//!
//! - `text`: the command as written after quote removal and whitespace normalisation,
//!   leading shell keywords (`if`, `then`, `do`, `!`, `{` …) dropped, redirections moved to
//!   the end. Only this form is offered to **allow** rules: `sudo`, `env X=1`, a leading
//!   `LD_PRELOAD=…` or a program path (`/tmp/x/git`) change what runs, so stripping them
//!   could let `Bash(git *)` allow something else.
//! - `forms`: every spelling tried by **deny** and **confirm** rules: `text`, then each
//!   layer peeled off (leading assignments, `sudo`, `doas`, `env`, `command`, `builtin`,
//!   `exec`, `nohup`, `setsid`, `time`, `nice`, `ionice`, `stdbuf`, `timeout`, `busybox`,
//!   `xargs`, with their options), each with the program's basename (`/bin/rm` -> `rm`)
//!   and with its options gathered in front, short ones merged or split, in every order
//!   (so `rm -r -f`, `rm -fr`, `rm x -rf`, `rm --recursive --force` all read as `rm -rf`).
//!   Deny and confirm rules also see the whole line, whitespace collapsed.
//! - `opaque`: the piece's behaviour depends on something not visible here (a variable,
//!   a substitution, a glob in the program name, a shell reading stdin, arguments
//!   appended by `xargs`). Deny rules cannot be sure of it, so it is not auto-allowed
//!   where deny or confirm rules exist (see [`super::policy`]).
//!
//! Redirections stay in the text, at the end and without a space (`>out.txt`, `2>&1`), so
//! `Bash(*>/etc/*)` can deny writing there; `bare` is the same command without them. Each
//! piece also lists its redirections as [`Redirection`]s: which file it reads or writes
//! (see [`redirect`]), so the policy can judge `echo x > /etc/passwd` as the `Write` of
//! `/etc/passwd` it is. Here-documents (`<<EOF`, `<<-EOF`) and here-strings (`<<<`) feed
//! text to the command, not files: their bodies are skipped (a body that runs `$(…)` or
//! backticks cannot be read with confidence).
//!
//! Quotes and escapes are removed the way bash does (`r''m`, `\rm`, `"rm"`, `$'\x72m'` all
//! read `rm`). A line that cannot be read with confidence (unbalanced quotes or
//! parentheses, an unterminated here-document or one whose body runs a command
//! substitution, `case` patterns, `${…}` holding a substitution, nesting
//! deeper than 12 levels, lines over 64 KiB) is a [`ShellError`]: the caller asks.
//!
//! Limits, honestly: this is pattern matching over shell text, not a sandbox. Programs
//! that run code from their arguments (`python -c`, `perl -e`, `node -e`, `awk 'BEGIN
//! {system(…)}'`, `git -c core.pager=…`, `make`, `npm run`), scripts written to disk and
//! run later, aliases and functions defined earlier in the session, `watch`, `parallel`,
//! `ssh host cmd`, and options that mean the same under other names (`rm -d`, `find
//! -delete`) are not seen through. A deny list stops the commands it names, spelled in the
//! ways above; it cannot stop an agent determined to do the same thing another way. For
//! that, deny `Bash` (or allow only what you name) and let the rest ask.

mod forms;
mod lex;
pub mod redirect;
mod strip;

use serde::Serialize;

use lex::{RawCommand, Word};
pub use redirect::{Access, Redirection};

/// Longer command lines are not analysed (they ask): bounds the work per decision.
const MAX_COMMAND_BYTES: usize = 64 * 1024;

/// Why a command line could not be analysed with confidence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShellError {
    /// A quote or substitution is not closed.
    #[error("unterminated {0}")]
    Unterminated(&'static str),
    /// A parenthesis is not matched.
    #[error("unbalanced `{0}`")]
    Unbalanced(char),
    /// Substitutions, subshells or re-parsed strings nest too deeply.
    #[error("nested too deeply")]
    TooDeep,
    /// A construct that is not analysed.
    #[error("{0} is not analysed")]
    Unsupported(&'static str),
    /// Broken syntax.
    #[error("syntax: {0}")]
    Syntax(&'static str),
    /// No command at all.
    #[error("empty command")]
    Empty,
}

/// One simple command found in a command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Piece {
    /// As written (quotes removed, whitespace normalised, redirections at the end): what
    /// allow rules see.
    pub text: String,
    /// `text` without its redirections (allow rules see it too: the redirections are
    /// judged on their own, as file accesses).
    pub bare: String,
    /// Its redirections, in order.
    pub redirects: Vec<Redirection>,
    /// Every spelling deny and confirm rules are tried against (includes `text`).
    pub forms: Vec<String>,
    /// Depends on values unknown here (see the module doc).
    pub opaque: bool,
    /// Runs commands no rule sees (a program name from an expansion, a shell reading
    /// stdin, `xargs`): they could hold redirections too.
    pub hides_commands: bool,
}

/// A command line cut into pieces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Analysis {
    /// The line with whitespace runs collapsed (deny and confirm rules also see it whole).
    pub whole: String,
    /// Every simple command, in the order found (substitutions before their command).
    pub pieces: Vec<Piece>,
    /// Some piece changes the shell's folder (`cd`, `pushd`, `popd`): a relative
    /// redirection target may then land anywhere.
    pub changes_dir: bool,
    /// The literal folders given to `cd`/`pushd` (`~` for a bare `cd`), as written.
    pub dirs: Vec<String>,
}

/// Analyses a Bash command line.
pub fn analyse(command: &str) -> Result<Analysis, ShellError> {
    if command.len() > MAX_COMMAND_BYTES {
        return Err(ShellError::Unsupported("a command over 64 KiB"));
    }
    let mut analysis = Analysis {
        whole: normalise(command),
        pieces: Vec::new(),
        changes_dir: false,
        dirs: Vec::new(),
    };
    for raw in lex::lex(command, 0)? {
        piece(raw, 0, &mut analysis)?;
    }
    if analysis.pieces.is_empty() {
        return Err(ShellError::Empty);
    }
    Ok(analysis)
}

/// Collapses whitespace runs (newlines and tabs included) to single spaces.
pub(crate) fn normalise(text: &str) -> String {
    text.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

fn piece(raw: RawCommand, depth: usize, out: &mut Analysis) -> Result<(), ShellError> {
    if depth > lex::MAX_DEPTH {
        return Err(ShellError::TooDeep);
    }
    let words = strip::strip_keywords(&raw.words).unwrap_or_default();
    if words.is_empty() && raw.redirects.is_empty() {
        return Ok(());
    }
    let mut views = vec![words.clone()];
    while views.len() < 32 {
        let Some(next) = views.last().and_then(|v| strip::strip_once(v)) else {
            break;
        };
        views.push(next);
    }
    let suffix = raw
        .redirects
        .iter()
        .map(lex::Redirect::render)
        .collect::<Vec<_>>()
        .join(" ");
    let render = |s: String| normalise(&format!("{s} {suffix}"));
    let bare = normalise(&texts(&words).join(" "));
    let text = render(bare.clone());
    let mut forms = std::collections::BTreeSet::from([text.clone(), bare.clone()]);
    forms.remove("");
    let mut subs: Vec<RawCommand> = Vec::new();
    let mut hidden = false;
    for view in &views {
        let t = texts(view);
        for variant in forms::variants(&t) {
            forms.insert(render(variant.clone()));
            forms.insert(variant);
        }
        if let Some(program) = view.first()
            && matches!(strip::basename(&program.text), "cd" | "pushd" | "popd")
        {
            out.changes_dir = true;
            // `cd -P DIR`: options first; `cd` alone goes home; `cd -` is not known here.
            let mut args = view[1..].iter().filter(|w| !w.text.starts_with('-'));
            match args.next() {
                None if program.text == "cd" && view.len() == 1 => out.dirs.push("~".into()),
                Some(d) if !d.dynamic && !d.glob => out.dirs.push(d.text.clone()),
                _ => {}
            }
        }
        match strip::shell_call(view) {
            strip::ShellCall::String(s) => subs.extend(lex::lex(&s.text, depth + 1)?),
            strip::ShellCall::Hidden => hidden = true,
            strip::ShellCall::No => {}
        }
        if let Some(s) = strip::eval_string(view) {
            subs.extend(lex::lex(&s, depth + 1)?);
        }
        subs.extend(strip::find_exec(view).into_iter().map(|words| RawCommand {
            words,
            ..RawCommand::default()
        }));
    }
    // A program name from an expansion or glob, or arguments appended by xargs.
    let hidden_program = views.iter().any(|v| {
        v.first()
            .is_some_and(|w| w.dynamic || w.glob || strip::basename(&w.text) == "xargs")
    });
    let opaque = raw.dynamic_redirect
        || views.iter().flatten().any(|w| w.dynamic)
        || hidden_program
        || hidden;
    out.pieces.push(Piece {
        text,
        bare,
        redirects: raw.redirects.iter().map(redirect::classify).collect(),
        forms: forms.into_iter().collect(),
        opaque,
        hides_commands: hidden_program || hidden,
    });
    for sub in subs {
        piece(sub, depth + 1, out)?;
    }
    Ok(())
}

fn texts(words: &[Word]) -> Vec<&str> {
    words.iter().map(|w| w.text.as_str()).collect()
}

#[cfg(test)]
mod tests;
