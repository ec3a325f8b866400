//! The LLM pass over the knowledge base: entries in batches of bounded size, one prompt
//! per batch, and the model's JSON answer read back into proposals.
//!
//! Related entries must meet in one batch to be seen as duplicates, so entries are
//! sorted by category, then key, then title before they are cut into batches.

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;

use super::proposals::{Draft, ProposalKind};
use crate::kb::{CONTENT_MAX_BYTES, Entry, TITLE_MAX_CHARS};
use crate::router::{Message, Role};
use crate::time::rfc3339_ms;

/// Default characters of entries in one prompt.
pub const BATCH_CHARS_DEFAULT: usize = 24_000;
/// Smallest batch budget a call may ask for.
pub const BATCH_CHARS_MIN: usize = 2_000;
/// Largest batch budget a call may ask for.
pub const BATCH_CHARS_MAX: usize = 200_000;
/// Characters of one entry's content shown to the model (longer ones are cut).
pub const ENTRY_CHARS_MAX: usize = 2_000;

/// What the model is told to do, and the answer's shape.
pub const INSTRUCTIONS: &str = "You maintain the knowledge base of a team of software \
agents. You are given entries, each headed `### entry <id>`. Find (1) duplicates: entries \
that say the same thing and should be merged into one; (2) contradictions: entries that \
disagree; (3) stale entries: outdated, obsolete, or about things that no longer exist. \
Answer with one JSON object and nothing else, in this shape:\n\
{\"proposals\": [\n\
  {\"kind\": \"merge\", \"ids\": [<id>, <id>], \"keep\": <id>, \"title\": \"<title of the merged entry>\", \"content\": \"<merged content keeping every distinct fact>\", \"reason\": \"<why>\"},\n\
  {\"kind\": \"contradiction\", \"ids\": [<id>, <id>], \"keep\": <id of the entry that is right, or null when you cannot tell>, \"reason\": \"<what disagrees>\"},\n\
  {\"kind\": \"stale\", \"ids\": [<id>], \"reason\": \"<why it is outdated>\"}\n\
]}\n\
Use only ids of the entries given. When nothing needs doing, answer {\"proposals\": []}.";

/// One entry as the model sees it.
pub fn render(e: &Entry) -> String {
    let mut out = format!("### entry {}\n", e.id);
    if let Some(key) = &e.key {
        out.push_str(&format!("key: {key}\n"));
    }
    if let Some(title) = &e.title {
        out.push_str(&format!("title: {title}\n"));
    }
    out.push_str(&format!(
        "category: {}\nupdated: {}\nreads: {}\n",
        e.category,
        rfc3339_ms(e.updated_at),
        e.hits
    ));
    if !e.tags.is_empty() {
        out.push_str(&format!("tags: {}\n", e.tags.join(", ")));
    }
    let mut chars = e.content.chars();
    let head: String = chars.by_ref().take(ENTRY_CHARS_MAX).collect();
    out.push_str(&head);
    if chars.next().is_some() {
        out.push_str(" [… cut]");
    }
    out.push('\n');
    out
}

/// The entries cut into batches whose rendered text stays within `budget` characters
/// (an entry larger than the budget alone makes a batch), related entries together.
pub fn batches(entries: &[Entry], budget: usize) -> Vec<Vec<&Entry>> {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| {
        (
            a.category.as_str(),
            a.key.as_deref(),
            a.title.as_deref(),
            a.id,
        )
            .cmp(&(
                b.category.as_str(),
                b.key.as_deref(),
                b.title.as_deref(),
                b.id,
            ))
    });
    let mut out: Vec<Vec<&Entry>> = Vec::new();
    let mut size = 0usize;
    for e in sorted {
        let len = render(e).chars().count();
        match out.last_mut() {
            Some(batch) if size + len <= budget => {
                batch.push(e);
                size += len;
            }
            _ => {
                out.push(vec![e]);
                size = len;
            }
        }
    }
    out
}

