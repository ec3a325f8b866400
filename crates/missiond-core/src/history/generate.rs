//! Synthetic Claude Code histories with a known ground truth, for tests and the benchmark.
//!
//! Deterministic by seed; sized by a byte target. Every shape the counting rule must
//! handle appears: 2.1.331 responses (one line per content block, full usage repeated,
//! `requestRef`, no `requestId`, blocks that straddle UTC midnight), older responses
//! (`requestId`, partial `output_tokens` on earlier blocks), aborted streams (the largest
//! usage not on the last line), inline sidechain lines, `progress` lines repeating a
//! subagent's response, subagent transcripts, `<synthetic>` error lines, models without
//! a price, and many lines without usage (prompts, tool results, snapshots).

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::{Value, json};

use super::line::Tokens;
use super::time::{day_string, month_string};

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenOptions {
    /// Seed of the pseudo-random generator: same seed, same bytes.
    pub seed: u64,
    /// About how many bytes to write in all.
    pub target_bytes: u64,
    /// About how many files (main transcripts and subagent transcripts).
    pub files: usize,
    /// First UTC day of activity (days since 1970-01-01).
    pub start_day: i64,
    /// Over how many days sessions start.
    pub days: i64,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            seed: 1,
            target_bytes: 2 << 20,
            files: 40,
            start_day: super::time::days_from_civil(2026, 10, 28),
            days: 10,
        }
    }
}

/// One API response as it must be counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruthResponse {
    /// Session id.
    pub session: String,
    /// Project folder name.
    pub project: String,
    /// Model.
    pub model: String,
    /// The counted line's time (Unix ms).
    pub ts_ms: i64,
    /// Its usage.
    pub tokens: Tokens,
}

/// Every response in a generated history, each once.
#[derive(Debug, Clone, Default)]
pub struct GroundTruth {
    /// The responses.
    pub responses: Vec<TruthResponse>,
    /// Bytes written.
    pub bytes: u64,
    /// Files written.
    pub files: usize,
}

/// Per period, per model: tokens.
pub type Totals = BTreeMap<String, BTreeMap<String, Tokens>>;

impl GroundTruth {
    fn group(&self, key: impl Fn(&TruthResponse) -> String) -> Totals {
        let mut out: Totals = BTreeMap::new();
        for r in &self.responses {
            let t = out
                .entry(key(r))
                .or_default()
                .entry(r.model.clone())
                .or_default();
            t.input_tokens += r.tokens.input_tokens;
            t.output_tokens += r.tokens.output_tokens;
            t.cache_creation_input_tokens += r.tokens.cache_creation_input_tokens;
            t.cache_read_input_tokens += r.tokens.cache_read_input_tokens;
        }
        out
    }

    /// Per UTC day (`2026-11-02`).
    pub fn daily(&self) -> Totals {
        self.group(|r| day_string(r.ts_ms.div_euclid(86_400_000)))
    }

    /// Per UTC month (`2026-11`).
    pub fn monthly(&self) -> Totals {
        self.group(|r| month_string(r.ts_ms.div_euclid(86_400_000)))
    }

    /// Per session.
    pub fn sessions(&self) -> Totals {
        self.group(|r| r.session.clone())
    }
}

/// splitmix64: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn hex(&mut self, len: usize) -> String {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(len);
        s
    }
    fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

const MODELS: &[&str] = &[
    "claude-opus-4-6",
    "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5-20251001",
    "claude-opus-4-1-20250805",
    "claude-sonnet-4-20250514",
];
/// A model no price table knows.
pub const UNPRICED_MODEL: &str = "claude-experimental-unpriced";

const WORDS: &[&str] = &[
    "the", "session", "reads", "files", "and", "writes", "tests", "for", "missiond", "usage",
    "index", "while", "agents", "work", "on", "tasks", "quickly", "with", "care",
];

fn filler(rng: &mut Rng, bytes: usize) -> String {
    let mut s = String::with_capacity(bytes + 16);
    while s.len() < bytes {
        s.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
        s.push(' ');
    }
    s
}

fn usage_json(t: &Tokens) -> Value {
    json!({
        "input_tokens": t.input_tokens,
        "cache_creation_input_tokens": t.cache_creation_input_tokens,
        "cache_read_input_tokens": t.cache_read_input_tokens,
        "cache_creation": {"ephemeral_5m_input_tokens": t.cache_creation_input_tokens, "ephemeral_1h_input_tokens": 0},
        "output_tokens": t.output_tokens,
        "service_tier": "standard"
    })
}

