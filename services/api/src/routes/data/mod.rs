//! Data jobs on a file system's files, each run through a mounted client
//! mount of it: `POST /api/filesystem/{id}/mirror` (FLR mirrors),
//! `GET /api/filesystem/{id}/layout?path=` (a file's layout as last
//! read), `POST /api/filesystem/{id}/migrate` (files off OSTs) and
//! `POST /api/filesystem/{id}/stripe` (a directory's default striping).

pub mod layout;
pub mod migrate;
pub mod mirror;
pub mod stripe;

use api_types::filesystems::FilesystemView;
use lustre::plan::{ClientMountFacts, ClientMountState};
use lustre::submission::FieldError;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::error::ApiError;

/// File system `id`, not removed, or 404/400.
pub async fn filesystem(db: &impl ConnectionTrait, id: Uuid) -> Result<FilesystemView, ApiError> {
    let fs = crate::routes::filesystems::load_one(db, id).await?;
    if fs.state == "removed" {
        return Err(ApiError::Validation(vec![FieldError {
            field: "id".into(),
            message: format!("file system {} is removed", fs.name),
        }]));
    }
    Ok(fs)
}

/// The mounted client mount a data job of `fs` runs through, or 409.
pub async fn client(db: &impl ConnectionTrait, fs: &FilesystemView) -> Result<ClientMountFacts, ApiError> {
    let (id, host_id, mountpoint) = store::client_mounts::mounted_for_filesystem(db, fs.id)
        .await?
        .ok_or_else(|| {
            ApiError::Conflict(format!(
                "file system {} has no mounted client mount; add one with POST /api/client_mount",
                fs.name
            ))
        })?;
    Ok(ClientMountFacts {
        id,
        host_id,
        filesystem_id: fs.id,
        mountpoint,
        state: ClientMountState::Mounted,
    })
}

/// A checked path (see [`lustre::data::check_path`]), or a field error.
pub fn path(field: &str, text: &str, errors: &mut Vec<FieldError>) -> String {
    lustre::data::check_path(text).unwrap_or_else(|message| {
        errors.push(FieldError {
            field: field.into(),
            message,
        });
        String::new()
    })
}

/// The OSTs of pool `name` of file system `fs` (available in Chroma), or
/// a field error saying why not (unknown, of another file system, new).
pub async fn pool(
    db: &impl ConnectionTrait,
    fs: &FilesystemView,
    field: &str,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> Result<Vec<Uuid>, ApiError> {
    let name = name.strip_prefix(&format!("{}.", fs.name)).unwrap_or(name);
    let pools = store::ost_pools::views(db, store::ost_pools::PoolSelection::Live { filesystem_id: None }).await?;
    let mut fail = |message: String| {
        errors.push(FieldError {
            field: field.into(),
            message,
        });
        Ok(Vec::new())
    };
    match pools.iter().find(|p| p.filesystem_id == fs.id && p.name == name) {
        Some(p) if p.state != "available" => fail(format!("pool {}.{name} is {}, not available yet", fs.name, p.state)),
        Some(p) if p.osts.is_empty() => fail(format!("pool {}.{name} has no OSTs", fs.name)),
        Some(p) => Ok(p.osts.iter().map(|o| o.id).collect()),
        None => match pools.iter().find(|p| p.name == name) {
            Some(other) => fail(format!(
                "pool {name} belongs to file system {}, not {}",
                other.filesystem_name, fs.name
            )),
            None => fail(format!("file system {} has no pool named {name:?}", fs.name)),
        },
    }
}
