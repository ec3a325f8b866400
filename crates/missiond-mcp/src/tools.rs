//! The MCP tool list, generated from `missiond_core::catalogue` (the one definition of
//! every tool's name, title, description, schemas and annotations).

use std::sync::{Arc, LazyLock};

use missiond_core::catalogue::{self, ToolDef};
use rmcp::model::{Tool, ToolAnnotations};

static TOOLS: LazyLock<Vec<Tool>> = LazyLock::new(|| catalogue::all().iter().map(to_mcp).collect());

/// Every tool as MCP lists it, in catalogue order.
pub fn list() -> &'static [Tool] {
    &TOOLS
}

/// The catalogue entry for an MCP tool name.
pub fn find(name: &str) -> Option<&'static ToolDef> {
    catalogue::find(name)
}

/// Whether sending the call a second time is harmless (read-only or idempotent), so it
/// may be retried on a fresh connection when the first one dropped mid-call.
pub fn safe_to_resend(def: &ToolDef) -> bool {
    def.annotations.read_only_hint || def.annotations.idempotent_hint
}

/// One catalogue entry as an MCP tool.
pub fn to_mcp(def: &ToolDef) -> Tool {
    let a = def.annotations;
    let annotations = ToolAnnotations::with_title(def.title)
        .read_only(a.read_only_hint)
        .destructive(a.destructive_hint)
        .idempotent(a.idempotent_hint)
        .open_world(a.open_world_hint);
    Tool::new(
        def.name,
        def.description,
        Arc::new(def.input_schema.clone()),
    )
    .with_title(def.title)
    .with_raw_output_schema(Arc::new(def.output_schema.clone()))
    .with_annotations(annotations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_entry_is_listed_with_its_metadata() {
        let defs = catalogue::all();
        assert!(!defs.is_empty());
        assert_eq!(list().len(), defs.len());
        for (tool, def) in list().iter().zip(defs) {
            assert_eq!(tool.name, def.name);
            assert_eq!(tool.title.as_deref(), Some(def.title));
            assert_eq!(tool.description.as_deref(), Some(def.description));
            assert_eq!(*tool.input_schema, def.input_schema);
            assert_eq!(tool.output_schema.as_deref(), Some(&def.output_schema));
            let ann = tool.annotations.as_ref().expect("annotations");
            assert_eq!(ann.read_only_hint, Some(def.annotations.read_only_hint));
            assert_eq!(ann.destructive_hint, Some(def.annotations.destructive_hint));
            assert_eq!(ann.idempotent_hint, Some(def.annotations.idempotent_hint));
            assert_eq!(ann.open_world_hint, Some(def.annotations.open_world_hint));
        }
    }

    #[test]
    fn resend_safety_follows_the_annotations() {
        for def in catalogue::all() {
            let expected = def.annotations.read_only_hint || def.annotations.idempotent_hint;
            assert_eq!(safe_to_resend(def), expected, "{}", def.name);
        }
        // A prompt is not safe to send twice; a health check is.
        use catalogue::Tool as _;
        let send = find(catalogue::PtySend::NAME).expect("mission_pty_send");
        assert!(!safe_to_resend(send));
        let health = find(catalogue::Health::NAME).expect("mission_health");
        assert!(safe_to_resend(health));
    }
}
