//! Facts discovered from the configured infrastructure (`infra.yaml`) and from the
//! slots' projects (their manifests), as knowledge entries with stable keys.
//!
//! Every fact's key names where it came from (`discover:infra/db-1`,
//! `discover:/work/app/Cargo.toml`), so storing the facts again updates the same
//! entries: a second run adds no duplicates. Each carries its source file in `source`
//! and at the end of its content. No secret is read: infra headers are never looked
//! at, and a health URL holding a `${secret:…}` reference is left out.
//!
//! - [`manifests`]: what a project's manifests say (Cargo.toml, package.json scripts,
//!   Makefile targets, pyproject.toml, docker compose services).

pub mod manifests;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::infra::InfraConfig;
use crate::kb::{KEY_MAX_CHARS, SOURCE_MAX_CHARS};

/// Category of facts about servers and services.
pub const INFRA_CATEGORY: &str = "infra";
/// Category of facts about projects.
pub const PROJECT_CATEGORY: &str = "project";

/// One discovered fact, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// Stable key (`discover:…`).
    pub key: String,
    /// Title.
    pub title: String,
    /// Content, ending with the source file.
    pub content: String,
    /// Category.
    pub category: String,
    /// Tags.
    pub tags: Vec<String>,
    /// `discover:<file>` (cut to the allowed length).
    pub source: String,
    /// The file it came from.
    pub origin: PathBuf,
}

/// A project to look at: a slot's working folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// The slots working there.
    pub slots: Vec<String>,
    /// The folder.
    pub dir: PathBuf,
}

/// What a discovery found, and what it could not read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    /// The facts, infrastructure first, then projects in the order given.
    pub facts: Vec<Fact>,
    /// Files that could not be read or parsed, with why.
    pub problems: Vec<String>,
}

/// Discovers facts from `infra` and `projects`.
pub fn discover(infra: Option<&InfraConfig>, projects: &[Project]) -> Discovery {
    let mut out = Discovery::default();
    if let Some(infra) = infra {
        out.facts.extend(infra_facts(infra));
    }
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    for p in projects {
        let dir = std::fs::canonicalize(&p.dir).unwrap_or_else(|_| p.dir.clone());
        if !seen.insert(dir.clone()) {
            continue;
        }
        manifests::scan(&dir, &p.slots, &mut out);
    }
    out
}

/// The slots' folders, each once, with the slots working there.
pub fn projects_of<'a>(slots: impl IntoIterator<Item = (&'a str, &'a Path)>) -> Vec<Project> {
    let mut out: Vec<Project> = Vec::new();
    for (id, dir) in slots {
        match out.iter_mut().find(|p| p.dir == dir) {
            Some(p) => p.slots.push(id.to_string()),
            None => out.push(Project {
                slots: vec![id.to_string()],
                dir: dir.to_path_buf(),
            }),
        }
    }
    out
}

fn infra_facts(infra: &InfraConfig) -> Vec<Fact> {
    infra
        .items
        .iter()
        .map(|item| {
            let mut content = format!("{} `{}`", item.kind, item.name);
            if let Some(a) = &item.address {
                content.push_str(&format!(" lives at {a}"));
            }
            content.push('.');
            if let Some(h) = item.health.as_deref().filter(|h| !h.contains("${secret:")) {
                content.push_str(&format!(" Health check: {h}."));
            }
            if !item.tags.is_empty() {
                content.push_str(&format!(" Tags: {}.", item.tags.join(", ")));
            }
            if let Some(n) = &item.notes {
                content.push_str(&format!("\n{n}"));
            }
            let mut tags = vec!["discovered".to_string(), "infra".to_string()];
            tags.extend(item.tags.iter().take(10).cloned());
            fact(
                format!("infra/{}", item.name),
                format!("{} {}", item.kind, item.name),
                content,
                INFRA_CATEGORY,
                tags,
                &infra.path,
            )
        })
        .collect()
}

/// A fact with its key, source and origin filled in from `origin`.
pub(crate) fn fact(
    what: String,
    title: String,
    content: String,
    category: &str,
    tags: Vec<String>,
    origin: &Path,
) -> Fact {
    let shown = origin.display().to_string();
    Fact {
        key: cut_left(&format!("discover:{what}"), KEY_MAX_CHARS),
        title: title.chars().take(crate::kb::TITLE_MAX_CHARS).collect(),
        content: format!("{content}\n\n(Discovered from {shown}.)"),
        category: category.to_string(),
        tags: tags
            .into_iter()
            .map(|t| {
                t.to_lowercase()
                    .chars()
                    .take(crate::kb::TAG_MAX_CHARS)
                    .collect()
            })
            .collect::<Vec<String>>()
            .into_iter()
            .fold(Vec::new(), |mut acc, t| {
                if !acc.contains(&t) && acc.len() < crate::kb::TAGS_MAX {
                    acc.push(t);
                }
                acc
            }),
        source: cut_left(&format!("discover:{shown}"), SOURCE_MAX_CHARS),
        origin: origin.to_path_buf(),
    }
}

/// `text` at most `max` characters, cutting from the left (the end of a path says most).
fn cut_left(text: &str, max: usize) -> String {
    let n = text.chars().count();
    if n <= max {
        return text.to_string();
    }
    let tail: String = text.chars().skip(n - (max - 1)).collect();
    format!("…{tail}")
}
