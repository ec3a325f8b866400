//! The one catalogue of MCP tools: name, description, input and output schemas, and
//! MCP annotations, each defined once.
//!
//! Every tool is a zero-sized type implementing [`Tool`], binding its name to the
//! params struct the daemon deserialises and the result struct it returns; the JSON
//! Schemas are derived from those same structs. The IPC method name is the tool name,
//! so the MCP server forwards calls unchanged.
//!
//! Adding a tool: define its params/result structs and a `Tool` impl in a module of its
//! area (task queue, permissions, knowledge base ...), add it to [`all`], then
//! regenerate `docs/tools.md` (`UPDATE_DOCS=1 cargo test -p missiond-core`).

mod agents;
mod answers;
mod autonomous;
mod board;
mod cc;
mod confirm;
mod conversations;
mod daemon;
mod docs;
mod inbox;
mod infra;
mod jarvis;
mod kb;
mod kb_upkeep;
mod memory;
mod params;
mod permissions;
mod pty;
mod questions;
mod router;
mod skills;
mod tasks;
mod types;
mod workspace;

use std::sync::LazyLock;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

pub use agents::*;
pub use answers::*;
pub use autonomous::*;
pub use board::*;
pub use cc::*;
pub use confirm::ConfirmResponse;
pub use conversations::*;
pub use daemon::*;
pub use docs::render_markdown;
pub use inbox::*;
pub use infra::*;
pub use jarvis::*;
pub use kb::*;
pub use kb_upkeep::*;
pub use memory::*;
pub use params::{EmptyParams, SlotParams, decode_params};
pub use permissions::*;
pub use pty::*;
pub use questions::*;
pub use router::*;
pub use skills::*;
pub use tasks::*;
pub use types::*;
pub use workspace::*;

/// MCP behaviour hints (the `annotations` of a tool).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotations {
    /// Changes nothing (state, files, processes).
    pub read_only_hint: bool,
    /// May destroy work or data (kill a process, refuse a tool call). Meaningful only
    /// when not read-only.
    pub destructive_hint: bool,
    /// Calling again with the same arguments has no further effect.
    pub idempotent_hint: bool,
    /// Reaches outside missiond's own world (slots talk to models and run tools).
    pub open_world_hint: bool,
}

impl Annotations {
    /// A read-only query of the daemon.
    pub const QUERY: Annotations = Annotations {
        read_only_hint: true,
        destructive_hint: false,
        idempotent_hint: true,
        open_world_hint: false,
    };
}

/// A tool, typed. The daemon decodes `Params`, returns `Output`; clients do the reverse.
pub trait Tool {
    /// The MCP tool name and IPC method (`mission_pty_send`).
    const NAME: &'static str;
    /// A short human title.
    const TITLE: &'static str;
    /// What it does, when to use it, what it returns: written for the calling model.
    const DESCRIPTION: &'static str;
    /// MCP annotations.
    const ANNOTATIONS: Annotations;
    /// The arguments.
    type Params: DeserializeOwned + Serialize + JsonSchema;
    /// The result (a JSON object).
    type Output: DeserializeOwned + Serialize + JsonSchema;

    /// Decodes the arguments, naming the offending field on failure.
    fn params(params: serde_json::Value) -> Result<Self::Params, crate::ipc::RpcError> {
        decode_params(params)
    }
}

/// One catalogue entry, untyped: what the MCP server lists and the docs describe.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolDef {
    /// Tool name = IPC method.
    pub name: &'static str,
    /// Human title.
    pub title: &'static str,
    /// Description for the model.
    pub description: &'static str,
    /// JSON Schema (2020-12, no `$ref`s) of the arguments; always `"type": "object"`.
    pub input_schema: Map<String, Value>,
    /// JSON Schema of the result object.
    pub output_schema: Map<String, Value>,
    /// MCP annotations.
    pub annotations: Annotations,
    /// Input and output schemas with named `$defs`, for the generated docs.
    #[serde(skip)]
    pub(crate) doc_schemas: [Map<String, Value>; 2],
}

