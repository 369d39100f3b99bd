//! `configure_target`: hands a registered target to whatever keeps it
//! running. A Pacemaker target gets its primitive and location constraints
//! ([`super::ha::resource::configure`]); a target of HA mode `none` needs
//! nothing. Either way it is then `unmounted`, ready to be started.

use serde_json::{json, Value};
use uuid::Uuid;

use super::ha::resource;
use super::targets::{self, TargetRow};
use crate::error::ActionError;
use crate::shared::Shared;

pub async fn run(shared: &Shared, target_id: Uuid) -> Result<Value, ActionError> {
    let target = TargetRow::load(shared, target_id).await?;
    if target.ha_resource.is_some() {
        return resource::configure(shared, &target).await;
    }
    targets::record(shared, target_id, "unmounted", None).await?;
    Ok(json!({ "target": target.name, "ha_mode": "none" }))
}
