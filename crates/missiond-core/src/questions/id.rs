//! Prefixed row ids (`q-000123`, `b-000042`): the row number on the wire, with a letter
//! telling which store it belongs to, parsed strictly so an id of one kind is never taken
//! for another.

/// Defines a row id type `$name` shown as `$prefix` and six or more digits, with its
/// parse error `$bad`; `$what` names it in messages (`question`).
macro_rules! prefixed_id {
    ($name:ident, $bad:ident, $prefix:literal, $what:literal, $pattern:literal) => {
        #[doc = concat!("A ", $what, "'s id: its row number, shown as `", $prefix, "000123`.")]
        ///
        /// Parsing is strict: the prefix, then only ASCII digits, for a number above 0.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!($prefix, "{:06}"), self.0)
            }
        }

        #[doc = concat!("Why a string is not a ", $what, " id.")]
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[error("`{0}` is not a {what} id (expected `{prefix}` and digits, like {prefix}000123)", what = $what, prefix = $prefix)]
        pub struct $bad(pub String);

        impl std::str::FromStr for $name {
            type Err = $bad;

            fn from_str(s: &str) -> Result<$name, $bad> {
                let bad = || $bad(s.chars().take(80).collect());
                let digits = s.strip_prefix($prefix).ok_or_else(bad)?;
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                match digits.parse::<i64>() {
                    Ok(n) if n > 0 => Ok($name(n)),
                    _ => Err(bad()),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "pattern": $pattern,
                    "description": concat!("A ", $what, " id (`", $prefix, "000123`).")
                })
            }
        }
    };
}

pub(crate) use prefixed_id;

prefixed_id!(QuestionId, BadQuestionId, "q-", "question", "^q-[0-9]+$");