impl ToolDef {
    /// The entry for tool `T`.
    pub fn of<T: Tool>() -> ToolDef {
        ToolDef {
            name: T::NAME,
            title: T::TITLE,
            description: T::DESCRIPTION,
            input_schema: schema_for::<T::Params>(),
            output_schema: schema_for::<T::Output>(),
            annotations: T::ANNOTATIONS,
            doc_schemas: [
                schema_with_defs::<T::Params>(),
                schema_with_defs::<T::Output>(),
            ],
        }
    }
}

/// A self-contained schema object: subschemas inlined (MCP clients vary in `$ref`
/// support) and no `$schema` key (2020-12 is MCP's default dialect).
pub fn schema_for<T: JsonSchema>() -> Map<String, Value> {
    generate::<T>(true)
}

/// Like [`schema_for`] but with named subschemas under `$defs` (for documentation).
fn schema_with_defs<T: JsonSchema>() -> Map<String, Value> {
    generate::<T>(false)
}

fn generate<T: JsonSchema>(inline: bool) -> Map<String, Value> {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = inline;
            s.meta_schema = None;
        })
        .into_generator();
    let schema = generator.into_root_schema_for::<T>();
    match schema.to_value() {
        Value::Object(mut map) => {
            strip_nonstandard_formats(&mut map);
            map
        }
        // `true`/`false` schemas do not occur for structs; keep the contract anyway.
        _ => Map::from_iter([("type".to_string(), Value::from("object"))]),
    }
}

/// Removes `format` values that are Rust integer widths (`uint64`, `int32`, `double` ...):
/// schemars emits them, but they are not JSON Schema formats, and MCP clients (Claude
/// Code, the TypeScript SDK) warn about every one. Ranges stay as `minimum`/`maximum`.
fn strip_nonstandard_formats(map: &mut Map<String, Value>) {
    const NONSTANDARD: &[&str] = &[
        "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float",
        "double",
    ];
    if map
        .get("format")
        .and_then(Value::as_str)
        .is_some_and(|f| NONSTANDARD.contains(&f))
    {
        map.remove("format");
    }
    for value in map.values_mut() {
        strip_value(value);
    }
}

fn strip_value(value: &mut Value) {
    match value {
        Value::Object(map) => strip_nonstandard_formats(map),
        Value::Array(items) => items.iter_mut().for_each(strip_value),
        _ => {}
    }
}

static CATALOGUE: LazyLock<Vec<ToolDef>> = LazyLock::new(|| {
    let mut tools = vec![
        ToolDef::of::<PtySpawn>(),
        ToolDef::of::<PtySend>(),
        ToolDef::of::<PtyScreen>(),
        ToolDef::of::<PtyConfirm>(),
        ToolDef::of::<PtyInterrupt>(),
        ToolDef::of::<PtyKill>(),
        ToolDef::of::<PtyStatus>(),
        ToolDef::of::<PtyHistory>(),
        ToolDef::of::<PtyLogs>(),
        ToolDef::of::<PtyScreenshot>(),
        ToolDef::of::<Slots>(),
        ToolDef::of::<Agents>(),
        ToolDef::of::<Health>(),
        ToolDef::of::<Reload>(),
        ToolDef::of::<Submit>(),
        ToolDef::of::<TaskQuery>(),
        ToolDef::of::<Ask>(),
        ToolDef::of::<QueueStatus>(),
        ToolDef::of::<Cancel>(),
        ToolDef::of::<SlotHistory>(),
        ToolDef::of::<InboxRead>(),
        ToolDef::of::<Spawn>(),
        ToolDef::of::<Kill>(),
        ToolDef::of::<Restart>(),
        ToolDef::of::<AutonomousStart>(),
        ToolDef::of::<AutonomousStop>(),
        ToolDef::of::<Report>(),
        ToolDef::of::<PermissionGet>(),
        ToolDef::of::<PermissionSetRole>(),
        ToolDef::of::<PermissionSetSlot>(),
        ToolDef::of::<PermissionAddAutoAllow>(),
        ToolDef::of::<PermissionReload>(),
    ];
    tools.extend(kb::defs());
    tools.extend(conversations::defs());
    tools.extend(questions::defs());
    tools.extend(board::defs());
    tools.extend(infra::defs());
    tools.extend(skills::defs());
    tools.extend(jarvis::defs());
    tools.extend(cc::defs());
    tools.extend(workspace::defs());
    tools.extend(router::defs());
    tools.extend(kb_upkeep::defs());
    tools.extend(memory::defs());
    tools.extend(answers::defs());
    tools
});

