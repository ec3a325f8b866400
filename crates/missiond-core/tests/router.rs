//! The AI router against mock-anthropic over real sockets: both API styles, errors,
//! retries, timeouts, and the key kept out of every result and error.

use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use missiond_core::router::{ChatRequest, Message, Role, RouterError, chat_from_home};
use mock_anthropic::{Answer, Scenario, Server};

const KEY: &str = "sk-router-test-KEY-5f1d2c3b4a";

const SCENARIO: &str = r#"
rules:
  - name: hello
    match: { contains: "say hello", without_tools: true }
    steps:
      - text: "Hello from the backend."
        usage: { input_tokens: 21, output_tokens: 5 }
  - name: flaky
    match: { contains: "flaky", without_tools: true }
    once: true
    steps:
      - error: { status: 529, type: overloaded_error, message: "Overloaded", retry_after_s: 1 }
  - name: flaky-again
    match: { contains: "flaky", without_tools: true }
    once: true
    steps:
      - error: { status: 503, type: api_error, message: "Unavailable", retry_after_s: 0 }
  - name: flaky-ok
    match: { contains: "flaky", without_tools: true }
    steps:
      - text: "Third time lucky."
  - name: limited
    match: { contains: "limited", without_tools: true }
    steps:
      - error: { status: 429, type: rate_limit_error, message: "slow down", retry_after_s: 0 }
  - name: unauthorised
    match: { contains: "bad key", without_tools: true }
    steps:
      - error: { status: 401, type: authentication_error, message: "invalid x-api-key sk-router-test-KEY-5f1d2c3b4a" }
"#;

fn home_with(dir: &Path, json: &str) {
    let path = dir.join("credentials.json");
    std::fs::write(&path, json).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

fn creds(url: &str, api: &str, extra: &str) -> String {
    format!(
        r#"{{"auth_url": "{url}", "api_key": "{KEY}", "api": "{api}", "model": "test-model",
            "models": {{"fast": "test-fast"}}{extra}}}"#
    )
}

fn no_key(text: &str) {
    assert!(!text.contains(KEY), "the key leaked: {text}");
}

async fn chat(
    home: &Path,
    prompt: &str,
) -> Result<missiond_core::router::ChatOutcome, RouterError> {
    chat_from_home(home, &ChatRequest::user(prompt)).await
}

#[tokio::test]
async fn both_api_styles_return_text_and_usage() {
    let server = Server::start(Scenario::from_yaml(SCENARIO).unwrap()).unwrap();
    for api in ["anthropic", "openai"] {
        let home = tempfile::tempdir().unwrap();
        home_with(home.path(), &creds(server.base_url(), api, ""));
        let request = ChatRequest {
            messages: vec![
                Message::new(Role::System, "You are terse."),
                Message::new(Role::User, "please say hello"),
            ],
            model: Some("fast".into()),
            max_tokens: Some(64),
        };
        let out = chat_from_home(home.path(), &request).await.unwrap();
        assert_eq!(out.reply.text, "Hello from the backend.", "{api}");
        assert_eq!(out.reply.usage.input_tokens, 21, "{api}");
        assert_eq!(out.reply.usage.output_tokens, 5, "{api}");
        assert_eq!(out.model, "test-fast");
        assert_eq!(out.attempts, 1);
        no_key(&format!("{out:?}"));
    }
    let log = server.requests();
    let paths: Vec<&str> = log.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/v1/messages", "/v1/chat/completions"]);
    for r in &log {
        assert_eq!(r.model.as_deref(), Some("test-fast"));
        assert_eq!(r.last_user_text, "please say hello");
        assert!(matches!(&r.answer, Some(Answer::Rule { rule: 0, .. })));
    }
}

#[tokio::test]
async fn retries_429_503_529_honouring_retry_after() {
    for api in ["anthropic", "openai"] {
        let server = Server::start(Scenario::from_yaml(SCENARIO).unwrap()).unwrap();
        let home = tempfile::tempdir().unwrap();
        home_with(home.path(), &creds(server.base_url(), api, ""));
        let started = Instant::now();
        let out = chat(home.path(), "be flaky").await.unwrap();
        assert_eq!(out.reply.text, "Third time lucky.", "{api}");
        assert_eq!(out.attempts, 3, "{api}");
        // retry-after: 1 was waited for (a lower bound holds however loaded the machine).
        assert!(started.elapsed() >= Duration::from_secs(1), "{api}");
        let statuses: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses, [529, 503, 200], "{api}");
    }
}

#[tokio::test]
async fn retries_give_up_with_status_and_backend_message() {
    let server = Server::start(Scenario::from_yaml(SCENARIO).unwrap()).unwrap();
    for api in ["anthropic", "openai"] {
        let home = tempfile::tempdir().unwrap();
        home_with(
            home.path(),
            &creds(server.base_url(), api, r#", "max_retries": 2"#),
        );
        let err = chat(home.path(), "you are limited").await.unwrap_err();
        let RouterError::Status {
            status,
            attempts,
            ref message,
            ..
        } = err
        else {
            panic!("{api}: {err}");
        };
        assert_eq!((status, attempts), (429, 3), "{api}");
        assert!(message.contains("slow down"), "{api}: {message}");
        let text = err.to_string();
        assert!(
            text.contains("HTTP 429") && text.contains("3 attempt"),
            "{text}"
        );
        let rpc = err.to_rpc();
        assert_eq!(rpc.data.unwrap()["status"], 429);
    }
    assert_eq!(server.requests().len(), 6);
}

#[tokio::test]
async fn other_errors_are_not_retried_and_never_show_the_key() {
    let server = Server::start(Scenario::from_yaml(SCENARIO).unwrap()).unwrap();
    for api in ["anthropic", "openai"] {
        let home = tempfile::tempdir().unwrap();
        home_with(home.path(), &creds(server.base_url(), api, ""));
        let err = chat(home.path(), "a bad key").await.unwrap_err();
        assert!(
            matches!(
                err,
                RouterError::Status {
                    status: 401,
                    attempts: 1,
                    ..
                }
            ),
            "{err}"
        );
        let text = err.to_string();
        assert!(text.contains("invalid x-api-key [redacted]"), "{text}");
        no_key(&text);
        no_key(&format!("{err:?}"));
        no_key(&serde_json::to_string(&err.to_rpc()).unwrap());
    }
    assert_eq!(server.requests().len(), 2);
}

/// A server that accepts connections and answers each with `answer` (or never, if None).
fn raw_server(answer: Option<&'static str>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut buf = [0u8; 65536];
            let _ = stream.read(&mut buf);
            if let Some(answer) = answer {
                let _ = stream.write_all(answer.as_bytes());
            } else {
                held.push(stream);
            }
        }
    });
    url
}

