//! IPC routing for the skill tools: scan the skill folders (at each call: skills are
//! files people edit), search them, and build a task's context with the knowledge base.

use std::sync::Arc;

use missiond_core::catalogue::{
    self as cat, CONTEXT_DEFAULT_BYTES, CONTEXT_MAX_BYTES, ContextBuildResult, ContextSourceKind,
    SKILL_SEARCH_DEFAULT, SKILL_SEARCH_MAX, SkillHit, SkillListResult, SkillSearchResult, Tool,
    encode,
};
use missiond_core::ipc::{ErrorCode, RpcError};
use missiond_core::kb::query::Combine;
use missiond_core::skills::context::{self, Part};
use missiond_core::skills::scan::{Roots, Scan, scan};
use missiond_core::skills::{Skill, index};
use serde_json::Value;

use super::supervisor::Supervisor;

/// Answer `method` if it is one of these tools; `None` for any other method.
pub async fn handle(
    sup: &Arc<Supervisor>,
    method: &str,
    params: &Value,
) -> Option<Result<Value, RpcError>> {
    let sup = sup.clone();
    let params = params.clone();
    let run = match method {
        cat::SkillList::NAME => |sup: &Supervisor, params: Value| {
            cat::SkillList::params(params)
                .map(|p| list(sup, &p))
                .and_then(encode)
        },
        cat::SkillSearch::NAME => |sup: &Supervisor, params: Value| {
            cat::SkillSearch::params(params)
                .and_then(|p| search(sup, &p))
                .and_then(encode)
        },
        cat::ContextBuild::NAME => |sup: &Supervisor, params: Value| {
            cat::ContextBuild::params(params)
                .and_then(|p| build(sup, &p))
                .and_then(encode)
        },
        _ => return None,
    };
    // Folder scans and SQLite work: off the async threads.
    Some(
        tokio::task::spawn_blocking(move || run(&sup, params))
            .await
            .unwrap_or_else(|e| Err(RpcError::internal(format!("skills: {e}")))),
    )
}

fn roots(sup: &Supervisor) -> Roots {
    Roots {
        config_dir: Roots::config_dir_from_env(),
        projects: sup
            .slots()
            .map(|s| (s.spec.id.clone(), s.spec.config.cwd.clone()))
            .collect(),
    }
}

fn list(sup: &Supervisor, p: &cat::SkillListParams) -> SkillListResult {
    let Scan {
        skills,
        errors,
        searched,
    } = scan(&roots(sup));
    SkillListResult {
        skills: skills
            .iter()
            .filter(|s| p.source.is_none_or(|src| s.source == src))
            .map(Skill::info)
            .collect(),
        errors,
        searched,
    }
}

fn bad_query(e: missiond_core::kb::validate::InvalidField, field: &str) -> RpcError {
    RpcError::invalid_params(field, e.reason)
}

fn search(sup: &Supervisor, p: &cat::SkillSearchParams) -> Result<SkillSearchResult, RpcError> {
    if p.query.trim().is_empty() {
        return Err(RpcError::invalid_params("query", "is blank"));
    }
    let limit = p.limit.unwrap_or(SKILL_SEARCH_DEFAULT);
    if !(1..=SKILL_SEARCH_MAX).contains(&limit) {
        return Err(RpcError::invalid_params(
            "limit",
            format!("{limit} is out of range (1 to {SKILL_SEARCH_MAX})"),
        ));
    }
    let fts = index::query(&p.query, Combine::All).map_err(|e| bad_query(e, "query"))?;
    let found = scan(&roots(sup));
    let hits = index::search(&found.skills, &fts, limit)
        .map_err(|e| RpcError::new(ErrorCode::StorageError, e.to_string()))?;
    Ok(SkillSearchResult {
        hits: hits
            .into_iter()
            .map(|h| SkillHit {
                skill: found.skills[h.index].info(),
                snippet: h.snippet,
                score: h.score,
            })
            .collect(),
        errors: found.errors,
    })
}

fn build(sup: &Supervisor, p: &cat::ContextBuildParams) -> Result<ContextBuildResult, RpcError> {
    if p.task.trim().is_empty() {
        return Err(RpcError::invalid_params("task", "is blank"));
    }
    let max_bytes = p.max_bytes.unwrap_or(CONTEXT_DEFAULT_BYTES);
    if !(256..=CONTEXT_MAX_BYTES).contains(&max_bytes) {
        return Err(RpcError::invalid_params(
            "maxBytes",
            format!("{max_bytes} is out of range (256 to {CONTEXT_MAX_BYTES})"),
        ));
    }
    let fts = index::query(&p.task, Combine::Any).map_err(|e| bad_query(e, "task"))?;
    let found = scan(&roots(sup));
    let skill_part = |s: &Skill| Part {
        kind: ContextSourceKind::Skill,
        name: s.name.clone(),
        location: s.path.display().to_string(),
        text: format!("{}\n\n{}", s.description, s.body),
    };
    let mut parts = Vec::new();
    for name in p.skills.iter().flatten() {
        let skill = found
            .skills
            .iter()
            .find(|s| &s.name == name)
            .ok_or_else(|| {
                RpcError::invalid_params(
                    "skills",
                    format!("no skill named {name:?} (mission_skill_list lists them)"),
                )
            })?;
        parts.push(skill_part(skill));
    }
    let hits = index::search(&found.skills, &fts, 20)
        .map_err(|e| RpcError::new(ErrorCode::StorageError, e.to_string()))?;
    parts.extend(hits.iter().map(|h| skill_part(&found.skills[h.index])));
    if !fts.is_empty() {
        let query = missiond_core::kb::SearchQuery {
            fts,
            filter: Default::default(),
            limit: 20,
        };
        let now = missiond_core::time::now_ms();
        let kb = sup
            .ctx
            .records
            .store()
            .kb_search(&query, now)
            .map_err(|e| RpcError::new(ErrorCode::StorageError, e.to_string()))?;
        parts.extend(kb.into_iter().map(|h| {
            Part {
                kind: ContextSourceKind::Kb,
                name: h
                    .entry
                    .key
                    .clone()
                    .or_else(|| h.entry.title.clone())
                    .unwrap_or_else(|| format!("#{}", h.entry.id)),
                location: format!("kb:{}", h.entry.id),
                text: h.entry.content,
            }
        }));
    }
    Ok(context::build(&p.task, parts, max_bytes))
}
