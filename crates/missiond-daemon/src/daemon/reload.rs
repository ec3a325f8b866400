//! Applying slots.yaml again while the daemon runs: on `mission_reload` and whenever the
//! file changes (watched with `notify`). Slots whose settings did not change are left
//! alone, running or not; removed ones are stopped; changed ones are stopped and
//! replaced (started again if they ran); new ones are added (started if `autostart`).
//! A file that does not load changes nothing: the last good slots stay, and the error is
//! shown wherever slots are listed or spawned until the file is fixed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use missiond_core::catalogue::ReloadResult;

use super::slot::Slot;
use super::slot_config;
use super::supervisor::{Supervisor, stop_all};

/// How long the file must stay quiet before it is read (editors write in steps).
const SETTLE: Duration = Duration::from_millis(300);

/// Reads `path` and applies it to `sup`'s slots.
pub async fn reload(sup: &Arc<Supervisor>, path: &Path) -> ReloadResult {
    let _one_at_a_time = sup.reloading.lock().await;
    let loaded = slot_config::load(path);
    let current: BTreeMap<String, Arc<Slot>> =
        sup.slots().map(|s| (s.spec.id.clone(), s)).collect();
    if let Some(error) = loaded.error {
        let error = error.replace("; no slots loaded", "; the last good slots stay");
        tracing::warn!("slots.yaml: {error}");
        sup.set_config_error(Some(error.clone()));
        return ReloadResult {
            added: Vec::new(),
            removed: Vec::new(),
            changed: Vec::new(),
            unchanged: current.keys().cloned().collect(),
            error: Some(error),
            workspaces_kept: Vec::new(),
        };
    }
    sup.set_config_error(None);
    super::secrets::configure(&loaded.redact);
    *sup.ctx.secrets.write().unwrap_or_else(|e| e.into_inner()) = loaded.secrets;

    let mut next = BTreeMap::new();
    let (mut added, mut changed, mut unchanged) = (Vec::new(), Vec::new(), Vec::new());
    let mut to_stop = Vec::new();
    // New slots, and whether each is to start.
    let mut fresh: Vec<(Arc<Slot>, bool)> = Vec::new();
    for spec in loaded.specs {
        let id = spec.id.clone();
        match current.get(&id) {
            Some(old) if old.spec.config == spec.config => {
                unchanged.push(id.clone());
                next.insert(id, Arc::clone(old));
            }
            Some(old) => {
                let was_running = old.lock().run.as_ref().is_some_and(|r| r.is_alive());
                let start = was_running || spec.config.autostart;
                to_stop.push(Arc::clone(old));
                let slot = Slot::new(spec, Arc::clone(&sup.ctx));
                fresh.push((Arc::clone(&slot), start));
                changed.push(id.clone());
                next.insert(id, slot);
            }
            None => {
                let start = spec.config.autostart;
                let slot = Slot::new(spec, Arc::clone(&sup.ctx));
                fresh.push((Arc::clone(&slot), start));
                added.push(id.clone());
                next.insert(id, slot);
            }
        }
    }
    let removed: Vec<String> = current
        .keys()
        .filter(|id| !next.contains_key(*id))
        .cloned()
        .collect();
    to_stop.extend(removed.iter().filter_map(|id| current.get(id).cloned()));
    let retiring: Vec<_> = to_stop
        .iter()
        .map(|old| {
            let new = next.get(&old.spec.id).map(|s| s.spec.config.clone());
            (old.spec.config.clone(), new)
        })
        .collect();
    sup.replace(next);
    // The old processes end before their replacements start (same folders, same ids).
    stop_all(to_stop).await;
    // Then the worktrees they no longer use go, unless that would lose work.
    let workspaces_kept = tokio::task::spawn_blocking(move || {
        retiring
            .iter()
            .filter_map(|(old, new)| super::workspace_slot::retire(old, new.as_ref()))
            .collect::<Vec<String>>()
    })
    .await
    .unwrap_or_default();
    for kept in &workspaces_kept {
        tracing::warn!("slots.yaml reloaded: {kept}");
    }
    let handlers = sup
        .endpoint_handlers
        .get()
        .and_then(std::sync::Weak::upgrade);
    for (slot, _) in &fresh {
        if let Some(handlers) = &handlers {
            super::agent_endpoint::start_one(&sup.ctx, &slot.spec.id, handlers).await;
        }
        sup.started(slot);
    }
    for (slot, start) in fresh {
        if start && let Err(e) = super::secrets::start(&slot).await {
            tracing::warn!(slot = %slot.spec.id, "starting after a reload: {}", e.message);
        }
    }
    if !(added.is_empty() && removed.is_empty() && changed.is_empty()) {
        tracing::info!(?added, ?removed, ?changed, "slots.yaml reloaded");
        eprintln!(
            "missiond: slots.yaml reloaded: {} added, {} removed, {} changed",
            added.len(),
            removed.len(),
            changed.len()
        );
    }
    ReloadResult {
        added,
        removed,
        changed,
        unchanged,
        error: None,
        workspaces_kept,
    }
}

/// Watches slots.yaml's folder and reloads after the file changes. The watcher lives
/// as long as the daemon; a folder that cannot be watched leaves `mission_reload`.
pub fn watch(sup: &Arc<Supervisor>, path: PathBuf) {
    use notify::Watcher;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let name = path.file_name().map(|n| n.to_os_string());
    let mut watcher =
        match notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else { return };
            if event.kind.is_access() {
                return;
            }
            // The folder is watched (editors replace the file): only this file counts.
            if event
                .paths
                .iter()
                .any(|p| p.file_name().map(|n| n.to_os_string()) == name)
            {
                let _ = tx.send(());
            }
        }) {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!("cannot watch {}: {e}", path.display());
                return;
            }
        };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    if let Err(e) = watcher.watch(&dir, notify::RecursiveMode::NonRecursive) {
        tracing::warn!("cannot watch {}: {e}", dir.display());
        return;
    }
    let sup = Arc::clone(sup);
    tokio::spawn(async move {
        let _watcher = watcher;
        let mut shutdown = sup.ctx.subscribe_shutdown();
        loop {
            tokio::select! {
                got = rx.recv() => if got.is_none() { return },
                _ = shutdown.changed() => return,
            }
            // Let a burst of writes finish.
            loop {
                match tokio::time::timeout(SETTLE, rx.recv()).await {
                    Ok(Some(())) => continue,
                    Ok(None) => return,
                    Err(_) => break,
                }
            }
            if sup.ctx.is_shutting_down() {
                return;
            }
            reload(&sup, &path).await;
        }
    });
}
