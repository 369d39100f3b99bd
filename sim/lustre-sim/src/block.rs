//! Block devices beyond one kernel path per disk, as a RHEL 8 server shows
//! them: a shared LUN reached through two SCSI paths that dm-multipath
//! holds under one map (`/dev/mapper/mpatha`, kernel name `dm-N`), and the
//! host's own OS disk with its partitions (`/boot`, `/`, swap).
//!
//! What holds a device decides whether an exclusive open of it fails with
//! EBUSY, as the kernel's block-device claim makes it fail: a path that a
//! multipath map holds, a partition that is mounted or swap, and a disk
//! one of whose partitions is claimed. mkfs and mount open exclusively;
//! blkid and readlink do not, so they still see through a held path.

use serde::{Deserialize, Serialize};

use crate::state::{naa_id, ClusterState};

/// A dm-multipath map over one device's SCSI paths on one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Multipath {
    /// The map's name (`mpatha`); user-friendly names come from the host's
    /// own bindings file, so the same LUN may have another name elsewhere.
    pub name: String,
    /// Minor number of the map: its kernel name is `dm-N`.
    pub dm: u32,
    /// The SCSI paths it holds (`/dev/sdb`, `/dev/sdf`), in path-group order.
    pub paths: Vec<String>,
}

/// A partition of a device (partition `i + 1` of its list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    /// Size in bytes.
    pub size: u64,
    /// File-system type as libblkid names it (`xfs`, `swap`).
    pub fstype: String,
    /// Where it is mounted, if anywhere.
    #[serde(default)]
    pub mountpoint: Option<String>,
}

impl Partition {
    /// Whether the kernel holds it: mounted, or an active swap area.
    pub fn in_use(&self) -> bool {
        self.mountpoint.is_some() || self.fstype == "swap"
    }

    /// lsblk's MOUNTPOINT: the directory, or `[SWAP]` for active swap.
    pub fn shown_mountpoint(&self) -> Option<String> {
        match &self.mountpoint {
            Some(dir) => Some(dir.clone()),
            None if self.fstype == "swap" => Some("[SWAP]".to_string()),
            None => None,
        }
    }
}

/// Why an exclusive open of a device fails (EBUSY).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A path that multipath map NAME holds.
    Multipath(String),
    /// A partition mounted on this directory.
    Mounted(String),
    /// A partition in use as swap.
    Swap,
    /// A disk one of whose partitions is in use.
    Partitions,
}

/// A node that is not a device's main path: a multipath member or a
/// partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// SCSI path `path` of device `serial`, held by map `map`.
    Member { serial: String, path: String, map: String },
    /// Partition `number` (from 1) of device `serial`.
    Partition { serial: String, number: usize },
}

impl ClusterState {
    /// The multipath map of device `serial` on `host`, if it has one.
    pub fn multipath(&self, host: &str, serial: &str) -> Option<&Multipath> {
        self.devices.get(serial)?.multipath.get(host)
    }

    /// The kernel path of device `serial` on `host`: `/dev/dm-N` for a
    /// multipath map (what `readlink -f` prints), else its path.
    pub fn kernel_path(&self, host: &str, serial: &str) -> Option<String> {
        match self.multipath(host, serial) {
            Some(map) => Some(format!("/dev/dm-{}", map.dm)),
            None => self.devices.get(serial)?.paths.get(host).cloned(),
        }
    }

    /// The member path or partition `path` names on `host` (its kernel
    /// name or one of its own udev links), if it names one.
    pub fn node(&self, host: &str, path: &str) -> Option<Node> {
        let link = path.strip_prefix("/dev/").unwrap_or(path);
        for dev in self.devices.values().filter(|d| d.paths.contains_key(host)) {
            if let Some(map) = dev.multipath.get(host) {
                for member in &map.paths {
                    // Its by-id links are the map's (udev priority): only
                    // its kernel name and by-path name the path itself.
                    let own = self.member_links(host, &dev.serial, member);
                    if member == path || own.iter().any(|l| l == link && l.starts_with("disk/by-path/")) {
                        return Some(Node::Member {
                            serial: dev.serial.clone(),
                            path: member.clone(),
                            map: map.name.clone(),
                        });
                    }
                }
            }
            for number in 1..=dev.partitions.len() {
                let own = self.partition_path(host, &dev.serial, number);
                let links = self.partition_links(host, &dev.serial, number);
                if own.as_deref() == Some(path) || links.iter().any(|l| l == link) {
                    return Some(Node::Partition {
                        serial: dev.serial.clone(),
                        number,
                    });
                }
            }
        }
        None
    }

