//! What `mkfs.lustre` and `mount.lustre` print when the device they are
//! given is held by another layer (see [`crate::block::Holder`]): both
//! open it exclusively, which the kernel refuses with EBUSY.
//!
//! mkfs.lustre runs mke2fs, whose `check_mount` (e2fsprogs `misc/util.c`)
//! refuses a mounted device ("is mounted", also for active swap) or a busy
//! one ("is apparently in use by the system"); mkfs.lustre prints the
//! command's log indented by three spaces (`run_command`), then "Unable to
//! build fs". mount.lustre reads the Lustre data first (a shared open, so a
//! multipath path shows the LUN's data) and then fails in mount(2) with
//! EBUSY (`mount_lustre.c`).

use super::{Context, Output};
use crate::block::{Holder, Node};

/// mke2fs's version banner on RHEL 8 with Lustre 2.15's e2fsprogs.
const MKE2FS: &str = "mke2fs 1.47.0-wc2 (25-May-2023)";

/// mkfs.lustre's refusal of a held `device`, if it is held.
pub fn refuse_mkfs(ctx: &Context<'_>, device: &str) -> Option<Output> {
    let why = match ctx.state.holder(&ctx.host, device)? {
        Holder::Mounted(_) | Holder::Swap => "is mounted;",
        Holder::Multipath(_) | Holder::Partitions => "is apparently in use by the system;",
    };
    Some(Output {
        stdout: format!("   {MKE2FS}\n   {device} {why} will not make a filesystem here!\n"),
        stderr: format!(
            "\nmkfs.lustre FATAL: Unable to build fs {device} (256)\n\nmkfs.lustre FATAL: mkfs failed 256\n"
        ),
        code: 1,
    })
}

/// mount.lustre's refusal of a held `device`, if it is held: a device
/// without Lustre data fails when its data is read, one with Lustre data
/// in mount(2).
pub fn refuse_mount(ctx: &Context<'_>, device: &str, dir: &str) -> Option<Output> {
    ctx.state.holder(&ctx.host, device)?;
    let formatted = match ctx.state.node(&ctx.host, device) {
        Some(Node::Member { serial, .. }) => ctx.state.devices.get(&serial).is_some_and(|d| d.target.is_some()),
        _ => false,
    };
    Some(if formatted {
        Output::fail(
            format!(
                "mount.lustre: mount {device} at {dir} failed: Device or resource busy\n\
                 Is the backend filesystem mounted?\n Check /etc/mtab and /proc/mounts\n"
            ),
            16,
        )
    } else {
        Output::fail(
            format!(
                "mount.lustre: {device} has not been formatted with mkfs.lustre or the backend filesystem type \
                 is not supported by this tool\n"
            ),
            19,
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::run;
    use crate::layout::Layout;
    use crate::state::ClusterState;

    fn cluster() -> ClusterState {
        let names: Vec<String> = ["mds1", "oss1", "oss2"].iter().map(|s| s.to_string()).collect();
        ClusterState::from_layout(&Layout::multipath_for(&names))
    }

    #[test]
    fn held_paths_and_the_os_disk_cannot_be_formatted_or_mounted() {
        let mut state = cluster();
        let out = run(&mut state, "oss1", "mkfs.lustre --mgs /dev/sdb");
        assert_eq!(out.code, 1);
        assert!(out
            .stdout
            .contains("/dev/sdb is apparently in use by the system; will not make a filesystem here!"));
        let os = run(&mut state, "oss1", "mkfs.lustre --mgs /dev/sda2");
        assert!(os.stdout.contains("/dev/sda2 is mounted;"), "{}", os.stdout);
        assert_eq!(run(&mut state, "oss1", "mkfs.lustre --mgs /dev/sda").code, 1);
        assert_eq!(run(&mut state, "oss1", "mkfs.lustre --mgs /dev/mapper/mpatha").code, 0);
        let busy = run(&mut state, "oss1", "mount -t lustre /dev/sdf /mnt/mgs");
        assert_eq!(busy.code, 16, "{}", busy.stderr);
        assert!(busy.stderr.contains("failed: Device or resource busy"));
        assert_eq!(run(&mut state, "oss1", "mount -t lustre /dev/sda /mnt/x").code, 19);
        assert_eq!(
            run(&mut state, "oss1", "mount -t lustre /dev/mapper/mpatha /mnt/mgs").code,
            0
        );
        let listing = run(&mut state, "oss1", "mount").stdout;
        assert!(
            listing.starts_with("/dev/mapper/mpatha on /mnt/mgs type lustre"),
            "{listing}"
        );
    }
}
