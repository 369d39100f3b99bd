//! `umount DIR|DEVICE`: unmounts a Lustre client mount
//! ([`super::mount_client::umount`]) or stops a target mounted on this host.

use super::{console, Context, Output};
use crate::state::now_micros;

/// Runs `umount [-f|-l|-v] DIR|DEVICE`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let Some(what) = args.iter().find(|a| !a.starts_with('-')) else {
        return Output::fail(
            "Usage:\n umount [-hV]\n umount -a [options]\n umount [options] <source> | <directory>\n",
            1,
        );
    };
    let force = args.iter().any(|a| a == "-f" || a == "--force");
    let lazy = args.iter().any(|a| a == "-l" || a == "--lazy");
    if let Some(out) = super::mount_client::umount(what, lazy, ctx) {
        return out;
    }
    let serial = ctx.state.resolve_device(&ctx.host, what);
    let mounted = ctx
        .state
        .mounts
        .iter()
        .find(|m| m.host == ctx.host && (m.mountpoint == *what || Some(&m.serial) == serial.as_ref()))
        .map(|m| m.serial.clone());
    let Some(serial) = mounted else {
        return Output::fail(format!("umount: {what}: not mounted.\n"), 32);
    };
    let now_us = now_micros();
    ctx.state.remove_mount(&serial, now_us / 1_000_000);
    let target = ctx.state.devices.get(&serial).and_then(|d| d.target.clone());
    if let Some(target) = target {
        let host = ctx.host.clone();
        console::unmounted(ctx.state, &host, &target, force, now_us);
    }
    Output::ok("")
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn unmounts_by_directory_or_device() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "mds1", "mkfs.lustre --mgs /dev/sdb").code, 0);
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mgs").code, 0);
        let other_host = run(&mut state, "oss1", "umount /mnt/mgs");
        assert_eq!(
            (other_host.code, other_host.stderr.as_str()),
            (32, "umount: /mnt/mgs: not mounted.\n")
        );
        assert_eq!(run(&mut state, "mds1", "umount /mnt/mgs").code, 0);
        assert!(state.mounts.is_empty());
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mgs").code, 0);
        assert_eq!(run(&mut state, "mds1", "umount /dev/sdb").code, 0);
        assert_eq!(run(&mut state, "mds1", "umount /dev/sdb").code, 32);
    }
}
