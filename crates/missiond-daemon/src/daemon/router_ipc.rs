//! IPC routing for the AI router's tool: `mission_router_chat`, through the backend of
//! `credentials.json` (read at each call, so a new key needs no reload).

use std::sync::Arc;

use missiond_core::catalogue::{self as cat, RouterChatResult, Tool, encode};
use missiond_core::ipc::RpcError;
use missiond_core::router::chat_from_home;
use serde_json::Value;

use super::supervisor::Supervisor;

/// Answer `method` if it is one of these tools; `None` for any other method.
pub async fn handle(
    sup: &Arc<Supervisor>,
    method: &str,
    params: &Value,
) -> Option<Result<Value, RpcError>> {
    let result = match method {
        cat::RouterChat::NAME => match cat::RouterChat::params(params.clone()) {
            Ok(p) => chat_from_home(&sup.ctx.home, &p.request())
                .await
                .map(RouterChatResult::from)
                .map_err(|e| e.to_rpc())
                .and_then(encode),
            Err(e) => Err(e),
        },
        _ => return None,
    };
    Some(result)
}
