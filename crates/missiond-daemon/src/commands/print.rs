//! How client commands show results to a person.

use missiond_core::catalogue::{
    AgentsResult, Dialog, HealthResult, PtyHistoryResult, PtyKillResult, PtyLogsResult,
    PtySendResult, PtySpawnResult, ReloadResult, SlotsResult, ToolDef,
};

use super::out;

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
    if let Some(error) = &slots.config_error {
        println!("config error: {error}");
    }
    if slots.slots.is_empty() && slots.config_error.is_none() {
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
        dialog(&r.slot_id, d);
    }
}

/// `missiond send`: the answer on stdout, the rest on stderr.
pub fn sent(slot: &str, r: &PtySendResult) {
    if r.interrupted {
        if !r.answer.is_empty() {
            out::body(&r.answer);
        }
        eprintln!(
            "[interrupted after {} ms, before the answer was finished; now {}]",
            r.duration_ms, r.state
        );
    } else {
        out::body(&r.answer);
        eprintln!("[{} in {} ms]", r.state, r.duration_ms);
    }
    if let Some(d) = &r.dialog {
        dialog(slot, d);
    }
}

/// `missiond kill`.
pub fn killed(r: &PtyKillResult) {
    if r.was_running {
        println!("{}: stopped{}", r.slot_id, exit_wording(r.exit_code));
    } else {
        println!("{}: was not running", r.slot_id);
    }
}

/// How a process ended, for a person: ` (ended by SIGTERM)`, ` (exit code 1)`, or
/// nothing when unknown. Codes above 128 are a signal's number plus 128, as shells and
/// the sandbox report a program a signal ended.
pub fn exit_wording(code: Option<i32>) -> String {
    match code {
        None => String::new(),
        Some(0) => " (exited normally)".into(),
        Some(c) if c > 128 && c < 128 + 32 => match signal_name(c - 128) {
            Some(name) => format!(" (ended by {name})"),
            None => format!(" (ended by signal {})", c - 128),
        },
        Some(c) => format!(" (exit code {c})"),
    }
}

fn signal_name(n: i32) -> Option<&'static str> {
    Some(match n {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => return None,
    })
}

/// `missiond logs`: the text on stdout; where it came from on stderr (not with `--raw`,
/// whose bytes may leave the terminal in any state).
pub fn logs(r: &PtyLogsResult, raw: bool) {
    if raw {
        out::raw(r.text.as_bytes());
        return;
    }
    out::body(&r.text);
    eprintln!(
        "[{}: {} of {} bytes]",
        r.path,
        if r.truncated { "end" } else { "all" },
        r.total_bytes
    );
}

/// `missiond reload`.
pub fn reloaded(r: &ReloadResult) {
    if let Some(error) = &r.error {
        println!("config error: {error}");
        println!("the last good configuration stays in force");
        return;
    }
    let list = |what: &str, ids: &[String]| {
        if !ids.is_empty() {
            println!("{what}: {}", ids.join(", "));
        }
    };
    list("added", &r.added);
    list("removed", &r.removed);
    list("changed", &r.changed);
    list("unchanged", &r.unchanged);
    for kept in &r.workspaces_kept {
        println!("kept: {kept}");
    }
    if r.added.is_empty() && r.removed.is_empty() && r.changed.is_empty() {
        println!("no slot changed");
    }
}

fn dialog(slot: &str, d: &Dialog) {
    eprintln!("dialog: {} - {}", d.title, d.question);
    if let Some(c) = &d.command {
        eprintln!("  command: {c}");
    }
    for (i, o) in d.options.iter().enumerate() {
        let n = o.number.unwrap_or(i as u32 + 1);
        eprintln!("  {n}. {} ({:?})", o.label, o.meaning);
    }
    eprintln!("answer with: missiond confirm {slot} yes|no|always|N");
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
