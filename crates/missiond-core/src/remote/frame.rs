//! One frame on the runner link: `u32` total length (big-endian), `u32` header length,
//! the header (a JSON [`Msg`]), then the payload bytes (output, input, forwarded socket
//! data) as they are, so terminal output costs no encoding on the link.
//!
//! The first frame each way is a handshake ([`Msg::Hello`], [`Msg::Welcome`]) carrying
//! [`PROTOCOL_VERSION`]; a peer speaking another version is refused with a clear error.

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The protocol's version; both sides must speak the same.
pub const PROTOCOL_VERSION: u32 = 2;

/// The largest frame either side accepts (a chunk of output is 16 KiB; a spawn carries
/// settings files).
pub const MAX_FRAME: usize = 16 * 1024 * 1024;

/// What the daemon asks of a runner to start a slot's program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpawnSpec {
    /// The program and its arguments.
    pub program: String,
    pub args: Vec<String>,
    /// Working folder on the host; `~` and `~/...` are the host user's home.
    pub cwd: String,
    /// Environment added to the runner's own.
    pub env: Vec<(String, String)>,
    /// Variables the program must not inherit from the runner.
    pub env_remove: Vec<String>,
    pub cols: u16,
    pub rows: u16,
    /// Files the runner writes into the slot's folder on the host before starting
    /// (Claude Code's settings, the permissions file); `{slot_dir}` in `args` and `env`
    /// values is replaced with that folder.
    pub files: Vec<(String, String)>,
    /// Seconds the program keeps running without a daemon connected before the runner
    /// ends it.
    pub detached_timeout_secs: u64,
    /// The slot's `isolation`: the runner starts the program in a bubblewrap sandbox on
    /// the host (`auto`: when the host has one; `sandbox`: or not at all).
    #[serde(default)]
    pub isolation: crate::config::slots::Isolation,
}

/// The daemon's side of the handshake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: u32,
    /// The daemon's runner version (see the daemon's `remote::install`).
    pub version: String,
    /// The run the daemon was connected to, when reconnecting.
    pub resume: Option<Resume>,
}

/// Where a reconnecting daemon left off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resume {
    pub run_id: String,
    /// The last output sequence number the daemon processed.
    pub output_acked: u64,
}

/// The runner's side of the handshake: what it has running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    pub protocol: u32,
    pub version: String,
    /// The run the runner holds, if any.
    pub run: Option<RunInfo>,
}

/// A run a runner holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInfo {
    pub run_id: String,
    /// The program's pid on the host.
    pub pid: Option<u32>,
    /// The last control sequence number applied (input, resize, signal).
    pub control_applied: u64,
}

/// What travels from daemon to runner after the handshake, in order; each carries a
/// sequence number so a resent one is applied once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Control {
    /// Bytes for the program (the frame's payload).
    Input,
    /// A new terminal size.
    Resize { cols: u16, rows: u16 },
    /// A signal for the program's process group.
    Signal { signal: i32 },
}

/// A frame's header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// Daemon -> runner, first frame.
    Hello(Hello),
    /// Runner -> daemon, answer to `Hello`.
    Welcome(Welcome),
    /// Daemon -> runner: start the program (only when no run is held).
    Spawn {
        run_id: String,
        spec: SpawnSpec,
    },
    /// Runner -> daemon: the program started.
    Spawned {
        run_id: String,
        /// The program's pid on the host (its own, also inside a sandbox).
        pid: Option<u32>,
        /// It runs in a bubblewrap sandbox on the host.
        #[serde(default)]
        sandboxed: bool,
    },
    /// Runner -> daemon: the program could not start.
    SpawnFailed {
        message: String,
    },
    /// Daemon -> runner: input, resize or signal number `seq`.
    Control {
        seq: u64,
        control: Control,
    },
    /// Runner -> daemon: the program wrote the payload; `seq` counts chunks from 1.
    Output {
        seq: u64,
    },
    /// Daemon -> runner: output up to `seq` is processed; the runner may forget it.
    Ack {
        seq: u64,
    },
    /// Runner -> daemon: output before `first` was dropped (the buffer was full while
    /// no daemon was connected); `bytes` were lost.
    Gap {
        first: u64,
        bytes: u64,
    },
    /// Runner -> daemon: the program exited after output `after_seq` (`code` is `None`
    /// when a signal ended it).
    Exit {
        code: Option<i32>,
        after_seq: u64,
    },
    /// Daemon -> runner: the exit is recorded; the runner may end.
    Done,
    /// Runner -> daemon: a connection to the slot's socket on the host opened (a hook,
    /// an agent tool); the daemon connects it to the slot's own endpoint.
    Open {
        conn: u64,
    },
    /// Either way: bytes (the payload) on forwarded connection `conn`.
    Data {
        conn: u64,
    },
    /// Either way: forwarded connection `conn` closed.
    Close {
        conn: u64,
    },
    /// Either way: a keep-alive; the answer is `Pong` with the same `nonce`.
    Ping {
        nonce: u64,
    },
    Pong {
        nonce: u64,
    },
    /// Daemon -> runner, after each handshake of a Claude Code slot: follow the session's
    /// files on the host (its transcript from byte `transcript_from`, what the daemon
    /// already has; its status file, sent again whole) and stream their changes.
    Watch {
        session_id: String,
        transcript_from: u64,
    },
    /// Runner -> daemon: transcript bytes (the payload) found at byte `offset` of the
    /// session's transcript on the host.
    Transcript {
        offset: u64,
    },
    /// Runner -> daemon: the whole content (the payload) of the session's status file
    /// `sessions/<name>` on the host, as last written.
    Status {
        name: String,
    },
    /// Runner -> daemon: something went wrong that the daemon should log.
    Error {
        message: String,
    },
}

