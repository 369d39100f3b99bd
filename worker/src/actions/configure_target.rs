//! `configure_target`: check that Pacemaker knows the target as a resource
//! (`crm_resource --locate` exits 0 for a known resource, running or not);
//! the target is then `unmounted`, ready to be started.

use serde_json::{json, Value};
use uuid::Uuid;

use super::failover::parse_locate;
use super::servers::Server;
use super::targets::{self, TargetRow};
use crate::shared::Shared;

pub async fn run(shared: &Shared, target_id: Uuid) -> Result<Value, String> {
    let target = TargetRow::load(shared, target_id).await?;
    let primary = Server::load(shared, target.primary).await?;
    let stdout = primary
        .check(shared, &["crm_resource", "--locate", "--resource", &target.name])
        .await?;
    targets::record(shared, target_id, "unmounted", None).await?;
    Ok(json!({ "target": target.name, "resource": target.name, "running_on": parse_locate(&stdout) }))
}
