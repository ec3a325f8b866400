//! `GET /pty/{slotId}`: a live view of a slot's terminal over a WebSocket.
//!
//! Server to client:
//! 1. a text frame `{"type": "attached", "slotId", "cols", "rows", "state", "readOnly"}`;
//! 2. a binary frame that repaints the whole screen (colours and cursor included;
//!    secrets and key shapes on it masked by the redaction marker);
//! 3. binary frames with the process's output as it comes (secrets and key shapes
//!    scrubbed, also when split by escape sequences);
//! 4. text frames `{"type": "state", "state", "previous"}` when the slot's state changes;
//! 5. after falling too far behind, `{"type": "lagged", "missed": n}` and a fresh repaint;
//! 6. when the process ends, `{"type": "exited", "code"}`, then the socket closes.
//!
//! Client to server: binary frames (or text frames `{"type": "input", "data": "..."}`)
//! are typed into the terminal, and `{"type": "resize", "cols", "rows"}` resizes it,
//! unless the URL says `?mode=view` (implied, and the only mode allowed, with the board's
//! read-only token). Anything else is answered with
//! `{"type": "error", "message"}` and ignored.

use std::sync::Arc;

use axum::Extension;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use missiond_core::catalogue::SlotState;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::guard::Access;
use super::heartbeat::{Beat, Heartbeat};
use crate::daemon::events::DaemonEvent;
use crate::daemon::slot::Slot;
use crate::daemon::supervisor::Supervisor;

/// Largest input frame accepted (a pasted file is fine; a runaway client is not).
const MAX_INPUT_BYTES: usize = 1 << 20;

/// `?mode=view` attaches read-only.
#[derive(Debug, Default, Deserialize)]
pub struct AttachQuery {
    #[serde(default)]
    mode: Option<String>,
}

pub async fn upgrade(
    State(sup): State<Arc<Supervisor>>,
    Path(slot_id): Path<String>,
    Query(query): Query<AttachQuery>,
    access: Option<Extension<Access>>,
    ws: WebSocketUpgrade,
) -> Response {
    let full = access.map(|Extension(a)| a) == Some(Access::Full);
    let Ok(slot) = sup.get(&slot_id) else {
        return (
            StatusCode::NOT_FOUND,
            format!("missiond: no slot `{slot_id}`\n"),
        )
            .into_response();
    };
    let read_only = match query.mode.as_deref() {
        // The read-only token only ever watches.
        None if !full => true,
        Some("control") if !full => {
            return (
                StatusCode::FORBIDDEN,
                "missiond: the read-only board token attaches with mode=view only\n",
            )
                .into_response();
        }
        None | Some("control") => false,
        Some("view") => true,
        Some(other) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("missiond: mode must be `view` or `control`, not `{other}`\n"),
            )
                .into_response();
        }
    };
    ws.max_message_size(MAX_INPUT_BYTES)
        .on_upgrade(move |socket| attach(socket, slot, read_only))
}

fn text(value: Value) -> Message {
    Message::Text(Utf8Bytes::from(value.to_string()))
}

/// What a viewer gets on attaching: the greeting, the repaint, and the output from the
/// moment of the repaint on.
struct Snapshot {
    hello: Message,
    paint: Message,
    output: tokio::sync::broadcast::Receiver<Arc<[u8]>>,
}

/// Take a [`Snapshot`], or say why the slot cannot be attached to.
fn snapshot(slot: &Slot, read_only: bool) -> Result<Snapshot, String> {
    let inner = slot.lock();
    let Some(run) = inner.run.as_ref().filter(|r| r.is_alive()) else {
        return Err(format!(
            "slot `{}` is not running; start it with mission_pty_spawn",
            slot.spec.id
        ));
    };
    // Subscribed under the slot's lock, which output is published under: the repaint
    // and the stream meet exactly.
    let output = slot.subscribe_output();
    let (cols, rows) = run.term.size();
    let hello = text(json!({
        "type": "attached",
        "slotId": slot.spec.id,
        "cols": cols,
        "rows": rows,
        "state": SlotState::from(run.state()),
        "readOnly": read_only,
    }));
    // Secrets on the screen are masked in the repaint, as in the live stream.
    let paint = Message::Binary(crate::daemon::secrets::paint(&run.term).into_bytes().into());
    Ok(Snapshot {
        hello,
        paint,
        output,
    })
}

fn repaint(slot: &Slot) -> Option<Message> {
    let inner = slot.lock();
    let run = inner.run.as_ref()?;
    Some(Message::Binary(
        crate::daemon::secrets::paint(&run.term).into_bytes().into(),
    ))
}

