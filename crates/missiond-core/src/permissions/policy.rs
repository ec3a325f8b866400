//! The policy (roles, slot overrides, auto-allow rules) and the decision for one call.
//!
//! How the rules combine, for a call from slot S with role R:
//!
//! 1. **deny** — any deny rule of S or of R that matches any part of the call refuses it.
//!    Deny always wins: a slot override cannot undo its role's deny (remove it from the
//!    role instead), and nothing else can undo a deny.
//! 2. Then each part (each piece of a Bash command; the single argument otherwise) goes
//!    through these layers, first match deciding that part: S's **confirm** (ask), S's
//!    **allow**, the **auto-allow** rules that apply to S or R (allow), R's **confirm**
//!    (ask), R's **allow**, and finally no match (ask). So a slot override loosens its
//!    role (its allow beats the role's confirm) or tightens it (its confirm beats the
//!    role's allow, its deny beats everything), and an auto-allow rule silences a role's
//!    confirm but not a slot's.
//! 3. The call is allowed only when every part is allowed; otherwise it asks, citing the
//!    first part that did not pass.
//!
//! The parts of a Bash call are its simple commands (judged by the slot's `Bash` rules)
//! and the files its redirections read or write: `echo x > /etc/passwd` is the command
//! `echo x` and a `Write` of `/etc/passwd`, judged by `Write` rules (deny and confirm
//! rules for `Edit` too) exactly as a `Write` call would be; `cat < f` holds a `Read` of
//! `f`. So a deny on the file denies the command, and a file no rule allows makes it ask.
//! A redirection whose target is only known when the command runs (`> "$X"`, `> $(cmd)`,
//! a relative target after a `cd`) always asks, after the deny rules had their look.
//!
//! A command line that cannot be analysed at all (unbalanced quotes, a here-document body
//! running `$(…)`: see
//! [`super::shell`]) or a path that cannot be resolved is never allowed: it asks (after
//! the deny rules had their look at its raw text). An *opaque* piece (one that expands a
//! variable or substitution, `curl … | sh` …) asks when the slot or its role has any deny
//! or confirm rule for the tool, since it could be hiding exactly what they name; with no
//! such rule there is nothing to hide from, and allow rules apply to its text as usual.
//! A piece that runs commands no rule sees (`bash -c "$X"`, `curl … | sh`, `$PROG`) could
//! also write files through redirections: it asks as well when the slot or its role has
//! a deny or confirm rule for `Read`, `Write` or `Edit`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::path::FileSystem;
use super::pattern::{ListKind, Rule};
use super::subject::{Subject, canonical_tool};

/// One role's or one slot's three lists (serialised as lists of pattern strings).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RuleSet {
    /// Run without asking.
    pub allow: Vec<Rule>,
    /// Ask.
    pub confirm: Vec<Rule>,
    /// Refuse.
    pub deny: Vec<Rule>,
}

impl RuleSet {
    /// Parses three lists of patterns; the error names the list and the pattern.
    pub fn parse<S: AsRef<str>>(
        allow: &[S],
        confirm: &[S],
        deny: &[S],
        home: Option<&Path>,
    ) -> Result<RuleSet, String> {
        let list = |items: &[S], kind: ListKind| {
            items
                .iter()
                .map(|p| {
                    Rule::parse(p.as_ref(), kind, home)
                        .map_err(|e| format!("{}: pattern {:?}: {e}", kind.as_str(), p.as_ref()))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(RuleSet {
            allow: list(allow, ListKind::Allow)?,
            confirm: list(confirm, ListKind::Confirm)?,
            deny: list(deny, ListKind::Deny)?,
        })
    }

    /// No rules at all.
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.confirm.is_empty() && self.deny.is_empty()
    }

    /// The list of `kind`.
    pub fn list(&self, kind: ListKind) -> &[Rule] {
        match kind {
            ListKind::Allow => &self.allow,
            ListKind::Confirm => &self.confirm,
            ListKind::Deny => &self.deny,
        }
    }
}

/// An allow rule added at run time, for some roles and/or slots (all when both empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AutoAllow {
    /// The pattern (parsed as an allow rule).
    #[serde(rename = "pattern")]
    pub rule: Rule,
    /// Roles it applies to.
    pub roles: Vec<String>,
    /// Slots it applies to.
    pub slots: Vec<String>,
}

impl AutoAllow {
    /// Parses `pattern` as an allow rule for `roles` and `slots`.
    pub fn parse(
        pattern: &str,
        roles: Vec<String>,
        slots: Vec<String>,
        home: Option<&Path>,
    ) -> Result<AutoAllow, String> {
        let rule = Rule::parse(pattern, ListKind::Allow, home)
            .map_err(|e| format!("pattern {pattern:?}: {e}"))?;
        Ok(AutoAllow { rule, roles, slots })
    }

