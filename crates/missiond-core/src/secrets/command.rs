//! Running the configured secret command for one path, with a time limit.
//!
//! The path goes in as an argv element of its own: no shell sees it. The command's
//! standard input is empty; it inherits the daemon's environment (a password store needs
//! its `GNUPGHOME`, agent sockets and so on). On Unix it runs in a process group of its
//! own so a timeout kills its children too.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{ResolveFailure, SecretsConfig};

/// Placeholder for the path in the command.
pub const PATH_PLACEHOLDER: &str = "{path}";

/// Output beyond this is refused (a secret is short; a runaway command is not).
const MAX_OUTPUT: u64 = 64 * 1024;
/// How often the child is checked for exit.
const POLL: Duration = Duration::from_millis(10);
/// How much of the command's error output goes into a message.
const MAX_STDERR_SHOWN: usize = 300;

/// Splits a command line into words at whitespace. Single or double quotes group words
/// (`sh -c 'echo hi'`); there are no escapes and no expansions.
pub fn split_command(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_default().push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_default();
            }
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_default().push(c),
        }
    }
    if let Some(q) = quote {
        return Err(format!("unclosed {q} quote"));
    }
    words.extend(word);
    Ok(words)
}

/// Runs `config`'s command for `path` and returns what it printed, less the trailing
/// line end(s).
pub(super) fn fetch(config: &SecretsConfig, path: &str) -> Result<String, ResolveFailure> {
    let argv: Vec<&str> = config
        .argv()
        .iter()
        .map(|a| if a == PATH_PLACEHOLDER { path } else { a })
        .collect();
    let (program, args) = argv.split_first().ok_or(ResolveFailure::NoCommand)?;
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().map_err(|e| ResolveFailure::Spawn {
        program: program.to_string(),
        error: e.to_string(),
    })?;
    let stdout = child.stdout.take().map(read_in_background);
    let stderr = child.stderr.take().map(read_in_background);

    let deadline = Instant::now() + config.timeout();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(POLL),
            Ok(None) => {
                kill(&mut child);
                return Err(ResolveFailure::Timeout(config.timeout()));
            }
            Err(e) => {
                kill(&mut child);
                return Err(ResolveFailure::Spawn {
                    program: program.to_string(),
                    error: format!("waiting for it: {e}"),
                });
            }
        }
    };
    // A grandchild may still hold the pipes open: wait for them only until the deadline.
    let collect = |rx: Option<mpsc::Receiver<std::io::Result<Vec<u8>>>>| {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match rx.map(|rx| rx.recv_timeout(remaining.max(POLL))) {
            None => Ok(Vec::new()),
            Some(Ok(Ok(bytes))) => Ok(bytes),
            Some(Ok(Err(e))) => Err(ResolveFailure::Spawn {
                program: program.to_string(),
                error: format!("reading its output: {e}"),
            }),
            Some(Err(_)) => Err(ResolveFailure::Timeout(config.timeout())),
        }
    };
    let out = collect(stdout)?;
    let err = collect(stderr).unwrap_or_default();
    if !status.success() {
        return Err(ResolveFailure::Failed {
            status: status.to_string(),
            stderr: shorten(&String::from_utf8_lossy(&err)),
        });
    }
    if out.len() as u64 > MAX_OUTPUT {
        return Err(ResolveFailure::TooLong(MAX_OUTPUT));
    }
    let text = String::from_utf8(out).map_err(|_| ResolveFailure::NotUtf8)?;
    let value = text.trim_end_matches(['\n', '\r']);
    if value.is_empty() {
        return Err(ResolveFailure::Empty);
    }
    Ok(value.to_string())
}

/// Reads a pipe to its end (at most one byte past [`MAX_OUTPUT`]) on a thread of its own.
fn read_in_background(
    pipe: impl Read + Send + 'static,
) -> mpsc::Receiver<std::io::Result<Vec<u8>>> {
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let result = pipe
            .take(MAX_OUTPUT + 1)
            .read_to_end(&mut bytes)
            .map(|_| bytes);
        // The receiver may be gone after a timeout; nothing to do then.
        let _ = tx.send(result);
    });
    rx
}

fn kill(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the process group we created for
        // this child (process_group(0) made its pid the group id); no memory is involved.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The first lines of an error output, cut to a readable length.
fn shorten(stderr: &str) -> String {
    let text = stderr.trim();
    match text.char_indices().nth(MAX_STDERR_SHOWN) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_command_table() {
        let cases: [(&str, &[&str]); 6] = [
            ("pass show {path}", &["pass", "show", "{path}"]),
            ("  a   b\tc ", &["a", "b", "c"]),
            (
                "sh -c 'printf %s \"$1\"' sh {path}",
                &["sh", "-c", "printf %s \"$1\"", "sh", "{path}"],
            ),
            ("x \"\" y", &["x", "", "y"]),
            ("a'b c'd", &["ab cd"]),
            ("", &[]),
        ];
        for (line, want) in cases {
            let words = split_command(line).expect(line);
            assert_eq!(words, want, "{line:?}");
        }
        assert!(
            split_command("sh -c 'oops")
                .expect_err("unclosed")
                .contains('\'')
        );
    }

    #[test]
    fn shorten_cuts_long_errors() {
        assert_eq!(shorten("  short\n"), "short");
        let long = "é".repeat(400);
        let cut = shorten(&long);
        assert_eq!(cut.chars().count(), MAX_STDERR_SHOWN + 1);
        assert!(cut.ends_with('…'));
    }
}
