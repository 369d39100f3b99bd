//! `POST /api/filesystem[?dry_run=true]`: record a new file system and its
//! targets, and submit the command that formats the targets in parallel,
//! registers them in order (MGS first, MDT0 before the OSTs), starts them
//! and applies the conf_params. Anything wrong is refused before anything
//! is stored.

use actix_web::{web, HttpResponse};
use api_types::envelope::Envelope;
use lustre::domain::{target_name, FilesystemState, FsName, TargetKind};
use lustre::plan::Goal;
use lustre::submission::FieldError;
use lustre::zfs::Backfstype;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{respond_created, submit, DryRun, Planned, Submit};
use crate::routes::targets::checks::{check, ha_resource, invalid, volumes_unused, Placement, TargetRequest};
use crate::state::AppState;
use store::filesystems::NameInUse;

/// Most MDTs one file system may have: Lustre's limit (the Lustre
/// manual's file system limits: the root MDT and up to 255 more).
pub(crate) const MAX_MDTS: usize = 256;
/// Most OSTs one file system may have: Lustre's compile-time limit (the
/// Lustre manual's file system limits: 8150; 4000 have been configured).
pub(crate) const MAX_OSTS: usize = 8_150;

/// The request body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilesystemRequest {
    /// 1 to 8 letters, digits or `_`.
    #[schema(pattern = "^[A-Za-z0-9_]{1,8}$")]
    name: String,
    /// `{"volume_id", …}` for a new MGT or `{"mgs_id"}` for an existing MGS.
    #[schema(value_type = MgtSchema)]
    mgt: serde_json::Value,
    /// At least one.
    #[schema(min_items = 1, max_items = 256)]
    mdts: Vec<TargetRequest>,
    /// At least one.
    #[schema(min_items = 1, max_items = 8150)]
    osts: Vec<TargetRequest>,
    /// File-system-wide parameters, such as `{"llite.max_cached_mb": "1024"}`.
    #[serde(default)]
    conf_params: BTreeMap<String, String>,
}

/// A new MGT on a volume, or an existing MGS.
#[derive(Debug)]
enum MgtRequest {
    Existing { mgs_id: Uuid },
    New(TargetRequest),
}

/// An existing MGS to register with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExistingMgs {
    mgs_id: Uuid,
}

/// `mgt` as documented: a new MGT or an existing MGS.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum MgtSchema {
    New(TargetRequest),
    Existing(ExistingMgs),
}

impl MgtRequest {
    fn parse(value: &serde_json::Value) -> Result<Self, FieldError> {
        let result = if value.get("mgs_id").is_some() {
            serde_json::from_value::<ExistingMgs>(value.clone()).map(|e| MgtRequest::Existing { mgs_id: e.mgs_id })
        } else {
            serde_json::from_value::<TargetRequest>(value.clone()).map(MgtRequest::New)
        };
        result.map_err(|e| {
            invalid(
                "mgt".into(),
                format!(
                    "must be {{\"volume_id\", \"primary_host_id\"?, \"failover_host_ids\"?}} or {{\"mgs_id\"}}: {e}"
                ),
            )
        })
    }
}

/// A target checked against the database, ready to insert.
pub(crate) struct NewTarget {
    pub id: Uuid,
    pub kind: TargetKind,
    pub index: Option<u16>,
    pub name: String,
    pub volume_id: Uuid,
    pub primary: Uuid,
    pub failover: Vec<Uuid>,
    pub reformat: bool,
    pub format: Option<lustre::format::FormatOptions>,
    pub backfstype: lustre::zfs::Backfstype,
    /// Its Pacemaker primitive when its HA mode is `pacemaker`.
    pub ha_resource: Option<String>,
}

/// The file system (null for a dry run) and its plan.
#[derive(Serialize, ToSchema)]
pub struct Created {
    filesystem: Option<super::FilesystemView>,
    #[serde(flatten)]
    planned: Planned,
}

/// Checks the parameters given at creation against Chroma's table (see
/// `lustre::params`); returns them as they are stored. Only
/// file-system-wide ones: the targets a target-specific key names do not
/// exist yet.
fn check_conf_params(
    name: &FsName,
    given: &BTreeMap<String, String>,
    errors: &mut Vec<FieldError>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key, value) in given {
        let field = format!("conf_params.{key}");
        match lustre::params::validate(name.as_str(), key, value, false) {
            Ok(v) if v.target.is_some() => errors.push(invalid(
                field,
                format!("{key} names a target; set it once the file system exists (PUT /api/target/{{id}}/params)"),
            )),
            Ok(v) => {
                out.insert(v.key, v.value);
            }
            Err(e) => errors.push(invalid(field, e.to_string())),
        }
    }
    out
}

