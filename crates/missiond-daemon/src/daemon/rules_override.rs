//! The screen reader's rules in force: the built-in ones (`semantic-terminal`'s
//! `rules.json`), or `MISSIOND_HOME/rules/rules.json` when present and valid, so a
//! Claude Code release that changes its wording can be followed without a rebuild. The
//! file has the built-in file's shape and version; one that does not load is reported
//! (in `mission_health`'s warnings) and the built-in rules are used. Read once, at the
//! first slot start after the daemon starts.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use semantic_terminal::Rules;

/// The rules slots read their screens with, and where they came from.
#[derive(Debug, Clone)]
pub struct RulesInForce {
    pub rules: Arc<Rules>,
    /// `built-in v1`, or the override file's path and version.
    pub source: String,
    /// Why the override file was not used, when there is one that did not load.
    pub error: Option<String>,
}

/// The override file under `home`.
pub fn path(home: &Path) -> PathBuf {
    home.join("rules").join("rules.json")
}

/// Load the rules for `home` (no caching; see [`in_force`]).
pub fn load(home: &Path) -> RulesInForce {
    let builtin = || RulesInForce {
        rules: Rules::shared_builtin(),
        source: format!("built-in v{}", semantic_terminal::rules::RULES_VERSION),
        error: None,
    };
    let file = path(home);
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return builtin(),
        Err(e) => {
            return RulesInForce {
                error: Some(format!("rules: cannot read {}: {e}", file.display())),
                ..builtin()
            };
        }
    };
    match Rules::from_json(&text) {
        Ok(rules) => RulesInForce {
            source: format!("{} (v{})", file.display(), rules.version),
            rules: Arc::new(rules),
            error: None,
        },
        Err(e) => RulesInForce {
            error: Some(format!(
                "rules: {} not used, the built-in rules are: {e}",
                file.display()
            )),
            ..builtin()
        },
    }
}

/// The rules in force for this daemon (loaded once).
pub fn in_force(home: &Path) -> &'static RulesInForce {
    static LOADED: OnceLock<RulesInForce> = OnceLock::new();
    LOADED.get_or_init(|| {
        let loaded = load(home);
        match &loaded.error {
            Some(e) => tracing::warn!("{e}"),
            None => tracing::info!(source = %loaded.source, "screen rules"),
        }
        loaded
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_is_used_when_valid_and_reported_when_not() {
        let tmp = tempfile::tempdir().unwrap();
        let loaded = load(tmp.path());
        assert!(loaded.source.starts_with("built-in"), "{}", loaded.source);
        assert!(loaded.error.is_none());

        std::fs::create_dir_all(tmp.path().join("rules")).unwrap();
        let mut v: serde_json::Value =
            serde_json::from_str(semantic_terminal::rules::BUILTIN_RULES_JSON).unwrap();
        v["interrupt_markers"] = serde_json::json!(["esc to stop"]);
        std::fs::write(path(tmp.path()), v.to_string()).unwrap();
        let loaded = load(tmp.path());
        assert!(loaded.error.is_none(), "{:?}", loaded.error);
        assert!(loaded.source.contains("rules.json"), "{}", loaded.source);
        assert_eq!(loaded.rules.interrupt_markers, ["esc to stop"]);

        v["version"] = 99.into();
        std::fs::write(path(tmp.path()), v.to_string()).unwrap();
        let loaded = load(tmp.path());
        let error = loaded
            .error
            .expect("a version that does not fit is reported");
        assert!(error.contains("version 99"), "{error}");
        assert!(loaded.source.starts_with("built-in"));
    }
}
