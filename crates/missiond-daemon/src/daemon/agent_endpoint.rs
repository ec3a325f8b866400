//! Each slot's own door into the daemon: a Unix socket in the slot's folder under
//! `run/`, serving only the agent tools (`catalogue::AGENT_TOOLS`) and the slot's hook
//! events, always as that slot.
//!
//! Who calls is decided by which socket was reached, never by what the caller says:
//! environment variables, process ancestry and request fields are all under the agent's
//! control. A `slotId`, `source` or hook `slot` in a request is overwritten with the
//! endpoint's slot; every other method is refused with `not_allowed`. The sandbox (see
//! `sandbox`) leaves the slot this one socket and hides the main socket and every other
//! slot's, so an agent's processes can act as their own slot and nothing more.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use missiond_core::catalogue::agent_tool_for;
use missiond_core::ipc::{Endpoint, Handler, Listener, RpcError, ServerConfig, serve};
use serde_json::Value;

use super::context::Ctx;
use super::handlers::Handlers;
use super::hooks::HOOK_METHOD;

/// The socket's file name inside the slot's folder.
pub const SOCKET_NAME: &str = "agent.sock";

/// The folder holding everything one slot's processes may see of the daemon: its
/// endpoint and the settings generated for it.
pub fn slot_dir(run_dir: &Path, slot: &str) -> PathBuf {
    run_dir.join(slot)
}

/// The endpoint of `slot`, as its processes are told (`MISSION_IPC_ENDPOINT`).
pub fn endpoint(run_dir: &Path, slot: &str) -> Endpoint {
    Endpoint::Unix(slot_dir(run_dir, slot).join(SOCKET_NAME))
}

/// Serves what one slot's processes may call, as that slot.
pub struct AgentHandler {
    slot: String,
    inner: Arc<Handlers>,
}

impl AgentHandler {
    /// A handler answering for `slot` with the daemon's handlers.
    pub fn new(slot: impl Into<String>, inner: Arc<Handlers>) -> Self {
        AgentHandler {
            slot: slot.into(),
            inner,
        }
    }
}

impl Handler for AgentHandler {
    async fn handle(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        // The role is read at each call: a reload may change it.
        let role = self.inner.slot_role(&self.slot).unwrap_or_default();
        let params = admit(&self.slot, &role, method, params)?;
        self.inner.handle(method, params).await
    }
}

/// `params` with the caller set to `slot` (of `role`), or why `method` is refused on
/// its endpoint.
fn admit(slot: &str, role: &str, method: &str, params: Value) -> Result<Value, RpcError> {
    let mut params = match params {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    let field = if method == HOOK_METHOD {
        "slot"
    } else {
        match agent_tool_for(method, role) {
            Some(tool) => match tool.caller_field {
                Some(field) => field,
                None => return Ok(Value::Object(params)),
            },
            None => {
                let tools: Vec<&str> = missiond_core::catalogue::agent_tools_for(role)
                    .map(|t| t.name)
                    .collect();
                return Err(RpcError::not_allowed(
                    method,
                    format!(
                        "this is slot `{slot}`'s endpoint, which serves only the agent tools \
                         of its role `{role}` ({}) and its own hook events",
                        tools.join(", ")
                    ),
                ));
            }
        }
    };
    if let Some(claimed) = params.get(field).and_then(Value::as_str)
        && claimed != slot
    {
        tracing::warn!(
            slot,
            claimed,
            method,
            "a call on a slot's endpoint named another slot; it counts as the endpoint's own"
        );
    }
    params.insert(field.to_string(), Value::String(slot.to_string()));
    Ok(Value::Object(params))
}

/// Creates `slot`'s folder (0700) and starts listening on its socket.
pub async fn listen(run_dir: &Path, slot: &str) -> anyhow::Result<Listener> {
    use anyhow::Context as _;
    use std::os::unix::fs::PermissionsExt;
    let dir = slot_dir(run_dir, slot);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("making {} private", dir.display()))?;
    let endpoint = endpoint(run_dir, slot);
    endpoint
        .listen()
        .await
        .with_context(|| format!("listening on {endpoint}"))
}

