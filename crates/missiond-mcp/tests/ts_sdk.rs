//! `mission-mcp` driven by the official TypeScript MCP SDK (`e2e/mcp-sdk-client.mjs`,
//! run with node), with the real daemon behind it. The SDK checks every
//! `structuredContent` against the tool's `outputSchema`, so this also proves the daemon's
//! results match the catalogue's schemas as a third-party client reads them.
//!
//! Skipped (a line on stderr) when node or the SDK is missing, unless
//! MISSIOND_E2E_REQUIRED=1.

mod support;

use std::path::PathBuf;
use std::process::Command;

use missiond_core::catalogue::{self, Tool as _};
use serde_json::{Value, json};
use support::{Home, MISSION_MCP, bash_slot_yaml};

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The script, if node and the SDK are installed; else the project's skip-or-fail rule.
fn script_for_test(test: &str) -> Option<PathBuf> {
    let root = workspace_root();
    let sdk = root.join("e2e/node_modules/@modelcontextprotocol/sdk/package.json");
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if node_ok && sdk.is_file() {
        return Some(root.join("e2e/mcp-sdk-client.mjs"));
    }
    let why =
        "node or e2e/node_modules/@modelcontextprotocol/sdk is missing (run `npm ci` in e2e/)";
    if std::env::var("MISSIOND_E2E_REQUIRED").is_ok_and(|v| v == "1") {
        panic!("{test}: {why}, and MISSIOND_E2E_REQUIRED=1");
    }
    eprintln!("skipped: {test}: {why}");
    None
}

#[test]
fn the_typescript_sdk_lists_and_calls_tools() {
    let Some(script) = script_for_test("the_typescript_sdk_lists_and_calls_tools") else {
        return;
    };
    let home = Home::new(None);
    std::fs::write(
        home.home.join("slots.yaml"),
        bash_slot_yaml(home.tmp.path()),
    )
    .expect("yaml");
    let calls = json!([
        {"name": catalogue::Health::NAME, "arguments": {}},
        {"name": catalogue::Slots::NAME, "arguments": {}},
        {"name": catalogue::PtyStatus::NAME, "arguments": {"slotId": "nobody"}},
        {"name": catalogue::PtySend::NAME, "arguments": {"slotId": "sh"}},
    ]);
    let output = Command::new("node")
        .arg(&script)
        .arg(MISSION_MCP)
        .current_dir(workspace_root().join("e2e"))
        .env("MISSIOND_HOME", &home.home)
        .env("MISSION_WS_PORT", "0")
        .env("MISSION_LOG_LEVEL", "warn")
        .env("MCP_SDK_CALLS", calls.to_string())
        .env_remove("MISSION_IPC_ENDPOINT")
        .env_remove("MISSIOND_BIN")
        .output()
        .expect("running node");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "node failed:\n{stderr}");
    let out: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}\nstderr:\n{stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    assert!(out.get("fatal").is_none(), "{out:#}\nstderr:\n{stderr}");
    assert_eq!(out["serverVersion"]["name"], "mission-mcp");
    let instructions = out["instructions"].as_str().unwrap_or_default();
    assert!(
        instructions.contains(catalogue::PtySpawn::NAME),
        "{instructions}"
    );

    let tools = out["tools"].as_array().expect("tools");
    assert_eq!(tools.len(), catalogue::all().len());
    for (tool, def) in tools.iter().zip(catalogue::all()) {
        assert_eq!(tool["name"], def.name);
        assert_eq!(tool["title"], def.title);
        assert_eq!(tool["hasOutputSchema"], true, "{}", def.name);
        assert_eq!(tool["inputSchemaType"], "object", "{}", def.name);
        assert_eq!(
            tool["annotations"]["readOnlyHint"],
            def.annotations.read_only_hint
        );
    }

    let call = |i: usize| &out["calls"][i];
    // No `error`: the SDK accepted each structuredContent against its outputSchema.
    assert!(call(0).get("error").is_none(), "{:#}", call(0));
    assert_eq!(call(0)["isError"], false);
    assert_eq!(
        call(0)["structuredContent"]["home"],
        home.home.display().to_string()
    );
    assert!(
        call(0)["text"]
            .as_str()
            .unwrap_or_default()
            .contains("ok: true")
    );
    assert!(call(1).get("error").is_none(), "{:#}", call(1));
    assert_eq!(call(1)["structuredContent"]["slots"][0]["id"], "sh");
    assert_eq!(call(2)["isError"], true);
    let text = call(2)["text"].as_str().unwrap_or_default();
    assert!(text.contains("nobody") && text.contains("-32001"), "{text}");
    assert_eq!(call(3)["isError"], true);
    let text = call(3)["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("message") && text.contains("-32602"),
        "{text}"
    );

    assert_eq!(out["unknownTool"]["error"]["code"], -32602, "{out:#}");
}
