//! The HTTP/WebSocket server on `127.0.0.1:MISSION_WS_PORT`: live views for people and
//! scripts beside the JSON-RPC socket.
//!
//! - `GET /pty/{slotId}`: attach to a slot's terminal (see [`attach`]).
//! - `GET /tasks`: task events as they happen; `GET /events`: every daemon event.
//! - `GET /health`: a small JSON status.
//! - `POST /rpc`: call a catalogue tool (see [`rpc`]).
//! - `GET /prices?models=a,b`: model prices for the board's cost figures (see [`prices`]).
//! - `GET /` (with its scripts, styles and vendored xterm.js): the board page (see
//!   [`board`]), served without the token (it holds none).
//!
//! It listens on loopback only, which is open to every user of the machine and to any
//! web page a browser opens, so every request passes [`guard`] (its `Host` names this
//! server, its `Origin` is this server's page, it carries the token), and the accept
//! loop ([`conn`]) caps and times out connections. The token is new at each start and
//! never written to a file: orchestrator clients ask the daemon for it over IPC
//! (`daemon.web_access`, see [`access`]).

mod attach;
mod board;
mod conn;
mod events;
mod guard;
mod heartbeat;
mod peer;
mod prices;
mod rpc;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use missiond_core::ipc::WebAccessReply;
use serde_json::json;

use conn::Limits;

use super::handlers::Handlers;
use super::supervisor::Supervisor;

/// The limits the running server was started with.
static LIMITS: OnceLock<Limits> = OnceLock::new();

/// The server's idle timeout (its default before it starts).
fn idle_timeout() -> Duration {
    LIMITS.get().map_or(Limits::IDLE, |l| l.idle)
}

/// Bind `127.0.0.1:port` (0: a free port) and serve until the daemon shuts down. A port
/// that cannot be bound leaves the daemon running without this server; the reason is
/// logged and reported by `mission_health`. `handlers` answers `POST /rpc`, as it
/// answers the Unix socket.
pub async fn start(sup: Arc<Supervisor>, handlers: Arc<Handlers>, port: u16) {
    let limits = match Limits::from_env() {
        Ok(limits) => limits,
        Err(why) => {
            let why = format!("WebSocket server not started: {why}");
            tracing::warn!("{why}");
            let _ = sup.ctx.web_error.set(why);
            return;
        }
    };
    let _ = LIMITS.set(limits);
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            let why = format!(
                "WebSocket server: cannot listen on {addr}: {e} (set MISSION_WS_PORT to a free port)"
            );
            tracing::warn!("{why}");
            let _ = sup.ctx.web_error.set(why);
            return;
        }
    };
    let bound = listener.local_addr().unwrap_or(addr);
    let _ = sup.ctx.web_addr.set(bound);
    tracing::info!("WebSocket server on ws://{bound}");
    let guard = Arc::new(guard::Guard {
        port: bound.port(),
        token: sup.ctx.web_token.clone(),
        view_token: sup.ctx.web_view_token.clone(),
    });
    let shutdown = sup.ctx.subscribe_shutdown();
    let app = router(sup, handlers, guard);
    tokio::spawn(conn::serve(
        listener,
        app,
        conn::Connections::new(limits),
        shutdown,
    ));
}

/// The answer to `daemon.web_access` (asked over the daemon's main IPC endpoint only).
pub fn access(sup: &Supervisor) -> WebAccessReply {
    let addr = sup.ctx.web_addr.get();
    WebAccessReply {
        web_url: addr.map(|a| format!("ws://{a}")),
        http_url: addr.map(|a| format!("http://{a}")),
        token: sup.ctx.web_token.clone(),
        view_token: Some(sup.ctx.web_view_token.clone()),
        error: match addr {
            Some(_) => None,
            None => Some(
                sup.ctx
                    .web_error
                    .get()
                    .cloned()
                    .unwrap_or_else(|| "the web server is starting".into()),
            ),
        },
    }
}

fn router(sup: Arc<Supervisor>, handlers: Arc<Handlers>, guard: Arc<guard::Guard>) -> Router {
    let mut app = Router::new();
    for asset in board::ASSETS {
        app = app.route(asset.path, get(move || async move { board::serve(asset) }));
    }
    app.route(
        "/rpc",
        post(rpc::call)
            .with_state(handlers)
            .layer(DefaultBodyLimit::max(rpc::MAX_BODY)),
    )
    .route("/health", get(health))
    .route("/prices", get(prices::prices))
    .route("/pty/{slot_id}", get(attach::upgrade))
    .route("/tasks", get(events::tasks))
    .route("/events", get(events::all))
    .layer(middleware::from_fn_with_state(guard, guard::check))
    .with_state(sup)
}

/// `GET /health`; with a token, it also says which (`"access": "full"` or `"view"`), so
/// the board knows whether to offer its actions.
async fn health(
    State(sup): State<Arc<Supervisor>>,
    access: Option<axum::Extension<guard::Access>>,
) -> Response {
    let access = access.map(|axum::Extension(a)| match a {
        guard::Access::Full => "full",
        guard::Access::View => "view",
    });
    axum::Json(json!({
        "ok": true,
        "access": access,
        "version": env!("CARGO_PKG_VERSION"),
        "slots": sup.slots().map(|s| s.spec.id.clone()).collect::<Vec<_>>(),
    }))
    .into_response()
}