/// Starts every slot's endpoint; each serves until the daemon shuts down. A slot whose
/// endpoint cannot be made is recorded in `ctx` (its spawns fail with the reason).
pub async fn start_all(sup: &Arc<super::supervisor::Supervisor>, handlers: &Arc<Handlers>) {
    let _ = sup.endpoint_handlers.set(Arc::downgrade(handlers));
    for slot in sup.slots() {
        start_one(&sup.ctx, &slot.spec.id, handlers).await;
    }
}

/// Starts `slot`'s endpoint unless it has one (a slot a reload changed or brought back
/// keeps the endpoint of its id: it serves whichever slot has that id now).
pub async fn start_one(ctx: &Arc<Ctx>, slot: &str, handlers: &Arc<Handlers>) {
    let new = ctx
        .endpoints
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(slot.to_string());
    if !new {
        return;
    }
    match listen(&ctx.run_dir, slot).await {
        Ok(listener) => {
            let handler = Arc::new(AgentHandler::new(slot.to_string(), Arc::clone(handlers)));
            let mut shutdown = ctx.subscribe_shutdown();
            tokio::spawn(serve(
                listener,
                handler,
                ServerConfig::default(),
                async move {
                    while !*shutdown.borrow_and_update() {
                        if shutdown.changed().await.is_err() {
                            break;
                        }
                    }
                },
            ));
        }
        Err(e) => {
            tracing::error!(slot, "no endpoint for the slot: {e:#}");
            ctx.endpoint_errors
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(slot.to_string(), format!("{e:#}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admit(method: &str, params: Value) -> Result<Value, RpcError> {
        super::admit("a1", "coder", method, params)
    }

    #[test]
    fn orchestrator_tools_are_refused_and_the_caller_is_always_the_endpoint_slot() {
        use serde_json::json;
        for method in [
            "mission_permission_set_role",
            "mission_pty_send",
            "mission_kill",
            "mission_pty_spawn",
            "mission_submit",
            "mission_inbox",
            "daemon.web_access",
            "no_such_method",
        ] {
            let err = admit(method, json!({"slotId": "b2"})).unwrap_err();
            assert_eq!(
                err.kind(),
                Some(missiond_core::ipc::ErrorCode::NotAllowed),
                "{method}"
            );
        }
        let hook = admit(HOOK_METHOD, json!({"slot": "b2", "event": "Stop"})).unwrap();
        assert_eq!(hook["slot"], "a1");
        assert_eq!(hook["event"], "Stop");
        let report = admit("mission_report", json!({"slotId": "b2", "kind": "done"})).unwrap();
        assert_eq!(report["slotId"], "a1");
        let kb = admit("mission_kb_remember", json!({"source": "b2"})).unwrap();
        assert_eq!(kb["source"], "a1");
        let no_caller = admit("mission_kb_remember", json!({})).unwrap();
        assert_eq!(
            no_caller["source"], "a1",
            "a missing caller is filled in too"
        );
        let search = admit("mission_kb_search", json!({"query": "x"})).unwrap();
        assert_eq!(search, json!({"query": "x"}));
        let not_object = admit(HOOK_METHOD, json!("x")).unwrap();
        assert_eq!(not_object["slot"], "a1");
    }

    #[test]
    fn memory_tools_are_served_to_memory_slots_only() {
        use serde_json::json;
        let refused = admit("mission_memory_pending", json!({})).unwrap_err();
        assert_eq!(
            refused.kind(),
            Some(missiond_core::ipc::ErrorCode::NotAllowed)
        );
        let taken = super::admit(
            "m1",
            "memory",
            "mission_memory_done",
            json!({"slotId": "w1"}),
        )
        .unwrap();
        assert_eq!(taken["slotId"], "m1");
        let pause = super::admit("m1", "memory", "mission_memory_pause", json!({})).unwrap_err();
        assert_eq!(
            pause.kind(),
            Some(missiond_core::ipc::ErrorCode::NotAllowed)
        );
    }
}
