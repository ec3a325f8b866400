//! The MCP server: lists the catalogue's tools and forwards each call to the daemon.

use std::sync::Arc;

use missiond_core::catalogue::{
    Agents, Health, PtyConfirm, PtyInterrupt, PtyKill, PtyScreen, PtySend, PtySpawn, PtyStatus,
    Slots, Tool as CatalogueTool,
};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorData,
    Implementation, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig,
    Tool,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler};
use serde_json::Value;

use crate::link::{DaemonLink, LinkError};
use crate::{render, tools};

/// The `mission-mcp` handler. Cheap to clone; clones share the daemon link.
#[derive(Clone)]
pub struct MissionServer {
    link: Arc<DaemonLink>,
}

impl MissionServer {
    /// A server forwarding to `link`.
    pub fn new(link: DaemonLink) -> MissionServer {
        MissionServer {
            link: Arc::new(link),
        }
    }

    /// Connects (starting the daemon if needed) in the background, so the first tool
    /// call does not pay for it. A failure is only logged: calls report their own.
    pub fn warm_up(&self) {
        let link = Arc::clone(&self.link);
        tokio::spawn(async move {
            if let Err(e) = link.client().await {
                tracing::warn!("missiond is not reachable yet: {e}");
            }
        });
    }

    /// Runs one call. Unknown tools are protocol errors; everything the daemon or the
    /// connection reports is a tool error the model can read.
    async fn forward(&self, request: CallToolRequestParams) -> Result<CallToolResult, ErrorData> {
        let Some(def) = tools::find(&request.name) else {
            return Err(ErrorData::invalid_params(
                format!("Unknown tool: {}", request.name),
                Some(serde_json::json!({ "tool": request.name })),
            ));
        };
        let args = Value::Object(request.arguments.unwrap_or_default());
        Ok(match self.link.call(def, args).await {
            Ok(value) => {
                let mut result =
                    CallToolResult::success(vec![ContentBlock::text(render::result_text(&value))]);
                result.structured_content = Some(value);
                result
            }
            Err(LinkError::Rpc(error)) => CallToolResult::error(vec![ContentBlock::text(
                render::rpc_error_text(def.name, &error),
            )]),
            Err(other) => {
                tracing::warn!(tool = def.name, "{other}");
                CallToolResult::error(vec![ContentBlock::text(format!(
                    "{} failed: {other}",
                    def.name
                ))])
            }
        })
    }
}

impl ServerHandler for MissionServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "mission-mcp",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(instructions())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::list().to_vec()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        tools::list().iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.clone();
        tokio::select! {
            result = self.forward(request) => result.map(CallToolResponse::from),
            // The client gave up on this call; the daemon may still finish it.
            () = context.ct.cancelled() => {
                tracing::info!(tool = %name, "call cancelled by the client");
                Err(ErrorData::internal_error(format!("{name} was cancelled by the client"), None))
            }
        }
    }
}

/// How to use the tools, for the orchestrating model. Tool names come from the catalogue.
pub fn instructions() -> String {
    format!(
        "missiond runs Claude Code agents in slots: each slot is a separate Claude Code \
         session in its own terminal, with a working folder and role set in slots.yaml.\n\
         Typical flow:\n\
         1. {slots} lists the slot ids; {agents} shows what each one is doing.\n\
         2. {spawn} with a slotId starts that agent and waits until it is ready (state Idle).\n\
         3. {send} with the slotId and a message types the prompt and waits for the turn to \
         end, returning the agent's answer. A slot takes one prompt at a time.\n\
         4. When a result has state Confirming, the agent waits on a permission dialog: read \
         its `dialog` (the options and their numbers) and answer with {confirm}, then follow \
         the turn with {status} or {screen}.\n\
         5. {screen} shows the agent's terminal; {interrupt} stops a turn; {kill} ends the agent.\n\
         Errors from the daemon come back as tool errors naming a code (unknown_slot, \
         slot_busy, timeout, ...). If calls fail to reach the daemon, call {health}.",
        slots = Slots::NAME,
        agents = Agents::NAME,
        spawn = PtySpawn::NAME,
        send = PtySend::NAME,
        confirm = PtyConfirm::NAME,
        status = PtyStatus::NAME,
        screen = PtyScreen::NAME,
        interrupt = PtyInterrupt::NAME,
        kill = PtyKill::NAME,
        health = Health::NAME,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_name_only_catalogue_tools() {
        let text = instructions();
        let named: Vec<&str> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("mission_"))
            .collect();
        assert!(named.len() >= 8, "{text}");
        for name in named {
            assert!(
                tools::find(name).is_some(),
                "{name} is not in the catalogue"
            );
        }
    }
}
