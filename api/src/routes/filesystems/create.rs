//! `POST /api/filesystem[?dry_run=true]`: record a new file system and its
//! targets, and submit the command that formats the targets in parallel,
//! registers them in order (MGS first, MDT0 before the OSTs), starts them
//! and applies the conf_params. Anything wrong is refused before anything
//! is stored.

use actix_web::{web, HttpResponse};
use common::domain::{target_name, FilesystemState, FsName, TargetKind};
use common::envelope::Envelope;
use common::plan::Goal;
use common::submission::FieldError;
use common::zfs::Backfstype;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;
use crate::routes::openapi::ErrorEnvelope;
use crate::routes::planning::{submit, DryRun, Planned, Submit};
use crate::state::AppState;
use store::sql::{execute, query};

/// Most MDTs or OSTs one request may create.
const MAX_TARGETS: usize = 1_000;

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
    #[schema(min_items = 1, max_items = 1000)]
    mdts: Vec<TargetRequest>,
    /// At least one.
    #[schema(min_items = 1, max_items = 1000)]
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

/// A target to create on a volume.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetRequest {
    volume_id: Uuid,
    /// By default the first host that sees the volume.
    primary_host_id: Option<Uuid>,
    /// By default every other host that sees the volume.
    failover_host_ids: Option<Vec<Uuid>>,
    /// Format over Lustre data already on the volume.
    #[serde(default)]
    reformat: bool,
    /// ldiskfs options for `mke2fs` (inode size, bytes per inode, RAID
    /// stride and stripe width), checked before anything is stored.
    #[serde(default)]
    format: Option<common::format::FormatOptions>,
    /// `ldiskfs` (the default) or `zfs`: a dataset in a zpool built on the
    /// volume, imported on the server that mounts the target.
    #[serde(default)]
    backfstype: common::zfs::Backfstype,
}

/// A target checked against the database, ready to insert.
struct NewTarget {
    id: Uuid,
    kind: TargetKind,
    index: Option<u16>,
    name: String,
    volume_id: Uuid,
    primary: Uuid,
    failover: Vec<Uuid>,
    reformat: bool,
    format: Option<common::format::FormatOptions>,
    backfstype: common::zfs::Backfstype,
    /// Its Pacemaker primitive when its HA mode is `pacemaker`.
    ha_resource: Option<String>,
}

/// The file system (null for a dry run) and its plan.
#[derive(Serialize, ToSchema)]
pub struct Created {
    filesystem: Option<super::FilesystemView>,
    #[serde(flatten)]
    planned: Planned,
}

