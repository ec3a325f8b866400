//! Knowledge put in front of an agent: which words of a prompt to search the knowledge
//! base with, and the entries found written as a bounded block of context (pure; the
//! store finds and logs, see `store/injections.rs`).

use crate::conversations::cap_text;
use crate::kb::query::{Combine, FtsQuery, build};

/// Most words of a prompt searched (the longest, which say the most).
pub const PROMPT_TERMS_MAX: usize = 16;
/// Default size budget of the context added to one prompt.
pub const PROMPT_BUDGET_DEFAULT: usize = 4 * 1024;
/// Default number of entries added to one prompt.
pub const PROMPT_ENTRIES_DEFAULT: u32 = 5;
/// Default size budget of the knowledge in mission-mcp's server instructions.
pub const INSTRUCTIONS_BUDGET_DEFAULT: usize = 4 * 1024;
/// Largest budget anyone may configure.
pub const BUDGET_MAX: usize = 64 * 1024;

/// Importance of an entry, for ranking (stored per entry; `normal` when not given).
pub const TIERS: &[&str] = &["core", "important", "normal", "low"];

/// Words too common to find anything by.
const STOPWORDS: &[&str] = &[
    "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was",
    "one", "our", "out", "has", "have", "him", "his", "how", "its", "let", "may", "now", "see",
    "she", "too", "use", "way", "who", "did", "get", "got", "this", "that", "with", "from", "what",
    "when", "where", "which", "will", "would", "could", "should", "there", "their", "them", "then",
    "than", "these", "those", "into", "onto", "about", "please", "some", "make", "does", "done",
    "just", "also", "only", "very", "here", "your", "yours", "were", "been", "being", "want",
    "need", "like", "each", "such", "why", "while", "after", "before", "again", "more", "most",
    "other", "over", "under", "same", "both", "few", "own", "off", "once",
];

/// The words of `prompt` worth searching for: letters and digits (with `-`, `_`, `.`
/// inside), lower-cased, at least three characters, no stopwords, no repeats, the
/// longest [`PROMPT_TERMS_MAX`] in prompt order.
pub fn prompt_terms(prompt: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for raw in prompt.split(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
        let word = raw
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        if word.chars().count() < 3 || STOPWORDS.contains(&word.as_str()) {
            continue;
        }
        if !words.contains(&word) {
            words.push(word);
        }
    }
    if words.len() > PROMPT_TERMS_MAX {
        let mut by_length: Vec<usize> = (0..words.len()).collect();
        by_length.sort_by_key(|&i| std::cmp::Reverse(words[i].chars().count()));
        let mut keep: Vec<usize> = by_length.into_iter().take(PROMPT_TERMS_MAX).collect();
        keep.sort_unstable();
        words = keep.into_iter().map(|i| words[i].clone()).collect();
    }
    words
}

/// The FTS query for `prompt` (any word may match; more matches rank higher), `None`
/// when nothing in it is worth searching.
pub fn prompt_query(prompt: &str) -> Option<FtsQuery> {
    let terms = prompt_terms(prompt);
    if terms.is_empty() {
        return None;
    }
    build(&terms.join(" "), Combine::Any)
        .ok()
        .filter(|q| !q.is_empty())
}

/// An entry as injected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injectable {
    /// Its id.
    pub id: i64,
    /// Its key, if any.
    pub key: Option<String>,
    /// Its title, if any.
    pub title: Option<String>,
    /// Its category.
    pub category: String,
    /// Its tier.
    pub tier: String,
    /// Its content.
    pub content: String,
}