/// A header and its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub msg: Msg,
    pub payload: Vec<u8>,
}

impl Frame {
    /// A frame without payload.
    pub fn new(msg: Msg) -> Self {
        Frame {
            msg,
            payload: Vec::new(),
        }
    }

    /// A frame carrying bytes.
    pub fn with_payload(msg: Msg, payload: Vec<u8>) -> Self {
        Frame { msg, payload }
    }

    /// The frame as it goes on the wire.
    pub fn encode(&self) -> Result<Vec<u8>, FrameError> {
        let header = serde_json::to_vec(&self.msg).map_err(FrameError::Header)?;
        let total = 4 + header.len() + self.payload.len();
        if total > MAX_FRAME {
            return Err(FrameError::TooLarge(total));
        }
        let mut out = Vec::with_capacity(4 + total);
        out.extend_from_slice(&(total as u32).to_be_bytes());
        out.extend_from_slice(&(header.len() as u32).to_be_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&self.payload);
        Ok(out)
    }

    /// Decodes a frame's body (everything after the total length).
    pub fn decode(body: &[u8]) -> Result<Frame, FrameError> {
        if body.len() < 4 {
            return Err(FrameError::Malformed(
                "shorter than its header length".into(),
            ));
        }
        let hlen = u32::from_be_bytes([body[0], body[1], body[2], body[3]]) as usize;
        let rest = &body[4..];
        if hlen > rest.len() {
            return Err(FrameError::Malformed(format!(
                "header of {hlen} bytes in a frame of {}",
                body.len()
            )));
        }
        let msg = serde_json::from_slice(&rest[..hlen]).map_err(FrameError::Header)?;
        Ok(Frame {
            msg,
            payload: rest[hlen..].to_vec(),
        })
    }

    /// Reads one frame; `Ok(None)` at a clean end of stream (between frames).
    pub async fn read_async<R: AsyncRead + Unpin>(r: &mut R) -> Result<Option<Frame>, FrameError> {
        let mut len = [0u8; 4];
        match r.read_exact(&mut len).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(FrameError::Io(e)),
        }
        let body = read_len_checked(u32::from_be_bytes(len) as usize)?;
        let mut body = vec![0u8; body];
        r.read_exact(&mut body).await.map_err(FrameError::Io)?;
        Frame::decode(&body).map(Some)
    }

    /// Writes one frame and flushes.
    pub async fn write_async<W: AsyncWrite + Unpin>(&self, w: &mut W) -> Result<(), FrameError> {
        let bytes = self.encode()?;
        w.write_all(&bytes).await.map_err(FrameError::Io)?;
        w.flush().await.map_err(FrameError::Io)
    }

    /// Blocking [`Frame::read_async`].
    pub fn read_sync<R: Read>(r: &mut R) -> Result<Option<Frame>, FrameError> {
        let mut len = [0u8; 4];
        match r.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(FrameError::Io(e)),
        }
        let body = read_len_checked(u32::from_be_bytes(len) as usize)?;
        let mut body = vec![0u8; body];
        r.read_exact(&mut body).map_err(FrameError::Io)?;
        Frame::decode(&body).map(Some)
    }

    /// Blocking [`Frame::write_async`].
    pub fn write_sync<W: Write>(&self, w: &mut W) -> Result<(), FrameError> {
        let bytes = self.encode()?;
        w.write_all(&bytes).map_err(FrameError::Io)?;
        w.flush().map_err(FrameError::Io)
    }
}

fn read_len_checked(len: usize) -> Result<usize, FrameError> {
    if len > MAX_FRAME {
        return Err(FrameError::TooLarge(len));
    }
    if len < 4 {
        return Err(FrameError::Malformed(format!("frame of {len} bytes")));
    }
    Ok(len)
}

/// Checks the peer's protocol version.
pub fn check_protocol(peer: u32) -> Result<(), FrameError> {
    if peer == PROTOCOL_VERSION {
        Ok(())
    } else {
        Err(FrameError::Version {
            ours: PROTOCOL_VERSION,
            theirs: peer,
        })
    }
}

