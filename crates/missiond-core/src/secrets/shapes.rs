//! Well-known key shapes: strings that are credentials whatever slot printed them
//! (`sk-ant-...`, `ghp_...`, AWS keys, Slack tokens, private key blocks), redacted by
//! default next to the resolved `${secret:...}` values. Configured by the `redact:`
//! section of `slots.yaml`:
//!
//! ```yaml
//! redact:
//!   shapes: true               # the built-in shapes (default); false turns them all off
//!   disable: [openai]          # or turn off some by name
//!   patterns:                  # shapes of your own (Rust `regex` syntax)
//!     - name: internal
//!       regex: 'itk_[A-Za-z0-9]{32}'
//!       prefix: itk_           # optional: lets the live stream hold back a partial match
//! ```
//!
//! A pattern with a group named `secret` redacts only that group (the AWS secret key
//! after its label); otherwise the whole match goes.

use regex::bytes::Regex;

/// Longest span a shape may cover unless it says otherwise (visible bytes).
const DEFAULT_MAX_LEN: usize = 512;

/// One key shape.
#[derive(Debug, Clone)]
pub struct Shape {
    name: String,
    regex: Regex,
    /// Literal starts of a match (ASCII, compared case-insensitively), for streams: once
    /// one is seen, the bytes from it are held back until the match is complete.
    anchors: Vec<Vec<u8>>,
    /// What may follow an anchor while a match is still growing: a stream holds back
    /// from an anchor only while everything after it fits this (whole-text regex).
    body: Regex,
    /// Longest span a match covers; streams hold back at most this much.
    max_len: usize,
}

/// A shape that could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("redact pattern {name:?}: {message}")]
pub struct ShapeError {
    /// The pattern's name.
    pub name: String,
    /// What is wrong.
    pub message: String,
}

impl Shape {
    /// A shape from a regular expression (Rust `regex` syntax), with optional literal
    /// prefixes that start every match.
    pub fn new(name: &str, regex: &str, anchors: &[&str]) -> Result<Shape, ShapeError> {
        let err = |message: String| ShapeError {
            name: name.to_string(),
            message,
        };
        if name.trim().is_empty() {
            return Err(err("the name is empty".into()));
        }
        let regex = regex::bytes::RegexBuilder::new(regex)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| err(e.to_string()))?;
        if regex.is_match(b"") {
            return Err(err("the pattern matches the empty string".into()));
        }
        Ok(Shape {
            name: name.to_string(),
            regex,
            anchors: anchors
                .iter()
                .filter(|a| !a.is_empty())
                .map(|a| a.as_bytes().to_ascii_lowercase())
                .collect(),
            body: body_regex(r"\S*"),
            max_len: DEFAULT_MAX_LEN,
        })
    }

    fn with_max_len(mut self, max_len: usize) -> Shape {
        self.max_len = max_len;
        self
    }

    fn with_body(mut self, body: &str) -> Shape {
        self.body = body_regex(body);
        self
    }

    /// The shape's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The byte ranges to redact in `hay`.
    pub(crate) fn find(&self, hay: &[u8], out: &mut Vec<std::ops::Range<usize>>) {
        let secret = self.regex.capture_names().any(|n| n == Some("secret"));
        for caps in self.regex.captures_iter(hay) {
            let m = if secret {
                caps.name("secret")
            } else {
                caps.get(0)
            };
            if let Some(m) = m.filter(|m| !m.is_empty()) {
                out.push(m.range());
            }
        }
    }

    /// Where bytes must be held back in a stream whose visible text so far is `text`
    /// (`lower` is `text` in ASCII lower case): from the last anchor near the end whose
    /// match is still growing. Only anchors at the start of a word count (`task-list`
    /// waits for nothing), and a cut-off anchor (`gh` at the end) does not wait: the
    /// stream keeps the text it let out as context, so the rest is redacted when it comes.
    pub(crate) fn hold_from(&self, text: &[u8], lower: &[u8]) -> Option<usize> {
        let word_start = |at: usize| at == 0 || !text[at - 1].is_ascii_alphanumeric();
        let mut hold: Option<usize> = None;
        let window = text.len().saturating_sub(self.max_len);
        for anchor in &self.anchors {
            let Some(at) =
                rfind(&lower[window..], anchor, |i| word_start(i + window)).map(|p| p + window)
            else {
                continue;
            };
            let growing = self.body.is_match(&text[at + anchor.len()..]);
            let complete = self
                .regex
                .find_at(text, at)
                .is_some_and(|m| m.start() <= at + anchor.len() && m.end() < text.len());
            if growing && !complete {
                hold = Some(hold.map_or(at, |h: usize| h.min(at)));
            }
        }
        hold
    }
}

fn body_regex(body: &str) -> Regex {
    Regex::new(&format!("^(?:{body})$")).expect("body classes are valid")
}

