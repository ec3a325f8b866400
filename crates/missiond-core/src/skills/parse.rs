//! One `SKILL.md`: front matter between `---` lines, then the body.

use std::path::Path;

use serde::Deserialize;

/// What the front matter gives (other keys, like `allowed-tools`, are ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatter {
    /// `name`, when present.
    pub name: Option<String>,
    /// `description`.
    pub description: String,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    name: Option<serde_json::Value>,
    #[serde(default)]
    description: Option<serde_json::Value>,
}

/// Splits `text` into front matter and body; the error says what is wrong, for a
/// person fixing the file.
pub fn parse(text: &str) -> Result<(FrontMatter, String), String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err(
            "no front matter: the file must start with a `---` line, then \
                    `name:` and `description:`, then `---`"
                .into(),
        );
    }
    let mut yaml = String::new();
    let mut closed = false;
    let mut consumed = first.len();
    for line in lines {
        consumed += line.len();
        if line.trim_end() == "---" {
            closed = true;
            break;
        }
        yaml.push_str(line);
    }
    if !closed {
        return Err("the front matter has no closing `---` line".into());
    }
    let body = text[consumed..]
        .trim_start_matches(['\r', '\n'])
        .to_string();
    let raw: Raw = if yaml.trim().is_empty() {
        Raw {
            name: None,
            description: None,
        }
    } else {
        serde_saphyr::from_str(&yaml).map_err(|e| {
            let msg = e.to_string();
            let first = msg.lines().next().unwrap_or("invalid YAML").to_string();
            // Lines count from the file's start: the front matter begins on line 2.
            match e.location().map(|l| l.line()).filter(|l| *l > 0) {
                Some(l) => format!("front matter line {}: {first}", l + 1),
                None => format!("front matter: {first}"),
            }
        })?
    };
    let text_of = |field: &str, v: Option<serde_json::Value>| -> Result<Option<String>, String> {
        match v {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.trim().to_string())),
            Some(other) => Err(format!("front matter `{field}` must be text, not {other}")),
        }
    };
    let name = text_of("name", raw.name)?.filter(|n| !n.is_empty());
    let description = text_of("description", raw.description)?
        .filter(|d| !d.is_empty())
        .ok_or("front matter has no `description` (Claude Code needs it to know when to use the skill)")?;
    if let Some(n) = &name
        && (n.len() > 200 || n.contains(['\n', '\r']))
    {
        return Err("front matter `name` must be one line of at most 200 characters".into());
    }
    Ok((FrontMatter { name, description }, body))
}

/// The skill's folder name (the fallback name).
pub fn folder_name(path: &Path) -> Option<String> {
    path.parent()?
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
}
