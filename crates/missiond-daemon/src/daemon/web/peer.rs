//! Who is at the other end of a loopback connection, for the per-peer connection cap.
//!
//! On loopback every connection comes from `127.0.0.1` (or any `127.x.y.z` the caller
//! picks), so the address says nothing about who connects. On Linux the kernel knows
//! which user owns the connecting socket: one `sock_diag` netlink query per accepted
//! connection (the same one `ss -e` makes) gives its uid. Elsewhere, or if the query
//! fails, the peer is its IP address.

use std::net::{IpAddr, SocketAddr};

/// A peer, as the per-peer cap counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Peer {
    /// The user owning the connecting socket.
    Uid(u32),
    /// Only the address is known.
    Addr(IpAddr),
}

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Peer::Uid(uid) => write!(f, "uid {uid}"),
            Peer::Addr(ip) => write!(f, "{ip}"),
        }
    }
}

/// The peer of a connection from `remote` accepted on `local`.
pub fn identify(remote: SocketAddr, local: SocketAddr) -> Peer {
    #[cfg(target_os = "linux")]
    if let Some(uid) = linux::socket_owner(remote, local) {
        return Peer::Uid(uid);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = local;
    Peer::Addr(remote.ip())
}

#[cfg(target_os = "linux")]
mod linux {
    //! One `SOCK_DIAG_BY_FAMILY` exact lookup (not a dump): `inet_diag_req_v2` with the
    //! connecting socket's own address as `src` and ours as `dst`; the answer's
    //! `inet_diag_msg.idiag_uid` is its owner.

    use std::net::SocketAddr;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    const SOCK_DIAG_BY_FAMILY: u16 = 20;
    const NLMSG_HDR: usize = 16;
    /// `inet_diag_req_v2`: family, protocol, ext, pad, states, then the 48-byte sockid.
    const REQ_LEN: usize = NLMSG_HDR + 8 + 48;
    /// Offset of `idiag_uid` in an answer: header, then family/state/timer/retrans (4),
    /// sockid (48), expires, rqueue, wqueue (12).
    const UID_AT: usize = NLMSG_HDR + 4 + 48 + 12;

    pub(super) fn socket_owner(remote: SocketAddr, local: SocketAddr) -> Option<u32> {
        let (family, src, dst) = match (remote, local) {
            (SocketAddr::V4(r), SocketAddr::V4(l)) => (
                libc::AF_INET as u8,
                pad16(&r.ip().octets()),
                pad16(&l.ip().octets()),
            ),
            (SocketAddr::V6(r), SocketAddr::V6(l)) => {
                (libc::AF_INET6 as u8, r.ip().octets(), l.ip().octets())
            }
            _ => return None,
        };
        let mut req = [0u8; REQ_LEN];
        req[0..4].copy_from_slice(&(REQ_LEN as u32).to_ne_bytes());
        req[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
        req[6..8].copy_from_slice(&(libc::NLM_F_REQUEST as u16).to_ne_bytes());
        req[8..12].copy_from_slice(&1u32.to_ne_bytes());
        req[16] = family;
        req[17] = libc::IPPROTO_TCP as u8;
        req[20..24].copy_from_slice(&u32::MAX.to_ne_bytes()); // every state
        let id = 24;
        req[id..id + 2].copy_from_slice(&remote.port().to_be_bytes());
        req[id + 2..id + 4].copy_from_slice(&local.port().to_be_bytes());
        req[id + 4..id + 20].copy_from_slice(&src);
        req[id + 20..id + 36].copy_from_slice(&dst);
        // interface 0, then the cookie INET_DIAG_NOCOOKIE (all ones).
        req[id + 40..id + 48].fill(0xff);

        // SAFETY: plain socket(2) call; the result is checked before use.
        let raw = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                libc::NETLINK_SOCK_DIAG,
            )
        };
        if raw < 0 {
            return None;
        }
        // SAFETY: `raw` is a descriptor we just opened and own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let timeout = libc::timeval {
            tv_sec: 1,
            tv_usec: 0,
        };
        // SAFETY: valid fd, pointer and length of a live timeval.
        unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&timeout as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            );
        }
        // SAFETY: valid fd; the buffer is `req`, of its length.
        let sent = unsafe { libc::send(fd.as_raw_fd(), req.as_ptr().cast(), req.len(), 0) };
        if sent != REQ_LEN as isize {
            return None;
        }
        let mut buf = [0u8; 1024];
        // SAFETY: valid fd; the buffer is `buf`, of its length.
        let got = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
        let got = usize::try_from(got).ok()?;
        if got < UID_AT + 4 {
            return None;
        }
        let kind = u16::from_ne_bytes([buf[4], buf[5]]);
        if kind != SOCK_DIAG_BY_FAMILY {
            return None; // NLMSG_ERROR: no such socket (it is gone already).
        }
        Some(u32::from_ne_bytes(buf[UID_AT..UID_AT + 4].try_into().ok()?))
    }

    fn pad16(v4: &[u8; 4]) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..4].copy_from_slice(v4);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn a_loopback_peer_is_known_by_its_user() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let client =
            std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (accepted, remote) = listener.accept().expect("accept");
        assert_eq!(remote, client.local_addr().expect("client addr"));
        let local = accepted.local_addr().expect("local");
        // SAFETY: getuid has no preconditions.
        let me = unsafe { libc::getuid() };
        assert_eq!(identify(remote, local), Peer::Uid(me));
        // A socket that does not exist is not anyone's.
        let absent: SocketAddr = "127.0.0.1:1".parse().expect("addr");
        assert_eq!(identify(absent, local), Peer::Addr(absent.ip()));
    }
}
