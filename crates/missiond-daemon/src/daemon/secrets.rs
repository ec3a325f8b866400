//! Secrets in slot environments: `${secret:path}` references are resolved when a slot is
//! spawned (the configured command runs off the async runtime), and every value resolved
//! so far, together with the well-known key shapes of the `redact:` section, is scrubbed
//! from every sink: PTY logs, the live view and repaint, the screen, screenshots and
//! tool results, the stores, and the daemon's own log lines.
//!
//! The scrubber is process-wide on purpose: a secret fetched for one slot must not leak
//! through another slot's log or a daemon log line that names no slot at all.

use std::borrow::Cow;
use std::io::Write;
use std::sync::{Arc, Mutex, RwLock};

use missiond_core::catalogue::ToolUse;
use missiond_core::ipc::{ErrorCode, RpcError};
use missiond_core::secrets::{
    self, RedactConfig, Redactor, ResolvedEnv, SecretString, SecretsConfig, Shape, rendered,
};
use serde_json::Value;

use super::slot::Slot;

/// Every secret resolved since the daemon started, the shapes, and a scrubber for both.
struct Registry {
    secrets: Mutex<Vec<SecretString>>,
    shapes: Mutex<Vec<Shape>>,
    redactor: RwLock<Redactor>,
}

static REGISTRY: std::sync::LazyLock<Registry> = std::sync::LazyLock::new(|| {
    // The built-in shapes are on from the start, before slots.yaml is read.
    let shapes = secrets::shapes::builtin();
    Registry {
        redactor: RwLock::new(Redactor::with_shapes(&[], shapes.clone()).unwrap_or_default()),
        secrets: Mutex::new(Vec::new()),
        shapes: Mutex::new(shapes),
    }
});

fn rebuild(known: &[SecretString], shapes: &[Shape]) {
    match Redactor::with_shapes(known.iter(), shapes.to_vec()) {
        Ok(redactor) => *REGISTRY.redactor.write().unwrap_or_else(|e| e.into_inner()) = redactor,
        // Only absurd sizes fail; keep the previous scrubber rather than none.
        Err(e) => tracing::error!("secrets: {e}"),
    }
}

/// Use the key shapes of `config` (the `redact:` section; checked when it was loaded,
/// so an error here keeps the built-in shapes and is logged).
pub fn configure(config: &RedactConfig) {
    let shapes = match config.shapes() {
        Ok(shapes) => shapes,
        Err(e) => {
            tracing::error!("redact: {e}; keeping the built-in shapes");
            secrets::shapes::builtin()
        }
    };
    let known = REGISTRY.secrets.lock().unwrap_or_else(|e| e.into_inner());
    let mut current = REGISTRY.shapes.lock().unwrap_or_else(|e| e.into_inner());
    *current = shapes;
    rebuild(&known, &current);
}

/// Add `found` to the values scrubbed everywhere.
pub fn register(found: &[SecretString]) {
    if found.is_empty() {
        return;
    }
    let mut known = REGISTRY.secrets.lock().unwrap_or_else(|e| e.into_inner());
    let before = known.len();
    for secret in found {
        if !known.iter().any(|k| k.expose() == secret.expose()) {
            known.push(secret.clone());
        }
    }
    if known.len() == before {
        return;
    }
    let shapes = REGISTRY.shapes.lock().unwrap_or_else(|e| e.into_inner());
    rebuild(&known, &shapes);
}

/// The scrubber for every secret known so far and the shapes (cheap to clone).
pub fn redactor() -> Redactor {
    REGISTRY
        .redactor
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// `text` with every known secret and key shape replaced: matched on the visible text
/// (escape sequences left out) and, for text taken from a screen, across wrapped lines.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let redactor = redactor();
    if redactor.is_empty() {
        return Cow::Borrowed(text);
    }
    let clean = redactor.redact_str(text);
    let block = rendered::redact_block(&redactor, &clean);
    if block == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(block)
    }
}

/// Screen rows (`cols` wide) with every secret replaced, wrapped rows joined.
pub fn scrub_lines(lines: &[String], cols: u16) -> Vec<String> {
    rendered::redact_lines(&redactor(), lines, cols as usize)
}

/// Screen cells with every secret's cells overwritten by the redaction marker (then
/// blanks), colours kept: what screenshots draw.
pub fn scrub_cells(cells: &mut semantic_terminal::ScreenCells) {
    for (row, col, c) in cell_mask(cells) {
        let i = row * cells.cols as usize + col;
        if let Some(cell) = cells.cells.get_mut(i) {
            cell.c = c;
            cell.zerowidth.clear();
        }
    }
}

