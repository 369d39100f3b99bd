use super::tree::{parse, Devices, Offered, Refused};
use super::{identity_link, stable};

fn offered(node: &str, serial: &str, size: i64) -> Offered {
    Offered {
        node: node.into(),
        serial: Some(serial.into()),
        size,
    }
}

/// `lsblk -J -b -p -o NAME,KNAME,SIZE,SERIAL,TYPE,FSTYPE,MOUNTPOINT` on a
/// RHEL 8 server (util-linux 2.32: sizes as strings, libsmartcols' JSON
/// tree layout): an OS disk with /boot, / and swap, and one LUN through
/// two paths under multipath map mpatha.
const MULTIPATH: &str = r#"{
   "blockdevices": [
      {"name": "/dev/sda", "kname": "/dev/sda", "size": "68719476736", "serial": "drive-scsi0", "type": "disk", "fstype": null, "mountpoint": null,
         "children": [
            {"name": "/dev/sda1", "kname": "/dev/sda1", "size": "1073741824", "serial": null, "type": "part", "fstype": "xfs", "mountpoint": "/boot"},
            {"name": "/dev/sda2", "kname": "/dev/sda2", "size": "63350767616", "serial": null, "type": "part", "fstype": "xfs", "mountpoint": "/"},
            {"name": "/dev/sda3", "kname": "/dev/sda3", "size": "4294967296", "serial": null, "type": "part", "fstype": "swap", "mountpoint": "[SWAP]"}
         ]
      },
      {"name": "/dev/sdb", "kname": "/dev/sdb", "size": "107374182400", "serial": "LUN1", "type": "disk", "fstype": "mpath_member", "mountpoint": null,
         "children": [
            {"name": "/dev/mapper/mpatha", "kname": "/dev/dm-0", "size": "107374182400", "serial": null, "type": "mpath", "fstype": null, "mountpoint": null}
         ]
      },
      {"name": "/dev/sdc", "kname": "/dev/sdc", "size": "107374182400", "serial": "LUN1", "type": "disk", "fstype": "mpath_member", "mountpoint": null,
         "children": [
            {"name": "/dev/mapper/mpatha", "kname": "/dev/dm-0", "size": "107374182400", "serial": null, "type": "mpath", "fstype": null, "mountpoint": null}
         ]
      },
      {"name": "/dev/sr0", "kname": "/dev/sr0", "size": "1073741312", "serial": "QM00001", "type": "rom", "fstype": null, "mountpoint": null}
   ]
}"#;

#[test]
fn a_multipath_lun_is_one_volume_through_its_map_and_the_os_disk_is_refused() {
    let devices = parse(MULTIPATH, &[]).unwrap_or_default();
    assert_eq!(
        devices.offered,
        vec![offered("/dev/mapper/mpatha", "LUN1", 107_374_182_400)]
    );
    let refused: Vec<(&str, &str)> = devices
        .refused
        .iter()
        .map(|r| (r.node.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!(
        refused,
        vec![
            ("/dev/sda", "holds devices in use (/boot, /, [SWAP])"),
            ("/dev/sda1", "mounted on /boot"),
            ("/dev/sda2", "mounted on /"),
            ("/dev/sda3", "in use as swap"),
            ("/dev/sdb", "a path that dm-multipath holds (use its multipath map)"),
            ("/dev/sdc", "a path that dm-multipath holds (use its multipath map)"),
        ]
    );
}

#[test]
fn a_mounted_lustre_target_stays_usable() {
    let mounted = MULTIPATH.replacen(
        r#""type": "mpath", "fstype": null, "mountpoint": null"#,
        r#""type": "mpath", "fstype": "ext4", "mountpoint": "/mnt/fs-OST0000""#,
        2,
    );
    let other = parse(&mounted, &[]).unwrap_or_default();
    assert!(other.offered.is_empty(), "a map mounted by someone else is not offered");
    let lustre = parse(&mounted, &["/dev/mapper/mpatha".to_owned()]).unwrap_or_default();
    assert_eq!(lustre.offered.len(), 1);
}

#[test]
fn parses_flat_lists_of_old_and_new_util_linux() {
    let old = r#"{"blockdevices": [{"name": "/dev/sdb", "size": "107374182400", "serial": "S1", "type": "disk"},
        {"name": "/dev/sr0", "size": "1024", "serial": "", "type": "rom"}]}"#;
    let new = r#"{"blockdevices": [{"name": "/dev/vdc", "size": 42, "serial": "S2", "type": "disk"},
        {"name": "/dev/vdd", "size": 42, "serial": null, "type": "disk"}]}"#;
    assert_eq!(
        parse(old, &[]).ok().map(|d| d.offered),
        Some(vec![offered("/dev/sdb", "S1", 107_374_182_400)])
    );
    assert_eq!(
        parse(new, &[]).ok().map(|d| d.offered),
        Some(vec![offered("/dev/vdc", "S2", 42)])
    );
    assert!(parse("not json", &[]).is_err());
}

