//! Seeing through wrappers: what command does `sudo env FOO=1 nohup rm -rf x` run?
//!
//! Each step removes one layer (leading assignments, or one wrapper with its options);
//! the caller keeps every intermediate form, so a deny rule may match any of them.

use super::lex::Word;

/// Shell keywords that may open a simple command; they are syntax, not programs.
const KEYWORDS: &[&str] = &[
    "!", "{", "if", "then", "else", "elif", "do", "while", "until",
];

/// Words that only close a compound command (a piece made of these alone is dropped).
const CLOSERS: &[&str] = &["}", "fi", "done", "esac", "then", "else", "do"];

/// Shells whose `-c STRING` runs STRING as a command line.
pub(crate) const SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish"];

/// A wrapper and its options that take a separate value (`sudo -u root`).
struct Wrapper {
    name: &'static str,
    valued: &'static [&'static str],
    /// Words after the options that belong to the wrapper (`timeout 5 cmd`).
    positional: usize,
}

const WRAPPERS: &[Wrapper] = &[
    Wrapper {
        name: "sudo",
        valued: &[
            "-u",
            "-g",
            "-h",
            "-p",
            "-C",
            "-D",
            "-r",
            "-t",
            "-T",
            "-U",
            "--user",
            "--group",
            "--host",
            "--prompt",
            "--close-from",
            "--chdir",
            "--role",
            "--type",
            "--command-timeout",
            "--other-user",
        ],
        positional: 0,
    },
    Wrapper {
        name: "doas",
        valued: &["-u", "-C"],
        positional: 0,
    },
    Wrapper {
        name: "env",
        valued: &["-u", "--unset", "-C", "--chdir", "-S", "--split-string"],
        positional: 0,
    },
    Wrapper {
        name: "command",
        valued: &[],
        positional: 0,
    },
    Wrapper {
        name: "builtin",
        valued: &[],
        positional: 0,
    },
    Wrapper {
        name: "exec",
        valued: &["-a"],
        positional: 0,
    },
    Wrapper {
        name: "nohup",
        valued: &[],
        positional: 0,
    },
    Wrapper {
        name: "setsid",
        valued: &[],
        positional: 0,
    },
    Wrapper {
        name: "time",
        valued: &["-f", "-o", "--format", "--output"],
        positional: 0,
    },
    Wrapper {
        name: "nice",
        valued: &["-n", "--adjustment"],
        positional: 0,
    },
    Wrapper {
        name: "ionice",
        valued: &["-c", "-n", "-p", "-P", "-u", "--class", "--classdata"],
        positional: 0,
    },
    Wrapper {
        name: "stdbuf",
        valued: &["-i", "-o", "-e", "--input", "--output", "--error"],
        positional: 0,
    },
    Wrapper {
        name: "timeout",
        valued: &["-s", "-k", "--signal", "--kill-after"],
        positional: 1,
    },
    Wrapper {
        name: "busybox",
        valued: &[],
        positional: 0,
    },
    Wrapper {
        name: "xargs",
        valued: &[
            "-a",
            "-d",
            "-E",
            "-I",
            "-L",
            "-n",
            "-P",
            "-s",
            "--arg-file",
            "--delimiter",
            "--eof",
            "--replace",
            "--max-lines",
            "--max-args",
            "--max-procs",
            "--max-chars",
            "--process-slot-var",
        ],
        positional: 0,
    },
];

