//! One reachability probe: an HTTP(S) GET or a TCP connect, bounded by its timeout
//! from start to finish (name lookup, connect, TLS, headers).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use missiond_core::catalogue::ProbeResult;
use missiond_core::infra::{HealthTarget, Item};
use missiond_core::secrets::SecretsConfig;

use super::infra_ipc::{kind_of, result};

/// Probes `item` at `target` within `timeout`.
pub async fn probe(
    item: &Item,
    target: &HealthTarget,
    secrets: Option<SecretsConfig>,
    timeout: Duration,
) -> ProbeResult {
    let started = Instant::now();
    let outcome = tokio::time::timeout(timeout, run(item, target, secrets, timeout))
        .await
        .unwrap_or_else(|_| Err(format!("no answer within {} ms", timeout.as_millis())));
    result(item, kind_of(target), started, outcome)
}

async fn run(
    item: &Item,
    target: &HealthTarget,
    secrets: Option<SecretsConfig>,
    timeout: Duration,
) -> Result<Option<u16>, String> {
    match target {
        HealthTarget::Tcp { host, port } => tokio::net::TcpStream::connect((host.as_str(), *port))
            .await
            .map(|_| None)
            .map_err(|e| format!("TCP connect to {host}:{port}: {e}")),
        HealthTarget::Http { url } => {
            let (url, headers) = resolve(item, url, secrets).await?;
            let client = reqwest::Client::builder()
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::limited(5))
                .build()
                .map_err(|e| format!("HTTP client: {e}"))?;
            let mut request = client.get(&url);
            for (name, value) in &headers {
                request = request.header(name, value);
            }
            let response = request.send().await.map_err(|e| describe(&e))?;
            Ok(Some(response.status().as_u16()))
        }
    }
}

/// The URL and headers with `${secret:…}` filled in (off the async threads: the
/// secrets command blocks). Errors name the secret's path, never a value.
async fn resolve(
    item: &Item,
    url: &str,
    secrets: Option<SecretsConfig>,
) -> Result<(String, BTreeMap<String, String>), String> {
    let mut values = item.headers.clone();
    const URL_KEY: &str = "\u{0}health";
    values.insert(URL_KEY.to_string(), url.to_string());
    if !values
        .values()
        .any(|v| missiond_core::secrets::template::mentions_secrets(v))
    {
        let url = values.remove(URL_KEY).unwrap_or_default();
        return Ok((url, values));
    }
    let name = item.name.clone();
    let resolved = tokio::task::spawn_blocking(move || {
        missiond_core::secrets::resolve_env(&name, &values, secrets.as_ref())
    })
    .await
    .map_err(|e| format!("resolving secrets: {e}"))?
    .map_err(|e| {
        let what = if e.var == URL_KEY {
            "health".to_string()
        } else {
            format!("headers.{}", e.var)
        };
        format!(
            "{what}: secret {}: {}",
            e.path.as_deref().unwrap_or("?"),
            e.failure
        )
    })?;
    // Scrubbed from logs and replies from now on, like a slot's secrets.
    super::secrets::register(resolved.secrets());
    let mut headers = BTreeMap::new();
    let mut url = String::new();
    for (k, v) in resolved.exposed() {
        if k == URL_KEY {
            url = v.to_string();
        } else {
            headers.insert(k.to_string(), v.to_string());
        }
    }
    Ok((url, headers))
}

/// A short cause for a failed request (reqwest's chain, without the URL's secrets).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "too many redirects"
    } else {
        "request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {cause}")
    }
}
