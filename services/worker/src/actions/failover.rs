//! `failover_target` and `failback_target`: move a target between its
//! servers through Pacemaker ([`super::ha::resource::move_to`]: cleanup,
//! move, wait, clear). A target of HA mode `none` has nobody to move it
//! safely, so both refuse it.

use serde_json::Value;
use uuid::Uuid;

use super::ha::resource;
use super::servers::Server;
use super::targets::TargetRow;
use crate::error::ActionError;
use crate::shared::Shared;

/// Refuses a target that is not a Pacemaker resource.
fn require_pacemaker(target: &TargetRow) -> Result<(), ActionError> {
    match target.ha_resource {
        Some(_) => Ok(()),
        None => Err(ActionError::Refused(format!(
            "{} has HA mode none: it is not a Pacemaker resource, so it cannot be failed over \
             (its servers need Pacemaker and corosync and an HA cluster)",
            target.name
        ))),
    }
}

/// `failover_target`: moves the target to `host_id`, one of its failover
/// hosts; `mounted` there.
pub async fn failover(shared: &Shared, target_id: Uuid, host_id: Uuid) -> Result<Value, ActionError> {
    let target = TargetRow::load(shared, target_id).await?;
    if !target.failovers.contains(&host_id) {
        let host = Server::load(shared, host_id).await?;
        return Err(ActionError::Refused(format!(
            "{} is not a failover host of {}",
            host.name, target.name
        )));
    }
    require_pacemaker(&target)?;
    resource::move_to(shared, &target, host_id).await
}

/// `failback_target`: moves the target back to its primary host; `mounted`
/// there.
pub async fn failback(shared: &Shared, target_id: Uuid) -> Result<Value, ActionError> {
    let target = TargetRow::load(shared, target_id).await?;
    require_pacemaker(&target)?;
    resource::move_to(shared, &target, target.primary).await
}
