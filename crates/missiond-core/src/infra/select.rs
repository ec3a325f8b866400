//! Which items a call is about: the list filters and the reachability selection.

use super::{InfraConfig, Item};
use crate::ipc::RpcError;

/// Items carrying `tag` and of `kind` (each optional, case-insensitive), in order.
pub fn filter<'a>(config: &'a InfraConfig, tag: Option<&str>, kind: Option<&str>) -> Vec<&'a Item> {
    let tag = tag.map(|t| t.trim().to_lowercase());
    let kind = kind.map(|k| k.trim().to_lowercase());
    config
        .items
        .iter()
        .filter(|i| tag.as_ref().is_none_or(|t| i.tags.contains(t)))
        .filter(|i| kind.as_ref().is_none_or(|k| &i.kind == k))
        .collect()
}

/// The item named `name`, or an `invalid_params` error naming `field` and the known
/// names.
pub fn named<'a>(config: &'a InfraConfig, name: &str, field: &str) -> Result<&'a Item, RpcError> {
    config.get(name).ok_or_else(|| unknown(config, name, field))
}

fn unknown(config: &InfraConfig, name: &str, field: &str) -> RpcError {
    let mut known = config.names();
    let more = known.len().saturating_sub(20);
    known.truncate(20);
    let known = if known.is_empty() {
        format!("{} defines no items", config.path.display())
    } else {
        format!(
            "known: {}{}",
            known.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )
    };
    RpcError::invalid_params(
        field,
        format!("no item named {name:?} in infra.yaml ({known})"),
    )
}

/// The items to probe: those named (each must exist) and those carrying one of `tags`;
/// every item when neither is given. In file order, without repeats.
pub fn for_probe<'a>(
    config: &'a InfraConfig,
    names: Option<&[String]>,
    tags: Option<&[String]>,
) -> Result<Vec<&'a Item>, RpcError> {
    if let Some(names) = names {
        for name in names {
            named(config, name, "names")?;
        }
    }
    let tags: Option<Vec<String>> =
        tags.map(|t| t.iter().map(|t| t.trim().to_lowercase()).collect());
    if names.is_none() && tags.is_none() {
        return Ok(config.items.iter().collect());
    }
    Ok(config
        .items
        .iter()
        .filter(|i| {
            names.is_some_and(|n| n.contains(&i.name))
                || tags
                    .as_ref()
                    .is_some_and(|t| i.tags.iter().any(|x| t.contains(x)))
        })
        .collect())
}
