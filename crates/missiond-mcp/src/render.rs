//! The short readable text that accompanies a structured tool result.
//!
//! Written from the shape of the JSON alone, never per tool: long strings (an answer,
//! a screen, a log) come first as blocks; then one line of the short scalar fields;
//! then one line per nested object and per array item (`(none)` for an empty array).
//! Nulls are left out. Fields come in key order (serde_json's maps are sorted). Nothing
//! is ever cut short: clients that read only the text (not `structuredContent`) must
//! get every dialog option and every word of a result.

use missiond_core::ipc::{ErrorCode, RpcError};
use serde_json::{Map, Value};

/// A string longer than this, or with a line break, is shown as a block of its own.
const BLOCK_MIN_CHARS: usize = 80;

/// The text for a successful result.
pub fn result_text(value: &Value) -> String {
    let Value::Object(map) = value else {
        return inline_value(value);
    };
    let mut blocks = Vec::new();
    let mut scalars = Vec::new();
    let mut nested = Vec::new();
    for (key, v) in map {
        match v {
            Value::Null => {}
            Value::String(s) if is_block(s) => blocks.push(format!("{key}:\n{}", s.trim_end())),
            Value::Object(inner) if inner.is_empty() => {}
            Value::Object(inner) => nested.push(format!("{key}: {}", fields_of(inner))),
            Value::Array(items) if items.is_empty() => nested.push(format!("{key}: (none)")),
            Value::Array(items) if items.iter().all(is_scalar) => {
                let shown: Vec<String> = items.iter().map(inline_value).collect();
                nested.push(format!("{key}: {}", shown.join(", ")));
            }
            Value::Array(items) => {
                let mut lines = vec![format!("{key} ({}):", items.len())];
                lines.extend(
                    items
                        .iter()
                        .map(|item| format!("  - {}", inline_value(item))),
                );
                nested.push(lines.join("\n"));
            }
            scalar => scalars.push(format!("{key}: {}", inline_value(scalar))),
        }
    }
    let mut parts = blocks;
    if !scalars.is_empty() {
        parts.push(scalars.join(" · "));
    }
    parts.extend(nested);
    if parts.is_empty() {
        "(empty result)".to_string()
    } else {
        parts.join("\n\n")
    }
}

/// Takes an image out of a result shaped like `mission_pty_screenshot`'s (`mimeType`
/// `image/...` and base64 `data`): returns (data, mime type) and leaves the result
/// without `data`, so the picture is sent once, as image content, and
/// `structuredContent` stays small.
pub fn take_image(value: &mut Value) -> Option<(String, String)> {
    let map = value.as_object_mut()?;
    let mime = map
        .get("mimeType")?
        .as_str()
        .filter(|m| m.starts_with("image/"))?
        .to_string();
    match map.remove("data") {
        Some(Value::String(data)) => Some((data, mime)),
        Some(other) => {
            map.insert("data".to_string(), other);
            None
        }
        None => None,
    }
}

/// The text for an error the daemon returned: what failed, why, the code, and the data.
pub fn rpc_error_text(tool: &str, error: &RpcError) -> String {
    let name = error.kind().map_or("error", ErrorCode::name);
    let mut text = format!(
        "{tool} failed: {} [{name}, code {}]",
        error.message, error.code
    );
    if let Some(data) = error.data.as_ref().filter(|d| !d.is_null()) {
        text.push_str(&format!("\ndetails: {data}"));
    }
    text
}

fn is_block(s: &str) -> bool {
    s.contains('\n') || s.chars().count() > BLOCK_MIN_CHARS
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Object(_) | Value::Array(_))
}

/// One value on one line, whole: strings raw, objects as `k: v, ...`, arrays as compact
/// JSON.
fn inline_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.replace('\n', " ⏎ "),
        Value::Object(map) => fields_of(map),
        other => other.to_string(),
    }
}

