//! Who may use the web server, checked on every request before any route runs:
//!
//! 1. `Host` must name this server: `127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT`
//!    of its own port (403 otherwise, 400 when missing). A page of another site that
//!    re-points its DNS name at 127.0.0.1 (DNS rebinding) sends its own name here.
//! 2. `Origin`, when a browser sends one, must be this server's own page:
//!    `http://127.0.0.1:PORT` or `http://localhost:PORT` (403 otherwise). Not every
//!    `localhost:*`: another local web server's page is another site.
//! 3. Every route but `/health` and the board's files wants the token (401 otherwise):
//!    `Authorization: Bearer TOKEN`, or `?token=TOKEN` on a WebSocket upgrade only
//!    (browsers cannot set headers on a WebSocket). A token in the URL of any other
//!    request is not accepted: URLs end up in logs, histories and referrers.
//!
//! Two tokens are valid: the full one, and the read-only one of `missiond board --view`.
//! The check records which one a request carried as an [`Access`] extension; `/rpc`
//! serves only read-only tools to [`Access::View`] and `/pty/...` only in view mode.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use missiond_core::ipc::auth::same_secret;

use super::board;

/// What the checks compare against.
pub struct Guard {
    /// The port the server is bound to.
    pub port: u16,
    /// The token of this start.
    pub token: String,
    /// The read-only token of this start.
    pub view_token: String,
}

/// What a request's token lets it do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Everything: the daemon's token.
    Full,
    /// See, never act: the read-only token.
    View,
}

impl Guard {
    /// Whether `host` (a `Host` header or a URI authority) names this server.
    fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        let port = self.port.to_string();
        let named = |name: &str| {
            host.strip_prefix(name)
                .is_some_and(|rest| rest == format!(":{port}") || (rest.is_empty() && port == "80"))
        };
        named("127.0.0.1") || named("localhost") || named("[::1]")
    }

    /// Whether the request's `Origin` (sent by browsers) is this server's own page.
    /// Clients that are not browsers send none and are let through.
    fn origin_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let origin = origin.trim().to_ascii_lowercase();
        let port = self.port;
        let own = [
            format!("http://127.0.0.1:{port}"),
            format!("http://localhost:{port}"),
        ];
        own.contains(&origin)
            || (port == 80 && matches!(origin.as_str(), "http://127.0.0.1" | "http://localhost"))
    }

    /// What the request's token allows, if it carries a valid one.
    fn access(&self, request: &Request) -> Option<Access> {
        let token = request_token(request)?;
        if same_secret(token, &self.token) {
            Some(Access::Full)
        } else if same_secret(token, &self.view_token) {
            Some(Access::View)
        } else {
            None
        }
    }

    #[cfg(test)]
    fn token_ok(&self, request: &Request) -> bool {
        self.access(request).is_some()
    }
}

/// A WebSocket handshake: the only request that may carry the token in its URL.
fn is_websocket_upgrade(request: &Request) -> bool {
    request.method() == Method::GET
        && request
            .headers()
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The token a request carries: `Authorization: Bearer`, or the `token` query on a
/// WebSocket upgrade.
fn request_token(request: &Request) -> Option<&str> {
    if let Some(bearer) = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(bearer.trim());
    }
    if !is_websocket_upgrade(request) {
        return None;
    }
    request
        .uri()
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
}

fn refuse(status: StatusCode, why: String) -> Response {
    (status, format!("missiond: {why}\n")).into_response()
}

/// The middleware: the three checks, in order.
pub async fn check(State(guard): State<Arc<Guard>>, mut request: Request, next: Next) -> Response {
    let port = guard.port;
    let Some(host) = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "a Host header is required".to_string(),
        );
    };
    let authority = request.uri().authority().map(|a| a.as_str().to_string());
    if !guard.host_allowed(&host) || authority.is_some_and(|a| !guard.host_allowed(&a)) {
        return refuse(
            StatusCode::FORBIDDEN,
            format!(
                "Host `{host}` is not this server; use http://127.0.0.1:{port} (requests for other names are refused: DNS rebinding)"
            ),
        );
    }
    if !guard.origin_allowed(request.headers()) {
        return refuse(
            StatusCode::FORBIDDEN,
            format!(
                "requests from pages of other origins are refused (only http://127.0.0.1:{port} and http://localhost:{port})"
            ),
        );
    }
    let path = request.uri().path();
    let open = path == "/health" || board::is_open_path(path);
    let access = guard.access(&request);
    if let Some(access) = access {
        request.extensions_mut().insert(access);
    }
    if !open && access.is_none() {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "give the daemon's web token as `Authorization: Bearer TOKEN` (`?token=TOKEN` only on a \
             WebSocket upgrade); `missiond board` prints a URL with it, and IPC clients get it from \
             the daemon.web_access method"
                .to_string(),
        );
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn guard() -> Guard {
        Guard {
            port: 9120,
            token: "t0k".into(),
            view_token: "v1ew".into(),
        }
    }

    fn with_origin(origin: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ORIGIN,
            HeaderValue::from_str(origin).expect("header"),
        );
        h
    }

    #[test]
    fn only_this_servers_names_and_port_are_hosts() {
        let g = guard();
        for ok in [
            "127.0.0.1:9120",
            "localhost:9120",
            "LOCALHOST:9120",
            "[::1]:9120",
        ] {
            assert!(g.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:9120",
            "127.0.0.1",
            "127.0.0.1:9121",
            "localhost:91200",
            "localhost.evil.example:9120",
            "127.0.0.1.nip.io:9120",
            "",
        ] {
            assert!(!g.host_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn only_this_servers_page_is_an_origin() {
        let g = guard();
        assert!(g.origin_allowed(&HeaderMap::new()));
        for ok in ["http://127.0.0.1:9120", "http://localhost:9120"] {
            assert!(g.origin_allowed(&with_origin(ok)), "{ok}");
        }
        for bad in [
            "http://localhost:3000",
            "http://127.0.0.1",
            "https://127.0.0.1:9120",
            "https://evil.example",
            "http://localhost.evil.example:9120",
            "null",
        ] {
            assert!(!g.origin_allowed(&with_origin(bad)), "{bad}");
        }
    }

    #[test]
    fn a_token_in_the_url_counts_only_on_a_websocket_upgrade() {
        let g = guard();
        let plain = Request::builder()
            .uri("/rpc?token=t0k")
            .body(axum::body::Body::empty())
            .expect("request");
        assert!(!g.token_ok(&plain));
        let upgrade = Request::builder()
            .uri("/events?token=t0k")
            .header(header::UPGRADE, "websocket")
            .body(axum::body::Body::empty())
            .expect("request");
        assert!(g.token_ok(&upgrade));
        let bearer = Request::builder()
            .uri("/rpc")
            .header(header::AUTHORIZATION, "Bearer t0k")
            .body(axum::body::Body::empty())
            .expect("request");
        assert!(g.token_ok(&bearer));
        let wrong = Request::builder()
            .uri("/rpc")
            .header(header::AUTHORIZATION, "Bearer t0x")
            .body(axum::body::Body::empty())
            .expect("request");
        assert!(!g.token_ok(&wrong));
    }

    #[test]
    fn the_view_token_is_valid_and_known_as_view() {
        let g = guard();
        let with = |token: &str| {
            Request::builder()
                .uri("/rpc")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .expect("request")
        };
        assert_eq!(g.access(&with("t0k")), Some(Access::Full));
        assert_eq!(g.access(&with("v1ew")), Some(Access::View));
        assert_eq!(g.access(&with("v1e")), None);
        assert_eq!(g.access(&with("")), None);
    }
}
