//! `credentials.json`: which LLM backend the router talks to, and with which key.
//!
//! ```json
//! {
//!   "auth_url": "https://api.anthropic.com",
//!   "api_key": "sk-ant-...",
//!   "api": "anthropic",
//!   "model": "claude-sonnet-4-5",
//!   "models": { "fast": "claude-haiku-4-5" },     // or a list of names
//!   "timeout_secs": 120,
//!   "max_retries": 3
//! }
//! ```
//!
//! The file holds a secret, so it must be readable by its owner only (mode 0600): a
//! file others can read is refused with the `chmod` that fixes it, before its key is
//! ever used. The key is kept in [`ApiKey`], whose `Debug` and `Display` print
//! `[redacted]`, so no log line or error built from these types can show it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The file's name in the missiond home.
pub const FILE_NAME: &str = "credentials.json";
/// Largest credentials file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 64 * 1024;
/// Default timeout of one HTTP attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Default retries after a 429, 503 or 529 (so at most 4 attempts).
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// Most retries a file may ask for.
pub const MAX_RETRIES_LIMIT: u32 = 10;

/// The API a backend speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ApiStyle {
    /// Anthropic Messages API (`POST /v1/messages`, `x-api-key`).
    #[default]
    Anthropic,
    /// OpenAI-compatible chat completions (`POST /v1/chat/completions`, bearer token).
    #[serde(alias = "openai-compatible", alias = "openai_compatible")]
    Openai,
}

impl ApiStyle {
    /// `anthropic` or `openai`.
    pub fn name(self) -> &'static str {
        match self {
            ApiStyle::Anthropic => "anthropic",
            ApiStyle::Openai => "openai",
        }
    }
}

/// An API key. Never printed: `Debug` and `Display` show `[redacted]`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct ApiKey(String);

impl ApiKey {
    /// A key (tests and callers that build credentials in code).
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }

    /// The key itself, for the one header that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the key replaced by `[redacted]` (a backend may
    /// echo the key in an error message).
    pub fn scrub(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_string();
        }
        text.replace(&self.0, "[redacted]")
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::fmt::Display for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    auth_url: String,
    api_key: ApiKey,
    #[serde(default, alias = "api_style", alias = "style")]
    api: ApiStyle,
    #[serde(default, alias = "default_model")]
    model: Option<String>,
    #[serde(default)]
    models: Models,
    #[serde(default)]
    timeout_secs: Option<f64>,
    #[serde(default)]
    max_retries: Option<u32>,
    #[serde(default)]
    max_tokens: Option<u32>,
}

/// `models`: aliases (`{"fast": "claude-haiku-4-5"}`) or a list of model names (the
/// first is the default when `model` is not given).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Models {
    Aliases(BTreeMap<String, String>),
    Names(Vec<String>),
}

impl Default for Models {
    fn default() -> Self {
        Models::Aliases(BTreeMap::new())
    }
}

/// A loaded, checked `credentials.json`.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Where it came from.
    pub path: PathBuf,
    /// The backend's base URL (or the full endpoint URL).
    pub auth_url: String,
    /// The key.
    pub api_key: ApiKey,
    /// The API it speaks.
    pub api: ApiStyle,
    /// The model used when a call names none.
    pub model: Option<String>,
    /// Aliases: a call's `model` that is a key here uses the value.
    pub models: BTreeMap<String, String>,
    /// Timeout of one attempt.
    pub timeout: Duration,
    /// Retries after 429/503/529.
    pub max_retries: u32,
    /// Default `max_tokens` of a call.
    pub max_tokens: u32,
}

/// Why the credentials could not be used. No variant holds the key.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// There is no file.
    #[error(
        "no LLM backend configured: {path} does not exist (write {{\"auth_url\", \"api_key\", \"model\"}} there, mode 0600; see README \"AI router\")"
    )]
    Missing {
        /// The path looked at.
        path: PathBuf,
    },
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Others may read the file.
    #[error(
        "{path} has mode {mode:04o}: it holds an API key, so only its owner may read it; run `chmod 600 {path}`"
    )]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The content is wrong.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong (never the key).
        message: String,
    },
}

impl Credentials {
    /// The file for `home`.
    pub fn path_in(home: &Path) -> PathBuf {
        home.join(FILE_NAME)
    }

    /// Loads `home/credentials.json`.
    pub fn load_from_home(home: &Path) -> Result<Credentials, CredentialsError> {
        Credentials::load(&Credentials::path_in(home))
    }