    /// Whether it applies to a call from `slot` with `role`.
    pub fn applies(&self, slot: &str, role: &str) -> bool {
        (self.roles.is_empty() && self.slots.is_empty())
            || self.roles.iter().any(|r| r == role)
            || self.slots.iter().any(|s| s == slot)
    }
}

/// The whole policy. Immutable while in use: the daemon keeps it in an `Arc`, and a change
/// builds a new one (see [`super::store::PolicyStore`]). Serialises in the file's shape
/// (for `mission_permission_get`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Rules per role name.
    pub roles: BTreeMap<String, RuleSet>,
    /// Overrides per slot id.
    pub slots: BTreeMap<String, RuleSet>,
    /// Auto-allow rules, in the order added.
    pub auto_allow: Vec<AutoAllow>,
}

/// One tool call to decide.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The slot making the call.
    pub slot: &'a str,
    /// Its role.
    pub role: &'a str,
    /// The slot's configured working folder (absolute); relative paths and relative path
    /// patterns hang off it. Not the hook's `cwd`: that follows the agent's `cd`, and
    /// would let `cd /etc` turn `Write(**)` into an allow for `/etc/passwd`.
    pub cwd: &'a Path,
    /// Where Claude Code resolves a relative path in a tool input (the hook's `cwd`);
    /// `None` means `cwd`. Relative patterns still hang off `cwd`.
    pub tool_cwd: Option<&'a Path>,
    /// The home folder, for `~/` in tool inputs.
    pub home: Option<&'a Path>,
    /// The tool name as Claude Code reports it (`Bash`, `mcp__github__create_issue`).
    pub tool: &'a str,
    /// The tool's input, as Claude Code sends it to the hook.
    pub input: &'a Value,
}

/// The answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Run it.
    Allow,
    /// Refuse it; the agent sees the reason.
    Deny,
    /// Let Claude Code ask the user.
    Ask,
}

/// Where a rule came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum RuleSource {
    /// `roles.NAME`.
    Role(String),
    /// `slots.ID`.
    Slot(String),
    /// `auto_allow[INDEX]`.
    AutoAllow(usize),
}

/// A rule that took part in a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchedRule {
    /// Where it is written.
    pub source: RuleSource,
    /// Its list.
    pub list: ListKind,
    /// The pattern.
    pub pattern: String,
    /// The spelling of the argument it matched.
    pub matched: String,
}

/// A decision, with everything worth logging.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// Allow, deny or ask.
    pub outcome: Outcome,
    /// The slot.
    pub slot: String,
    /// Its role.
    pub role: String,
    /// The tool.
    pub tool: String,
    /// The tool's input as received.
    pub input: Value,
    /// The argument as matched (normalised command, resolved path, URL, JSON).
    pub subject: String,
    /// The deciding rule(s): the deny or confirm rule, or every allow rule used; empty
    /// when nothing matched.
    pub rules: Vec<MatchedRule>,
    /// One sentence for people and for the agent.
    pub reason: String,
}

