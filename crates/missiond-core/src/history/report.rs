//! Daily, monthly and per-session usage from the index, in ccusage's JSON shape (so
//! scripts written for `ccusage --json` keep working), or as a table for people.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use serde::Serialize;
use serde_json::{Value, json};

use super::HistoryError;
use super::index::HistoryIndex;
use super::line::Tokens;
use super::prices::PriceTable;
use super::sources::project_slug;
use super::time::{day_string, month_string};

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// One row per UTC day.
    Daily,
    /// One row per UTC month.
    Monthly,
    /// One row per session.
    Session,
}

impl ReportKind {
    /// The JSON key of the rows (`daily`, `monthly`, `session`), as ccusage names it.
    pub fn key(self) -> &'static str {
        match self {
            ReportKind::Daily => "daily",
            ReportKind::Monthly => "monthly",
            ReportKind::Session => "session",
        }
    }
}

/// Which responses count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// First UTC day (days since 1970-01-01), inclusive.
    pub since: Option<i64>,
    /// Last UTC day, inclusive.
    pub until: Option<i64>,
    /// A project: its folder name under `projects/` (`-work-demo`) or its path
    /// (`/work/demo`).
    pub project: Option<String>,
}

/// The usage of one model within a row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelBreakdown {
    /// The model.
    pub model_name: String,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Cache creation tokens.
    pub cache_creation_tokens: u64,
    /// Cache read tokens.
    pub cache_read_tokens: u64,
    /// US dollars (0 when unpriced; see `missing_pricing`).
    pub cost: f64,
    /// The model has no price: its cost is not included.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub missing_pricing: bool,
}

/// One row: a day, a month or a session.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// `2026-11-02`, `2026-11` or the session id.
    pub period: String,
    /// The row's tokens.
    pub tokens: Tokens,
    /// US dollars over the priced models.
    pub total_cost: f64,
    /// Per model, dearest first.
    pub breakdowns: Vec<ModelBreakdown>,
    /// Latest response (Unix ms).
    pub last_ms: i64,
    /// For sessions: the project folder.
    pub project: Option<String>,
}

/// A whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Which one.
    pub kind: ReportKind,
    /// Rows, oldest first.
    pub rows: Vec<Row>,
    /// Sum of all rows.
    pub totals: Tokens,
    /// Sum of all rows' cost.
    pub total_cost: f64,
    /// Models met without a price, sorted.
    pub unpriced: Vec<String>,
}

fn add(a: &mut Tokens, b: &Tokens) {
    a.input_tokens += b.input_tokens;
    a.output_tokens += b.output_tokens;
    a.cache_creation_input_tokens += b.cache_creation_input_tokens;
    a.cache_read_input_tokens += b.cache_read_input_tokens;
}

/// One group and model while scanning: tokens, latest time, a project, cost.
type Sum = (Tokens, i64, String, f64);

/// Per group and model: tokens and their cost; latest time, a project.
type Groups = BTreeMap<String, (BTreeMap<String, (Tokens, f64)>, i64, Option<String>)>;