/// The entries written as one block of at most `budget` bytes, best first; an entry
/// that does not fit whole is cut (the first) or left out (the others). Returns the
/// text and the ids of the entries it holds (empty text when none fit).
pub fn render_context(header: &str, entries: &[Injectable], budget: usize) -> (String, Vec<i64>) {
    let mut out = String::new();
    let mut ids = Vec::new();
    if entries.is_empty() || budget <= header.len() + 16 {
        return (out, ids);
    }
    out.push_str(header);
    out.push('\n');
    for e in entries {
        let name = match (&e.title, &e.key) {
            (Some(title), _) => title.clone(),
            (None, Some(key)) => key.clone(),
            (None, None) => String::new(),
        };
        let label = if name.is_empty() {
            format!("- [{} · kb#{}] ", e.category, e.id)
        } else {
            format!("- [{} · kb#{}] {name}: ", e.category, e.id)
        };
        let content = e.content.split_whitespace().collect::<Vec<_>>().join(" ");
        let room = budget.saturating_sub(out.len() + label.len() + 1);
        if room < 24 {
            break;
        }
        let line = if content.len() < room {
            format!("{label}{content}\n")
        } else if ids.is_empty() || room >= 200 {
            let (head, _) = cap_text(&content, room.saturating_sub(4));
            format!("{label}{head}…\n")
        } else {
            break;
        };
        out.push_str(&line);
        ids.push(e.id);
    }
    if ids.is_empty() {
        out.clear();
    }
    (out, ids)
}

/// The internal IPC method mission-mcp calls for the knowledge of its server
/// instructions (`{"text": "..."}`; slots' endpoints do not serve it).
pub const INSTRUCTIONS_METHOD: &str = "memory.instructions";
/// Entries considered for the server instructions.
pub const INSTRUCTIONS_ENTRIES_MAX: u32 = 30;

/// Header of the context added to a slot's prompt.
pub const PROMPT_HEADER: &str = "Knowledge the team recorded that may bear on this prompt (missiond knowledge base; \
     mission_kb_get gives an entry in full):";
/// Header of the knowledge in the orchestrator's server instructions.
pub const INSTRUCTIONS_HEADER: &str = "What the team knows (missiond knowledge base, most important first; \
     mission_kb_search finds more):";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_terms_keep_distinctive_words_in_order() {
        let terms =
            prompt_terms("How do I deploy the billing-service to Staging? The staging box!");
        assert_eq!(terms, vec!["deploy", "billing-service", "staging", "box"]);
        assert!(prompt_terms("a an to of it is").is_empty());
        assert!(prompt_query("?? !! ...").is_none());
        let many: String = (0..40)
            .map(|i| format!("w{} ", "x".repeat(i % 7 + 2)))
            .collect();
        assert!(prompt_terms(&many).len() <= PROMPT_TERMS_MAX);
        let q = prompt_query("\"quoted\" (parens) NEAR* deploy").unwrap();
        assert_eq!(q.terms, vec!["quoted", "parens", "near", "deploy"]);
        assert!(q.expression.contains(" OR "), "{}", q.expression);
    }

    fn entry(id: i64, content: &str) -> Injectable {
        Injectable {
            id,
            key: None,
            title: Some(format!("entry {id}")),
            category: "howto".into(),
            tier: "normal".into(),
            content: content.into(),
        }
    }

    #[test]
    fn context_stays_within_its_budget_and_names_what_it_holds() {
        let entries = [
            entry(1, "Build with `make release`."),
            entry(2, &"long ".repeat(500)),
            entry(3, "Tests: cargo test -p core."),
        ];
        let (text, ids) = render_context(PROMPT_HEADER, &entries, 400);
        assert!(text.len() <= 400, "{}", text.len());
        assert!(text.starts_with(PROMPT_HEADER));
        assert!(text.contains("kb#1] entry 1: Build with `make release`."));
        assert_eq!(ids[0], 1);
        for id in &ids {
            assert!(text.contains(&format!("kb#{id}]")));
        }
        let (all, ids) = render_context(PROMPT_HEADER, &entries, 10_000);
        assert_eq!(ids, vec![1, 2, 3]);
        assert!(all.contains("Tests: cargo test -p core."));
        let (none, ids) = render_context(PROMPT_HEADER, &entries, 20);
        assert!(none.is_empty() && ids.is_empty());
        let (empty, _) = render_context(PROMPT_HEADER, &[], 10_000);
        assert!(empty.is_empty());
    }
}
