//! The scenario: which answers the server gives to which prompts, read from YAML.
//!
//! The format is documented in the crate's README.md; these types are its schema.

use std::path::Path;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("reading scenario {path}: {source}")]
    Read {
        /// The file named.
        path: String,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The YAML did not parse or did not fit the schema.
    #[error("parsing scenario YAML: {0}")]
    Yaml(#[from] serde_saphyr::Error),
    /// A `regex` or `model_regex` did not compile.
    #[error("rule {rule}: bad regex {pattern:?}: {source}")]
    Regex {
        /// Index of the rule (0-based).
        rule: usize,
        /// The pattern as written.
        pattern: String,
        /// The compile error.
        source: regex::Error,
    },
    /// A rule or step is inconsistent (e.g. no steps, nothing to answer).
    #[error("rule {rule}: {message}")]
    Invalid {
        /// Index of the rule (0-based), or usize::MAX for the default step.
        rule: usize,
        /// What is wrong.
        message: String,
    },
}

/// A whole scenario: rules tried in order, then the default answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Rules, tried in file order against each prompt request; the first match answers.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// The answer when no rule matches (or a rule's steps are used up).
    #[serde(default = "Step::default_answer")]
    pub default: Step,
    /// The answer to side requests (requests that offer no tools).
    #[serde(default = "Step::side_answer")]
    pub side_answer: Step,
    /// The answer to Claude Code's compaction request (`/compact`, or a full context).
    #[serde(default = "Step::compact_answer")]
    pub compact_answer: Step,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            rules: Vec::new(),
            default: Step::default_answer(),
            side_answer: Step::side_answer(),
            compact_answer: Step::compact_answer(),
        }
    }
}

/// One scripted conversation: a prompt matcher and one step per model response.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Optional name, shown in the request log.
    #[serde(default)]
    pub name: Option<String>,
    /// What the last user message must look like.
    #[serde(rename = "match", default)]
    pub matcher: Match,
    /// Used up after its first match (e.g. "fail once, then succeed").
    #[serde(default)]
    pub once: bool,
    /// Responses in order: step N+1 answers the tool_result of step N's tool_use.
    pub steps: Vec<Step>,
}

/// Conditions on a request; all given ones must hold. An empty match matches every prompt.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    /// The prompt text contains this substring.
    #[serde(default)]
    pub contains: Option<String>,
    /// The prompt text equals this exactly (after trimming whitespace).
    #[serde(default)]
    pub equals: Option<String>,
    /// The prompt text matches this regular expression.
    #[serde(default)]
    pub regex: Option<String>,
    /// The request's model name contains this substring.
    #[serde(default)]
    pub model_contains: Option<String>,
    /// The rule answers only requests that offer no tools: direct API clients (an LLM
    /// router, a script) rather than Claude Code, whose tool-less requests are otherwise
    /// side requests answered by `side_answer`.
    #[serde(default)]
    pub without_tools: bool,
}

/// One model response: optional thinking, optional text, optional tool calls, or an error.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Delay after `message_start` (and `ping`) before the first content block.
    #[serde(default)]
    pub first_token_delay_ms: u64,
    /// A thinking block (streamed as thinking_delta, then a signature_delta).
    #[serde(default)]
    pub thinking: Option<String>,
    /// A text block, served after the thinking and before any tool_use.
    #[serde(default)]
    pub text: Option<String>,
    /// One tool call or a list of them.
    #[serde(default)]
    pub tool_use: Option<ToolUses>,
    /// Characters per delta when streaming text and thinking (default 16).
    #[serde(default)]
    pub chunk_chars: Option<usize>,
    /// Delay between deltas in milliseconds (default 0).
    #[serde(default)]
    pub chunk_delay_ms: u64,
    /// Overrides the stop reason (default `tool_use` when a tool is called, else `end_turn`).
    #[serde(default)]
    pub stop_reason: Option<String>,
    /// Overrides usage numbers (e.g. a nearly full context window).
    #[serde(default)]
    pub usage: Option<UsageOverride>,
    /// Answer with an HTTP error instead of a message.
    #[serde(default)]
    pub error: Option<HttpError>,
    /// Send an `event: error` after the content blocks, instead of finishing the message.
    #[serde(default)]
    pub stream_error: Option<ErrorBody>,
}

