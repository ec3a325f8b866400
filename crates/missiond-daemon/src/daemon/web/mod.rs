//! The HTTP/WebSocket server on `127.0.0.1:MISSION_WS_PORT`: live views for people and
//! scripts beside the JSON-RPC socket.
//!
//! - `GET /pty/{slotId}`: attach to a slot's terminal (see [`attach`]).
//! - `GET /tasks`: task events as they happen; `GET /events`: every daemon event.
//! - `GET /health`: a small JSON status.
//! - `POST /rpc`: call a catalogue tool (see [`rpc`]).
//! - `GET /` (with `/board.js`, `/board.css`): the board page (see [`board`]), served
//!   without the token (it holds none).
//!
//! It listens on loopback only, and refuses requests whose `Origin` is a web page other
//! than this machine's: any page a browser opens could otherwise reach it. Loopback is
//! open to every user of the machine, so every route but `/health` also wants the
//! token the daemon writes to `$MISSIOND_HOME/web-token` (mode 0600, new at each start):
//! as `Authorization: Bearer TOKEN` or `?token=TOKEN` (browsers cannot set headers on a
//! WebSocket).

mod attach;
mod board;
mod events;
mod rpc;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::handlers::Handlers;
use super::supervisor::Supervisor;

/// Bind `127.0.0.1:port` (0: a free port) and serve until the daemon shuts down. A port
/// that cannot be bound leaves the daemon running without this server; the reason is
/// logged and reported by `mission_health`. `handlers` answers `POST /rpc`, as it
/// answers the Unix socket.
pub async fn start(sup: Arc<Supervisor>, handlers: Arc<Handlers>, port: u16, token_file: &Path) {
    if let Err(e) = write_token(token_file, &sup.ctx.web_token) {
        let why = format!(
            "WebSocket server not started: cannot write {}: {e}",
            token_file.display()
        );
        tracing::warn!("{why}");
        let _ = sup.ctx.web_error.set(why);
        return;
    }
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
    let app = router(Arc::clone(&sup), handlers);
    tokio::spawn(async move {
        let stop = async move {
            let mut rx = sup.ctx.subscribe_shutdown();
            while !sup.ctx.is_shutting_down() {
                if rx.changed().await.is_err() {
                    break;
                }
            }
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!("WebSocket server stopped: {e}");
        }
    });
}

/// Write the token readable by this user only (a file left by an older daemon is
/// replaced, whatever its mode was).
fn write_token(path: &Path, token: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let _ = std::fs::remove_file(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(token.as_bytes())
}

fn router(sup: Arc<Supervisor>, handlers: Arc<Handlers>) -> Router {
    Router::new()
        .route("/", get(board::page))
        .route("/board.js", get(board::script))
        .route("/board.css", get(board::styles))
        .route(
            "/rpc",
            post(rpc::call)
                .with_state(handlers)
                .layer(DefaultBodyLimit::max(rpc::MAX_BODY)),
        )
        .route("/health", get(health))
        .route("/pty/{slot_id}", get(attach::upgrade))
        .route("/tasks", get(events::tasks))
        .route("/events", get(events::all))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&sup),
            holds_the_token,
        ))
        .layer(middleware::from_fn(same_machine_origin))
        .with_state(sup)
}

async fn health(State(sup): State<Arc<Supervisor>>) -> Response {
    axum::Json(json!({
        "ok": true,
        "version": env!("CARGO_PKG_VERSION"),
        "slots": sup.slots().map(|s| s.spec.id.clone()).collect::<Vec<_>>(),
    }))
    .into_response()
}

/// Whether a request's `Origin` (sent by browsers) is a page served from this machine.
/// Clients that are not browsers send none and are let through.
fn origin_allowed(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let host = origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/');
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

/// The token a request carries, from its `Authorization` header or `token` query.
fn request_token(request: &Request) -> Option<&str> {
    if let Some(bearer) = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(bearer.trim());
    }
    request
        .uri()
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
}

/// Compares without stopping at the first difference, so timing says nothing about
/// how much of a guess was right.
fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

async fn holds_the_token(
    State(sup): State<Arc<Supervisor>>,
    request: Request,
    next: Next,
) -> Response {
    // The board's files hold no secret; its calls carry the token.
    let path = request.uri().path();
    let open = path == "/health" || board::OPEN_PATHS.contains(&path);
    if open || request_token(&request).is_some_and(|t| same_secret(t, &sup.ctx.web_token)) {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            "missiond: give the token from $MISSIOND_HOME/web-token (Authorization: Bearer, or ?token=)\n",
        )
            .into_response()
    }
}

async fn same_machine_origin(request: Request, next: Next) -> Response {
    if origin_allowed(request.headers()) {
        next.run(request).await
    } else {
        (
            StatusCode::FORBIDDEN,
            "missiond: requests from web pages of other sites are refused\n",
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_origin(origin: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ORIGIN,
            HeaderValue::from_str(origin).expect("header"),
        );
        h
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc123", "abc123"));
        assert!(!same_secret("abc124", "abc123"));
        assert!(!same_secret("abc12", "abc123"));
        assert!(!same_secret("", "abc123"));
    }

    #[test]
    fn only_pages_of_this_machine_may_connect() {
        assert!(origin_allowed(&HeaderMap::new()));
        for ok in [
            "http://localhost:3000",
            "http://127.0.0.1",
            "http://[::1]:9120",
        ] {
            assert!(origin_allowed(&with_origin(ok)), "{ok}");
        }
        for bad in [
            "https://evil.example",
            "http://localhost.evil.example",
            "http://127.0.0.1.nip.io",
            "null",
        ] {
            assert!(!origin_allowed(&with_origin(bad)), "{bad}");
        }
    }
}
