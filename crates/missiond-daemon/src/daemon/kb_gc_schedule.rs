//! Automatic knowledge GC: a run every `MISSION_KB_GC_INTERVAL` (default 6 h; `off`
//! turns it off), the first at most 5 minutes after start, each logged (counts and ids at info, so it reaches
//! the log center). What a run removes: see `missiond_core::upkeep::gc`.
//! `mission_kb_gc` stays callable at any time.

use std::sync::Arc;

use missiond_core::time::now_ms;
use missiond_core::upkeep::gc::{self, GcSchedule};

use super::supervisor::Supervisor;

/// The longest wait for the first run after start.
const FIRST_RUN_AFTER: std::time::Duration = std::time::Duration::from_secs(300);

/// Starts the schedule (a bad setting is logged and turns it off; the daemon runs on).
pub fn start(sup: &Arc<Supervisor>) {
    let schedule = match GcSchedule::from_env() {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("automatic knowledge GC is off: {e}");
            eprintln!("missiond: automatic knowledge GC is off: {e}");
            return;
        }
    };
    let Some(interval) = schedule.interval else {
        tracing::info!("automatic knowledge GC is off ({}=off)", gc::ENV_INTERVAL);
        return;
    };
    tracing::info!(
        interval_s = interval.as_secs_f64(),
        unused_days = ?schedule.unused_days,
        categories = ?schedule.unused_categories,
        "automatic knowledge GC scheduled"
    );
    let sup = Arc::clone(sup);
    tokio::spawn(async move {
        let mut shutdown = sup.ctx.subscribe_shutdown();
        // The first run soon after start (a daemon restarted often still collects), but
        // not at once: what a starting daemon is asked first should not race it.
        let first = interval.min(FIRST_RUN_AFTER);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + first, interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
            if sup.ctx.is_shutting_down() {
                return;
            }
            let (run_sup, run_schedule) = (Arc::clone(&sup), schedule.clone());
            let done = tokio::task::spawn_blocking(move || {
                gc::run_once(run_sup.ctx.records.store(), &run_schedule, now_ms())
            })
            .await;
            match done {
                Ok(Ok(run)) => tracing::info!(
                    expired = run.expired,
                    unused = run.unused,
                    ids = ?run.ids,
                    "knowledge GC run: {} expired, {} never-read entries removed",
                    run.expired,
                    run.unused
                ),
                Ok(Err(e)) => tracing::warn!(error = %e, "knowledge GC run failed"),
                Err(e) => tracing::warn!(error = %e, "knowledge GC run panicked"),
            }
        }
    });
}
