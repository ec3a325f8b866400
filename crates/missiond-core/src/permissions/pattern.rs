//! `Tool(argument glob)` patterns: parsing, and matching one against a call's subject.
//!
//! Syntax: `Tool` or `Tool(*)` matches every call of the tool; `Tool(glob)` matches the
//! tool's primary argument. The tool part is itself a glob (`mcp__github__*`, `*`), matched
//! without regard to case, so a misspelt `bash(…)` deny still bites. In the argument:
//!
//! - Bash commands and other text use `*` (any run of characters, `/` included) and `?`;
//!   there is no escape. Whitespace runs in the pattern count as one space, like in the
//!   command. **Allow** rules match case-sensitively (`Bash(git *)` does not allow
//!   `GIT push`); **deny** and **confirm** rules ignore case (`Bash(curl *)` denies
//!   `CURL evil`: on a case-insensitive filesystem that runs curl).
//! - File paths use globset syntax (`*`, `**`, `?`, `[…]`, `{a,b}`, `\` escapes; so write
//!   `\[id\].tsx` for a literal bracket). A pattern starting with `/` or `~/` is absolute;
//!   any other is relative to the slot's working folder (a leading `./` is dropped) and only
//!   ever matches files inside it. In **allow** rules `*` stays within one folder and `**`
//!   crosses folders, case-sensitively; in **deny** and **confirm** rules `*` also crosses
//!   folders and case is ignored. Each list thus errs on its safe side: `deny
//!   Write(/etc/*)` covers `/etc/ssh/sshd_config` and `/ETC/passwd`, `allow Write(src/*)`
//!   does not cover `src/deep/x`. For a folder search (`Glob`, `Grep`, `LS`), an allow rule
//!   must cover files at any depth below the folder (`Grep(src/**)` allows searching
//!   `src`, `Grep(src/*)` does not), and a deny or confirm rule applies if it could match
//!   anything below it (`deny Grep(/etc/ssh/*.conf)` stops a search of `/etc`).
//! - `WebFetch(domain:example.com)` matches URLs whose host is `example.com` or a
//!   subdomain of it.

use std::path::Path;

use globset::{GlobBuilder, GlobMatcher};
use serde::{Deserialize, Serialize};
use wildmatch::WildMatch;

/// The tools whose argument is a file path.
pub const PATH_TOOLS: &[&str] = &[
    "Read",
    "Write",
    "Edit",
    "MultiEdit",
    "NotebookEdit",
    "NotebookRead",
    "Glob",
    "Grep",
    "LS",
];

/// Which list a rule sits in; it decides how loosely paths match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListKind {
    /// Runs without asking.
    Allow,
    /// Asks the user (Claude Code's own dialog).
    Confirm,
    /// Refused, with a reason the agent sees.
    Deny,
}

impl ListKind {
    /// `allow`, `confirm` or `deny`, as in the YAML file.
    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::Allow => "allow",
            ListKind::Confirm => "confirm",
            ListKind::Deny => "deny",
        }
    }

    fn strict(self) -> bool {
        self == ListKind::Allow
    }
}

/// One parsed pattern.
#[derive(Debug, Clone)]
pub struct Rule {
    text: String,
    kind: ListKind,
    tool: WildMatch,
    arg: Arg,
}

#[derive(Debug, Clone)]
enum Arg {
    Any,
    Domain(String),
    Glob {
        /// For commands and text: whitespace-normalised.
        text: WildMatch,
        /// For file paths; `None` when the tool part cannot name a path tool.
        path: Option<PathGlob>,
    },
}

#[derive(Debug, Clone)]
struct PathGlob {
    matcher: GlobMatcher,
    absolute: bool,
    /// The leading components without wildcards (`/etc/ssh` for `/etc/ssh/*.conf`).
    fixed: String,
}

/// A stand-in for "some file two levels below": a folder search (`Grep`, `Glob`, `LS`)
/// reads files at any depth, so a rule covers the folder only if it covers those.
const DEEP_CHILD: &str = "\u{1}/\u{1}";

/// A rule serialises as its pattern text.
impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        self.text == other.text && self.kind == other.kind
    }
}

impl Eq for Rule {}

