//! `GET /tasks` and `GET /events`: daemon events as JSON text frames, one per event
//! (see [`DaemonEvent`]), from the moment of connecting. A subscriber that falls
//! behind gets `{"type": "lagged", "missed": n}` in place of what it missed. A
//! subscriber that stops answering pings is let go (see [`super::heartbeat`]).

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::heartbeat::{Beat, Heartbeat};
use crate::daemon::events::DaemonEvent;
use crate::daemon::supervisor::Supervisor;

pub async fn tasks(State(sup): State<Arc<Supervisor>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| stream(socket, sup, DaemonEvent::is_task_event))
}

pub async fn all(State(sup): State<Arc<Supervisor>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| stream(socket, sup, |_| true))
}

async fn stream(mut socket: WebSocket, sup: Arc<Supervisor>, wanted: fn(&DaemonEvent) -> bool) {
    let mut events = sup.ctx.events.subscribe();
    let mut shutdown = sup.ctx.subscribe_shutdown();
    let mut heartbeat = Heartbeat::for_server();
    let hello = json!({"type": "subscribed"}).to_string();
    if socket
        .send(Message::Text(Utf8Bytes::from(hello)))
        .await
        .is_err()
    {
        return;
    }
    loop {
        let frame = tokio::select! {
            event = events.recv() => match event {
                Ok(e) if wanted(&e) => serde_json::to_string(&e).unwrap_or_default(),
                Ok(_) => continue,
                Err(RecvError::Lagged(missed)) => json!({"type": "lagged", "missed": missed}).to_string(),
                Err(RecvError::Closed) => break,
            },
            incoming = socket.recv() => match incoming {
                // Nothing is expected from the subscriber but pongs; it may ping.
                Some(Ok(_)) => {
                    heartbeat.heard();
                    continue;
                }
                Some(Err(_)) | None => return,
            },
            beat = heartbeat.beat() => match beat {
                Beat::Ping(ping) => {
                    if socket.send(ping).await.is_err() {
                        return;
                    }
                    continue;
                }
                Beat::Gone => return,
            },
            _ = shutdown.changed() => break,
        };
        if socket
            .send(Message::Text(Utf8Bytes::from(frame)))
            .await
            .is_err()
        {
            return;
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}
