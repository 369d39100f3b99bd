//! Reads the tree `lsblk -J -b -p -o NAME,KNAME,SIZE,SERIAL,TYPE,FSTYPE,MOUNTPOINT`
//! prints (util-linux 2.32, RHEL 8) into the devices Chroma may use and
//! those it must not, with the reason.
//!
//! lsblk prints whole disks at the top, partitions under their disk and a
//! device-mapper map under each device it holds, so a multipath map shows
//! once under each of its paths; the paths carry FSTYPE `mpath_member`
//! (set by multipath's udev rules). A map, like a partition, has no SERIAL
//! of its own: its identity is that of the disk it sits on (the LUN's), a
//! partition's is its disk's plus `-partN` as udev names its links. LVM
//! volumes and md arrays get theirs from udev (`dm-uuid-LVM-…`,
//! `md-uuid-…`) when their links are read.

use crate::error::ActionError;
use serde::Deserialize;
use serde_json::Value;

/// FSTYPEs that say another layer owns the device.
const MEMBERS: [&str; 8] = [
    "mpath_member",
    "LVM2_member",
    "linux_raid_member",
    "zfs_member",
    "swap",
    "crypto_LUKS",
    "isw_raid_member",
    "ddf_raid_member",
];

/// Device types that can hold a file system.
const USABLE: [&str; 4] = ["disk", "mpath", "part", "lvm"];

/// One line of the listing, with its children.
#[derive(Debug, Clone, Deserialize)]
pub struct Node {
    pub name: String,
    #[serde(default)]
    pub kname: Option<String>,
    #[serde(default)]
    size: Option<Value>,
    #[serde(default)]
    pub serial: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub fstype: Option<String>,
    #[serde(default)]
    pub mountpoint: Option<String>,
    #[serde(default)]
    pub children: Vec<Node>,
}

#[derive(Debug, Deserialize)]
struct Listing {
    blockdevices: Vec<Node>,
}

/// A device Chroma may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offered {
    /// Its device node (`-p` NAME): `/dev/mapper/mpatha`, `/dev/sdb`.
    pub node: String,
    /// Its identity when lsblk tells it (disks, maps, partitions); `None`
    /// for LVM and md, named by their udev links.
    pub serial: Option<String>,
    pub size: i64,
}

/// A device Chroma must not use, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub node: String,
    pub serial: Option<String>,
    pub reason: String,
    /// It is a vdev of a ZFS pool (FSTYPE `zfs_member`): a ZFS target's
    /// own volume once its pool is built on it.
    pub zfs_vdev: Option<Offered>,
}

/// What a host's listing offers and refuses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Devices {
    pub offered: Vec<Offered>,
    pub refused: Vec<Refused>,
}

/// Parses the listing; `lustre` are the device nodes mounted as Lustre
/// targets, which stay usable (they are Chroma's own).
pub fn parse(stdout: &str, lustre: &[String]) -> Result<Devices, ActionError> {
    let listing: Listing =
        serde_json::from_str(stdout).map_err(|e| ActionError::Command(format!("cannot parse lsblk output: {e}")))?;
    let mut devices = Devices::default();
    for node in &listing.blockdevices {
        walk(node, None, lustre, &mut devices);
    }
    Ok(devices)
}

