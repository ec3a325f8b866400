//! The writer thread: batches records into the store, rotates it by size and age.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use missiond_core::jarvis::{
    ENV_JARVIS_MAX_AGE_DAYS, ENV_JARVIS_MAX_BYTES, JarvisStore, Record, StoreLimits,
};

/// Records that may wait for the writer; more are dropped (and counted).
pub const QUEUE: usize = 8192;
/// Most records per transaction.
const BATCH: usize = 512;
/// How long a record may wait for its batch.
const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// How often the store is rotated.
const ROTATE_EVERY: Duration = Duration::from_secs(60);

/// The caps from `MISSION_JARVIS_MAX_BYTES` and `MISSION_JARVIS_MAX_AGE_DAYS`.
pub fn limits_from_env() -> Result<StoreLimits, String> {
    let mut limits = StoreLimits::default();
    if let Ok(v) = std::env::var(ENV_JARVIS_MAX_BYTES) {
        limits.max_bytes = missiond_core::paths::parse_bytes(&v)
            .filter(|b| *b >= 64 * 1024)
            .ok_or_else(|| {
                format!("{ENV_JARVIS_MAX_BYTES}={v:?}: a size of at least 64K (64K, 64M, 1G)")
            })?;
    }
    if let Ok(v) = std::env::var(ENV_JARVIS_MAX_AGE_DAYS) {
        let days: f64 = v
            .trim()
            .parse()
            .ok()
            .filter(|d: &f64| *d > 0.0 && *d <= 3650.0)
            .ok_or_else(|| {
                format!("{ENV_JARVIS_MAX_AGE_DAYS}={v:?}: a number of days (0 to 3650)")
            })?;
        limits.max_age_ms = (days * 86_400_000.0) as i64;
    }
    Ok(limits)
}

/// Starts the thread; it ends when every sender is gone.
pub fn spawn(
    store: Arc<JarvisStore>,
    receiver: Receiver<Record>,
    limits: StoreLimits,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("jarvis-writer".into())
        .spawn(move || run(&store, &receiver, limits))
        .map(|_| ())
}

fn run(store: &JarvisStore, receiver: &Receiver<Record>, limits: StoreLimits) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut last_rotate = Instant::now() - ROTATE_EVERY;
    let mut last_error: Option<Instant> = None;
    loop {
        let open = match receiver.recv_timeout(FLUSH_EVERY) {
            Ok(record) => {
                batch.push(record);
                while batch.len() < BATCH {
                    match receiver.try_recv() {
                        Ok(r) => batch.push(r),
                        Err(_) => break,
                    }
                }
                true
            }
            Err(RecvTimeoutError::Timeout) => true,
            Err(RecvTimeoutError::Disconnected) => false,
        };
        // Known secrets are scrubbed here, off the logging thread, as on stderr.
        for record in &mut batch {
            scrub(record);
        }
        if !batch.is_empty()
            && let Err(e) = store.insert(&batch)
        {
            // Not through tracing: that would feed this thread its own failures.
            if last_error.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                eprintln!("missiond: log center: {e} ({} entries lost)", batch.len());
                last_error = Some(Instant::now());
            }
        }
        batch.clear();
        if last_rotate.elapsed() >= ROTATE_EVERY {
            last_rotate = Instant::now();
            if let Err(e) = store.rotate(limits, missiond_core::time::now_ms()) {
                eprintln!("missiond: log center: {e}");
            }
        }
        if !open {
            return;
        }
    }
}

fn scrub(record: &mut Record) {
    use crate::daemon::secrets;
    if let std::borrow::Cow::Owned(clean) = secrets::scrub(&record.message) {
        record.message = clean;
    }
    let fields = serde_json::Value::Object(std::mem::take(&mut record.fields));
    if let serde_json::Value::Object(clean) = secrets::scrub_value(&fields) {
        record.fields = clean;
    }
}
