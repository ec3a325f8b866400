//! `missiond usage daily|monthly|session`: exact token usage and cost over every Claude
//! Code session on this machine, from the history index (`$MISSIOND_HOME/history.db`),
//! which it brings up to date first. Needs no running daemon; shares the index with one
//! (SQLite WAL, busy timeout). `--json` prints ccusage's shape.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use missiond_core::history::{self, Filter, HistoryIndex, ReportKind};
use missiond_core::paths::Paths;

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UsageReport {
    /// One row per UTC day.
    Daily,
    /// One row per UTC month.
    Monthly,
    /// One row per session.
    Session,
}

/// Options of `missiond usage`.
#[derive(Debug, Args)]
pub struct UsageArgs {
    /// daily | monthly | session
    #[arg(value_enum)]
    pub report: UsageReport,
    /// First day (UTC), YYYY-MM-DD or YYYYMMDD.
    #[arg(long, value_name = "DAY")]
    pub since: Option<String>,
    /// Last day (UTC), inclusive, YYYY-MM-DD or YYYYMMDD.
    #[arg(long, value_name = "DAY")]
    pub until: Option<String>,
    /// Only this project: its path (/work/demo) or its folder name under projects/.
    #[arg(long, value_name = "PROJECT", allow_hyphen_values = true)]
    pub project: Option<String>,
    /// A price file over the shipped table and $MISSIOND_HOME/prices.json.
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
}

fn day(flag: &str, text: Option<&str>) -> Result<Option<i64>> {
    text.map(|t| {
        history::time::parse_day(t)
            .with_context(|| format!("{flag} {t:?}: expected a day as YYYY-MM-DD or YYYYMMDD"))
    })
    .transpose()
}

/// Runs the report; returns the exit code.
/// `json`: the global `--json` flag, which prints ccusage's shape instead of a table.
pub fn run(args: UsageArgs, json: bool) -> Result<i32> {
    let filter = Filter {
        since: day("--since", args.since.as_deref())?,
        until: day("--until", args.until.as_deref())?,
        project: args.project.clone(),
    };
    let paths = Paths::from_env()?;
    let prices = history::load_prices(&paths, args.prices.as_deref())?;
    let (roots, warnings) = history::sources::discover(&paths)?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    let mut index = HistoryIndex::open(&history::db_path(&paths))?;
    index.sync(&roots)?;
    let kind = match args.report {
        UsageReport::Daily => ReportKind::Daily,
        UsageReport::Monthly => ReportKind::Monthly,
        UsageReport::Session => ReportKind::Session,
    };
    let report = history::report::build(&index, &roots, kind, &filter, &prices)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        if roots.is_empty() {
            eprintln!(
                "no Claude Code config folder found (CLAUDE_CONFIG_DIR, ~/.claude, slots, history.yaml)"
            );
        }
        print!("{}", report.to_table());
    }
    Ok(0)
}
