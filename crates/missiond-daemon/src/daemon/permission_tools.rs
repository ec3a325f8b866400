//! The `mission_permission_*` tools: read the policy, change it (saved to
//! `permissions.yaml` by the engine, in force at the next tool call of every running
//! slot), and re-read the file after a hand edit.

use std::path::Path;
use std::sync::Arc;

use missiond_core::catalogue::{
    AddAutoAllowParams, AutoAllowAdded, AutoAllowRule, PermissionPolicy, RuleLists, RulesSet,
    SetRoleParams, SetSlotParams,
};
use missiond_core::ipc::{ErrorCode, RpcError};
use missiond_core::permissions::{
    AutoAllow, ListKind, PermissionsError, Policy, PolicyStore, Rule, RuleSet,
};

use super::permissions::Permissions;

/// `mission_permission_get`.
pub fn get(perms: &Permissions) -> Result<PermissionPolicy, RpcError> {
    let policy = perms
        .current()
        .map_err(|e| RpcError::config_error(perms.path(), e))?;
    Ok(PermissionPolicy::new(&policy, perms.path()))
}

/// `mission_permission_reload`.
pub fn reload(perms: &Permissions) -> Result<PermissionPolicy, RpcError> {
    let policy = perms.reload().map_err(|e| {
        tracing::warn!("permissions: reload refused, the policy in force stays: {e}");
        RpcError::config_error(perms.path(), e)
    })?;
    tracing::info!(path = %perms.path().display(), "permissions reloaded");
    Ok(PermissionPolicy::new(&policy, perms.path()))
}

/// `mission_permission_set_role`.
pub fn set_role(perms: &Permissions, p: SetRoleParams) -> Result<RulesSet, RpcError> {
    if p.role.trim().is_empty() {
        return Err(RpcError::invalid_params("role", "must not be empty"));
    }
    let lists = Lists {
        allow: p.allow,
        confirm: p.confirm,
        deny: p.deny,
    };
    replace_lists(perms, Scope::Role, p.role, lists)
}

/// `mission_permission_set_slot`; `known` says whether a slot id is configured.
pub fn set_slot(
    perms: &Permissions,
    p: SetSlotParams,
    known: impl Fn(&str) -> bool,
) -> Result<RulesSet, RpcError> {
    if !known(&p.slot_id) {
        return Err(RpcError::unknown_slot(&p.slot_id));
    }
    let lists = Lists {
        allow: p.allow,
        confirm: p.confirm,
        deny: p.deny,
    };
    replace_lists(perms, Scope::Slot, p.slot_id, lists)
}

/// Whose rule lists a change replaces.
#[derive(Debug, Clone, Copy)]
enum Scope {
    Role,
    Slot,
}

/// Merge `lists` into the role's or slot's rules, save the file, and say what is in force.
fn replace_lists(
    perms: &Permissions,
    scope: Scope,
    name: String,
    lists: Lists,
) -> Result<RulesSet, RpcError> {
    let store = store(perms)?;
    let current = store.current();
    let existing = match scope {
        Scope::Role => current.roles.get(&name),
        Scope::Slot => current.slots.get(&name),
    };
    let rules = lists.merge(&existing.cloned().unwrap_or_default(), store.home())?;
    let saved = rules.clone();
    store
        .update(|policy| {
            match scope {
                Scope::Role => policy.set_role(&name, saved),
                Scope::Slot => policy.set_slot(&name, saved),
            }
            Ok(())
        })
        .map_err(|e| save_error(&e))?;
    tracing::info!(?scope, name = %name, rules = ?RuleLists::from(&rules), "permissions: rules changed");
    Ok(RulesSet {
        name,
        rules: RuleLists::from(&rules),
        path: store.path().display().to_string(),
    })
}

/// `mission_permission_add_auto_allow`.
pub fn add_auto_allow(
    perms: &Permissions,
    p: AddAutoAllowParams,
) -> Result<AutoAllowAdded, RpcError> {
    let store = store(perms)?;
    let auto = AutoAllow::parse(&p.pattern, p.roles, p.slots, store.home())
        .map_err(|e| RpcError::invalid_params("pattern", e))?;
    let mut added = false;
    let policy = store
        .update(|policy| {
            added = policy.add_auto_allow(auto);
            Ok(())
        })
        .map_err(|e| save_error(&e))?;
    tracing::info!(pattern = %p.pattern, added, "permissions: auto-allow rule");
    Ok(AutoAllowAdded {
        added,
        auto_allow: auto_allow_rules(&policy),
    })
}

fn auto_allow_rules(policy: &Policy) -> Vec<AutoAllowRule> {
    PermissionPolicy::new(policy, Path::new("")).auto_allow
}

