//! Running the real Claude Code offline against this server: finding the binary, a
//! throwaway home that skips first-run screens, and the environment.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value, json};

/// A fake key in the shape of a real one; Claude Code only checks it locally.
pub const FAKE_API_KEY: &str = "sk-ant-api03-mockanthropicOFFLINEkey000000000000000000000000000000000000000000000000000000000000000-mockAA";

/// Environment variable naming the Claude Code binary explicitly.
pub const CLAUDE_BIN_ENV: &str = "MISSIOND_CLAUDE_BIN";

/// Set to `1` (as CI does) to make a missing Claude Code fail tests instead of skipping them.
pub const E2E_REQUIRED_ENV: &str = "MISSIOND_E2E_REQUIRED";

/// Where the e2e package puts the binary, relative to the workspace root.
const RELATIVE_BIN: &str = "e2e/node_modules/.bin/claude";

/// Variables of the caller's environment that would point Claude Code elsewhere.
pub const ENV_TO_REMOVE: &[&str] = &[
    "CLAUDE_CONFIG_DIR",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_MODEL",
    "ANTHROPIC_SMALL_FAST_MODEL",
    "ANTHROPIC_CUSTOM_HEADERS",
    "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
];

/// The Claude Code binary: `$MISSIOND_CLAUDE_BIN`, else `e2e/node_modules/.bin/claude` found
/// by walking up from `CARGO_MANIFEST_DIR` and then from the current directory.
pub fn claude_binary() -> Option<PathBuf> {
    if let Some(explicit) = std::env::var_os(CLAUDE_BIN_ENV).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(explicit);
        return path.is_file().then_some(path);
    }
    let starts = [
        std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
        std::env::current_dir().ok(),
    ];
    starts.into_iter().flatten().find_map(|start| {
        start
            .ancestors()
            .map(|dir| dir.join(RELATIVE_BIN))
            .find(|p| p.is_file())
    })
}

/// The binary for a test, following the project's rule: when it is missing, panic if
/// `MISSIOND_E2E_REQUIRED=1`, else print `skipped: <test>: ...` to stderr and return None.
pub fn claude_for_test(test: &str) -> Option<PathBuf> {
    if let Some(path) = claude_binary() {
        return Some(path);
    }
    let why = format!(
        "Claude Code not found (set {CLAUDE_BIN_ENV} or run `npm ci` in e2e/ to get {RELATIVE_BIN})"
    );
    if std::env::var(E2E_REQUIRED_ENV).is_ok_and(|v| v == "1") {
        panic!("{test}: {why}, and {E2E_REQUIRED_ENV}=1");
    }
    eprintln!("skipped: {test}: {why}");
    None
}

/// A throwaway `$HOME` for Claude Code.
#[derive(Debug, Clone)]
pub struct ClaudeHome {
    dir: PathBuf,
}

impl ClaudeHome {
    /// Writes `dir/.claude.json`: onboarding done, dark theme, the fake key approved, and
    /// each of `trusted_dirs` trusted (as given and canonicalised). Creates `dir` if needed.
    pub fn create(dir: impl AsRef<Path>, trusted_dirs: &[&Path]) -> std::io::Result<ClaudeHome> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir)?;
        let mut projects = Map::new();
        for trusted in trusted_dirs {
            let mut forms = vec![trusted.to_path_buf()];
            if let Ok(canonical) = trusted.canonicalize() {
                forms.push(canonical);
            }
            for form in forms {
                projects.insert(
                    form.display().to_string(),
                    json!({"hasTrustDialogAccepted": true, "allowedTools": []}),
                );
            }
        }
        let key_tail: String = {
            let chars: Vec<char> = FAKE_API_KEY.chars().collect();
            chars[chars.len().saturating_sub(20)..].iter().collect()
        };
        let config = json!({
            "hasCompletedOnboarding": true,
            "theme": "dark",
            "customApiKeyResponses": {"approved": [key_tail], "rejected": []},
            "projects": Value::Object(projects),
        });
        let text = serde_json::to_string_pretty(&config).map_err(std::io::Error::other)?;
        std::fs::write(dir.join(".claude.json"), text)?;
        Ok(ClaudeHome { dir })
    }

    /// The home directory (use it as `HOME`).
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Where Claude Code keeps transcripts, sessions and history (`$HOME/.claude`).
    pub fn claude_dir(&self) -> PathBuf {
        self.dir.join(".claude")
    }
}

/// The environment for an offline Claude Code. Later entries of a `Command::envs` win, so
/// push `("CLAUDE_CODE_MAX_RETRIES", "3")` after these to override.
pub fn claude_env(home: &Path, base_url: &str) -> Vec<(String, String)> {
    let pairs = [
        ("HOME", home.display().to_string()),
        ("ANTHROPIC_BASE_URL", base_url.to_owned()),
        ("ANTHROPIC_API_KEY", FAKE_API_KEY.to_owned()),
        ("DISABLE_AUTOUPDATER", "1".to_owned()),
        ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1".to_owned()),
        ("DISABLE_TELEMETRY", "1".to_owned()),
        ("DISABLE_ERROR_REPORTING", "1".to_owned()),
        ("CLAUDE_CODE_MAX_RETRIES", "0".to_owned()),
        // A proxy in the caller's environment must not capture loopback traffic.
        ("NO_PROXY", "127.0.0.1,localhost,::1".to_owned()),
        ("no_proxy", "127.0.0.1,localhost,::1".to_owned()),
    ];
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// Applies [`claude_env`] to a command and removes [`ENV_TO_REMOVE`].
pub fn configure(command: &mut Command, home: &Path, base_url: &str) {
    for name in ENV_TO_REMOVE {
        command.env_remove(name);
    }
    command.envs(claude_env(home, base_url));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_trusts_dirs_and_approves_the_key() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let project = tmp.path().join("proj");
        std::fs::create_dir_all(&project).expect("mkdir");
        let home = ClaudeHome::create(tmp.path().join("home"), &[&project]).expect("home");
        let text = std::fs::read_to_string(home.path().join(".claude.json")).expect("read");
        let config: Value = serde_json::from_str(&text).expect("json");
        let approved = config["customApiKeyResponses"]["approved"][0]
            .as_str()
            .expect("str");
        assert_eq!(approved.len(), 20);
        assert!(FAKE_API_KEY.ends_with(approved));
        let key = project.display().to_string();
        assert_eq!(
            config["projects"][key.as_str()]["hasTrustDialogAccepted"],
            true
        );
        assert_eq!(config["hasCompletedOnboarding"], true);
    }

    #[test]
    fn env_points_at_the_server() {
        let env = claude_env(Path::new("/h"), "http://127.0.0.1:9");
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("HOME"), Some("/h"));
        assert_eq!(get("ANTHROPIC_BASE_URL"), Some("http://127.0.0.1:9"));
        assert_eq!(get("CLAUDE_CODE_MAX_RETRIES"), Some("0"));
        assert!(get("ANTHROPIC_API_KEY").is_some_and(|k| k.starts_with("sk-ant-api03-")));
    }
}
