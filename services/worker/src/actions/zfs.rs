//! ZFS targets on their servers. A target's pool is imported on the server
//! that mounts it and exported when it is unmounted, so the partner can
//! import it; mkfs.lustre sets `multihost=on`, so OpenZFS's activity check
//! refuses an import, forced or not, while another live server has the
//! pool imported. A forced import is therefore safe, and needed after the
//! last importer died without exporting ("previously in use from another
//! system"), as Pacemaker's `ocf:heartbeat:ZFS` does (`importforce`).
//! mount.lustre and tunefs.lustre know a ZFS target only by opening its
//! dataset, which needs the pool imported where they run.

use super::servers::Server;
use super::targets::TargetRow;
use crate::error::ActionError;
use crate::shared::Shared;

/// Whether `pool` is imported on `host` (`zpool list -H -o name POOL`).
pub async fn imported(shared: &Shared, host: &Server, pool: &str) -> Result<bool, ActionError> {
    let argv = ["zpool", "list", "-H", "-o", "name", pool];
    let out = host.exec(shared, &argv).await?;
    match out.exit_status {
        Some(0) => Ok(true),
        Some(1) if out.stderr.contains("no such pool") => Ok(false),
        _ => Err(host.failed(&argv, &out)),
    }
}

/// Imports `pool` on `host` unless it is imported there; whether it was
/// imported now. An import zpool refuses (the pool is live on another
/// server, or missing) fails naming why.
pub async fn import(shared: &Shared, host: &Server, pool: &str) -> Result<bool, ActionError> {
    if imported(shared, host, pool).await? {
        return Ok(false);
    }
    let plain = ["zpool", "import", "-o", "cachefile=none", pool];
    let out = host.exec(shared, &plain).await?;
    if out.success() {
        return Ok(true);
    }
    if !out.stderr.contains("previously in use from another system") {
        return Err(host.failed(&plain, &out));
    }
    // Its last importer did not export it: multihost's activity check
    // makes sure that server is not writing before the forced import.
    let forced = ["zpool", "import", "-f", "-o", "cachefile=none", pool];
    host.check(shared, &forced).await?;
    Ok(true)
}

/// Exports `pool` from `host` if it is imported there; whether it was.
pub async fn export(shared: &Shared, host: &Server, pool: &str) -> Result<bool, ActionError> {
    if !imported(shared, host, pool).await? {
        return Ok(false);
    }
    host.check(shared, &["zpool", "export", pool]).await?;
    Ok(true)
}

/// The dataset's `lustre:svname` (`fs1:OST0000` before registration),
/// `None` when the dataset does not exist or has none.
pub async fn svname(shared: &Shared, host: &Server, dataset: &str) -> Result<Option<String>, ActionError> {
    let argv = ["zfs", "get", "-H", "-o", "value", "lustre:svname", dataset];
    let out = host.exec(shared, &argv).await?;
    match out.exit_status {
        Some(0) => Ok(Some(out.stdout.trim().to_owned()).filter(|v| !v.is_empty() && v != "-")),
        Some(1) if out.stderr.contains("dataset does not exist") => Ok(None),
        _ => Err(host.failed(&argv, &out)),
    }
}

/// What mount.lustre mounts for `target` on `host`, and the label found
/// there, which must be the target's: its volume's stable path (ldiskfs,
/// label from blkid) or its dataset, its pool imported here first (ZFS,
/// label from `lustre:svname`).
pub async fn open(shared: &Shared, target: &TargetRow, host: &Server) -> Result<(String, Option<String>), ActionError> {
    let (Some(pool), Some(dataset)) = (target.zpool.as_deref(), target.dataset()) else {
        let device = target.device_on(shared, host).await?;
        let found = super::contents::require_target(shared, target, host, &device).await?;
        return Ok((device, found.label));
    };
    let imported_now = import(shared, host, pool).await?;
    let label = svname(shared, host, &dataset).await?;
    if !label
        .as_deref()
        .is_some_and(|l| super::blkid::labels_target(l, &target.name))
    {
        if imported_now {
            // Not ours to keep: the partner may need it.
            let _ = export(shared, host, pool).await;
        }
        return Err(ActionError::Refused(format!(
            "dataset {dataset} on {} is {}, not {}; refusing to mount it",
            host.name,
            label.map_or_else(|| "missing or not Lustre".to_owned(), |l| format!("labelled {l}")),
            target.name
        )));
    }
    Ok((dataset, label))
}

/// After `target` was unmounted on `host`: exports a ZFS target's pool so
/// another server may import it.
pub async fn release(shared: &Shared, target: &TargetRow, host: &Server) -> Result<(), ActionError> {
    if let Some(pool) = target.zpool.as_deref() {
        export(shared, host, pool).await?;
    }
    Ok(())
}

