//! `missiond stop`: ask the daemon of this home to stop, as SIGTERM would (its slots
//! ended, its store closed, its socket removed), and wait until it has.

use std::time::{Duration, Instant};

use anyhow::Result;
use missiond_core::catalogue::{self as cat, EmptyParams};
use missiond_core::ipc::{ClientError, IpcClient, STOP_METHOD};
use missiond_core::paths::Paths;
use serde_json::json;

use super::errors;
use super::out::Out;

/// How long the daemon gets to end its slots and exit.
const WAIT: Duration = Duration::from_secs(60);

/// Stops the daemon; a home with no daemon running is no error (it is stopped).
pub async fn run(paths: Paths, out: Out) -> Result<i32> {
    let home = paths.home.display().to_string();
    let endpoint = &paths.ipc_endpoint;
    let fail = |e: ClientError| anyhow::Error::new(errors::client_error(e, endpoint, &home));
    let client = match IpcClient::connect(endpoint).await {
        Ok(client) => client,
        Err(e) => {
            let error = errors::client_error(e, endpoint, &home);
            if error.kind != "no_daemon" {
                return Err(error.into());
            }
            let report = json!({"stopped": false, "wasRunning": false, "home": home});
            out.show(&report, |_| {
                println!("no missiond daemon is running for {home}; nothing to stop")
            })?;
            return Ok(0);
        }
    };
    let pid = client
        .tool::<cat::Health>(&EmptyParams {})
        .await
        .map_err(fail)?
        .pid;
    match client.call(STOP_METHOD, json!({})).await {
        // The daemon may close the connection before its reply goes out.
        Ok(_) | Err(ClientError::Disconnected(_)) => {}
        Err(e) => return Err(fail(e)),
    }
    drop(client);
    let deadline = Instant::now() + WAIT;
    let stopped = loop {
        let listening = IpcClient::connect(endpoint).await.is_ok();
        if !listening && !process_runs(pid) {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let report = json!({"stopped": stopped, "wasRunning": true, "pid": pid, "home": home});
    out.show(&report, |_| {
        if stopped {
            println!("missiond stopped (pid {pid}, home {home})");
        } else {
            println!(
                "missiond (pid {pid}) was asked to stop and is still ending its slots after {}s",
                WAIT.as_secs()
            );
        }
    })?;
    Ok(if stopped { 0 } else { 1 })
}

/// Whether `pid` is a live process here (not a zombie awaiting its parent).
fn process_runs(pid: u32) -> bool {
    // SAFETY: signal 0 only checks for existence.
    let exists = unsafe { libc::kill(pid as i32, 0) == 0 };
    exists
        && std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state != "Z" && state != "X")
        })
}
