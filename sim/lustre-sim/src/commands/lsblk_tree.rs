//! The block-device tree `lsblk` prints, as util-linux 2.32 builds it
//! (`misc-utils/lsblk.c`): whole disks at the top, sorted by kernel name;
//! a disk's partitions under it, and a device-mapper map under each of the
//! paths it holds (so a multipath map appears once per path). TYPE is
//! `disk`, `part`, or the prefix of the map's DM UUID (`mpath`); SERIAL,
//! like MODEL, is printed only for whole devices without slaves; FSTYPE
//! comes from udev, which names a multipath path `mpath_member`;
//! MOUNTPOINT is `[SWAP]` for active swap.

use super::multipath::dev_t;
use super::Context;
use crate::state::{naa_id, Device};

/// One device as lsblk describes it.
#[derive(Debug, Clone)]
pub struct Dev {
    /// NAME without `-p`: `sdb`, `mpatha`.
    pub name: String,
    /// NAME with `-p`, and PATH: `/dev/sdb`, `/dev/mapper/mpatha`.
    pub path: String,
    /// Kernel name: `sdb`, `dm-0`.
    pub kname: String,
    /// The parent's kernel name in the tree.
    pub pkname: Option<String>,
    pub size: u64,
    pub serial: Option<String>,
    pub kind: &'static str,
    pub fstype: Option<String>,
    pub mountpoint: Option<String>,
    pub wwn: Option<String>,
    pub model: Option<String>,
    pub label: Option<String>,
    pub uuid: Option<String>,
    /// `MAJ:MIN`.
    pub majmin: String,
    pub children: Vec<Dev>,
}

/// The host's tree.
pub fn devices(ctx: &Context<'_>) -> Vec<Dev> {
    let mut tops = Vec::new();
    for (i, (path, serial)) in ctx.state.host_devices(&ctx.host).into_iter().enumerate() {
        let dev = &ctx.state.devices[&serial];
        match dev.multipath.get(&ctx.host) {
            Some(map) => {
                for member in &map.paths {
                    let mut disk = whole(ctx, dev, member, i);
                    disk.fstype = Some("mpath_member".into());
                    disk.model = Some(format!("disk{:02}", map.dm));
                    let mut child = whole(ctx, dev, &path, i);
                    child.name = map.name.clone();
                    child.kname = format!("dm-{}", map.dm);
                    child.pkname = Some(disk.kname.clone());
                    (child.kind, child.serial, child.wwn, child.model) = ("mpath", None, None, None);
                    child.majmin = format!("253:{}", map.dm);
                    disk.children.push(child);
                    (disk.label, disk.uuid) = (None, None);
                    tops.push(disk);
                }
            }
            None => tops.push(whole(ctx, dev, &path, i)),
        }
    }
    tops.sort_by(|a, b| a.kname.cmp(&b.kname));
    tops
}

/// Device `dev` at `path` (`i`: its order on the host, for names that are
/// not `sdX`), with its partitions and its Lustre target's data.
fn whole(ctx: &Context<'_>, dev: &Device, path: &str, i: usize) -> Dev {
    let kname = path.trim_start_matches("/dev/").to_string();
    let majmin = if kname.starts_with("sd") {
        dev_t(&kname)
    } else {
        format!("8:{}", 16 * (i + 1))
    };
    let vdev = ctx.state.vdev_signature(&dev.serial);
    // A ZFS target is mounted by its dataset, not by its vdev.
    let mounted = ctx
        .state
        .mount_of(&dev.serial)
        .filter(|m| m.host == ctx.host && vdev.is_none());
    let local = !dev.partitions.is_empty();
    let children = dev
        .partitions
        .iter()
        .enumerate()
        .map(|(n, part)| Dev {
            name: format!("{kname}{}", n + 1),
            path: format!("{path}{}", n + 1),
            kname: format!("{kname}{}", n + 1),
            pkname: Some(kname.clone()),
            size: part.size,
            serial: None,
            kind: "part",
            fstype: Some(part.fstype.clone()),
            mountpoint: part.shown_mountpoint(),
            wwn: None,
            model: None,
            label: None,
            uuid: None,
            majmin: format!("8:{}", n + 1),
            children: Vec::new(),
        })
        .collect();
    Dev {
        name: kname.clone(),
        path: path.to_string(),
        kname,
        pkname: None,
        size: dev.size,
        serial: Some(dev.serial.clone()),
        kind: "disk",
        fstype: match &vdev {
            Some(_) => Some("zfs_member".to_string()),
            None => dev.target.as_ref().map(|_| "ext4".to_string()),
        },
        mountpoint: mounted.map(|m| m.mountpoint.clone()),
        wwn: (!local).then(|| format!("0x{}", naa_id(&dev.serial))),
        model: Some("QEMU HARDDISK".to_string()),
        label: match &vdev {
            Some((pool, _)) => Some(pool.clone()),
            None => dev.target.as_ref().map(|t| t.label()),
        },
        uuid: match &vdev {
            Some((_, guid)) => Some(guid.clone()),
            None => dev.target.as_ref().map(|t| t.uuid.clone()),
        },
        majmin,
        children,
    }
}

/// The device `wanted` names (its path, NAME path or kernel path) anywhere
/// in `tree`.
pub fn find<'a>(tree: &'a [Dev], wanted: &str) -> Option<&'a Dev> {
    tree.iter().find_map(|d| {
        if d.path == wanted || format!("/dev/{}", d.kname) == wanted {
            Some(d)
        } else {
            find(&d.children, wanted)
        }
    })
}
