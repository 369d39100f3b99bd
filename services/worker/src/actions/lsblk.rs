//! The volumes a host offers, read from `lsblk` (see [`tree`]) and named by
//! stable paths. A volume is one piece of storage however many paths reach
//! it: known by its identity (the LUN's serial, `SERIAL-partN`, or an LVM
//! or md UUID link), reached through its multipath map when it has one,
//! never through a path dm-multipath holds.
//!
//! Actions (format, mount, Pacemaker) use a `/dev/disk/by-id` link: kernel
//! names (`/dev/sdb`, `dm-3`) change across reboots, and `/dev/mapper/mpathX`
//! names come from each server's own bindings file, so the two servers of a
//! pair may call one LUN `mpatha` and `mpathd`. `dm-uuid-mpath-<wwid>` is
//! made from the WWID (13-dm-disk.rules) and exists only for the map, so it
//! names the same map on every server and can never be a raw path; the
//! `scsi-3…`/`wwn-0x…` links a map takes over from its paths (udev
//! `link_priority`) fall back to a path if the map goes away. What is
//! recorded per host (`volume_node.path`) is the device node lsblk and
//! `mount` show (`/dev/mapper/mpatha`, `/dev/sdb`), which detection
//! compares with mount listings.

pub mod tree;

use super::mounts;
use super::servers::Server;
use crate::error::ActionError;
use crate::shared::Shared;

/// The listing command, the same for probing and for resolving.
const LSBLK: [&str; 6] = [
    "lsblk",
    "-J",
    "-b",
    "-p",
    "-o",
    "NAME,KNAME,SIZE,SERIAL,TYPE,FSTYPE,MOUNTPOINT",
];

/// By-id link prefixes in order of preference: identities first, then the
/// LUN's names, never `dm-name-` (the host-local `mpathX`).
const RANKED: [&str; 6] = ["dm-uuid-mpath-", "dm-uuid-LVM-", "md-uuid-", "wwn-", "scsi-", ""];

/// A volume as a host sees it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disk {
    /// The stable path actions use (`/dev/disk/by-id/…`; the device node
    /// when udev gives it no by-id link).
    pub path: String,
    /// The device node: `/dev/mapper/mpatha`, `/dev/sdb`.
    pub device: String,
    /// Its identity.
    pub serial: String,
    pub size: i64,
}

/// The listing of `host`, with its Lustre mounts kept usable.
async fn listing(shared: &Shared, host: &Server) -> Result<tree::Devices, ActionError> {
    let lustre: Vec<String> = mounts::list(shared, host)
        .await?
        .into_iter()
        .map(|m| m.device)
        .collect();
    tree::parse(&host.check(shared, &LSBLK).await?, &lustre)
}

/// The volumes `host` offers now, one per identity.
pub async fn disks(shared: &Shared, host: &Server) -> Result<Vec<Disk>, ActionError> {
    let mut found: Vec<Disk> = Vec::new();
    for offered in listing(shared, host).await?.offered {
        if let Some(disk) = resolve(shared, host, offered).await? {
            if !found.iter().any(|d| d.serial == disk.serial) {
                found.push(disk);
            }
        }
    }
    Ok(found)
}

/// The volume `serial` on `host` now, if it sees it; an error saying why
/// when it sees it but something else uses it (the OS, a mount, swap,
/// another storage layer).
pub async fn volume_of(shared: &Shared, host: &Server, serial: &str) -> Result<Option<Disk>, ActionError> {
    find(shared, host, serial, false).await
}

/// Like [`volume_of`], but a vdev of a ZFS pool (which Chroma otherwise
/// refuses) is the volume too: a ZFS target's own volume, its pool built
/// on it.
pub async fn vdev_of(shared: &Shared, host: &Server, serial: &str) -> Result<Option<Disk>, ActionError> {
    find(shared, host, serial, true).await
}

async fn find(shared: &Shared, host: &Server, serial: &str, vdev: bool) -> Result<Option<Disk>, ActionError> {
    let listing = listing(shared, host).await?;
    for offered in listing.offered {
        if offered.serial.as_deref().is_some_and(|s| s != serial) {
            continue;
        }
        if let Some(disk) = resolve(shared, host, offered).await?.filter(|d| d.serial == serial) {
            return Ok(Some(disk));
        }
    }
    match listing
        .refused
        .into_iter()
        .find(|r| r.serial.as_deref() == Some(serial))
    {
        Some(r) if vdev && r.zfs_vdev.is_some() => match r.zfs_vdev {
            Some(offered) => Ok(resolve(shared, host, offered).await?.filter(|d| d.serial == serial)),
            None => Ok(None),
        },
        Some(r) => Err(ActionError::Refused(format!(
            "{} ({serial}) on {} is {}: Chroma will not use it",
            r.node, host.name, r.reason
        ))),
        None => Ok(None),
    }
}

/// `offered` with its identity and stable path, read from its udev links;
/// `None` when it has no identity.
async fn resolve(shared: &Shared, host: &Server, offered: tree::Offered) -> Result<Option<Disk>, ActionError> {
    let links = by_id_links(shared, host, &offered.node).await?;
    let Some(serial) = offered.serial.clone().or_else(|| identity_link(&links)) else {
        return Ok(None);
    };
    Ok(Some(Disk {
        path: stable(&links).unwrap_or_else(|| offered.node.clone()),
        device: offered.node,
        serial,
        size: offered.size,
    }))
}

/// The `disk/by-id/` links udev gives `node`.
async fn by_id_links(shared: &Shared, host: &Server, node: &str) -> Result<Vec<String>, ActionError> {
    let name = format!("--name={node}");
    let out = host
        .exec(shared, &["udevadm", "info", "--query=symlink", &name])
        .await?;
    Ok(out
        .stdout
        .split_whitespace()
        .filter_map(|l| l.strip_prefix("disk/by-id/"))
        .map(str::to_owned)
        .collect())
}

/// The preferred by-id link, as a path.
fn stable(links: &[String]) -> Option<String> {
    links
        .iter()
        .filter(|l| !l.starts_with("dm-name-"))
        .min_by_key(|l| RANKED.iter().position(|p| l.starts_with(p)))
        .map(|l| format!("/dev/disk/by-id/{l}"))
}

/// The identity of a device lsblk gives none: its LVM or md UUID link.
fn identity_link(links: &[String]) -> Option<String> {
    links
        .iter()
        .find(|l| l.starts_with("dm-uuid-LVM-") || l.starts_with("md-uuid-"))
        .cloned()
}

#[cfg(test)]
mod tests;