fn exit_code(slot: &Slot) -> Option<i32> {
    slot.lock().run.as_ref().and_then(|r| r.exit.flatten())
}

async fn attach(mut socket: WebSocket, slot: Arc<Slot>, read_only: bool) {
    let Snapshot {
        hello,
        paint,
        mut output,
    } = match snapshot(&slot, read_only) {
        Ok(parts) => parts,
        Err(message) => {
            let _ = socket
                .send(text(json!({"type": "error", "message": message})))
                .await;
            let _ = socket.send(Message::Close(None)).await;
            return;
        }
    };
    if socket.send(hello).await.is_err() || socket.send(paint).await.is_err() {
        return;
    }
    let mut events = slot.ctx.events.subscribe();
    let mut shutdown = slot.ctx.subscribe_shutdown();
    let mut heartbeat = Heartbeat::for_server();
    loop {
        tokio::select! {
            chunk = output.recv() => match chunk {
                Ok(bytes) => {
                    if socket.send(Message::Binary(bytes.to_vec().into())).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    let Some(paint) = repaint(&slot) else { break };
                    let lagged = text(json!({"type": "lagged", "missed": missed}));
                    if socket.send(lagged).await.is_err() || socket.send(paint).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Closed) => break,
            },
            event = events.recv() => match event {
                Ok(DaemonEvent::SlotState { slot_id, state, previous }) if slot_id == slot.spec.id => {
                    let message = text(json!({"type": "state", "state": state, "previous": previous}));
                    if socket.send(message).await.is_err() {
                        return;
                    }
                    if matches!(state, SlotState::Exited | SlotState::Stopped) {
                        break;
                    }
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(message)) => {
                    heartbeat.heard();
                    if let Some(reply) = on_client_message(&slot, read_only, message)
                        && socket.send(reply).await.is_err()
                    {
                        return;
                    }
                }
                // The viewer left.
                Some(Err(_)) | None => return,
            },
            beat = heartbeat.beat() => match beat {
                Beat::Ping(ping) => {
                    if socket.send(ping).await.is_err() {
                        return;
                    }
                }
                // The viewer stopped answering pings.
                Beat::Gone => return,
            },
            _ = shutdown.changed() => break,
        }
    }
    // Output still queued when the state turned Exited is the process's last words.
    while let Ok(bytes) = output.try_recv() {
        if socket
            .send(Message::Binary(bytes.to_vec().into()))
            .await
            .is_err()
        {
            return;
        }
    }
    let _ = socket
        .send(text(json!({"type": "exited", "code": exit_code(&slot)})))
        .await;
    let _ = socket.send(Message::Close(None)).await;
}

/// What a viewer's frame asks for.
enum Request {
    Type(Vec<u8>),
    Resize { cols: u16, rows: u16 },
}

fn parse_request(message: Message) -> Result<Option<Request>, &'static str> {
    const TEXT_FRAMES: &str = "text frames must be {\"type\": \"input\", \"data\": \"...\"} \
                               or {\"type\": \"resize\", \"cols\": C, \"rows\": R}";
    let text = match message {
        Message::Binary(bytes) => return Ok(Some(Request::Type(bytes.to_vec()))),
        Message::Text(t) => t,
        // Pings are answered by axum; close ends the loop through `recv`.
        _ => return Ok(None),
    };
    let v: Value = serde_json::from_str(text.as_str()).map_err(|_| TEXT_FRAMES)?;
    let size = |k: &str| v[k].as_u64().and_then(|n| u16::try_from(n).ok());
    match (v["type"].as_str(), v["data"].as_str()) {
        (Some("input"), Some(data)) => Ok(Some(Request::Type(data.as_bytes().to_vec()))),
        (Some("resize"), _) => match (size("cols"), size("rows")) {
            (Some(cols), Some(rows)) => Ok(Some(Request::Resize { cols, rows })),
            _ => Err(TEXT_FRAMES),
        },
        _ => Err(TEXT_FRAMES),
    }
}

/// Act on one frame from the viewer; returns a reply for it, if any.
fn on_client_message(slot: &Slot, read_only: bool, message: Message) -> Option<Message> {
    let request = match parse_request(message) {
        Ok(Some(request)) => request,
        Ok(None) => return None,
        Err(usage) => return Some(error(usage)),
    };
    if read_only {
        return Some(error("attached with mode=view: input is not accepted"));
    }
    let done = match request {
        Request::Type(bytes) => slot.write(&bytes),
        Request::Resize { cols, rows } => slot.resize(cols, rows),
    };
    done.err().map(|e| error(&e.message))
}

fn error(message: &str) -> Message {
    text(json!({"type": "error", "message": message}))
}
