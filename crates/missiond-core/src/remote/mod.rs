//! Remote slots: the protocol between the daemon and `missiond runner`, the process that
//! owns a slot's PTY on another machine.
//!
//! [`frame`] is the wire format (length-prefixed frames, a JSON header and raw bytes) and
//! the messages; [`replay`] keeps what one side sent until the other acknowledged it, so a
//! dropped connection loses nothing and repeats nothing.

pub mod frame;
pub mod replay;

pub use frame::{Frame, FrameError, Msg, PROTOCOL_VERSION};
pub use replay::ReplayBuffer;
