//! `mkfs.lustre --backfstype=zfs … POOL/DATASET [VDEV…]`, as Lustre 2.15's
//! `zfs_make_lustre` (`libmount_utils_zfs.c`) does it: with `--reformat`
//! the old dataset is destroyed; the pool is created (`zpool create -f -O
//! canmount=off POOL VDEV…`, forced: a vdev of another pool is
//! overwritten) only when vdevs are given and no pool of that name is
//! imported here; `multihost=on` is set on it; then `zfs create -o
//! canmount=off POOL/DATASET` and the target's `lustre:` properties.

use super::mkfs::{fatal, fs_uuid};
use super::{console, ldd, zpool, Context, Output};
use crate::state::{now_micros, Target};

fn failed(stdout: String, stderr: &str, what: &str) -> Output {
    Output {
        stdout,
        stderr: format!("{stderr}\nmkfs.lustre FATAL: {what} (256)\n\nmkfs.lustre FATAL: mkfs failed 256\n"),
        code: 1,
    }
}

/// Formats `dataset` with `target`.
pub fn run(
    dataset: &str,
    vdevs: &[String],
    mut target: Target,
    reformat: bool,
    dryrun: bool,
    ctx: &mut Context<'_>,
) -> Output {
    let Some((pool, _)) = dataset.split_once('/') else {
        return fatal(
            &format!("Missing pool in filesystem name {dataset}"),
            22,
            "Invalid argument",
        );
    };
    target.zfs_dataset = Some(dataset.to_string());
    let mut stdout = ldd::print("Permanent disk data", &target);
    if dryrun {
        stdout.push_str("exiting before disk write.\n");
        return Output::ok(stdout);
    }
    let existing = ctx.state.resolve_dataset(&ctx.host, dataset);
    if existing.is_some() && !reformat {
        let mut out = fatal(
            &format!(
                "Device {dataset} was previously formatted for lustre. Use --reformat to reformat it, \
                 or tunefs.lustre to modify."
            ),
            1,
            "Operation not permitted",
        );
        out.stdout = format!("{stdout}checking for existing Lustre data: found\n{}", out.stdout);
        return out;
    }
    if !reformat {
        stdout.push_str("checking for existing Lustre data: not found\n");
    }
    if reformat {
        if let Some(serial) = existing {
            if ctx.state.mount_of(&serial).is_some_and(|m| m.host == ctx.host) {
                return failed(
                    stdout,
                    &format!("cannot destroy '{dataset}': dataset is busy\n"),
                    "Failed destroy zfs dataset",
                );
            }
            if let Some(dev) = ctx.state.devices.get_mut(&serial) {
                dev.target = None;
            }
        }
        for p in ctx
            .state
            .zpools
            .iter_mut()
            .filter(|p| p.name == pool && p.imported_on.as_deref() == Some(&ctx.host))
        {
            p.datasets.remove(dataset);
        }
    }
    if ctx.state.imported_pool(&ctx.host, pool).is_none() && !vdevs.is_empty() {
        let mut argv: Vec<String> = ["create", "-f", "-O", "canmount=off", pool]
            .map(str::to_string)
            .to_vec();
        argv.extend(vdevs.iter().cloned());
        stdout.push_str(&format!("mkfs_cmd = zpool {}\n", argv.join(" ")));
        let out = zpool::run(&argv, ctx);
        if out.code != 0 {
            return failed(
                format!("{stdout}{}", out.stdout),
                &out.stderr,
                &format!("Unable to create pool {pool}"),
            );
        }
    }
    stdout.push_str(&format!("mkfs_cmd = zfs create -o canmount=off  {dataset}\n"));
    let Some(guid) = ctx.state.imported_pool(&ctx.host, pool).map(|p| p.guid) else {
        return failed(
            stdout,
            &format!("cannot create '{dataset}': no such pool '{pool}'\n"),
            &format!("Unable to create filesystem {dataset}"),
        );
    };
    let Some(p) = ctx.state.zpools.iter_mut().find(|p| p.guid == guid) else {
        return failed(stdout, "", &format!("Unable to create filesystem {dataset}"));
    };
    if !p.datasets.insert(dataset.to_string()) {
        return failed(
            stdout,
            &format!("cannot create '{dataset}': dataset already exists\n"),
            &format!("Unable to create filesystem {dataset}"),
        );
    }
    p.multihost = true;
    let Some(first) = p.vdevs.first().cloned() else {
        return failed(stdout, "", &format!("Unable to create filesystem {dataset}"));
    };
    stdout.push_str("  xattr=sa\n  dnodesize=auto\n");
    if target.ost {
        stdout.push_str("  recordsize=1M\n");
    }
    stdout.push_str(&format!("Writing {dataset} properties\n"));
    for param in &target.params {
        stdout.push_str(&format!("  lustre:{param}\n"));
    }
    stdout.push_str(&format!(
        "  lustre:version=1\n  lustre:flags={}\n  lustre:index={}\n  lustre:fsname={}\n  lustre:svname={}\n",
        target.flags(),
        target.index.map_or_else(|| "65535".to_string(), |i| i.to_string()),
        target.fsname,
        target.label()
    ));
    let Some(dev) = ctx.state.devices.get_mut(&first) else {
        return failed(stdout, "", &format!("Unable to create filesystem {dataset}"));
    };
    dev.format_count += 1;
    target.uuid = fs_uuid(&first, dev.format_count);
    dev.target = Some(target);
    let host = ctx.host.clone();
    console::formatted(ctx.state, &host, dataset, now_micros());
    Output::ok(stdout)
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    const OST: &str = "mkfs.lustre --ost --backfstype=zfs --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp \
                       --servicenode=10.0.0.2@tcp --servicenode=10.0.0.3@tcp";

    #[test]
    fn creates_the_pool_and_dataset_and_mounts_where_imported() {
        let mut state = cluster();
        let out = run(&mut state, "oss1", &format!("{OST} ost0pool/ost0 /dev/sdb"));
        assert_eq!(out.code, 0, "{out:?}");
        assert!(out
            .stdout
            .contains("mkfs_cmd = zpool create -f -O canmount=off ost0pool /dev/sdb\n"));
        assert!(out
            .stdout
            .contains("mkfs_cmd = zfs create -o canmount=off  ost0pool/ost0\n"));
        let blkid = run(&mut state, "oss2", "blkid -p -o export /dev/sdb");
        assert!(blkid.stdout.contains("LABEL=ost0pool\n"), "{blkid:?}");
        assert!(blkid.stdout.contains("TYPE=zfs_member\n"));
        let svname = run(&mut state, "oss1", "zfs get -H -o value lustre:svname ost0pool/ost0");
        assert_eq!(svname.stdout, "fs1:OST0000\n");
        // Not imported on oss2: nothing to mount there.
        let there = run(&mut state, "oss2", "mount -t lustre ost0pool/ost0 /mnt/ost0");
        assert_ne!(there.code, 0);
        // Again without --reformat: refused; a pool that is not here and no vdevs: no pool.
        let again = run(&mut state, "oss1", &format!("{OST} ost0pool/ost0"));
        assert!(
            again.stderr.contains("was previously formatted for lustre"),
            "{again:?}"
        );
        let nopool = run(&mut state, "oss2", &format!("{OST} other/ost0"));
        assert!(
            nopool
                .stderr
                .contains("cannot create 'other/ost0': no such pool 'other'"),
            "{nopool:?}"
        );
    }
}
