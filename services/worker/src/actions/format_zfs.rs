//! `format_target` for a ZFS target: `mkfs.lustre --backfstype=zfs
//! POOL/DATASET VDEV` on its primary server, which creates the pool on the
//! volume (`zpool create -f`, leaving it imported there) and the dataset
//! with the target's `lustre:` properties.
//!
//! mkfs.lustre forces the pool's creation, so it would overwrite a pool
//! that another server has imported: before it runs, a volume holding
//! anything is refused unless the target asks for `reformat`, and never
//! formatted while any server that sees it has its pool imported or the
//! volume mounted. A retry that finds this target's pool on the volume
//! (its name is the target's) does not create it again: it imports it
//! and creates only a missing dataset.

use serde_json::{json, Value};

use super::contents::{self, Contents};
use super::format_target::{mark, record, MKFS_TIMEOUT};
use super::mkfs::{self, zfs_mkfs_argv};
use super::servers::Server;
use super::targets::TargetRow;
use super::{blkid, in_use, zfs};
use crate::error::ActionError;
use crate::shared::Shared;

pub async fn run(shared: &Shared, target: &TargetRow, hosts: &[Server]) -> Result<Value, ActionError> {
    let (Some(pool), Some(dataset)) = (target.zpool.as_deref(), target.dataset()) else {
        return Err(ActionError::Bug(format!("{} is not a ZFS target", target.name)));
    };
    let primary = hosts
        .first()
        .ok_or_else(|| ActionError::Bug(format!("{} has no primary host", target.name)))?;
    let spec = mkfs::spec(shared, target, hosts, target.reformat).await?;
    // An earlier attempt created the pool (it left it imported, or its
    // label is on the volume): finish what it began. Looked for before
    // the volume, which lsblk may show only as "holding partitions" then.
    if zfs::imported(shared, primary, pool).await? {
        return resume(shared, target, primary, &spec, pool, &dataset).await;
    }
    let vdev = target.device_on(shared, primary).await?;
    let before = contents::read_locked(shared, primary, &vdev).await?;
    let member = zfs::member(shared, primary, &vdev).await?;
    if member.as_ref().is_some_and(|(name, _)| name == pool) {
        zfs::import(shared, primary, pool).await?;
        return resume(shared, target, primary, &spec, pool, &dataset).await;
    }
    zfs::require_hostids(shared, hosts).await?;
    if target.format_marker.is_none() && before.holds_data() && !target.reformat {
        return Err(ActionError::Refused(format!(
            "volume {} ({vdev} on {}) holds {}; refusing to overwrite it \
             (create the target with reformat to format over it)",
            target.serial,
            primary.name,
            before.describe()
        )));
    }
    in_use::refuse_if_in_use(shared, target).await?;
    if let Some((other, _)) = &member {
        refuse_if_pool_live(shared, target, other).await?;
    }
    if target.format_marker.is_none() {
        mark(shared, target, before.uuid_or_empty()).await?;
    }
    let mkfs = zfs_mkfs_argv(&spec, &dataset, Some(&vdev));
    let mkfs: Vec<&str> = mkfs.iter().map(String::as_str).collect();
    let argv = contents::locked(&vdev, &mkfs);
    let output = primary.exec_for(shared, &argv, MKFS_TIMEOUT).await?;
    // mkfs.lustre leaves the pool it created imported where it ran.
    if !zfs::imported(shared, primary, pool).await? {
        if !output.success() {
            return Err(primary.failed(&argv, &output));
        }
        return Err(ActionError::Command(format!(
            "{}: mkfs.lustre succeeded but pool {pool} is not imported there",
            primary.name
        )));
    }
    let guid = finish(shared, target, primary, pool, &dataset).await?;
    Ok(json!({
        "target": target.name, "device": vdev, "dataset": dataset, "formatted": true,
        "pool_guid": guid, "command": argv,
    }))
}

/// The pool exists and is imported on `primary`: creates the dataset if an
/// earlier attempt did not get that far, then finishes.
async fn resume(
    shared: &Shared,
    target: &TargetRow,
    primary: &Server,
    spec: &mkfs::MkfsSpec,
    pool: &str,
    dataset: &str,
) -> Result<Value, ActionError> {
    if !labelled(shared, target, primary, dataset).await? {
        let argv = zfs_mkfs_argv(spec, dataset, None);
        primary.check_for(shared, &argv, MKFS_TIMEOUT).await?;
    }
    let guid = finish(shared, target, primary, pool, dataset).await?;
    Ok(json!({ "target": target.name, "dataset": dataset, "formatted": false, "pool_guid": guid }))
}

/// Checks what the format left (the dataset labelled, `multihost=on`),
/// records the target formatted with the pool's GUID and exports the pool:
/// registration imports it where it mounts, and until then no server
/// holds it (nor imports it again at boot from the default cache file).
async fn finish(
    shared: &Shared,
    target: &TargetRow,
    primary: &Server,
    pool: &str,
    dataset: &str,
) -> Result<String, ActionError> {
    require_labelled(shared, target, primary, dataset).await?;
    zfs::require_multihost(shared, primary, pool).await?;
    let guid = pool_guid(shared, primary, pool).await?;
    record(shared, target, &with_uuid(&guid)).await?;
    zfs::export(shared, primary, pool).await?;
    Ok(guid)
}

/// The GUID of `pool`, imported on `host`: what the target records as its
/// file-system id.
async fn pool_guid(shared: &Shared, host: &Server, pool: &str) -> Result<String, ActionError> {
    let out = host.check(shared, &["zpool", "list", "-H", "-o", "guid", pool]).await?;
    Ok(out.trim().to_owned())
}

fn with_uuid(uuid: &str) -> Contents {
    Contents {
        uuid: Some(uuid.to_owned()),
        ..Contents::default()
    }
}

/// Whether `dataset` carries the target's label (either form).
async fn labelled(shared: &Shared, target: &TargetRow, host: &Server, dataset: &str) -> Result<bool, ActionError> {
    Ok(zfs::svname(shared, host, dataset)
        .await?
        .is_some_and(|label| blkid::labels_target(&label, &target.name)))
}

async fn require_labelled(
    shared: &Shared,
    target: &TargetRow,
    host: &Server,
    dataset: &str,
) -> Result<(), ActionError> {
    if labelled(shared, target, host, dataset).await? {
        return Ok(());
    }
    Err(ActionError::Command(format!(
        "{}: mkfs.lustre ran but dataset {dataset} does not carry {}'s label",
        host.name, target.name
    )))
}

/// Fails when the volume is a vdev of pool `other` and a server seeing it
/// has that pool imported: `zpool create -f` would destroy a live pool.
pub(super) async fn refuse_if_pool_live(shared: &Shared, target: &TargetRow, other: &str) -> Result<(), ActionError> {
    let viewers = in_use::viewers(shared, target).await?;
    match zfs::imported_on(shared, &viewers, other).await? {
        Some(host) => Err(ActionError::Refused(format!(
            "refusing to format volume {} for {}: it is a vdev of ZFS pool {other}, imported on {}",
            target.serial, target.name, host.name
        ))),
        None => Ok(()),
    }
}