impl Step {
    /// The built-in default answer.
    pub fn default_answer() -> Step {
        Step::text("mock-anthropic: no rule matched this prompt.")
    }

    /// The built-in answer to side requests (titles, topics, quota checks).
    pub fn side_answer() -> Step {
        Step::text("Mock session")
    }

    /// The built-in summary for compaction, in the tags Claude Code asks for.
    pub fn compact_answer() -> Step {
        Step::text(
            "<analysis>\nA scripted conversation with mock-anthropic.\n</analysis>\n\n\
             <summary>\nmock-anthropic: summary of a scripted conversation.\n</summary>",
        )
    }

    /// A step that answers with just this text.
    pub fn text(text: impl Into<String>) -> Step {
        Step {
            text: Some(text.into()),
            ..Step::default()
        }
    }

    /// The tool calls of this step, in order.
    pub fn tool_uses(&self) -> &[ToolUse] {
        match &self.tool_use {
            None => &[],
            Some(ToolUses::One(one)) => std::slice::from_ref(one),
            Some(ToolUses::Many(many)) => many,
        }
    }
}

/// `tool_use:` takes one call or a list.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ToolUses {
    /// A single call.
    One(ToolUse),
    /// Several calls in one response.
    Many(Vec<ToolUse>),
}

/// A tool call the model makes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolUse {
    /// Tool name as offered by the client, e.g. `Bash` or `mcp__mission__mission_pty_send`.
    pub name: String,
    /// The input object.
    #[serde(default = "empty_object")]
    pub input: Value,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// Usage numbers that replace the estimated ones.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageOverride {
    /// `input_tokens`.
    #[serde(default)]
    pub input_tokens: Option<u64>,
    /// `output_tokens`.
    #[serde(default)]
    pub output_tokens: Option<u64>,
    /// `cache_creation_input_tokens`.
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
    /// `cache_read_input_tokens`.
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
}

/// An HTTP error answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpError {
    /// HTTP status, e.g. 429, 500, 529.
    pub status: u16,
    /// The error body's `type`, e.g. `overloaded_error`.
    #[serde(rename = "type", default = "default_error_type")]
    pub kind: String,
    /// The error body's `message`.
    #[serde(default = "default_error_message")]
    pub message: String,
    /// Optional `retry-after` header, in seconds.
    #[serde(default)]
    pub retry_after_s: Option<u64>,
}

impl HttpError {
    /// The `error` object of the response body.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            kind: self.kind.clone(),
            message: self.message.clone(),
        }
    }
}

/// The `error` object of Anthropic's error JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// e.g. `overloaded_error`, `api_error`, `rate_limit_error`.
    #[serde(rename = "type", default = "default_error_type")]
    pub kind: String,
    /// Human-readable message.
    #[serde(default = "default_error_message")]
    pub message: String,
}

fn default_error_type() -> String {
    "api_error".to_owned()
}

fn default_error_message() -> String {
    "Internal server error".to_owned()
}

/// A scenario checked and ready to serve: regexes compiled.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The scenario as written.
    pub scenario: Scenario,
    /// One compiled `regex` per rule (None when the rule has none).
    pub regexes: Vec<Option<Regex>>,
}

