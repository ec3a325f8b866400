//! Watching running slots: one task per slot looks, twice a second while it runs, for a
//! working slot that shows no sign of life (interrupt it, then restart it) and for a
//! finished turn that left little context (restart fresh, or note that auto-compact
//! will handle it). A stopped slot's watcher sleeps until the slot changes.
//!
//! Signs of life are the transcript growing, hook events and the screen's words changing: only letters
//! count, and the spinner line is left out. Claude Code animates its logo, spinner glyph,
//! effort indicator, a blinking `●` before the running tool and elapsed-time counters
//! while it works, hung or not; counting those redraws would hide any hang.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use missiond_core::inbox::InboxKind;
use missiond_core::lifecycle::{Action, ContextWindows, Observation, TokenUsage, Verdict};
use semantic_terminal::SemanticTerminal;
use serde_json::{Value, json};

use super::lifecycle::{self, life};
use super::slot::Slot;
use super::supervisor::Supervisor;
use missiond_core::catalogue::SlotState;

/// How often a running slot is looked at.
const TICK: Duration = Duration::from_millis(500);
/// How much of the transcript's end is read for the last usage figures.
const USAGE_TAIL_BYTES: u64 = 256 * 1024;
/// How long after a turn ends its usage figures are waited for.
const USAGE_GRACE: Duration = Duration::from_secs(15);

/// Start one watcher per slot (call once, inside the runtime).
pub fn start(sup: &Supervisor) {
    sup.on_each_slot(|slot| {
        tokio::spawn(watch(Arc::clone(slot)));
    });
}

async fn watch(slot: Arc<Slot>) {
    let mut rx = slot.subscribe();
    loop {
        if slot.ctx.is_shutting_down() {
            return;
        }
        let alive = slot.lock().run.as_ref().is_some_and(|r| r.is_alive());
        if alive {
            tokio::time::sleep(TICK).await;
        } else if rx.changed().await.is_err() {
            return;
        }
        if slot.ctx.is_shutting_down() || lifecycle::is_restarting(&slot) {
            continue;
        }
        check_stuck(&slot);
        check_context(&slot);
    }
}

/// The letters on the screen outside the spinner line, hashed.
pub fn screen_fingerprint(term: &SemanticTerminal) -> u64 {
    let verb = term
        .status()
        .filter(|s| s.spinner.is_some())
        .and_then(|s| s.verb.clone())
        .filter(|v| !v.is_empty());
    let mut hasher = DefaultHasher::new();
    for line in term.screen_lines() {
        if verb.as_deref().is_some_and(|v| line.contains(v)) {
            continue;
        }
        line.chars()
            .filter(|c| c.is_alphabetic())
            .for_each(|c| c.hash(&mut hasher));
        '\n'.hash(&mut hasher);
    }
    hasher.finish()
}

fn transcript_len(paths: &[PathBuf]) -> Option<u64> {
    paths
        .iter()
        .find_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
}

fn check_stuck(slot: &Arc<Slot>) {
    let (state, fingerprint, paths) = {
        let inner = slot.lock();
        let Some(run) = inner.run.as_ref().filter(|r| r.is_alive()) else {
            return;
        };
        (
            SlotState::from(run.state()),
            screen_fingerprint(&run.term),
            run.transcript.clone(),
        )
    };
    let size = transcript_len(&paths);
    let now = Instant::now();
    let verdict = {
        let mut life = life(slot);
        if life.screen.is_none_or(|(fp, _)| fp != fingerprint) {
            life.screen = Some((fingerprint, now));
        }
        if let Some(size) = size
            && life.transcript.is_none_or(|(len, _)| len != size)
        {
            life.transcript = Some((size, now));
        }
        let observation = Observation {
            state,
            last_screen_change: life.screen.map_or(now, |(_, at)| at),
            last_reported_activity: life.transcript.map(|(_, at)| at).max(life.last_hook),
            now,
        };
        tracing::trace!(slot = %slot.spec.id, ?state, fingerprint, ?size, "watch");
        life.stuck.observe(&observation)
    };
    let id = &slot.spec.id;
    let (after, grace) = {
        let life = life(slot);
        (life.settings.stuck_after, life.settings.stuck_grace)
    };
    match verdict {
        Verdict::Fine => {}
        Verdict::Interrupt => {
            tracing::warn!(slot = %id, ?state, "no sign of life: interrupting");
            let sent = slot.interrupt().is_ok();
            lifecycle::post(
                slot,
                InboxKind::Notice,
                &format!(
                    "Slot {id} showed no sign of life for {}s while {}; it was interrupted{}.",
                    after.as_secs(),
                    state.as_str(),
                    if sent {
                        ""
                    } else {
                        " (the key could not be sent)"
                    }
                ),
                json!({"event": "stuck_interrupted", "state": state.as_str()}),
            );
        }
        Verdict::Restart => {
            let why = format!(
                "stuck: still {} {}s after an interrupt",
                state.as_str(),
                grace.as_secs()
            );
            tracing::warn!(slot = %id, "{why}: restarting");
            lifecycle::post(
                slot,
                InboxKind::Notice,
                &format!("Slot {id} is {why}; restarting it."),
                json!({"event": "stuck_restart", "state": state.as_str()}),
            );
            lifecycle::restart(slot, why, true);
        }
    }
}

