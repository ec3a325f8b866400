//! The live policy: loaded once, read by every decision, replaced whole on change.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use super::file::PermissionsError;
use super::policy::Policy;

/// `permissions.yaml` and the policy in force.
///
/// Readers take an `Arc<Policy>` snapshot ([`PolicyStore::current`]) and decide on it
/// without holding a lock. A change ([`PolicyStore::update`]) clones the policy, applies
/// the change, writes the file, and only then swaps the new policy in: running slots see
/// it at their next call, and a failed write changes nothing. Changes are serialised so
/// two concurrent updates cannot lose each other's rules.
#[derive(Debug)]
pub struct PolicyStore {
    path: PathBuf,
    home: Option<PathBuf>,
    current: RwLock<Arc<Policy>>,
    writer: Mutex<()>,
}

impl PolicyStore {
    /// Loads `path` (missing = no rules). `home` expands `~/` in patterns.
    pub fn open(path: &Path, home: Option<&Path>) -> Result<PolicyStore, PermissionsError> {
        let policy = Policy::load(path, home)?;
        Ok(PolicyStore {
            path: path.to_path_buf(),
            home: home.map(Path::to_path_buf),
            current: RwLock::new(Arc::new(policy)),
            writer: Mutex::new(()),
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The home folder patterns are expanded with.
    pub fn home(&self) -> Option<&Path> {
        self.home.as_deref()
    }

    /// The policy in force.
    pub fn current(&self) -> Arc<Policy> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Re-reads the file; on error the policy in force stays.
    pub fn reload(&self) -> Result<Arc<Policy>, PermissionsError> {
        let _guard = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let policy = Arc::new(Policy::load(&self.path, self.home.as_deref())?);
        self.swap(policy.clone());
        Ok(policy)
    }

    /// Applies `change` to a copy, saves it, then puts it in force. If `change` or the
    /// write fails, nothing changes.
    pub fn update<F>(&self, change: F) -> Result<Arc<Policy>, PermissionsError>
    where
        F: FnOnce(&mut Policy) -> Result<(), PermissionsError>,
    {
        let _guard = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = (*self.current()).clone();
        change(&mut next)?;
        next.save(&self.path)?;
        let next = Arc::new(next);
        self.swap(next.clone());
        Ok(next)
    }

    fn swap(&self, policy: Arc<Policy>) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = policy;
    }
}