/// The store, or `config_error` when the file was invalid at start (a reload must fix
/// it first: changing rules on top of an unread file would overwrite it).
fn store(perms: &Permissions) -> Result<Arc<PolicyStore>, RpcError> {
    perms.store().map_err(|e| {
        RpcError::config_error(
            perms.path(),
            format!("{e}; fix it and call mission_permission_reload before changing rules"),
        )
    })
}

fn save_error(e: &PermissionsError) -> RpcError {
    RpcError::new(ErrorCode::ConfigError, e.to_string())
        .with_data(serde_json::json!({"path": e.path.display().to_string()}))
}

/// Replacement lists from a set_role / set_slot call: `None` keeps the old list.
struct Lists {
    allow: Option<Vec<String>>,
    confirm: Option<Vec<String>>,
    deny: Option<Vec<String>>,
}

impl Lists {
    /// `old` with the given lists replaced; a bad pattern is `invalid_params` naming
    /// its list and index (`deny[1]`), and nothing changes.
    fn merge(self, old: &RuleSet, home: Option<&Path>) -> Result<RuleSet, RpcError> {
        let list = |given: Option<Vec<String>>, kind: ListKind, old: &[Rule]| match given {
            None => Ok(old.to_vec()),
            Some(patterns) => patterns
                .iter()
                .enumerate()
                .map(|(i, text)| {
                    Rule::parse(text, kind, home).map_err(|e| {
                        RpcError::invalid_params(
                            &format!("{}[{i}]", kind.as_str()),
                            format!("pattern {text:?}: {e}"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>(),
        };
        Ok(RuleSet {
            allow: list(self.allow, ListKind::Allow, &old.allow)?,
            confirm: list(self.confirm, ListKind::Confirm, &old.confirm)?,
            deny: list(self.deny, ListKind::Deny, &old.deny)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perms(dir: &Path, text: &str) -> Permissions {
        let path = dir.join("permissions.yaml");
        std::fs::write(&path, text).expect("write");
        Permissions::open(&path, None)
    }

    #[test]
    fn set_role_replaces_only_the_given_lists_and_saves() {
        let dir = tempfile::tempdir().expect("tempdir");
        let perms = perms(
            dir.path(),
            "roles:\n  coder:\n    allow: [\"Read\"]\n    deny: [\"Bash(rm *)\"]\n",
        );
        let set = set_role(
            &perms,
            SetRoleParams {
                role: "coder".into(),
                allow: None,
                confirm: Some(vec!["Bash(git push*)".into()]),
                deny: Some(vec![]),
            },
        )
        .expect("set_role");
        assert_eq!(set.rules.allow, ["Read"]);
        assert_eq!(set.rules.confirm, ["Bash(git push*)"]);
        assert!(set.rules.deny.is_empty());
        let on_disk = std::fs::read_to_string(perms.path()).expect("read");
        assert!(on_disk.contains("Bash(git push*)"), "{on_disk}");
        assert!(!on_disk.contains("rm *"), "{on_disk}");
    }

    #[test]
    fn a_bad_pattern_names_its_list_and_index_and_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let perms = perms(dir.path(), "roles:\n  coder:\n    allow: [\"Read\"]\n");
        let before = std::fs::read_to_string(perms.path()).expect("read");
        let err = set_role(
            &perms,
            SetRoleParams {
                role: "coder".into(),
                allow: Some(vec!["Read".into(), "Bash(".into()]),
                confirm: None,
                deny: None,
            },
        )
        .expect_err("bad pattern");
        assert_eq!(err.kind(), Some(ErrorCode::InvalidParams));
        assert!(err.to_string().contains("allow[1]"), "{err}");
        assert_eq!(std::fs::read_to_string(perms.path()).expect("read"), before);
    }

    #[test]
    fn set_slot_refuses_an_unknown_slot() {
        let dir = tempfile::tempdir().expect("tempdir");
        let perms = perms(dir.path(), "");
        let err = set_slot(
            &perms,
            SetSlotParams {
                slot_id: "ghost".into(),
                allow: Some(vec!["Read".into()]),
                confirm: None,
                deny: None,
            },
            |id| id == "c1",
        )
        .expect_err("unknown slot");
        assert_eq!(err.kind(), Some(ErrorCode::UnknownSlot));
    }

    #[test]
    fn adding_the_same_auto_allow_twice_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let perms = perms(dir.path(), "");
        let p = || AddAutoAllowParams {
            pattern: "Bash(npm test*)".into(),
            roles: vec!["coder".into()],
            slots: vec![],
        };
        assert!(add_auto_allow(&perms, p()).expect("first").added);
        let again = add_auto_allow(&perms, p()).expect("second");
        assert!(!again.added);
        assert_eq!(again.auto_allow.len(), 1);
        assert_eq!(again.auto_allow[0].pattern, "Bash(npm test*)");
    }
}