/// The last path component (`/bin/rm` -> `rm`).
pub(crate) fn basename(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// Drops leading keywords; `None` when nothing but closers is left.
pub(crate) fn strip_keywords(words: &[Word]) -> Option<Vec<Word>> {
    let start = words
        .iter()
        .position(|w| w.first_quoted.is_some() || !KEYWORDS.contains(&w.text.as_str()))
        .unwrap_or(words.len());
    let rest = &words[start..];
    let only_closers = rest
        .iter()
        .all(|w| w.first_quoted.is_none() && CLOSERS.contains(&w.text.as_str()));
    (!only_closers).then(|| rest.to_vec())
}

/// Removes one layer: leading assignments, or one known wrapper (matched by basename,
/// so `/usr/bin/sudo` counts) with its options. `None` when there is nothing to remove.
pub(crate) fn strip_once(words: &[Word]) -> Option<Vec<Word>> {
    let first = words.first()?;
    if first.is_assignment() {
        let n = words.iter().take_while(|w| w.is_assignment()).count();
        return Some(words[n..].to_vec());
    }
    let name = basename(&first.text);
    let wrapper = WRAPPERS.iter().find(|w| w.name == name)?;
    let mut i = 1;
    let mut split: Vec<Word> = Vec::new();
    while let Some(w) = words.get(i) {
        let t = w.text.as_str();
        if t == "--" {
            i += 1;
            break;
        }
        if wrapper.name == "env" && w.is_assignment() {
            i += 1;
            continue;
        }
        if !t.starts_with('-') || t == "-" && wrapper.name != "env" {
            break;
        }
        i += 1;
        let valued = wrapper.valued.contains(&t);
        if wrapper.name == "env" && matches!(t, "-S" | "--split-string") {
            // `env -S 'rm -rf /'`: the value is itself split into words.
            if let Some(v) = words.get(i) {
                split.extend(v.text.split_whitespace().map(Word::plain));
            }
            i += 1;
            continue;
        }
        if let Some(v) = t
            .strip_prefix("--split-string=")
            .filter(|_| wrapper.name == "env")
        {
            split.extend(v.split_whitespace().map(Word::plain));
            continue;
        }
        if valued {
            i += 1;
        }
    }
    i += wrapper.positional;
    let mut rest = split;
    rest.extend(words.get(i..).unwrap_or_default().iter().cloned());
    Some(rest)
}

/// What a shell invocation runs.
pub(crate) enum ShellCall<'a> {
    /// Not a shell, or a shell running a script file (not seen through).
    No,
    /// `bash -c 'STRING'`: the command line it runs.
    String(&'a Word),
    /// Commands come from somewhere no rule sees: stdin (`curl … | sh`, `sh -s`,
    /// `bash <<<…`) or arguments appended later (`xargs sh -c`).
    Hidden,
}

/// Classifies `words` as a shell invocation (`sh`, `bash`, `zsh` … by basename).
pub(crate) fn shell_call(words: &[Word]) -> ShellCall<'_> {
    let Some(first) = words.first() else {
        return ShellCall::No;
    };
    if !SHELLS.contains(&basename(&first.text)) {
        return ShellCall::No;
    }
    let mut wants_string = false;
    let mut skip_value = false;
    for w in &words[1..] {
        let t = w.text.as_str();
        if wants_string {
            return ShellCall::String(w);
        }
        if skip_value {
            skip_value = false;
        } else if t == "-s" {
            return ShellCall::Hidden;
        } else if t.starts_with('-') && !t.starts_with("--") && t.contains('c') {
            wants_string = true;
        } else if matches!(t, "-o" | "+o" | "-O" | "+O") {
            skip_value = true;
        } else if !t.starts_with(['-', '+']) {
            return ShellCall::No;
        }
    }
    ShellCall::Hidden
}

/// `eval ARGS`: the command line eval will run.
pub(crate) fn eval_string(words: &[Word]) -> Option<String> {
    (words.first()?.text == "eval").then(|| {
        words[1..]
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// `find … -exec CMD … ;` (and `-execdir`, `-ok`, `-okdir`): the commands find runs.
pub(crate) fn find_exec(words: &[Word]) -> Vec<Vec<Word>> {
    if words.first().map(|w| basename(&w.text)) != Some("find") {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut iter = words[1..].iter();
    while let Some(w) = iter.next() {
        if matches!(w.text.as_str(), "-exec" | "-execdir" | "-ok" | "-okdir") {
            let cmd: Vec<Word> = iter
                .by_ref()
                .take_while(|w| w.text != ";" && w.text != "+")
                .cloned()
                .collect();
            if !cmd.is_empty() {
                out.push(cmd);
            }
        }
    }
    out
}