/// A session being written: one file, its context, its clock.
struct Writer<'a> {
    out: BufWriter<std::fs::File>,
    bytes: u64,
    session: String,
    project: String,
    cwd: String,
    clock_ms: i64,
    sidechain: bool,
    truth: &'a mut Vec<TruthResponse>,
}

impl Writer<'_> {
    fn line(&mut self, v: &Value) -> std::io::Result<()> {
        let mut buf = serde_json::to_vec(v).map_err(std::io::Error::other)?;
        buf.push(b'\n');
        self.bytes += buf.len() as u64;
        self.out.write_all(&buf)
    }

    fn ts(&self, ms: i64) -> String {
        crate::time::rfc3339_ms(ms)
    }

    fn base(
        &self,
        rng: &mut Rng,
        kind: &str,
        ms: i64,
        version: &str,
    ) -> serde_json::Map<String, Value> {
        let mut m = serde_json::Map::new();
        m.insert("parentUuid".into(), json!(rng.uuid()));
        m.insert("isSidechain".into(), json!(self.sidechain));
        m.insert("userType".into(), json!("external"));
        m.insert("cwd".into(), json!(self.cwd));
        m.insert("sessionId".into(), json!(self.session));
        m.insert("version".into(), json!(version));
        m.insert("gitBranch".into(), json!("main"));
        m.insert("type".into(), json!(kind));
        m.insert("uuid".into(), json!(rng.uuid()));
        m.insert("timestamp".into(), json!(self.ts(ms)));
        m
    }

    fn user(&mut self, rng: &mut Rng, pad: usize) -> std::io::Result<()> {
        self.clock_ms += 500 + rng.below(20_000) as i64;
        let mut m = self.base(rng, "user", self.clock_ms, "2.1.331");
        // Text that mentions usage must not count: only assistant lines do.
        let text = format!(
            "tool output: {{\"usage\":{{\"input_tokens\":999}}}} {}",
            filler(rng, pad)
        );
        m.insert(
            "message".into(),
            json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": format!("toolu_{}", rng.hex(20)), "content": text}]}),
        );
        self.line(&Value::Object(m))
    }

    fn tokens(rng: &mut Rng) -> Tokens {
        Tokens {
            input_tokens: 1 + rng.below(4000),
            output_tokens: 1 + rng.below(3000),
            cache_creation_input_tokens: rng.below(20_000),
            cache_read_input_tokens: rng.below(150_000),
        }
    }

    fn block(rng: &mut Rng, i: usize, pad: usize) -> Value {
        match (i + rng.below(3) as usize) % 3 {
            0 => {
                json!({"type": "thinking", "thinking": filler(rng, pad), "signature": rng.hex(64)})
            }
            1 => json!({"type": "text", "text": filler(rng, pad)}),
            _ => {
                json!({"type": "tool_use", "id": format!("toolu_{}", rng.hex(20)), "name": "Bash", "input": {"command": filler(rng, pad.min(200))}})
            }
        }
    }

    fn assistant(
        &mut self,
        rng: &mut Rng,
        ms: i64,
        version: &str,
        message: Value,
        extra: &[(&str, Value)],
    ) -> Value {
        let mut m = self.base(rng, "assistant", ms, version);
        m.insert("message".into(), message);
        for (k, v) in extra {
            m.insert((*k).to_string(), v.clone());
        }
        Value::Object(m)
    }

    fn message(model: &str, id: &str, block: Value, usage: &Tokens) -> Value {
        json!({"model": model, "id": id, "type": "message", "role": "assistant", "content": [block],
               "stop_reason": null, "stop_sequence": null, "usage": usage_json(usage)})
    }

    /// A 2.1.331 response: one line per block, full usage on each, its own timestamp.
    fn response_new(&mut self, rng: &mut Rng, model: &str, pad: usize) -> std::io::Result<()> {
        let id = format!("msg_{}", rng.hex(24));
        let t = Self::tokens(rng);
        let blocks = 1 + rng.below(4) as usize;
        self.advance_maybe_to_midnight(rng);
        let req = rng.uuid();
        let mut api = self.base(rng, "api-request", self.clock_ms, "2.1.331");
        api.insert("requestRef".into(), json!(req));
        self.line(&Value::Object(api))?;
        let first_ms = self.clock_ms;
        for i in 0..blocks {
            let block = Self::block(rng, i, pad);
            let v = self.assistant(
                rng,
                self.clock_ms,
                "2.1.331",
                Self::message(model, &id, block, &t),
                &[("requestRef", json!(req))],
            );
            self.line(&v)?;
            self.clock_ms += 1 + rng.below(900) as i64;
        }
        // All lines tie: the first counts.
        self.truth.push(TruthResponse {
            session: self.session.clone(),
            project: self.project.clone(),
            model: model.to_string(),
            ts_ms: first_ms,
            tokens: t,
        });
        Ok(())
    }

    /// An older response: `requestId`, partial `output_tokens` before the last block.
    /// Aborted streams stop early, and may end on a line smaller than an earlier one.
    fn response_old(
        &mut self,
        rng: &mut Rng,
        model: &str,
        pad: usize,
        aborted: bool,
    ) -> std::io::Result<()> {
        let id = format!("msg_{}", rng.hex(24));
        let req = format!("req_{}", rng.hex(24));
        let full = Self::tokens(rng);
        let blocks = 2 + rng.below(3) as usize;
        self.advance_maybe_to_midnight(rng);
        let mut best: Option<(u64, i64, Tokens)> = None;
        for i in 0..blocks {
            let mut t = full;
            if i + 1 < blocks {
                t.output_tokens = 1 + full.output_tokens * (i as u64 + 1) / (blocks as u64 + 1);
            }
            if aborted && i + 1 == blocks {
                // The stream was cut: the last line reports fewer tokens than before.
                t.output_tokens = 1;
                t.cache_read_input_tokens = 0;
            }
            let block = Self::block(rng, i, pad);
            let v = self.assistant(
                rng,
                self.clock_ms,
                "1.0.98",
                Self::message(model, &id, block, &t),
                &[("requestId", json!(req))],
            );
            self.line(&v)?;
            if best.is_none_or(|(b, _, _)| t.total() > b) {
                best = Some((t.total(), self.clock_ms, t));
            }
            self.clock_ms += 1 + rng.below(900) as i64;
        }
        let (_, ms, t) = best.expect("at least one block");
        self.truth.push(TruthResponse {
            session: self.session.clone(),
            project: self.project.clone(),
            model: model.to_string(),
            ts_ms: ms,
            tokens: t,
        });
        Ok(())
    }

    /// A `<synthetic>` error line: not an API response.
    fn synthetic(&mut self, rng: &mut Rng) -> std::io::Result<()> {
        self.clock_ms += 100;
        let msg = json!({"id": rng.uuid(), "model": "<synthetic>", "role": "assistant", "type": "message",
            "content": [{"type": "text", "text": "API Error: 500 internal server error"}],
            "usage": usage_json(&Tokens::default())});
        let v = self.assistant(
            rng,
            self.clock_ms,
            "2.1.331",
            msg,
            &[("isApiErrorMessage", json!(true))],
        );
        self.line(&v)
    }

    /// Sometimes jump to just before a UTC midnight, so blocks straddle two days.
    fn advance_maybe_to_midnight(&mut self, rng: &mut Rng) {
        self.clock_ms += 1000 + rng.below(60_000) as i64;
        if rng.chance(3) {
            let day = self.clock_ms.div_euclid(86_400_000);
            self.clock_ms = (day + 1) * 86_400_000 - 1 - rng.below(800) as i64;
        }
    }
}