    /// Loads and checks `path`: present, owner-only permissions, valid content.
    pub fn load(path: &Path) -> Result<Credentials, CredentialsError> {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(CredentialsError::Missing {
                    path: path.to_path_buf(),
                });
            }
            Err(source) => {
                return Err(CredentialsError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        check_mode(path, &meta)?;
        let invalid = |message: String| CredentialsError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        if meta.len() > MAX_FILE_BYTES {
            return Err(invalid(format!(
                "is {} bytes, more than the {MAX_FILE_BYTES} allowed",
                meta.len()
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|source| CredentialsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Credentials::parse(&text, path)
    }

    /// Parses the content of a credentials file (`path` only names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Credentials, CredentialsError> {
        let invalid = |message: String| CredentialsError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        // serde_json's messages name the field and position, never the value.
        let raw: Raw = serde_json::from_str(text).map_err(|e| invalid(format!("{e}")))?;
        let auth_url = raw.auth_url.trim().trim_end_matches('/').to_string();
        if !(auth_url.starts_with("http://") || auth_url.starts_with("https://")) {
            return Err(invalid(format!(
                "auth_url `{auth_url}` must start with http:// or https://"
            )));
        }
        if raw.api_key.0.trim().is_empty() {
            return Err(invalid("api_key is empty".into()));
        }
        if raw.api_key.0.chars().any(char::is_control) {
            return Err(invalid(
                "api_key holds a control character (a stray newline?)".into(),
            ));
        }
        let timeout = match raw.timeout_secs {
            None => DEFAULT_TIMEOUT,
            Some(s) if s.is_finite() && s > 0.0 && s <= 3600.0 => Duration::from_secs_f64(s),
            Some(s) => {
                return Err(invalid(format!(
                    "timeout_secs {s} must be more than 0 and at most 3600"
                )));
            }
        };
        let max_retries = raw.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
        if max_retries > MAX_RETRIES_LIMIT {
            return Err(invalid(format!(
                "max_retries {max_retries} is more than {MAX_RETRIES_LIMIT}"
            )));
        }
        let max_tokens = raw.max_tokens.unwrap_or(super::DEFAULT_MAX_TOKENS);
        if max_tokens == 0 || max_tokens > super::MAX_TOKENS_LIMIT {
            return Err(invalid(format!(
                "max_tokens {max_tokens} must be 1 to {}",
                super::MAX_TOKENS_LIMIT
            )));
        }
        let (models, first) = match raw.models {
            Models::Aliases(map) => (map, None),
            Models::Names(names) => {
                let first = names.iter().map(|n| n.trim()).find(|n| !n.is_empty());
                (BTreeMap::new(), first.map(str::to_string))
            }
        };
        let model = raw
            .model
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .or(first);
        Ok(Credentials {
            path: path.to_path_buf(),
            auth_url,
            api_key: raw.api_key,
            api: raw.api,
            model,
            models,
            timeout,
            max_retries,
            max_tokens,
        })
    }

    /// The model a call asking for `wanted` uses: an alias from `models`, the name as
    /// given, or the default `model`.
    pub fn resolve_model(&self, wanted: Option<&str>) -> Option<String> {
        match wanted.map(str::trim).filter(|w| !w.is_empty()) {
            Some(w) => Some(self.models.get(w).cloned().unwrap_or_else(|| w.to_string())),
            None => self.model.clone(),
        }
    }

    /// The URL requests go to: `auth_url` when it already names the endpoint, else the
    /// style's path appended.
    pub fn endpoint(&self) -> String {
        let base = &self.auth_url;
        match self.api {
            ApiStyle::Anthropic if base.ends_with("/messages") => base.clone(),
            ApiStyle::Anthropic if base.ends_with("/v1") => format!("{base}/messages"),
            ApiStyle::Anthropic => format!("{base}/v1/messages"),
            ApiStyle::Openai if base.ends_with("/chat/completions") => base.clone(),
            ApiStyle::Openai if base.ends_with("/v1") => format!("{base}/chat/completions"),
            ApiStyle::Openai => format!("{base}/v1/chat/completions"),
        }
    }
}

#[cfg(unix)]
fn check_mode(path: &Path, meta: &std::fs::Metadata) -> Result<(), CredentialsError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CredentialsError::Permissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), CredentialsError> {
    Ok(())
}