#[tokio::test]
async fn a_silent_backend_times_out() {
    let url = raw_server(None);
    let home = tempfile::tempdir().unwrap();
    home_with(
        home.path(),
        &creds(&url, "anthropic", r#", "timeout_secs": 0.5"#),
    );
    let err = chat(home.path(), "say hello").await.unwrap_err();
    assert!(
        matches!(err, RouterError::Timeout { attempts: 1, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("timeout_secs"));
    assert_eq!(
        err.to_rpc().kind(),
        Some(missiond_core::ipc::ErrorCode::Timeout)
    );
}

#[tokio::test]
async fn an_unreadable_answer_is_named() {
    let url = raw_server(Some(
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot json!",
    ));
    let home = tempfile::tempdir().unwrap();
    home_with(home.path(), &creds(&url, "openai", ""));
    let err = chat(home.path(), "say hello").await.unwrap_err();
    assert!(
        matches!(err, RouterError::BadAnswer { status: 200, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("not JSON"), "{err}");
}

#[tokio::test]
async fn a_closed_port_is_retried_then_reported() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let home = tempfile::tempdir().unwrap();
    home_with(
        home.path(),
        &creds(
            &format!("http://127.0.0.1:{port}"),
            "anthropic",
            r#", "max_retries": 1"#,
        ),
    );
    let err = chat(home.path(), "say hello").await.unwrap_err();
    assert!(
        matches!(err, RouterError::Connect { attempts: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("cannot reach"), "{err}");
}

#[tokio::test]
async fn missing_or_loose_credentials_are_config_errors() {
    let home = tempfile::tempdir().unwrap();
    let err = chat(home.path(), "say hello").await.unwrap_err();
    assert_eq!(
        err.to_rpc().kind(),
        Some(missiond_core::ipc::ErrorCode::ConfigError)
    );
    assert!(err.to_string().contains("credentials.json"), "{err}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        home_with(home.path(), &creds("http://127.0.0.1:9", "anthropic", ""));
        let path = home.path().join("credentials.json");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = chat(home.path(), "say hello").await.unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
        no_key(&err.to_string());
    }
}

/// A server that records one request's bytes and answers it with `body` (JSON, 200).
fn recording_server(body: &'static str) -> (String, std::sync::mpsc::Receiver<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else {
            return;
        };
        let mut seen = Vec::new();
        let mut buf = [0u8; 65536];
        // Headers, then the body by its content-length.
        loop {
            let n = stream.read(&mut buf).unwrap_or(0);
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&seen).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let len = text[..end]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if seen.len() >= end + 4 + len {
                    break;
                }
            }
        }
        let _ = tx.send(String::from_utf8_lossy(&seen).to_string());
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(answer.as_bytes());
    });
    (url, rx)
}

#[tokio::test]
async fn each_style_sends_the_key_in_its_own_header_and_path() {
    let (url, seen) = recording_server(
        r#"{"model": "m", "content": [{"type": "text", "text": "ok"}], "usage": {"input_tokens": 1, "output_tokens": 1}}"#,
    );
    let home = tempfile::tempdir().unwrap();
    home_with(home.path(), &creds(&url, "anthropic", ""));
    let out = chat(home.path(), "say hello").await.unwrap();
    assert_eq!(out.reply.text, "ok");
    let request = seen.recv_timeout(Duration::from_secs(30)).unwrap();
    let lower = request.to_ascii_lowercase();
    assert!(
        request.starts_with("POST /v1/messages HTTP/1.1"),
        "{request}"
    );
    assert!(
        lower.contains(&format!("x-api-key: {}", KEY.to_ascii_lowercase())),
        "{request}"
    );
    assert!(lower.contains("anthropic-version: 2023-06-01"), "{request}");
    assert!(!lower.contains("authorization:"), "{request}");
    assert!(request.contains(r#""max_tokens":1024"#), "{request}");

    let (url, seen) = recording_server(
        r#"{"model": "m", "choices": [{"message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 1, "completion_tokens": 1}}"#,
    );
    home_with(home.path(), &creds(&format!("{url}/v1"), "openai", ""));
    let out = chat(home.path(), "say hello").await.unwrap();
    assert_eq!(out.reply.text, "ok");
    let request = seen.recv_timeout(Duration::from_secs(30)).unwrap();
    assert!(
        request.starts_with("POST /v1/chat/completions HTTP/1.1"),
        "{request}"
    );
    assert!(
        request.to_ascii_lowercase().contains(&format!(
            "authorization: bearer {}",
            KEY.to_ascii_lowercase()
        )),
        "{request}"
    );
    assert!(
        !request.to_ascii_lowercase().contains("x-api-key"),
        "{request}"
    );
}
