//! Where client commands print: JSON with `--json`, else text for a person. Text on
//! stdout always ends in a newline and is flushed before anything goes to stderr, so a
//! footer such as `[Idle]` stays on a line of its own when both reach one terminal.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

/// The output mode of one command.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    /// `--json`: one JSON document on stdout instead of text.
    pub json: bool,
}

impl Out {
    /// `value` as JSON with `--json`, else `human(value)`.
    pub fn show<T: Serialize>(self, value: &T, human: impl FnOnce(&T)) -> Result<()> {
        if self.json {
            json(value)
        } else {
            human(value);
            Ok(())
        }
    }
}

/// `value` as pretty JSON on stdout.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// `text` on stdout, with a final newline, flushed.
pub fn body(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = stdout.write_all(b"\n");
    }
    let _ = stdout.flush();
}

/// `bytes` on stdout exactly as given, flushed.
pub fn raw(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(bytes);
    let _ = stdout.flush();
}