fn invalid(field: String, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// Checks the parameters given at creation against Chroma's table (see
/// `common::params`); returns them as they are stored. Only
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
        match common::params::validate(name.as_str(), key, value, false) {
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
    for (field, list) in [("mdts", &request.mdts), ("osts", &request.osts)] {
        if list.is_empty() {
            errors.push(invalid(field.into(), "a file system needs at least one"));
        }
        if list.len() > MAX_TARGETS {
            errors.push(invalid(field.into(), format!("at most {MAX_TARGETS}")));
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
    if !planned.dry_run {
        tx.commit().await?;
    }
    let command = planned.command;
    let created = Created { filesystem, planned };
    Ok(match command {
        Some(command_id) => {
            state.notify_scheduler(common::messages::SchedulerMessage::CommandSubmitted { command_id });
            crate::respond::with_status(actix_web::http::StatusCode::ACCEPTED, created)
        }
        None => crate::respond::ok(created),
    })
}

/// 409 when a live file system has that name, or when the MGS still holds
/// the configuration logs of a removed one of that name (its MGS refuses
/// new targets of that name until `lctl erase_lcfg`).
async fn taken(tx: &DatabaseTransaction, name: &FsName, mgs_id: Uuid) -> Result<(), ApiError> {
    let rows = query(
        tx,
        "SELECT removed FROM filesystem WHERE name = $1 AND (NOT removed OR (mgs_id = $2 AND NOT logs_erased))",
        [name.as_str().to_owned().into(), mgs_id.into()],
    )
    .await?;
    let Some(row) = rows.first() else {
        return Ok(());
    };
    let removed: bool = row.try_get("", "removed")?;
    Err(ApiError::Conflict(if removed {
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
    let rows = query(
        tx,
        "SELECT managed FROM target WHERE id = $1 AND kind = 'mgt' AND state <> 'removed'",
        [mgs_id.into()],
    )
    .await?;
    match rows.first() {
        None => Ok(Some(invalid("mgt.mgs_id".into(), format!("no MGS target {mgs_id}")))),
        Some(row) if !row.try_get::<bool>("", "managed")? => Err(ApiError::Conflict(format!(
            "MGS {mgs_id} is monitored only: Chroma did not create it and does not change it"
        ))),
        Some(_) => Ok(None),
    }
}

/// 409 when a host of the new MGT already serves a live MGT: a server
/// runs one MGS at a time.
async fn one_mgs_per_host(tx: &DatabaseTransaction, mgt: &NewTarget) -> Result<(), ApiError> {
    let mut hosts = vec![mgt.primary];
    hosts.extend(mgt.failover.iter().copied());
    let rows = query(
        tx,
        "SELECT COALESCE(h.nodename, h.address) AS host FROM target t JOIN host h
            ON h.id = t.primary_host_id OR h.id = ANY(t.failover_host_ids)
         WHERE t.kind = 'mgt' AND t.state <> 'removed' AND h.id = ANY($1)",
        [hosts.into()],
    )
    .await?;
    match rows.first() {
        None => Ok(()),
        Some(row) => Err(ApiError::Conflict(format!(
            "{} already serves an MGS, and a server runs one MGS at a time; use \"mgt\": {{\"mgs_id\"}}",
            row.try_get::<String>("", "host")?
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
        if let Some(Err((option, why))) = t.format.as_ref().map(common::format::FormatOptions::check) {
            errors.push(invalid(format!("{field}.format.{option}"), why));
            continue;
        }
        if t.backfstype == Backfstype::Zfs && t.format.as_ref().is_some_and(|f| !f.is_empty()) {
            errors.push(invalid(
                format!("{field}.format"),
                "ldiskfs format options do not apply to a zfs target",
            ));
            continue;
        }
        let checked = match check_target(tx, &field, t).await? {
            Ok((primary, failover)) if t.backfstype == Backfstype::Zfs => {
                match without_zfs(tx, &field, primary, &failover).await? {
                    Some(e) => Err(vec![e]),
                    None => Ok((primary, failover)),
                }
            }
            other => other,
        };
        match checked {
            Ok((primary, failover)) => targets.push(NewTarget {
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
    let used = query(
        tx,
        "SELECT v.serial, t.name FROM target t JOIN volume v ON v.id = t.volume_id
         WHERE t.volume_id = ANY($1) AND t.state <> 'removed'",
        [volumes.into()],
    )
    .await?;
    if let Some(r) = used.first() {
        let serial: String = r.try_get("", "serial")?;
        let holder: String = r.try_get("", "name")?;
        return Err(ApiError::Conflict(format!(
            "volume {serial} is already used by {holder}"
        )));
    }
    if let Some(mgt) = targets.iter().find(|t| t.kind == TargetKind::Mgt) {
        one_mgs_per_host(tx, mgt).await?;
    }
    for t in &mut targets {
        if crate::routes::ha::pacemaker_ready(tx, &t.name, t.primary, &t.failover).await? {
            t.ha_resource = Some(common::pacemaker::resource_id(&t.name, t.id));
        }
    }
    Ok((mgs_id, targets))
}

/// The hosts of one target: `Ok(Err(field errors))` when they are wrong.
async fn check_target(
    tx: &DatabaseTransaction,
    field: &str,
    t: &TargetRequest,
) -> Result<Result<(Uuid, Vec<Uuid>), Vec<FieldError>>, ApiError> {
    let rows = query(
        tx,
        "SELECT n.host_id, h.state FROM volume_node n JOIN host h ON h.id = n.host_id
         WHERE n.volume_id = $1 ORDER BY COALESCE(h.nodename, h.address), h.port",
        [t.volume_id.into()],
    )
    .await?;
    let nodes: Vec<(Uuid, String)> = rows
        .iter()
        .map(|r| Ok((r.try_get("", "host_id")?, r.try_get("", "state")?)))
        .collect::<Result<_, sea_orm::DbErr>>()?;
    if nodes.is_empty() {
        return Ok(Err(vec![invalid(
            format!("{field}.volume_id"),
            format!("no volume {} on any managed host", t.volume_id),
        )]));
    }
    let is_node = |h: &Uuid| nodes.iter().any(|(n, _)| n == h);
    let primary = t.primary_host_id.unwrap_or(nodes[0].0);
    let failover = t
        .failover_host_ids
        .clone()
        .unwrap_or_else(|| nodes.iter().map(|(n, _)| *n).filter(|n| *n != primary).collect());
    let mut errors = Vec::new();
    if !is_node(&primary) {
        errors.push(invalid(
            format!("{field}.primary_host_id"),
            format!("host {primary} does not see volume {}", t.volume_id),
        ));
    }
    for (i, h) in failover.iter().enumerate() {
        if !is_node(h) || *h == primary || failover[..i].contains(h) {
            errors.push(invalid(
                format!("{field}.failover_host_ids[{i}]"),
                format!("host {h} is not another host that sees volume {}", t.volume_id),
            ));
        }
    }
    for (host, state) in &nodes {
        if (*host == primary || failover.contains(host)) && state != "managed" {
            errors.push(invalid(
                format!("{field}.volume_id"),
                format!("host {host} is {state}, not managed"),
            ));
        }
    }
    Ok(if errors.is_empty() {
        Ok((primary, failover))
    } else {
        Err(errors)
    })
}

/// A ZFS target's hosts must all have ZFS: the first whose pre-flight
/// `zfs` check did not pass is named (a host probed before that check
/// existed is not refused: mkfs.lustre and zpool say what is missing).
async fn without_zfs(
    tx: &DatabaseTransaction,
    field: &str,
    primary: Uuid,
    failover: &[Uuid],
) -> Result<Option<FieldError>, ApiError> {
    let mut ids = vec![primary];
    ids.extend(failover);
    let rows = query(
        tx,
        "SELECT COALESCE(h.nodename, h.address) AS name, c->>'message' AS message
         FROM host h CROSS JOIN LATERAL jsonb_array_elements(COALESCE(h.preflight->'checks', '[]'::jsonb)) c
         WHERE h.id = ANY($1) AND c->>'name' = 'zfs' AND c->>'status' <> 'pass'
         ORDER BY array_position($1, h.id) LIMIT 1",
        [ids.into()],
    )
    .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let name: String = row.try_get("", "name")?;
    let message: Option<String> = row.try_get("", "message")?;
    Ok(Some(invalid(
        format!("{field}.backfstype"),
        format!(
            "host {name} cannot run a ZFS target: {}",
            message.unwrap_or_else(|| "its pre-flight check zfs did not pass".into())
        ),
    )))
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
    let insert_target = "INSERT INTO target (id, kind, filesystem_id, target_index, name, volume_id, primary_host_id,
                                             failover_host_ids, reformat, ha_mode, ha_resource, format_options,
                                             backfstype, zpool)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
    targets.sort_by_key(|t| t.kind != TargetKind::Mgt);
    let mut rest = targets.iter();
    if let Some(mgt) = targets.first().filter(|t| t.kind == TargetKind::Mgt) {
        rest.next();
        execute(tx, insert_target, target_values(mgt, None)).await?;
    }
    let params = serde_json::to_value(conf_params).map_err(|e| ApiError::Internal(e.into()))?;
    execute(
        tx,
        "INSERT INTO filesystem (id, name, mgs_id, conf_params) VALUES ($1, $2, $3, $4)",
        [id.into(), name.as_str().to_owned().into(), mgs_id.into(), params.into()],
    )
    .await?;
    for t in rest {
        execute(tx, insert_target, target_values(t, Some(id))).await?;
    }
    Ok(())
}

fn target_values(t: &NewTarget, filesystem: Option<Uuid>) -> Vec<sea_orm::Value> {
    vec![
        t.id.into(),
        t.kind.as_str().to_owned().into(),
        filesystem.into(),
        t.index.map(i32::from).into(),
        t.name.clone().into(),
        t.volume_id.into(),
        t.primary.into(),
        t.failover.clone().into(),
        t.reformat.into(),
        if t.ha_resource.is_some() { "pacemaker" } else { "none" }
            .to_owned()
            .into(),
        t.ha_resource.clone().into(),
        t.format.as_ref().and_then(|f| serde_json::to_value(f).ok()).into(),
        t.backfstype.as_str().to_owned().into(),
        (t.backfstype == Backfstype::Zfs)
            .then(|| common::zfs::pool_name(&t.name, t.id))
            .into(),
    ]
}
