//! Keeping WebSockets honest: a peer that stops answering is let go.
//!
//! Every [`super::conn::Limits::idle`] the server pings; a WebSocket from which nothing
//! (a pong, or any other frame) came for twice that is closed. Browsers, `ws` (Node) and
//! tungstenite answer pings by themselves, so a live viewer never notices; a connection
//! that upgraded and then went silent no longer holds a descriptor for ever.

use std::time::Duration;

use axum::extract::ws::Message;
use tokio::time::{Instant, Interval, MissedTickBehavior};

/// What the connection's loop must do at a beat.
pub enum Beat {
    /// Send this ping.
    Ping(Message),
    /// The peer has been silent too long: close.
    Gone,
}

/// One WebSocket's liveness.
pub struct Heartbeat {
    last_heard: Instant,
    ticks: Interval,
    silence_limit: Duration,
}

impl Heartbeat {
    /// Pings every `every`; gone after `2 × every` of silence.
    pub fn new(every: Duration) -> Heartbeat {
        let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Heartbeat {
            last_heard: Instant::now(),
            ticks,
            silence_limit: every * 2,
        }
    }

    /// With the server's configured interval.
    pub fn for_server() -> Heartbeat {
        Heartbeat::new(super::idle_timeout())
    }

    /// Something came from the peer.
    pub fn heard(&mut self) {
        self.last_heard = Instant::now();
    }

    /// Waits for the next beat.
    pub async fn beat(&mut self) -> Beat {
        self.ticks.tick().await;
        if self.last_heard.elapsed() >= self.silence_limit {
            Beat::Gone
        } else {
            Beat::Ping(Message::Ping(Default::default()))
        }
    }
}
