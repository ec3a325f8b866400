//! Reading a transcript from a byte offset, streaming: complete lines only, in a fixed
//! buffer (memory grows only with the longest line).

use std::io::Read;

/// How much is read at a time.
const CHUNK: usize = 1 << 20;

/// Calls `on_line(offset_of_line, line)` for each complete line of `reader` (which starts
/// at byte `start` of its file) and returns the offset just after the last line consumed.
///
/// A last line without its newline is consumed only when it is a whole JSON value (a
/// writer that never ends its file with a newline); otherwise it is left for the next
/// read, which starts at its first byte again, so a line being written is read once,
/// whole, when it is complete.
pub fn read_lines(
    reader: &mut impl Read,
    start: u64,
    mut on_line: impl FnMut(u64, &[u8]),
) -> std::io::Result<u64> {
    let mut buf: Vec<u8> = vec![0; CHUNK];
    // Bytes [0, filled) of buf hold data from file offset `base`.
    let mut filled = 0usize;
    let mut base = start;
    loop {
        if filled == buf.len() {
            // One line longer than the buffer: grow it.
            buf.resize(buf.len() * 2, 0);
        }
        let n = match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let scan_from = filled;
        filled += n;
        // Emit every complete line in buf[..filled].
        let mut line_start = 0usize;
        let mut search = scan_from;
        while let Some(pos) = memchr::memchr(b'\n', &buf[search..filled]) {
            let end = search + pos;
            let line = trim_cr(&buf[line_start..end]);
            if !line.is_empty() {
                on_line(base + line_start as u64, line);
            }
            line_start = end + 1;
            search = line_start;
        }
        // Keep the partial line at the front.
        buf.copy_within(line_start..filled, 0);
        filled -= line_start;
        base += line_start as u64;
    }
    if filled > 0 {
        let tail = trim_cr(&buf[..filled]);
        let trimmed = tail.trim_ascii();
        if trimmed.last() == Some(&b'}')
            && serde_json::from_slice::<serde::de::IgnoredAny>(trimmed).is_ok()
        {
            on_line(base, tail);
            base += filled as u64;
        }
    }
    Ok(base)
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}