/// Records the file system and submits its creation.
#[utoipa::path(
    post,
    path = "/api/filesystem",
    tag = "filesystem",
    params(DryRun),
    request_body = FilesystemRequest,
    responses(
        (status = 200, description = "A dry run: the jobs it would take", body = Envelope<Created>),
        (status = 202, description = "The file system is recorded and its creation submitted", body = Envelope<Created>),
        (status = 400, description = "The body is invalid; nothing is stored", body = ErrorEnvelope),
        (status = 409, description = "The name or a volume is taken, a host already serves an MGS, or the servers' HA cluster cannot run the targets (not set up, or fencing enabled without a device)", body = ErrorEnvelope),
    ),
)]
pub async fn handle(
    state: web::Data<AppState>,
    query_string: web::Query<DryRun>,
    body: web::Json<FilesystemRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner();
    let mut errors = Vec::new();
    let name = FsName::parse(&request.name)
        .map_err(|m| errors.push(invalid("name".into(), m)))
        .ok();
    let mgt = MgtRequest::parse(&request.mgt).map_err(|e| errors.push(e)).ok();
    let conf_params = name
        .as_ref()
        .map(|name| check_conf_params(name, &request.conf_params, &mut errors))
        .unwrap_or_default();
    for (field, list, most) in [("mdts", &request.mdts, MAX_MDTS), ("osts", &request.osts, MAX_OSTS)] {
        if list.is_empty() {
            errors.push(invalid(field.into(), "a file system needs at least one"));
        }
        if list.len() > most {
            errors.push(invalid(field.into(), format!("at most {most} (Lustre's limit)")));
        }
    }
    let (Some(name), Some(mgt), true) = (name, mgt, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let tx = state.db.begin().await?;
    store::domain::lock_planning(&tx).await?;
    let (mgs_id, mut targets) = check_targets(&tx, &request, &mgt, &name).await?;
    let id = Uuid::now_v7();
    taken(&tx, &name, mgs_id).await?;
    insert(&tx, id, &name, mgs_id, &conf_params, &mut targets).await?;
    let planned = submit(Submit {
        goal: Goal::Filesystem(id, FilesystemState::Available),
        message: format!("Create file system {}", name.as_str()),
        dry_run: query_string.dry_run,
        confirmed: false,
        tx: &tx,
    })
    .await?;
    let filesystem = if planned.dry_run {
        None
    } else {
        Some(super::load_one(&tx, id).await?)
    };
    respond_created(&state, tx, planned, |planned| Created { filesystem, planned }).await
}

/// 409 when a live file system has that name, or when the MGS still holds
/// the configuration logs of a removed one of that name (its MGS refuses
/// new targets of that name until `lctl erase_lcfg`).
async fn taken(tx: &DatabaseTransaction, name: &FsName, mgs_id: Uuid) -> Result<(), ApiError> {
    let Some(in_use) = store::filesystems::name_in_use(tx, name.as_str(), mgs_id).await? else {
        return Ok(());
    };
    Err(ApiError::Conflict(if in_use == NameInUse::LogsKept {
        format!(
            "the MGS still holds the configuration logs of the removed file system {}; choose another name",
            name.as_str()
        )
    } else {
        format!("file system {} already exists", name.as_str())
    }))
}

/// 409 unless the existing MGS is live and Chroma's to change.
async fn check_existing_mgs(tx: &DatabaseTransaction, mgs_id: Uuid) -> Result<Option<FieldError>, ApiError> {
    match store::targets::live_mgt_managed(tx, mgs_id).await? {
        None => Ok(Some(invalid("mgt.mgs_id".into(), format!("no MGS target {mgs_id}")))),
        Some(false) => Err(ApiError::Conflict(format!(
            "MGS {mgs_id} is monitored only: Chroma did not create it and does not change it"
        ))),
        Some(true) => Ok(None),
    }
}

/// 409 when a host of the new MGT already serves a live MGT: a server
/// runs one MGS at a time.
async fn one_mgs_per_host(tx: &DatabaseTransaction, mgt: &NewTarget) -> Result<(), ApiError> {
    let mut hosts = vec![mgt.primary];
    hosts.extend(mgt.failover.iter().copied());
    match store::targets::mgs_host_among(tx, hosts).await? {
        None => Ok(()),
        Some(host) => Err(ApiError::Conflict(format!(
            "{host} already serves an MGS, and a server runs one MGS at a time; use \"mgt\": {{\"mgs_id\"}}"
        ))),
    }
}

/// Checks every volume and host named; returns the MGS id and the targets
/// to create (a new MGT first).
async fn check_targets(
    tx: &DatabaseTransaction,
    request: &FilesystemRequest,
    mgt: &MgtRequest,
    name: &FsName,
) -> Result<(Uuid, Vec<NewTarget>), ApiError> {
    let mut errors = Vec::new();
    let mut targets = Vec::new();
    let mut wanted: Vec<(String, TargetKind, Option<u16>, &TargetRequest)> = Vec::new();
    let mgs_id = match mgt {
        MgtRequest::Existing { mgs_id } => {
            errors.extend(check_existing_mgs(tx, *mgs_id).await?);
            *mgs_id
        }
        MgtRequest::New(mgt) => {
            wanted.push(("mgt".into(), TargetKind::Mgt, None, mgt));
            Uuid::now_v7()
        }
    };
    for (field, kind, list) in [
        ("mdts", TargetKind::Mdt, &request.mdts),
        ("osts", TargetKind::Ost, &request.osts),
    ] {
        for (i, t) in list.iter().enumerate() {
            wanted.push((format!("{field}[{i}]"), kind, u16::try_from(i).ok(), t));
        }
    }
    let mut seen = HashSet::new();
    for (field, kind, index, t) in wanted {
        if !seen.insert(t.volume_id) {
            errors.push(invalid(
                format!("{field}.volume_id"),
                "volume named twice in this request",
            ));
            continue;
        }
        match check(tx, &field, t).await? {
            Ok(Placement { primary, failover }) => targets.push(NewTarget {
                id: if kind == TargetKind::Mgt {
                    mgs_id
                } else {
                    Uuid::now_v7()
                },
                kind,
                index,
                name: target_name(kind, name.as_str(), index.unwrap_or(0)),
                volume_id: t.volume_id,
                primary,
                failover,
                reformat: t.reformat,
                format: t.format.clone().filter(|f| !f.is_empty()),
                backfstype: t.backfstype,
                ha_resource: None,
            }),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let volumes: Vec<Uuid> = targets.iter().map(|t| t.volume_id).collect();
    volumes_unused(tx, volumes, None).await?;
    if let Some(mgt) = targets.iter().find(|t| t.kind == TargetKind::Mgt) {
        one_mgs_per_host(tx, mgt).await?;
    }
    for t in &mut targets {
        let placement = Placement {
            primary: t.primary,
            failover: t.failover.clone(),
        };
        t.ha_resource = ha_resource(tx, &t.name, t.id, &placement).await?;
    }
    Ok((mgs_id, targets))
}

/// Inserts the file system and its targets (the MGT, when new, first).
async fn insert(
    tx: &DatabaseTransaction,
    id: Uuid,
    name: &FsName,
    mgs_id: Uuid,
    conf_params: &BTreeMap<String, String>,
    targets: &mut [NewTarget],
) -> Result<(), ApiError> {
    targets.sort_by_key(|t| t.kind != TargetKind::Mgt);
    let mut rest = targets.iter();
    if let Some(mgt) = targets.first().filter(|t| t.kind == TargetKind::Mgt) {
        rest.next();
        store::targets::insert(tx, &stored(mgt, None)).await?;
    }
    let params = serde_json::to_value(conf_params).map_err(|e| ApiError::Internal(e.into()))?;
    store::filesystems::insert(tx, id, name.as_str(), mgs_id, params).await?;
    for t in rest {
        store::targets::insert(tx, &stored(t, Some(id))).await?;
    }
    Ok(())
}

/// The row to store for `t`, in file system `filesystem` (None: a new MGT).
pub(crate) fn stored(t: &NewTarget, filesystem: Option<Uuid>) -> store::targets::NewTarget {
    store::targets::NewTarget {
        id: t.id,
        kind: t.kind.as_str().to_owned(),
        filesystem_id: filesystem,
        index: t.index.map(i32::from),
        name: t.name.clone(),
        volume_id: t.volume_id,
        primary_host_id: t.primary,
        failover_host_ids: t.failover.clone(),
        reformat: t.reformat,
        ha_mode: if t.ha_resource.is_some() { "pacemaker" } else { "none" }.to_owned(),
        ha_resource: t.ha_resource.clone(),
        format_options: t.format.as_ref().and_then(|f| serde_json::to_value(f).ok()),
        backfstype: t.backfstype.as_str().to_owned(),
        zpool: (t.backfstype == Backfstype::Zfs).then(|| lustre::zfs::pool_name(&t.name, t.id)),
    }
}
