//! The AI router: chat completions through the LLM backend named in
//! `credentials.json` (see [`credentials`]), for `mission_router_chat` and the
//! knowledge base's analysis.
//!
//! - [`credentials`]: the file, its 0600 check, the key that never prints.
//! - [`wire`]: the Anthropic Messages and OpenAI-compatible request and answer shapes.
//! - [`retry`]: which failures are retried and after how long.
//! - [`client`]: the HTTP call with its timeout and retries.
//!
//! The key goes into one request header and nowhere else: every error text passes
//! through [`credentials::ApiKey::scrub`], and the types print it as `[redacted]`.

pub mod client;
pub mod credentials;
pub mod retry;
pub mod wire;

#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;

pub use client::{ChatOutcome, Router};
pub use credentials::{ApiKey, ApiStyle, Credentials, CredentialsError};
pub use wire::{Message, Reply, Role, Usage};

use crate::ipc::{ErrorCode, RpcError};

/// Default `max_tokens` of a chat.
pub const DEFAULT_MAX_TOKENS: u32 = 1024;
/// Largest `max_tokens` a chat may ask for.
pub const MAX_TOKENS_LIMIT: u32 = 128_000;
/// Most messages in one chat.
pub const MAX_MESSAGES: usize = 200;
/// Most bytes of message text in one chat (1 MiB).
pub const MAX_PROMPT_BYTES: usize = 1024 * 1024;

/// One chat to route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRequest {
    /// The conversation, oldest first.
    pub messages: Vec<Message>,
    /// A model name or alias from `credentials.json` (default: its `model`).
    pub model: Option<String>,
    /// Most tokens in the answer (default: the file's `max_tokens`, else 1024).
    pub max_tokens: Option<u32>,
}

impl ChatRequest {
    /// A chat of one user message.
    pub fn user(text: impl Into<String>) -> ChatRequest {
        ChatRequest {
            messages: vec![Message::new(Role::User, text)],
            model: None,
            max_tokens: None,
        }
    }

    /// Checks the request before anything is sent.
    pub fn validate(&self) -> Result<(), RouterError> {
        client::validate_messages(&self.messages).map_err(|m| RouterError::Request {
            field: "messages",
            message: m,
        })?;
        if let Some(n) = self.max_tokens
            && (n == 0 || n > MAX_TOKENS_LIMIT)
        {
            return Err(RouterError::Request {
                field: "maxTokens",
                message: format!("{n} is not between 1 and {MAX_TOKENS_LIMIT}"),
            });
        }
        Ok(())
    }
}

/// Why a chat failed. No variant's text holds the API key.
#[derive(Debug, thiserror::Error)]
pub enum RouterError {
    /// `credentials.json` is missing, unsafe or invalid.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// No model was asked for and the file names none.
    #[error("no model: give `model`, or set \"model\" in {path}")]
    NoModel {
        /// The credentials file.
        path: PathBuf,
    },
    /// The request itself is wrong.
    #[error("`{field}`: {message}")]
    Request {
        /// The offending argument.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The HTTP client could not be built.
    #[error("setting up the HTTP client: {0}")]
    Setup(String),
    /// The backend answered with an error status.
    #[error(
        "the LLM backend at {url} answered HTTP {status} after {attempts} attempt(s): {message}"
    )]
    Status {
        /// The endpoint.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The backend's error message.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The backend could not be reached.
    #[error("cannot reach the LLM backend at {url} after {attempts} attempt(s): {message}")]
    Connect {
        /// The endpoint.
        url: String,
        /// The connection error.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// No answer in time.
    #[error(
        "the LLM backend at {url} did not answer within {after:?} (attempt {attempts}; raise timeout_secs in credentials.json)"
    )]
    Timeout {
        /// The endpoint.
        url: String,
        /// The timeout of one attempt.
        after: Duration,
        /// Attempts made.
        attempts: u32,
    },
    /// The answer could not be read.
    #[error("the LLM backend's answer (HTTP {status}) is not usable: {message}")]
    BadAnswer {
        /// The HTTP status.
        status: u16,
        /// What is wrong with it.
        message: String,
    },
}

impl RouterError {
    /// The JSON-RPC error for a tool's caller.
    pub fn to_rpc(&self) -> RpcError {
        let message = self.to_string();
        match self {
            RouterError::Credentials(_) | RouterError::NoModel { .. } => {
                RpcError::new(ErrorCode::ConfigError, message)
            }
            RouterError::Request { field, message } => RpcError::invalid_params(field, message),
            RouterError::Timeout { attempts, .. } => RpcError::new(ErrorCode::Timeout, message)
                .with_data(json!({ "attempts": attempts })),
            RouterError::Status {
                status, attempts, ..
            } => RpcError::new(ErrorCode::Internal, message)
                .with_data(json!({ "status": status, "attempts": attempts })),
            RouterError::Connect { attempts, .. } => RpcError::new(ErrorCode::Internal, message)
                .with_data(json!({ "attempts": attempts })),
            RouterError::BadAnswer { status, .. } => {
                RpcError::new(ErrorCode::Internal, message).with_data(json!({ "status": status }))
            }
            RouterError::Setup(_) => RpcError::internal(message),
        }
    }
}

/// Loads `home/credentials.json` and sends `request`.
pub async fn chat_from_home(
    home: &std::path::Path,
    request: &ChatRequest,
) -> Result<ChatOutcome, RouterError> {
    request.validate()?;
    let creds = Credentials::load_from_home(home)?;
    Router::new(creds)?.chat(request).await
}
