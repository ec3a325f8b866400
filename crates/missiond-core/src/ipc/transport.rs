//! Where the daemon listens: a Unix socket (Unix) or a TCP loopback address (Windows,
//! and anywhere via `tcp://127.0.0.1:PORT`), behind one [`Endpoint`] type.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// The read half of a connection.
pub type BoxRead = Box<dyn AsyncRead + Send + Unpin>;
/// The write half of a connection.
pub type BoxWrite = Box<dyn AsyncWrite + Send + Unpin>;

/// An IPC address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// A Unix domain socket file (not available on Windows).
    Unix(PathBuf),
    /// A TCP address; only loopback addresses are accepted.
    Tcp(SocketAddr),
}

/// Transport failures, each naming the endpoint.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The text is not an endpoint.
    #[error("invalid IPC endpoint {text:?}: {reason}")]
    InvalidEndpoint {
        /// What was given.
        text: String,
        /// Why it was refused.
        reason: String,
    },
    /// Something already accepts connections there.
    #[error("a daemon is already running at {0}")]
    AlreadyRunning(Endpoint),
    /// The socket path holds something that is not a socket; it is left alone.
    #[error("{} exists and is not a socket; refusing to replace it", .0.display())]
    NotASocket(PathBuf),
    /// Unix sockets are not available on this platform.
    #[error("Unix sockets are not supported on this platform; use tcp://127.0.0.1:PORT")]
    Unsupported,
    /// An I/O error, with what was being done.
    #[error("{context}: {source}")]
    Io {
        /// What was being done (`connecting to ...`).
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl TransportError {
    fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        TransportError::Io {
            context: context.into(),
            source,
        }
    }
}

impl Endpoint {
    /// Parses `tcp://HOST:PORT`, `unix://PATH`, or a bare path (a Unix socket).
    pub fn parse(text: &str) -> Result<Endpoint, TransportError> {
        let invalid = |reason: &str| TransportError::InvalidEndpoint {
            text: text.to_string(),
            reason: reason.to_string(),
        };
        let trimmed = text.trim();
        if let Some(addr) = trimmed.strip_prefix("tcp://") {
            let addr: SocketAddr = addr
                .trim_end_matches('/')
                .parse()
                .map_err(|_| invalid("expected tcp://IP:PORT, e.g. tcp://127.0.0.1:9121"))?;
            if !addr.ip().is_loopback() {
                return Err(invalid(
                    "only loopback addresses are allowed (127.0.0.1 or [::1])",
                ));
            }
            return Ok(Endpoint::Tcp(addr));
        }
        let path = trimmed.strip_prefix("unix://").unwrap_or(trimmed);
        if path.is_empty() {
            return Err(invalid("empty path"));
        }
        if path.contains("://") {
            return Err(invalid("unknown scheme; use tcp:// or unix://"));
        }
        Ok(Endpoint::Unix(PathBuf::from(path)))
    }

    /// Listens here. On Unix sockets: the folder is created 0700 (or tightened to it if
    /// it is ours), the socket file is made 0600, and a stale socket file (nothing
    /// accepting) is replaced, while a live one gives [`TransportError::AlreadyRunning`].
    pub async fn listen(&self) -> Result<Listener, TransportError> {
        match self {
            Endpoint::Tcp(addr) => {
                let listener = TcpListener::bind(addr).await.map_err(|e| {
                    if e.kind() == std::io::ErrorKind::AddrInUse {
                        TransportError::AlreadyRunning(self.clone())
                    } else {
                        TransportError::io(format!("listening on {self}"), e)
                    }
                })?;
                let local = listener
                    .local_addr()
                    .map_err(|e| TransportError::io("reading the bound address", e))?;
                Ok(Listener {
                    inner: ListenerInner::Tcp(listener),
                    endpoint: Endpoint::Tcp(local),
                })
            }
            #[cfg(unix)]
            Endpoint::Unix(path) => {
                let (listener, guard) = unix::listen(self, path).await?;
                Ok(Listener {
                    inner: ListenerInner::Unix {
                        listener,
                        _file: guard,
                    },
                    endpoint: self.clone(),
                })
            }
            #[cfg(not(unix))]
            Endpoint::Unix(_) => Err(TransportError::Unsupported),
        }
    }

