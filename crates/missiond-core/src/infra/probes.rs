//! The results of reachability runs: the summary of one run, and the last result of each
//! item, kept for the list and the board.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::catalogue::{ProbeResult, ReachabilityResult, ReachabilitySummary};

/// One run's result from its probes (in order) and the names skipped.
pub fn summarize(results: Vec<ProbeResult>, skipped: Vec<String>) -> ReachabilityResult {
    let up = results.iter().filter(|r| r.up).count() as u32;
    let total = results.len() as u32;
    ReachabilityResult {
        summary: ReachabilitySummary {
            total,
            up,
            down: total - up,
            skipped: skipped.len() as u32,
        },
        results,
        skipped,
    }
}

/// The last probe of each item since the daemon started.
#[derive(Debug, Default)]
pub struct LastProbes {
    by_name: Mutex<HashMap<String, ProbeResult>>,
}

impl LastProbes {
    /// Keeps `results`, replacing earlier ones of the same items.
    pub fn record(&self, results: &[ProbeResult]) {
        let mut map = self.by_name.lock().unwrap_or_else(|e| e.into_inner());
        for r in results {
            map.insert(r.name.clone(), r.clone());
        }
    }

    /// The last probe of `name`.
    pub fn get(&self, name: &str) -> Option<ProbeResult> {
        self.by_name
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }
}
