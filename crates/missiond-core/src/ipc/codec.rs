//! Newline-delimited framing with a maximum line length.
//!
//! A line longer than the limit is reported once as [`Frame::TooLong`] and then
//! skipped up to its newline, without ever buffering more than the limit: the
//! connection stays usable and memory stays bounded. Invalid UTF-8 is left for the JSON
//! parser to report, so it becomes a parse error reply rather than a broken stream.

use tokio_util::bytes::{Buf, BufMut, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

/// Default maximum length of one message, newline excluded: 8 MiB.
pub const DEFAULT_MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A complete line, without its `\n` (and without a `\r` before it).
    Line(Vec<u8>),
    /// A line exceeded the limit; its bytes are being dropped.
    TooLong,
}

/// Codec for newline-delimited messages (both directions).
#[derive(Debug, Clone)]
pub struct LineCodec {
    max_line_bytes: usize,
    /// Dropping bytes of an over-long line until its newline.
    discarding: bool,
    /// Bytes of the buffer already searched for a newline.
    scanned: usize,
}

impl LineCodec {
    /// A codec refusing lines longer than `max_line_bytes`.
    pub fn new(max_line_bytes: usize) -> Self {
        LineCodec {
            max_line_bytes,
            discarding: false,
            scanned: 0,
        }
    }

    /// The limit in bytes.
    pub fn max_line_bytes(&self) -> usize {
        self.max_line_bytes
    }
}

impl Default for LineCodec {
    fn default() -> Self {
        LineCodec::new(DEFAULT_MAX_LINE_BYTES)
    }
}

impl Decoder for LineCodec {
    type Item = Frame;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, std::io::Error> {
        loop {
            let newline = buf[self.scanned..]
                .iter()
                .position(|b| *b == b'\n')
                .map(|i| i + self.scanned);
            match newline {
                Some(end) => {
                    self.scanned = 0;
                    if self.discarding {
                        buf.advance(end + 1);
                        self.discarding = false;
                        continue;
                    }
                    let mut line = buf.split_to(end + 1);
                    line.truncate(end);
                    if line.last() == Some(&b'\r') {
                        line.truncate(end - 1);
                    }
                    if line.len() > self.max_line_bytes {
                        return Ok(Some(Frame::TooLong));
                    }
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue; // blank lines are keep-alives, not messages
                    }
                    return Ok(Some(Frame::Line(line.to_vec())));
                }
                None if self.discarding => {
                    buf.clear();
                    self.scanned = 0;
                    return Ok(None);
                }
                // +1: a line of exactly the limit may still be waiting for "\r\n".
                None if buf.len() > self.max_line_bytes + 1 => {
                    buf.clear();
                    self.scanned = 0;
                    self.discarding = true;
                    return Ok(Some(Frame::TooLong));
                }
                None => {
                    self.scanned = buf.len();
                    return Ok(None);
                }
            }
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, std::io::Error> {
        if let Some(frame) = self.decode(buf)? {
            return Ok(Some(frame));
        }
        // A last message without a newline still counts.
        self.scanned = 0;
        if self.discarding || buf.iter().all(u8::is_ascii_whitespace) {
            buf.clear();
            return Ok(None);
        }
        let line = buf.split().to_vec();
        if line.len() > self.max_line_bytes {
            return Ok(Some(Frame::TooLong));
        }
        Ok(Some(Frame::Line(line)))
    }
}

impl Encoder<String> for LineCodec {
    type Error = std::io::Error;

    /// Writes `item` and a newline. Compact JSON never contains a raw newline; anything
    /// else with one would break framing, so it is refused.
    fn encode(&mut self, item: String, dst: &mut BytesMut) -> Result<(), std::io::Error> {
        if item.contains('\n') {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a message must not contain a newline",
            ));
        }
        dst.reserve(item.len() + 1);
        dst.put_slice(item.as_bytes());
        dst.put_u8(b'\n');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(codec: &mut LineCodec, chunks: &[&[u8]]) -> Vec<Frame> {
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for chunk in chunks {
            buf.extend_from_slice(chunk);
            while let Some(frame) = codec.decode(&mut buf).expect("decode") {
                out.push(frame);
            }
        }
        while let Some(frame) = codec.decode_eof(&mut buf).expect("decode_eof") {
            out.push(frame);
        }
        out
    }

