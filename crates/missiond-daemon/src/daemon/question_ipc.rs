//! IPC routing for the tools of the question queue: method name to
//! [`missiond_core::questions::ops`], on the daemon's store.

use missiond_core::catalogue::{self as cat, Tool};
use missiond_core::ipc::RpcError;
use missiond_core::questions::ops;
use missiond_core::time::now_ms;
use serde_json::Value;

use super::supervisor::Supervisor;

use missiond_core::catalogue::encode;

/// Answer `method` if it is one of these tools; `None` for any other method.
pub fn handle(sup: &Supervisor, method: &str, params: &Value) -> Option<Result<Value, RpcError>> {
    let store = sup.ctx.records.store();
    let params = || params.clone();
    let result = match method {
        cat::QuestionCreate::NAME => cat::QuestionCreate::params(params())
            .and_then(|p| {
                let wake = p.wake_when_answered == Some(true);
                let info = ops::create(store, p, now_ms())?;
                if wake {
                    store
                        .question_wake_when_answered(info.question_id)
                        .map_err(|e| e.to_rpc())?;
                }
                Ok(info)
            })
            .and_then(encode),
        cat::QuestionList::NAME => cat::QuestionList::params(params())
            .and_then(|p| Ok(ops::list(store, &p)?))
            .and_then(encode),
        cat::QuestionGet::NAME => cat::QuestionGet::params(params())
            .and_then(|p| Ok(ops::get(store, &p)?))
            .and_then(encode),
        cat::QuestionAnswer::NAME => cat::QuestionAnswer::params(params())
            .and_then(|p| Ok(ops::answer(store, p, now_ms())?))
            .inspect(|_| super::memory_driver::wake())
            .and_then(encode),
        cat::QuestionMine::NAME => cat::QuestionMine::params(params())
            .and_then(|p| super::question_delivery::mine(store, &p))
            .and_then(encode),
        cat::QuestionDismiss::NAME => cat::QuestionDismiss::params(params())
            .and_then(|p| Ok(ops::dismiss(store, p, now_ms())?))
            .and_then(encode),
        _ => return None,
    };
    Some(result)
}