/// Builds a report over the responses whose counted line lies under `roots`.
pub fn build(
    index: &HistoryIndex,
    roots: &[PathBuf],
    kind: ReportKind,
    filter: &Filter,
    prices: &PriceTable,
) -> Result<Report, HistoryError> {
    let root_ids: HashSet<i64> = index.root_ids(roots)?.into_iter().collect();
    let db = |source| HistoryError::Db {
        path: index.path().to_path_buf(),
        action: "reading usage",
        source,
    };
    // Which files count: those under the config folders asked about.
    let mut wanted_files: HashSet<i64> = HashSet::new();
    {
        let mut stmt = index
            .conn()
            .prepare("SELECT id, root_id FROM files")
            .map_err(db)?;
        let mut rows = stmt.query([]).map_err(db)?;
        while let Some(r) = rows.next().map_err(db)? {
            if root_ids.contains(&r.get::<_, i64>(1).map_err(db)?) {
                wanted_files.insert(r.get(0).map_err(db)?);
            }
        }
    }
    // One sequential scan, summed here: cheaper than SQLite sorting every row to group.
    let group = match kind {
        ReportKind::Daily | ReportKind::Monthly => "day",
        ReportKind::Session => "session",
    };
    let sql = format!(
        "SELECT file_id, CAST({group} AS TEXT), model, input, output, cache_create,
                cache_read, ts_ms, project
         FROM responses
         WHERE day >= ?1 AND day <= ?2 AND (?3 IS NULL OR project = ?3 OR project = ?4)"
    );
    let mut stmt = index.conn().prepare(&sql).map_err(db)?;
    let slug = filter.project.as_deref().map(project_slug);
    let mut rows = stmt
        .query(rusqlite::params![
            filter.since.unwrap_or(i64::MIN),
            filter.until.unwrap_or(i64::MAX),
            filter.project,
            slug
        ])
        .map_err(db)?;
    // (group, model) -> (tokens, latest, project, cost), without allocating per row.
    // Costs are summed per response: a long-context rate applies to single requests.
    let mut sums: HashMap<String, HashMap<String, Sum>> = HashMap::new();
    let mut price_of: HashMap<String, Option<super::prices::Price>> = HashMap::new();
    while let Some(r) = rows.next().map_err(db)? {
        if !wanted_files.contains(&r.get::<_, i64>(0).map_err(db)?) {
            continue;
        }
        let text = |i: usize| -> Result<&str, HistoryError> {
            r.get_ref(i).map_err(db)?.as_str().map_err(|e| {
                db(rusqlite::Error::FromSqlConversionFailure(
                    i,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                ))
            })
        };
        let n = |i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64).map_err(db);
        let tokens = Tokens {
            input_tokens: n(3)?,
            output_tokens: n(4)?,
            cache_creation_input_tokens: n(5)?,
            cache_read_input_tokens: n(6)?,
        };
        let ts: i64 = r.get(7).map_err(db)?;
        let (key, model) = (text(1)?, text(2)?);
        if !sums.contains_key(key) {
            sums.insert(key.to_string(), HashMap::new());
        }
        let by_model = sums.get_mut(key).expect("inserted above");
        if !by_model.contains_key(model) {
            by_model.insert(
                model.to_string(),
                (Tokens::default(), i64::MIN, text(8)?.to_string(), 0.0),
            );
        }
        if !price_of.contains_key(model) {
            price_of.insert(model.to_string(), prices.get(model).copied());
        }
        let e = by_model.get_mut(model).expect("inserted above");
        add(&mut e.0, &tokens);
        if let Some(Some(p)) = price_of.get(model) {
            e.3 += p.response_cost(&tokens);
        }
        e.1 = e.1.max(ts);
    }
    let mut groups: Groups = BTreeMap::new();
    for (key, by_model) in sums {
        let key = match kind {
            ReportKind::Session => key,
            ReportKind::Daily | ReportKind::Monthly => {
                let day: i64 = key.parse().unwrap_or_default();
                if kind == ReportKind::Daily {
                    day_string(day)
                } else {
                    month_string(day)
                }
            }
        };
        let g = groups
            .entry(key)
            .or_insert_with(|| (BTreeMap::new(), i64::MIN, None));
        for (model, (tokens, last, project, cost)) in by_model {
            let entry = g.0.entry(model).or_default();
            add(&mut entry.0, &tokens);
            entry.1 += cost;
            g.1 = g.1.max(last);
            if g.2.as_ref().is_none_or(|p| project < *p) {
                g.2 = Some(project);
            }
        }
    }
    let mut report = Report {
        kind,
        rows: Vec::new(),
        totals: Tokens::default(),
        total_cost: 0.0,
        unpriced: Vec::new(),
    };
    let mut unpriced = BTreeSet::new();
    for (period, (models, last_ms, project)) in groups {
        let mut row = Row {
            period,
            tokens: Tokens::default(),
            total_cost: 0.0,
            breakdowns: Vec::new(),
            last_ms,
            project: (kind == ReportKind::Session).then_some(project).flatten(),
        };
        for (model, (t, cost)) in models {
            let price = prices.get(&model);
            if price.is_none() {
                unpriced.insert(model.clone());
            }
            add(&mut row.tokens, &t);
            row.total_cost += cost;
            row.breakdowns.push(ModelBreakdown {
                model_name: model,
                input_tokens: t.input_tokens,
                output_tokens: t.output_tokens,
                cache_creation_tokens: t.cache_creation_input_tokens,
                cache_read_tokens: t.cache_read_input_tokens,
                cost,
                missing_pricing: price.is_none(),
            });
        }
        row.breakdowns.sort_by(|a, b| {
            b.cost
                .total_cmp(&a.cost)
                .then_with(|| a.model_name.cmp(&b.model_name))
        });
        add(&mut report.totals, &row.tokens);
        report.total_cost += row.total_cost;
        report.rows.push(row);
    }
    if kind == ReportKind::Session {
        // Oldest activity first, as days and months are.
        report.rows.sort_by(|a, b| {
            a.last_ms
                .cmp(&b.last_ms)
                .then_with(|| a.period.cmp(&b.period))
        });
    }
    report.unpriced = unpriced.into_iter().collect();
    Ok(report)
}

