//! IPC routing for the task, inbox and task-aware slot tools: method name to the
//! functions of [`super::task_tools`] and [`super::agent_tools`].

use std::sync::Arc;

use missiond_core::catalogue::{self as cat, Tool};
use missiond_core::ipc::RpcError;
use serde_json::Value;

use super::dispatch::Dispatcher;
use super::{agent_tools, task_tools};

use missiond_core::catalogue::encode;

/// Answer `method` if it is one of these tools; `None` for any other method.
pub async fn handle(
    d: &Arc<Dispatcher>,
    method: &str,
    params: Value,
) -> Option<Result<Value, RpcError>> {
    let result = match method {
        cat::Submit::NAME => match cat::Submit::params(params) {
            Ok(p) if p.fresh_workspace == Some(true) => {
                super::workspace_task::submit(d, p).and_then(encode)
            }
            Ok(p) => task_tools::submit(d, p).and_then(encode),
            Err(e) => Err(e),
        },
        cat::TaskQuery::NAME => cat::TaskQuery::params(params)
            .and_then(|p| task_tools::task(d, &p))
            .and_then(encode),
        cat::Ask::NAME => match cat::Ask::params(params) {
            Ok(p) => task_tools::ask(d, p).await.and_then(encode),
            Err(e) => Err(e),
        },
        cat::QueueStatus::NAME => cat::QueueStatus::params(params)
            .and_then(|p| task_tools::status(d, &p))
            .and_then(encode),
        cat::Cancel::NAME => cat::Cancel::params(params)
            .and_then(|p| task_tools::cancel(d, p))
            .and_then(encode),
        cat::SlotHistory::NAME => cat::SlotHistory::params(params)
            .and_then(|p| task_tools::slot_history(d, &p))
            .and_then(encode),
        cat::InboxRead::NAME => cat::InboxRead::params(params)
            .and_then(|p| task_tools::inbox(d, &p))
            .and_then(encode),
        cat::Spawn::NAME => match cat::Spawn::params(params) {
            Ok(p) => agent_tools::spawn(d, &p).await.and_then(encode),
            Err(e) => Err(e),
        },
        cat::Kill::NAME => match cat::Kill::params(params) {
            Ok(p) => agent_tools::kill(d, &p).await.and_then(encode),
            Err(e) => Err(e),
        },
        cat::Restart::NAME => match cat::Restart::params(params) {
            Ok(p) => agent_tools::restart(d, &p).await.and_then(encode),
            Err(e) => Err(e),
        },
        _ => return None,
    };
    Some(result)
}
