//! IPC routing for the sessions watcher's tools (`mission_cc_*`): what `cc_watch` keeps
//! (status files, task lists) joined with what the conversations store recorded of each
//! session (tokens, model, last message).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use missiond_core::catalogue::{self as cat, Tool, encode};
use missiond_core::cc::model::{CcListedTask, CcSession};
use missiond_core::conversations::{Source, TokenQuery, Usage};
use missiond_core::ipc::RpcError;
use missiond_core::store::Store;
use missiond_core::tasks::SubmitRequest;
use missiond_core::time::{now_ms, rfc3339_ms};
use serde_json::Value;

use super::cc_watch::live::{self, Snapshot};
use super::dispatch::Dispatcher;
use super::supervisor::Supervisor;

/// Answer `method` if it is one of these tools; `None` for any other method.
pub fn handle(
    sup: &Supervisor,
    dispatch: &Arc<Dispatcher>,
    method: &str,
    params: &Value,
) -> Option<Result<Value, RpcError>> {
    let result = match method {
        cat::CcSessions::NAME => cat::CcSessions::params(params.clone())
            .and_then(|p| sessions(sup, &p))
            .and_then(encode),
        cat::CcTasks::NAME => cat::CcTasks::params(params.clone())
            .and_then(|p| tasks(sup, &p))
            .and_then(encode),
        cat::CcOverview::NAME => cat::CcOverview::params(params.clone())
            .and_then(|_| overview(sup))
            .and_then(encode),
        cat::CcInProgress::NAME => cat::CcInProgress::params(params.clone())
            .map(|_| in_progress(&live::snapshot()))
            .and_then(encode),
        cat::CcTriggerSwarm::NAME => cat::CcTriggerSwarm::params(params.clone())
            .and_then(|p| trigger_swarm(sup, dispatch, &p))
            .and_then(encode),
        _ => return None,
    };
    Some(result)
}

fn storage(e: missiond_core::store::StoreError) -> RpcError {
    e.to_rpc()
}

/// Every session running or active within `recent_hours`, latest first.
fn collect(
    sup: &Supervisor,
    snap: &Snapshot,
    recent_hours: u32,
    limit: u32,
) -> Result<Vec<CcSession>, RpcError> {
    let store = sup.ctx.records.store();
    let since = now_ms() - i64::from(recent_hours) * 3_600_000;
    let slots = live::slot_sessions(sup);
    let mut ids: Vec<String> = snap
        .sessions
        .iter()
        // A stale file (a killed session's) is as recent as its last write, not as the
        // daemon's first look at it.
        .filter(|(_, s)| {
            s.alive || s.record.updated_at.or(s.record.started_at).unwrap_or(0) >= since
        })
        .map(|(id, _)| id.clone())
        .collect();
    let known: HashSet<String> = ids.iter().cloned().collect();
    ids.extend(
        store
            .recent_sessions(since, cat::CC_SESSIONS_MAX)
            .map_err(storage)?
            .into_iter()
            .filter(|id| !known.contains(id)),
    );
    let mut out = Vec::new();
    for id in ids {
        out.push(session(store, snap, &slots, &id)?);
    }
    out.sort_by(|a, b| {
        b.active
            .cmp(&a.active)
            .then_with(|| b.last_activity.cmp(&a.last_activity))
    });
    out.truncate(limit as usize);
    Ok(out)
}

fn session(
    store: &Store,
    snap: &Snapshot,
    slots: &HashMap<String, String>,
    id: &str,
) -> Result<CcSession, RpcError> {
    let summary = store
        .session_summary(id)
        .map_err(storage)?
        .unwrap_or_default();
    let live = snap.sessions.get(id);
    let status = match live {
        Some(s) if s.alive => s.record.status.clone().unwrap_or_else(|| "unknown".into()),
        Some(_) => "exited".into(),
        None => "unknown".into(),
    };
    let status_at = live.map(|s| s.record.status_updated_at.unwrap_or(s.seen_at));
    let last = summary.last_message_ms.max(status_at);
    let slot_id = slots
        .get(id)
        .cloned()
        .or_else(|| (!summary.slot_id.is_empty()).then(|| summary.slot_id.clone()));
    let cwd = live.and_then(|s| s.record.cwd.clone());
    Ok(CcSession {
        session_id: id.to_string(),
        project: summary.project.clone().or_else(|| {
            cwd.as_deref()
                .map(missiond_core::history::sources::project_slug)
        }),
        cwd,
        config_dir: live
            .map(|s| s.config_dir.to_string_lossy().into_owned())
            .or(summary.config_dir)
            .unwrap_or_default(),
        status,
        waiting_for: live
            .filter(|s| s.alive)
            .and_then(|s| s.record.waiting_for.clone()),
        active: live.is_some_and(|s| s.alive),
        pid: live.map(|s| s.record.pid),
        kind: live.and_then(|s| s.record.kind.clone()),
        name: live.and_then(|s| s.record.name.clone()),
        model: summary.model,
        tokens: summary.tokens,
        last_activity: last.map(rfc3339_ms),
        slot_id,
    })
}

