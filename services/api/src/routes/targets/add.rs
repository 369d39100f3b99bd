//! `POST /api/target[?dry_run=true]`: add an MDT or OST to a live file
//! system. The target gets the next free index of its kind unless one is
//! given, passes the checks every new target passes ([`super::checks`]), is
//! recorded, and its command formats it with the file system's MGS NIDs,
//! registers it with the MGS and mounts it while the file system stays
//! available. Added to a stopped file system it is formatted and registered
//! but left unmounted: the file system stays stopped until it is started,
//! which mounts it with the rest. Anything wrong is refused before anything
//! is stored.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use api_types::targets::AddTargetRequest;
use lustre::domain::{target_name, TargetKind, TargetState};
use lustre::plan::Goal;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::checks::{check, ha_resource, invalid, volumes_unused, TargetRequest};
use super::TargetView;
use crate::error::ApiError;
use crate::routes::filesystems::create::{stored, NewTarget, MAX_MDTS, MAX_OSTS};
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{respond_created, submit, DryRun, Planned, Submit};
use crate::state::AppState;
use api_types::filesystems::FilesystemView;
use store::filesystems::FilesystemSelection;
use store::targets::TargetSelection;

/// The highest index a target may have: the MGS keeps 0xFFFF for "no
/// index yet" (`mgs_set_index` in Lustre 2.15's `mgs_llog.c`).
const MAX_INDEX: u32 = 0xFFFE;

/// The target (null for a dry run) and its plan.
#[derive(Serialize, ToSchema)]
#[schema(as = TargetAdded)]
pub struct Added {
    target: Option<TargetView>,
    #[serde(flatten)]
    planned: Planned,
}

/// Records the target and submits its addition.
#[utoipa::path(
    post,
    path = "/api/target",
    tag = "target",
    params(DryRun),
    request_body = AddTargetRequest,
    responses(
        (status = 200, description = "A dry run: the jobs it would take", body = Envelope<Added>),
        (status = 202, description = "The target is recorded and its addition submitted", body = Envelope<Added>),
        (status = 400, description = "The body is invalid (the field is named); nothing is stored", body = ErrorEnvelope),
        (status = 409, description = "The index or the volume is taken, the file system is monitored only, or the objects it touches have unfinished work", body = ErrorEnvelope),
    ),
)]
pub async fn handle(
    state: web::Data<AppState>,
    query: web::Query<DryRun>,
    body: web::Json<AddTargetRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let kind = parse_kind(&request.kind)?;
    if let Some(index) = request.index.filter(|i| *i > MAX_INDEX) {
        return Err(ApiError::Validation(vec![invalid(
            "index".into(),
            format!("{index} is too high: an index is at most {MAX_INDEX} (0xFFFE; the MGS keeps 0xFFFF for none)"),
        )]));
    }
    let tx = state.db.begin().await?;
    store::domain::lock_planning(&tx).await?;
    let fs = live_filesystem(&tx, request.filesystem_id).await?;
    let index = choose_index(&tx, &fs, kind, request.index).await?;
    let target = checked(&tx, &request, &fs, kind, index).await?;
    store::targets::insert(&tx, &stored(&target, Some(fs.id))).await?;
    // A stopped file system stays stopped: its new target waits, formatted
    // and registered, for the file system's next start.
    let want = if fs.state == "stopped" {
        TargetState::Unmounted
    } else {
        TargetState::Mounted
    };
    let planned = submit(Submit {
        goal: Goal::Target(target.id, want),
        message: format!("Add {} to file system {}", target.name, fs.name),
        dry_run: query.dry_run,
        confirmed: false,
        tx: &tx,
    })
    .await?;
    let view = if planned.dry_run {
        None
    } else {
        store::targets::views(&tx, TargetSelection::Id(target.id)).await?.pop()
    };
    respond_created(&state, tx, planned, |planned| Added { target: view, planned }).await
}

fn parse_kind(kind: &str) -> Result<TargetKind, ApiError> {
    match kind.parse::<TargetKind>() {
        Ok(TargetKind::Mgt) => Err(ApiError::Validation(vec![invalid(
            "kind".into(),
            "a file system has one MGS, given when it is created; add an ost or an mdt",
        )])),
        Ok(kind) => Ok(kind),
        Err(_) => Err(ApiError::Validation(vec![invalid(
            "kind".into(),
            format!("{kind:?} is not ost or mdt"),
        )])),
    }
}

