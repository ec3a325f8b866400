//! `mission_router_chat` through a real daemon, against mock-anthropic: the answer, the
//! error for a missing or loose credentials.json, and the key found nowhere in the
//! home afterwards (database, logs, stderr at trace level).

mod daemon_support;

use std::path::Path;

use daemon_support::{Daemon, err_code, ok};
use mock_anthropic::{Scenario, Server};
use serde_json::json;

const KEY: &str = "sk-daemon-router-KEY-9e8d7c6b";
const CONFIG_ERROR: i32 = -32006;
const INTERNAL: i32 = -32603;

const SCENARIO: &str = r#"
rules:
  - match: { contains: "ping", without_tools: true }
    steps:
      - text: "pong"
        usage: { input_tokens: 7, output_tokens: 1 }
  - match: { contains: "reject", without_tools: true }
    steps:
      - error: { status: 401, type: authentication_error, message: "bad key sk-daemon-router-KEY-9e8d7c6b" }
"#;

fn write_credentials(home: &Path, url: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let path = home.join("credentials.json");
    std::fs::write(
        &path,
        format!(r#"{{"auth_url": "{url}", "api_key": "{KEY}", "api": "openai", "model": "m-1"}}"#),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Every file under `dir` but credentials.json whose bytes hold `needle`.
fn files_holding(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_holding(&path, needle));
        } else if path.file_name().is_some_and(|n| n != "credentials.json")
            && let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle)
        {
            found.push(path.display().to_string());
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_chat_answers_and_the_key_stays_in_its_file() {
    let server = Server::start(Scenario::from_yaml(SCENARIO).unwrap()).unwrap();
    let dir = tempfile::Builder::new().prefix("router").tempdir().unwrap();
    let mut daemon = Daemon::start_with_env(
        dir.path(),
        Some("slots: []\n"),
        &[("MISSION_LOG_LEVEL", "trace")],
    );
    let client = daemon.client().await;

    let data = err_code(
        &client,
        "mission_router_chat",
        json!({"messages": [{"role": "user", "content": "ping"}]}),
        CONFIG_ERROR,
    )
    .await;
    assert!(data.is_null(), "{data}");

    write_credentials(dir.path(), server.base_url(), 0o644);
    let loose = client
        .call(
            "mission_router_chat",
            json!({"messages": [{"role": "user", "content": "ping"}]}),
        )
        .await
        .unwrap_err();
    assert!(loose.to_string().contains("chmod 600"), "{loose}");

    write_credentials(dir.path(), server.base_url(), 0o600);
    let answer = ok(
        &client,
        "mission_router_chat",
        json!({"messages": [{"role": "system", "content": "Answer in one word."},
                            {"role": "user", "content": "ping"}], "maxTokens": 16}),
    )
    .await;
    assert_eq!(answer["text"], "pong", "{answer}");
    assert_eq!(answer["model"], "m-1");
    assert_eq!(answer["api"], "openai");
    assert_eq!(
        answer["usage"],
        json!({"inputTokens": 7, "outputTokens": 1})
    );
    assert_eq!(answer["attempts"], 1);

    let data = err_code(
        &client,
        "mission_router_chat",
        json!({"messages": [{"role": "user", "content": "reject me"}]}),
        INTERNAL,
    )
    .await;
    assert_eq!(data["status"], 401, "{data}");
    let rejected = client
        .call(
            "mission_router_chat",
            json!({"messages": [{"role": "user", "content": "reject me"}]}),
        )
        .await
        .unwrap_err();
    assert!(
        rejected.to_string().contains("bad key [redacted]"),
        "{rejected}"
    );

    let bad = err_code(
        &client,
        "mission_router_chat",
        json!({"messages": [{"role": "assistant", "content": "hi"}]}),
        -32602,
    )
    .await;
    assert_eq!(bad["field"], "messages");

    daemon.stop();
    let leaks = files_holding(dir.path(), KEY.as_bytes());
    assert!(leaks.is_empty(), "the key is in {leaks:?}");
    // The scan can fail: the mock did receive the requests the daemon made.
    assert_eq!(server.requests().len(), 3);
}
