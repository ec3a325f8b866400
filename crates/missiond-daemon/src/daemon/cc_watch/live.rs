//! The live state of every Claude Code session the watcher sees: its status file
//! (`sessions/<pid>.json`: status, and whether its process lives) and the task lists
//! (`tasks/<list id>/<task id>.json`). Each refresh compares with the last and publishes
//! what changed: `cc_session_active` (a session's process is seen running, or its status
//! changes while it runs), `cc_session_inactive` (its process is gone),
//! `cc_tasks_changed` (a list's tasks changed), `cc_task_started` (a task went to
//! `in_progress`) and `cc_task_completed` (a task went to `completed`). The first
//! refresh after start sets the baseline without events.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use missiond_core::cc::session_file::{self, SessionRecord};
use missiond_core::cc::tasks::{self, CcTask};
use missiond_core::time::now_ms;

use super::super::events::DaemonEvent;
use super::super::supervisor::Supervisor;

/// A session as last seen through its status file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSession {
    /// The file's content.
    pub record: SessionRecord,
    /// The config folder it is in.
    pub config_dir: PathBuf,
    /// Its process runs.
    pub alive: bool,
    /// When the watcher last saw it change (Unix ms).
    pub seen_at: i64,
}

/// A task list as last read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskList {
    /// Its id (the folder's name).
    pub id: String,
    /// The config folder holding it.
    pub config_dir: PathBuf,
    /// Its tasks, by id.
    pub tasks: Vec<CcTask>,
}

/// What the tools read.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// By session id; a session whose file is gone stays, inactive.
    pub sessions: BTreeMap<String, LiveSession>,
    /// By (config folder, list id).
    pub lists: BTreeMap<(PathBuf, String), TaskList>,
    /// The config folders watched.
    pub roots: Vec<PathBuf>,
}

static SNAPSHOT: RwLock<Option<Snapshot>> = RwLock::new(None);

/// The latest snapshot (empty before the watcher's first refresh).
pub fn snapshot() -> Snapshot {
    SNAPSHOT
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_default()
}

/// The live state's keeper (on the watcher thread).
pub struct Live {
    sup: Arc<Supervisor>,
    last: Option<Snapshot>,
    /// Every session id a slot's run had while this daemon ran.
    slot_ids: std::collections::HashSet<String>,
}

