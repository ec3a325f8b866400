//! The permission policy in force for the daemon's slots: `permissions.yaml` loaded at
//! start, changed by the `mission_permission_*` tools, re-read on demand.
//!
//! A file that is broken when the daemon starts does not stop the daemon: every slot's
//! tool calls are then denied (fail closed) until a reload finds a valid file, and
//! `mission_health` says why.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use missiond_core::permissions::{Policy, PolicyStore};

/// The live policy, or why there is none.
pub struct Permissions {
    path: PathBuf,
    home: Option<PathBuf>,
    store: RwLock<Result<Arc<PolicyStore>, String>>,
}

impl Permissions {
    /// Loads `path` (missing = no rules). `home` expands `~/` in patterns.
    pub fn open(path: &Path, home: Option<&Path>) -> Permissions {
        let store = PolicyStore::open(path, home)
            .map(Arc::new)
            .map_err(|e| e.to_string());
        if let Err(e) = &store {
            tracing::error!("permissions: {e}; every governed tool call is denied until a reload");
        }
        Permissions {
            path: path.to_path_buf(),
            home: home.map(Path::to_path_buf),
            store: RwLock::new(store),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Why no policy is in force (the file was invalid at start), if so.
    pub fn error(&self) -> Option<String> {
        self.read().as_ref().err().cloned()
    }

    /// The store, or why there is none.
    pub fn store(&self) -> Result<Arc<PolicyStore>, String> {
        self.read().clone()
    }

    /// The policy in force, or why there is none.
    pub fn current(&self) -> Result<Arc<Policy>, String> {
        self.store().map(|s| s.current())
    }

    /// Re-reads the file. On error the policy in force (if any) stays and the error is
    /// returned.
    pub fn reload(&self) -> Result<Arc<Policy>, String> {
        let existing = self.read().clone();
        match existing {
            Ok(store) => store.reload().map_err(|e| e.to_string()),
            Err(_) => {
                let store = PolicyStore::open(&self.path, self.home.as_deref())
                    .map(Arc::new)
                    .map_err(|e| e.to_string())?;
                let policy = store.current();
                *self.store.write().unwrap_or_else(PoisonError::into_inner) = Ok(store);
                Ok(policy)
            }
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Result<Arc<PolicyStore>, String>> {
        self.store.read().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether `policy` governs a slot: its role or its id has an entry. A governed slot's
/// calls are decided by missiond (no matching rule asks); an ungoverned slot is left to
/// Claude Code's own permission mode, except that an auto-allow rule still allows.
pub fn governs(policy: &Policy, slot: &str, role: &str) -> bool {
    policy.roles.contains_key(role) || policy.slots.contains_key(slot)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::write(path, text).expect("writing permissions.yaml");
    }

    #[test]
    fn a_broken_file_at_start_is_reported_until_a_reload_fixes_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("permissions.yaml");
        write(&path, "roles:\n  coder:\n    deny: [\"Bash(\"]\n");
        let perms = Permissions::open(&path, None);
        let error = perms.error().expect("an error");
        assert!(error.contains("permissions.yaml"), "{error}");
        assert!(perms.current().is_err());

        write(&path, "roles:\n  coder:\n    deny: [\"Bash(rm *)\"]\n");
        let policy = perms.reload().expect("reload");
        assert!(governs(&policy, "c1", "coder"));
        assert!(perms.error().is_none());
    }

    #[test]
    fn a_broken_edit_keeps_the_policy_in_force() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("permissions.yaml");
        write(&path, "roles:\n  coder:\n    allow: [\"Read\"]\n");
        let perms = Permissions::open(&path, None);
        write(&path, "roles: [unclosed\n");
        let error = perms.reload().expect_err("broken file");
        assert!(error.contains("permissions.yaml"), "{error}");
        let policy = perms.current().expect("still a policy");
        assert_eq!(policy.roles["coder"].allow[0].text(), "Read");
    }

    #[test]
    fn only_an_entry_for_the_role_or_the_slot_governs() {
        let policy = Policy::parse(
            "roles:\n  coder: {}\nslots:\n  s9:\n    deny: [Bash]\n",
            Path::new("p.yaml"),
            None,
        )
        .expect("policy");
        assert!(governs(&policy, "c1", "coder"));
        assert!(governs(&policy, "s9", "writer"));
        assert!(!governs(&policy, "c1", "writer"));
    }
}
