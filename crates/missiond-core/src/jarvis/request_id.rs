//! Request ids: minted once at the edge where a request enters missiond (an MCP call,
//! a CLI command, a board action, a hook), carried in the IPC request's
//! `params._meta.requestId`, and attached to every log event the daemon emits while
//! serving it.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

/// The key under `params._meta` that carries the id.
pub const META_KEY: &str = "requestId";
/// Longest accepted id.
pub const MAX_LEN: usize = 200;

/// A new id: `<edge>-<time base36>-<pid base36>-<counter>`, unique on this machine
/// (`mcp-mh8x2k3a-1f3c-1`). `edge` says where the request came in (`mcp`, `cli`,
/// `web`, `hook`, `ipc`).
pub fn mint(edge: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
    let ms = crate::time::now_ms().max(0) as u64;
    format!(
        "{edge}-{}-{}-{n}",
        base36(ms),
        base36(u64::from(std::process::id()))
    )
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Puts `id` into `params._meta.requestId` (params must be an object or null).
pub fn attach(params: &mut Value, id: &str) {
    if params.is_null() {
        *params = Value::Object(Default::default());
    }
    if let Value::Object(map) = params {
        let meta = map
            .entry("_meta")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Value::Object(meta) = meta {
            meta.entry(META_KEY)
                .or_insert_with(|| Value::String(id.to_string()));
        }
    }
}

/// Removes `params._meta` and returns its request id when it is a usable one (printable,
/// at most [`MAX_LEN`] bytes). Handlers never see `_meta`.
pub fn take(params: &mut Value) -> Option<String> {
    let meta = params.as_object_mut()?.remove("_meta")?;
    let id = meta.get(META_KEY)?.as_str()?;
    (!id.is_empty() && id.len() <= MAX_LEN && id.chars().all(|c| c.is_ascii_graphic()))
        .then(|| id.to_string())
}

tokio::task_local! {
    static CURRENT: String;
}

/// Runs `fut` as request `id`: [`current`] returns it anywhere inside (not in tasks it
/// spawns).
pub async fn scope<F: std::future::Future>(id: String, fut: F) -> F::Output {
    CURRENT.scope(id, fut).await
}

/// The id of the request being served, inside [`scope`].
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}
