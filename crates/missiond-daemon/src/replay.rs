//! `missiond replay`: a recording through the library, as JSON events or one screen.

use std::io::Write;

use anyhow::{Context, Result};
use semantic_terminal::Config;
use semantic_terminal::replay::{DEFAULT_SIZE, Replayer};

use crate::cli::ReplayArgs;

/// Exit code for a file that cannot be read or parsed.
pub const EXIT_BAD_FILE: i32 = 2;

/// Run `missiond replay`; returns the process exit code. Events are JSON lines either
/// way; with `json`, `--screen-at` prints one JSON object (screen, state, dialog).
pub fn run(args: ReplayArgs, json: bool) -> Result<i32> {
    let shown = args.file.display();
    let text = match std::fs::read_to_string(&args.file) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("missiond replay: cannot read {shown}: {e}");
            return Ok(EXIT_BAD_FILE);
        }
    };
    let recording = match crate::daemon::pty_log::parse_recording(&text) {
        Ok((recording, cut)) => {
            if let Some(line) = cut {
                eprintln!(
                    "missiond replay: {shown}: line {line} is cut short (the log stopped while writing it): skipped"
                );
            }
            recording
        }
        Err(e) => {
            eprintln!("missiond replay: {shown}: {e}");
            return Ok(EXIT_BAD_FILE);
        }
    };
    let (cols, rows) = recording.size_or(DEFAULT_SIZE);
    let size = (args.cols.unwrap_or(cols), args.rows.unwrap_or(rows));
    let mut replayer = Replayer::new(&recording, size, Config::default());
    let mut stdout = std::io::stdout().lock();

    if let Some(t) = args.screen_at {
        replayer.run_until(t);
        let term = replayer.terminal();
        if json {
            let value = serde_json::json!({
                "t": t,
                "screen": term.screen_text(),
                "state": term.state().to_string(),
                "since": term.state_since(),
                "dialog": term.confirm(),
            });
            writeln!(stdout, "{value:#}").context("writing the screen")?;
            return Ok(0);
        }
        writeln!(stdout, "{}", term.screen_text()).context("writing the screen")?;
        eprintln!(
            "t={t}: state {} since {:.3}s",
            term.state(),
            term.state_since()
        );
        if let Some(info) = term.confirm() {
            let info = serde_json::to_string(info).context("encoding the dialog")?;
            eprintln!("dialog: {info}");
        }
        return Ok(0);
    }

    replayer.finish();
    for event in replayer.take_events() {
        writeln!(stdout, "{}", event.to_json()).context("writing events")?;
    }
    Ok(0)
}
