//! The recording format shared by `missiond record`, `missiond replay`, the daemon's PTY
//! logs and the test fixtures: JSON lines, one per output chunk or resize.
//!
//! ```text
//! {"version": 1, "cols": 120, "rows": 40, "command": ["claude"]}   optional header
//! {"t": 0.125, "b64": "G1s/MjVs"}                                  bytes the program wrote
//! {"t": 4.5, "resize": {"cols": 80, "rows": 24}}                   the terminal was resized
//! {"t": 9.0, "exit": 0}                                            the program exited (optional)
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

/// The first line of a recording, when present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub version: u32,
    pub cols: u16,
    pub rows: u16,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
}

/// One line of a recording after the header.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// Bytes the program wrote, at `t` seconds since the start.
    Output { t: f64, bytes: Vec<u8> },
    /// The terminal was resized.
    Resize { t: f64, cols: u16, rows: u16 },
    /// The program exited with this code (None when killed by a signal).
    Exit { t: f64, code: Option<i32> },
}

impl Entry {
    /// The entry's time.
    pub fn t(&self) -> f64 {
        match self {
            Entry::Output { t, .. } | Entry::Resize { t, .. } | Entry::Exit { t, .. } => *t,
        }
    }

    /// This entry as one JSON line (without the newline).
    pub fn to_line(&self) -> String {
        let t = (self.t() * 1_000_000.0).round() / 1_000_000.0;
        let value = match self {
            Entry::Output { bytes, .. } => serde_json::json!({"t": t, "b64": B64.encode(bytes)}),
            Entry::Resize { cols, rows, .. } => {
                serde_json::json!({"t": t, "resize": {"cols": cols, "rows": rows}})
            }
            Entry::Exit { code, .. } => serde_json::json!({"t": t, "exit": code}),
        };
        value.to_string()
    }
}

/// A line that is not valid recording JSON.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    pub reason: String,
}

/// A whole recording, parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recording {
    pub header: Option<Header>,
    pub entries: Vec<Entry>,
}

impl Recording {
    /// Parse a recording's text. Blank lines are skipped; anything else that is not a
    /// header (first line only), output, resize or exit line is an error naming its line.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let mut recording = Recording::default();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            if raw.trim().is_empty() {
                continue;
            }
            let err = |reason: String| ParseError { line, reason };
            let value: serde_json::Value =
                serde_json::from_str(raw).map_err(|e| err(format!("not JSON: {e}")))?;
            if value.get("version").is_some() {
                if recording.header.is_some() || !recording.entries.is_empty() {
                    return Err(err("a header may only be the first line".into()));
                }
                let header: Header =
                    serde_json::from_value(value).map_err(|e| err(format!("bad header: {e}")))?;
                recording.header = Some(header);
                continue;
            }
            let t = value
                .get("t")
                .and_then(|t| t.as_f64())
                .filter(|t| t.is_finite() && *t >= 0.0)
                .ok_or_else(|| err("missing or invalid \"t\"".into()))?;
            if let Some(b64) = value.get("b64") {
                let b64 = b64
                    .as_str()
                    .ok_or_else(|| err("\"b64\" must be a string".into()))?;
                let bytes = B64
                    .decode(b64)
                    .map_err(|e| err(format!("bad base64: {e}")))?;
                recording.entries.push(Entry::Output { t, bytes });
            } else if let Some(resize) = value.get("resize") {
                let dim = |k: &str| {
                    resize
                        .get(k)
                        .and_then(|v| v.as_u64())
                        .filter(|v| (1..=u16::MAX as u64).contains(v))
                        .map(|v| v as u16)
                        .ok_or_else(|| err(format!("resize needs a positive \"{k}\"")))
                };
                recording.entries.push(Entry::Resize {
                    t,
                    cols: dim("cols")?,
                    rows: dim("rows")?,
                });
            } else if let Some(code) = value.get("exit") {
                recording.entries.push(Entry::Exit {
                    t,
                    code: code.as_i64().map(|c| c as i32),
                });
            } else {
                return Err(err("expected \"b64\", \"resize\" or \"exit\"".into()));
            }
        }
        Ok(recording)
    }

    /// The size to replay at: the header's, else `fallback`.
    pub fn size_or(&self, fallback: (u16, u16)) -> (u16, u16) {
        self.header
            .as_ref()
            .map(|h| (h.cols, h.rows))
            .unwrap_or(fallback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_entry_kind() {
        let entries = vec![
            Entry::Output {
                t: 0.5,
                bytes: b"\x1b[2Jhi \xe2\x9c\xbb".to_vec(),
            },
            Entry::Resize {
                t: 1.25,
                cols: 80,
                rows: 24,
            },
            Entry::Exit {
                t: 2.0,
                code: Some(0),
            },
        ];
        let header = Header {
            version: 1,
            cols: 120,
            rows: 40,
            command: vec!["claude".into()],
        };
        let mut text = serde_json::to_string(&header).unwrap();
        for e in &entries {
            text.push('\n');
            text.push_str(&e.to_line());
        }
        let parsed = Recording::parse(&text).unwrap();
        assert_eq!(parsed.header, Some(header));
        assert_eq!(parsed.entries, entries);
    }

    #[test]
    fn errors_name_the_line() {
        let text = "{\"t\": 0.1, \"b64\": \"aGk=\"}\n{\"t\": 0.2, \"b64\": 7}\n";
        let e = Recording::parse(text).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(Recording::parse("{\"t\": -1, \"b64\": \"\"}").is_err());
        assert!(Recording::parse("{\"t\": 1, \"resize\": {\"cols\": 0, \"rows\": 3}}").is_err());
        assert!(Recording::parse("{\"t\": 1}").is_err());
    }
}