/// Every status file of `root`'s `sessions/`, parsed; later rewrites of one session win.
pub fn read_sessions(root: &Path) -> Vec<SessionRecord> {
    let mut out: Vec<SessionRecord> = std::fs::read_dir(root.join("sessions"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter_map(|t| session_file::parse(&t))
        .collect();
    out.sort_by_key(|r| r.updated_at.unwrap_or(0));
    out
}

/// Every task list of `root`'s `tasks/`.
pub fn read_lists(root: &Path) -> Vec<TaskList> {
    std::fs::read_dir(root.join("tasks"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| TaskList {
            id: e.file_name().to_string_lossy().into_owned(),
            config_dir: root.to_path_buf(),
            tasks: tasks::read_list(&e.path()),
        })
        .collect()
}

/// The state of `roots` now, carrying over what `prior` knew of sessions whose file is
/// gone (they stay listed, inactive).
pub fn read_state(roots: &[PathBuf], prior: Option<&Snapshot>) -> Snapshot {
    let now = now_ms();
    let mut next = Snapshot {
        roots: roots.to_vec(),
        ..Snapshot::default()
    };
    for root in roots {
        for record in read_sessions(root) {
            let alive = record.alive();
            let before = prior.and_then(|p| p.sessions.get(&record.session_id));
            // Two files for one session (a pid reused by a resume): the live one wins.
            if next
                .sessions
                .get(&record.session_id)
                .is_some_and(|s| s.alive && !alive)
            {
                continue;
            }
            let seen_at = match before {
                Some(b) if b.record == record && b.alive == alive => b.seen_at,
                _ => now,
            };
            next.sessions.insert(
                record.session_id.clone(),
                LiveSession {
                    record,
                    config_dir: root.clone(),
                    alive,
                    seen_at,
                },
            );
        }
        for list in read_lists(root) {
            next.lists
                .insert((list.config_dir.clone(), list.id.clone()), list);
        }
    }
    if let Some(prior) = prior {
        for (id, s) in &prior.sessions {
            if !next.sessions.contains_key(id) {
                let mut gone = s.clone();
                if gone.alive {
                    gone.alive = false;
                    gone.seen_at = now;
                }
                next.sessions.insert(id.clone(), gone);
            }
        }
    }
    next
}

/// The events between two snapshots. Sessions for which `is_slot` is true get no
/// session events: a slot's state already has its own (`slot_state`).
pub fn changes(
    before: &Snapshot,
    after: &Snapshot,
    is_slot: &dyn Fn(&str) -> bool,
) -> Vec<DaemonEvent> {
    let mut out = Vec::new();
    for (id, s) in after.sessions.iter().filter(|(id, _)| !is_slot(id)) {
        let old = before.sessions.get(id);
        let status = s.record.status.clone().unwrap_or_else(|| "unknown".into());
        let was_alive = old.is_some_and(|o| o.alive);
        if s.alive {
            let previous = old
                .filter(|o| o.alive)
                .and_then(|o| o.record.status.clone());
            if !was_alive || previous.as_deref() != Some(status.as_str()) {
                out.push(DaemonEvent::CcSessionActive {
                    session_id: id.clone(),
                    status,
                    previous,
                    waiting_for: s.record.waiting_for.clone(),
                    cwd: s.record.cwd.clone(),
                    pid: s.record.pid,
                    config_dir: s.config_dir.to_string_lossy().into_owned(),
                });
            }
        } else if was_alive {
            out.push(DaemonEvent::CcSessionInactive {
                session_id: id.clone(),
                cwd: s.record.cwd.clone(),
                pid: s.record.pid,
                config_dir: s.config_dir.to_string_lossy().into_owned(),
            });
        }
    }
    let empty = Vec::new();
    let mut keys: Vec<&(PathBuf, String)> = after.lists.keys().collect();
    keys.extend(
        before
            .lists
            .keys()
            .filter(|k| !after.lists.contains_key(*k)),
    );
    for key in keys {
        let old = before.lists.get(key).map_or(&empty, |l| &l.tasks);
        let new = after.lists.get(key).map_or(&empty, |l| &l.tasks);
        if old == new {
            continue;
        }
        let (config_dir, list) = (key.0.to_string_lossy().into_owned(), key.1.clone());
        for t in new {
            let was = old.iter().find(|o| o.id == t.id).map(|o| o.status.as_str());
            if was == Some(t.status.as_str()) {
                continue;
            }
            let task = |t: &CcTask| (t.id.clone(), t.subject.clone());
            match t.status.as_str() {
                "in_progress" => {
                    let (task_id, subject) = task(t);
                    out.push(DaemonEvent::CcTaskStarted {
                        task_list_id: list.clone(),
                        config_dir: config_dir.clone(),
                        task_id,
                        subject,
                        owner: t.owner.clone(),
                    });
                }
                "completed" => {
                    let (task_id, subject) = task(t);
                    out.push(DaemonEvent::CcTaskCompleted {
                        task_list_id: list.clone(),
                        config_dir: config_dir.clone(),
                        task_id,
                        subject,
                        owner: t.owner.clone(),
                    });
                }
                _ => {}
            }
        }
        let count = |s: &str| new.iter().filter(|t| t.status == s).count() as u64;
        out.push(DaemonEvent::CcTasksChanged {
            task_list_id: list,
            config_dir,
            total: new.len() as u64,
            pending: count("pending"),
            in_progress: count("in_progress"),
            completed: count("completed"),
        });
    }
    out
}

impl Live {
    /// Empty until the first refresh.
    pub fn new(sup: Arc<Supervisor>) -> Live {
        Live {
            sup,
            last: None,
            slot_ids: std::collections::HashSet::new(),
        }
    }

    /// The session ids of the slots' current runs, with their slots.
    pub fn slot_sessions(&mut self) -> HashMap<String, String> {
        let live = slot_sessions(&self.sup);
        self.slot_ids.extend(live.keys().cloned());
        live
    }

    /// Reads the status files and task lists under `roots`, publishes what changed and
    /// makes the result the tools' snapshot.
    pub fn refresh(&mut self, roots: &[PathBuf]) {
        let next = read_state(roots, self.last.as_ref());
        if let Some(last) = &self.last {
            let store = self.sup.ctx.records.store();
            let is_slot = |id: &str| {
                self.slot_ids.contains(id) || store.slot_of_session(id).ok().flatten().is_some()
            };
            for event in changes(last, &next, &is_slot) {
                self.sup.ctx.events.publish(event);
            }
        }
        *SNAPSHOT.write().unwrap_or_else(|e| e.into_inner()) = Some(next.clone());
        self.last = Some(next);
    }
}

/// The session ids of the slots' current runs, with their slots.
pub fn slot_sessions(sup: &Supervisor) -> HashMap<String, String> {
    sup.slots()
        .filter_map(|slot| {
            let inner = slot.lock();
            let id = inner.run.as_ref()?.session_id.clone()?;
            Some((id, slot.spec.id.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_file(root: &Path, pid: u32, session: &str, status: &str, at: i64) {
        std::fs::create_dir_all(root.join("sessions")).unwrap();
        std::fs::write(
            root.join("sessions").join(format!("{pid}.json")),
            format!(
                r#"{{"pid":{pid},"sessionId":"{session}","cwd":"/w","kind":"interactive","status":"{status}","updatedAt":{at},"statusUpdatedAt":{at}}}"#
            ),
        )
        .unwrap();
    }

    fn task(root: &Path, list: &str, id: &str, status: &str) {
        let dir = root.join("tasks").join(list);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(format!("{id}.json")),
            format!(r#"{{"id":"{id}","subject":"task {id}","description":"","status":"{status}","blocks":[],"blockedBy":[]}}"#),
        )
        .unwrap();
    }

    fn types(events: &[DaemonEvent]) -> Vec<String> {
        events
            .iter()
            .map(|e| {
                serde_json::to_value(e).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn status_changes_exits_and_task_progress_become_events() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let roots = vec![root.clone()];
        let me = std::process::id();
        // This test process stands for a running session; a dead pid for an old one.
        status_file(&root, me, "live", "busy", 1);
        status_file(&root, 999_999_999, "stale", "idle", 1);
        task(&root, "live", "1", "pending");
        let first = read_state(&roots, None);
        assert!(first.sessions["live"].alive);
        assert!(!first.sessions["stale"].alive);

        // busy -> idle, a task starts and another is added.
        status_file(&root, me, "live", "idle", 2);
        task(&root, "live", "1", "in_progress");
        task(&root, "live", "2", "pending");
        let second = read_state(&roots, Some(&first));
        let events = changes(&first, &second, &|_| false);
        assert_eq!(
            types(&events),
            ["cc_session_active", "cc_task_started", "cc_tasks_changed"]
        );
        let v = serde_json::to_value(&events[0]).unwrap();
        assert_eq!(
            (v["status"].as_str(), v["previous"].as_str()),
            (Some("idle"), Some("busy"))
        );
        assert_eq!(v["sessionId"], "live");
        let changed = serde_json::to_value(&events[2]).unwrap();
        assert_eq!(
            (changed["total"].as_u64(), changed["inProgress"].as_u64()),
            (Some(2), Some(1))
        );

        // Nothing changed: no events.
        let same = read_state(&roots, Some(&second));
        assert!(changes(&second, &same, &|_| false).is_empty());
        // A slot's session: its slot reports its state; only task events remain.
        status_file(&root, me, "live", "busy", 3);
        let slot_view = read_state(&roots, Some(&second));
        assert!(changes(&second, &slot_view, &|id| id == "live").is_empty());
        status_file(&root, me, "live", "idle", 2);

        // The task completes; the session's file goes (its process ended).
        task(&root, "live", "1", "completed");
        std::fs::remove_file(root.join("sessions").join(format!("{me}.json"))).unwrap();
        let third = read_state(&roots, Some(&same));
        let events = changes(&same, &third, &|_| false);
        assert_eq!(
            types(&events),
            [
                "cc_session_inactive",
                "cc_task_completed",
                "cc_tasks_changed"
            ]
        );
        // It stays listed, inactive.
        assert!(!third.sessions["live"].alive);
    }
}