fn sessions(
    sup: &Supervisor,
    p: &cat::CcSessionsParams,
) -> Result<cat::CcSessionsResult, RpcError> {
    let snap = live::snapshot();
    let limit = p.limit.unwrap_or(cat::CC_SESSIONS_MAX);
    if !(1..=cat::CC_SESSIONS_MAX).contains(&limit) {
        return Err(RpcError::invalid_params(
            "limit",
            format!("{limit} is outside 1..{}", cat::CC_SESSIONS_MAX),
        ));
    }
    let hours = p.recent_hours.unwrap_or(cat::CC_RECENT_HOURS_DEFAULT);
    if hours == 0 {
        return Err(RpcError::invalid_params(
            "recentHours",
            "must be at least 1",
        ));
    }
    let mut list = collect(sup, &snap, hours, limit)?;
    if p.active_only == Some(true) {
        list.retain(|s| s.active);
    }
    Ok(cat::CcSessionsResult {
        sessions: list,
        config_dirs: dirs(&snap),
    })
}

fn dirs(snap: &Snapshot) -> Vec<String> {
    snap.roots
        .iter()
        .map(|r| r.to_string_lossy().into_owned())
        .collect()
}

fn listed(
    snap: &Snapshot,
    keep: impl Fn(&str, &missiond_core::cc::tasks::CcTask) -> bool,
) -> Vec<CcListedTask> {
    snap.lists
        .values()
        .flat_map(|l| {
            l.tasks
                .iter()
                .filter(|t| keep(&l.id, t))
                .map(|t| CcListedTask {
                    task_list_id: l.id.clone(),
                    config_dir: l.config_dir.to_string_lossy().into_owned(),
                    task: t.clone(),
                })
        })
        .collect()
}

fn tasks(sup: &Supervisor, p: &cat::CcTasksParams) -> Result<cat::CcTasksResult, RpcError> {
    let id = p.session_id.trim();
    if id.is_empty() {
        return Err(RpcError::invalid_params("sessionId", "must not be empty"));
    }
    let snap = live::snapshot();
    let has_list = snap.lists.values().any(|l| l.id == id);
    let known = has_list
        || snap.sessions.contains_key(id)
        || sup
            .ctx
            .records
            .store()
            .session_summary(id)
            .map_err(storage)?
            .is_some();
    if !known {
        return Err(RpcError::invalid_params(
            "sessionId",
            format!(
                "unknown session `{id}`: no status file, transcript or task list of it was \
                 seen (mission_cc_sessions lists the sessions)"
            ),
        ));
    }
    Ok(cat::CcTasksResult {
        session_id: id.to_string(),
        tasks: listed(&snap, |list, _| list == id),
    })
}

fn overview(sup: &Supervisor) -> Result<cat::CcOverviewResult, RpcError> {
    let snap = live::snapshot();
    let list = collect(
        sup,
        &snap,
        cat::CC_RECENT_HOURS_DEFAULT,
        cat::CC_SESSIONS_MAX,
    )?;
    let mut by_status: BTreeMap<String, u64> = BTreeMap::new();
    for s in list.iter().filter(|s| s.active) {
        *by_status.entry(s.status.clone()).or_default() += 1;
    }
    let mut tasks = cat::CcTaskCounts {
        lists: snap.lists.len() as u64,
        ..cat::CcTaskCounts::default()
    };
    for t in snap.lists.values().flat_map(|l| &l.tasks) {
        tasks.total += 1;
        match t.status.as_str() {
            "pending" => tasks.pending += 1,
            "in_progress" => tasks.in_progress += 1,
            "completed" => tasks.completed += 1,
            _ => {}
        }
    }
    let store = sup.ctx.records.store();
    let usage = |source: Source| -> Result<Usage, RpcError> {
        Ok(store
            .token_stats(&TokenQuery {
                source: source.filter(),
                ..TokenQuery::default()
            })
            .map_err(storage)?
            .total
            .usage)
    };
    Ok(cat::CcOverviewResult {
        sessions: list.len() as u64,
        active: list.iter().filter(|s| s.active).count() as u64,
        by_status,
        slot_sessions: list
            .iter()
            .filter(|s| s.active && s.slot_id.is_some())
            .count() as u64,
        tasks,
        tokens: usage(Source::All)?,
        slot_tokens: usage(Source::Slots)?,
        external_tokens: usage(Source::External)?,
        config_dirs: dirs(&snap),
    })
}

