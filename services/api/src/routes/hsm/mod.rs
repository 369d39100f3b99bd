//! Lustre HSM: `/api/copytool` (POSIX copytools on client hosts) and
//! `/api/filesystem/{id}/hsm` (the coordinator, requests, file states).
//! Every change is one planned, locked job; reads answer what the servers
//! showed when a job last read them.

pub mod copytools;
pub mod request;
pub mod status;

use api_types::filesystems::FilesystemView;
use api_types::hsm::CopytoolView;
use lustre::plan::CopytoolFacts;
use uuid::Uuid;

use crate::error::ApiError;

/// Copytool `id` (removed or not), or 404.
pub async fn load_copytool(db: &impl sea_orm::ConnectionTrait, id: Uuid) -> Result<CopytoolView, ApiError> {
    store::hsm::copytool(db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("copytool {id} does not exist")))
}

/// What the planner needs of a stored copytool.
pub fn facts(view: &CopytoolView) -> CopytoolFacts {
    CopytoolFacts {
        id: view.id,
        host_id: view.host_id,
        filesystem_id: view.filesystem_id,
        client_mount_id: view.client_mount_id,
        archive_id: view.archive_id,
        state: view.state.clone(),
    }
}

/// The file system the path's `{id}` names, or 404 (400 for a bad id).
pub async fn filesystem(db: &impl sea_orm::ConnectionTrait, path: &str) -> Result<FilesystemView, ApiError> {
    let id = crate::routes::query::id(path, "file system")?;
    store::filesystems::views(db, store::filesystems::FilesystemSelection::Id(id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::NotFound(format!("file system {id} does not exist")))
}

/// The file system the path's `{id}` names, not removed: 404, or 400
/// naming `id` for a removed one (as the data routes answer).
pub async fn live_filesystem(db: &impl sea_orm::ConnectionTrait, path: &str) -> Result<FilesystemView, ApiError> {
    let fs = filesystem(db, path).await?;
    if fs.state == "removed" {
        return Err(ApiError::bad(
            "invalid_value",
            format!("file system {} is removed", fs.name),
            Some("id"),
        ));
    }
    Ok(fs)
}
