use std::path::Path;
use std::time::Duration;

use serde_json::json;

use super::credentials::{ApiStyle, Credentials, CredentialsError};
use super::retry;
use super::wire::{self, Message, Role};
use super::{ChatRequest, RouterError};

const KEY: &str = "sk-test-SECRET-0123456789abcdef";

fn parse(text: &str) -> Result<Credentials, CredentialsError> {
    Credentials::parse(text, Path::new("/h/credentials.json"))
}

#[test]
fn credentials_parse_with_defaults_and_aliases() {
    let c = parse(&format!(
        r#"{{"auth_url": "https://llm.example/", "api_key": "{KEY}", "model": "big",
            "models": {{"fast": "small-1"}}}}"#
    ))
    .unwrap();
    assert_eq!(c.api, ApiStyle::Anthropic);
    assert_eq!(c.endpoint(), "https://llm.example/v1/messages");
    assert_eq!(c.timeout, super::credentials::DEFAULT_TIMEOUT);
    assert_eq!(c.max_retries, 3);
    assert_eq!(c.resolve_model(None).as_deref(), Some("big"));
    assert_eq!(c.resolve_model(Some("fast")).as_deref(), Some("small-1"));
    assert_eq!(c.resolve_model(Some("other")).as_deref(), Some("other"));
}

#[test]
fn models_may_be_a_list_whose_first_is_the_default() {
    let c = parse(&format!(
        r#"{{"auth_url": "http://x", "api_key": "{KEY}", "models": ["m-small", "m-big"]}}"#
    ))
    .unwrap();
    assert_eq!(c.resolve_model(None).as_deref(), Some("m-small"));
    assert_eq!(c.resolve_model(Some("m-big")).as_deref(), Some("m-big"));
    let none = parse(&format!(
        r#"{{"auth_url": "http://x", "api_key": "{KEY}"}}"#
    ))
    .unwrap();
    assert_eq!(none.resolve_model(None), None);
}

#[test]
fn openai_endpoints_follow_the_base_url() {
    for (base, want) in [
        ("http://h:1", "http://h:1/v1/chat/completions"),
        ("http://h:1/v1", "http://h:1/v1/chat/completions"),
        (
            "http://h:1/api/v1/chat/completions",
            "http://h:1/api/v1/chat/completions",
        ),
    ] {
        let c = parse(&format!(
            r#"{{"auth_url": "{base}", "api_key": "k-123456", "api": "openai"}}"#
        ))
        .unwrap();
        assert_eq!(c.endpoint(), want);
    }
}

