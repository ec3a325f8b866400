//! Sending one chat to the backend: the HTTP call, its timeout, and the retries.

use std::time::Duration;

use serde_json::Value;

use super::credentials::{ApiStyle, Credentials};
use super::retry;
use super::wire::{self, Message, Reply};
use super::{ChatRequest, RouterError};

/// The `anthropic-version` header sent to Messages API backends.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";
/// Largest answer body read, in bytes.
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// A backend to chat with: the credentials and an HTTP client.
#[derive(Debug, Clone)]
pub struct Router {
    creds: Credentials,
    http: reqwest::Client,
}

/// A finished chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatOutcome {
    /// What the backend answered.
    pub reply: Reply,
    /// The model asked for.
    pub model: String,
    /// The API style used.
    pub api: ApiStyle,
    /// HTTP attempts made (1 without retries).
    pub attempts: u32,
}

impl Router {
    /// A router for these credentials.
    pub fn new(creds: Credentials) -> Result<Router, RouterError> {
        let http = reqwest::Client::builder()
            .timeout(creds.timeout)
            .connect_timeout(creds.timeout.min(Duration::from_secs(30)))
            .user_agent(concat!("missiond-router/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RouterError::Setup(e.to_string()))?;
        Ok(Router { creds, http })
    }

    /// The credentials in use.
    pub fn credentials(&self) -> &Credentials {
        &self.creds
    }

    /// Sends `request`, retrying on 429/503/529 and on failed connections.
    pub async fn chat(&self, request: &ChatRequest) -> Result<ChatOutcome, RouterError> {
        request.validate()?;
        let model = self
            .creds
            .resolve_model(request.model.as_deref())
            .ok_or_else(|| RouterError::NoModel {
                path: self.creds.path.clone(),
            })?;
        let max_tokens = request.max_tokens.unwrap_or(self.creds.max_tokens);
        let body = wire::request_body(self.creds.api, &model, &request.messages, max_tokens);
        let url = self.creds.endpoint();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let failure = match self.attempt(&url, &body).await {
                Ok(Ok(reply)) => {
                    tracing::info!(
                        api = self.creds.api.name(),
                        url = %self.scrub(&url),
                        model = %model,
                        attempts = attempt,
                        input_tokens = reply.usage.input_tokens,
                        output_tokens = reply.usage.output_tokens,
                        "router chat answered"
                    );
                    return Ok(ChatOutcome {
                        reply,
                        model,
                        api: self.creds.api,
                        attempts: attempt,
                    });
                }
                Ok(Err(failure)) => failure,
                Err(fatal) => return Err(self.finish(fatal, attempt)),
            };
            let retries_left = attempt <= self.creds.max_retries;
            if !retries_left {
                return Err(self.finish(failure.error, attempt));
            }
            let pause = retry::delay(attempt - 1, failure.retry_after.as_deref());
            tracing::warn!(
                api = self.creds.api.name(),
                url = %self.scrub(&url),
                attempt,
                pause_ms = pause.as_millis() as u64,
                error = %self.scrub(&failure.error.to_string()),
                "router chat failed, retrying"
            );
            tokio::time::sleep(pause).await;
        }
    }

    /// One HTTP attempt. `Ok(Ok)`: answered; `Ok(Err)`: worth a retry; `Err`: final.
    async fn attempt(&self, url: &str, body: &Value) -> Result<Result<Reply, Retry>, RouterError> {
        let mut builder = self.http.post(url).json(body);
        builder = match self.creds.api {
            ApiStyle::Anthropic => builder
                .header("x-api-key", self.creds.api_key.expose())
                .header("anthropic-version", ANTHROPIC_VERSION),
            ApiStyle::Openai => builder.bearer_auth(self.creds.api_key.expose()),
        };
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return Err(RouterError::Timeout {
                    url: url.to_string(),
                    after: self.creds.timeout,
                    attempts: 0,
                });
            }
            Err(e) => {
                // Connection refused or reset: the backend may be restarting.
                return Ok(Err(Retry {
                    error: RouterError::Connect {
                        url: url.to_string(),
                        message: error_chain(&e),
                        attempts: 0,
                    },
                    retry_after: None,
                }));
            }
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = match response.bytes().await {
            Ok(b) => b,
            Err(e) if e.is_timeout() => {
                return Err(RouterError::Timeout {
                    url: url.to_string(),
                    after: self.creds.timeout,
                    attempts: 0,
                });
            }
            Err(e) => {
                return Err(RouterError::BadAnswer {
                    status,
                    message: format!("reading the answer: {}", error_chain(&e)),
                });
            }
        };
        if bytes.len() > MAX_ANSWER_BYTES {
            return Err(RouterError::BadAnswer {
                status,
                message: format!("the answer is {} bytes, more than allowed", bytes.len()),
            });
        }
        let text = String::from_utf8_lossy(&bytes);
        if !(200..300).contains(&status) {
            let error = RouterError::Status {
                url: url.to_string(),
                status,
                message: wire::error_message(&text),
                attempts: 0,
            };
            if retry::is_retryable(status) {
                return Ok(Err(Retry { error, retry_after }));
            }
            return Err(error);
        }
        let json: Value = serde_json::from_str(&text).map_err(|e| RouterError::BadAnswer {
            status,
            message: format!("the answer is not JSON ({e})"),
        })?;
        wire::parse_reply(self.creds.api, &json)
            .map(Ok)
            .map_err(|message| RouterError::BadAnswer { status, message })
    }

    /// The error with its attempt count, the key scrubbed out of every text.
    fn finish(&self, error: RouterError, attempts: u32) -> RouterError {
        let key = &self.creds.api_key;
        let error = match error {
            RouterError::Status {
                url,
                status,
                message,
                ..
            } => RouterError::Status {
                url: key.scrub(&url),
                status,
                message: key.scrub(&message),
                attempts,
            },
            RouterError::Connect { url, message, .. } => RouterError::Connect {
                url: key.scrub(&url),
                message: key.scrub(&message),
                attempts,
            },
            RouterError::Timeout { url, after, .. } => RouterError::Timeout {
                url: key.scrub(&url),
                after,
                attempts,
            },
            RouterError::BadAnswer { status, message } => RouterError::BadAnswer {
                status,
                message: key.scrub(&message),
            },
            other => other,
        };
        tracing::warn!(
            api = self.creds.api.name(),
            error = %error,
            "router chat failed"
        );
        error
    }

    fn scrub(&self, text: &str) -> String {
        self.creds.api_key.scrub(text)
    }
}

/// A failed attempt worth repeating.
struct Retry {
    error: RouterError,
    retry_after: Option<String>,
}

/// An error and its causes, one line (reqwest's top message alone says little).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Checks shared by every chat, before any request is sent.
pub(super) fn validate_messages(messages: &[Message]) -> Result<(), String> {
    use super::wire::Role;
    if messages.is_empty() {
        return Err("give at least one message".into());
    }
    if messages.len() > super::MAX_MESSAGES {
        return Err(format!(
            "{} messages given, at most {} are sent",
            messages.len(),
            super::MAX_MESSAGES
        ));
    }
    if !messages.iter().any(|m| m.role == Role::User) {
        return Err("no message has role user".into());
    }
    if let Some(i) = messages.iter().position(|m| m.content.trim().is_empty()) {
        return Err(format!("messages[{i}].content is empty"));
    }
    let total: usize = messages.iter().map(|m| m.content.len()).sum();
    if total > super::MAX_PROMPT_BYTES {
        return Err(format!(
            "the messages hold {total} bytes, at most {} are sent",
            super::MAX_PROMPT_BYTES
        ));
    }
    Ok(())
}