    /// Connects to a daemon listening here.
    pub async fn connect(&self) -> Result<IpcStream, TransportError> {
        let context = || format!("connecting to the daemon at {self}");
        match self {
            Endpoint::Tcp(addr) => {
                let stream = TcpStream::connect(addr)
                    .await
                    .map_err(|e| TransportError::io(context(), e))?;
                // Small request/response messages: do not wait to coalesce them.
                let _ = stream.set_nodelay(true);
                Ok(IpcStream::Tcp(stream))
            }
            #[cfg(unix)]
            Endpoint::Unix(path) => tokio::net::UnixStream::connect(path)
                .await
                .map(IpcStream::Unix)
                .map_err(|e| TransportError::io(context(), e)),
            #[cfg(not(unix))]
            Endpoint::Unix(_) => Err(TransportError::Unsupported),
        }
    }

    /// The socket path, for Unix endpoints.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Endpoint::Unix(p) => Some(p),
            Endpoint::Tcp(_) => None,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "unix://{}", p.display()),
            Endpoint::Tcp(a) => write!(f, "tcp://{a}"),
        }
    }
}

impl std::str::FromStr for Endpoint {
    type Err = TransportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Endpoint::parse(s)
    }
}

enum ListenerInner {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix {
        listener: tokio::net::UnixListener,
        /// Held for its `Drop`: removes the socket file.
        _file: unix::SocketFileGuard,
    },
}

/// A listening endpoint. Dropping it closes it (and removes its socket file).
pub struct Listener {
    inner: ListenerInner,
    endpoint: Endpoint,
}

impl Listener {
    /// Waits for the next connection.
    pub async fn accept(&self) -> std::io::Result<IpcStream> {
        match &self.inner {
            ListenerInner::Tcp(l) => {
                let (stream, _) = l.accept().await?;
                let _ = stream.set_nodelay(true);
                Ok(IpcStream::Tcp(stream))
            }
            #[cfg(unix)]
            ListenerInner::Unix { listener, .. } => Ok(IpcStream::Unix(listener.accept().await?.0)),
        }
    }

    /// Where it listens; for `tcp://127.0.0.1:0`, the port actually bound.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }
}

/// One connection, either kind.
pub enum IpcStream {
    /// A TCP loopback connection.
    Tcp(TcpStream),
    /// A Unix socket connection.
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
}

impl IpcStream {
    /// Splits into independently owned halves (for a reader task and a writer task).
    pub fn into_split(self) -> (BoxRead, BoxWrite) {
        match self {
            IpcStream::Tcp(s) => {
                let (r, w) = s.into_split();
                (Box::new(r), Box::new(w))
            }
            #[cfg(unix)]
            IpcStream::Unix(s) => {
                let (r, w) = s.into_split();
                (Box::new(r), Box::new(w))
            }
        }
    }
}

impl AsyncRead for IpcStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            IpcStream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(unix)]
            IpcStream::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for IpcStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            IpcStream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(unix)]
            IpcStream::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            IpcStream::Tcp(s) => Pin::new(s).poll_flush(cx),
            #[cfg(unix)]
            IpcStream::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            IpcStream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(unix)]
            IpcStream::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

#[cfg(unix)]
mod unix {
    //! Unix socket set-up: private folder, private socket, stale-socket recovery.

    use super::{Endpoint, TransportError};
    use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
    use std::path::{Path, PathBuf};

    /// Removes the socket file on drop, if it is still the one this process bound.
    pub(super) struct SocketFileGuard {
        path: PathBuf,
        dev_ino: (u64, u64),
    }

