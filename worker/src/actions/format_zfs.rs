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
use crate::shared::Shared;

pub async fn run(shared: &Shared, target: &TargetRow, hosts: &[Server]) -> Result<Value, String> {
    let (Some(pool), Some(dataset)) = (target.zpool.as_deref(), target.dataset()) else {
        return Err(format!("{} is not a ZFS target", target.name));
    };
    let primary = hosts
        .first()
        .ok_or_else(|| format!("{} has no primary host", target.name))?;
    let vdev = target.device_on(shared, primary).await?;
    let before = contents::read_locked(shared, primary, &vdev).await?;
    let member = zfs::member(shared, primary, &vdev).await?;
    let spec = mkfs::spec(shared, target, hosts, target.reformat).await?;
    // The pool's label is on the disk or, as zpool lays out a whole disk,
    // in its first partition; an earlier attempt also left it imported.
    let ours = member.as_ref().is_some_and(|(name, _)| name == pool) || zfs::imported(shared, primary, pool).await?;
    if ours {
        // An earlier attempt created the pool: finish what it began.
        zfs::import(shared, primary, pool).await?;
        if !labelled(shared, target, primary, &dataset).await? {
            let argv = zfs_mkfs_argv(&spec, &dataset, None);
            primary.check_for(shared, &argv, MKFS_TIMEOUT).await?;
            require_labelled(shared, target, primary, &dataset).await?;
        }
        let guid = pool_guid(shared, primary, pool).await?;
        record(shared, target, &with_uuid(&guid)).await?;
        return Ok(json!({
            "target": target.name, "device": vdev, "dataset": dataset, "formatted": false, "pool_guid": guid,
        }));
    }
    if target.format_marker.is_none() && before.holds_data() && !target.reformat {
        return Err(format!(
            "volume {} ({vdev} on {}) holds {}; refusing to overwrite it \
             (create the target with reformat to format over it)",
            target.serial,
            primary.name,
            before.describe()
        ));
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
    let built = zfs::member(shared, primary, &vdev).await?;
    if built.as_ref().is_none_or(|(name, _)| name != pool) {
        if !output.success() {
            return Err(primary.failed(&argv, &output));
        }
        return Err(format!(
            "{}: mkfs.lustre succeeded but {vdev} is not a vdev of the pool {pool}",
            primary.name
        ));
    }
    require_labelled(shared, target, primary, &dataset).await?;
    let guid = pool_guid(shared, primary, pool).await?;
    record(shared, target, &with_uuid(&guid)).await?;
    Ok(json!({
        "target": target.name, "device": vdev, "dataset": dataset, "formatted": true,
        "pool_guid": guid, "command": argv,
    }))
}

/// The GUID of `pool`, imported on `host`: what the target records as its
/// file-system id.
async fn pool_guid(shared: &Shared, host: &Server, pool: &str) -> Result<String, String> {
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
async fn labelled(shared: &Shared, target: &TargetRow, host: &Server, dataset: &str) -> Result<bool, String> {
    Ok(zfs::svname(shared, host, dataset)
        .await?
        .is_some_and(|label| blkid::labels_target(&label, &target.name)))
}

async fn require_labelled(shared: &Shared, target: &TargetRow, host: &Server, dataset: &str) -> Result<(), String> {
    if labelled(shared, target, host, dataset).await? {
        return Ok(());
    }
    Err(format!(
        "{}: mkfs.lustre ran but dataset {dataset} does not carry {}'s label",
        host.name, target.name
    ))
}

/// Fails when the volume is a vdev of pool `other` and a server seeing it
/// has that pool imported: `zpool create -f` would destroy a live pool.
async fn refuse_if_pool_live(shared: &Shared, target: &TargetRow, other: &str) -> Result<(), String> {
    let viewers = in_use::viewers(shared, target).await?;
    match zfs::imported_on(shared, &viewers, other).await? {
        Some(host) => Err(format!(
            "refusing to format volume {} for {}: it is a vdev of ZFS pool {other}, imported on {}",
            target.serial, target.name, host.name
        )),
        None => Ok(()),
    }
}
