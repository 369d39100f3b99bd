//! The actions a worker runs. Each checks and acts on its own; none runs
//! arbitrary commands, and every value sent to a server is quoted.

mod probe_host;

use common::Action;
use serde_json::{json, Value};
use std::time::Duration;

use crate::shared::Shared;

/// Runs `action`; `Ok` carries the step's output, `Err` its error.
pub async fn run(shared: &Shared, action: &Action) -> Result<Value, String> {
    match action {
        Action::Noop => Ok(json!({})),
        Action::Sleep { ms } => {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            Ok(json!({ "slept_ms": ms }))
        }
        Action::Fail { message } => Err(message.clone()),
        Action::ProbeHost { host_id } => probe_host::run(shared, *host_id).await,
    }
}
