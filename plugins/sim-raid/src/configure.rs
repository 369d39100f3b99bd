//! `configure`: the `create_lun` action on a pool.

use serde_json::{json, Map, Value};

use crate::state::{ArrayState, Lun};
use crate::{detect, ids};
use plugin_rpc::RpcError;

/// A LUN name: 1 to 32 of `a-z 0-9 _ -`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LunName(String);

impl LunName {
    /// Checks `value` is a valid LUN name.
    pub fn parse(value: &str) -> Result<Self, RpcError> {
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
        if value.is_empty() || value.len() > 32 || !value.chars().all(allowed) {
            return Err(RpcError::invalid_params(format!(
                "invalid LUN name {value:?}: use 1 to 32 of a-z, 0-9, _ and -"
            )));
        }
        Ok(Self(value.to_string()))
    }
}

/// Runs the action in `params` on `array`; returns the result to answer
/// with. `array` is changed only on success.
pub fn configure(array: &mut ArrayState, params: &Value) -> Result<Value, RpcError> {
    let field = |name: &str| params.get(name).and_then(Value::as_str);
    let (Some(action), Some(resource)) = (field("action"), field("resource")) else {
        return Err(RpcError::invalid_params(
            "configure needs \"action\" and \"resource\" strings",
        ));
    };
    let args = match params.get("args") {
        None => Map::new(),
        Some(Value::Object(args)) => args.clone(),
        Some(_) => return Err(RpcError::invalid_params("\"args\" must be an object")),
    };
    match action {
        "create_lun" => create_lun(array, resource, &args),
        other => Err(RpcError::invalid_params(format!("unknown action {other:?}"))),
    }
}

fn create_lun(array: &mut ArrayState, resource: &str, args: &Map<String, Value>) -> Result<Value, RpcError> {
    let pool = array
        .pools
        .iter()
        .find(|p| ids::pool(&p.name) == resource)
        .cloned()
        .ok_or_else(|| RpcError::invalid_params(format!("create_lun runs on a pool; {resource:?} is not one")))?;
    let name = match args.get("name") {
        Some(Value::String(name)) => LunName::parse(name)?,
        _ => return Err(RpcError::invalid_params("create_lun needs a \"name\" string")),
    };
    let Some(size) = args.get("size").and_then(Value::as_u64) else {
        return Err(RpcError::invalid_params(
            "create_lun needs a \"size\" in bytes (a non-negative integer)",
        ));
    };
    if size == 0 {
        return Err(RpcError::invalid_params("a LUN's size must be more than 0 bytes"));
    }
    if array.luns.iter().any(|l| l.name == name.0) {
        return Err(RpcError::refused(format!("a LUN named {} already exists", name.0)));
    }
    let status = detect::lun_status(array, &pool.name);
    if status == "failed" {
        return Err(RpcError::refused(format!(
            "pool {} has failed; no LUN can be created on it",
            pool.name
        )));
    }
    let free = array.pool_free(&pool);
    if size > free {
        return Err(RpcError::refused(format!(
            "pool {} has {free} bytes free; a LUN of {size} bytes does not fit",
            pool.name
        )));
    }
    let serial = format!("SIMLUN{:05}", array.next_lun);
    array.next_lun += 1;
    array.luns.push(Lun {
        name: name.0.clone(),
        pool: pool.name.clone(),
        size,
        serial: serial.clone(),
    });
    Ok(json!({"message": format!("created LUN {} (serial {serial}) on {}", name.0, pool.name)}))
}
