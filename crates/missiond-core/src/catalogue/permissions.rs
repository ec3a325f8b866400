//! Permission tools: read and change what each role's and slot's agents may do without
//! asking (`permissions.yaml`, see [`crate::permissions`]).
//!
//! Rules travel as their pattern text (`Bash(git push*)`, `Write(src/**)`); the daemon
//! parses them with [`crate::permissions::Rule::parse`] and refuses bad ones naming the
//! list and index (`allow[2]`).

use std::collections::BTreeMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::params::EmptyParams;
use super::{Annotations, Tool};
use crate::permissions::{Policy, RuleSet};

const CHANGES_POLICY: Annotations = Annotations {
    read_only_hint: false,
    destructive_hint: true,
    idempotent_hint: true,
    open_world_hint: false,
};

/// `mission_permission_get`.
pub struct PermissionGet;
/// `mission_permission_set_role`.
pub struct PermissionSetRole;
/// `mission_permission_set_slot`.
pub struct PermissionSetSlot;
/// `mission_permission_add_auto_allow`.
pub struct PermissionAddAutoAllow;
/// `mission_permission_reload`.
pub struct PermissionReload;

/// The three rule lists of a role or a slot, as pattern texts in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleLists {
    /// Calls run without asking.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Calls that always ask, even when an allow rule matches.
    #[serde(default)]
    pub confirm: Vec<String>,
    /// Calls refused outright (deny beats everything).
    #[serde(default)]
    pub deny: Vec<String>,
}

impl From<&RuleSet> for RuleLists {
    fn from(set: &RuleSet) -> RuleLists {
        let texts = |rules: &[crate::permissions::Rule]| {
            rules.iter().map(|r| r.text().to_string()).collect()
        };
        RuleLists {
            allow: texts(&set.allow),
            confirm: texts(&set.confirm),
            deny: texts(&set.deny),
        }
    }
}

/// An auto-allow rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AutoAllowRule {
    /// The pattern allowed.
    pub pattern: String,
    /// Roles it applies to (with slots: either; neither: every slot).
    pub roles: Vec<String>,
    /// Slots it applies to.
    pub slots: Vec<String>,
}

/// The whole permission policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PermissionPolicy {
    /// The file it lives in.
    pub path: String,
    /// Rules per role.
    pub roles: BTreeMap<String, RuleLists>,
    /// Per-slot overrides (on top of the slot's role).
    pub slots: BTreeMap<String, RuleLists>,
    /// Allow rules added at run time, in order.
    pub auto_allow: Vec<AutoAllowRule>,
}

impl PermissionPolicy {
    /// The wire form of `policy`, read from `path`.
    pub fn new(policy: &Policy, path: &Path) -> PermissionPolicy {
        let sets = |m: &BTreeMap<String, RuleSet>| {
            m.iter()
                .map(|(k, v)| (k.clone(), RuleLists::from(v)))
                .collect()
        };
        PermissionPolicy {
            path: path.display().to_string(),
            roles: sets(&policy.roles),
            slots: sets(&policy.slots),
            auto_allow: policy
                .auto_allow
                .iter()
                .map(|a| AutoAllowRule {
                    pattern: a.rule.text().to_string(),
                    roles: a.roles.clone(),
                    slots: a.slots.clone(),
                })
                .collect(),
        }
    }
}

impl Tool for PermissionGet {
    const NAME: &'static str = "mission_permission_get";
    const TITLE: &'static str = "Read the permission rules";
    const DESCRIPTION: &'static str = "Return the permission policy in force: per role \
        and per slot, the allow, confirm and deny patterns (`Bash(npm test*)`, \
        `Write(src/**)`), and the auto-allow rules. Deny beats everything, confirm \
        always asks, allow runs without asking, and a call no rule matches asks. Use \
        it before changing rules with the other mission_permission_* tools.";
    const ANNOTATIONS: Annotations = Annotations::QUERY;
    type Params = EmptyParams;
    type Output = PermissionPolicy;
}

/// Arguments of `mission_permission_set_role`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetRoleParams {
    /// The role (`coder`); created if new.
    #[schemars(length(min = 1))]
    pub role: String,
    /// New allow patterns; left as they are when absent, emptied by [].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow: Option<Vec<String>>,
    /// New confirm patterns; left as they are when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<Vec<String>>,
    /// New deny patterns; left as they are when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Vec<String>>,
}

