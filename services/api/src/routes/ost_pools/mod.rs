//! `/api/ost_pool`: OST pools of a file system, with their OSTs and space.
//! Every change is one planned, locked job on the file system's MGS.

pub mod change;
pub mod create;
pub mod list;

use api_types::ost_pools::OstPoolView;
use lustre::submission::FieldError;
use uuid::Uuid;

use crate::error::ApiError;

/// Pool `id`, or 404.
pub async fn load_one(db: &impl sea_orm::ConnectionTrait, id: Uuid) -> Result<OstPoolView, ApiError> {
    store::ost_pools::views(db, store::ost_pools::PoolSelection::Id(id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::NotFound(format!("OST pool {id} does not exist")))
}

/// Checks the OSTs named for a pool of file system `filesystem_id`: each
/// an OST of that file system, registered with its MGS and not removed,
/// named once. Errors name `ost_ids[i]`.
pub async fn check_osts(
    db: &impl sea_orm::ConnectionTrait,
    filesystem_id: Uuid,
    ids: &[Uuid],
    errors: &mut Vec<FieldError>,
) -> Result<(), ApiError> {
    let found = store::ost_pools::candidates(db, ids).await?;
    for (i, id) in ids.iter().enumerate() {
        let field = format!("ost_ids[{i}]");
        let mut refuse = |message: String| {
            errors.push(FieldError {
                field: field.clone(),
                message,
            })
        };
        if ids[..i].contains(id) {
            refuse(format!("{id} is named twice"));
            continue;
        }
        let Some(target) = found.iter().find(|t| t.id == *id) else {
            refuse(format!("no target has id {id}"));
            continue;
        };
        if target.kind != "ost" {
            refuse(format!(
                "{} is an {}, not an OST",
                target.name,
                target.kind.to_uppercase()
            ));
        } else if target.filesystem_id != Some(filesystem_id) {
            refuse(format!("{} belongs to another file system", target.name));
        } else if !matches!(target.state.as_str(), "registered" | "unmounted" | "mounted") {
            refuse(format!(
                "{} is {}: only an OST registered with the MGS and not removed can be in a pool",
                target.name, target.state
            ));
        }
    }
    Ok(())
}
