//! The text a terminal shows for a byte stream, with a map back to the bytes: what the
//! scrubber matches on, so a secret interleaved with escape sequences
//! (`s\e[0me\e[0mc...`) is still one run of text.
//!
//! Escape sequences (CSI, OSC, DCS/SOS/PM/APC, two- and three-byte `ESC` sequences) and
//! C0 controls other than `\n`, `\r` and `\t` are left out. A cursor movement that can
//! change the line (`CUP`, `CUU`, `CUD`, `VPA`, `CNL`, `CPL`, `IND`, `RI`, `NEL`) counts
//! as a line break, so text on two rows is never joined into one token; moves along the
//! same row and colour changes join what is on either side.

/// A byte stream's visible text.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Visible {
    /// The visible bytes (a virtual `\n` for a line-changing cursor move).
    pub text: Vec<u8>,
    /// For each visible byte, the raw byte range it came from.
    pub origin: Vec<(usize, usize)>,
    /// Where an escape sequence starts that the input ends inside of.
    pub incomplete_from: Option<usize>,
}

const ESC: u8 = 0x1b;
const BEL: u8 = 0x07;

/// Whether `raw` holds anything [`project`] would leave out or change.
pub fn has_controls(raw: &[u8]) -> bool {
    raw.iter()
        .any(|&b| b == ESC || (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t')) || b == 0x7f)
}

/// The visible text of `raw`.
pub fn project(raw: &[u8]) -> Visible {
    let mut v = Visible {
        text: Vec::with_capacity(raw.len()),
        origin: Vec::with_capacity(raw.len()),
        incomplete_from: None,
    };
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == ESC {
            match escape_end(raw, i) {
                Some((end, breaks_line)) => {
                    if breaks_line {
                        v.text.push(b'\n');
                        v.origin.push((i, end));
                    }
                    i = end;
                }
                None => {
                    v.incomplete_from = Some(i);
                    break;
                }
            }
            continue;
        }
        if (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t')) || b == 0x7f {
            i += 1;
            continue;
        }
        v.text.push(b);
        v.origin.push((i, i + 1));
        i += 1;
    }
    v
}

/// The end of the escape sequence starting at `raw[start]` (an `ESC`) and whether it can
/// move the cursor to another line; `None` when `raw` ends inside it.
fn escape_end(raw: &[u8], start: usize) -> Option<(usize, bool)> {
    let next = *raw.get(start + 1)?;
    match next {
        b'[' => {
            let mut j = start + 2;
            loop {
                let b = *raw.get(j)?;
                match b {
                    0x20..=0x3f => j += 1,
                    0x40..=0x7e => {
                        let moves = matches!(b, b'A' | b'B' | b'E' | b'F' | b'H' | b'f' | b'd');
                        return Some((j + 1, moves));
                    }
                    // Not a valid CSI: it ends here, the byte is read normally.
                    _ => return Some((j, false)),
                }
            }
        }
        b']' | b'P' | b'X' | b'^' | b'_' => {
            let mut j = start + 2;
            loop {
                match *raw.get(j)? {
                    BEL => return Some((j + 1, false)),
                    ESC => {
                        let after = *raw.get(j + 1)?;
                        return Some((if after == b'\\' { j + 2 } else { j }, false));
                    }
                    _ => j += 1,
                }
            }
        }
        0x20..=0x2f => {
            raw.get(start + 2)?;
            Some((start + 3, false))
        }
        b'D' | b'E' | b'M' => Some((start + 2, true)),
        _ => Some((start + 2, false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(raw: &[u8]) -> String {
        String::from_utf8(project(raw).text).expect("utf8")
    }

    #[test]
    fn escapes_and_controls_are_left_out_and_line_moves_break() {
        assert_eq!(text(b"a\x1b[0mb\x1b[38;2;1;2;3mc"), "abc");
        assert_eq!(text(b"a\x1b]0;title\x07b\x1b]8;;http://x\x1b\\c"), "abc");
        assert_eq!(text(b"a\x1b(Bb\x1b7c\x08d"), "abcd");
        assert_eq!(text(b"a\x1b[5Cb"), "ab", "a move along the row joins");
        assert_eq!(text(b"a\x1b[3;1Hb"), "a\nb", "a move to another row breaks");
        assert_eq!(text("é\x1b[1m€".as_bytes()), "é€");
    }

    #[test]
    fn an_unfinished_escape_is_reported_and_origins_point_at_the_bytes() {
        let v = project(b"ab\x1b[0mc\x1b[38;5");
        assert_eq!(v.text, b"abc");
        assert_eq!(v.origin, vec![(0, 1), (1, 2), (6, 7)]);
        assert_eq!(v.incomplete_from, Some(7));
        assert_eq!(project(b"x\x1b").incomplete_from, Some(1));
        assert_eq!(project(b"x\x1b]0;never ends").incomplete_from, Some(1));
    }
}
