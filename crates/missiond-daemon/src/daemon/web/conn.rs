//! The web server's accept loop: how many connections it keeps, and for how long.
//!
//! Loopback is open to every user of the machine, and a connection costs the daemon a
//! file descriptor whether it ever sends a request or not: 1,019 idle connections from
//! another user once used up the daemon's descriptors, and every governed slot's hook
//! was denied after that. So:
//!
//! - **Caps.** At most [`Limits::max_total`] connections at once, and
//!   [`Limits::max_per_peer`] per peer (the user owning the connecting socket, see
//!   [`super::peer`]). The IPC socket and hooks never compete with them for descriptors.
//! - **Idle connections give way.** At a cap, a new connection closes the oldest *idle*
//!   one (no request being answered, not a WebSocket) of the same peer, or of the peer
//!   holding the most; a flood of idle connections therefore never locks out a real
//!   request. When every connection is busy, the new one gets a `503` at once and is
//!   closed, before anything is read from it.
//! - **Timeouts.** A connection must send a complete request head within
//!   [`Limits::idle`] of opening, and of its last response (HTTP keep-alive); otherwise
//!   it is closed. WebSockets are kept alive by pings (see [`super::heartbeat`]).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::service::Service as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};

use super::peer::{self, Peer};

/// `MISSION_WEB_IDLE_TIMEOUT`: seconds (see [`Limits::idle`]).
pub const ENV_IDLE_TIMEOUT: &str = "MISSION_WEB_IDLE_TIMEOUT";

/// How many connections the server keeps and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections at once, all peers together.
    pub max_total: usize,
    /// Connections at once from one peer.
    pub max_per_peer: usize,
    /// The time a connection has to send a request head (from opening, and between
    /// keep-alive requests), and the WebSocket ping interval.
    pub idle: Duration,
}

impl Limits {
    /// All peers together: well under the usual 1,024 descriptors per process, leaving
    /// the slots' PTYs, logs, the store and the IPC socket theirs.
    pub const MAX_TOTAL: usize = 256;
    /// One peer: a browser opens about 6 connections per site, the board one WebSocket,
    /// each attached terminal one.
    pub const MAX_PER_PEER: usize = 64;
    /// The default of [`Limits::idle`].
    pub const IDLE: Duration = Duration::from_secs(30);

    /// The defaults, with [`ENV_IDLE_TIMEOUT`] (whole seconds, at least 1) if set.
    pub fn from_env() -> Result<Limits, String> {
        let idle = match std::env::var(ENV_IDLE_TIMEOUT) {
            Ok(text) if !text.trim().is_empty() => match text.trim().parse::<u64>() {
                Ok(secs) if (1..=86_400).contains(&secs) => Duration::from_secs(secs),
                _ => {
                    return Err(format!(
                        "{ENV_IDLE_TIMEOUT}={text:?}: expected whole seconds, 1 to 86400"
                    ));
                }
            },
            _ => Limits::IDLE,
        };
        Ok(Limits {
            max_total: Limits::MAX_TOTAL,
            max_per_peer: Limits::MAX_PER_PEER,
            idle,
        })
    }
}

/// What a refused connection is sent before it is closed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Length: 65\r\n\
Retry-After: 5\r\n\
Connection: close\r\n\
\r\n\
missiond: too many connections to the web server; try again soon\n";

struct Entry {
    peer: Peer,
    /// Requests being answered on it now.
    busy: Arc<AtomicUsize>,
    /// Still an HTTP connection this loop can close (false once upgraded or done).
    evictable: bool,
    evict: Arc<Notify>,
}

/// The open connections, oldest first (ids only grow).
#[derive(Default)]
struct Table {
    entries: BTreeMap<u64, Entry>,
    per_peer: HashMap<Peer, usize>,
    next_id: u64,
}