/// The last place `needle` is found in `hay` where `ok` holds.
fn rfind(hay: &[u8], needle: &[u8], ok: impl Fn(usize) -> bool) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| &hay[i..i + needle.len()] == needle && ok(i))
}

/// The built-in shapes, by name (compiled once; clones share the compiled regexes).
pub fn builtin() -> Vec<Shape> {
    static BUILTIN: std::sync::LazyLock<Vec<Shape>> = std::sync::LazyLock::new(compile_builtin);
    BUILTIN.clone()
}

fn compile_builtin() -> Vec<Shape> {
    let b = |name: &str, regex: &str, anchors: &[&str]| {
        Shape::new(name, regex, anchors).expect("built-in shapes are valid")
    };
    let key_label = r"(?i:aws_secret_access_key|aws_secret_key|secret_access_key|secretaccesskey)";
    vec![
        b("anthropic", r"sk-ant-[A-Za-z0-9_\-]{20,}", &["sk-ant-"]).with_body(r"[A-Za-z0-9_\-]*"),
        b(
            "openai",
            r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{32,}",
            &["sk-"],
        )
        .with_body(r"[A-Za-z0-9_\-]*"),
        b(
            "github",
            r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
            &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        )
        .with_body("[A-Za-z0-9_]*"),
        b(
            "aws-access-key",
            r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
            &["AKIA", "ASIA"],
        )
        .with_body("[A-Z0-9]*"),
        // The 40-character secret key: after its label, or next to its access key.
        b(
            "aws-secret-key",
            &format!(
                r#"(?:{key_label}["']?\s*[:=]\s*["']?|(?:AKIA|ASIA)[0-9A-Z]{{16}}["']?[\s,;:|=]{{1,20}}["']?)(?P<secret>[A-Za-z0-9/+=]{{40}})(?:[^A-Za-z0-9/+=]|$)"#
            ),
            &[
                "aws_secret_access_key",
                "aws_secret_key",
                "secret_access_key",
                "secretaccesskey",
                "AKIA",
                "ASIA",
            ],
        )
        .with_body(r#"[A-Za-z0-9/+=_"'\s:,;|]*"#)
        .with_max_len(160),
        b("slack", r"xox[abposr]-[A-Za-z0-9\-]{10,}", &["xox"]).with_body(r"[A-Za-z0-9\-]*"),
        // A whole block (to the end of the text when its end is not there yet), or the
        // body above its END line when the BEGIN line has scrolled away.
        b(
            "private-key",
            r"(?:-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\z)|(?m:(?:^[ \t]*[A-Za-z0-9+/=]{16,}[ \t]*\r?\n)+(?:^[ \t]*[A-Za-z0-9+/=]*[ \t]*\r?\n)?^[ \t]*-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----))",
            &["-----BEGIN"],
        )
        .with_body("(?s).*")
        .with_max_len(16 * 1024),
    ]
}

/// Names of the built-in shapes.
pub fn builtin_names() -> Vec<String> {
    builtin().iter().map(|s| s.name.clone()).collect()
}

/// One pattern of the `redact:` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternConfig {
    /// Its name (shown in errors).
    pub name: String,
    /// The regular expression.
    pub regex: String,
    /// A literal every match starts with, if any.
    pub prefix: Option<String>,
}

/// The `redact:` section of `slots.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedactConfig {
    /// Whether the built-in shapes are on.
    pub shapes: bool,
    /// Built-in shapes turned off by name.
    pub disable: Vec<String>,
    /// Shapes of the user's own.
    pub patterns: Vec<PatternConfig>,
}

impl Default for RedactConfig {
    fn default() -> Self {
        RedactConfig {
            shapes: true,
            disable: Vec::new(),
            patterns: Vec::new(),
        }
    }
}

impl RedactConfig {
    /// The shapes this configuration turns on; an unknown name in `disable` or a bad
    /// pattern is an error.
    pub fn shapes(&self) -> Result<Vec<Shape>, ShapeError> {
        let builtin = builtin();
        for name in &self.disable {
            if !builtin.iter().any(|s| &s.name == name) {
                return Err(ShapeError {
                    name: name.clone(),
                    message: format!(
                        "no built-in shape has this name (they are: {})",
                        builtin_names().join(", ")
                    ),
                });
            }
        }
        let mut shapes: Vec<Shape> = if self.shapes {
            builtin
                .into_iter()
                .filter(|s| !self.disable.contains(&s.name))
                .collect()
        } else {
            Vec::new()
        };
        for p in &self.patterns {
            let anchors: Vec<&str> = p.prefix.as_deref().into_iter().collect();
            shapes.push(Shape::new(&p.name, &p.regex, &anchors)?);
        }
        Ok(shapes)
    }
}