/// The cells to overwrite on this screen: (row, column, character).
pub fn cell_mask(cells: &semantic_terminal::ScreenCells) -> Vec<(usize, usize, char)> {
    let redactor = redactor();
    let cols = cells.cols as usize;
    let rows: Vec<rendered::Row> = cells
        .cells
        .chunks(cols.max(1))
        .map(|row| {
            row.iter()
                .enumerate()
                .filter(|(_, c)| !c.wide_spacer)
                .map(|(col, c)| (c.c, col))
                .collect()
        })
        .collect();
    let mut out = Vec::new();
    for span in rendered::find(&redactor, &rows, cols) {
        for (k, (r, i)) in span.into_iter().enumerate() {
            out.push((r, rows[r][i].1, rendered::mask_char(k)));
        }
    }
    out
}

/// The repaint of a slot's screen for a viewer, secrets masked as in [`scrub_cells`].
pub fn paint(term: &semantic_terminal::SemanticTerminal) -> String {
    let mask = cell_mask(&term.cells());
    if mask.is_empty() {
        return term.paint();
    }
    let lookup: std::collections::HashMap<(usize, usize), char> =
        mask.into_iter().map(|(r, c, ch)| ((r, c), ch)).collect();
    term.paint_masked(&|row, col| lookup.get(&(row, col)).copied())
}

/// Tool summaries with every known secret replaced.
pub fn scrub_tools(tools: &[ToolUse]) -> Vec<ToolUse> {
    tools
        .iter()
        .map(|t| ToolUse {
            tool: t.tool.clone(),
            summary: t.summary.as_deref().map(|s| scrub(s).into_owned()),
        })
        .collect()
}

/// Whether any value of `env` references a secret.
fn mentions_secrets(slot: &Slot) -> bool {
    slot.spec
        .config
        .env
        .values()
        .any(|v| secrets::template::mentions_secrets(v))
}

fn resolve(
    slot_id: &str,
    env: &std::collections::BTreeMap<String, String>,
    config: Option<&SecretsConfig>,
) -> Result<ResolvedEnv, RpcError> {
    let resolved = secrets::resolve_env(slot_id, env, config).map_err(|e| {
        RpcError::new(
            ErrorCode::SpawnFailed,
            format!("slot `{slot_id}`: resolving its environment: {e}"),
        )
        .with_data(serde_json::json!({"slotId": slot_id, "var": e.var}))
    })?;
    register(resolved.secrets());
    Ok(resolved)
}

/// The slot's environment, resolved on the calling thread (for callers outside async
/// code, or slots without secrets, where nothing blocks).
pub fn resolve_now(slot: &Slot) -> Result<ResolvedEnv, RpcError> {
    let config = slot
        .ctx
        .secrets
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let config = config.as_ref();
    if !mentions_secrets(slot) {
        return resolve(&slot.spec.id, &slot.spec.config.env, config);
    }
    // The secret command may take seconds: on a multi-thread runtime, let the other
    // tasks move to another worker meanwhile.
    let blocking = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if blocking {
        tokio::task::block_in_place(|| resolve(&slot.spec.id, &slot.spec.config.env, config))
    } else {
        resolve(&slot.spec.id, &slot.spec.config.env, config)
    }
}

/// Start the slot's process with its secrets resolved in a blocking task. Returns false,
/// doing nothing, when it already runs (as [`Slot::spawn_with`]).
pub async fn start(slot: &Arc<Slot>) -> Result<bool, RpcError> {
    if slot.lock().run.as_ref().is_some_and(|r| r.is_alive()) {
        return Ok(false);
    }
    let env = if mentions_secrets(slot) {
        let id = slot.spec.id.clone();
        let vars = slot.spec.config.env.clone();
        let config = slot
            .ctx
            .secrets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        tokio::task::spawn_blocking(move || resolve(&id, &vars, config.as_ref()))
            .await
            .map_err(|e| RpcError::internal(format!("resolving secrets: {e}")))??
    } else {
        resolve(&slot.spec.id, &slot.spec.config.env, None)?
    };
    // A first worktree checkout may take a while: off the async threads.
    super::workspace_slot::prepare_off_thread(slot).await;
    if let Some(host) = &slot.spec.config.host {
        // An unreachable host or a runner that cannot go there fails the start here,
        // with ssh's own words, instead of in the background.
        super::remote::launch::prepare(slot, host).await?;
    }
    slot.spawn_with(env)
}

/// A `tracing` writer to stderr that scrubs known secrets from every line.
#[derive(Clone, Copy, Default)]
pub struct ScrubbedStderr;

/// One log write, scrubbed.
pub struct ScrubbedWrite;

