//! IPC routing for the infrastructure tools: `infra.yaml` (read at each call, so edits
//! need no reload), reachability probes, and the machine's resources.

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use missiond_core::catalogue::{
    self as cat, InfraItem, InfraListResult, PROBE_TIMEOUT_DEFAULT_MS, PROBE_TIMEOUT_RANGE_MS,
    ProbeKind, ProbeResult, ReachabilityResult, Tool, encode,
};
use missiond_core::infra::probes::{LastProbes, summarize};
use missiond_core::infra::{HealthTarget, InfraConfig, Item, config_path, select};
use missiond_core::ipc::RpcError;
use serde_json::Value;

use super::supervisor::Supervisor;

/// The last probe of each item since the daemon started.
static LAST: LazyLock<LastProbes> = LazyLock::new(LastProbes::default);
/// Probes running at once; more wait their turn (each still bounded by its timeout).
const MAX_PARALLEL_PROBES: usize = 128;

/// Answer `method` if it is one of these tools; `None` for any other method.
pub async fn handle(
    sup: &Arc<Supervisor>,
    method: &str,
    params: &Value,
) -> Option<Result<Value, RpcError>> {
    let params = || params.clone();
    let result = match method {
        cat::InfraList::NAME => cat::InfraList::params(params())
            .and_then(|p| list(sup, &p))
            .and_then(encode),
        cat::InfraGet::NAME => cat::InfraGet::params(params())
            .and_then(|p| {
                let config = load(sup)?;
                let item = select::named(&config, &p.name, "name")?;
                Ok(with_last(item))
            })
            .and_then(encode),
        cat::Reachability::NAME => match cat::Reachability::params(params()) {
            Ok(p) => reachability(sup, p).await.and_then(encode),
            Err(e) => Err(e),
        },
        cat::OsDiagnose::NAME => match cat::OsDiagnose::params(params()) {
            Ok(_) => {
                let sup = sup.clone();
                tokio::task::spawn_blocking(move || super::os_diagnose::diagnose(&sup))
                    .await
                    .map_err(|e| RpcError::internal(format!("diagnosing the machine: {e}")))
                    .and_then(|report| report)
                    .and_then(encode)
            }
            Err(e) => Err(e),
        },
        _ => return None,
    };
    Some(result)
}

fn load(sup: &Supervisor) -> Result<InfraConfig, RpcError> {
    InfraConfig::load(&config_path(&sup.ctx.home)).map_err(|e| e.to_rpc())
}

fn with_last(item: &Item) -> InfraItem {
    let mut info = item.info();
    info.last_probe = LAST.get(&item.name);
    info
}

fn list(sup: &Supervisor, p: &cat::InfraListParams) -> Result<InfraListResult, RpcError> {
    let config = load(sup)?;
    let items = select::filter(&config, p.tag.as_deref(), p.kind.as_deref())
        .into_iter()
        .map(with_last)
        .collect();
    Ok(InfraListResult {
        path: config.path.display().to_string(),
        exists: config.exists,
        items,
    })
}

async fn reachability(
    sup: &Supervisor,
    p: cat::ReachabilityParams,
) -> Result<ReachabilityResult, RpcError> {
    let (min, max) = PROBE_TIMEOUT_RANGE_MS;
    let timeout_ms = p.timeout_ms.unwrap_or(PROBE_TIMEOUT_DEFAULT_MS);
    if !(min..=max).contains(&timeout_ms) {
        return Err(RpcError::invalid_params(
            "timeoutMs",
            format!("{timeout_ms} is out of range ({min} to {max})"),
        ));
    }
    let config = load(sup)?;
    let chosen = select::for_probe(&config, p.names.as_deref(), p.tags.as_deref())?;
    let timeout = Duration::from_millis(timeout_ms);
    let secrets = sup
        .ctx
        .secrets
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_PARALLEL_PROBES));
    let mut skipped = Vec::new();
    let mut tasks = tokio::task::JoinSet::new();
    for (order, item) in chosen.into_iter().enumerate() {
        let Some(target) = item.target.clone() else {
            skipped.push(item.name.clone());
            continue;
        };
        let item = item.clone();
        let secrets = secrets.clone();
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            (
                order,
                super::infra_probe::probe(&item, &target, secrets, timeout).await,
            )
        });
    }
    let mut results: Vec<(usize, ProbeResult)> = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(r) => results.push(r),
            Err(e) => tracing::warn!(error = %e, "a reachability probe panicked"),
        }
    }
    results.sort_by_key(|(order, _)| *order);
    let results: Vec<ProbeResult> = results.into_iter().map(|(_, r)| r).collect();
    LAST.record(&results);
    let outcome = summarize(results, skipped);
    tracing::info!(
        up = outcome.summary.up,
        down = outcome.summary.down,
        skipped = outcome.summary.skipped,
        "reachability probed"
    );
    Ok(outcome)
}

/// A probe's result (shared by HTTP and TCP).
pub fn result(
    item: &Item,
    kind: ProbeKind,
    started: Instant,
    outcome: Result<Option<u16>, String>,
) -> ProbeResult {
    let latency_ms = started.elapsed().as_millis() as u64;
    let (up, status, error) = match outcome {
        Ok(Some(status)) if status < 400 => (true, Some(status), None),
        Ok(Some(status)) => (false, Some(status), Some(format!("HTTP status {status}"))),
        Ok(None) => (true, None, None),
        Err(e) => (false, None, Some(e)),
    };
    ProbeResult {
        name: item.name.clone(),
        kind,
        target: item.health.clone().unwrap_or_default(),
        up,
        status,
        latency_ms,
        error,
        checked_at: missiond_core::time::rfc3339_ms(missiond_core::time::now_ms()),
    }
}

/// What `HealthTarget` a probe uses, as a kind.
pub fn kind_of(target: &HealthTarget) -> ProbeKind {
    match target {
        HealthTarget::Http { .. } => ProbeKind::Http,
        HealthTarget::Tcp { .. } => ProbeKind::Tcp,
    }
}
