//! The checks a new target passes before anything is stored, whether it
//! comes with a new file system (`POST /api/filesystem`) or joins a live
//! one (`POST /api/target`): its ldiskfs options and back end agree, its
//! volume is seen by managed hosts (the primary and failover hosts named,
//! or by default the first host that sees it and every other), ZFS is
//! usable on those hosts, no live target uses the volume, and whether
//! Pacemaker keeps it.

use lustre::submission::FieldError;
use lustre::zfs::Backfstype;
use sea_orm::DatabaseTransaction;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;

/// A target to create on a volume.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetRequest {
    pub volume_id: Uuid,
    /// By default the first host that sees the volume.
    pub primary_host_id: Option<Uuid>,
    /// By default every other host that sees the volume.
    pub failover_host_ids: Option<Vec<Uuid>>,
    /// Format over Lustre data already on the volume.
    #[serde(default)]
    pub reformat: bool,
    /// ldiskfs options for `mke2fs` (inode size, bytes per inode, RAID
    /// stride and stripe width), checked before anything is stored.
    #[serde(default)]
    pub format: Option<lustre::format::FormatOptions>,
    /// `ldiskfs` (the default) or `zfs`: a dataset in a zpool built on the
    /// volume, imported on the server that mounts the target.
    #[serde(default)]
    pub backfstype: Backfstype,
}

/// Where a checked target runs.
#[derive(Debug, Clone)]
pub struct Placement {
    pub primary: Uuid,
    pub failover: Vec<Uuid>,
}

/// A 400 about `field`.
pub fn invalid(field: String, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// `field.name`, or `name` for a target given at the top of the body.
fn at(field: &str, name: &str) -> String {
    if field.is_empty() {
        name.to_owned()
    } else {
        format!("{field}.{name}")
    }
}

/// Checks `t` (named `field` in the request, `""` at the top) against the database: its
/// options, its volume's hosts and, for ZFS, their pre-flight checks.
/// `Ok(Err(field errors))` when the request is wrong.
pub async fn check(
    tx: &DatabaseTransaction,
    field: &str,
    t: &TargetRequest,
) -> Result<Result<Placement, Vec<FieldError>>, ApiError> {
    if let Some(Err((option, why))) = t.format.as_ref().map(lustre::format::FormatOptions::check) {
        return Ok(Err(vec![invalid(at(field, &format!("format.{option}")), why)]));
    }
    if t.backfstype == Backfstype::Zfs && t.format.as_ref().is_some_and(|f| !f.is_empty()) {
        return Ok(Err(vec![invalid(
            at(field, "format"),
            "ldiskfs format options do not apply to a zfs target",
        )]));
    }
    let placement = match hosts(tx, field, t).await? {
        Ok(placement) => placement,
        Err(errors) => return Ok(Err(errors)),
    };
    if t.backfstype == Backfstype::Zfs {
        if let Some(e) = without_zfs(tx, field, &placement).await? {
            return Ok(Err(vec![e]));
        }
    }
    Ok(Ok(placement))
}

/// The hosts of one target: `Ok(Err(field errors))` when they are wrong.
async fn hosts(
    tx: &DatabaseTransaction,
    field: &str,
    t: &TargetRequest,
) -> Result<Result<Placement, Vec<FieldError>>, ApiError> {
    let nodes: Vec<(Uuid, String)> = store::volumes::seen_by(tx, t.volume_id)
        .await?
        .into_iter()
        .map(|n| (n.host_id, n.state))
        .collect();
    if nodes.is_empty() {
        return Ok(Err(vec![invalid(
            at(field, "volume_id"),
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
            at(field, "primary_host_id"),
            format!("host {primary} does not see volume {}", t.volume_id),
        ));
    }
    for (i, h) in failover.iter().enumerate() {
        if !is_node(h) || *h == primary || failover[..i].contains(h) {
            errors.push(invalid(
                at(field, &format!("failover_host_ids[{i}]")),
                format!("host {h} is not another host that sees volume {}", t.volume_id),
            ));
        }
    }
    for (host, state) in &nodes {
        if (*host == primary || failover.contains(host)) && state != "managed" {
            errors.push(invalid(
                at(field, "volume_id"),
                format!("host {host} is {state}, not managed"),
            ));
        }
    }
    Ok(if errors.is_empty() {
        Ok(Placement { primary, failover })
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
    placement: &Placement,
) -> Result<Option<FieldError>, ApiError> {
    let mut ids = vec![placement.primary];
    ids.extend(&placement.failover);
    let Some(host) = store::hosts::first_without_zfs(tx, ids).await? else {
        return Ok(None);
    };
    Ok(Some(invalid(
        at(field, "backfstype"),
        format!(
            "host {} cannot run a ZFS target: {}",
            host.name,
            host.message
                .unwrap_or_else(|| "its pre-flight check zfs did not pass".into())
        ),
    )))
}

/// 409 when a live target already uses one of `volumes`; `field` prefixes
/// the message when the request names one volume.
pub async fn volumes_unused(tx: &DatabaseTransaction, volumes: Vec<Uuid>, field: Option<&str>) -> Result<(), ApiError> {
    let Some(used) = store::targets::used_volume_among(tx, volumes).await? else {
        return Ok(());
    };
    let prefix = field.map(|f| format!("{f}: ")).unwrap_or_default();
    Err(ApiError::Conflict(format!(
        "{prefix}volume {} is already used by {}",
        used.serial, used.target
    )))
}

/// The Pacemaker primitive of a new target `name` (id `id`) when its
/// servers form a ready HA cluster; `None`: Chroma mounts it directly.
pub async fn ha_resource(
    tx: &DatabaseTransaction,
    name: &str,
    id: Uuid,
    placement: &Placement,
) -> Result<Option<String>, ApiError> {
    Ok(
        crate::routes::ha::pacemaker_ready(tx, name, placement.primary, &placement.failover)
            .await?
            .then(|| lustre::pacemaker::resource_id(name, id)),
    )
}