/// Exports a ZFS target's pool from whichever of `hosts` has it imported
/// (the target being mounted nowhere): a redelivered unmount, or a
/// removal, finds the pool an earlier attempt left behind.
pub async fn release_anywhere(shared: &Shared, target: &TargetRow, hosts: &[Server]) -> Result<(), ActionError> {
    if let Some(pool) = target.zpool.as_deref() {
        for host in hosts {
            export(shared, host, pool).await?;
        }
    }
    Ok(())
}

/// `multihost` of `pool`, imported on `host`: `on` is what makes a forced
/// import safe, and mkfs.lustre only sets it where the server has a
/// hostid.
pub async fn require_multihost(shared: &Shared, host: &Server, pool: &str) -> Result<(), ActionError> {
    let value = host
        .check(shared, &["zpool", "get", "-H", "-o", "value", "multihost", pool])
        .await?;
    if value.trim() == "on" {
        return Ok(());
    }
    Err(ActionError::Refused(format!(
        "pool {pool} on {} has multihost {}: without it nothing stops two servers importing it at once; \
         give every server a unique hostid (`zgenhostid`) and run `zpool set multihost=on {pool}` there",
        host.name,
        value.trim()
    )))
}

/// Fails unless every one of `hosts` has its own, non-zero hostid
/// (`hostid`, which reads `/etc/hostid`): multihost's activity check
/// tells servers apart by it, so servers cloned with one hostid could
/// import one pool at once.
pub async fn require_hostids(shared: &Shared, hosts: &[Server]) -> Result<(), ActionError> {
    let mut seen: Vec<(String, &str)> = Vec::new();
    for host in hosts {
        let id = host.check(shared, &["hostid"]).await?.trim().to_owned();
        if id.trim_start_matches('0').is_empty() {
            return Err(ActionError::Refused(format!(
                "{} has no hostid: ZFS cannot protect its pools from a second import; run `zgenhostid` there",
                host.name
            )));
        }
        if let Some((_, other)) = seen.iter().find(|(seen_id, _)| *seen_id == id) {
            return Err(ActionError::Refused(format!(
                "{} and {other} share hostid {id} (cloned?): ZFS could import one pool on both; run \
                 `zgenhostid -f` on one of them",
                host.name
            )));
        }
        seen.push((id, host.name.as_str()));
    }
    Ok(())
}

/// The ZFS label on volume `device` as `host` reads it: `(pool, guid)`
/// of the `zfs_member` that is the device itself or, as `zpool create`
/// lays out a whole disk (a GPT with the pool in partition 1 and 8 MiB
/// reserved in partition 9), one of its partitions. `None`: no pool.
pub async fn member(shared: &Shared, host: &Server, device: &str) -> Result<Option<(String, String)>, ActionError> {
    let argv = ["lsblk", "-J", "-p", "-o", "NAME,FSTYPE,LABEL,UUID", device];
    let listing: serde_json::Value = serde_json::from_str(&host.check(shared, &argv).await?)
        .map_err(|e| ActionError::Command(format!("{}: cannot parse {}: {e}", host.name, argv.join(" "))))?;
    Ok(find_member(&listing["blockdevices"]))
}

/// The first `zfs_member` in an lsblk tree, depth first.
fn find_member(nodes: &serde_json::Value) -> Option<(String, String)> {
    nodes.as_array()?.iter().find_map(|node| {
        if node["fstype"] == "zfs_member" {
            let text = |key: &str| node[key].as_str().unwrap_or_default().to_owned();
            return Some((text("label"), text("uuid")));
        }
        find_member(&node["children"])
    })
}

/// Where `pool` is imported among `hosts`: the first that has it.
pub async fn imported_on<'a>(
    shared: &Shared,
    hosts: &'a [Server],
    pool: &str,
) -> Result<Option<&'a Server>, ActionError> {
    for host in hosts {
        if imported(shared, host, pool).await? {
            return Ok(Some(host));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::find_member;

    #[test]
    fn finds_the_pool_on_the_disk_or_in_its_first_partition() {
        // A whole disk given to `zpool create` (OpenZFS zpool_label_disk).
        let gpt: serde_json::Value = serde_json::from_str(
            r#"[{"name": "/dev/sdb", "fstype": null, "label": null, "uuid": null, "children": [
                  {"name": "/dev/sdb1", "fstype": "zfs_member", "label": "tank", "uuid": "1234567890"},
                  {"name": "/dev/sdb9", "fstype": null, "label": null, "uuid": null}]}]"#,
        )
        .unwrap_or_default();
        assert_eq!(find_member(&gpt), Some(("tank".into(), "1234567890".into())));
        let bare: serde_json::Value =
            serde_json::from_str(r#"[{"name": "/dev/sdc", "fstype": "zfs_member", "label": "p", "uuid": "9"}]"#)
                .unwrap_or_default();
        assert_eq!(find_member(&bare), Some(("p".into(), "9".into())));
        let ext4: serde_json::Value =
            serde_json::from_str(r#"[{"name": "/dev/sdd", "fstype": "ext4", "label": "fs1-OST0000"}]"#)
                .unwrap_or_default();
        assert_eq!(find_member(&ext4), None);
    }
}