impl Write for ScrubbedWrite {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let redactor = redactor();
        let clean = redactor.redact_bytes(buf);
        std::io::stderr().write_all(&clean)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for ScrubbedStderr {
    type Writer = ScrubbedWrite;

    fn make_writer(&'a self) -> Self::Writer {
        ScrubbedWrite
    }
}

/// `v` with every string in it (keys included) scrubbed.
pub fn scrub_value(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(scrub(s).into_owned()),
        Value::Array(items) => Value::Array(items.iter().map(scrub_value).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (scrub(k).into_owned(), scrub_value(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_values_are_scrubbed_and_others_left() {
        register(&[SecretString::new("tok-registry-test-123".into())]);
        let text = "token=tok-registry-test-123; other=plain";
        let clean = scrub(text);
        assert!(!clean.contains("tok-registry-test-123"), "{clean}");
        assert!(clean.contains("other=plain"), "{clean}");
        // Registering the same value again changes nothing.
        register(&[SecretString::new("tok-registry-test-123".into())]);
        assert_eq!(scrub(text), clean);
    }

    #[test]
    fn the_pty_log_never_holds_a_secret_split_across_chunks() {
        use semantic_terminal::recording::Entry;
        let secret = SecretString::new("split-secret-98765".into());
        let redactor = Redactor::new([&secret]).expect("redactor");
        let dir = tempfile::tempdir().expect("tempdir");
        let mut log = super::super::pty_log::PtyLog::create(
            dir.path(),
            "s1",
            vec!["x".into()],
            80,
            24,
            1 << 20,
        )
        .expect("log")
        .with_redactor(&redactor);
        for (t, chunk) in ["out: split-sec", "ret-98", "765 and more", " tail-split-"]
            .into_iter()
            .enumerate()
        {
            let entry = Entry::Output {
                t: t as f64,
                bytes: chunk.as_bytes().to_vec(),
            };
            log.append(&entry).expect("append");
        }
        log.append(&Entry::Exit {
            t: 9.0,
            code: Some(0),
        })
        .expect("exit");
        let path = super::super::pty_log::list_logs(dir.path(), "s1")
            .pop()
            .expect("a log");
        let rec = semantic_terminal::recording::Recording::parse(
            &std::fs::read_to_string(path).expect("read"),
        )
        .expect("parse");
        let out: Vec<u8> = rec
            .entries
            .iter()
            .filter_map(|e| match e {
                Entry::Output { bytes, .. } => Some(bytes.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        let text = String::from_utf8(out).expect("utf8");
        assert!(!text.contains("split-secret-98765"), "{text}");
        // Everything else arrives, the held-back tail included.
        assert!(
            text.starts_with("out: ") && text.ends_with(" and more tail-split-"),
            "{text}"
        );
    }

    #[test]
    fn screenshot_cells_and_the_repaint_show_the_marker_where_a_wrapped_secret_was() {
        let secret = "cells-secret-abcdefghijklmnopqrstuvwxyz-0123";
        register(&[SecretString::new(secret.into())]);
        let mut term =
            semantic_terminal::SemanticTerminal::new(30, 6, semantic_terminal::Config::default());
        // Split by escapes, wrapped by the 30-column terminal, with text around it.
        let split: String = secret.chars().map(|c| format!("{c}\x1b[0m")).collect();
        term.feed(0.0, format!("id: {split} end\r\nnext").as_bytes());
        let mut cells = term.cells();
        scrub_cells(&mut cells);
        let row = |r: u16| -> String {
            (0..cells.cols)
                .map(|c| cells.get(r, c).map_or(' ', |x| x.c))
                .collect::<String>()
                .trim_end()
                .to_string()
        };
        // The marker, then blanks over the rest of the secret's cells; the rest stays.
        assert_eq!(row(0), "id: [REDACTED]");
        assert_eq!(row(1), format!("{} end", " ".repeat(secret.len() - 26)));
        assert_eq!(row(2), "next");
        // The repaint, replayed into a fresh terminal, shows the same.
        let painted = paint(&term);
        let mut viewer =
            semantic_terminal::SemanticTerminal::new(30, 6, semantic_terminal::Config::default());
        viewer.feed(0.0, painted.as_bytes());
        let lines = viewer.screen_lines();
        assert_eq!(lines[0], "id: [REDACTED]");
        assert_eq!(lines[1], row(1));
        assert_eq!(lines[2], "next");
        // The screen tool's text.
        let lines = scrub_lines(&term.screen_lines(), 30);
        assert_eq!(&lines[..3], ["id: [REDACTED]", " end", "next"]);
    }

    #[test]
    fn values_are_scrubbed_string_by_string() {
        register(&[SecretString::new("value-secret-5566".into())]);
        let v = serde_json::json!({"a": ["x value-secret-5566 y", 3], "value-secret-5566": null});
        let clean = scrub_value(&v);
        assert_eq!(
            clean,
            serde_json::json!({"a": ["x [REDACTED] y", 3], "[REDACTED]": null})
        );
    }
}