    #[test]
    fn splits_lines_across_chunks_and_strips_crlf() {
        let mut codec = LineCodec::new(64);
        let frames = decode_all(&mut codec, &[b"ab", b"c\r\nde\n\n", b"f"]);
        assert_eq!(
            frames,
            vec![
                Frame::Line(b"abc".to_vec()),
                Frame::Line(b"de".to_vec()),
                Frame::Line(b"f".to_vec()),
            ]
        );
    }

    #[test]
    fn over_long_line_is_reported_once_and_skipped() {
        let mut codec = LineCodec::new(4);
        let frames = decode_all(&mut codec, &[b"123", b"456", b"789\nok\n"]);
        assert_eq!(frames, vec![Frame::TooLong, Frame::Line(b"ok".to_vec())]);
    }

    #[test]
    fn over_long_line_within_one_chunk_is_refused() {
        let mut codec = LineCodec::new(4);
        let frames = decode_all(&mut codec, &[b"123456\nok\n"]);
        assert_eq!(frames, vec![Frame::TooLong, Frame::Line(b"ok".to_vec())]);
    }

    #[test]
    fn a_line_of_exactly_the_limit_passes() {
        let mut codec = LineCodec::new(4);
        let frames = decode_all(&mut codec, &[b"1234\n"]);
        assert_eq!(frames, vec![Frame::Line(b"1234".to_vec())]);
    }

    #[test]
    fn an_over_long_last_line_without_newline_is_refused() {
        let mut codec = LineCodec::new(2);
        let frames = decode_all(&mut codec, &[b"ok\n\r\r\0"]);
        assert_eq!(frames, vec![Frame::Line(b"ok".to_vec()), Frame::TooLong]);
    }

    #[test]
    fn encoder_refuses_embedded_newlines() {
        let mut codec = LineCodec::default();
        let mut buf = BytesMut::new();
        codec.encode("{\"a\":1}".into(), &mut buf).expect("encode");
        assert_eq!(&buf[..], b"{\"a\":1}\n");
        assert!(codec.encode("a\nb".into(), &mut buf).is_err());
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    fn frames_of(codec_max: usize, data: &[u8], cuts: &[usize]) -> Vec<Frame> {
        let mut codec = LineCodec::new(codec_max);
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        let mut start = 0;
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
        points.sort_unstable();
        points.push(data.len());
        for end in points {
            buf.extend_from_slice(&data[start..end.max(start)]);
            start = end.max(start);
            while let Some(f) = codec.decode(&mut buf).expect("decode never fails") {
                out.push(f);
            }
            assert!(buf.len() <= codec_max + 1, "buffer is bounded");
        }
        while let Some(f) = codec.decode_eof(&mut buf).expect("decode_eof never fails") {
            out.push(f);
        }
        out
    }

    proptest! {
        /// However the bytes arrive, the frames are the same, and nothing panics.
        #[test]
        fn chunking_does_not_change_frames(
            data in proptest::collection::vec(
                prop_oneof![Just(b'\n'), Just(b'\r'), Just(b' '), any::<u8>()], 0..200),
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
            max in 1usize..40,
        ) {
            let whole = frames_of(max, &data, &[]);
            let pieces = frames_of(max, &data, &cuts);
            prop_assert_eq!(&whole, &pieces);
            for f in &whole {
                if let Frame::Line(l) = f {
                    prop_assert!(l.len() <= max);
                    prop_assert!(!l.contains(&b'\n'));
                }
            }
        }

        /// Any line gets a parse result or an error reply; never a panic.
        #[test]
        fn any_line_parses_or_is_refused(line in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = crate::ipc::protocol::parse_request(&line);
        }
    }
}