impl Rule {
    /// Parses `text` for list `kind`; `home` expands `~/` in path patterns.
    pub fn parse(text: &str, kind: ListKind, home: Option<&Path>) -> Result<Rule, String> {
        let trimmed = text.trim();
        let (tool_text, arg_text) = match trimmed.find('(') {
            None => (trimmed, None),
            Some(open) => {
                let Some(inner) = trimmed[open + 1..].strip_suffix(')') else {
                    return Err("missing the closing `)`".into());
                };
                (&trimmed[..open], Some(inner))
            }
        };
        if tool_text.is_empty() {
            return Err("no tool name before `(`".into());
        }
        if let Some(bad) = tool_text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '*' | '?')))
        {
            return Err(format!("{bad:?} cannot appear in a tool name"));
        }
        let tool = WildMatch::new_case_insensitive(tool_text);
        let arg = match arg_text.map(str::trim) {
            None | Some("*") => Arg::Any,
            Some("") => return Err("empty `()`: write `Tool` or `Tool(*)` for any call".into()),
            Some(a) => match a.strip_prefix("domain:") {
                Some(d) if !d.trim().is_empty() => Arg::Domain(d.trim().to_ascii_lowercase()),
                Some(_) => return Err("`domain:` needs a host name".into()),
                None => {
                    let names_path_tool = PATH_TOOLS.iter().any(|t| tool.matches(t));
                    let path = match path_glob(a, kind, home) {
                        Ok(g) => Some(g),
                        Err(e) if names_path_tool => return Err(e),
                        Err(_) => None,
                    };
                    let a = super::shell::normalise(a);
                    // Deny and confirm rules ignore case (`CURL` runs curl on a
                    // case-insensitive filesystem, and must not dodge `Bash(curl *)`);
                    // allow rules do not, like paths.
                    let text = if kind.strict() {
                        WildMatch::new(&a)
                    } else {
                        WildMatch::new_case_insensitive(&a)
                    };
                    Arg::Glob { text, path }
                }
            },
        };
        Ok(Rule {
            text: trimmed.to_string(),
            kind,
            tool,
            arg,
        })
    }

    /// The pattern as written (trimmed).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The list this rule was parsed for.
    pub fn kind(&self) -> ListKind {
        self.kind
    }

    /// Whether the tool part matches `tool`.
    pub(crate) fn matches_tool(&self, tool: &str) -> bool {
        self.tool.matches(tool)
    }

    /// Whether the argument part takes any call.
    pub(crate) fn is_any(&self) -> bool {
        matches!(self.arg, Arg::Any)
    }

    /// Matches text (a command spelling, a URL, a query, compact JSON).
    pub(crate) fn matches_text(&self, text: &str) -> bool {
        match &self.arg {
            Arg::Any => true,
            Arg::Domain(d) => url_host(text).is_some_and(|h| {
                h == *d || h.strip_suffix(d.as_str()).is_some_and(|p| p.ends_with('.'))
            }),
            Arg::Glob { text: w, .. } => w.matches(text),
        }
    }

    /// Matches a path: `absolute` forms against absolute patterns, `relative` forms
    /// (paths inside the working folder) against relative ones. For a folder searched
    /// recursively (`dir`), an allow rule must cover files at any depth below it; a deny
    /// or confirm rule matches if it could match anything below it.
    pub(crate) fn matches_path(&self, absolute: &[&str], relative: &[&str], dir: bool) -> bool {
        let g = match &self.arg {
            Arg::Any => return true,
            Arg::Domain(_) | Arg::Glob { path: None, .. } => return false,
            Arg::Glob { path: Some(g), .. } => g,
        };
        let forms = if g.absolute { absolute } else { relative };
        forms.iter().any(|f| {
            if g.matcher.is_match(f) {
                return true;
            }
            if !dir {
                return false;
            }
            let child = if *f == "." {
                DEEP_CHILD.to_string()
            } else {
                format!("{}/{DEEP_CHILD}", f.trim_end_matches('/'))
            };
            g.matcher.is_match(&child) || (!self.strict() && (*f == "." || nested(&g.fixed, f)))
        })
    }

    /// Allow rules match strictly (see the module doc).
    pub(crate) fn strict(&self) -> bool {
        self.kind.strict()
    }
}

fn path_glob(arg: &str, kind: ListKind, home: Option<&Path>) -> Result<PathGlob, String> {
    let expanded = match arg.strip_prefix("~/") {
        Some(rest) => {
            let home = home.ok_or("`~/` needs a home folder, and none is known")?;
            format!(
                "{}/{rest}",
                home.display().to_string().trim_end_matches('/')
            )
        }
        None if arg == "~" => return Err("`~` alone: write `~/**`".into()),
        None => arg.trim_start_matches("./").to_string(),
    };
    let glob = GlobBuilder::new(&expanded)
        .literal_separator(kind.strict())
        .case_insensitive(!kind.strict())
        .build()
        .map_err(|e| format!("invalid path glob: {e}"))?;
    let fixed = expanded
        .split('/')
        .take_while(|c| !c.contains(['*', '?', '[', '{', '\\']))
        .collect::<Vec<_>>()
        .join("/");
    Ok(PathGlob {
        fixed,
        absolute: expanded.starts_with('/'),
        matcher: glob.compile_matcher(),
    })
}

