//! A running server: its own thread and tokio runtime, so sync and async callers alike can
//! start it, read its URL and log, and stop it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::engine::Engine;
use crate::http::{AppState, router};
use crate::log::{LogFileError, LoggedRequest, RequestLog};
use crate::scenario::{Scenario, ScenarioError};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The scenario is invalid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The log file could not be opened.
    #[error(transparent)]
    LogFile(#[from] LogFileError),
    /// The runtime or its thread could not be created.
    #[error("starting the server runtime: {0}")]
    Runtime(std::io::Error),
    /// The address could not be bound.
    #[error("binding {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The server thread ended before reporting its address.
    #[error("the server thread ended before it was ready")]
    ThreadGone,
}

/// How to run the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The script.
    pub scenario: Scenario,
    /// Address to listen on (default 127.0.0.1).
    pub host: IpAddr,
    /// Port (default 0: an ephemeral port).
    pub port: u16,
    /// Also write the request log as JSON lines here.
    pub log_file: Option<PathBuf>,
}

impl ServerConfig {
    /// Loopback, ephemeral port, no log file.
    pub fn new(scenario: Scenario) -> ServerConfig {
        ServerConfig {
            scenario,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            log_file: None,
        }
    }
}

/// A running mock server. Dropping it stops it.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    base_url: String,
    state: Arc<AppState>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts on an ephemeral loopback port.
    pub fn start(scenario: Scenario) -> Result<Server, ServerError> {
        Server::start_with(ServerConfig::new(scenario))
    }

    /// Starts with explicit settings. Returns once the port is bound.
    pub fn start_with(config: ServerConfig) -> Result<Server, ServerError> {
        let compiled = config.scenario.compile()?;
        let state = Arc::new(AppState {
            engine: Mutex::new(Engine::new(compiled)),
            log: RequestLog::with_file(config.log_file.as_deref())?,
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ServerError::Runtime)?;
        let wanted = SocketAddr::new(config.host, config.port);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let app = router(state.clone());
        let thread = std::thread::Builder::new()
            .name("mock-anthropic".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::bind(wanted).await {
                        Ok(listener) => listener,
                        Err(source) => {
                            let _ = ready_tx.send(Err(ServerError::Bind {
                                addr: wanted,
                                source,
                            }));
                            return;
                        }
                    };
                    let local = listener.local_addr().map_err(|source| ServerError::Bind {
                        addr: wanted,
                        source,
                    });
                    let _ = ready_tx.send(local);
                    tokio::select! {
                        result = axum::serve(listener, app) => {
                            if let Err(error) = result {
                                tracing::error!(%error, "server stopped");
                            }
                        }
                        _ = shutdown_rx => {}
                    }
                });
                // Open streams are cut off: a stop should not wait for a slow script.
                runtime.shutdown_timeout(Duration::from_millis(200));
            })
            .map_err(ServerError::Runtime)?;
        let addr = match ready_rx.recv() {
            Ok(result) => result?,
            Err(_) => return Err(ServerError::ThreadGone),
        };
        Ok(Server {
            addr,
            base_url: format!("http://{addr}"),
            state,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, for `ANTHROPIC_BASE_URL`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.log.snapshot()
    }

    /// Stops the server and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("mock-anthropic server thread panicked");
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}