fn in_progress(snap: &Snapshot) -> cat::CcInProgressResult {
    cat::CcInProgressResult {
        tasks: listed(snap, |_, t| t.status == "in_progress"),
    }
}

/// The file remembering which Claude Code tasks were handed out (`key` → missiond task).
const SWARM_FILE: &str = "cc-swarm.json";

/// One trigger at a time, so two calls never hand the same task.
static SWARM_LOCK: Mutex<()> = Mutex::new(());

fn swarm_key(config_dir: &std::path::Path, list: &str, task: &str) -> String {
    format!("{}|{list}|{task}", config_dir.display())
}

fn trigger_swarm(
    sup: &Supervisor,
    dispatch: &Arc<Dispatcher>,
    p: &cat::CcTriggerSwarmParams,
) -> Result<cat::CcTriggerSwarmResult, RpcError> {
    let id = p.session_id.trim();
    if id.is_empty() {
        return Err(RpcError::invalid_params("sessionId", "must not be empty"));
    }
    let slots = p.slots.clone().unwrap_or_default();
    for slot in &slots {
        sup.get(slot)?;
    }
    if p.slots.as_ref().is_some_and(Vec::is_empty) {
        return Err(RpcError::invalid_params(
            "slots",
            "name at least one slot, or leave it out",
        ));
    }
    let snap = live::snapshot();
    let lists: Vec<&live::TaskList> = snap.lists.values().filter(|l| l.id == id).collect();
    if lists.is_empty() {
        return Err(RpcError::invalid_params(
            "sessionId",
            format!("no task list `{id}` was seen (mission_cc_tasks shows a session's tasks)"),
        ));
    }
    let _guard = SWARM_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let path: PathBuf = sup.ctx.home.join(SWARM_FILE);
    let mut handed_before: BTreeMap<String, i64> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let dry = p.dry_run == Some(true);
    let mut result = cat::CcTriggerSwarmResult {
        task_list_id: id.to_string(),
        handed: Vec::new(),
        skipped: Vec::new(),
    };
    let mut turn = 0usize;
    for list in lists {
        for t in &list.tasks {
            let key = swarm_key(&list.config_dir, &list.id, &t.id);
            let skip = |reason: String| cat::CcSkipped {
                cc_task_id: t.id.clone(),
                reason,
            };
            if let Some(task) = handed_before.get(&key) {
                result
                    .skipped
                    .push(skip(format!("already handed (task {task})")));
                continue;
            }
            if t.status != "pending" {
                result.skipped.push(skip(t.status.clone()));
                continue;
            }
            if let Some(owner) = &t.owner {
                result.skipped.push(skip(format!("owned by {owner}")));
                continue;
            }
            if !t.ready(&list.tasks) {
                result
                    .skipped
                    .push(skip(format!("blocked by {}", t.blocked_by.join(", "))));
                continue;
            }
            let slot_id = (!slots.is_empty()).then(|| slots[turn % slots.len()].clone());
            turn += 1;
            let mut handed = cat::CcHanded {
                cc_task_id: t.id.clone(),
                subject: t.subject.clone(),
                task_id: None,
                slot_id: slot_id.clone(),
            };
            if !dry {
                let prompt = format!(
                    "Task {} of Claude Code task list {}: {}\n\n{}",
                    t.id, list.id, t.subject, t.description
                );
                let task = dispatch.submit(&SubmitRequest {
                    prompt,
                    slot_id,
                    role: if slots.is_empty() {
                        p.role.clone()
                    } else {
                        None
                    },
                    priority: None,
                    ask: false,
                })?;
                handed_before.insert(key, task.id.0);
                handed.task_id = Some(task.id);
                // Remembered at once: a failure later never hands this one again.
                write_swarm(&path, &handed_before)?;
            }
            result.handed.push(handed);
        }
    }
    Ok(result)
}

fn write_swarm(path: &std::path::Path, map: &BTreeMap<String, i64>) -> Result<(), RpcError> {
    let text = serde_json::to_string_pretty(map).map_err(RpcError::internal)?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| RpcError::internal(format!("writing {}: {e}", path.display())))
}
