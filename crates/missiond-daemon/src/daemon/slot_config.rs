//! From `slots.yaml` (read by missiond-core) to the slot specs the runtime uses.

use std::path::{Path, PathBuf};

use missiond_core::config::slots::{SlotConfig, SlotsConfig};

use super::slot::SlotSpec;

/// The slots loaded, and why none could be, if so.
pub struct Loaded {
    pub specs: Vec<SlotSpec>,
    /// How `${secret:path}` references are resolved (the `secrets:` section).
    pub secrets: Option<missiond_core::secrets::SecretsConfig>,
    /// Which key shapes are scrubbed (the `redact:` section; the defaults when broken).
    pub redact: missiond_core::secrets::RedactConfig,
    /// A message for the log and `mission_health` when the file is unusable.
    pub error: Option<String>,
}

/// Load `path`. A missing file means no slots; a broken one means no slots and an error
/// to report (the daemon still starts, so `mission_health` can say what is wrong).
pub fn load(path: &Path) -> Loaded {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match SlotsConfig::load(path, home.as_deref()) {
        Ok(config) => Loaded {
            specs: config.slots.iter().map(spec).collect(),
            secrets: config.secrets.clone(),
            redact: config.redact.clone(),
            error: None,
        },
        Err(e) => Loaded {
            specs: Vec::new(),
            secrets: None,
            redact: Default::default(),
            error: Some(format!("{e}; no slots loaded")),
        },
    }
}

/// Whether the program is Claude Code (by its file name), so the daemon adds its
/// session id, permission mode and hooks.
fn is_claude(command: &str) -> bool {
    Path::new(command)
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("claude"))
}

fn spec(c: &SlotConfig) -> SlotSpec {
    SlotSpec {
        id: c.id.clone(),
        claude: is_claude(&c.command),
        config: c.clone(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn recognises_claude_by_file_name() {
        assert!(super::is_claude("claude"));
        assert!(super::is_claude("/opt/e2e/node_modules/.bin/claude"));
        assert!(!super::is_claude("bash"));
        assert!(!super::is_claude("/usr/bin/claude-wrapper/bash"));
    }
}
