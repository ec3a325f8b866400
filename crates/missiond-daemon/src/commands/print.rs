//! How client commands show results to a person.

use missiond_core::catalogue::{
    AgentsResult, Dialog, HealthResult, PtyHistoryResult, PtySendResult, PtySpawnResult,
    SlotsResult, ToolDef,
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

/// `missiond history`: one block per turn, oldest first.
pub fn history(r: &PtyHistoryResult) {
    if r.turns.is_empty() {
        println!("{}: no turns recorded", r.slot_id);
    }
    for turn in &r.turns {
        let end = turn
            .end_state
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "running".into());
        println!(
            "[{} .. {}] {end}",
            turn.started_at,
            turn.ended_at.as_deref().unwrap_or("-")
        );
        println!("> {}", turn.prompt);
        for tool in &turn.tools_used {
            println!(
                "  tool {}: {}",
                tool.tool,
                tool.summary.as_deref().unwrap_or("")
            );
        }
        if let Some(answer) = &turn.answer {
            println!("{answer}");
        }
        println!();
    }
}

/// `missiond tools`: name and title of every catalogue tool.
pub fn tools(tools: &[ToolDef]) {
    for t in tools {
        println!("{:<36} {}", t.name, t.title);
    }
}