/// The context left after the last finished turn, from the transcript's last assistant
/// usage, against the model's window.
pub fn transcript_context_left(paths: &[PathBuf]) -> Option<u8> {
    let path = paths.iter().find(|p| p.is_file())?;
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(USAGE_TAIL_BYTES)))
        .ok()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let windows = ContextWindows::default();
    text.lines().rev().find_map(|line| {
        let value: Value = serde_json::from_str(line).ok()?;
        if value.get("type").and_then(Value::as_str) != Some("assistant") {
            return None;
        }
        let message = value.get("message")?;
        let model = message.get("model").and_then(Value::as_str)?;
        let usage: TokenUsage = serde_json::from_value(message.get("usage")?.clone()).ok()?;
        windows.left_percent(&usage, model)
    })
}

/// After a finished turn (once per turn), act on the context left. Returns true when a
/// restart was started. Autonomous runs call it before their next prompt.
pub fn check_context(slot: &Arc<Slot>) -> bool {
    let (seq, ended_at, bar, paths) = {
        let inner = slot.lock();
        let Some(run) = inner.run.as_ref().filter(|r| r.is_alive()) else {
            return false;
        };
        let Some(turn) = run.turn.as_ref().filter(|t| !t.is_open()) else {
            return false;
        };
        if inner.sending || !slot.spec.claude {
            return false;
        }
        (
            turn.seq,
            turn.outcome.as_ref().map(|o| o.ended_at),
            run.term.status().and_then(|s| s.context_left_percent),
            run.transcript.clone(),
        )
    };
    if life(slot).context_checked == Some(seq) {
        return false;
    }
    let estimate = transcript_context_left(&paths);
    // Claude Code may show the idle prompt before the turn's usage reaches the
    // transcript; with no figure yet, look again on the next tick for a while.
    let recently_ended = ended_at
        .and_then(|t| t.elapsed().ok())
        .is_none_or(|age| age < USAGE_GRACE);
    if bar.is_none() && estimate.is_none() && recently_ended {
        return false;
    }
    let (action, threshold, noted) = {
        let mut life = life(slot);
        life.context_checked = Some(seq);
        (
            life.settings.context_action(bar, estimate, false),
            life.settings.context_threshold_percent,
            life.compact_noted,
        )
    };
    let left = bar.or(estimate).unwrap_or(0);
    let id = &slot.spec.id;
    let data =
        json!({"event": "context_low", "contextLeftPercent": left, "thresholdPercent": threshold});
    match action {
        Action::RestartNow | Action::RestartAfterTurn => {
            let why = format!("context low: {left}% left (threshold {threshold}%)");
            tracing::info!(slot = %id, "{why}: restarting fresh");
            lifecycle::post(
                slot,
                InboxKind::Notice,
                &format!(
                    "Slot {id} has {left}% of its context left after its last turn; \
                     restarting it with a fresh session."
                ),
                data,
            );
            lifecycle::restart(slot, why, false)
        }
        Action::LeaveToAutoCompact if !noted => {
            life(slot).compact_noted = true;
            lifecycle::post(
                slot,
                InboxKind::Notice,
                &format!(
                    "Slot {id} has {left}% of its context left; its role leaves this to \
                     Claude Code's auto-compact (no restart)."
                ),
                data,
            );
            false
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_read_from_the_last_real_assistant_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        let line = |model: &str, input: u64| {
            json!({"type": "assistant", "message": {"model": model, "usage": {
                "input_tokens": input, "output_tokens": 0}}})
            .to_string()
        };
        let text = [
            line("claude-x", 20_000),
            line("claude-x", 190_000),
            json!({"type": "system"}).to_string(),
            line("<synthetic>", 5),
        ]
        .join("\n");
        std::fs::write(&path, text + "\n").unwrap();
        assert_eq!(
            transcript_context_left(std::slice::from_ref(&path)),
            Some(5)
        );
        std::fs::write(&path, line("claude-x", 20_000) + "\n").unwrap();
        assert_eq!(transcript_context_left(&[path]), Some(90));
        assert_eq!(transcript_context_left(&[dir.path().join("none")]), None);
    }

    #[test]
    fn the_spinner_timer_is_not_a_screen_change() {
        let mut term = SemanticTerminal::new(60, 8, semantic_terminal::Config::default());
        term.feed(0.0, b"hello\r\nRunning 12s\r\n");
        let a = screen_fingerprint(&term);
        term.feed(0.1, b"\x1b[2;1HRunning 13s");
        assert_eq!(a, screen_fingerprint(&term));
        // Animated symbols are not words.
        term.feed(0.15, b"\x1b[3;1H\xe2\x97\x90 x");
        let b = screen_fingerprint(&term);
        term.feed(0.16, b"\x1b[3;1H\xe2\x97\x91 x");
        assert_eq!(b, screen_fingerprint(&term));
        term.feed(0.2, b"\x1b[1;1Hworld");
        assert_ne!(b, screen_fingerprint(&term));
    }
}
