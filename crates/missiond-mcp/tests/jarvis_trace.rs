//! A request traced from `mission-mcp` into the daemon: the MCP call mints the id,
//! hands it back in the result's `_meta`, and mission_jarvis_trace (itself called over
//! MCP) returns the daemon's entries for it.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Home, call, call_ok};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_call_is_traced_through_the_daemon() {
    let home = Home::new(None);
    let client = home.connect().await;

    let result = call(&client, "mission_infra_list", json!({"tag": "prod"}))
        .await
        .expect("mission_infra_list");
    assert_ne!(result.is_error, Some(true));
    let meta = result.meta.as_ref().expect("the result carries _meta");
    let id = meta.0["missiond/requestId"]
        .as_str()
        .expect("a request id")
        .to_string();
    assert!(id.starts_with("mcp-"), "{id}");

    // Errors carry their id too.
    let failed = call(&client, "mission_infra_get", json!({"name": "ghost"}))
        .await
        .unwrap();
    assert_eq!(failed.is_error, Some(true));
    let failed_id = failed.meta.as_ref().unwrap().0["missiond/requestId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(failed_id, id);

    let deadline = Instant::now() + Duration::from_secs(30);
    let entries = loop {
        let r = call(&client, "mission_jarvis_trace", json!({"requestId": id}))
            .await
            .unwrap();
        if r.is_error != Some(true) {
            let v = r.structured_content.clone().unwrap_or(Value::Null);
            let entries = v["entries"].as_array().cloned().unwrap_or_default();
            if entries.iter().any(|e| e["message"] == "call done") {
                break entries;
            }
        }
        assert!(Instant::now() < deadline, "no trace for {id}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    assert!(
        entries.iter().all(|e| e["requestId"] == id.as_str()),
        "{entries:#?}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["fields"]["method"] == "mission_infra_list"),
        "{entries:#?}"
    );

    let failed_trace = loop {
        let v = call_ok(
            &client,
            "mission_jarvis_logs",
            json!({"level": "warn", "text": "ghost"}),
        )
        .await;
        let hits: Vec<Value> = v["entries"].as_array().cloned().unwrap_or_default();
        if !hits.is_empty() {
            break hits;
        }
        assert!(
            Instant::now() < deadline,
            "the failed call was never logged"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    assert_eq!(failed_trace[0]["requestId"], failed_id.as_str());
    assert_eq!(failed_trace[0]["message"], "call failed");
}