fn tokens_json(t: &Tokens, cost: f64) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("inputTokens".into(), json!(t.input_tokens));
    m.insert("outputTokens".into(), json!(t.output_tokens));
    m.insert(
        "cacheCreationTokens".into(),
        json!(t.cache_creation_input_tokens),
    );
    m.insert("cacheReadTokens".into(), json!(t.cache_read_input_tokens));
    m.insert("totalTokens".into(), json!(t.total()));
    m.insert("totalCost".into(), json!(cost));
    m
}

impl Report {
    /// ccusage's `--json` shape: `{"<kind>": [rows], "totals": {...}}`.
    pub fn to_json(&self) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|row| {
                let mut m = tokens_json(&row.tokens, row.total_cost);
                m.insert("period".into(), json!(row.period));
                let models: BTreeSet<&str> = row
                    .breakdowns
                    .iter()
                    .map(|b| b.model_name.as_str())
                    .collect();
                m.insert("modelsUsed".into(), json!(models));
                m.insert("modelBreakdowns".into(), json!(row.breakdowns));
                match self.kind {
                    ReportKind::Session => {
                        m.insert("agent".into(), json!("claude"));
                        m.insert(
                            "metadata".into(),
                            json!({
                                "lastActivity": crate::time::rfc3339_ms(row.last_ms),
                                "project": row.project,
                            }),
                        );
                    }
                    ReportKind::Daily | ReportKind::Monthly => {
                        m.insert("agent".into(), json!("all"));
                        m.insert("metadata".into(), json!({"agents": ["claude"]}));
                    }
                }
                Value::Object(m)
            })
            .collect();
        let mut totals = tokens_json(&self.totals, self.total_cost);
        totals.insert("unpricedModels".into(), json!(self.unpriced));
        json!({ self.kind.key(): rows, "totals": totals })
    }

    /// A plain table for people.
    pub fn to_table(&self) -> String {
        let header = [
            match self.kind {
                ReportKind::Daily => "Date",
                ReportKind::Monthly => "Month",
                ReportKind::Session => "Session",
            },
            "Models",
            "Input",
            "Output",
            "Cache Create",
            "Cache Read",
            "Total Tokens",
            "Cost (USD)",
        ];
        let cost = |c: f64, unpriced: bool| {
            if unpriced {
                format!("${c:.2}*")
            } else {
                format!("${c:.2}")
            }
        };
        let mut lines: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
        for row in &self.rows {
            let unpriced = row.breakdowns.iter().any(|b| b.missing_pricing);
            let models: BTreeSet<&str> = row
                .breakdowns
                .iter()
                .map(|b| b.model_name.as_str())
                .collect();
            lines.push(vec![
                row.period.clone(),
                models.into_iter().collect::<Vec<_>>().join(", "),
                row.tokens.input_tokens.to_string(),
                row.tokens.output_tokens.to_string(),
                row.tokens.cache_creation_input_tokens.to_string(),
                row.tokens.cache_read_input_tokens.to_string(),
                row.tokens.total().to_string(),
                cost(row.total_cost, unpriced),
            ]);
        }
        let t = &self.totals;
        lines.push(vec![
            "Total".into(),
            String::new(),
            t.input_tokens.to_string(),
            t.output_tokens.to_string(),
            t.cache_creation_input_tokens.to_string(),
            t.cache_read_input_tokens.to_string(),
            t.total().to_string(),
            cost(self.total_cost, !self.unpriced.is_empty()),
        ]);
        let widths: Vec<usize> = (0..header.len())
            .map(|c| {
                lines
                    .iter()
                    .map(|l| l[c].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for (i, l) in lines.iter().enumerate() {
            let cells: Vec<String> = l
                .iter()
                .enumerate()
                .map(|(c, s)| {
                    if c < 2 {
                        format!("{s:<w$}", w = widths[c])
                    } else {
                        format!("{s:>w$}", w = widths[c])
                    }
                })
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
            if i == 0 || i == lines.len() - 2 {
                let width = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
                out.push_str(&"-".repeat(width));
                out.push('\n');
            }
        }
        if !self.unpriced.is_empty() {
            out.push_str(&format!(
                "* unpriced (not in the cost): {}. Add them to a price file (--prices).\n",
                self.unpriced.join(", ")
            ));
        }
        out
    }
}