    impl Drop for SocketFileGuard {
        fn drop(&mut self) {
            if let Ok(meta) = std::fs::symlink_metadata(&self.path)
                && (meta.dev(), meta.ino()) == self.dev_ino
            {
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }

    pub(super) async fn listen(
        endpoint: &Endpoint,
        path: &Path,
    ) -> Result<(tokio::net::UnixListener, SocketFileGuard), TransportError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            private_dir(dir)?;
        }
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_socket() => {
                // Live or stale? Only something accepting answers a connect.
                match tokio::net::UnixStream::connect(path).await {
                    Ok(_) => return Err(TransportError::AlreadyRunning(endpoint.clone())),
                    Err(_) => std::fs::remove_file(path).map_err(|e| {
                        TransportError::io(format!("removing stale socket {}", path.display()), e)
                    })?,
                }
            }
            Ok(_) => return Err(TransportError::NotASocket(path.to_path_buf())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(TransportError::io(
                    format!("inspecting {}", path.display()),
                    e,
                ));
            }
        }
        let listener = tokio::net::UnixListener::bind(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AddrInUse {
                TransportError::AlreadyRunning(endpoint.clone())
            } else {
                TransportError::io(format!("binding {}", path.display()), e)
            }
        })?;
        let ctx = || format!("securing socket {}", path.display());
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| TransportError::io(ctx(), e))?;
        let meta = std::fs::symlink_metadata(path).map_err(|e| TransportError::io(ctx(), e))?;
        let guard = SocketFileGuard {
            path: path.to_path_buf(),
            dev_ino: (meta.dev(), meta.ino()),
        };
        Ok((listener, guard))
    }

    /// Makes `dir` exist with mode 0700. An existing folder open to others is tightened
    /// when this user owns it and refused otherwise (the socket would be reachable).
    fn private_dir(dir: &Path) -> Result<(), TransportError> {
        let ctx = || format!("preparing socket folder {}", dir.display());
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| TransportError::io(ctx(), e))?;
        let meta = std::fs::metadata(dir).map_err(|e| TransportError::io(ctx(), e))?;
        if meta.mode() & 0o077 == 0 {
            return Ok(());
        }
        // SAFETY: getuid has no preconditions and cannot fail.
        let uid = unsafe { libc::getuid() };
        if meta.uid() != uid {
            return Err(TransportError::io(
                ctx(),
                std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    "the folder is shared with other users and not ours to tighten; \
                     put the socket in a folder of its own",
                ),
            ));
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| TransportError::io(ctx(), e))
    }

    use std::os::unix::fs::DirBuilderExt;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_spellings() {
        assert_eq!(
            Endpoint::parse("tcp://127.0.0.1:9121").ok(),
            Some(Endpoint::Tcp("127.0.0.1:9121".parse().expect("addr")))
        );
        assert_eq!(
            Endpoint::parse("tcp://[::1]:9121").ok(),
            Some(Endpoint::Tcp("[::1]:9121".parse().expect("addr")))
        );
        assert_eq!(
            Endpoint::parse("unix:///run/m.sock").ok(),
            Some(Endpoint::Unix("/run/m.sock".into()))
        );
        assert_eq!(
            Endpoint::parse("/home/u/.missiond/missiond.sock").ok(),
            Some(Endpoint::Unix("/home/u/.missiond/missiond.sock".into()))
        );
    }

    #[test]
    fn refuses_non_loopback_and_nonsense() {
        for text in [
            "tcp://0.0.0.0:1",
            "tcp://10.1.2.3:80",
            "tcp://localhost",
            "http://x",
            "",
        ] {
            let err = Endpoint::parse(text).expect_err(text);
            assert!(
                matches!(err, TransportError::InvalidEndpoint { .. }),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn display_round_trips() {
        for text in ["tcp://127.0.0.1:5", "unix:///tmp/x.sock"] {
            let endpoint = Endpoint::parse(text).expect("parse");
            assert_eq!(endpoint.to_string(), text);
            assert_eq!(Endpoint::parse(&endpoint.to_string()).ok(), Some(endpoint));
        }
    }
}