    /// Why an exclusive open of `path` on `host` fails, if it does.
    pub fn holder(&self, host: &str, path: &str) -> Option<Holder> {
        match self.node(host, path) {
            Some(Node::Member { map, .. }) => Some(Holder::Multipath(map)),
            Some(Node::Partition { serial, number }) => {
                let part = self.devices.get(&serial)?.partitions.get(number - 1)?;
                match &part.mountpoint {
                    Some(dir) => Some(Holder::Mounted(dir.clone())),
                    None => (part.fstype == "swap").then_some(Holder::Swap),
                }
            }
            None => {
                let serial = self.resolve_device(host, path)?;
                let dev = self.devices.get(&serial)?;
                dev.partitions
                    .iter()
                    .any(Partition::in_use)
                    .then_some(Holder::Partitions)
            }
        }
    }

    /// The kernel path of partition `number` of `serial` on `host`
    /// (`/dev/sda1`).
    pub fn partition_path(&self, host: &str, serial: &str, number: usize) -> Option<String> {
        let disk = self.devices.get(serial)?.paths.get(host)?;
        Some(format!("{disk}{number}"))
    }

    /// The udev links of a local (partitioned) disk: a QEMU SCSI disk has
    /// no WWN, so only `scsi-0QEMU_QEMU_HARDDISK_<serial>` and its by-path.
    pub fn local_disk_links(&self, serial: &str) -> Vec<String> {
        vec![
            format!("disk/by-id/scsi-0QEMU_QEMU_HARDDISK_{serial}"),
            "disk/by-path/pci-0000:00:05.0-scsi-0:0:0:0".to_string(),
        ]
    }

    /// A partition's links: its disk's links with `-partN` appended.
    pub fn partition_links(&self, host: &str, serial: &str, number: usize) -> Vec<String> {
        self.device_links(host, serial)
            .into_iter()
            .filter(|l| l.starts_with("disk/by-id/scsi-") || l.starts_with("disk/by-path/"))
            .map(|l| format!("{l}-part{number}"))
            .collect()
    }

    /// A multipath member's own links: the LUN's `scsi-3…` and `wwn-0x…`
    /// (which it claims, though the map wins them with udev's
    /// `link_priority=50`) and its own by-path (HBA `10+i`, LUN = the
    /// device's order among the host's maps).
    pub fn member_links(&self, host: &str, serial: &str, member: &str) -> Vec<String> {
        let naa = naa_id(serial);
        let mut links = vec![format!("disk/by-id/scsi-3{naa}"), format!("disk/by-id/wwn-0x{naa}")];
        let lun = self.multipath(host, serial).map_or(0, |m| m.dm);
        if let Some(i) = self
            .multipath(host, serial)
            .and_then(|m| m.paths.iter().position(|p| p == member))
        {
            links.push(format!("disk/by-path/pci-0000:00:{}.0-scsi-0:0:0:{lun}", 10 + i));
        }
        links
    }

    /// A multipath map's links, as 13-dm-disk.rules (`dm-name-`,
    /// `dm-uuid-mpath-<wwid>`), 11-dm-mpath.rules (`scsi-<wwid>`,
    /// `wwn-0x…`, taken over from the paths) and 10-dm.rules
    /// (`mapper/NAME`) make them; sorted, as udevadm lists them.
    pub fn multipath_links(&self, serial: &str, map: &Multipath) -> Vec<String> {
        let naa = naa_id(serial);
        vec![
            format!("disk/by-id/dm-name-{}", map.name),
            format!("disk/by-id/dm-uuid-mpath-3{naa}"),
            format!("disk/by-id/scsi-3{naa}"),
            format!("disk/by-id/wwn-0x{naa}"),
            format!("mapper/{}", map.name),
        ]
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;
    use crate::layout::Layout;

    fn multipath_cluster() -> ClusterState {
        let names: Vec<String> = ["mds1", "oss1", "oss2"].iter().map(|s| s.to_string()).collect();
        ClusterState::from_layout(&Layout::multipath_for(&names))
    }

    #[test]
    fn members_and_partitions_are_held() {
        let state = multipath_cluster();
        assert_eq!(
            state.holder("oss1", "/dev/sdb"),
            Some(Holder::Multipath("mpatha".into()))
        );
        assert_eq!(state.holder("oss1", "/dev/mapper/mpatha"), None);
        assert_eq!(state.holder("oss1", "/dev/sda"), Some(Holder::Partitions));
        assert_eq!(state.holder("oss1", "/dev/sda2"), Some(Holder::Mounted("/".into())));
        assert_eq!(state.holder("oss1", "/dev/sda3"), Some(Holder::Swap));
        let serial = state.resolve_device("oss1", "/dev/mapper/mpatha").unwrap();
        assert_eq!(state.kernel_path("oss1", &serial).as_deref(), Some("/dev/dm-0"));
        assert_eq!(state.resolve_device("oss1", "/dev/dm-0"), Some(serial));
        assert_eq!(
            state.resolve_device("oss1", "/dev/sdb"),
            None,
            "a held path is no volume"
        );
    }
}
