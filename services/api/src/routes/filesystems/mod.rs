//! `/api/filesystem`: create, list, change and detect Lustre file systems.

pub mod change;
pub mod create;
pub mod detect;
pub mod failback;
pub mod list;
pub mod params;
pub mod takeover;
pub mod writeconf;

use uuid::Uuid;

pub use api_types::filesystems::FilesystemView;
use store::filesystems::FilesystemSelection;

/// One file system, or 404.
pub async fn load_one(db: &impl sea_orm::ConnectionTrait, id: Uuid) -> Result<FilesystemView, crate::error::ApiError> {
    store::filesystems::views(db, FilesystemSelection::Id(id))
        .await?
        .pop()
        .ok_or_else(|| crate::error::ApiError::NotFound(format!("file system {id} does not exist")))
}