impl Policy {
    /// Decides one call. `fs` resolves symlinks in paths ([`super::RealFs`] in the daemon).
    pub fn decide(&self, req: &Request<'_>, fs: &dyn FileSystem) -> Decision {
        let subject = Subject::of(req, fs);
        let empty = RuleSet::default();
        let slot = self.slots.get(req.slot).unwrap_or(&empty);
        let role = self.roles.get(req.role).unwrap_or(&empty);
        let decision = |outcome, rules, reason| Decision {
            outcome,
            slot: req.slot.to_string(),
            role: req.role.to_string(),
            tool: req.tool.to_string(),
            input: req.input.clone(),
            subject: subject.display(),
            rules,
            reason,
        };
        let slot_src = || RuleSource::Slot(req.slot.to_string());
        let role_src = || RuleSource::Role(req.role.to_string());

        for (set, src) in [(slot, slot_src()), (role, role_src())] {
            for i in 0..subject.units() {
                if let Some(m) = first_match(&set.deny, req.tool, &subject, i, &src) {
                    let what = match subject.is_access(i) {
                        true => subject.describe_unit(i),
                        false => format!("`{}`", m.matched),
                    };
                    let reason = format!(
                        "denied by missiond: {} rule `{}` of {} forbids {what}",
                        m.list.as_str(),
                        m.pattern,
                        describe(&m.source),
                    );
                    return decision(Outcome::Deny, vec![m], reason);
                }
            }
        }

        let autos: Vec<(usize, &AutoAllow)> = self
            .auto_allow
            .iter()
            .enumerate()
            .filter(|(_, a)| a.applies(req.slot, req.role))
            .collect();
        // Opaque pieces could hide exactly what a deny or confirm rule names; when such
        // rules exist for this tool, they ask instead of being allowed.
        let guarded = [slot, role].iter().any(|set| {
            set.deny
                .iter()
                .chain(&set.confirm)
                .any(|r| r.matches_tool(req.tool))
        });
        // A piece running commands no rule sees could also hide a redirection: it asks
        // when file rules could be dodged that way.
        let files_guarded = canonical_tool(req.tool) == "Bash"
            && [slot, role].iter().any(|set| {
                set.deny
                    .iter()
                    .chain(&set.confirm)
                    .any(|r| ["Read", "Write", "Edit"].iter().any(|t| r.matches_tool(t)))
            });
        let mut used: Vec<MatchedRule> = Vec::new();
        for i in 0..subject.units() {
            if let Some(why) = subject.unknowable(i) {
                return decision(Outcome::Ask, Vec::new(), why);
            }
            if let Some(why) = subject.opaque(i)
                && (guarded
                    || subject.is_unreadable()
                    || (files_guarded && subject.hides_commands(i)))
            {
                return decision(Outcome::Ask, Vec::new(), why);
            }
            let layers = [
                first_match(&slot.confirm, req.tool, &subject, i, &slot_src()),
                first_match(&slot.allow, req.tool, &subject, i, &slot_src()),
                autos.iter().find_map(|(n, a)| {
                    first_match(
                        std::slice::from_ref(&a.rule),
                        req.tool,
                        &subject,
                        i,
                        &RuleSource::AutoAllow(*n),
                    )
                }),
                first_match(&role.confirm, req.tool, &subject, i, &role_src()),
                first_match(&role.allow, req.tool, &subject, i, &role_src()),
            ];
            match layers.into_iter().flatten().next() {
                Some(m) if m.list == ListKind::Allow => {
                    if !used
                        .iter()
                        .any(|u| u.source == m.source && u.pattern == m.pattern)
                    {
                        used.push(m);
                    }
                }
                Some(m) => {
                    let reason = format!(
                        "confirm rule `{}` of {} matches `{}`",
                        m.pattern,
                        describe(&m.source),
                        m.matched
                    );
                    return decision(Outcome::Ask, vec![m], reason);
                }
                None => {
                    let what = subject.describe_unit(i);
                    let what = match subject.is_access(i) {
                        true => what,
                        false => format!("`{what}`"),
                    };
                    return decision(Outcome::Ask, Vec::new(), format!("no rule allows {what}"));
                }
            }
        }
        let reason = format!(
            "allowed by {}",
            used.iter()
                .map(|m| format!("`{}` of {}", m.pattern, describe(&m.source)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        decision(Outcome::Allow, used, reason)
    }

    /// Replaces a role's rules (an empty set keeps the role, with no rules).
    pub fn set_role(&mut self, name: &str, rules: RuleSet) {
        self.roles.insert(name.to_string(), rules);
    }

    /// Removes a role; returns whether it existed.
    pub fn remove_role(&mut self, name: &str) -> bool {
        self.roles.remove(name).is_some()
    }

    /// Replaces a slot's overrides; an empty set removes them.
    pub fn set_slot(&mut self, id: &str, rules: RuleSet) {
        if rules.is_empty() {
            self.slots.remove(id);
        } else {
            self.slots.insert(id.to_string(), rules);
        }
    }

    /// Adds an auto-allow rule; returns false (and changes nothing) when the same pattern
    /// with the same roles and slots is already there.
    pub fn add_auto_allow(&mut self, auto: AutoAllow) -> bool {
        if self.auto_allow.contains(&auto) {
            return false;
        }
        self.auto_allow.push(auto);
        true
    }
}

/// The first rule of `rules` for `tool` that matches unit `i` (strictly for allow rules).
fn first_match(
    rules: &[Rule],
    tool: &str,
    subject: &Subject,
    i: usize,
    source: &RuleSource,
) -> Option<MatchedRule> {
    rules
        .iter()
        .filter(|r| subject.rule_applies(r, tool, i))
        .find_map(|r| {
            let matched = if r.strict() {
                subject.match_strict(r, i)
            } else {
                subject.match_loose(r, i)
            }?;
            Some(MatchedRule {
                source: source.clone(),
                list: r.kind(),
                pattern: r.text().to_string(),
                matched,
            })
        })
}

fn describe(source: &RuleSource) -> String {
    match source {
        RuleSource::Role(r) => format!("role `{r}`"),
        RuleSource::Slot(s) => format!("slot `{s}`"),
        RuleSource::AutoAllow(n) => format!("auto_allow #{}", n + 1),
    }
}
