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

/// blkid's type for a vdev of a pool.
const ZFS_MEMBER: &str = "zfs_member";

pub async fn run(shared: &Shared, target: &TargetRow, hosts: &[Server]) -> Result<Value, String> {
    let (Some(pool), Some(dataset)) = (target.zpool.as_deref(), target.dataset()) else {
        return Err(format!("{} is not a ZFS target", target.name));
    };
    let primary = hosts
        .first()
        .ok_or_else(|| format!("{} has no primary host", target.name))?;
    let vdev = target.device_on(shared, primary).await?;
    let before = contents::read_locked(shared, primary, &vdev).await?;
    let spec = mkfs::spec(shared, target, hosts, target.reformat).await?;
    if holds_pool(&before, pool) {
        // An earlier attempt created the pool: finish what it began.
        zfs::import(shared, primary, pool).await?;
        if !labelled(shared, target, primary, &dataset).await? {
            let argv = zfs_mkfs_argv(&spec, &dataset, None);
            primary.check_for(shared, &argv, MKFS_TIMEOUT).await?;
            require_labelled(shared, target, primary, &dataset).await?;
        }
        record(shared, target, &before).await?;
        return Ok(json!({
            "target": target.name, "device": vdev, "dataset": dataset, "formatted": false, "pool_guid": before.uuid,
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
    refuse_if_pool_live(shared, target, &before).await?;
    if target.format_marker.is_none() {
        mark(shared, target, before.uuid_or_empty()).await?;
    }
    let mkfs = zfs_mkfs_argv(&spec, &dataset, Some(&vdev));
    let mkfs: Vec<&str> = mkfs.iter().map(String::as_str).collect();
    let argv = contents::locked(&vdev, &mkfs);
    let output = primary.exec_for(shared, &argv, MKFS_TIMEOUT).await?;
    let after = contents::read_locked(shared, primary, &vdev).await?;
    if !holds_pool(&after, pool) {
        if !output.success() {
            return Err(primary.failed(&argv, &output));
        }
        return Err(format!(
            "{}: mkfs.lustre succeeded but {vdev} holds {}, not the pool {pool}",
            primary.name,
            after.describe()
        ));
    }
    require_labelled(shared, target, primary, &dataset).await?;
    record(shared, target, &after).await?;
    Ok(json!({
        "target": target.name, "device": vdev, "dataset": dataset, "formatted": true,
        "pool_guid": after.uuid, "command": argv,
    }))
}

/// Whether the volume is a vdev of `pool` (blkid reads the pool's name as
/// the label of a `zfs_member`).
fn holds_pool(found: &Contents, pool: &str) -> bool {
    found.fs_type.as_deref() == Some(ZFS_MEMBER) && found.label.as_deref() == Some(pool)
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

/// Fails when the volume is a vdev of another pool that a server seeing
/// it has imported: `zpool create -f` would destroy a live pool.
async fn refuse_if_pool_live(shared: &Shared, target: &TargetRow, found: &Contents) -> Result<(), String> {
    let Some(other) = found
        .label
        .as_deref()
        .filter(|_| found.fs_type.as_deref() == Some(ZFS_MEMBER))
    else {
        return Ok(());
    };
    let viewers = in_use::viewers(shared, target).await?;
    match zfs::imported_on(shared, &viewers, other).await? {
        Some(host) => Err(format!(
            "refusing to format volume {} for {}: it is a vdev of ZFS pool {other}, imported on {}",
            target.serial, target.name, host.name
        )),
        None => Ok(()),
    }
}
