//! A PTY log for `mission_pty_logs`: parsed, and its output bytes (`log_render` renders
//! it as a person saw it).

use semantic_terminal::recording::{Entry, Recording};

/// A log's recording and the number of a last line cut short (skipped). A log that
/// cannot be parsed yields its good lines.
pub fn parse(log: &str) -> (Recording, Option<usize>) {
    match super::pty_log::parse_recording(log) {
        Ok((recording, cut)) => (recording, cut),
        Err(_) => {
            // Damaged in the middle: keep what still reads (the header is the first line).
            let mut recording = Recording::default();
            for (i, line) in log.lines().enumerate() {
                if let Ok(r) = Recording::parse(line) {
                    if i == 0 {
                        recording.header = r.header;
                    }
                    recording.entries.extend(r.entries);
                }
            }
            (recording, None)
        }
    }
}

/// The output bytes of a recording, in order.
pub fn collect(recording: &Recording) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in &recording.entries {
        if let Entry::Output { bytes, .. } = entry {
            out.extend_from_slice(bytes);
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
    fn tail_cuts_on_a_char_boundary() {
        assert_eq!(tail("abc", 5), ("abc", false));
        assert_eq!(tail("aé b", 3), (" b", true));
    }

    #[test]
    fn decodes_output_of_a_log_even_when_cut_short() {
        let log = "{\"version\":1,\"cols\":80,\"rows\":24}\n{\"t\":0.1,\"b64\":\"aGk=\"}\n{\"t\":0.2,\"resize\":{\"cols\":90,\"rows\":20}}\n{\"t\":0.3,\"b64\":\"IHRoZXJl\"}\n{\"t\":0.4,\"b6";
        let (recording, cut) = parse(log);
        assert_eq!((collect(&recording), cut), (b"hi there".to_vec(), Some(5)));
        let whole = &log[..log.rfind('\n').unwrap() + 1];
        let (recording, cut) = parse(whole);
        assert_eq!((collect(&recording), cut), (b"hi there".to_vec(), None));
    }
}
