//! A target's back-end file system: ldiskfs on the volume itself, or a ZFS
//! dataset in a pool built on the volume (`mkfs.lustre --backfstype=zfs
//! POOL/DATASET VDEV`). A ZFS target's pool is imported on the server that
//! mounts it and exported before another server may import it; names are
//! derived from the target so that every server, and Pacemaker's `ZFS`
//! resource, agree on them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The OSD a target is formatted with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Backfstype {
    /// ext4 with Lustre's patches, on the volume (the default).
    #[default]
    Ldiskfs,
    /// A dataset in a zpool whose vdev is the volume.
    Zfs,
}

impl Backfstype {
    /// As stored and as `mkfs.lustre --backfstype` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Backfstype::Ldiskfs => "ldiskfs",
            Backfstype::Zfs => "zfs",
        }
    }

    /// From the stored text; anything but `zfs` is ldiskfs.
    pub fn parse(text: &str) -> Backfstype {
        if text == "zfs" {
            Backfstype::Zfs
        } else {
            Backfstype::Ldiskfs
        }
    }
}

/// The pool of a ZFS target: `lustre-fs1-ost0003-2e3f4a5b`. It starts with
/// a letter whatever the file system's name (zpool's rule), and the last
/// digits of the target's id keep two file systems of one name on the same
/// servers (under two MGSs) apart.
pub fn pool_name(target_name: &str, target_id: Uuid) -> String {
    let hex = target_id.simple().to_string();
    format!("lustre-{}-{}", target_name.to_ascii_lowercase(), &hex[hex.len() - 8..])
}

/// The dataset holding the target in `pool`: `POOL/ost0003`, `POOL/mgs`.
pub fn dataset(pool: &str, target_name: &str) -> String {
    let service = target_name.rsplit('-').next().unwrap_or(target_name);
    format!("{pool}/{}", service.to_ascii_lowercase())
}

/// The pool part of `pool/dataset`.
pub fn pool_of(dataset: &str) -> &str {
    dataset.split('/').next().unwrap_or(dataset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_target() {
        let id = Uuid::parse_str("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b").unwrap_or_default();
        let pool = pool_name("1fs-OST0003", id);
        assert_eq!(pool, "lustre-1fs-ost0003-2e3f4a5b");
        assert_eq!(dataset(&pool, "1fs-OST0003"), "lustre-1fs-ost0003-2e3f4a5b/ost0003");
        assert_eq!(dataset("lustre-mgs-2e3f4a5b", "MGS"), "lustre-mgs-2e3f4a5b/mgs");
        assert_eq!(pool_of("lustre-mgs-2e3f4a5b/mgs"), "lustre-mgs-2e3f4a5b");
        assert_eq!(Backfstype::parse("zfs"), Backfstype::Zfs);
        assert_eq!(Backfstype::parse("ldiskfs").as_str(), "ldiskfs");
    }
}
