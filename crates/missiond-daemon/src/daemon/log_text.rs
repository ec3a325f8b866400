//! A PTY log as plain text for `mission_pty_logs`: the recorded output decoded and its
//! terminal control sequences removed.

use semantic_terminal::recording::{Entry, Recording};

/// The output bytes of a recording's text, in order, and the number of a last line cut
/// short (skipped). A log that cannot be parsed yields the output of its good lines.
pub fn output_bytes(log: &str) -> (Vec<u8>, Option<usize>) {
    match super::pty_log::parse_recording(log) {
        Ok((recording, cut)) => (collect(&recording), cut),
        Err(_) => {
            // Damaged in the middle: keep what still reads.
            let good: String = log
                .lines()
                .filter(|l| Recording::parse(l).is_ok())
                .map(|l| format!("{l}\n"))
                .collect();
            let bytes = Recording::parse(&good)
                .map(|r| collect(&r))
                .unwrap_or_default();
            (bytes, None)
        }
    }
}

fn collect(recording: &Recording) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in &recording.entries {
        if let Entry::Output { bytes, .. } = entry {
            out.extend_from_slice(bytes);
        }
    }
    out
}

/// Remove escape sequences (CSI, OSC, DCS and two-byte ESC forms) and control
/// characters other than newline and tab; carriage returns become newlines.
pub fn strip_controls(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                Some('[') => {
                    // CSI: parameters, then one final byte in @..~.
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') | Some('P') | Some('_') | Some('^') => {
                    // String sequences end with BEL or ESC \.
                    while let Some(c) = chars.next() {
                        if c == '\x07' {
                            break;
                        }
                        if c == '\x1b' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                Some('(') | Some(')') | Some('#') => {
                    chars.next();
                }
                _ => {}
            },
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The last `max` bytes of `text`, cut at a character boundary; and whether it was cut.
pub fn tail(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    (&text[start..], true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_sequences_and_keeps_text() {
        let raw = b"\x1b[?1049h\x1b]0;\xe2\x9c\xb3 Claude Code\x07\x1b[1;31mred\x1b[0m ok\r\nnext\rline\x1b(B\x08";
        assert_eq!(strip_controls(raw), "red ok\nnext\nline");
    }

    #[test]
    fn tail_cuts_on_a_char_boundary() {
        assert_eq!(tail("abc", 5), ("abc", false));
        assert_eq!(tail("aé b", 3), (" b", true));
    }

    #[test]
    fn decodes_output_of_a_log_even_when_cut_short() {
        let log = "{\"version\":1,\"cols\":80,\"rows\":24}\n{\"t\":0.1,\"b64\":\"aGk=\"}\n{\"t\":0.2,\"resize\":{\"cols\":90,\"rows\":20}}\n{\"t\":0.3,\"b64\":\"IHRoZXJl\"}\n{\"t\":0.4,\"b6";
        assert_eq!(output_bytes(log), (b"hi there".to_vec(), Some(5)));
        let whole = &log[..log.rfind('\n').unwrap() + 1];
        assert_eq!(output_bytes(whole), (b"hi there".to_vec(), None));
    }
}
