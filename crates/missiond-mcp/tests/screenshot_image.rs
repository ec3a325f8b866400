//! `mission_pty_screenshot` through mission-mcp (rmcp's client over stdio, the real
//! daemon behind it): the picture arrives as MCP image content, once.

mod support;

use std::time::Duration;

use base64::Engine as _;
use missiond_core::catalogue::{self, Tool as _};
use serde_json::json;
use support::{Home, bash_slot_yaml, call, call_ok, text_of};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screenshot_is_image_content_with_a_short_text_line() {
    let home = Home::new(None);
    std::fs::write(
        home.home.join("slots.yaml"),
        bash_slot_yaml(home.tmp.path()),
    )
    .expect("yaml");
    let client = home.connect().await;
    call_ok(&client, catalogue::PtySpawn::NAME, json!({"slotId": "sh"})).await;
    // Wait for the prompt so the picture has something on it.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !call_ok(&client, catalogue::PtyScreen::NAME, json!({"slotId": "sh"})).await["screen"]
        .as_str()
        .unwrap_or_default()
        .contains("sh$")
    {
        assert!(std::time::Instant::now() < deadline, "no prompt");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let result = call(
        &client,
        catalogue::PtyScreenshot::NAME,
        json!({"slotId": "sh"}),
    )
    .await
    .expect("mission_pty_screenshot");
    assert_ne!(result.is_error, Some(true), "{}", text_of(&result));
    let images: Vec<_> = result.content.iter().filter_map(|c| c.as_image()).collect();
    assert_eq!(images.len(), 1, "one image block: {:?}", result.content);
    assert_eq!(images[0].mime_type, "image/png");
    let png = base64::engine::general_purpose::STANDARD
        .decode(&images[0].data)
        .expect("base64");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // The text line says what it is, and is short (no base64 in it).
    let text = text_of(&result);
    assert!(
        text.contains("image/png") && text.contains("width"),
        "{text}"
    );
    assert!(text.len() < 400, "text too long: {} chars", text.len());
    // structuredContent keeps the figures but not the picture a second time.
    let structured = result.structured_content.expect("structuredContent");
    assert_eq!(structured["slotId"], "sh");
    assert!(
        structured["width"].as_u64().unwrap_or(0) > 0,
        "{structured}"
    );
    assert!(structured.get("data").is_none(), "the base64 is sent twice");

    // An error is still a text error.
    let failed = call(
        &client,
        catalogue::PtyScreenshot::NAME,
        json!({"slotId": "sh", "scale": 10}),
    )
    .await
    .expect("a tool result");
    assert_eq!(failed.is_error, Some(true));
    assert!(text_of(&failed).contains("scale"), "{}", text_of(&failed));
}
