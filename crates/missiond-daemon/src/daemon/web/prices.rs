//! `GET /prices?models=a,b`: what each model costs, for the board's tokens-and-cost
//! figures: the price table shipped with missiond, then `$MISSIOND_HOME/prices.json`
//! (the table `missiond usage` uses). Answer: `{"prices": {"a": {"input", "output",
//! "cacheWrite", "cacheRead"} | null}}` in US dollars per million tokens; `null` for a
//! model with no price (shown as unpriced, never costed at 0).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use missiond_core::history::prices::PriceTable;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::daemon::supervisor::Supervisor;

/// Most models one request may ask about.
const MAX_MODELS: usize = 64;

/// `?models=a,b`.
#[derive(Debug, Deserialize)]
pub struct PricesQuery {
    #[serde(default)]
    models: String,
}

/// Answer a price request.
pub async fn prices(State(sup): State<Arc<Supervisor>>, Query(q): Query<PricesQuery>) -> Response {
    let models: Vec<&str> = q
        .models
        .split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .collect();
    if models.len() > MAX_MODELS {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": format!("at most {MAX_MODELS} models at once")})),
        )
            .into_response();
    }
    let mut table = PriceTable::built_in();
    let own = sup.ctx.home.join("prices.json");
    if own.is_file()
        && let Err(e) = table.merge_file(&own)
    {
        // A broken override is said, not hidden behind the shipped prices.
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": e.to_string()})),
        )
            .into_response();
    }
    let prices: BTreeMap<&str, Value> = models
        .into_iter()
        .map(|m| {
            let price = table.get(m).map(|p| {
                json!({"input": p.input, "output": p.output,
                       "cacheWrite": p.cache_write, "cacheRead": p.cache_read})
            });
            (m, price.unwrap_or(Value::Null))
        })
        .collect();
    Json(json!({ "prices": prices })).into_response()
}
