//! A string that never shows itself by accident.

use serde::{Serialize, Serializer};

/// What a secret looks like wherever it would have been shown.
pub const REDACTED: &str = "[REDACTED]";

/// A secret value. Debug, Display and Serialize print [`REDACTED`]; only
/// [`SecretString::expose`] gives the value, for the one place that needs it (the
/// environment of the spawned process).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps `value`.
    pub fn new(value: String) -> Self {
        SecretString(value)
    }

    /// The value itself. Do not log, store or print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretString({REDACTED})")
    }
}

impl std::fmt::Display for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for SecretString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_of_showing_it_is_redacted() {
        let s = SecretString::new("hunter2-xyz".into());
        let shown = [
            format!("{s}"),
            format!("{s:?}"),
            format!("{s:#?}"),
            format!("{:?}", Some(&s)),
            serde_json::to_string(&s).expect("json"),
            serde_json::to_string(&vec![s.clone()]).expect("json"),
        ];
        for text in shown {
            assert!(!text.contains("hunter2"), "{text}");
            assert!(text.contains(REDACTED), "{text}");
        }
        assert_eq!(s.expose(), "hunter2-xyz");
    }
}
