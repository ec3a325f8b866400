//! `GET /` and the board's files: a page built into the binary, with no outside assets
//! (xterm.js is vendored under `vendor/`, see `scripts/board-vendor.sh`). The files hold
//! no secret, so they are served without the token; every call the page makes (`/rpc`,
//! `/events`, `/pty/...`) carries the token it reads from its own URL.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// One file of the board: its path, content type and bytes.
pub struct Asset {
    /// Where it is served.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its content, built into the binary.
    pub body: &'static str,
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every file of the board. Scripts load in the order the page lists them.
pub const ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        content_type: "text/html; charset=utf-8",
        body: include_str!("board.html"),
    },
    Asset {
        path: "/board.css",
        content_type: CSS,
        body: include_str!("board.css"),
    },
    Asset {
        path: "/board.js",
        content_type: JS,
        body: include_str!("board.js"),
    },
    Asset {
        path: "/board-styles.js",
        content_type: JS,
        body: include_str!("board-styles.js"),
    },
    Asset {
        path: "/board-term.js",
        content_type: JS,
        body: include_str!("board-term.js"),
    },
    Asset {
        path: "/board-slots.js",
        content_type: JS,
        body: include_str!("board-slots.js"),
    },
    Asset {
        path: "/board-lists.js",
        content_type: JS,
        body: include_str!("board-lists.js"),
    },
    Asset {
        path: "/board-convo.js",
        content_type: JS,
        body: include_str!("board-convo.js"),
    },
    Asset {
        path: "/board-usage.js",
        content_type: JS,
        body: include_str!("board-usage.js"),
    },
    Asset {
        path: "/board-workspace.js",
        content_type: JS,
        body: include_str!("board-workspace.js"),
    },
    Asset {
        path: "/board-notify.js",
        content_type: JS,
        body: include_str!("board-notify.js"),
    },
    Asset {
        path: "/vendor/xterm.js",
        content_type: JS,
        body: include_str!("vendor/xterm.js"),
    },
    Asset {
        path: "/vendor/xterm.css",
        content_type: CSS,
        body: include_str!("vendor/xterm.css"),
    },
    Asset {
        path: "/vendor/addon-fit.js",
        content_type: JS,
        body: include_str!("vendor/addon-fit.js"),
    },
];

/// Whether `path` is one of the board's files (served without the token).
pub fn is_open_path(path: &str) -> bool {
    ASSETS.iter().any(|a| a.path == path)
}

/// Only this server's own scripts and styles, and connections back to it: text an agent
/// wrote that slipped into markup could neither run inline script nor send anything away.
/// xterm.js writes its generated styles into `<style>` elements, which this policy
/// blocks; `board-styles.js` hands them to the page as constructed style sheets instead.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Serve `asset`.
pub fn serve(asset: &'static Asset) -> Response {
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            // The token is in the page's URL: never send it on as a referrer.
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        asset.body,
    )
        .into_response()
}