/// Result of `mission_permission_set_role` and `mission_permission_set_slot`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RulesSet {
    /// The role or slot changed.
    pub name: String,
    /// Its rules now.
    pub rules: RuleLists,
    /// The file saved.
    pub path: String,
}

impl Tool for PermissionSetRole {
    const NAME: &'static str = "mission_permission_set_role";
    const TITLE: &'static str = "Set a role's permission rules";
    const DESCRIPTION: &'static str = "Replace a role's allow, confirm or deny patterns \
        (lists left out keep their rules; [] empties one), save permissions.yaml and \
        apply the change at once to every slot of the role. Patterns are \
        `Tool(argument glob)`, e.g. `Bash(cargo test*)`, `Write(src/**)`, or a bare tool \
        name. Fails with invalid_params naming the list and index of a pattern that \
        does not parse (nothing is changed then).";
    const ANNOTATIONS: Annotations = CHANGES_POLICY;
    type Params = SetRoleParams;
    type Output = RulesSet;
}

/// Arguments of `mission_permission_set_slot`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetSlotParams {
    /// The slot's id.
    pub slot_id: String,
    /// New allow overrides; left as they are when absent, emptied by [].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow: Option<Vec<String>>,
    /// New confirm overrides; left as they are when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<Vec<String>>,
    /// New deny overrides; left as they are when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny: Option<Vec<String>>,
}

impl Tool for PermissionSetSlot {
    const NAME: &'static str = "mission_permission_set_slot";
    const TITLE: &'static str = "Set a slot's permission overrides";
    const DESCRIPTION: &'static str = "Replace one slot's own allow, confirm or deny \
        patterns, which apply on top of its role's (a deny anywhere still wins). Lists \
        left out keep their rules; three empty lists remove the overrides. Saves \
        permissions.yaml and applies at once. Fails with unknown_slot, or \
        invalid_params naming a pattern that does not parse.";
    const ANNOTATIONS: Annotations = CHANGES_POLICY;
    type Params = SetSlotParams;
    type Output = RulesSet;
}

/// Arguments of `mission_permission_add_auto_allow`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddAutoAllowParams {
    /// The pattern to allow (`Bash(npm test*)`).
    #[schemars(length(min = 1))]
    pub pattern: String,
    /// Only for slots of these roles.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Only for these slots (with roles: either applies; neither: every slot).
    #[serde(default)]
    pub slots: Vec<String>,
}

/// Result of `mission_permission_add_auto_allow`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoAllowAdded {
    /// False when the same rule was already there (nothing changed).
    pub added: bool,
    /// Every auto-allow rule now, in order.
    pub auto_allow: Vec<AutoAllowRule>,
}

impl Tool for PermissionAddAutoAllow {
    const NAME: &'static str = "mission_permission_add_auto_allow";
    const TITLE: &'static str = "Always allow a kind of call";
    const DESCRIPTION: &'static str = "Add an allow rule for some roles and/or slots (or \
        all), saved in permissions.yaml and applied at once: matching calls stop \
        asking. Use it after approving the same harmless call several times. Deny and \
        confirm rules still win over it. Adding a rule already there changes nothing \
        (added false). Fails with invalid_params when the pattern does not parse.";
    const ANNOTATIONS: Annotations = CHANGES_POLICY;
    type Params = AddAutoAllowParams;
    type Output = AutoAllowAdded;
}

impl Tool for PermissionReload {
    const NAME: &'static str = "mission_permission_reload";
    const TITLE: &'static str = "Reload permissions.yaml";
    const DESCRIPTION: &'static str = "Read permissions.yaml again after it was edited \
        by hand and apply it at once; returns the policy now in force. If the file is \
        invalid the old policy stays in force and the call fails with config_error \
        naming the file, line and pattern.";
    const ANNOTATIONS: Annotations = Annotations {
        read_only_hint: false,
        destructive_hint: false,
        idempotent_hint: true,
        open_world_hint: false,
    };
    type Params = EmptyParams;
    type Output = PermissionPolicy;
}
