//! One attachment: the terminal set up, frames shown, keys sent, the terminal restored.

use std::io::Write;

use anyhow::{Context, Result, bail};
use futures::{SinkExt, StreamExt};
use missiond_core::tty;
use serde_json::Value;
use tokio::io::AsyncReadExt;
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::AUTHORIZATION;

/// The key that detaches (Ctrl-]), as telnet and docker use it.
const DETACH: u8 = 0x1d;

/// Enter the alternate screen; leaving restores the user's own screen.
const ENTER: &[u8] = b"\x1b[?1049h";
const LEAVE: &[u8] = b"\x1b[0m\x1b[?25h\x1b[?1049l";

/// Keeps the user's terminal as it was: raw mode and the alternate screen are undone on
/// every way out.
struct Screen {
    _raw: Option<tty::RawMode>,
}

impl Screen {
    fn take() -> Result<Screen> {
        let raw = if tty::size(0).is_some() {
            Some(tty::RawMode::enable(0).context("putting the terminal in raw mode")?)
        } else {
            None
        };
        let mut out = std::io::stdout().lock();
        out.write_all(ENTER)?;
        out.flush()?;
        Ok(Screen { _raw: raw })
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(LEAVE);
        let _ = out.flush();
    }
}

fn show(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

/// How to attach.
#[derive(Debug, Clone, Copy)]
pub struct Mode {
    /// Watch only.
    pub view: bool,
    /// Keep the slot's terminal the size of ours.
    pub fit: bool,
}

/// The frame that resizes the slot to our terminal, when it is one.
fn fit_frame() -> Option<Message> {
    let (cols, rows) = tty::size(0)?;
    let frame = serde_json::json!({"type": "resize", "cols": cols, "rows": rows});
    Some(Message::Text(frame.to_string().into()))
}

/// Attach to `slot` on the server at `base`; returns why it ended.
pub async fn run(base: &str, token: &str, slot: &str, mode: Mode) -> Result<String> {
    let view = mode.view;
    let url = format!(
        "{}/pty/{slot}?mode={}",
        base.trim_end_matches('/'),
        if view { "view" } else { "control" }
    );
    let mut request = url.as_str().into_client_request()?;
    request
        .headers_mut()
        .insert(AUTHORIZATION, format!("Bearer {token}").parse()?);
    let (mut ws, _) = connect_async(request)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    let hello: Value = match ws.next().await {
        Some(Ok(Message::Text(t))) => {
            serde_json::from_str(t.as_str()).context("the daemon's greeting")?
        }
        Some(Ok(other)) => bail!("unexpected first frame from the daemon: {other:?}"),
        Some(Err(e)) => return Err(e).context("reading the daemon's greeting"),
        None => bail!("the daemon closed the connection"),
    };
    if hello["type"] != "attached" {
        bail!(
            "{}",
            hello["message"]
                .as_str()
                .unwrap_or("the daemon refused to attach")
        );
    }
    let (cols, rows) = (hello["cols"].as_u64(), hello["rows"].as_u64());
    let mut notes = Vec::new();
    if let (false, Some((my_cols, my_rows)), Some(c), Some(r)) =
        (mode.fit, tty::size(0), cols, rows)
        && (u64::from(my_cols) < c || u64::from(my_rows) < r)
    {
        notes.push(format!(
            "your terminal is {my_cols}x{my_rows}; slot `{slot}` is {c}x{r}, so part of it is cut off"
        ));
    }

    let _screen = Screen::take()?;
    let mut resized = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
        .context("watching for terminal resizes")?;
    if mode.fit
        && let Some(frame) = fit_frame()
    {
        ws.send(frame).await.context("resizing the slot")?;
    }
    let mut stdin = tokio::io::stdin();
    let mut keys = [0u8; 4096];
    let mut stdin_open = true;
    let ending = loop {
        tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(Message::Binary(bytes))) => show(&bytes)?,
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap_or_default();
                    match v["type"].as_str() {
                        Some("exited") => {
                            break format!("slot `{slot}` exited (code {})", v["code"]);
                        }
                        Some("error") => notes.push(v["message"].as_str().unwrap_or_default().to_string()),
                        _ => {}
                    }
                }
                Some(Ok(Message::Close(_))) | None => break "the daemon closed the connection".to_string(),
                Some(Ok(_)) => {}
                Some(Err(e)) => break format!("connection lost: {e}"),
            },
            _ = resized.recv(), if mode.fit => {
                if let Some(frame) = fit_frame() {
                    ws.send(frame).await.context("resizing the slot")?;
                }
            }
            read = stdin.read(&mut keys), if stdin_open => match read {
                Ok(0) | Err(_) => stdin_open = false,
                Ok(n) => {
                    let typed = &keys[..n];
                    let (send, detach) = match typed.iter().position(|&b| b == DETACH) {
                        Some(at) => (&typed[..at], true),
                        None => (typed, false),
                    };
                    if !send.is_empty() && !view {
                        ws.send(Message::Binary(send.to_vec().into())).await.context("sending keys")?;
                    }
                    if detach {
                        break format!("detached from slot `{slot}` (it keeps running)");
                    }
                }
            },
        }
    };
    let _ = ws.close(None).await;
    drop(_screen);
    for note in notes {
        eprintln!("missiond-attach: {note}");
    }
    Ok(ending)
}
