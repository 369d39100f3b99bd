//! `/api/client_mount`: Lustre client mounts on managed hosts. Mounting,
//! unmounting and removing are each one planned, locked job on the host
//! (mounting plans LNet up first).

pub mod change;
pub mod create;
pub mod list;

use api_types::client_mounts::ClientMountView;
use lustre::plan::{ClientMountFacts, ClientMountState};
use uuid::Uuid;

use crate::error::ApiError;

/// Mount `id` (removed or not), or 404.
pub async fn load_one(db: &impl sea_orm::ConnectionTrait, id: Uuid) -> Result<ClientMountView, ApiError> {
    store::client_mounts::view(db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("client mount {id} does not exist")))
}

/// What the planner needs of a stored mount.
pub fn facts(view: &ClientMountView) -> Result<ClientMountFacts, ApiError> {
    let state = ClientMountState::parse(&view.state)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("client mount {} has state {:?}", view.id, view.state)))?;
    Ok(ClientMountFacts {
        id: view.id,
        host_id: view.host_id,
        filesystem_id: view.filesystem_id,
        mountpoint: view.mountpoint.clone(),
        state,
    })
}
