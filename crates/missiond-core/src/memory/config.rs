//! `memory.yaml` in `MISSIOND_HOME`: how memory extraction and knowledge injection run.
//! Every key is optional; a missing file means the defaults. Example:
//!
//! ```yaml
//! extraction:
//!   enabled: true          # false: the daemon never prompts memory slots
//!   deepEveryMinutes: 60   # periodic deep pass; 0 turns it off
//!   deepQuietMinutes: 30   # a conversation quiet this long is due for it
//!   leaseMinutes: 15
//!   maxAttempts: 3
//!   turnTimeoutMinutes: 20 # a memory turn longer than this is interrupted
//! injection:
//!   enabled: true          # false: no knowledge added to prompts
//!   maxBytes: 4096
//!   maxEntries: 5
//!   offRoles: [memory]
//!   offSlots: []
//!   categories:            # per role: only these categories (and their sub-tiers)
//!     coder: [build, howto, project]
//!   instructionsBytes: 4096  # knowledge in mission-mcp's instructions; 0: none
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::inject::{BUDGET_MAX, INSTRUCTIONS_BUDGET_DEFAULT, PROMPT_BUDGET_DEFAULT};

/// The file's name in `MISSIOND_HOME`.
pub const FILE_NAME: &str = "memory.yaml";
/// The file whose text replaces the prompt the daemon gives a memory slot.
pub const PROMPT_FILE_NAME: &str = "memory-prompt.md";

/// The prompt a memory slot gets when work is waiting (unless `memory-prompt.md`
/// replaces it).
pub const DEFAULT_PROMPT: &str = "Conversation pieces from the team are waiting to be \
learned from. Call mission_memory_pending. For each item, read its text and keep every \
fact the team will need again (build and test commands, where things live, decisions and \
their reasons, pitfalls and their fixes) with mission_kb_remember: a short title, the \
fact as content, a category (project, howto, infra, decision, pitfall ...), a tier (core \
for what every agent must know, important, normal, low), tags, a key when the fact may \
change later, and the item's conversation. Skip chatter and anything already known \
(mission_kb_search first). Then call mission_memory_done with the item ids, also when \
nothing was worth keeping. Repeat until mission_memory_pending returns no items, then \
answer with one line saying how many entries you stored.";

/// Extraction settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Extraction {
    /// The daemon prompts memory slots when work waits.
    pub enabled: bool,
    /// Minutes between deep passes (0: none).
    pub deep_every_minutes: f64,
    /// A conversation silent this long is due for a deep pass.
    pub deep_quiet_minutes: f64,
    /// Lease of an item handed out.
    pub lease_minutes: f64,
    /// Tries before an item fails.
    pub max_attempts: u32,
    /// A memory turn running longer is interrupted (its items go back).
    pub turn_timeout_minutes: f64,
}

impl Default for Extraction {
    fn default() -> Self {
        Extraction {
            enabled: true,
            deep_every_minutes: 60.0,
            deep_quiet_minutes: 30.0,
            lease_minutes: 15.0,
            max_attempts: super::MAX_ATTEMPTS_DEFAULT,
            turn_timeout_minutes: 20.0,
        }
    }
}

/// Injection settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Injection {
    /// Knowledge is added to slots' prompts.
    pub enabled: bool,
    /// Size budget per prompt, bytes.
    pub max_bytes: usize,
    /// Entries per prompt.
    pub max_entries: u32,
    /// Roles that get none.
    pub off_roles: Vec<String>,
    /// Slots that get none.
    pub off_slots: Vec<String>,
    /// Per role, the categories searched (all when a role is not listed).
    pub categories: BTreeMap<String, Vec<String>>,
    /// Size budget of the knowledge in mission-mcp's server instructions (0: none).
    pub instructions_bytes: usize,
}

impl Default for Injection {
    fn default() -> Self {
        Injection {
            enabled: true,
            max_bytes: PROMPT_BUDGET_DEFAULT,
            max_entries: super::inject::PROMPT_ENTRIES_DEFAULT,
            off_roles: vec![crate::catalogue::MEMORY_ROLE.to_string()],
            off_slots: Vec::new(),
            categories: BTreeMap::new(),
            instructions_bytes: INSTRUCTIONS_BUDGET_DEFAULT,
        }
    }
}

