//! Renders the catalogue as Markdown: the text of `docs/tools.md`.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{Map, Value};

use super::{ToolDef, all};

/// The whole of `docs/tools.md`.
pub fn render_markdown() -> String {
    let mut out = String::new();
    out.push_str("# missiond tools\n\n");
    out.push_str(
        "<!-- Generated from crates/missiond-core/src/catalogue: do not edit by hand.\n     \
         Regenerate with `UPDATE_DOCS=1 cargo test -p missiond-core`. -->\n\n",
    );
    out.push_str(
        "Every tool below is offered by `mission-mcp` to the orchestrating Claude Code and is \
         also an IPC method of the same name on the daemon (see [ipc.md](ipc.md)): the MCP \
         server forwards arguments and results unchanged. Arguments and result fields are \
         camelCase; unknown arguments are refused. Errors are JSON-RPC errors with the codes \
         listed in ipc.md. Times are RFC 3339 strings in UTC.\n\n",
    );
    out.push_str("| Tool | What it does | Read-only | Destructive |\n|---|---|---|---|\n");
    for tool in all() {
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} | {} | {} |",
            tool.name,
            tool.name,
            tool.title,
            yes_no(tool.annotations.read_only_hint),
            yes_no(tool.annotations.destructive_hint && !tool.annotations.read_only_hint),
        );
    }
    let mut defs = BTreeMap::new();
    for tool in all() {
        render_tool(&mut out, tool);
        for schema in &tool.doc_schemas {
            if let Some(d) = schema.get("$defs").and_then(Value::as_object) {
                defs.extend(d.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
    }
    out.push_str("\n# Types\n\nTypes used by the results (and arguments) above.\n");
    for (name, schema) in &defs {
        render_type(&mut out, name, schema);
    }
    out
}

fn render_tool(out: &mut String, tool: &ToolDef) {
    let a = &tool.annotations;
    let _ = write!(
        out,
        "\n## {}\n\n*{}.* {}\n\nAnnotations: readOnlyHint {}, destructiveHint {}, \
         idempotentHint {}, openWorldHint {}.\n\n",
        tool.name,
        tool.title,
        tool.description,
        a.read_only_hint,
        a.destructive_hint,
        a.idempotent_hint,
        a.open_world_hint
    );
    out.push_str("**Arguments**\n\n");
    fields_table(out, &tool.doc_schemas[0], true);
    out.push_str("\n**Result**\n\n");
    fields_table(out, &tool.doc_schemas[1], false);
}

fn render_type(out: &mut String, name: &str, schema: &Value) {
    let _ = write!(out, "\n## {name}\n\n");
    if let Some(desc) = schema.get("description").and_then(Value::as_str) {
        let _ = write!(out, "{}\n\n", cell(desc));
    }
    let Some(obj) = schema.as_object() else {
        return;
    };
    if let Some(alts) = obj.get("oneOf").and_then(Value::as_array) {
        out.push_str("| Value | Meaning |\n|---|---|\n");
        for alt in alts {
            let value = alt
                .get("const")
                .map(|c| format!("`{c}`"))
                .unwrap_or_else(|| type_of(alt));
            let desc = cell(alt.get("description").and_then(Value::as_str).unwrap_or(""));
            let _ = writeln!(out, "| {value} | {desc} |");
        }
    } else if obj.contains_key("properties") {
        fields_table(out, obj, false);
    } else {
        let _ = writeln!(out, "Type: {}", type_of(schema));
    }
}

fn fields_table(out: &mut String, schema: &Map<String, Value>, with_required: bool) {
    let props = match schema.get("properties").and_then(Value::as_object) {
        Some(p) if !p.is_empty() => p,
        _ => {
            out.push_str("None.\n");
            return;
        }
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if with_required {
        out.push_str("| Name | Type | Required | Description |\n|---|---|---|---|\n");
    } else {
        out.push_str("| Field | Type | Description |\n|---|---|---|\n");
    }
    for (name, prop) in props {
        let ty = type_of(prop);
        let desc = cell(
            prop.get("description")
                .and_then(Value::as_str)
                .unwrap_or(""),
        );
        if with_required {
            let req = yes_no(required.contains(&name.as_str()));
            let _ = writeln!(out, "| `{name}` | {ty} | {req} | {desc} |");
        } else {
            let _ = writeln!(out, "| `{name}` | {ty} | {desc} |");
        }
    }
}

/// A short type description of a (sub)schema: `string`, `integer (≥ 1)`, a link to a
/// named type, `"yes" \| "no"`.
fn type_of(schema: &Value) -> String {
    let Some(obj) = schema.as_object() else {
        return "any".into();
    };
    if let Some(target) = obj.get("$ref").and_then(Value::as_str) {
        let name = target.rsplit('/').next().unwrap_or(target);
        return format!("[{name}](#{})", name.to_ascii_lowercase());
    }
    if let Some(c) = obj.get("const") {
        return format!("`{c}`");
    }
    if let Some(values) = obj.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(" \\| ");
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alts) = obj.get(key).and_then(Value::as_array) {
            return alts.iter().map(type_of).collect::<Vec<_>>().join(" or ");
        }
    }
    let mut ty = match obj.get("type") {
        Some(Value::String(t)) => simple_type(t, obj),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(|t| simple_type(t, obj))
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".into(),
    };
    let mut bounds = Vec::new();
    if let Some(min) = obj.get("minimum").filter(|m| m.as_u64() != Some(0)) {
        bounds.push(format!("≥ {min}"));
    }
    if let Some(max) = obj.get("maximum") {
        bounds.push(format!("≤ {max}"));
    }
    if let Some(min) = obj.get("minLength") {
        bounds.push(format!("length ≥ {min}"));
    }
    if !bounds.is_empty() {
        let _ = write!(ty, " ({})", bounds.join(", "));
    }
    ty
}

fn simple_type(t: &str, obj: &Map<String, Value>) -> String {
    match (t, obj.get("items")) {
        ("array", Some(items)) => format!("array of {}", type_of(items)),
        ("object", _) => match obj.get("additionalProperties") {
            Some(v @ Value::Object(_)) => format!("map of {}", type_of(v)),
            _ => "object".into(),
        },
        _ => t.to_string(),
    }
}

fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