impl Table {
    fn remove(&mut self, id: u64) -> Option<Entry> {
        let entry = self.entries.remove(&id)?;
        if let Some(n) = self.per_peer.get_mut(&entry.peer) {
            *n -= 1;
            if *n == 0 {
                self.per_peer.remove(&entry.peer);
            }
        }
        Some(entry)
    }

    /// The oldest idle connection, of `peer` if given.
    fn oldest_idle(&self, peer: Option<Peer>) -> Option<u64> {
        self.entries
            .iter()
            .find(|(_, e)| {
                e.evictable
                    && e.busy.load(Ordering::SeqCst) == 0
                    && peer.is_none_or(|p| p == e.peer)
            })
            .map(|(id, _)| *id)
    }

    /// Which connection to close to make room for one from `peer`, if one must go:
    /// `Err` when one must and none can.
    fn make_room(&self, peer: Peer, limits: &Limits) -> Result<Option<u64>, ()> {
        let mine = self.per_peer.get(&peer).copied().unwrap_or(0);
        if mine >= limits.max_per_peer {
            return self.oldest_idle(Some(peer)).map(Some).ok_or(());
        }
        if self.entries.len() >= limits.max_total {
            let heaviest = self
                .per_peer
                .iter()
                .max_by_key(|(_, n)| **n)
                .map(|(p, _)| *p);
            return self
                .oldest_idle(heaviest)
                .or_else(|| self.oldest_idle(None))
                .map(Some)
                .ok_or(());
        }
        Ok(None)
    }
}

/// The open connections and their limits.
pub struct Connections {
    table: Mutex<Table>,
    limits: Limits,
}

/// A connection let in.
struct Admitted {
    id: u64,
    busy: Arc<AtomicUsize>,
    evict: Arc<Notify>,
    permit: Permit,
}

/// Counts a connection while its socket lives (it moves into a WebSocket on upgrade).
struct Permit {
    id: u64,
    conns: Arc<Connections>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.conns.lock().remove(self.id);
    }
}

impl Connections {
    /// An empty table.
    pub fn new(limits: Limits) -> Arc<Connections> {
        Arc::new(Connections {
            table: Mutex::new(Table::default()),
            limits,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many connections are open now.
    #[cfg(test)]
    fn open(&self) -> usize {
        self.lock().entries.len()
    }

    /// Lets a connection from `peer` in (closing an idle one if at a cap), or not.
    fn admit(self: &Arc<Self>, peer: Peer) -> Option<Admitted> {
        let mut table = self.lock();
        let victim = table.make_room(peer, &self.limits).ok()?;
        if let Some(entry) = victim.and_then(|id| table.remove(id)) {
            entry.evict.notify_one();
        }
        let id = table.next_id;
        table.next_id += 1;
        let busy = Arc::new(AtomicUsize::new(0));
        let evict = Arc::new(Notify::new());
        table.entries.insert(
            id,
            Entry {
                peer,
                busy: Arc::clone(&busy),
                evictable: true,
                evict: Arc::clone(&evict),
            },
        );
        *table.per_peer.entry(peer).or_default() += 1;
        Some(Admitted {
            id,
            busy,
            evict,
            permit: Permit {
                id,
                conns: Arc::clone(self),
            },
        })
    }

    /// The HTTP side of connection `id` is over; its socket may live on as a WebSocket,
    /// which this loop cannot close.
    fn done_serving(&self, id: u64) {
        if let Some(entry) = self.lock().entries.get_mut(&id) {
            entry.evictable = false;
        }
    }
}

/// Accepts and serves until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    conns: Arc<Connections>,
    mut shutdown: watch::Receiver<bool>,
) {
    let local = listener.local_addr().ok();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    return;
                }
                continue;
            }
        };
        let (stream, remote) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                // EMFILE and friends: back off rather than spin.
                tracing::warn!(error = %e, "web server: accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let peer = match local.or_else(|| stream.local_addr().ok()) {
            Some(local) => peer::identify(remote, local),
            None => Peer::Addr(remote.ip()),
        };
        match conns.admit(peer) {
            Some(admitted) => {
                tokio::spawn(serve_one(
                    stream,
                    admitted,
                    router.clone(),
                    conns.limits.idle,
                    shutdown.clone(),
                    Arc::clone(&conns),
                ));
            }
            None => refuse(stream, remote, peer),
        }
    }
}

