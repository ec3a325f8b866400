//! Tests of the history index against generated histories and hand-written lines.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::generate::{self, GenOptions, GroundTruth, Totals};
use super::index::HistoryIndex;
use super::line::{self, Tokens};
use super::prices::PriceTable;
use super::report::{self, Filter, Report, ReportKind};

fn report_totals(r: &Report) -> Totals {
    r.rows
        .iter()
        .map(|row| {
            (
                row.period.clone(),
                row.breakdowns
                    .iter()
                    .map(|b| {
                        (
                            b.model_name.clone(),
                            Tokens {
                                input_tokens: b.input_tokens,
                                output_tokens: b.output_tokens,
                                cache_creation_input_tokens: b.cache_creation_tokens,
                                cache_read_input_tokens: b.cache_read_tokens,
                            },
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

fn build(index: &HistoryIndex, root: &Path, kind: ReportKind, filter: &Filter) -> Report {
    report::build(
        index,
        &[root.to_path_buf()],
        kind,
        filter,
        &PriceTable::built_in(),
    )
    .unwrap()
}

fn assert_matches(index: &HistoryIndex, root: &Path, truth: &GroundTruth) {
    let f = Filter::default();
    assert_eq!(
        report_totals(&build(index, root, ReportKind::Daily, &f)),
        truth.daily()
    );
    assert_eq!(
        report_totals(&build(index, root, ReportKind::Monthly, &f)),
        truth.monthly()
    );
    assert_eq!(
        report_totals(&build(index, root, ReportKind::Session, &f)),
        truth.sessions()
    );
}

fn canonical(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir).unwrap()
}

#[test]
fn generated_history_matches_its_ground_truth_in_every_report() {
    let tmp = tempfile::tempdir().unwrap();
    let root = canonical(tmp.path());
    let truth = generate::generate(
        &root,
        &GenOptions {
            seed: 7,
            target_bytes: 3 << 20,
            files: 30,
            ..GenOptions::default()
        },
    )
    .unwrap();
    assert!(truth.responses.len() > 200, "{}", truth.responses.len());
    // Several days and at least one month boundary are covered.
    assert!(truth.daily().len() >= 5);
    let mut index = HistoryIndex::open(&tmp.path().join("index/history.db")).unwrap();
    let stats = index.sync(std::slice::from_ref(&root)).unwrap();
    assert_eq!(stats.files, truth.files);
    assert_matches(&index, &root, &truth);
    // A second sync reads nothing and changes nothing.
    let again = index.sync(std::slice::from_ref(&root)).unwrap();
    assert_eq!(again.files_read, 0);
    assert_matches(&index, &root, &truth);
}

#[test]
fn different_seeds_give_different_histories_and_each_matches() {
    for seed in [1u64, 2, 3] {
        let tmp = tempfile::tempdir().unwrap();
        let root = canonical(tmp.path());
        let truth = generate::generate(
            &root,
            &GenOptions {
                seed,
                target_bytes: 1 << 20,
                files: 12,
                ..GenOptions::default()
            },
        )
        .unwrap();
        let mut index = HistoryIndex::open(&tmp.path().join("h.db")).unwrap();
        index.sync(std::slice::from_ref(&root)).unwrap();
        assert_matches(&index, &root, &truth);
    }
}

fn assistant(id: &str, ts: &str, input: u64, output: u64, extra: &str) -> String {
    format!(
        r#"{{"type":"assistant","sessionId":"s1","timestamp":"{ts}","message":{{"id":"{id}","model":"claude-sonnet-4-5-20250929","role":"assistant","content":[],"usage":{{"input_tokens":{input},"output_tokens":{output},"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}}{extra}}}"#
    )
}

fn one_session(root: &Path) -> PathBuf {
    let dir = root.join("projects/-work-demo");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("s1.jsonl")
}

fn daily(index: &HistoryIndex, root: &Path) -> Vec<(String, u64, u64)> {
    build(index, root, ReportKind::Daily, &Filter::default())
        .rows
        .iter()
        .map(|r| {
            (
                r.period.clone(),
                r.tokens.input_tokens,
                r.tokens.output_tokens,
            )
        })
        .collect()
}

#[test]
fn largest_line_counts_once_dated_by_its_own_day_first_on_a_tie() {
    let tmp = tempfile::tempdir().unwrap();
    let root = canonical(tmp.path());
    let file = one_session(&root);
    let lines = [
        // Tie across midnight: the first line's day counts.
        assistant("m1", "2026-11-02T23:59:59.900Z", 10, 5, ""),
        assistant("m1", "2026-11-03T00:00:00.100Z", 10, 5, ""),
        // Partial output first: the last (largest) line's day counts.
        assistant("m2", "2026-11-03T23:59:59.000Z", 1, 1, r#","requestId":"r2""#),
        assistant("m2", "2026-11-04T00:00:01.000Z", 1, 50, r#","requestId":"r2""#),
        // Synthetic: never counted.
        r#"{"type":"assistant","sessionId":"s1","timestamp":"2026-11-04T01:00:00.000Z","message":{"id":"x","model":"<synthetic>","usage":{"input_tokens":0,"output_tokens":0}}}"#.to_string(),
        // A user line mentioning usage: not counted.
        r#"{"type":"user","sessionId":"s1","timestamp":"2026-11-04T01:00:00.000Z","message":{"role":"user","usage":{"input_tokens":1000}}}"#.to_string(),
        "not json at all".to_string(),
    ];
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let mut index = HistoryIndex::open(&root.join("h.db")).unwrap();
    index.sync(std::slice::from_ref(&root)).unwrap();
    assert_eq!(
        daily(&index, &root),
        vec![
            ("2026-11-02".to_string(), 10, 5),
            ("2026-11-04".to_string(), 1, 50)
        ]
    );
}

#[test]
fn appended_lines_partial_last_line_truncation_and_deletion() {
    let tmp = tempfile::tempdir().unwrap();
    let root = canonical(tmp.path());
    let file = one_session(&root);
    let db = root.join("h.db");
    let l1 = assistant("m1", "2026-11-02T10:00:00.000Z", 10, 5, "");
    let l2 = assistant("m2", "2026-11-02T11:00:00.000Z", 20, 6, "");
    std::fs::write(&file, format!("{l1}\n")).unwrap();
    {
        let mut index = HistoryIndex::open(&db).unwrap();
        index.sync(std::slice::from_ref(&root)).unwrap();
        assert_eq!(daily(&index, &root), vec![("2026-11-02".into(), 10, 5)]);
    }
    // Half of the next line arrives: not counted yet, and a restart (new open) resumes.
    let (a, b) = l2.split_at(40);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap();
    f.write_all(a.as_bytes()).unwrap();
    {
        let mut index = HistoryIndex::open(&db).unwrap();
        index.sync(std::slice::from_ref(&root)).unwrap();
        assert_eq!(daily(&index, &root), vec![("2026-11-02".into(), 10, 5)]);
    }
    f.write_all(format!("{b}\n").as_bytes()).unwrap();
    // The same response's larger line, later: replaces, never adds.
    let l1_bigger = assistant("m1", "2026-11-02T10:00:01.000Z", 10, 9, "");
    f.write_all(format!("{l1_bigger}\n").as_bytes()).unwrap();
    drop(f);
    let mut index = HistoryIndex::open(&db).unwrap();
    index.sync(std::slice::from_ref(&root)).unwrap();
    assert_eq!(daily(&index, &root), vec![("2026-11-02".into(), 30, 15)]);
    // Truncated and rewritten with other content: read again from the start.
    std::fs::write(&file, format!("{l2}\n")).unwrap();
    let stats = index.sync(std::slice::from_ref(&root)).unwrap();
    assert_eq!(stats.files_reset, 1);
    assert_eq!(daily(&index, &root), vec![("2026-11-02".into(), 20, 6)]);
    // Deleted: its usage goes.
    std::fs::remove_file(&file).unwrap();
    let stats = index.sync(std::slice::from_ref(&root)).unwrap();
    assert_eq!(stats.files_removed, 1);
    assert_eq!(daily(&index, &root), vec![]);
}

#[test]
fn replaced_file_of_the_same_size_is_read_again() {
    let tmp = tempfile::tempdir().unwrap();
    let root = canonical(tmp.path());
    let file = one_session(&root);
    std::fs::write(
        &file,
        assistant("m1", "2026-11-02T10:00:00.000Z", 11, 5, "") + "\n",
    )
    .unwrap();
    let mut index = HistoryIndex::open(&root.join("h.db")).unwrap();
    index.sync(std::slice::from_ref(&root)).unwrap();
    // Rotated: a new file (new inode) with the same length, other numbers.
    let new = file.with_extension("new");
    std::fs::write(
        &new,
        assistant("m9", "2026-11-05T10:00:00.000Z", 22, 7, "") + "\n",
    )
    .unwrap();
    std::fs::rename(&new, &file).unwrap();
    index.sync(std::slice::from_ref(&root)).unwrap();
    assert_eq!(daily(&index, &root), vec![("2026-11-05".into(), 22, 7)]);
}

#[test]
fn filters_by_day_and_project() {
    let tmp = tempfile::tempdir().unwrap();
    let root = canonical(tmp.path());
    let file = one_session(&root);
    std::fs::write(
        &file,
        [
            assistant("a", "2026-11-01T10:00:00.000Z", 1, 1, ""),
            assistant("b", "2026-11-02T10:00:00.000Z", 2, 2, ""),
            assistant("c", "2026-11-03T10:00:00.000Z", 4, 4, ""),
        ]
        .join("\n")
            + "\n",
    )
    .unwrap();
    let mut index = HistoryIndex::open(&root.join("h.db")).unwrap();
    index.sync(std::slice::from_ref(&root)).unwrap();
    let day = |s| super::time::parse_day(s).unwrap();
    let f = Filter {
        since: Some(day("2026-11-02")),
        until: Some(day("20261102")),
        project: None,
    };
    let r = build(&index, &root, ReportKind::Daily, &f);
    assert_eq!(r.totals.input_tokens, 2);
    for (project, expected) in [("/work/demo", 7), ("-work-demo", 7), ("/work/other", 0)] {
        let f = Filter {
            project: Some(project.into()),
            ..Filter::default()
        };
        let r = build(&index, &root, ReportKind::Monthly, &f);
        assert_eq!(r.totals.input_tokens, expected, "{project}");
    }
}

#[test]
fn unknown_models_are_listed_unpriced_and_known_ones_costed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = canonical(tmp.path());
    let file = one_session(&root);
    let unknown = assistant("u", "2026-11-01T10:00:00.000Z", 1000, 0, "")
        .replace("claude-sonnet-4-5-20250929", "made-up-model");
    std::fs::write(
        &file,
        format!(
            "{}\n{unknown}\n",
            assistant("k", "2026-11-01T10:00:00.000Z", 1_000_000, 1_000_000, "")
        ),
    )
    .unwrap();
    let mut index = HistoryIndex::open(&root.join("h.db")).unwrap();
    index.sync(std::slice::from_ref(&root)).unwrap();
    let r = build(&index, &root, ReportKind::Daily, &Filter::default());
    assert_eq!(r.unpriced, vec!["made-up-model".to_string()]);
    // Sonnet 4.5, one request of 1M input tokens: over 200k, so the long-context rates,
    // $6 per million input and $22.50 per million output, for all of it.
    assert!((r.total_cost - 28.5).abs() < 1e-9, "{}", r.total_cost);
    let json = r.to_json();
    let breakdowns = json["daily"][0]["modelBreakdowns"].as_array().unwrap();
    let unpriced = breakdowns
        .iter()
        .find(|b| b["modelName"] == "made-up-model")
        .unwrap();
    assert_eq!(unpriced["missingPricing"], true);
    assert_eq!(json["totals"]["unpricedModels"][0], "made-up-model");
}

#[test]
fn price_file_overrides_and_dated_names_match() {
    let mut t = PriceTable::built_in();
    assert_eq!(t.get("claude-opus-4-1-20250805").unwrap().output, 75.0);
    // A date suffix matches the undated entry, but a longer version does not match a
    // shorter one's prefix.
    assert!(t.get("claude-opus-4-10").is_none());
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("p.json");
    std::fs::write(
        &f,
        r#"{"models":{"made-up-model":{"input":1,"output":2,"cacheWrite":3,"cacheRead":4}}}"#,
    )
    .unwrap();
    t.merge_file(&f).unwrap();
    assert_eq!(t.get("made-up-model").unwrap().cache_read, 4.0);
    std::fs::write(&f, r#"{"models":{"x":{"input":1}}}"#).unwrap();
    let err = t.merge_file(&f).unwrap_err().to_string();
    assert!(err.contains("p.json"), "{err}");
}

#[test]
fn progress_lines_and_sidechain_parse() {
    let progress = r#"{"type":"progress","sessionId":"s","data":{"message":{"type":"assistant","timestamp":"2026-11-01T00:00:00Z","message":{"id":"m","model":"claude-opus-4-6","usage":{"input_tokens":3,"output_tokens":4,"cache_read_input_tokens":null}}}}}"#;
    let l = line::parse(progress.as_bytes()).unwrap();
    assert_eq!(l.message_id.as_deref(), Some("m"));
    assert_eq!(l.tokens.total(), 7);
    assert_eq!(l.session_id.as_deref(), Some("s"));
    // Offsets in timestamps are honoured.
    assert_eq!(
        super::time::parse_rfc3339_ms("2026-11-02T01:00:00+02:00"),
        super::time::parse_rfc3339_ms("2026-11-01T23:00:00Z")
    );
    assert!(super::time::parse_day("2026-02-30").is_none());
}

#[test]
fn long_context_rates_apply_per_request_over_200k_input() {
    let t = PriceTable::built_in();
    let sonnet = t.get("claude-sonnet-4-20250514").unwrap();
    let usage = |input, output, write, read| Tokens {
        input_tokens: input,
        output_tokens: output,
        cache_creation_input_tokens: write,
        cache_read_input_tokens: read,
    };
    // Exactly 200,000 input tokens (10k + 40k written + 150k read): base rates.
    // 10k*$3 + 2k*$15 + 40k*$3.75 + 150k*$0.30 per million = 0.03+0.03+0.15+0.045.
    let at = usage(10_000, 2_000, 40_000, 150_000);
    assert!((sonnet.response_cost(&at) - 0.255).abs() < 1e-12);
    // One more input token: every token at $6 / $22.50 / $7.50 / $0.60.
    // 10,001*6 + 2k*22.5 + 40k*7.5 + 150k*0.6 = 60,006 + 45,000 + 300,000 + 90,000.
    let over = usage(10_001, 2_000, 40_000, 150_000);
    assert!((sonnet.response_cost(&over) - 0.495006).abs() < 1e-12);
    // Output does not count towards the threshold.
    let big_output = usage(100_000, 150_000, 0, 0);
    assert!((sonnet.response_cost(&big_output) - (0.3 + 2.25)).abs() < 1e-12);
    // Models without long-context rates keep their base rates.
    let opus = t.get("claude-opus-4-6").unwrap();
    assert!((opus.response_cost(&over) - opus.cost(&over)).abs() < 1e-12);
}

#[test]
fn reports_cost_each_request_on_its_own_not_the_summed_tokens() {
    let tmp = tempfile::tempdir().unwrap();
    let root = canonical(tmp.path());
    let file = one_session(&root);
    // Two requests of 150k input each: 300k summed, but neither is over 200k.
    std::fs::write(
        &file,
        format!(
            "{}\n{}\n",
            assistant("a", "2026-11-01T10:00:00.000Z", 150_000, 0, ""),
            assistant("b", "2026-11-01T11:00:00.000Z", 150_000, 0, "")
        ),
    )
    .unwrap();
    let mut index = HistoryIndex::open(&root.join("h.db")).unwrap();
    index.sync(std::slice::from_ref(&root)).unwrap();
    let r = build(&index, &root, ReportKind::Daily, &Filter::default());
    assert!((r.total_cost - 0.9).abs() < 1e-9, "{}", r.total_cost);
}