/// Runs a typed implementation of tool `T` on raw IPC params: decodes them (a -32602
/// error naming the field on failure), calls `f`, and encodes its result. A daemon
/// handler can route each method with one line:
/// `PtyStatus::NAME => catalogue::run::<PtyStatus, _, _>(params, |p| self.status(p)).await`.
pub async fn run<T, F, Fut>(params: Value, f: F) -> Result<Value, crate::ipc::RpcError>
where
    T: Tool,
    F: FnOnce(T::Params) -> Fut,
    Fut: std::future::Future<Output = Result<T::Output, crate::ipc::RpcError>>,
{
    let output = f(T::params(params)?).await?;
    serde_json::to_value(output).map_err(|e| {
        crate::ipc::RpcError::internal(format!("encoding the result of {}: {e}", T::NAME))
    })
}

/// A tool an agent inside a slot may call through its own `mission-mcp`, and the
/// argument that names the caller (filled in from the slot, whatever the agent wrote,
/// so no agent speaks for another).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentTool {
    /// The tool.
    pub name: &'static str,
    /// The argument set to the calling slot's id, if the tool has one.
    pub caller_field: Option<&'static str>,
    /// Only slots of this role get it (`None`: every slot).
    pub role: Option<&'static str>,
}

impl AgentTool {
    /// Whether a slot of `role` may call it.
    pub fn offered_to(&self, role: &str) -> bool {
        self.role.is_none_or(|r| r == role)
    }
}

/// What agents may call: report to the orchestrator, leave a question for a person and
/// read its answers, read and add to the shared knowledge base; memory slots also take
/// and finish conversation pieces. Nothing that drives other agents.
pub const AGENT_TOOLS: &[AgentTool] = &[
    AgentTool {
        name: Report::NAME,
        caller_field: Some("slotId"),
        role: None,
    },
    AgentTool {
        name: QuestionCreate::NAME,
        caller_field: Some("slotId"),
        role: None,
    },
    AgentTool {
        name: KbSearch::NAME,
        caller_field: None,
        role: None,
    },
    AgentTool {
        name: KbGet::NAME,
        caller_field: None,
        role: None,
    },
    AgentTool {
        name: KbRemember::NAME,
        caller_field: Some("source"),
        role: None,
    },
    AgentTool {
        name: QuestionMine::NAME,
        caller_field: Some("slotId"),
        role: None,
    },
    AgentTool {
        name: MemoryPending::NAME,
        caller_field: Some("slotId"),
        role: Some(MEMORY_ROLE),
    },
    AgentTool {
        name: MemoryDone::NAME,
        caller_field: Some("slotId"),
        role: Some(MEMORY_ROLE),
    },
];

/// The entry of [`AGENT_TOOLS`] for `name` (whatever the role).
pub fn agent_tool(name: &str) -> Option<&'static AgentTool> {
    AGENT_TOOLS.iter().find(|t| t.name == name)
}

/// The entry of [`AGENT_TOOLS`] for `name` if a slot of `role` may call it.
pub fn agent_tool_for(name: &str, role: &str) -> Option<&'static AgentTool> {
    agent_tool(name).filter(|t| t.offered_to(role))
}

/// The agent tools a slot of `role` gets.
pub fn agent_tools_for(role: &str) -> impl Iterator<Item = &'static AgentTool> + '_ {
    AGENT_TOOLS.iter().filter(move |t| t.offered_to(role))
}

/// A tool's result as the JSON it is sent as.
pub fn encode<T: Serialize>(value: T) -> Result<Value, crate::ipc::RpcError> {
    serde_json::to_value(value)
        .map_err(|e| crate::ipc::RpcError::internal(format!("encoding the result: {e}")))
}

/// Every tool, in display order.
pub fn all() -> &'static [ToolDef] {
    &CATALOGUE
}

/// The tool with this name.
pub fn find(name: &str) -> Option<&'static ToolDef> {
    CATALOGUE.iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests;
