//! `infra.yaml`: the servers and services agents work with, and how to tell whether they
//! are up.
//!
//! ```yaml
//! servers:
//!   - name: db-1
//!     address: 10.0.0.5
//!     health: 10.0.0.5:5432          # host:port: a TCP connect
//!     tags: [prod, db]
//! services:
//!   - name: api
//!     kind: http-api                 # default: server / service by section
//!     address: https://api.example.com
//!     health: https://api.example.com/healthz   # a URL: an HTTP GET
//!     headers: {Authorization: "Bearer ${secret:api/token}"}
//!     notes: Deployed from main every night.
//! ```
//!
//! No secret is written in the file: header values and the health URL may refer to one
//! as `${secret:path}`, resolved with the `secrets:` command of `slots.yaml` only when a
//! probe runs, and never shown by the tools.
//!
//! - [`target`]: what a `health` value means (HTTP URL or TCP `host:port`).
//! - [`select`]: filters and the choice of items to probe.

pub mod diagnose;
pub mod probes;
pub mod select;
pub mod target;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::catalogue::InfraItem;
pub use crate::config::slots::ConfigError;
pub use target::HealthTarget;

/// Environment variable naming another infra file than `$MISSIOND_HOME/infra.yaml`.
pub const ENV_INFRA_CONFIG: &str = "MISSION_INFRA_CONFIG";
/// Most items (servers and services together) a file may describe: a reachability run
/// over all of them stays a few timeouts long.
pub const MAX_ITEMS: usize = 1000;
/// Largest infra file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The infra file for `home`: `MISSION_INFRA_CONFIG` if set, else `home/infra.yaml`.
pub fn config_path(home: &Path) -> PathBuf {
    std::env::var_os(ENV_INFRA_CONFIG)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join("infra.yaml"))
}

/// One server or service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Unique name.
    pub name: String,
    /// Kind (`server`, `service` or as written).
    pub kind: String,
    /// Where it lives.
    pub address: Option<String>,
    /// The health endpoint as written (may hold `${secret:…}`).
    pub health: Option<String>,
    /// What the endpoint means.
    pub target: Option<HealthTarget>,
    /// HTTP headers for the probe (values may hold `${secret:…}`).
    pub headers: BTreeMap<String, String>,
    /// Lowercase tags.
    pub tags: Vec<String>,
    /// Notes.
    pub notes: Option<String>,
}

impl Item {
    /// As the tools show it (no probe yet).
    pub fn info(&self) -> InfraItem {
        InfraItem {
            name: self.name.clone(),
            kind: self.kind.clone(),
            address: self.address.clone(),
            health: self.health.clone(),
            tags: self.tags.clone(),
            notes: self.notes.clone(),
            last_probe: None,
        }
    }
}

/// The loaded file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InfraConfig {
    /// Where it came from.
    pub path: PathBuf,
    /// Whether the file exists.
    pub exists: bool,
    /// Servers first, then services, each in file order.
    pub items: Vec<Item>,
}