/// Sorts `node` and its children into `out`; `parent` is the identity of
/// the device it sits on.
fn walk(node: &Node, parent: Option<&str>, lustre: &[String], out: &mut Devices) {
    let serial = identity(node, parent);
    let kind = node.kind.as_deref().unwrap_or("disk");
    if !USABLE.contains(&kind) && !kind.starts_with("raid") && kind != "md" {
        return;
    }
    // A map under several paths is listed once per path.
    if out.offered.iter().any(|o| o.node == node.name) || out.refused.iter().any(|r| r.node == node.name) {
        return;
    }
    match refusal(node, lustre) {
        Some(reason) => out.refused.push(Refused {
            node: node.name.clone(),
            serial: serial.clone(),
            reason,
            zfs_vdev: is_vdev(node)
                .then(|| {
                    Some(Offered {
                        node: node.name.clone(),
                        serial: serial.clone(),
                        size: size(node)?,
                    })
                })
                .flatten(),
        }),
        None => {
            if let (Some(size), true) = (
                size(node),
                serial.is_some() || !matches!(kind, "disk" | "mpath" | "part"),
            ) {
                out.offered.push(Offered {
                    node: node.name.clone(),
                    serial: serial.clone(),
                    size,
                });
            }
        }
    }
    // A disk zpool labelled whole (its pool in partition 1, partition 9
    // reserved) is ZFS's: none of its partitions is offered.
    if is_vdev(node) && node.fstype.as_deref() != Some("zfs_member") {
        return;
    }
    for child in &node.children {
        walk(child, serial.as_deref().or(parent), lustre, out);
    }
}

/// Whether `node` is a ZFS vdev: a `zfs_member` itself or, as `zpool
/// create` lays out a whole disk (OpenZFS `zpool_label_disk`), a disk or
/// map whose partition holds the pool.
fn is_vdev(node: &Node) -> bool {
    let member = |n: &Node| n.fstype.as_deref() == Some("zfs_member");
    member(node)
        || (matches!(node.kind.as_deref(), Some("disk" | "mpath") | None)
            && node
                .children
                .iter()
                .any(|c| c.kind.as_deref() == Some("part") && member(c)))
}

/// The identity lsblk shows: a disk's serial, the LUN's for a map on it,
/// `-partN` for a partition.
fn identity(node: &Node, parent: Option<&str>) -> Option<String> {
    match node.kind.as_deref().unwrap_or("disk") {
        "disk" => node.serial.clone().filter(|s| !s.is_empty()),
        "mpath" => parent.map(str::to_owned),
        "part" => {
            let kname = node.kname.as_deref().unwrap_or(&node.name);
            let digits: String = kname.chars().rev().take_while(char::is_ascii_digit).collect();
            let number: String = digits.chars().rev().collect();
            Some(format!("{}-part{number}", parent?)).filter(|_| !number.is_empty())
        }
        _ => None,
    }
}

/// Why `node` must not be used, if it must not.
fn refusal(node: &Node, lustre: &[String]) -> Option<String> {
    if let Some(fstype) = node.fstype.as_deref().filter(|f| MEMBERS.contains(f)) {
        return Some(match fstype {
            "mpath_member" => "a path that dm-multipath holds (use its multipath map)".to_owned(),
            "swap" => "in use as swap".to_owned(),
            other => format!("a member of another storage layer ({other})"),
        });
    }
    if let Some(dir) = node.mountpoint.as_ref().filter(|_| !lustre.contains(&node.name)) {
        return Some(if dir == "[SWAP]" {
            "in use as swap".to_owned()
        } else {
            format!("mounted on {dir}")
        });
    }
    let busy = in_use_below(node, lustre);
    if !busy.is_empty() {
        return Some(format!("holds devices in use ({})", busy.join(", ")));
    }
    (!node.children.is_empty()).then(|| "holds partitions or other devices".to_owned())
}

/// Mount points and layers in use among `node`'s descendants.
fn in_use_below(node: &Node, lustre: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for child in &node.children {
        if lustre.contains(&child.name) {
            continue;
        }
        if let Some(dir) = &child.mountpoint {
            found.push(dir.clone());
        } else if let Some(f) = child.fstype.as_deref().filter(|f| MEMBERS.contains(f)) {
            found.push(format!("{} ({f})", child.name));
        }
        found.extend(in_use_below(child, lustre));
    }
    found
}

/// The size in bytes; older util-linux prints it as a string.
fn size(node: &Node) -> Option<i64> {
    match node.size.as_ref()? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}
