//! `/api/quota`, `PUT /api/filesystem/{id}/quota` and `PUT
//! /api/filesystem/{id}/quota/grace`: Lustre quotas.
//! Enforcement is one job on the file system's MGS; setting or clearing a
//! user's, group's or project's limits is one job on a mounted client
//! mount of the file system (`lfs setquota`, read back with `lfs quota`).

pub mod enforce;
pub mod grace;
pub mod list;
pub mod set;

use api_types::quotas::QuotaView;
use lustre::plan::QuotaFacts;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::error::ApiError;

/// Quota `id` (removed or not), or 404.
pub async fn load_one(db: &impl ConnectionTrait, id: Uuid) -> Result<QuotaView, ApiError> {
    store::quotas::view(db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("quota {id} does not exist")))
}

/// The mounted client mount a quota job runs on: (mount id, host id), or
/// 409 naming the file system.
pub async fn client_of(
    db: &impl ConnectionTrait,
    filesystem_id: Uuid,
    fs_name: &str,
) -> Result<(Uuid, Uuid), ApiError> {
    store::client_mounts::mounted_for_filesystem(db, filesystem_id)
        .await?
        .map(|(mount, host, _)| (mount, host))
        .ok_or_else(|| {
            ApiError::Conflict(format!(
                "filesystem_id: file system {fs_name} has no mounted client mount; add one with POST /api/client_mount"
            ))
        })
}

/// What the planner needs of a stored quota, run from client mount
/// `client`.
pub fn facts(view: &QuotaView, client: (Uuid, Uuid)) -> QuotaFacts {
    QuotaFacts {
        id: view.id,
        filesystem_id: view.filesystem_id,
        label: format!("{} {}", view.kind, view.qid),
        state: view.state.clone(),
        client_mount_id: client.0,
        host_id: client.1,
    }
}
