//! ldiskfs format options a target may be created with: inode size, bytes
//! per inode and the RAID geometry the file system aligns to. They reach
//! `mke2fs` through `mkfs.lustre --mkfsoptions`, which mkfs.lustre pastes
//! into a shell command line (`run_command` in `mount_utils.c`), so only
//! these structured, checked values are ever passed: never a free-form
//! string.

use serde::{Deserialize, Serialize};

/// Largest RAID stride or stripe width accepted, in file-system blocks
/// (`mke2fs` takes 32-bit values).
const MAX_BLOCKS: u32 = 1 << 30;

/// Options for `mke2fs` under the target's ldiskfs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FormatOptions {
    /// Bytes per inode on disk (`-I`): a power of two, 128 to 4096
    /// (Lustre's own defaults: 1024 for an MDT, 256 or 512 for an OST).
    #[cfg_attr(feature = "openapi", schema(minimum = 128, maximum = 4096))]
    pub inode_size: Option<u32>,
    /// One inode per this many bytes of space (`-i`): 1024 to 67108864 and
    /// at least the inode size.
    #[cfg_attr(feature = "openapi", schema(minimum = 1024, maximum = 67108864))]
    pub bytes_per_inode: Option<u32>,
    /// RAID chunk size in 4 KiB file-system blocks (`-E stride=`).
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub raid_stride: Option<u32>,
    /// Full RAID stripe in 4 KiB blocks (`-E stripe_width=`): a multiple
    /// of the stride (data disks × stride).
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub raid_stripe_width: Option<u32>,
}

impl FormatOptions {
    /// Whether no option is set.
    pub fn is_empty(&self) -> bool {
        *self == FormatOptions::default()
    }

    /// `(field, why)` for the first value `mke2fs` would refuse or that
    /// makes no sense for a RAID layout.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if let Some(size) = self.inode_size {
            if !(128..=4096).contains(&size) || !size.is_power_of_two() {
                return Err(("inode_size", format!("{size} is not a power of two from 128 to 4096")));
            }
        }
        if let Some(ratio) = self.bytes_per_inode {
            if !(1024..=67_108_864).contains(&ratio) {
                return Err(("bytes_per_inode", format!("{ratio} is not from 1024 to 67108864")));
            }
            if self.inode_size.is_some_and(|size| ratio < size) {
                return Err((
                    "bytes_per_inode",
                    format!("{ratio} is less than the inode size: inodes would not fit"),
                ));
            }
        }
        for (field, value) in [
            ("raid_stride", self.raid_stride),
            ("raid_stripe_width", self.raid_stripe_width),
        ] {
            if value.is_some_and(|v| v == 0 || v > MAX_BLOCKS) {
                return Err((field, format!("must be 1 to {MAX_BLOCKS} blocks")));
            }
        }
        match (self.raid_stride, self.raid_stripe_width) {
            (Some(stride), Some(width)) if width % stride != 0 => Err((
                "raid_stripe_width",
                format!("{width} is not a multiple of the stride {stride} (data disks × stride)"),
            )),
            (None, Some(_)) => Err(("raid_stride", "give the stride with the stripe width".to_owned())),
            _ => Ok(()),
        }
    }

    /// The `--mkfsoptions` value: `-I 1024 -i 65536 -E stride=32,stripe_width=256`;
    /// `None` when no option is set.
    pub fn mkfsoptions(&self) -> Option<String> {
        let mut words = Vec::new();
        if let Some(size) = self.inode_size {
            words.push(format!("-I {size}"));
        }
        if let Some(ratio) = self.bytes_per_inode {
            words.push(format!("-i {ratio}"));
        }
        let mut extended = Vec::new();
        if let Some(stride) = self.raid_stride {
            extended.push(format!("stride={stride}"));
        }
        if let Some(width) = self.raid_stripe_width {
            extended.push(format!("stripe_width={width}"));
        }
        if !extended.is_empty() {
            words.push(format!("-E {}", extended.join(",")));
        }
        (!words.is_empty()).then(|| words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_mke2fs_options_in_order() {
        let all = FormatOptions {
            inode_size: Some(1024),
            bytes_per_inode: Some(65_536),
            raid_stride: Some(32),
            raid_stripe_width: Some(256),
        };
        assert_eq!(all.check(), Ok(()));
        assert_eq!(
            all.mkfsoptions().as_deref(),
            Some("-I 1024 -i 65536 -E stride=32,stripe_width=256")
        );
        assert_eq!(FormatOptions::default().mkfsoptions(), None);
        assert!(FormatOptions::default().is_empty());
    }

    #[test]
    fn refuses_what_mke2fs_would_or_what_misaligns() {
        let with = |f: fn(&mut FormatOptions)| {
            let mut o = FormatOptions::default();
            f(&mut o);
            o.check().map_err(|(field, _)| field)
        };
        assert_eq!(with(|o| o.inode_size = Some(1000)), Err("inode_size"));
        assert_eq!(with(|o| o.inode_size = Some(8192)), Err("inode_size"));
        assert_eq!(with(|o| o.bytes_per_inode = Some(512)), Err("bytes_per_inode"));
        assert_eq!(
            with(|o| {
                o.inode_size = Some(4096);
                o.bytes_per_inode = Some(2048);
            }),
            Err("bytes_per_inode")
        );
        assert_eq!(
            with(|o| {
                o.raid_stride = Some(32);
                o.raid_stripe_width = Some(100);
            }),
            Err("raid_stripe_width")
        );
        assert_eq!(with(|o| o.raid_stripe_width = Some(256)), Err("raid_stride"));
        assert_eq!(with(|o| o.raid_stride = Some(0)), Err("raid_stride"));
    }
}