impl Scenario {
    /// Parses a scenario from YAML text.
    pub fn from_yaml(text: &str) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario = serde_saphyr::from_str(text)?;
        scenario.compile()?;
        Ok(scenario)
    }

    /// Reads and parses a scenario file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Scenario::from_yaml(&text)
    }

    /// Checks the scenario and compiles its regexes.
    pub fn compile(&self) -> Result<Compiled, ScenarioError> {
        let mut regexes = Vec::with_capacity(self.rules.len());
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.steps.is_empty() {
                return Err(invalid(i, "a rule needs at least one step"));
            }
            for (s, step) in rule.steps.iter().enumerate() {
                check_step(step).map_err(|m| invalid(i, &format!("step {s}: {m}")))?;
            }
            let regex = match &rule.matcher.regex {
                None => None,
                Some(pattern) => {
                    Some(Regex::new(pattern).map_err(|source| ScenarioError::Regex {
                        rule: i,
                        pattern: pattern.clone(),
                        source,
                    })?)
                }
            };
            regexes.push(regex);
        }
        check_step(&self.default).map_err(|m| invalid(usize::MAX, &format!("default: {m}")))?;
        check_step(&self.side_answer)
            .map_err(|m| invalid(usize::MAX, &format!("side_answer: {m}")))?;
        check_step(&self.compact_answer)
            .map_err(|m| invalid(usize::MAX, &format!("compact_answer: {m}")))?;
        Ok(Compiled {
            scenario: self.clone(),
            regexes,
        })
    }
}

fn invalid(rule: usize, message: &str) -> ScenarioError {
    ScenarioError::Invalid {
        rule,
        message: message.to_owned(),
    }
}

fn check_step(step: &Step) -> Result<(), String> {
    if step.chunk_chars == Some(0) {
        return Err("chunk_chars must be at least 1".into());
    }
    if let Some(error) = &step.error
        && !(400..=599).contains(&error.status)
    {
        return Err(format!("error status {} is not 4xx/5xx", error.status));
    }
    for call in step.tool_uses() {
        if !call.input.is_object() {
            return Err(format!("tool_use {}: input must be a mapping", call.name));
        }
    }
    let has_content =
        step.thinking.is_some() || step.text.is_some() || !step.tool_uses().is_empty();
    if !has_content && step.error.is_none() && step.stream_error.is_none() {
        return Err("a step needs text, thinking, tool_use, error or stream_error".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_shape() {
        let yaml = r#"
rules:
  - match: { contains: "list files" }
    steps:
      - first_token_delay_ms: 5
        thinking: "Let me look."
        tool_use: { name: Bash, input: { command: "ls", description: "List files" } }
      - text: "There are 3 files."
        chunk_chars: 8
  - match: { regex: "^fail" }
    once: true
    steps:
      - error: { status: 529, type: overloaded_error, message: "Overloaded" }
  - steps:
      - tool_use:
          - { name: Read, input: { file_path: "/a" } }
          - { name: Read, input: { file_path: "/b" } }
default: { text: "nothing" }
"#;
        let s = Scenario::from_yaml(yaml).expect("parses");
        assert_eq!(s.rules.len(), 3);
        assert_eq!(s.rules[0].steps[0].tool_uses()[0].name, "Bash");
        assert_eq!(s.rules[0].steps[0].tool_uses()[0].input["command"], "ls");
        assert_eq!(
            s.rules[1].steps[0].error.as_ref().map(|e| e.status),
            Some(529)
        );
        assert!(s.rules[1].once);
        assert_eq!(s.rules[2].steps[0].tool_uses().len(), 2);
        assert_eq!(s.default.text.as_deref(), Some("nothing"));
    }

    #[test]
    fn the_shipped_demo_loads() {
        let demo =
            Scenario::from_yaml(include_str!("../scenarios/demo.yaml")).expect("demo parses");
        let names: Vec<_> = demo
            .rules
            .iter()
            .filter_map(|r| r.name.as_deref())
            .collect();
        assert_eq!(names, ["greeting", "write-file", "slow-story"]);
        assert_eq!(demo.rules[1].steps[0].tool_uses()[0].name, "Bash");
    }

    #[test]
    fn rejects_bad_input() {
        assert!(Scenario::from_yaml("rules: [{ steps: [] }]").is_err());
        assert!(
            Scenario::from_yaml("rules: [{ match: { regex: '(' }, steps: [{text: a}] }]").is_err()
        );
        assert!(Scenario::from_yaml("rules: [{ steps: [{ first_token_delay_ms: 1 }] }]").is_err());
        assert!(Scenario::from_yaml("rulez: []").is_err());
        assert!(Scenario::from_yaml("rules: [{ steps: [{ error: { status: 200 } }] }]").is_err());
    }
}
