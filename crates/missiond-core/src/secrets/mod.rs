//! Secrets in a slot's `env`: `${secret:path}` references, resolved when the slot is
//! spawned by a command configured in `slots.yaml`:
//!
//! ```yaml
//! secrets:
//!   command: pass show {path}   # or a list: [pass, show, "{path}"]
//!   timeout_secs: 10
//! slots:
//!   - id: coder
//!     cwd: ~/src/app
//!     env: {GITHUB_TOKEN: "${secret:github/token}"}
//! ```
//!
//! Resolved values live in [`SecretString`]s, which never print themselves; a
//! [`Redactor`] built from them scrubs them out of PTY logs, log lines and database text.
//!
//! - [`template`]: the `${secret:...}` syntax and its `$${` escape.
//! - [`command`]: running the command (no shell, time limit).
//! - [`redact`]: scrubbing text and byte streams.

pub mod command;
pub mod redact;
pub mod rendered;
pub mod secret_string;
pub mod shapes;
pub mod template;
pub mod visible;

use std::collections::BTreeMap;
use std::time::Duration;

pub use command::{PATH_PLACEHOLDER, split_command};
pub use redact::{RedactingStream, Redactor, RedactorError};
pub use secret_string::{REDACTED, SecretString};
pub use shapes::{PatternConfig, RedactConfig, Shape, ShapeError};
pub use template::{Part, TemplateError};

/// Default for [`SecretsConfig::timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How secrets are fetched: the `secrets:` section of `slots.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretsConfig {
    argv: Vec<String>,
    timeout: Duration,
}

impl SecretsConfig {
    /// A command (program first) in which every word that is exactly `{path}` is replaced
    /// by the secret's path. Refused when empty, when no word is `{path}`, when the program
    /// itself is `{path}`, or when `{path}` is part of a longer word (it must be an
    /// argument of its own).
    pub fn new(argv: Vec<String>, timeout: Duration) -> Result<Self, String> {
        let Some(program) = argv.first() else {
            return Err("the command is empty".into());
        };
        if program.trim().is_empty() || program == PATH_PLACEHOLDER {
            return Err(format!("{program:?} is not a program"));
        }
        if let Some(word) = argv
            .iter()
            .find(|w| w.contains(PATH_PLACEHOLDER) && *w != PATH_PLACEHOLDER)
        {
            return Err(format!(
                "{word:?}: {PATH_PLACEHOLDER} must be a word of its own (it is passed as one argument)"
            ));
        }
        if !argv.iter().any(|w| w == PATH_PLACEHOLDER) {
            return Err(format!("the command has no {PATH_PLACEHOLDER} argument"));
        }
        if timeout.is_zero() {
            return Err("the timeout must be more than 0".into());
        }
        Ok(SecretsConfig { argv, timeout })
    }

    /// The command, program first, with `{path}` placeholders.
    pub fn argv(&self) -> &[String] {
        &self.argv
    }

    /// How long one secret may take.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Runs the command for one path (checked with [`template::check_path`] first).
    pub fn fetch(&self, path: &str) -> Result<SecretString, ResolveFailure> {
        template::check_path(path).map_err(ResolveFailure::Template)?;
        command::fetch(self, path).map(SecretString::new)
    }
}

/// Why one reference could not be resolved. Never holds the secret (the command's error
/// output is shown, shortened, since it usually says what went wrong).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveFailure {
    /// The reference is malformed.
    #[error("{0}")]
    Template(TemplateError),
    /// `slots.yaml` has no `secrets:` section.
    #[error("no `secrets: {{command: ...}}` is configured in slots.yaml")]
    NotConfigured,
    /// The configured command is empty.
    #[error("the secret command is empty")]
    NoCommand,
    /// The program could not be started or waited for.
    #[error("running {program:?}: {error}")]
    Spawn {
        /// The program.
        program: String,
        /// The system's error.
        error: String,
    },
    /// The command ran longer than the time limit and was killed.
    #[error("the secret command took longer than {}s and was stopped", .0.as_secs_f32())]
    Timeout(Duration),
    /// The command failed.
    #[error("the secret command failed ({status}){}", if stderr.is_empty() { String::new() } else { format!(": {stderr}") })]
    Failed {
        /// Its exit status.
        status: String,
        /// The start of its error output.
        stderr: String,
    },
    /// The command printed nothing.
    #[error("the secret command printed nothing")]
    Empty,
    /// The command printed more than a secret could be.
    #[error("the secret command printed more than {0} bytes")]
    TooLong(u64),
    /// The command's output is not text.
    #[error("the secret command printed something that is not UTF-8 text")]
    NotUtf8,
}

