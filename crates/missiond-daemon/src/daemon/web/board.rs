//! `GET /` (with `/board.js` and `/board.css`): the board, a page built into the binary,
//! with no outside assets. The page holds no secret, so it is served without the token;
//! every call it makes (`/rpc`, `/events`) carries the token it reads from its own URL.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The paths served without the token.
pub const OPEN_PATHS: [&str; 3] = ["/", "/board.js", "/board.css"];

/// Only this server's own script and styles, and connections back to it: text an agent
/// wrote that slipped into markup could neither run inline script nor send anything away.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The page.
pub async fn page() -> Response {
    asset("text/html; charset=utf-8", include_str!("board.html"))
}

/// Its script.
pub async fn script() -> Response {
    asset("text/javascript; charset=utf-8", include_str!("board.js"))
}

/// Its styles.
pub async fn styles() -> Response {
    asset("text/css; charset=utf-8", include_str!("board.css"))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            // The token is in the page's URL: never send it on as a referrer.
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}