#[test]
fn free_partitions_lvm_and_md_are_volumes_and_their_members_are_not() {
    let listing = r#"{"blockdevices": [
        {"name": "/dev/sdd", "kname": "/dev/sdd", "size": "100", "serial": "S4", "type": "disk", "fstype": null, "mountpoint": null,
         "children": [
            {"name": "/dev/sdd1", "kname": "/dev/sdd1", "size": "50", "serial": null, "type": "part", "fstype": null, "mountpoint": null},
            {"name": "/dev/sdd2", "kname": "/dev/sdd2", "size": "50", "serial": null, "type": "part", "fstype": "LVM2_member", "mountpoint": null,
             "children": [{"name": "/dev/mapper/vg-lv", "kname": "/dev/dm-1", "size": "40", "serial": null, "type": "lvm", "fstype": null, "mountpoint": null}]}
         ]},
        {"name": "/dev/sde", "kname": "/dev/sde", "size": "100", "serial": "S5", "type": "disk", "fstype": "linux_raid_member", "mountpoint": null,
         "children": [{"name": "/dev/md127", "kname": "/dev/md127", "size": "100", "serial": null, "type": "raid1", "fstype": null, "mountpoint": null}]}
    ]}"#;
    let Devices { offered, refused } = parse(listing, &[]).unwrap_or_default();
    let nodes: Vec<(&str, Option<&str>)> = offered.iter().map(|o| (o.node.as_str(), o.serial.as_deref())).collect();
    assert_eq!(
        nodes,
        vec![
            ("/dev/sdd1", Some("S4-part1")),
            ("/dev/mapper/vg-lv", None),
            ("/dev/md127", None)
        ]
    );
    assert!(refused.contains(&Refused {
        node: "/dev/sdd2".into(),
        serial: Some("S4-part2".into()),
        reason: "a member of another storage layer (LVM2_member)".into(),
        zfs_vdev: None,
    }));
    assert!(refused
        .iter()
        .any(|r| r.node == "/dev/sdd" && r.reason.contains("/dev/sdd2 (LVM2_member)")));
}

#[test]
fn the_stable_path_is_the_wwid_link_never_the_host_local_name() {
    let links: Vec<String> = [
        "dm-name-mpatha",
        "dm-uuid-mpath-36001405abc",
        "scsi-36001405abc",
        "wwn-0x6001405abc",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(
        stable(&links).as_deref(),
        Some("/dev/disk/by-id/dm-uuid-mpath-36001405abc")
    );
    assert_eq!(
        stable(&links[2..]).as_deref(),
        Some("/dev/disk/by-id/wwn-0x6001405abc"),
        "a plain disk"
    );
    assert_eq!(stable(&links[..1]), None);
    let lvm = ["dm-name-vg-lv".to_owned(), "dm-uuid-LVM-abcdef".to_owned()];
    assert_eq!(identity_link(&lvm).as_deref(), Some("dm-uuid-LVM-abcdef"));
}

#[test]
fn a_disk_zpool_labelled_whole_is_a_vdev_and_offers_no_partition() {
    // `zpool create POOL /dev/sdb` on a whole disk writes a GPT: the pool
    // in partition 1, 8 MiB reserved in partition 9 (OpenZFS
    // `zpool_label_disk`); sdc is a vdev given as is.
    let listing = r#"{"blockdevices": [
        {"name": "/dev/sdb", "kname": "/dev/sdb", "size": 107374182400, "serial": "LUN2", "type": "disk", "fstype": null, "mountpoint": null,
         "children": [
            {"name": "/dev/sdb1", "kname": "/dev/sdb1", "size": 107363696640, "serial": null, "type": "part", "fstype": "zfs_member", "mountpoint": null},
            {"name": "/dev/sdb9", "kname": "/dev/sdb9", "size": 8388608, "serial": null, "type": "part", "fstype": null, "mountpoint": null}
         ]},
        {"name": "/dev/sdc", "kname": "/dev/sdc", "size": 1000, "serial": "LUN3", "type": "disk", "fstype": "zfs_member", "mountpoint": null},
        {"name": "/dev/sdd", "kname": "/dev/sdd", "size": 1000, "serial": "LUN4", "type": "disk", "fstype": null, "mountpoint": null}
    ]}"#;
    let Devices {
        offered: found,
        refused,
    } = parse(listing, &[]).unwrap_or_default();
    assert_eq!(found, vec![offered("/dev/sdd", "LUN4", 1000)]);
    let vdevs: Vec<&str> = refused
        .iter()
        .filter_map(|r| r.zfs_vdev.as_ref().map(|v| v.node.as_str()))
        .collect();
    assert_eq!(vdevs, ["/dev/sdb", "/dev/sdc"]);
    assert!(refused.iter().all(|r| r.node != "/dev/sdb9"), "{refused:?}");
}
