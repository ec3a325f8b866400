//! How client commands show results to a person.

use missiond_core::catalogue::{
    AgentsResult, Dialog, HealthResult, PtySendResult, PtySpawnResult, SlotsResult,
};

/// `missiond status`.
pub fn status(health: &HealthResult, agents: &AgentsResult) {
    println!(
        "missiond {} (pid {}) up {}s, home {}, {} of {} slots running",
        health.version,
        health.pid,
        health.uptime_secs,
        health.home,
        health.slots_running,
        health.slots_configured
    );
    for w in &health.warnings {
        println!("warning: {w}");
    }
    for a in &agents.agents {
        println!(
            "  {:<20} {:<12} {:<12} pid {:<8} since {}",
            a.slot_id,
            a.role,
            a.state.as_str(),
            a.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
            a.since.as_deref().unwrap_or("-")
        );
    }
}

/// `missiond slots`.
pub fn slots(slots: &SlotsResult) {
    if slots.slots.is_empty() {
        println!("no slots configured");
    }
    for s in &slots.slots {
        println!(
            "{:<20} {:<12} {:<40} {}",
            s.id, s.role, s.cwd, s.description
        );
    }
}

/// `missiond spawn`.
pub fn spawned(r: &PtySpawnResult) {
    let what = if r.already_running {
        "already running"
    } else {
        "started"
    };
    println!(
        "{}: {what}, {} (pid {}, session {})",
        r.slot_id,
        r.state,
        r.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
        r.session_id.as_deref().unwrap_or("-")
    );
    if let Some(d) = &r.dialog {
        dialog(d);
    }
}

/// `missiond send`: the answer on stdout, the rest on stderr.
pub fn sent(r: &PtySendResult) {
    println!("{}", r.answer);
    eprintln!("[{} in {} ms]", r.state, r.duration_ms);
    if let Some(d) = &r.dialog {
        dialog(d);
    }
}

fn dialog(d: &Dialog) {
    eprintln!("dialog: {} - {}", d.title, d.question);
    if let Some(c) = &d.command {
        eprintln!("  command: {c}");
    }
    for (i, o) in d.options.iter().enumerate() {
        let n = o.number.unwrap_or(i as u32 + 1);
        eprintln!("  {n}. {} ({:?})", o.label, o.meaning);
    }
    eprintln!("answer with: missiond confirm SLOT yes|no|always|N");
}
