//! Params shared by several tools, and decoding that names the failing field.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ipc::RpcError;

/// No arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmptyParams {}

/// Names one slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlotParams {
    /// The slot's id, as configured in slots.yaml (list them with mission_slots).
    pub slot_id: String,
}

/// Decodes params into `P`. Failures are -32602 errors whose message and
/// `data.field` name the offending field (`slotId`, `response`, ...).
pub fn decode_params<P: DeserializeOwned>(params: Value) -> Result<P, RpcError> {
    serde_path_to_error::deserialize(params).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        // A missing field is reported at its parent's path; pull its name out of
        // serde's message ("missing field `slotId`") so the field is always named.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (path.as_str(), missing) {
            (".", Some(name)) => name.to_string(),
            (".", None) => String::new(),
            (p, Some(name)) => format!("{p}.{name}"),
            (p, None) => p.to_string(),
        };
        RpcError::invalid_params(&field, message)
    })
}
