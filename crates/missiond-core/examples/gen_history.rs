//! Writes a synthetic Claude Code history with a known ground truth (see
//! `missiond_core::history::generate`), for the usage benchmark and for checking any
//! usage tool by hand.
//!
//! `cargo run --release -p missiond-core --example gen_history -- OUT_DIR [--seed N]
//!  [--size 1G] [--files 2000] [--truth FILE]`
//!
//! OUT_DIR becomes a Claude Code config folder (`OUT_DIR/projects/...`). `--truth` writes
//! the exact expected reports as JSON: `{"daily"|"monthly"|"session": {period: {model:
//! {inputTokens, outputTokens, cacheCreationTokens, cacheReadTokens}}}, "responses": N}`.

use std::path::PathBuf;

use missiond_core::history::generate::{self, GenOptions, Totals};
use serde_json::{Value, json};

fn totals_json(t: &Totals) -> Value {
    let mut periods = serde_json::Map::new();
    for (period, models) in t {
        let mut m = serde_json::Map::new();
        for (model, tk) in models {
            m.insert(
                model.clone(),
                json!({"inputTokens": tk.input_tokens, "outputTokens": tk.output_tokens,
                       "cacheCreationTokens": tk.cache_creation_input_tokens,
                       "cacheReadTokens": tk.cache_read_input_tokens}),
            );
        }
        periods.insert(period.clone(), Value::Object(m));
    }
    Value::Object(periods)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut out: Option<PathBuf> = None;
    let mut truth_file: Option<PathBuf> = None;
    let mut opts = GenOptions::default();
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--seed" => opts.seed = value()?.parse()?,
            "--size" => {
                let v = value()?;
                opts.target_bytes = missiond_core::paths::parse_bytes(&v)
                    .ok_or_else(|| format!("--size {v:?}: expected bytes like 1G or 500M"))?;
            }
            "--files" => opts.files = value()?.parse()?,
            "--days" => opts.days = value()?.parse()?,
            "--truth" => truth_file = Some(PathBuf::from(value()?)),
            other if !other.starts_with("--") && out.is_none() => out = Some(PathBuf::from(other)),
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let out =
        out.ok_or("usage: gen_history OUT_DIR [--seed N] [--size 1G] [--files N] [--truth FILE]")?;
    let truth = generate::generate(&out, &opts)?;
    eprintln!(
        "{}: {} files, {} bytes, {} responses",
        out.display(),
        truth.files,
        truth.bytes,
        truth.responses.len()
    );
    if let Some(f) = truth_file {
        let v = json!({
            "daily": totals_json(&truth.daily()),
            "monthly": totals_json(&truth.monthly()),
            "session": totals_json(&truth.sessions()),
            "responses": truth.responses.len(),
        });
        std::fs::write(f, serde_json::to_vec(&v)?)?;
    }
    Ok(())
}
