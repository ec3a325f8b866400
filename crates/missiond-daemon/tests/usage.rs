//! `missiond usage` as a user runs it: the real binary over a generated history with a
//! known ground truth, no daemon running, its JSON in ccusage's shape.

use std::path::Path;
use std::process::Command;

use missiond_core::history::generate::{self, GenOptions, GroundTruth, Totals};
use missiond_core::history::line::Tokens;
use missiond_core::history::prices::PriceTable;
use serde_json::Value;

fn usage(home: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_missiond"))
        .arg("usage")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("MISSIOND_HOME", home.join("missiond"))
        .output()
        .expect("runs missiond")
}

fn json(home: &Path, args: &[&str]) -> Value {
    let out = usage(home, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn n(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

/// The rows of a report as period -> model -> tokens, checking each row's own sums.
fn totals(report: &Value, key: &str) -> Totals {
    let mut out = Totals::new();
    for row in report[key].as_array().expect("rows") {
        let mut sum = Tokens::default();
        let period = row["period"].as_str().unwrap().to_string();
        let models = out.entry(period).or_default();
        for b in row["modelBreakdowns"].as_array().unwrap() {
            let t = Tokens {
                input_tokens: n(b, "inputTokens"),
                output_tokens: n(b, "outputTokens"),
                cache_creation_input_tokens: n(b, "cacheCreationTokens"),
                cache_read_input_tokens: n(b, "cacheReadTokens"),
            };
            sum.input_tokens += t.input_tokens;
            sum.output_tokens += t.output_tokens;
            sum.cache_creation_input_tokens += t.cache_creation_input_tokens;
            sum.cache_read_input_tokens += t.cache_read_input_tokens;
            models.insert(b["modelName"].as_str().unwrap().to_string(), t);
        }
        assert_eq!(n(row, "inputTokens"), sum.input_tokens);
        assert_eq!(n(row, "outputTokens"), sum.output_tokens);
        assert_eq!(
            n(row, "cacheCreationTokens"),
            sum.cache_creation_input_tokens
        );
        assert_eq!(n(row, "cacheReadTokens"), sum.cache_read_input_tokens);
        assert_eq!(n(row, "totalTokens"), sum.total());
        let used: Vec<&str> = row["modelsUsed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        assert_eq!(used.len(), models.len());
    }
    out
}

fn expected_cost(truth: &Totals) -> f64 {
    let prices = PriceTable::built_in();
    truth
        .values()
        .flat_map(|m| m.iter())
        .filter_map(|(model, t)| prices.get(model).map(|p| p.cost(t)))
        .sum()
}

fn history(seed: u64) -> (tempfile::TempDir, GroundTruth) {
    let tmp = tempfile::tempdir().unwrap();
    let truth = generate::generate(
        &tmp.path().join(".claude"),
        &GenOptions {
            seed,
            target_bytes: 2 << 20,
            files: 24,
            ..GenOptions::default()
        },
    )
    .unwrap();
    (tmp, truth)
}

#[test]
fn every_report_equals_the_ground_truth_without_a_daemon() {
    let (tmp, truth) = history(11);
    for (kind, expected) in [
        ("daily", truth.daily()),
        ("monthly", truth.monthly()),
        ("session", truth.sessions()),
    ] {
        let report = json(tmp.path(), &[kind, "--json"]);
        assert_eq!(totals(&report, kind), expected, "{kind}");
        let cost = report["totals"]["totalCost"].as_f64().unwrap();
        assert!(
            (cost - expected_cost(&expected)).abs() < 1e-6,
            "{kind}: {cost} vs {}",
            expected_cost(&expected)
        );
        // The generator always includes a model without a price: listed, not costed.
        assert_eq!(
            report["totals"]["unpricedModels"][0],
            generate::UNPRICED_MODEL,
            "{kind}"
        );
    }
    // The table for people names the same total.
    let out = usage(tmp.path(), &["daily"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let total: u64 = truth.responses.iter().map(|r| r.tokens.total()).sum();
    assert!(text.contains(&total.to_string()), "{text}");
}

#[test]
fn filters_and_concurrent_runs_agree() {
    let (tmp, truth) = history(12);
    let days: Vec<String> = truth.daily().keys().cloned().collect();
    let (since, until) = (&days[1], &days[days.len() - 2]);
    let report = json(
        tmp.path(),
        &[
            "daily",
            "--json",
            "--since",
            since,
            "--until",
            &until.replace('-', ""),
        ],
    );
    let expected: Totals = truth
        .daily()
        .into_iter()
        .filter(|(d, _)| d >= since && d <= until)
        .collect();
    assert_eq!(totals(&report, "daily"), expected);

    let project = truth.responses[0].project.clone();
    let mut only = truth.clone();
    only.responses.retain(|r| r.project == project);
    let report = json(tmp.path(), &["session", "--json", "--project", &project]);
    assert_eq!(totals(&report, "session"), only.sessions());

    // Two runs at once on a fresh index: both wait their turn and agree.
    std::fs::remove_dir_all(tmp.path().join("missiond")).unwrap();
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_missiond"))
            .args(["usage", "monthly", "--json"])
            .env_clear()
            .env("HOME", tmp.path())
            .env("MISSIOND_HOME", tmp.path().join("missiond"))
            .output()
            .unwrap()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap(), b.join().unwrap())
    });
    for out in [a, b] {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(totals(&v, "monthly"), truth.monthly());
    }
}

#[test]
fn bad_arguments_get_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = usage(tmp.path(), &["daily", "--since", "2026-02-30"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--since") && err.contains("YYYY-MM-DD"),
        "{err}"
    );
    let prices = tmp.path().join("bad.json");
    std::fs::write(&prices, "{").unwrap();
    let out = usage(tmp.path(), &["daily", "--prices", prices.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"));
    // No history at all: an empty report, not an error.
    let v = json(tmp.path(), &["monthly", "--json"]);
    assert_eq!(v["monthly"].as_array().unwrap().len(), 0);
    assert_eq!(v["totals"]["totalTokens"], 0);
}