/// Whether one path is the other or lies below it (an empty one is "anything").
fn nested(a: &str, b: &str) -> bool {
    let below = |x: &str, y: &str| {
        x.strip_prefix(y)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    a.is_empty() || below(a, b) || below(b, a)
}

/// The lower-cased host of `scheme://[user@]host[:port]/…`.
fn url_host(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty()).then(|| host.trim_end_matches('.').to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_patterns_are_rejected_with_a_reason() {
        for (p, want) in [
            ("Bash(rm", "closing"),
            ("(rm)", "no tool"),
            ("Bash()", "empty"),
            ("Ba sh(x)", "tool name"),
            ("WebFetch(domain:)", "host"),
            ("Write({a,)", "glob"),
        ] {
            let err = Rule::parse(p, ListKind::Deny, None).expect_err(p);
            assert!(err.contains(want), "{p}: {err}");
        }
    }

    #[test]
    fn tool_part_is_a_case_insensitive_glob() {
        let r = Rule::parse("mcp__github__*", ListKind::Allow, None).unwrap();
        assert!(r.matches_tool("mcp__github__create_issue"));
        assert!(!r.matches_tool("mcp__gitlab__x"));
        let r = Rule::parse("bash(rm*)", ListKind::Deny, None).unwrap();
        assert!(r.matches_tool("Bash"));
        assert!(
            Rule::parse("Bash(*)", ListKind::Deny, None)
                .unwrap()
                .is_any()
        );
        assert!(Rule::parse("Bash", ListKind::Deny, None).unwrap().is_any());
    }

    #[test]
    fn domain_matches_host_and_subdomains_only() {
        let r = Rule::parse("WebFetch(domain:docs.rs)", ListKind::Allow, None).unwrap();
        assert!(r.matches_text("https://docs.rs/serde"));
        assert!(r.matches_text("https://API.docs.rs:443/x"));
        assert!(!r.matches_text("https://docs.rs.evil.com/"));
        assert!(!r.matches_text("https://evildocs.rs/"));
        assert!(!r.matches_text("https://docs.rs@evil.com/"));
    }

    #[test]
    fn path_globs_are_strict_for_allow_and_loose_for_deny() {
        let allow = Rule::parse("Write(/etc/*)", ListKind::Allow, None).unwrap();
        let deny = Rule::parse("Write(/etc/*)", ListKind::Deny, None).unwrap();
        assert!(allow.matches_path(&["/etc/hosts"], &[], false));
        assert!(!allow.matches_path(&["/etc/ssh/sshd_config"], &[], false));
        assert!(deny.matches_path(&["/etc/ssh/sshd_config"], &[], false));
        assert!(deny.matches_path(&["/ETC/passwd"], &[], false));
        let rel = Rule::parse("Write(./src/**)", ListKind::Allow, None).unwrap();
        assert!(rel.matches_path(&["/p/src/a.rs"], &["src/a.rs"], false));
        assert!(!rel.matches_path(&["/p/src/a.rs"], &[], false));
        let home = Rule::parse(
            "Read(~/.ssh/**)",
            ListKind::Deny,
            Some(Path::new("/home/u")),
        )
        .unwrap();
        assert!(home.matches_path(&["/home/u/.ssh/id_ed25519"], &[], false));
        // A folder search: allow must cover any depth, deny anything below.
        let deep = Rule::parse("Grep(/etc/**)", ListKind::Allow, None).unwrap();
        let shallow = Rule::parse("Grep(/etc/*)", ListKind::Allow, None).unwrap();
        let conf = Rule::parse("Grep(/etc/ssh/*.conf)", ListKind::Deny, None).unwrap();
        assert!(deep.matches_path(&["/etc"], &[], true));
        assert!(!shallow.matches_path(&["/etc"], &[], true));
        assert!(!deep.matches_path(&["/etc"], &[], false));
        assert!(conf.matches_path(&["/etc"], &[], true));
        assert!(conf.matches_path(&["/etc/ssh"], &[], true));
        assert!(conf.matches_path(&["/etc/ssh/sub"], &[], true));
        assert!(!conf.matches_path(&["/var"], &[], true));
        assert!(!conf.matches_path(&["/etc/sshd"], &[], true));
        assert!(Rule::parse("Read(~/.ssh/**)", ListKind::Deny, None).is_err());
    }
}