/// The file system, refused unless live and Chroma's to change.
async fn live_filesystem(tx: &DatabaseTransaction, id: Uuid) -> Result<FilesystemView, ApiError> {
    let Some(fs) = store::filesystems::views(tx, FilesystemSelection::Id(id)).await?.pop() else {
        return Err(ApiError::Validation(vec![invalid(
            "filesystem_id".into(),
            format!("no file system {id}"),
        )]));
    };
    if fs.state == "removed" {
        return Err(ApiError::Validation(vec![invalid(
            "filesystem_id".into(),
            format!("file system {} is removed", fs.name),
        )]));
    }
    if !fs.managed {
        return Err(ApiError::Conflict(format!(
            "filesystem_id: file system {} is monitored only: Chroma did not create it and does not change it",
            fs.name
        )));
    }
    Ok(fs)
}

/// The index asked for when free, else the lowest the file system never
/// used for that kind.
async fn choose_index(
    tx: &DatabaseTransaction,
    fs: &FilesystemView,
    kind: TargetKind,
    wanted: Option<u32>,
) -> Result<u16, ApiError> {
    let used = store::targets::indices_in_filesystem(tx, fs.id, kind.as_str()).await?;
    if let Some(refusal) = at_limit(kind, &fs.name, used.len()) {
        return Err(ApiError::Conflict(refusal));
    }
    if let Some(index) = wanted {
        let index = u16::try_from(index).map_err(|e| ApiError::Internal(e.into()))?;
        if used.contains(&i32::from(index)) {
            return Err(ApiError::Conflict(format!(
                "index: {} is already used in file system {} (the MGS keeps the index of a removed target)",
                target_name(kind, &fs.name, index),
                fs.name
            )));
        }
        return Ok(index);
    }
    (0..=MAX_INDEX)
        .filter_map(|i| u16::try_from(i).ok())
        .find(|i| !used.contains(&i32::from(*i)))
        .ok_or_else(|| ApiError::Conflict(format!("index: file system {} has no free index left", fs.name)))
}

/// Why a file system that has had `used` targets of `kind` can take no
/// more: Lustre's limits on one file system's MDTs and OSTs, as when it is
/// created. A removed target still counts, as its index stays in the
/// MGS's configuration logs.
fn at_limit(kind: TargetKind, fsname: &str, used: usize) -> Option<String> {
    let (most, what) = match kind {
        TargetKind::Mdt => (MAX_MDTS, "MDTs"),
        TargetKind::Ost => (MAX_OSTS, "OSTs"),
        TargetKind::Mgt => return None,
    };
    (used >= most).then(|| {
        format!("kind: file system {fsname} has had {used} {what}, Lustre's limit for one file system is {most}")
    })
}

/// The target to insert, checked as every new target is.
async fn checked(
    tx: &DatabaseTransaction,
    request: &AddTargetRequest,
    fs: &FilesystemView,
    kind: TargetKind,
    index: u16,
) -> Result<NewTarget, ApiError> {
    let t = TargetRequest {
        volume_id: request.volume_id,
        primary_host_id: request.primary_host_id,
        failover_host_ids: request.failover_host_ids.clone(),
        reformat: request.reformat,
        format: request.format.clone(),
        backfstype: request.backfstype,
    };
    let placement = check(tx, "", &t).await?.map_err(ApiError::Validation)?;
    volumes_unused(tx, vec![t.volume_id], Some("volume_id")).await?;
    let id = Uuid::now_v7();
    let name = target_name(kind, &fs.name, index);
    let ha = ha_resource(tx, &name, id, &placement).await?;
    Ok(NewTarget {
        id,
        kind,
        index: Some(index),
        name,
        volume_id: t.volume_id,
        primary: placement.primary,
        failover: placement.failover,
        reformat: t.reformat,
        format: t.format.filter(|f| !f.is_empty()),
        backfstype: t.backfstype,
        ha_resource: ha,
    })
}

#[cfg(test)]
mod tests {
    use super::at_limit;
    use lustre::domain::TargetKind;

    #[test]
    fn lustres_limits_stop_adding_targets() {
        assert_eq!(at_limit(TargetKind::Ost, "big", 8_149), None);
        assert_eq!(
            at_limit(TargetKind::Ost, "big", 8_150).as_deref(),
            Some("kind: file system big has had 8150 OSTs, Lustre's limit for one file system is 8150")
        );
        assert_eq!(at_limit(TargetKind::Mdt, "big", 255), None);
        assert!(at_limit(TargetKind::Mdt, "big", 256).is_some_and(|m| m.contains("256 MDTs")));
    }
}