/// Writes a history under `root` (a Claude Code config folder: `root/projects/...`) and
/// returns its ground truth.
pub fn generate(root: &Path, opts: &GenOptions) -> std::io::Result<GroundTruth> {
    let mut rng = Rng(opts.seed ^ 0x5eed_5eed_5eed_5eed);
    let mut truth = GroundTruth::default();
    let files = opts.files.max(1);
    let per_file = (opts.target_bytes / files as u64).max(4096);
    let projects: Vec<String> = (0..(files / 20).clamp(2, 12))
        .map(|i| format!("/work/project-{i}"))
        .collect();
    let mut written = 0usize;
    while written < files {
        let cwd = projects[rng.below(projects.len() as u64) as usize].clone();
        let project = super::sources::project_slug(&cwd);
        let dir = root.join("projects").join(&project);
        std::fs::create_dir_all(&dir)?;
        let session = rng.uuid();
        let start =
            opts.start_day * 86_400_000 + rng.below((opts.days.max(1) * 86_400_000) as u64) as i64;
        let old_style = rng.chance(30);
        let mut w = Writer {
            out: BufWriter::with_capacity(
                1 << 16,
                std::fs::File::create(dir.join(format!("{session}.jsonl")))?,
            ),
            bytes: 0,
            session: session.clone(),
            project: project.clone(),
            cwd: cwd.clone(),
            clock_ms: start,
            sidechain: false,
            truth: &mut truth.responses,
        };
        // A subagent whose responses also appear inline as `progress` lines (old style).
        let mut subagent_lines: Vec<Value> = Vec::new();
        let mut snapshot = json!({"type": "file-history-snapshot", "messageId": rng.uuid(), "snapshot": {"trackedFileBackups": {}}});
        w.line(&snapshot)?;
        while w.bytes < per_file {
            let model = if rng.chance(4) {
                UNPRICED_MODEL
            } else {
                MODELS[rng.below(MODELS.len() as u64) as usize]
            };
            let pad = 100 + rng.below(1500) as usize;
            let user_pad = 200 + rng.below(6000) as usize;
            w.user(&mut rng, user_pad)?;
            if old_style {
                let aborted = rng.chance(5);
                w.response_old(&mut rng, model, pad, aborted)?;
                if rng.chance(8) {
                    // An inline sidechain response (old versions kept them in the file).
                    w.sidechain = true;
                    w.response_old(&mut rng, model, pad, false)?;
                    w.sidechain = false;
                }
                if rng.chance(6) {
                    // A subagent response repeated as a progress line here.
                    let id = format!("msg_{}", rng.hex(24));
                    let t = Writer::tokens(&mut rng);
                    w.clock_ms += 2000;
                    let ms = w.clock_ms;
                    let inner = json!({"type": "assistant", "timestamp": w.ts(ms), "requestId": format!("req_{}", rng.hex(24)),
                        "isSidechain": true,
                        "message": Writer::message(model, &id, json!({"type": "text", "text": filler(&mut rng, 200)}), &t)});
                    let mut m = w.base(&mut rng, "progress", ms, "1.0.98");
                    m.insert(
                        "data".into(),
                        json!({"type": "agent_progress", "message": inner.clone()}),
                    );
                    w.line(&Value::Object(m))?;
                    subagent_lines.push(inner);
                    w.truth.push(TruthResponse {
                        session: session.clone(),
                        project: project.clone(),
                        model: model.to_string(),
                        ts_ms: ms,
                        tokens: t,
                    });
                }
            } else {
                w.response_new(&mut rng, model, pad)?;
            }
            if rng.chance(2) {
                w.synthetic(&mut rng)?;
            }
        }
        snapshot = json!({"type": "last-prompt", "lastPrompt": "done", "sessionId": session});
        w.line(&snapshot)?;
        w.out.flush()?;
        truth.bytes += w.bytes;
        written += 1;
        let clock = w.clock_ms;
        drop(w);
        // Some sessions have a subagent transcript (new style; and old style's repeats).
        if written < files && (rng.chance(15) || !subagent_lines.is_empty()) {
            let agent_dir = dir.join(&session).join("subagents");
            std::fs::create_dir_all(&agent_dir)?;
            let mut w = Writer {
                out: BufWriter::with_capacity(
                    1 << 16,
                    std::fs::File::create(agent_dir.join(format!("agent-{}.jsonl", rng.hex(16))))?,
                ),
                bytes: 0,
                session: session.clone(),
                project: project.clone(),
                cwd,
                clock_ms: clock,
                sidechain: true,
                truth: &mut truth.responses,
            };
            for inner in &subagent_lines {
                // The same response as its progress line: same id, time and usage.
                let mut m = w.base(&mut rng, "assistant", 0, "1.0.98");
                m.insert("timestamp".into(), inner["timestamp"].clone());
                m.insert("requestId".into(), inner["requestId"].clone());
                m.insert("message".into(), inner["message"].clone());
                m.insert("agentId".into(), json!(rng.hex(8)));
                w.line(&Value::Object(m))?;
            }
            let budget = per_file / 3;
            while w.bytes < budget {
                let user_pad = 100 + rng.below(3000) as usize;
                w.user(&mut rng, user_pad)?;
                let model = MODELS[rng.below(MODELS.len() as u64) as usize];
                let pad = 100 + rng.below(800) as usize;
                w.response_new(&mut rng, model, pad)?;
            }
            w.out.flush()?;
            truth.bytes += w.bytes;
            written += 1;
        }
    }
    truth.files = written;
    Ok(truth)
}