/// Answers 503 without reading anything and closes. The socket's send buffer is empty,
/// so the write does not wait; if it cannot be made at once, the close alone says it.
fn refuse(stream: TcpStream, remote: SocketAddr, peer: Peer) {
    tracing::debug!(%remote, %peer, "web server: connection refused, at the cap");
    let _ = stream.try_write(BUSY);
}

async fn serve_one(
    stream: TcpStream,
    admitted: Admitted,
    router: Router,
    idle: Duration,
    mut shutdown: watch::Receiver<bool>,
    conns: Arc<Connections>,
) {
    let Admitted {
        id,
        busy,
        evict,
        permit,
    } = admitted;
    let inner = TowerToHyperService::new(router);
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let answering = Busy::new(&busy);
        let reply = inner.call(request);
        async move {
            let _answering = answering;
            reply.await
        }
    });
    let io = TokioIo::new(Counted {
        stream,
        _permit: permit,
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(idle)
        .serve_connection(io, service)
        .with_upgrades();
    tokio::select! {
        result = connection => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "web connection ended");
            }
        }
        _ = evict.notified() => tracing::debug!("idle web connection closed to make room"),
        _ = shutdown.wait_for(|stop| *stop) => {}
    }
    conns.done_serving(id);
}

/// Marks a connection busy while one request is being answered.
struct Busy(Arc<AtomicUsize>);

impl Busy {
    fn new(count: &Arc<AtomicUsize>) -> Busy {
        count.fetch_add(1, Ordering::SeqCst);
        Busy(Arc::clone(count))
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A socket that counts as open until dropped, wherever it goes (hyper, or a WebSocket
/// after an upgrade).
struct Counted {
    stream: TcpStream,
    _permit: Permit,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_total: 4,
            max_per_peer: 3,
            idle: Duration::from_secs(30),
        }
    }

    #[test]
    fn a_full_peer_gives_up_its_oldest_idle_connection() {
        let conns = Connections::new(limits());
        let flooder = Peer::Uid(1001);
        let held: Vec<_> = (0..3)
            .map(|_| conns.admit(flooder).expect("room"))
            .collect();
        // The oldest is busy answering: the next oldest goes.
        held[0].busy.fetch_add(1, Ordering::SeqCst);
        let fourth = conns.admit(flooder).expect("room made");
        assert_eq!(conns.open(), 3);
        let table = conns.lock();
        assert!(table.entries.contains_key(&held[0].id));
        assert!(!table.entries.contains_key(&held[1].id));
        assert!(table.entries.contains_key(&fourth.id));
    }

    #[test]
    fn at_the_total_cap_the_heaviest_peer_gives_way_and_busy_ones_refuse() {
        let conns = Connections::new(limits());
        let me = Peer::Uid(0);
        let other = Peer::Uid(1001);
        let mine = conns.admit(me).expect("room");
        let theirs: Vec<_> = (0..3).map(|_| conns.admit(other).expect("room")).collect();
        let again = conns.admit(me).expect("room made");
        {
            let table = conns.lock();
            assert!(table.entries.contains_key(&mine.id), "mine kept");
            assert!(!table.entries.contains_key(&theirs[0].id), "theirs went");
            assert_eq!(table.per_peer.get(&other), Some(&2));
        }
        // Everything busy: nothing can give way.
        for a in [&mine, &again, &theirs[1], &theirs[2]] {
            a.busy.fetch_add(1, Ordering::SeqCst);
        }
        assert!(conns.admit(me).is_none());
        // A connection whose socket was dropped frees its place.
        drop(theirs);
        assert_eq!(conns.open(), 2);
        assert!(conns.admit(other).is_some());
    }
}