#[test]
fn bad_credentials_are_named_without_the_key() {
    let cases = [
        (
            format!(r#"{{"auth_url": "ftp://x", "api_key": "{KEY}"}}"#),
            "auth_url",
        ),
        (
            r#"{"auth_url": "http://x", "api_key": " "}"#.to_string(),
            "api_key is empty",
        ),
        (
            format!(r#"{{"auth_url": "http://x", "api_key": "{KEY}", "api": "grpc"}}"#),
            "grpc",
        ),
        (
            format!(r#"{{"auth_url": "http://x", "api_key": "{KEY}", "max_retries": 99}}"#),
            "max_retries",
        ),
        (
            format!(r#"{{"auth_url": "http://x", "api_key": "{KEY}", "timeout_secs": 0}}"#),
            "timeout_secs",
        ),
        (
            format!(r#"{{"auth_url": "http://x", "api_key": "{KEY}", "colour": 1}}"#),
            "colour",
        ),
        (format!(r#"{{"api_key": "{KEY}"}}"#), "auth_url"),
    ];
    for (text, want) in cases {
        let err = parse(&text).unwrap_err().to_string();
        assert!(err.contains(want), "{err} should name {want}");
        assert!(!err.contains(KEY), "{err} shows the key");
    }
}

#[test]
fn the_key_never_prints() {
    let c = parse(&format!(
        r#"{{"auth_url": "http://x", "api_key": "{KEY}"}}"#
    ))
    .unwrap();
    assert!(!format!("{c:?}").contains(KEY));
    assert!(format!("{c:?}").contains("[redacted]"));
    assert_eq!(c.api_key.to_string(), "[redacted]");
    assert_eq!(
        c.api_key.scrub(&format!("bad key {KEY}!")),
        "bad key [redacted]!"
    );
}

#[cfg(unix)]
#[test]
fn a_file_others_can_read_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials.json");
    std::fs::write(
        &path,
        format!(r#"{{"auth_url": "http://x", "api_key": "{KEY}"}}"#),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = Credentials::load(&path).unwrap_err().to_string();
    assert!(err.contains("0644") && err.contains("chmod 600"), "{err}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(Credentials::load(&path).is_ok());
    let missing = Credentials::load_from_home(&dir.path().join("nope")).unwrap_err();
    assert!(matches!(missing, CredentialsError::Missing { .. }));
    assert!(missing.to_string().contains("does not exist"));
}

#[test]
fn anthropic_body_moves_system_messages_out() {
    let body = wire::request_body(
        ApiStyle::Anthropic,
        "m",
        &[
            Message::new(Role::System, "Be brief."),
            Message::new(Role::User, "Hi"),
            Message::new(Role::Assistant, "Hello"),
            Message::new(Role::User, "Again"),
        ],
        50,
    );
    assert_eq!(body["system"], "Be brief.");
    assert_eq!(body["max_tokens"], 50);
    assert_eq!(body["messages"].as_array().unwrap().len(), 3);
    assert_eq!(
        body["messages"][0],
        json!({"role": "user", "content": "Hi"})
    );
    let openai = wire::request_body(
        ApiStyle::Openai,
        "m",
        &[
            Message::new(Role::System, "S"),
            Message::new(Role::User, "U"),
        ],
        7,
    );
    assert_eq!(
        openai["messages"][0],
        json!({"role": "system", "content": "S"})
    );
    assert!(openai.get("system").is_none());
}

#[test]
fn replies_of_both_styles_parse() {
    let a = wire::parse_reply(
        ApiStyle::Anthropic,
        &json!({"model": "m1", "content": [{"type": "thinking", "thinking": "x"},
            {"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}],
            "stop_reason": "end_turn", "usage": {"input_tokens": 3, "output_tokens": 4}}),
    )
    .unwrap();
    assert_eq!(
        (a.text.as_str(), a.usage.input_tokens, a.usage.output_tokens),
        ("Hello", 3, 4)
    );
    let o = wire::parse_reply(
        ApiStyle::Openai,
        &json!({"model": "m2", "choices": [{"message": {"content": "Hi"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 6}}),
    )
    .unwrap();
    assert_eq!(
        (
            o.text.as_str(),
            o.usage.input_tokens,
            o.stop_reason.as_deref()
        ),
        ("Hi", 5, Some("stop"))
    );
    assert!(wire::parse_reply(ApiStyle::Openai, &json!({"choices": []})).is_err());
    assert!(wire::parse_reply(ApiStyle::Anthropic, &json!({"type": "message"})).is_err());
}

#[test]
fn error_messages_come_from_either_shape() {
    assert_eq!(
        wire::error_message(
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
        ),
        "overloaded_error: Overloaded"
    );
    assert_eq!(wire::error_message(r#"{"error":"nope"}"#), "nope");
    assert_eq!(
        wire::error_message("<html>bad gateway</html>"),
        "<html>bad gateway</html>"
    );
    assert_eq!(wire::error_message(""), "(empty body)");
}

#[test]
fn retry_delays_honour_retry_after_and_back_off() {
    assert!(retry::is_retryable(429) && retry::is_retryable(529) && retry::is_retryable(503));
    assert!(!retry::is_retryable(500) && !retry::is_retryable(401));
    assert_eq!(retry::delay(0, Some("2")), Duration::from_secs(2));
    assert_eq!(retry::delay(0, Some("0.25")), Duration::from_millis(250));
    assert_eq!(retry::delay(0, Some("9999")), retry::MAX_DELAY);
    assert_eq!(retry::delay(0, None), retry::BASE_DELAY);
    assert_eq!(retry::delay(2, None), retry::BASE_DELAY * 4);
    assert_eq!(
        retry::delay(2, Some("Wed, 21 Oct 2015 07:28:00 GMT")),
        retry::BASE_DELAY * 4
    );
    assert_eq!(retry::delay(40, None), retry::MAX_DELAY);
}

#[test]
fn requests_are_checked_before_sending() {
    let empty = ChatRequest {
        messages: vec![],
        model: None,
        max_tokens: None,
    };
    assert!(matches!(
        empty.validate(),
        Err(RouterError::Request {
            field: "messages",
            ..
        })
    ));
    let only_system = ChatRequest {
        messages: vec![Message::new(Role::System, "x")],
        model: None,
        max_tokens: None,
    };
    assert!(
        only_system
            .validate()
            .unwrap_err()
            .to_string()
            .contains("role user")
    );
    let mut too_many = ChatRequest::user("hi");
    too_many.max_tokens = Some(0);
    assert!(matches!(
        too_many.validate(),
        Err(RouterError::Request {
            field: "maxTokens",
            ..
        })
    ));
    let blank = ChatRequest::user("  ");
    assert!(
        blank
            .validate()
            .unwrap_err()
            .to_string()
            .contains("messages[0].content")
    );
    assert!(ChatRequest::user("hi").validate().is_ok());
}
