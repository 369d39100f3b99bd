//! The multipath layout (`--layout multipath`): hosts pair up as in the
//! default layout, but each shared LUN reaches a host through two SCSI
//! paths (two HBAs) that dm-multipath holds under one map, and every host
//! has its own OS disk, `/dev/sda`, with `/boot`, `/` and swap in use.
//!
//! The second host of a pair discovers the LUNs in the other order, so the
//! same LUN has other kernel names and another `mpathX` name there, as on
//! real servers whose bindings files were filled independently: only the
//! WWID (`/dev/disk/by-id/dm-uuid-mpath-3…`) names it on both.

use super::{DeviceLayout, HostLayout, Layout, DEFAULT_DEVICE_SIZE};
use crate::block::{Multipath, Partition};

/// LUNs each host sees in the multipath layout.
const LUNS: usize = 4;

/// Size of the OS disk: 64 GiB.
const OS_DISK_SIZE: u64 = 64 << 30;

impl Layout {
    /// The multipath layout for `names` (see the module documentation).
    pub fn multipath_for(names: &[String]) -> Layout {
        let hosts = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let group = if i == 0 { 0 } else { i.div_ceil(2) };
                let reversed = i > 0 && i % 2 == 0;
                let mut devices = vec![os_disk(i)];
                devices.extend((0..LUNS).map(|slot| {
                    let lun = if reversed { LUNS - 1 - slot } else { slot };
                    shared_lun(slot, format!("SIMDISK{group:03}{lun:02}"))
                }));
                HostLayout::new(name, devices)
            })
            .collect();
        Layout { hosts, latencies: None }
    }
}

/// LUN `serial`, found in discovery slot `slot`: paths `sd(b+slot)` and
/// `sd(b+LUNS+slot)`, map `mpath(a+slot)` = `dm-slot`.
fn shared_lun(slot: usize, serial: String) -> DeviceLayout {
    let letter = |n: usize| char::from(b'a' + u8::try_from(n).unwrap_or(0));
    let name = format!("mpath{}", letter(slot));
    DeviceLayout {
        path: format!("/dev/mapper/{name}"),
        size: DEFAULT_DEVICE_SIZE,
        serial,
        multipath: Some(Multipath {
            name,
            dm: u32::try_from(slot).unwrap_or(0),
            paths: vec![
                format!("/dev/sd{}", letter(1 + slot)),
                format!("/dev/sd{}", letter(1 + LUNS + slot)),
            ],
        }),
        partitions: Vec::new(),
    }
}

/// Host `i`'s OS disk: 1 GiB `/boot`, `/`, 4 GiB swap (RHEL 8's default
/// partitioning without LVM).
fn os_disk(i: usize) -> DeviceLayout {
    let part = |size: u64, fstype: &str, dir: Option<&str>| Partition {
        size,
        fstype: fstype.to_string(),
        mountpoint: dir.map(str::to_string),
    };
    DeviceLayout {
        path: "/dev/sda".to_string(),
        size: OS_DISK_SIZE,
        serial: format!("SIMOSDISK{i:03}"),
        multipath: None,
        partitions: vec![
            part(1 << 30, "xfs", Some("/boot")),
            part(OS_DISK_SIZE - (5 << 30), "xfs", Some("/")),
            part(4 << 30, "swap", None),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ClusterState;

    #[test]
    fn a_pair_shares_luns_under_other_names() {
        let names: Vec<String> = ["mds1", "oss1", "oss2"].iter().map(|s| s.to_string()).collect();
        let layout = Layout::multipath_for(&names);
        assert!(layout.validate().is_ok());
        let state = ClusterState::from_layout(&layout);
        let serial = state.resolve_device("oss1", "/dev/mapper/mpatha");
        assert_eq!(serial.as_deref(), Some("SIMDISK00100"));
        assert_eq!(state.resolve_device("oss2", "/dev/mapper/mpathd"), serial);
        let os1 = state.resolve_device("oss1", "/dev/sda");
        assert_ne!(
            os1,
            state.resolve_device("oss2", "/dev/sda"),
            "each host has its own OS disk"
        );
        assert_eq!(
            state.devices["SIMDISK00100"].multipath["oss2"].paths,
            ["/dev/sde", "/dev/sdi"]
        );
    }
}
