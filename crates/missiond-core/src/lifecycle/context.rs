//! How full a slot's context is, and what to do when little is left.
//!
//! Two readings exist: the percentage Claude Code shows in its status bar, and an
//! estimate from the token usage on the transcript's last assistant line against the
//! model's context window. The status bar wins when both are known, since it is Claude
//! Code's own figure; the estimate depends on knowing the model's window.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What to do when the context runs low; chosen per role in `slots.yaml`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContextPolicy {
    /// Restart the slot with a fresh session once its turn is over (the inbox says so).
    #[default]
    Restart,
    /// Let Claude Code compact its own conversation, which keeps it (in summary).
    AutoCompact,
}

impl ContextPolicy {
    /// The spelling in `slots.yaml`.
    pub fn as_str(self) -> &'static str {
        match self {
            ContextPolicy::Restart => "restart",
            ContextPolicy::AutoCompact => "auto_compact",
        }
    }

    /// Decides from the context left (in percent, from the status bar and from the
    /// transcript, either unknown) against `threshold_percent`: act only when strictly
    /// less than the threshold is left.
    pub fn decide(
        self,
        left_from_status_bar: Option<u8>,
        left_from_transcript: Option<u8>,
        threshold_percent: u8,
        turn_in_progress: bool,
    ) -> Action {
        let Some(left) = left_from_status_bar.or(left_from_transcript) else {
            return Action::None;
        };
        if left >= threshold_percent {
            return Action::None;
        }
        match self {
            ContextPolicy::AutoCompact => Action::LeaveToAutoCompact,
            ContextPolicy::Restart if turn_in_progress => Action::RestartAfterTurn,
            ContextPolicy::Restart => Action::RestartNow,
        }
    }
}

/// The daemon's next move about a slot's context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Enough context left, or no reading.
    None,
    /// Low, and a turn is running: restart fresh when it ends.
    RestartAfterTurn,
    /// Low, and no turn is running: restart fresh now.
    RestartNow,
    /// Low, but the role leaves it to Claude Code's auto-compact (worth a note in the
    /// inbox once, not a restart).
    LeaveToAutoCompact,
}

/// The `usage` object of a transcript assistant line (Anthropic format); missing fields
/// count as zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenUsage {
    /// Input tokens not read from or written to the cache.
    pub input_tokens: u64,
    /// Input tokens written to the cache.
    pub cache_creation_input_tokens: u64,
    /// Input tokens read from the cache.
    pub cache_read_input_tokens: u64,
    /// Tokens generated.
    pub output_tokens: u64,
}

impl TokenUsage {
    /// Tokens the conversation occupies after this message.
    pub fn total(&self) -> u64 {
        self.input_tokens
            .saturating_add(self.cache_creation_input_tokens)
            .saturating_add(self.cache_read_input_tokens)
            .saturating_add(self.output_tokens)
    }
}

/// The default context window, in tokens.
pub const DEFAULT_WINDOW: u64 = 200_000;

/// Context window sizes by model id: the first rule whose marker the id contains wins,
/// otherwise [`DEFAULT_WINDOW`]. Extend it with [`ContextWindows::with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextWindows {
    rules: Vec<(String, u64)>,
    default: u64,
}

impl Default for ContextWindows {
    /// `[1m]` (Claude Code's marker for the 1M-token variants, e.g.
    /// `claude-sonnet-4-5[1m]`) is 1,000,000 tokens; anything else 200,000.
    fn default() -> Self {
        ContextWindows {
            rules: vec![("[1m]".to_string(), 1_000_000)],
            default: DEFAULT_WINDOW,
        }
    }
}

impl ContextWindows {
    /// Adds a rule, checked before the existing ones.
    pub fn with(mut self, marker: impl Into<String>, tokens: u64) -> Self {
        self.rules.insert(0, (marker.into(), tokens));
        self
    }

    /// The window of `model`, or `None` for Claude Code's `<synthetic>` messages (local
    /// errors and notices, which carry no real usage).
    pub fn window(&self, model: &str) -> Option<u64> {
        if model == "<synthetic>" {
            return None;
        }
        let model = model.to_ascii_lowercase();
        Some(
            self.rules
                .iter()
                .find(|(marker, _)| model.contains(&marker.to_ascii_lowercase()))
                .map_or(self.default, |(_, tokens)| *tokens),
        )
    }

    /// Percentage of the window still free (rounded down; 0 when over-full), or `None`
    /// when the usage says nothing (all zero) or the model has no window.
    pub fn left_percent(&self, usage: &TokenUsage, model: &str) -> Option<u8> {
        let window = self.window(model).filter(|w| *w > 0)?;
        let used = usage.total();
        if used == 0 {
            return None;
        }
        let free = u128::from(window.saturating_sub(used));
        u8::try_from(free * 100 / u128::from(window)).ok()
    }
}

