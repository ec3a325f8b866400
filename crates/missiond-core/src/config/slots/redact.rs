//! The `redact:` section of `slots.yaml`: which well-known key shapes are scrubbed, and
//! patterns of the user's own (see [`crate::secrets::shapes`]).

use std::path::Path;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use super::ConfigError;
use super::lifecycle::error_at;
use crate::secrets::{PatternConfig, RedactConfig};

/// The section, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRedact {
    #[serde(default)]
    shapes: Option<bool>,
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    patterns: Vec<Spanned<RawPattern>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPattern {
    name: String,
    regex: String,
    #[serde(default)]
    prefix: Option<String>,
}

/// Checks the section: every disabled name is a built-in shape, every pattern compiles.
pub(super) fn redact(path: &Path, raw: &RawRedact) -> Result<RedactConfig, ConfigError> {
    let config = RedactConfig {
        shapes: raw.shapes.unwrap_or(true),
        disable: raw.disable.iter().map(|d| d.value.clone()).collect(),
        patterns: raw
            .patterns
            .iter()
            .map(|p| PatternConfig {
                name: p.value.name.clone(),
                regex: p.value.regex.clone(),
                prefix: p.value.prefix.clone(),
            })
            .collect(),
    };
    if let Err(e) = config.shapes() {
        let loc = raw
            .disable
            .iter()
            .find(|d| d.value == e.name)
            .map(|d| d.referenced)
            .or_else(|| {
                raw.patterns
                    .iter()
                    .find(|p| p.value.name == e.name)
                    .map(|p| p.referenced)
            })
            .unwrap_or(Location::UNKNOWN);
        return Err(error_at(path, loc, "redact", e.to_string()));
    }
    Ok(config)
}