impl Injection {
    /// Whether slot `slot` of `role` gets knowledge with its prompts.
    pub fn applies_to(&self, slot: &str, role: &str) -> bool {
        self.enabled
            && self.max_bytes > 0
            && self.max_entries > 0
            && !self.off_roles.iter().any(|r| r == role)
            && !self.off_slots.iter().any(|s| s == slot)
    }

    /// The categories searched for `role` (empty: all).
    pub fn categories_for(&self, role: &str) -> &[String] {
        self.categories.get(role).map_or(&[], Vec::as_slice)
    }
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MemoryConfig {
    /// Extraction.
    pub extraction: Extraction,
    /// Injection.
    pub injection: Injection,
}

impl MemoryConfig {
    /// Reads `home/memory.yaml` (the defaults when it does not exist). Values out of
    /// range are brought into it.
    pub fn load(home: &Path) -> Result<MemoryConfig, String> {
        let path = home.join(FILE_NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(MemoryConfig::default());
            }
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        MemoryConfig::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses the file's text.
    pub fn parse(text: &str) -> Result<MemoryConfig, String> {
        let parsed: Option<MemoryConfig> =
            serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        let mut config = parsed.unwrap_or_default();
        let x = &mut config.extraction;
        x.deep_every_minutes = x.deep_every_minutes.max(0.0);
        x.deep_quiet_minutes = x.deep_quiet_minutes.max(0.0);
        x.lease_minutes = x.lease_minutes.clamp(0.5, 24.0 * 60.0);
        x.max_attempts = x.max_attempts.clamp(1, 100);
        x.turn_timeout_minutes = x.turn_timeout_minutes.clamp(0.5, 24.0 * 60.0);
        let i = &mut config.injection;
        i.max_bytes = i.max_bytes.min(BUDGET_MAX);
        i.max_entries = i.max_entries.min(50);
        i.instructions_bytes = i.instructions_bytes.min(BUDGET_MAX);
        Ok(config)
    }

    /// The lease, in ms.
    pub fn lease_ms(&self) -> i64 {
        (self.extraction.lease_minutes * 60_000.0) as i64
    }
}

/// The prompt for memory slots: `home/memory-prompt.md` when it exists and is not
/// blank, else [`DEFAULT_PROMPT`]; the file it came from, if any.
pub fn memory_prompt(home: &Path) -> (String, Option<PathBuf>) {
    let path = home.join(PROMPT_FILE_NAME);
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => (text.trim().to_string(), Some(path)),
        _ => (DEFAULT_PROMPT.to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_keys_and_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let config = MemoryConfig::load(dir.path()).unwrap();
        assert_eq!(config, MemoryConfig::default());
        assert!(!config.injection.applies_to("m1", "memory"));
        assert!(config.injection.applies_to("w1", "coder"));
        std::fs::write(
            dir.path().join(FILE_NAME),
            "extraction:\n  enabled: false\n  leaseMinutes: 0\ninjection:\n  offSlots: [w2]\n  \
             categories:\n    coder: [build]\n",
        )
        .unwrap();
        let config = MemoryConfig::load(dir.path()).unwrap();
        assert!(!config.extraction.enabled);
        assert_eq!(config.lease_ms(), 30_000, "clamped to half a minute");
        assert!(!config.injection.applies_to("w2", "coder"));
        assert_eq!(config.injection.categories_for("coder"), ["build"]);
        assert!(config.injection.categories_for("other").is_empty());
        std::fs::write(dir.path().join(FILE_NAME), "injection:\n  maxByts: 3\n").unwrap();
        let err = MemoryConfig::load(dir.path()).unwrap_err();
        assert!(err.contains("maxByts") && err.contains(FILE_NAME), "{err}");
        assert_eq!(
            memory_prompt(dir.path()),
            (DEFAULT_PROMPT.to_string(), None)
        );
        std::fs::write(dir.path().join(PROMPT_FILE_NAME), "  My own prompt.\n").unwrap();
        assert_eq!(memory_prompt(dir.path()).0, "My own prompt.");
    }
}