/// The messages of one batch's prompt.
pub fn prompt(batch: &[&Entry], index: usize, count: usize) -> Vec<Message> {
    let mut user = format!(
        "Knowledge entries, batch {} of {count} ({} entries):\n\n",
        index + 1,
        batch.len()
    );
    for e in batch {
        user.push_str(&render(e));
        user.push('\n');
    }
    vec![
        Message::new(Role::System, INSTRUCTIONS),
        Message::new(Role::User, user),
    ]
}

#[derive(Debug, Deserialize)]
struct Answer {
    proposals: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct RawProposal {
    kind: String,
    ids: Vec<i64>,
    #[serde(default)]
    keep: Option<i64>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

/// What one batch's answer yields.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Proposals that name only entries of the batch and are complete.
    pub drafts: Vec<Draft>,
    /// Proposals left out, each with why.
    pub rejected: Vec<String>,
}

/// Reads the model's answer to a batch. `Err` when it is not the JSON object asked for
/// (the text says what was wrong and how the answer began).
pub fn parse(text: &str, batch: &[&Entry]) -> Result<Parsed, String> {
    let start = text.find('{');
    let end = text.rfind('}');
    let json = match (start, end) {
        (Some(s), Some(e)) if s < e => &text[s..=e],
        _ => return Err(format!("it holds no JSON object; it began: {}", head(text))),
    };
    let answer: Answer = serde_json::from_str(json).map_err(|e| {
        format!(
            "it is not the JSON asked for ({e}); it began: {}",
            head(text)
        )
    })?;
    let known: HashMap<i64, &Entry> = batch.iter().map(|e| (e.id, *e)).collect();
    let mut parsed = Parsed::default();
    for (i, value) in answer.proposals.into_iter().enumerate() {
        match check(value, &known) {
            Ok(draft) => parsed.drafts.push(draft),
            Err(why) => parsed.rejected.push(format!("proposal {i}: {why}")),
        }
    }
    Ok(parsed)
}

fn check(value: serde_json::Value, known: &HashMap<i64, &Entry>) -> Result<Draft, String> {
    let raw: RawProposal = serde_json::from_value(value).map_err(|e| e.to_string())?;
    let kind = match raw.kind.to_ascii_lowercase().as_str() {
        "merge" | "duplicate" => ProposalKind::Merge,
        "contradiction" => ProposalKind::Contradiction,
        "stale" => ProposalKind::Stale,
        other => return Err(format!("unknown kind `{other}`")),
    };
    let ids: Vec<i64> = raw
        .ids
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if ids.is_empty() {
        return Err("names no entry".into());
    }
    if let Some(bad) = ids.iter().find(|id| !known.contains_key(id)) {
        return Err(format!("names entry {bad}, which is not in the batch"));
    }
    if let Some(keep) = raw.keep
        && !ids.contains(&keep)
    {
        return Err(format!("keeps entry {keep}, which is not among its ids"));
    }
    let reason = raw
        .reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "(no reason given)".into());
    let (mut title, mut content) = (None, None);
    match kind {
        ProposalKind::Merge => {
            if ids.len() < 2 {
                return Err("a merge needs at least two entries".into());
            }
            let merged = raw
                .content
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .ok_or("a merge needs the merged content")?;
            if merged.len() > CONTENT_MAX_BYTES {
                return Err("the merged content is over 64 KiB".into());
            }
            content = Some(merged);
            title = raw
                .title
                .map(|t| t.trim().chars().take(TITLE_MAX_CHARS).collect::<String>())
                .filter(|t| !t.is_empty());
        }
        ProposalKind::Contradiction if ids.len() < 2 => {
            return Err("a contradiction needs at least two entries".into());
        }
        _ => {}
    }
    let keep = match kind {
        ProposalKind::Merge => Some(raw.keep.unwrap_or(ids[0])),
        ProposalKind::Contradiction => raw.keep,
        ProposalKind::Stale => None,
    };
    let snapshot = ids.iter().map(|id| (*id, known[id].updated_at)).collect();
    Ok(Draft {
        kind,
        entry_ids: ids,
        keep,
        title,
        content,
        reason,
        snapshot,
    })
}

fn head(text: &str) -> String {
    let t = text.trim();
    let h: String = t.chars().take(120).collect();
    if h.len() < t.len() {
        format!("«{h}…»")
    } else {
        format!("«{h}»")
    }
}