/// An object's non-empty fields as `k: v, ...` (not cut).
fn fields_of(map: &Map<String, Value>) -> String {
    let fields: Vec<String> = map
        .iter()
        .filter(|(_, v)| !v.is_null() && !matches!(v, Value::Array(a) if a.is_empty()))
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}: {}", s.replace('\n', " ⏎ ")),
            other => format!("{k}: {other}"),
        })
        .collect();
    fields.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_image_result_gives_up_its_data_and_others_keep_theirs() {
        let mut shot = json!({"mimeType": "image/png", "data": "iVBOR", "width": 8});
        assert_eq!(
            take_image(&mut shot),
            Some(("iVBOR".to_string(), "image/png".to_string()))
        );
        assert_eq!(shot, json!({"mimeType": "image/png", "width": 8}));
        let mut other = json!({"mimeType": "text/plain", "data": "x"});
        assert_eq!(take_image(&mut other), None);
        assert_eq!(other["data"], "x");
        let mut odd = json!({"mimeType": "image/png", "data": 3});
        assert_eq!(take_image(&mut odd), None);
        assert_eq!(odd["data"], 3);
    }

    #[test]
    fn long_text_comes_first_then_scalars_then_lists() {
        let answer = "First line of a long answer.\nSecond line.";
        let text = result_text(&json!({
            "answer": answer,
            "state": "Idle",
            "durationMs": 1234,
            "dialog": null,
            "toolsUsed": [{"tool": "Bash", "summary": "ls -la"}],
        }));
        let expected = format!(
            "answer:\n{answer}\n\ndurationMs: 1234 · state: Idle\n\ntoolsUsed (1):\n  - summary: ls -la, tool: Bash"
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn short_strings_stay_on_the_summary_line() {
        let text = result_text(&json!({"ok": true, "version": "0.1.0", "warnings": []}));
        assert_eq!(text, "ok: true · version: 0.1.0\n\nwarnings: (none)");
    }

    #[test]
    fn long_nested_values_are_never_cut() {
        let long = format!("start {} end-of-blob", "x".repeat(500));
        let text = result_text(&json!({
            "args": ["--a", "--b"],
            "cursor": {"row": 3, "col": 7},
            "blob": {"v": long},
        }));
        assert!(text.contains("args: --a, --b"), "{text}");
        assert!(text.contains("cursor: col: 7, row: 3"), "{text}");
        let blob_line = text.lines().find(|l| l.starts_with("blob:")).expect("blob");
        assert_eq!(blob_line, format!("blob: v: {long}"));
        assert!(!text.contains('…'), "{text}");
    }

    #[test]
    fn a_dialogs_options_and_a_long_task_result_arrive_whole() {
        let options: Vec<Value> = (1..=4)
            .map(|n| json!({"number": n, "label": format!("Option {n}: {}", "word ".repeat(60)), "meaning": "other"}))
            .collect();
        let result = format!("The task's result, long: {} THE END", "detail ".repeat(80));
        let text = result_text(&json!({
            "dialog": {"title": "Bash command", "question": "Do you want to proceed?", "options": options},
            "tasks": [{"id": 7, "result": result}],
        }));
        for n in 1..=4 {
            let label = format!("Option {n}: {}", "word ".repeat(60));
            assert!(text.contains(label.trim_end()), "option {n} lost: {text}");
        }
        assert!(text.contains("THE END"), "{text}");
        assert!(!text.contains('…'), "{text}");
    }

    #[test]
    fn every_item_is_listed() {
        let items: Vec<Value> = (0..40).map(|i| json!({"n": i})).collect();
        let text = result_text(&json!({"items": items}));
        assert!(text.starts_with("items (40):"), "{text}");
        assert!(
            text.contains("  - n: 0\n") && text.ends_with("  - n: 39"),
            "{text}"
        );
        assert!(!text.contains("more"), "{text}");
    }

    #[test]
    fn empty_and_non_object_results() {
        assert_eq!(result_text(&json!({})), "(empty result)");
        assert_eq!(result_text(&json!([1, 2])), "[1,2]");
    }

    #[test]
    fn errors_name_code_and_data() {
        let error = RpcError::new(ErrorCode::UnknownSlot, "unknown slot `x`")
            .with_data(json!({"slotId": "x"}));
        let text = rpc_error_text("mission_pty_status", &error);
        assert_eq!(
            text,
            "mission_pty_status failed: unknown slot `x` [unknown_slot, code -32001]\ndetails: {\"slotId\":\"x\"}"
        );
    }
}