/// A secret that could not be resolved for a slot: names the slot, the variable and the
/// path, never the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("slot {slot:?}, env {var}{}: {failure}", path.as_ref().map(|p| format!(", secret {p:?}")).unwrap_or_default())]
pub struct SecretError {
    /// The slot.
    pub slot: String,
    /// The environment variable.
    pub var: String,
    /// The secret's path, when the reference could be read.
    pub path: Option<String>,
    /// What went wrong (boxed: keeps the `Result` small).
    pub failure: Box<ResolveFailure>,
}

/// One environment variable after resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvValue {
    /// No secret in it.
    Plain(String),
    /// Holds at least one secret: the whole value is treated as secret.
    Secret(SecretString),
}

impl EnvValue {
    /// The value, to hand to the spawned process.
    pub fn expose(&self) -> &str {
        match self {
            EnvValue::Plain(v) => v,
            EnvValue::Secret(s) => s.expose(),
        }
    }
}

/// A slot's environment with its secrets filled in. Debug output shows secrets redacted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedEnv {
    vars: BTreeMap<String, EnvValue>,
    secrets: Vec<SecretString>,
}

impl ResolvedEnv {
    /// Variable names and values, secrets exposed, for the spawned process only.
    pub fn exposed(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.expose()))
    }

    /// One variable.
    pub fn get(&self, name: &str) -> Option<&EnvValue> {
        self.vars.get(name)
    }

    /// The resolved secret values, one per path.
    pub fn secrets(&self) -> &[SecretString] {
        &self.secrets
    }

    /// A redactor for this environment's secrets.
    pub fn redactor(&self) -> Result<Redactor, RedactorError> {
        Redactor::new(&self.secrets)
    }
}

/// Resolves every `${secret:path}` in `slot`'s `env` with `config` (blocking: run it off
/// the async runtime, e.g. in `spawn_blocking`). A path used several times is fetched once.
/// Values without references are passed through, `$${` escapes undone.
pub fn resolve_env(
    slot: &str,
    env: &BTreeMap<String, String>,
    config: Option<&SecretsConfig>,
) -> Result<ResolvedEnv, SecretError> {
    let mut fetched: BTreeMap<String, SecretString> = BTreeMap::new();
    let mut resolved = ResolvedEnv::default();
    for (var, value) in env {
        let fail = |path: Option<&str>, failure| SecretError {
            slot: slot.to_string(),
            var: var.clone(),
            path: path.map(str::to_string),
            failure: Box::new(failure),
        };
        let parts = template::parse(value).map_err(|e| fail(None, ResolveFailure::Template(e)))?;
        let mut text = String::new();
        let mut secret = false;
        for part in parts {
            match part {
                Part::Text(t) => text.push_str(&t),
                Part::Secret(path) => {
                    secret = true;
                    if !fetched.contains_key(&path) {
                        let config = config
                            .ok_or_else(|| fail(Some(&path), ResolveFailure::NotConfigured))?;
                        let value = config.fetch(&path).map_err(|e| fail(Some(&path), e))?;
                        fetched.insert(path.clone(), value);
                    }
                    if let Some(value) = fetched.get(&path) {
                        text.push_str(value.expose());
                    }
                }
            }
        }
        let value = if secret {
            EnvValue::Secret(SecretString::new(text))
        } else {
            EnvValue::Plain(text)
        };
        resolved.vars.insert(var.clone(), value);
    }
    resolved.secrets = fetched.into_values().collect();
    Ok(resolved)
}

#[cfg(test)]
mod tests;
