//! The answer to a dialog: `"yes"`, `"no"`, `"always"`, or an option number.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How to answer an open dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfirmResponse {
    /// Choose the option meaning "allow once".
    Yes,
    /// Choose the option meaning "refuse".
    No,
    /// Choose the option meaning "allow and do not ask again".
    Always,
    /// Choose the option with this number as shown on screen (1-based).
    Option(u32),
}

impl Serialize for ConfirmResponse {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ConfirmResponse::Yes => s.serialize_str("yes"),
            ConfirmResponse::No => s.serialize_str("no"),
            ConfirmResponse::Always => s.serialize_str("always"),
            ConfirmResponse::Option(n) => s.serialize_u32(*n),
        }
    }
}

const EXPECTED: &str = "\"yes\", \"no\", \"always\" or an option number (1, 2, ...)";

struct ResponseVisitor;

impl Visitor<'_> for ResponseVisitor {
    type Value = ConfirmResponse;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(EXPECTED)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ConfirmResponse, E> {
        match v.trim().to_ascii_lowercase().as_str() {
            "yes" => Ok(ConfirmResponse::Yes),
            "no" => Ok(ConfirmResponse::No),
            "always" => Ok(ConfirmResponse::Always),
            // Models often quote numbers; accept "2" as 2.
            other => match other.parse::<u64>() {
                Ok(n) => self.visit_u64(n),
                Err(_) => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
            },
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ConfirmResponse, E> {
        match u32::try_from(v) {
            Ok(n) if n >= 1 => Ok(ConfirmResponse::Option(n)),
            _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ConfirmResponse, E> {
        match u64::try_from(v) {
            Ok(n) => self.visit_u64(n),
            Err(_) => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
        }
    }
}

impl<'de> Deserialize<'de> for ConfirmResponse {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ConfirmResponse, D::Error> {
        d.deserialize_any(ResponseVisitor)
    }
}

impl JsonSchema for ConfirmResponse {
    fn schema_name() -> Cow<'static, str> {
        "ConfirmResponse".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "oneOf": [
                {
                    "type": "string",
                    "enum": ["yes", "no", "always"],
                    "description": "Answer by meaning: allow once, refuse, or allow and stop asking."
                },
                {
                    "type": "integer",
                    "minimum": 1,
                    "description": "The number of the option as shown in the dialog."
                }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_words_and_numbers() {
        let cases = [
            (json!("yes"), ConfirmResponse::Yes),
            (json!("No"), ConfirmResponse::No),
            (json!("always"), ConfirmResponse::Always),
            (json!(2), ConfirmResponse::Option(2)),
            (json!("3"), ConfirmResponse::Option(3)),
        ];
        for (value, expected) in cases {
            let got: ConfirmResponse = serde_json::from_value(value.clone()).expect("valid");
            assert_eq!(got, expected, "{value}");
        }
    }

    #[test]
    fn refuses_zero_negatives_and_other_words() {
        for value in [json!(0), json!(-1), json!("maybe"), json!(true), json!(1.5)] {
            let err = serde_json::from_value::<ConfirmResponse>(value.clone())
                .expect_err("must be refused");
            assert!(err.to_string().contains("always"), "{value}: {err}");
        }
    }

    #[test]
    fn serialises_back_to_the_same_json() {
        assert_eq!(
            serde_json::to_value(ConfirmResponse::Always).ok(),
            Some(json!("always"))
        );
        assert_eq!(
            serde_json::to_value(ConfirmResponse::Option(4)).ok(),
            Some(json!(4))
        );
    }
}
