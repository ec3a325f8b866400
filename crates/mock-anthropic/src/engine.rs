//! Chooses the scripted step that answers a request, and remembers pending tool calls.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::request::Inbound;
use crate::scenario::{Compiled, Rule, Step};

/// Which part of the scenario answered a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    /// Step `step` (0-based) of rule `rule` (0-based).
    Rule {
        /// Rule index in the scenario.
        rule: usize,
        /// Step index within the rule.
        step: usize,
        /// The rule's name, if it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// The scenario's `default`.
    Default,
    /// The scenario's `side_answer` (a request that offered no tools).
    Side,
    /// The scenario's `compact_answer` (Claude Code summarising the conversation).
    Compaction,
}

/// Scenario state across requests: used-up `once` rules and unanswered tool calls.
#[derive(Debug)]
pub struct Engine {
    compiled: Compiled,
    used: Vec<bool>,
    /// tool_use id -> (rule, step) that emitted it.
    pending: HashMap<String, (usize, usize)>,
    /// The (rule, step) whose stream was cut by a scripted `stream_error`.
    interrupted: Option<(usize, usize)>,
}

impl Engine {
    /// A fresh engine for a checked scenario.
    pub fn new(compiled: Compiled) -> Engine {
        let used = vec![false; compiled.scenario.rules.len()];
        Engine {
            compiled,
            used,
            pending: HashMap::new(),
            interrupted: None,
        }
    }

    /// Picks the answer for a request. A `once` rule is used up here.
    pub fn decide(&mut self, inbound: &Inbound) -> (Answer, Step) {
        if inbound.is_side_request() {
            if let Some(found) = self.first_rule(inbound) {
                return found;
            }
            return (Answer::Side, self.compiled.scenario.side_answer.clone());
        }
        if inbound.is_compaction() {
            return (
                Answer::Compaction,
                self.compiled.scenario.compact_answer.clone(),
            );
        }
        if let Some((rule, step)) = self.take_continuation(inbound) {
            return self.next_step(rule, step);
        }
        if inbound.last_user_text.is_empty() {
            // Claude Code asks to resume a cut stream with a message holding only a
            // reminder: the rule's next step answers it.
            if inbound.tool_results.is_empty()
                && let Some((rule, step)) = self.interrupted.take()
            {
                return self.next_step(rule, step);
            }
        } else {
            self.interrupted = None;
            if let Some(found) = self.first_rule(inbound) {
                return found;
            }
        }
        (Answer::Default, self.compiled.scenario.default.clone())
    }

    /// The first step of the first unused rule matching a prompt, using up a `once` rule.
    fn first_rule(&mut self, inbound: &Inbound) -> Option<(Answer, Step)> {
        let i = (0..self.compiled.scenario.rules.len())
            .find(|&i| !self.used[i] && self.matches(i, inbound))?;
        let rule = &self.compiled.scenario.rules[i];
        if rule.once {
            self.used[i] = true;
        }
        let first = rule.steps[0].clone();
        Some((self.rule_answer(i, 0), first))
    }

    /// Records the tool_use ids a rule step emitted, so their results continue the rule.
    pub fn remember_tool_uses(&mut self, answer: &Answer, ids: &[String]) {
        if let Answer::Rule { rule, step, .. } = answer {
            for id in ids {
                self.pending.insert(id.clone(), (*rule, *step));
            }
        }
    }

    /// Records that a rule step's stream ended in a scripted error.
    pub fn remember_stream_error(&mut self, answer: &Answer) {
        if let Answer::Rule { rule, step, .. } = answer {
            self.interrupted = Some((*rule, *step));
        }
    }

    /// The step after (rule, step), or the default when the rule has no more.
    fn next_step(&self, rule: usize, step: usize) -> (Answer, Step) {
        let next = step + 1;
        match self.compiled.scenario.rules[rule].steps.get(next) {
            Some(found) => (self.rule_answer(rule, next), found.clone()),
            None => (Answer::Default, self.compiled.scenario.default.clone()),
        }
    }

    /// The (rule, step) whose tool call this request answers, forgetting its ids.
    fn take_continuation(&mut self, inbound: &Inbound) -> Option<(usize, usize)> {
        let found = inbound
            .tool_results
            .iter()
            .find_map(|r| self.pending.get(&r.tool_use_id).copied())?;
        // Several tool calls in one step come back together: forget them all.
        self.pending.retain(|_, origin| *origin != found);
        Some(found)
    }

