//! The MCP server: lists the catalogue's tools and forwards each call to the daemon.

use std::sync::Arc;

use missiond_core::catalogue::{
    Agents, Health, KbRemember, KbSearch, PtyConfirm, PtyInterrupt, PtyKill, PtyScreen, PtySend,
    PtySpawn, PtyStatus, QuestionCreate, Report, Slots, Tool as CatalogueTool, agent_tool_for,
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

/// The key of a tool result's `_meta` that holds the call's request id (for
/// `mission_jarvis_trace`).
pub const REQUEST_ID_META: &str = "missiond/requestId";
/// The `mission-mcp` handler. Cheap to clone; clones share the daemon link.
#[derive(Clone)]
pub struct MissionServer {
    link: Arc<DaemonLink>,
    /// Set when serving an agent inside a slot (see [`SLOT_ENV`]).
    slot: Option<String>,
    /// The slot's role (see [`ROLE_ENV`]): some agent tools are for one role only.
    role: String,
    /// What the team knows, for the orchestrator's instructions (see [`Self::load_knowledge`]).
    knowledge: Arc<std::sync::RwLock<String>>,
}

/// How long start-up waits for the knowledge of the instructions.
const KNOWLEDGE_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// `MISSIOND_SLOT_ROLE`: the role of the slot this server serves, set by missiond beside
/// [`SLOT_ENV`]; memory slots also get the memory tools.
pub const ROLE_ENV: &str = "MISSIOND_SLOT_ROLE";

/// `MISSIOND_SLOT_ID`: set by missiond for the mission-mcp it gives a slot's Claude Code.
/// The server then offers only the tools an agent may call
/// ([`missiond_core::catalogue::AGENT_TOOLS`]), fills in the calling slot, and never
/// starts a daemon. This is convenience, not protection: the daemon decides who calls
/// from the endpoint reached (the slot's own socket serves only these tools, as that
/// slot), since an agent controls its environment.
pub const SLOT_ENV: &str = "MISSIOND_SLOT_ID";

impl MissionServer {
    /// A server forwarding to `link`; in slot mode when `MISSIOND_SLOT_ID` is set.
    pub fn new(link: DaemonLink) -> MissionServer {
        let slot = std::env::var(SLOT_ENV).ok().filter(|s| !s.is_empty());
        let role = std::env::var(ROLE_ENV).unwrap_or_default();
        // Inside a slot the daemon that started it is the only one to talk to.
        let link = if slot.is_some() {
            link.without_start()
        } else {
            link
        };
        MissionServer {
            link: Arc::new(link),
            slot,
            role,
            knowledge: Arc::default(),
        }
    }

    /// Asks the daemon (for a few seconds at most) for the knowledge the orchestrator's
    /// instructions carry; without an answer they go without it. Not for slots.
    pub async fn load_knowledge(&self) {
        if self.slot.is_some() {
            return;
        }
        let fetch = async {
            let client = self.link.client().await.map_err(|e| e.to_string())?;
            client
                .call(
                    missiond_core::memory::inject::INSTRUCTIONS_METHOD,
                    serde_json::json!({}),
                )
                .await
                .map_err(|e| e.to_string())
        };
        match tokio::time::timeout(KNOWLEDGE_WAIT, fetch).await {
            Ok(Ok(value)) => {
                let text = value["text"].as_str().unwrap_or_default().to_string();
                *self.knowledge.write().unwrap_or_else(|e| e.into_inner()) = text;
            }
            Ok(Err(e)) => tracing::info!("no knowledge for the instructions: {e}"),
            Err(_) => tracing::info!("no knowledge for the instructions: the daemon was slow"),
        }
    }

    /// Whether this server offers `name`.
    fn offers(&self, name: &str) -> bool {
        self.slot.is_none() || agent_tool_for(name, &self.role).is_some()
    }

    /// The tools this server lists.
    fn tools(&self) -> Vec<Tool> {
        tools::list()
            .iter()
            .filter(|t| self.offers(&t.name))
            .cloned()
            .collect()
    }

    /// Connects (starting the daemon if needed) in the background, so the first tool
    /// call does not pay for it. A failure is only logged: calls report their own.
    pub fn warm_up(&self) {
        if self.slot.is_some() {
            // Inside a slot the daemon that started it is running; a slot's server must
            // not start one of its own while that daemon shuts down.
            return;
        }
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
        let Some(def) = tools::find(&request.name).filter(|d| self.offers(d.name)) else {
            return Err(ErrorData::invalid_params(
                format!("Unknown tool: {}", request.name),
                Some(serde_json::json!({ "tool": request.name })),
            ));
        };
        let mut args = request.arguments.unwrap_or_default();
        if let Some(slot) = &self.slot
            && let Some(field) = agent_tool_for(def.name, &self.role).and_then(|t| t.caller_field)
        {
            // The caller is the slot that runs this server, whatever the agent wrote.
            args.insert(field.to_string(), Value::String(slot.clone()));
        }
        let mut args = Value::Object(args);
        // The MCP call is an edge: its id travels to the daemon and is handed back in
        // the result's `_meta` so the caller can ask mission_jarvis_trace about it.
        let request_id = missiond_core::jarvis::request_id::mint("mcp");
        missiond_core::jarvis::request_id::attach(&mut args, &request_id);
        let mut result = match self.link.call(def, args).await {
            Ok(mut value) => {
                let image = render::take_image(&mut value);
                let mut content = vec![ContentBlock::text(render::result_text(&value))];
                if let Some((data, mime_type)) = image {
                    content.push(ContentBlock::image(data, mime_type));
                }
                let mut result = CallToolResult::success(content);
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
        };
        let mut meta = serde_json::Map::new();
        meta.insert(REQUEST_ID_META.into(), Value::String(request_id));
        result.meta = Some(rmcp::model::MetaObject(meta));
        Ok(result)
    }
}

impl ServerHandler for MissionServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "mission-mcp",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(match &self.slot {
                Some(_) if self.role == missiond_core::catalogue::MEMORY_ROLE => {
                    format!("{} {}", slot_instructions(), memory_instructions())
                }
                Some(_) => slot_instructions(),
                None => {
                    let knowledge = self.knowledge.read().unwrap_or_else(|e| e.into_inner());
                    if knowledge.is_empty() {
                        instructions()
                    } else {
                        format!("{}\n\n{knowledge}", instructions())
                    }
                }
            })
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools().into_iter().find(|t| t.name == name)
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

/// What an agent in a slot is told about the tools it gets.
pub fn slot_instructions() -> String {
    format!(
        "You are an agent in a missiond slot. Use {report} to tell the orchestrator \
         something: kind done when the goal you were given is reached, progress for a \
         step, question when you need a decision. Use {question} to leave a question \
         for a person and go on with other work meanwhile. Before working something out \
         (build commands, where things live, past decisions), try {search}; when you \
         learn something the team will need again, keep it with {remember}.",
        report = Report::NAME,
        question = QuestionCreate::NAME,
        search = KbSearch::NAME,
        remember = KbRemember::NAME,
    )
}

/// What a memory slot is told besides [`slot_instructions`].
pub fn memory_instructions() -> String {
    format!(
        "You are the team's memory: take conversation pieces with {pending}, keep what \
         the team will need again with {remember} (a category, a tier, tags, and the \
         item's conversation), and finish every item with {done}, even when nothing in \
         it was worth keeping.",
        pending = missiond_core::catalogue::MemoryPending::NAME,
        remember = KbRemember::NAME,
        done = missiond_core::catalogue::MemoryDone::NAME,
    )
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
    use missiond_core::catalogue::{MemoryDone, MemoryPause, MemoryPending};

    fn server(slot: Option<&str>) -> MissionServer {
        server_as(slot, "general")
    }

    fn server_as(slot: Option<&str>, role: &str) -> MissionServer {
        let paths = missiond_core::paths::Paths::from_vars([("MISSIOND_HOME", "/nonexistent/h")])
            .expect("paths");
        MissionServer {
            link: Arc::new(DaemonLink::new(paths)),
            slot: slot.map(str::to_string),
            role: role.to_string(),
            knowledge: Arc::default(),
        }
    }

    #[test]
    fn a_slot_server_offers_only_the_agent_tools_of_its_role() {
        let names = |s: &MissionServer| -> Vec<String> {
            let mut names: Vec<String> = s.tools().iter().map(|t| t.name.to_string()).collect();
            names.sort();
            names
        };
        let offered = names(&server(Some("c1")));
        let mut expected: Vec<String> = missiond_core::catalogue::AGENT_TOOLS
            .iter()
            .filter(|t| t.role.is_none())
            .map(|t| t.name.to_string())
            .collect();
        expected.sort();
        assert_eq!(offered, expected);
        assert!(
            !offered
                .iter()
                .any(|n| n == PtySend::NAME || n == Agents::NAME)
        );
        assert!(!offered.iter().any(|n| n == MemoryPending::NAME));
        let memory = names(&server_as(Some("m1"), "memory"));
        assert!(memory.iter().any(|n| n == MemoryPending::NAME));
        assert!(memory.iter().any(|n| n == MemoryDone::NAME));
        assert!(!memory.iter().any(|n| n == MemoryPause::NAME));
        assert_eq!(memory.len(), offered.len() + 2);
        let all = names(&server(None));
        assert_eq!(all.len(), tools::list().len());
        assert!(all.iter().any(|n| n == PtySpawn::NAME));
    }

    #[test]
    fn the_orchestrators_instructions_carry_the_knowledge_loaded() {
        let s = server(None);
        let plain = s.get_info().instructions.unwrap_or_default();
        assert_eq!(plain, instructions());
        *s.knowledge.write().unwrap() = "What the team knows: build with make".into();
        let with = s.get_info().instructions.unwrap_or_default();
        assert!(
            with.starts_with(&plain) && with.ends_with("build with make"),
            "{with}"
        );
        let slot = server(Some("c1"));
        *slot.knowledge.write().unwrap() = "never for slots".into();
        assert!(
            !slot
                .get_info()
                .instructions
                .unwrap_or_default()
                .contains("never")
        );
    }

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
