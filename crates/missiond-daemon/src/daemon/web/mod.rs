//! The HTTP/WebSocket server on `127.0.0.1:MISSION_WS_PORT`: live views for people and
//! scripts beside the JSON-RPC socket.
//!
//! - `GET /pty/{slotId}`: attach to a slot's terminal (see [`attach`]).
//! - `GET /tasks`: task events as they happen; `GET /events`: every daemon event.
//! - `GET /health`: a small JSON status.
//!
//! It listens on loopback only, and refuses requests whose `Origin` is a web page other
//! than this machine's: any page a browser opens could otherwise reach it.

mod attach;
mod events;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::supervisor::Supervisor;

/// Bind `127.0.0.1:port` (0: a free port) and serve until the daemon shuts down. A port
/// that cannot be bound leaves the daemon running without this server; the reason is
/// logged and reported by `mission_health`.
pub async fn start(sup: Arc<Supervisor>, port: u16) {
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
    let app = router(Arc::clone(&sup));
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

fn router(sup: Arc<Supervisor>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/pty/{slot_id}", get(attach::upgrade))
        .route("/tasks", get(events::tasks))
        .route("/events", get(events::all))
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
