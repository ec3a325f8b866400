//! IPC routing for the tools of the mission board: method name to
//! [`missiond_core::board::ops`], on the daemon's store.

use missiond_core::board::ops;
use missiond_core::catalogue::{self as cat, Tool};
use missiond_core::ipc::RpcError;
use missiond_core::time::now_ms;
use serde_json::Value;

use super::supervisor::Supervisor;

use missiond_core::catalogue::encode;

/// Answer `method` if it is one of these tools; `None` for any other method.
pub fn handle(sup: &Supervisor, method: &str, params: &Value) -> Option<Result<Value, RpcError>> {
    let store = sup.ctx.records.store();
    let params = || params.clone();
    let result = match method {
        cat::BoardList::NAME => cat::BoardList::params(params())
            .and_then(|p| Ok(ops::list(store, &p)?))
            .and_then(encode),
        cat::BoardCreate::NAME => cat::BoardCreate::params(params())
            .and_then(|p| Ok(ops::create(store, p, now_ms())?))
            .and_then(encode),
        cat::BoardUpdate::NAME => cat::BoardUpdate::params(params())
            .and_then(|p| Ok(ops::update(store, p, now_ms())?))
            .and_then(encode),
        cat::BoardGet::NAME => cat::BoardGet::params(params())
            .and_then(|p| Ok(ops::get(store, &p)?))
            .and_then(encode),
        cat::BoardDelete::NAME => cat::BoardDelete::params(params())
            .and_then(|p| Ok(ops::delete(store, &p)?))
            .and_then(encode),
        cat::BoardToggle::NAME => cat::BoardToggle::params(params())
            .and_then(|p| Ok(ops::toggle(store, &p, now_ms())?))
            .and_then(encode),
        cat::BoardNoteAdd::NAME => cat::BoardNoteAdd::params(params())
            .and_then(|p| Ok(ops::note_add(store, p, now_ms())?))
            .and_then(encode),
        cat::BoardSummary::NAME => cat::BoardSummary::params(params())
            .and_then(|_| Ok(ops::summary(store)?))
            .and_then(encode),
        _ => return None,
    };
    Some(result)
}