    fn rule_answer(&self, rule: usize, step: usize) -> Answer {
        Answer::Rule {
            rule,
            step,
            name: self.compiled.scenario.rules[rule].name.clone(),
        }
    }

    fn matches(&self, index: usize, inbound: &Inbound) -> bool {
        let Rule { matcher, .. } = &self.compiled.scenario.rules[index];
        let text = inbound.last_user_text.as_str();
        matcher.without_tools == inbound.is_side_request()
            && matcher
                .contains
                .as_ref()
                .is_none_or(|c| text.contains(c.as_str()))
            && matcher
                .equals
                .as_ref()
                .is_none_or(|e| text.trim() == e.trim())
            && matcher
                .model_contains
                .as_ref()
                .is_none_or(|m| inbound.model.contains(m.as_str()))
            && self.compiled.regexes[index]
                .as_ref()
                .is_none_or(|r| r.is_match(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::ToolResult;
    use crate::scenario::Scenario;

    fn engine(yaml: &str) -> Engine {
        let scenario = Scenario::from_yaml(yaml).expect("scenario parses");
        Engine::new(scenario.compile().expect("compiles"))
    }

    fn prompt(text: &str) -> Inbound {
        Inbound {
            model: "claude-test".into(),
            last_user_text: text.into(),
            tools: vec!["Bash".into()],
            ..Inbound::default()
        }
    }

    #[test]
    fn continues_a_rule_through_tool_results() {
        let mut e = engine(
            "rules:\n - match: {contains: files}\n   steps:\n    - tool_use: {name: Bash, input: {command: ls}}\n    - text: done\n",
        );
        let (answer, step) = e.decide(&prompt("list files"));
        assert_eq!(
            answer,
            Answer::Rule {
                rule: 0,
                step: 0,
                name: None
            }
        );
        assert_eq!(step.tool_uses().len(), 1);
        e.remember_tool_uses(&answer, &["toolu_a".to_owned()]);
        let mut follow = prompt("");
        follow.tool_results.push(ToolResult {
            tool_use_id: "toolu_a".into(),
            content: "x".into(),
            is_error: false,
        });
        let (answer, step) = e.decide(&follow);
        assert_eq!(
            answer,
            Answer::Rule {
                rule: 0,
                step: 1,
                name: None
            }
        );
        assert_eq!(step.text.as_deref(), Some("done"));
        // The id is forgotten: the same result again gets the default.
        assert_eq!(e.decide(&follow).0, Answer::Default);
    }

    #[test]
    fn once_rules_are_used_up_and_side_requests_consume_nothing() {
        let mut e = engine(
            "rules:\n - match: {contains: go}\n   once: true\n   steps: [{error: {status: 500}}]\n - match: {contains: go}\n   steps: [{text: ok}]\n",
        );
        let mut side = prompt("go");
        side.tools.clear();
        assert_eq!(e.decide(&side).0, Answer::Side);
        assert_eq!(
            e.decide(&prompt("go")).0,
            Answer::Rule {
                rule: 0,
                step: 0,
                name: None
            }
        );
        assert_eq!(
            e.decide(&prompt("go")).0,
            Answer::Rule {
                rule: 1,
                step: 0,
                name: None
            }
        );
        assert_eq!(e.decide(&prompt("stop")).0, Answer::Default);
    }

    #[test]
    fn a_cut_stream_is_resumed_by_the_next_step() {
        let mut e = engine(
            "rules:\n - match: {contains: go}\n   steps:\n    - {text: Part, stream_error: {type: overloaded_error}}\n    - text: rest\n - steps: [{text: any}]\n",
        );
        let (answer, _) = e.decide(&prompt("go"));
        e.remember_stream_error(&answer);
        assert_eq!(
            e.decide(&prompt("")).0,
            Answer::Rule {
                rule: 0,
                step: 1,
                name: None
            }
        );
        // Only once; and an empty prompt never matches a rule.
        assert_eq!(e.decide(&prompt("")).0, Answer::Default);
    }

    #[test]
    fn model_and_regex_conditions_all_apply() {
        let mut e = engine(
            "rules:\n - match: {regex: '^hel+o$', model_contains: haiku}\n   steps: [{text: a}]\n",
        );
        assert_eq!(e.decide(&prompt("hello")).0, Answer::Default);
        let mut p = prompt("hello");
        p.model = "claude-haiku-9".into();
        assert!(matches!(e.decide(&p).0, Answer::Rule { rule: 0, .. }));
    }
}
