//! Model prices: a table shipped with the project (`prices.json`, no network), which a
//! file of the same shape overrides or extends. A model with no price is reported as
//! unpriced, never costed at 0 silently.
//!
//! Long context: a model may carry `longContext` rates (Sonnet 4 and 4.5 with the 1M
//! context window). Anthropic bills a request whose input (input + cache write + cache
//! read tokens) is over the threshold (200,000 tokens) at those rates for ALL its tokens,
//! output included; so the cost of a response is taken per response
//! ([`Price::response_cost`]), never from summed tokens.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::HistoryError;
use super::line::Tokens;

/// The table shipped with missiond.
pub const BUILT_IN: &str = include_str!("prices.json");

/// US dollars per million tokens of each kind.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Price {
    /// Input tokens.
    pub input: f64,
    /// Output tokens.
    pub output: f64,
    /// Tokens written to the prompt cache.
    pub cache_write: f64,
    /// Tokens read from the prompt cache.
    pub cache_read: f64,
    /// Rates of a request whose input is over a threshold, when the model has them.
    #[serde(default)]
    pub long_context: Option<LongContext>,
}

/// The rates of a request whose input tokens (input + cache write + cache read) are over
/// `threshold`, in US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LongContext {
    /// Input tokens of a request above which these rates apply (200,000 for Sonnet 4).
    #[serde(default = "default_threshold")]
    pub threshold: u64,
    /// Input tokens.
    pub input: f64,
    /// Output tokens.
    pub output: f64,
    /// Tokens written to the prompt cache.
    pub cache_write: f64,
    /// Tokens read from the prompt cache.
    pub cache_read: f64,
}

fn default_threshold() -> u64 {
    200_000
}

fn dollars(t: &Tokens, [input, output, cache_write, cache_read]: [f64; 4]) -> f64 {
    (t.input_tokens as f64 * input
        + t.output_tokens as f64 * output
        + t.cache_creation_input_tokens as f64 * cache_write
        + t.cache_read_input_tokens as f64 * cache_read)
        / 1_000_000.0
}

impl Price {
    /// The cost of `tokens` at the base rates, in US dollars (right for a sum of
    /// responses none of which was over the long-context threshold).
    pub fn cost(&self, t: &Tokens) -> f64 {
        dollars(
            t,
            [self.input, self.output, self.cache_write, self.cache_read],
        )
    }

    /// The cost of ONE API response with usage `t`: at the long-context rates when the
    /// model has them and the request's input is over their threshold, else at the base
    /// rates.
    pub fn response_cost(&self, t: &Tokens) -> f64 {
        let input = t
            .input_tokens
            .saturating_add(t.cache_creation_input_tokens)
            .saturating_add(t.cache_read_input_tokens);
        match &self.long_context {
            Some(l) if input > l.threshold => {
                dollars(t, [l.input, l.output, l.cache_write, l.cache_read])
            }
            _ => self.cost(t),
        }
    }
}

#[derive(Deserialize)]
struct PriceFile {
    #[serde(rename = "_comment", default)]
    _comment: Option<String>,
    models: BTreeMap<String, Price>,
}

/// Prices by model name.
#[derive(Debug, Clone, Default)]
pub struct PriceTable {
    models: BTreeMap<String, Price>,
}

impl PriceTable {
    /// The shipped table.
    pub fn built_in() -> PriceTable {
        let mut t = PriceTable::default();
        t.merge_text(BUILT_IN, Path::new("<built-in prices.json>"))
            .expect("the shipped price table parses");
        t
    }

    /// Adds (or replaces) the prices in `path`.
    pub fn merge_file(&mut self, path: &Path) -> Result<(), HistoryError> {
        let text = std::fs::read_to_string(path).map_err(|source| HistoryError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        self.merge_text(&text, path)
    }

    fn merge_text(&mut self, text: &str, path: &Path) -> Result<(), HistoryError> {
        let file: PriceFile = serde_json::from_str(text).map_err(|e| HistoryError::Config {
            path: path.to_path_buf(),
            message: format!(
                "not a price table ({e}); expected {{\"models\": {{\"<model>\": {{\"input\": .., \"output\": .., \"cacheWrite\": .., \"cacheRead\": .., \"longContext\"?: {{\"threshold\"?: .., \"input\": .., ..}}}}}}}} in dollars per million tokens"
            ),
        })?;
        self.models.extend(file.models);
        Ok(())
    }

    /// The price of `model`: an exact entry, else the longest entry that is the model's
    /// name without a `-YYYYMMDD` date (or other dash-separated digits) at its end.
    pub fn get(&self, model: &str) -> Option<&Price> {
        if let Some(p) = self.models.get(model) {
            return Some(p);
        }
        self.models
            .iter()
            .filter(|(name, _)| {
                model.strip_prefix(name.as_str()).is_some_and(|rest| {
                    rest.strip_prefix('-')
                        .is_some_and(|d| d.len() >= 6 && d.bytes().all(|b| b.is_ascii_digit()))
                })
            })
            .max_by_key(|(name, _)| name.len())
            .map(|(_, p)| p)
    }
}