/// [`ContextWindows::left_percent`] with the default table.
pub fn context_left_percent(usage: &TokenUsage, model: &str) -> Option<u8> {
    ContextWindows::default().left_percent(usage, model)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(input: u64, creation: u64, read: u64, output: u64) -> TokenUsage {
        TokenUsage {
            input_tokens: input,
            cache_creation_input_tokens: creation,
            cache_read_input_tokens: read,
            output_tokens: output,
        }
    }

    #[test]
    fn left_percent_table() {
        let cases: [(&str, TokenUsage, &str, Option<u8>); 10] = [
            (
                "a quarter used",
                usage(0, 0, 50_000, 0),
                "claude-opus-4-6",
                Some(75),
            ),
            (
                "every field counts",
                usage(10_000, 20_000, 130_000, 20_000),
                "claude-sonnet-4-5",
                Some(10),
            ),
            ("rounded down", usage(180_001, 0, 0, 0), "x", Some(9)),
            ("full", usage(200_000, 0, 0, 0), "x", Some(0)),
            ("over-full", usage(250_000, 0, 0, 0), "x", Some(0)),
            ("nearly empty", usage(1, 0, 0, 0), "x", Some(99)),
            (
                "1M window",
                usage(0, 0, 900_000, 0),
                "claude-sonnet-4-5[1m]",
                Some(10),
            ),
            (
                "1M marker in any case",
                usage(0, 0, 500_000, 0),
                "claude-opus-4-6[1M]",
                Some(50),
            ),
            ("no usage", TokenUsage::default(), "claude-opus-4-6", None),
            ("synthetic", usage(5, 0, 0, 5), "<synthetic>", None),
        ];
        for (name, u, model, want) in cases {
            assert_eq!(context_left_percent(&u, model), want, "{name}");
        }
    }

    #[test]
    fn the_table_can_be_extended() {
        let windows = ContextWindows::default().with("haiku-tiny", 100_000);
        let u = usage(0, 0, 60_000, 0);
        assert_eq!(windows.left_percent(&u, "claude-haiku-tiny-1"), Some(40));
        assert_eq!(windows.left_percent(&u, "claude-haiku-4-5"), Some(70));
        assert_eq!(windows.window("m[1m]"), Some(1_000_000));
        // A rule added later is checked first.
        let windows = windows.with("[1m]", 2_000_000);
        assert_eq!(windows.window("m[1m]"), Some(2_000_000));
    }

    #[test]
    fn usage_reads_a_transcript_line() {
        let line = serde_json::json!({
            "input_tokens": 3,
            "cache_creation_input_tokens": 1200,
            "cache_read_input_tokens": 15000,
            "output_tokens": 250,
            "service_tier": "standard",
            "server_tool_use": {"web_search_requests": 0}
        });
        let u: TokenUsage = serde_json::from_value(line).expect("usage");
        assert_eq!(u.total(), 3 + 1200 + 15000 + 250);
        let partial: TokenUsage =
            serde_json::from_value(serde_json::json!({"output_tokens": 7})).expect("partial");
        assert_eq!(partial.total(), 7);
    }

    #[test]
    fn decide_table() {
        use Action::{LeaveToAutoCompact, RestartAfterTurn, RestartNow};
        use ContextPolicy::*;
        const NOTHING: Action = Action::None;
        // (policy, status bar, transcript, threshold, turn in progress, expected)
        type Case = (ContextPolicy, Option<u8>, Option<u8>, u8, bool, Action);
        let cases: [Case; 12] = [
            (Restart, Some(9), None, 10, true, RestartAfterTurn),
            (Restart, Some(9), None, 10, false, RestartNow),
            (Restart, Some(10), None, 10, true, NOTHING),
            (Restart, None, Some(5), 10, true, RestartAfterTurn),
            (Restart, None, Some(50), 10, false, NOTHING),
            (Restart, None, None, 10, true, NOTHING),
            // The status bar wins over the estimate, both ways.
            (Restart, Some(40), Some(2), 10, false, NOTHING),
            (Restart, Some(3), Some(60), 10, false, RestartNow),
            (AutoCompact, Some(3), None, 10, true, LeaveToAutoCompact),
            (AutoCompact, None, Some(3), 10, false, LeaveToAutoCompact),
            (AutoCompact, Some(30), None, 10, false, NOTHING),
            (Restart, Some(24), None, 25, false, RestartNow),
        ];
        for (i, (policy, bar, transcript, threshold, turn, want)) in cases.into_iter().enumerate() {
            assert_eq!(
                policy.decide(bar, transcript, threshold, turn),
                want,
                "case {i}"
            );
        }
    }

    #[test]
    fn policy_spellings() {
        for p in [ContextPolicy::Restart, ContextPolicy::AutoCompact] {
            let json = serde_json::to_value(p).expect("json");
            assert_eq!(json, serde_json::json!(p.as_str()));
        }
    }
}