/// A frame that could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("the link failed: {0}")]
    Io(#[source] std::io::Error),
    #[error("a frame of {0} bytes is over the {MAX_FRAME}-byte limit")]
    TooLarge(usize),
    #[error("malformed frame: {0}")]
    Malformed(String),
    #[error("unreadable frame header: {0}")]
    Header(#[source] serde_json::Error),
    #[error("the runner speaks protocol {theirs}, this daemon speaks {ours}")]
    Version { ours: u32, theirs: u32 },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(frame: Frame) {
        let bytes = frame.encode().unwrap();
        let mut cursor = std::io::Cursor::new(bytes);
        let back = Frame::read_sync(&mut cursor).unwrap().unwrap();
        assert_eq!(back, frame);
        assert!(
            Frame::read_sync(&mut cursor).unwrap().is_none(),
            "clean end"
        );
    }

    #[test]
    fn every_kind_of_message_survives_the_wire() {
        roundtrip(Frame::new(Msg::Hello(Hello {
            protocol: PROTOCOL_VERSION,
            version: "0.1.0-abc".into(),
            resume: Some(Resume {
                run_id: "r1".into(),
                output_acked: 41,
            }),
        })));
        roundtrip(Frame::with_payload(
            Msg::Output { seq: 7 },
            b"\x1b[2J\x00\xffbinary".to_vec(),
        ));
        roundtrip(Frame::with_payload(
            Msg::Control {
                seq: 3,
                control: Control::Input,
            },
            b"ls\r".to_vec(),
        ));
        roundtrip(Frame::new(Msg::Control {
            seq: 4,
            control: Control::Resize { cols: 80, rows: 24 },
        }));
        roundtrip(Frame::new(Msg::Watch {
            session_id: "s".into(),
            transcript_from: 12,
        }));
        roundtrip(Frame::with_payload(
            Msg::Transcript { offset: 12 },
            b"{\"type\":\"user\"}\n".to_vec(),
        ));
        roundtrip(Frame::with_payload(
            Msg::Status {
                name: "42.json".into(),
            },
            b"{}".to_vec(),
        ));
        roundtrip(Frame::new(Msg::Exit {
            code: None,
            after_seq: 9,
        }));
        roundtrip(Frame::new(Msg::Spawn {
            run_id: "r".into(),
            spec: SpawnSpec {
                program: "bash".into(),
                args: vec!["-l".into()],
                cwd: "~/w".into(),
                env: vec![("A".into(), "b c".into())],
                env_remove: vec!["X".into()],
                cols: 100,
                rows: 30,
                files: vec![("settings.json".into(), "{}".into())],
                detached_timeout_secs: 600,
                isolation: crate::config::slots::Isolation::Sandbox,
            },
        }));
    }

    #[test]
    fn the_header_is_json_and_the_payload_raw() {
        let bytes = Frame::with_payload(Msg::Data { conn: 2 }, b"xyz".to_vec())
            .encode()
            .unwrap();
        let total = u32::from_be_bytes(bytes[0..4].try_into().unwrap()) as usize;
        assert_eq!(total, bytes.len() - 4);
        let hlen = u32::from_be_bytes(bytes[4..8].try_into().unwrap()) as usize;
        let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + hlen]).unwrap();
        assert_eq!(header, serde_json::json!({"type": "data", "conn": 2}));
        assert_eq!(&bytes[8 + hlen..], b"xyz");
    }

    #[test]
    fn bad_frames_are_errors_not_panics() {
        // A length over the limit.
        let mut over = std::io::Cursor::new(((MAX_FRAME + 1) as u32).to_be_bytes().to_vec());
        assert!(matches!(
            Frame::read_sync(&mut over),
            Err(FrameError::TooLarge(_))
        ));
        // A header length past the frame's end.
        let mut body = 100u32.to_be_bytes().to_vec();
        body.extend_from_slice(b"{}");
        assert!(matches!(
            Frame::decode(&body),
            Err(FrameError::Malformed(_))
        ));
        // A header that is not a message.
        let mut body = 2u32.to_be_bytes().to_vec();
        body.extend_from_slice(b"{}");
        assert!(matches!(Frame::decode(&body), Err(FrameError::Header(_))));
        // A stream cut inside a frame.
        let mut bytes = Frame::new(Msg::Done).encode().unwrap();
        bytes.truncate(bytes.len() - 1);
        assert!(matches!(
            Frame::read_sync(&mut std::io::Cursor::new(bytes)),
            Err(FrameError::Io(_))
        ));
    }

    #[test]
    fn another_protocol_version_is_refused_by_name() {
        assert!(check_protocol(PROTOCOL_VERSION).is_ok());
        let e = check_protocol(PROTOCOL_VERSION + 1).unwrap_err();
        assert!(
            e.to_string()
                .contains(&format!("protocol {}", PROTOCOL_VERSION + 1))
        );
    }

    #[tokio::test]
    async fn async_and_blocking_sides_agree() {
        let (mut a, mut b) = tokio::io::duplex(1024);
        let frame = Frame::with_payload(Msg::Output { seq: 1 }, vec![1; 5000]);
        let sent = frame.clone();
        let writer = tokio::spawn(async move { sent.write_async(&mut a).await });
        let got = Frame::read_async(&mut b).await.unwrap().unwrap();
        writer.await.unwrap().unwrap();
        assert_eq!(got, frame);
    }
}
