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
const LEAVE: &[u8] = b"\x1b[0m\x1b[?25h\x1b[?7h\x1b[?1049l";
/// Autowrap off: a line wider than our terminal is cut at its edge.
const NO_WRAP: &[u8] = b"\x1b[?7l";

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
    /// Never resize the slot, even when our terminal is smaller.
    pub no_fit: bool,
}

/// What to do about the sizes: fit the slot to us, or show it cut off at our edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sizing {
    /// Ours is at least the slot's size (or unknown): show it as it is.
    AsIs,
    /// Resize the slot to our terminal, and again when ours changes.
    Fit,
    /// Our terminal is smaller and the slot keeps its size: draw the cut edge.
    CutOff {
        cols: u16,
        rows: u16,
        slot_cols: u16,
        slot_rows: u16,
    },
}

/// Decides the sizing: `--fit` always fits; a terminal smaller than the slot fits it
/// too, unless watching (a viewer may not resize) or `--no-fit`, which cut it off.
fn sizing(mode: Mode, mine: Option<(u16, u16)>, slot: Option<(u16, u16)>) -> Sizing {
    if mode.fit {
        return Sizing::Fit;
    }
    let (Some((cols, rows)), Some((slot_cols, slot_rows))) = (mine, slot) else {
        return Sizing::AsIs;
    };
    if cols >= slot_cols && rows >= slot_rows {
        return Sizing::AsIs;
    }
    if mode.view || mode.no_fit {
        Sizing::CutOff {
            cols,
            rows,
            slot_cols,
            slot_rows,
        }
    } else {
        Sizing::Fit
    }
}

/// Bytes that mark where the slot's screen is cut off by ours: a reverse-video bar in
/// our last column when the slot is wider, a labelled bar on our last row when it is
/// taller. The cursor is saved and restored around them.
fn cut_edge(cols: u16, rows: u16, slot_cols: u16, slot_rows: u16) -> Vec<u8> {
    let mut out = String::from("\x1b7\x1b[0m\x1b[7m");
    let wider = slot_cols > cols;
    let taller = slot_rows > rows;
    if wider {
        let last = if taller { rows.saturating_sub(1) } else { rows };
        for row in 1..=last {
            out.push_str(&format!("\x1b[{row};{cols}H\u{203a}"));
        }
    }
    if taller {
        let label = format!(
            " slot is {slot_cols}x{slot_rows}, your terminal {cols}x{rows}: cut off here (run without --view/--no-fit to fit it) "
        );
        let width = cols as usize;
        let mut bar: String = label.chars().take(width).collect();
        let pad = width.saturating_sub(bar.chars().count());
        bar.push_str(&"\u{2501}".repeat(pad));
        out.push_str(&format!("\x1b[{rows};1H{bar}"));
    }
    out.push_str("\x1b[0m\x1b8");
    out.into_bytes()
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
    let slot_size = match (hello["cols"].as_u64(), hello["rows"].as_u64()) {
        (Some(c), Some(r)) => Some((c as u16, r as u16)),
        _ => None,
    };
    let mut notes = Vec::new();
    let sizing = sizing(mode, tty::size(0), slot_size);
    // Said before the screen is taken, so it is read before anything is drawn.
    match sizing {
        Sizing::Fit if !mode.fit => {
            let (c, r) = slot_size.unwrap_or_default();
            let (mc, mr) = tty::size(0).unwrap_or_default();
            eprintln!(
                "missiond-attach: your terminal ({mc}x{mr}) is smaller than slot `{slot}` ({c}x{r}): \
                 resizing the slot to fit (--no-fit keeps its size)"
            );
        }
        Sizing::CutOff {
            cols,
            rows,
            slot_cols,
            slot_rows,
        } => {
            let note = format!(
                "your terminal is {cols}x{rows}; slot `{slot}` is {slot_cols}x{slot_rows}, so its right and bottom are cut off (marked){}",
                if view {
                    "; a viewer cannot resize it"
                } else {
                    ""
                }
            );
            eprintln!("missiond-attach: {note}");
            notes.push(note);
            std::thread::sleep(std::time::Duration::from_millis(1500));
        }
        _ => {}
    }
    let fit = sizing == Sizing::Fit;
    let edge = match sizing {
        Sizing::CutOff {
            cols,
            rows,
            slot_cols,
            slot_rows,
        } => Some(cut_edge(cols, rows, slot_cols, slot_rows)),
        _ => None,
    };

    let _screen = Screen::take()?;
    if edge.is_some() {
        // Lines wider than our terminal are cut at its edge instead of wrapping over
        // the rows below.
        show(NO_WRAP)?;
    }
    let mut resized = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
        .context("watching for terminal resizes")?;
    if fit && let Some(frame) = fit_frame() {
        ws.send(frame).await.context("resizing the slot")?;
    }
    let mut stdin = tokio::io::stdin();
    let mut keys = [0u8; 4096];
    let mut stdin_open = true;
    let ending = loop {
        tokio::select! {
            frame = ws.next() => match frame {
                Some(Ok(Message::Binary(bytes))) => {
                    show(&bytes)?;
                    if let Some(edge) = &edge {
                        show(edge)?;
                    }
                }
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
            _ = resized.recv(), if fit => {
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

#[cfg(test)]
mod tests {
    use super::*;

    const CONTROL: Mode = Mode {
        view: false,
        fit: false,
        no_fit: false,
    };

    #[test]
    fn a_smaller_terminal_fits_the_slot_unless_watching_or_told_not_to() {
        let small = Some((60, 20));
        let slot = Some((80, 24));
        assert_eq!(sizing(CONTROL, small, slot), Sizing::Fit);
        let cut = Sizing::CutOff {
            cols: 60,
            rows: 20,
            slot_cols: 80,
            slot_rows: 24,
        };
        let view = Mode {
            view: true,
            ..CONTROL
        };
        assert_eq!(sizing(view, small, slot), cut);
        let no_fit = Mode {
            no_fit: true,
            ..CONTROL
        };
        assert_eq!(sizing(no_fit, small, slot), cut);
        // Only narrower is smaller too.
        assert_eq!(sizing(CONTROL, Some((60, 40)), slot), Sizing::Fit);
        assert_eq!(sizing(CONTROL, Some((120, 40)), slot), Sizing::AsIs);
        assert_eq!(sizing(CONTROL, None, slot), Sizing::AsIs);
        let fit = Mode {
            fit: true,
            ..CONTROL
        };
        assert_eq!(sizing(fit, Some((120, 40)), slot), Sizing::Fit);
    }

    #[test]
    fn the_cut_edge_marks_the_last_column_and_row() {
        let edge = String::from_utf8(cut_edge(60, 20, 80, 24)).unwrap();
        assert!(
            edge.starts_with("\x1b7") && edge.ends_with("\x1b8"),
            "{edge:?}"
        );
        for row in 1..20 {
            assert!(
                edge.contains(&format!("\x1b[{row};60H\u{203a}")),
                "row {row}: {edge:?}"
            );
        }
        assert!(
            edge.contains("\x1b[20;1H slot is 80x24, your terminal 60x20"),
            "{edge:?}"
        );
        // Only wider: no bottom bar, every row marked.
        let edge = String::from_utf8(cut_edge(60, 24, 80, 24)).unwrap();
        assert!(edge.contains("\x1b[24;60H\u{203a}") && !edge.contains("cut off here"));
    }
}