impl InfraConfig {
    /// Loads `path`; a missing file is an empty configuration.
    pub fn load(path: &Path) -> Result<InfraConfig, ConfigError> {
        let err = |message: String| ConfigError {
            path: path.to_path_buf(),
            line: None,
            field: None,
            message,
        };
        match std::fs::metadata(path) {
            Ok(m) if m.len() > MAX_FILE_BYTES => {
                return Err(err(format!(
                    "is {} bytes, more than the {MAX_FILE_BYTES} allowed",
                    m.len()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(InfraConfig {
                    path: path.to_path_buf(),
                    ..InfraConfig::default()
                });
            }
            _ => {}
        }
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        InfraConfig::parse(&text, path)
    }

    /// Parses `text` as the content of `path`.
    pub fn parse(text: &str, path: &Path) -> Result<InfraConfig, ConfigError> {
        let raw: RawFile = if text.trim().is_empty() {
            RawFile::default()
        } else {
            serde_saphyr::from_str(text).map_err(|e| ConfigError::from_yaml(path, text, &e))?
        };
        let mut seen = HashSet::new();
        let mut items = Vec::new();
        let sections = [
            ("servers", "server", raw.servers),
            ("services", "service", raw.services),
        ];
        for (section, default_kind, list) in sections {
            for (i, raw) in list.into_iter().enumerate() {
                if items.len() == MAX_ITEMS {
                    return Err(error_at(
                        path,
                        raw.name.referenced,
                        format!("{section}[{i}]"),
                        format!(
                            "more than {MAX_ITEMS} items; split the infrastructure across homes"
                        ),
                    ));
                }
                items.push(check_item(path, section, i, default_kind, raw, &mut seen)?);
            }
        }
        Ok(InfraConfig {
            path: path.to_path_buf(),
            exists: true,
            items,
        })
    }

    /// The item named `name` (exact).
    pub fn get(&self, name: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.name == name)
    }

    /// Every name, in order.
    pub fn names(&self) -> Vec<&str> {
        self.items.iter().map(|i| i.name.as_str()).collect()
    }
}

fn error_at(path: &Path, loc: Location, field: String, message: String) -> ConfigError {
    ConfigError {
        path: path.to_path_buf(),
        line: Some(loc.line()).filter(|l| *l > 0),
        field: Some(field),
        message,
    }
}

fn check_item(
    path: &Path,
    section: &str,
    index: usize,
    default_kind: &str,
    raw: RawItem,
    seen: &mut HashSet<String>,
) -> Result<Item, ConfigError> {
    let field = |name: &str| format!("{section}[{index}].{name}");
    let name = raw.name.value.trim().to_string();
    if !valid_name(&name) {
        return Err(error_at(
            path,
            raw.name.referenced,
            field("name"),
            format!("invalid name {name:?}: 1-100 letters, digits, '-', '_', '.' or ':'"),
        ));
    }
    if !seen.insert(name.clone()) {
        return Err(error_at(
            path,
            raw.name.referenced,
            field("name"),
            format!("duplicate name {name:?}"),
        ));
    }
    let kind = match raw.kind {
        Some(k) => {
            let v = k.value.trim().to_lowercase();
            if v.is_empty() || v.len() > 64 || v.chars().any(char::is_whitespace) {
                return Err(error_at(
                    path,
                    k.referenced,
                    field("kind"),
                    format!("{name:?}: kind must be one word of at most 64 characters"),
                ));
            }
            v
        }
        None => default_kind.to_string(),
    };
    let target = match &raw.health {
        Some(h) => {
            let text = h.value.trim();
            crate::secrets::template::parse(text).map_err(|e| {
                error_at(
                    path,
                    h.referenced,
                    field("health"),
                    format!("{name:?}: {e}"),
                )
            })?;
            Some(target::parse(text).map_err(|m| {
                error_at(
                    path,
                    h.referenced,
                    field("health"),
                    format!("{name:?}: {m}"),
                )
            })?)
        }
        None => None,
    };
    let mut headers = BTreeMap::new();
    for (key, value) in raw.headers {
        let at = |m: String| error_at(path, value.referenced, field(&format!("headers.{key}")), m);
        if !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            || key.is_empty()
        {
            return Err(at(format!("{name:?}: {key:?} is not a header name")));
        }
        if !matches!(target, Some(HealthTarget::Http { .. })) {
            return Err(at(format!(
                "{name:?}: headers are only sent to an http:// or https:// health endpoint"
            )));
        }
        crate::secrets::template::parse(&value.value).map_err(|e| at(format!("{name:?}: {e}")))?;
        if value.value.contains(['\r', '\n']) {
            return Err(at(format!("{name:?}: a header value must be one line")));
        }
        headers.insert(key, value.value);
    }
    let mut tags = Vec::new();
    for tag in raw.tags {
        let t = tag.value.trim().to_lowercase();
        if t.is_empty() || t.len() > 64 || t.chars().any(char::is_whitespace) {
            return Err(error_at(
                path,
                tag.referenced,
                field("tags"),
                format!(
                    "{name:?}: tag {:?} must be one word of at most 64 characters",
                    tag.value
                ),
            ));
        }
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    Ok(Item {
        name,
        kind,
        address: raw
            .address
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty()),
        health: raw.health.map(|h| h.value.trim().to_string()),
        target,
        headers,
        tags,
        notes: raw.notes.filter(|n| !n.trim().is_empty()),
    })
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    servers: Vec<RawItem>,
    #[serde(default)]
    services: Vec<RawItem>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    name: Spanned<String>,
    #[serde(default)]
    kind: Option<Spanned<String>>,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    health: Option<Spanned<String>>,
    #[serde(default)]
    headers: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    tags: Vec<Spanned<String>>,
    #[serde(default)]
    notes: Option<String>,
}
