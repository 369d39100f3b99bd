//! `mount -t lustre DEVICE DIR`: starts a target. The device must be
//! formatted, not mounted anywhere (shared devices are exclusive, like
//! ldiskfs with MMP), and an MDT or OST needs its MGS running. A source
//! with `:/` (`NID:/fs`) is a client mount ([`mount_client`]). Plain
//! `mount` lists the Lustre mounts of the host, targets then clients.

use std::collections::HashMap;

use super::{config_log, console, mount_client, Context, Output};
use crate::state::{now_micros, Llogs, Mount, Target};

/// Runs `mount [-t lustre] [-o OPTS] DEVICE DIR` or `mount` alone.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let mut fstype = None;
    let mut positional = Vec::new();
    let mut opts = String::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "-t" => fstype = iter.next().cloned(),
            "-o" => {
                if let Some(o) = iter.next() {
                    opts = if opts.is_empty() {
                        o.clone()
                    } else {
                        format!("{opts},{o}")
                    };
                }
            }
            "-v" | "-n" => {}
            other if other.starts_with("-t") => fstype = Some(other[2..].to_string()),
            other if other.starts_with('-') => {}
            other => positional.push(other.to_string()),
        }
    }
    match positional.as_slice() {
        [] => list(ctx),
        [device, dir] => match fstype.as_deref() {
            Some("lustre") | None if mount_client::is_client_source(device) => {
                mount_client::mount(device, dir, &opts, ctx)
            }
            Some("lustre" | "lustre_tgt") | None => mount_device(device, dir, ctx),
            Some(other) => Output::fail(format!("mount: {dir}: unknown filesystem type '{other}'.\n"), 32),
        },
        _ => Output::fail("mount: bad usage\nTry 'mount --help' for more information.\n", 1),
    }
}

fn list(ctx: &Context<'_>) -> Output {
    let mut out = String::new();
    for (source, dir, opts) in target_mounts(ctx) {
        out.push_str(&format!("{source} on {dir} type lustre ({opts})\n"));
    }
    for m in ctx.state.clients.mounts.iter().filter(|m| m.host == ctx.host) {
        out.push_str(&format!(
            "{} on {} type lustre ({})\n",
            m.source, m.mountpoint, m.options
        ));
    }
    Output::ok(out)
}

/// The targets mounted on `ctx.host`: `(source, mount point, options)`.
pub(crate) fn target_mounts(ctx: &Context<'_>) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for m in ctx.state.mounts.iter().filter(|m| m.host == ctx.host) {
        let dev = &ctx.state.devices[&m.serial];
        let Some(target) = dev.target.as_ref() else {
            continue;
        };
        let path = match &target.zfs_dataset {
            Some(dataset) => dataset.clone(),
            None => dev.paths.get(&ctx.host).cloned().unwrap_or_default(),
        };
        out.push((path, m.mountpoint.clone(), options(target)));
    }
    out
}

/// The options a server mount shows: `ro`, `svname=`, `nosvc` for an MGS
/// alone, `mgs` when it runs one, its `mgsnode=`, then the OSD.
fn options(target: &Target) -> String {
    let mut opts = format!("ro,svname={}", target.svname());
    if target.mgs && !(target.mdt || target.ost) {
        opts.push_str(",nosvc");
    }
    if target.mgs {
        opts.push_str(",mgs");
    }
    if let Some(nodes) = target.params.iter().find_map(|p| p.strip_prefix("mgsnode=")) {
        opts.push_str(&format!(",mgsnode={nodes}"));
    }
    opts.push_str(if target.zfs_dataset.is_some() {
        ",osd=osd-zfs"
    } else {
        ",osd=osd-ldiskfs"
    });
    opts
}

fn failed(device: &str, dir: &str, code: u32, reason: &str, extra: &str) -> Output {
    Output::fail(
        format!("mount.lustre: mount {device} at {dir} failed: {reason}\n{extra}"),
        code,
    )
}

/// `mount -t lustre DEVICE DIR` on `ctx.host` (also how Pacemaker starts
/// an `ocf:lustre:Lustre` resource).
pub(crate) fn mount_device(device: &str, dir: &str, ctx: &mut Context<'_>) -> Output {
    if let Some(refused) = super::held::refuse_mount(ctx, device, dir) {
        return refused;
    }
    let Some(serial) = ctx.state.resolve_device(&ctx.host, device) else {
        // A `pool/dataset` is known only by opening it, which fails alike
        // when the pool is not imported here or the dataset is missing.
        if crate::zfs::is_dataset(device) {
            return Output::fail(
                format!(
                    "mount.lustre: {device} has not been formatted with mkfs.lustre or the backend filesystem \
                     type is not supported by this tool\n"
                ),
                19,
            );
        }
        return Output::fail(format!("mount.lustre: {device} does not exist\n"), 2);
    };
    let Some(target) = ctx.state.devices[&serial].target.clone() else {
        return Output::fail(
            format!(
                "mount.lustre: {device} has not been formatted with mkfs.lustre or the backend filesystem type \
                 is not supported by this tool\n"
            ),
            19,
        );
    };
    if let Some(m) = ctx.state.mount_of(&serial) {
        return if m.host == ctx.host {
            failed(
                device,
                dir,
                114,
                "Operation already in progress",
                &format!("The target service is already running. ({device})\n"),
            )
        } else {
            failed(device, dir, 16, "Device or resource busy", "")
        };
    }
    if ctx
        .state
        .mounts
        .iter()
        .any(|m| m.host == ctx.host && m.mountpoint == dir)
    {
        return failed(device, dir, 16, "Device or resource busy", "");
    }
    if target.mgs && ctx.state.mgs_on(&ctx.host).is_some() {
        // `server_start_mgs`: "The MGS service was already started from
        // server", EALREADY, which mount.lustre words as for a target.
        return failed(
            device,
            dir,
            114,
            "Operation already in progress",
            &format!("The target service is already running. ({device})\n"),
        );
    }
    let mgs = if target.mgs {
        Some(serial.clone())
    } else {
        ctx.state.mgs_reached(&target.param_nids("mgsnode"))
    };
    let Some(mgs) = mgs else {
        return failed(device, dir, 5, "Input/output error", "Is the MGS running?\n");
    };
    if index_taken(&target, ctx.state.llogs(&mgs)) {
        return failed(
            device,
            dir,
            98,
            "Address already in use",
            &format!("The target service's index is already in use. ({device})\n"),
        );
    }
    let now_us = now_micros();
    let host = ctx.host.clone();
    // mount.lustre loads the Lustre modules; ptlrpc starts LNet.
    ctx.state.load_for_mount(&host, &target, now_us);
    ctx.state.mounts.push(Mount {
        host: host.clone(),
        serial: serial.clone(),
        mountpoint: dir.to_string(),
        since: now_us / 1_000_000,
        tunables: Default::default(),
    });
    ctx.state.counters.mounted(&serial, &host);
    console::mounted(ctx.state, &host, &serial, target.first_time, now_us);
    if target.first_time || target.writeconf {
        register(&target, &mgs, ctx);
    }
    // mount.lustre turns `:`, `=` and `+` labels into the flags they stand
    // for and relabels the device `fs-OST0000` once mounted.
    if let Some(t) = ctx.state.devices.get_mut(&serial).and_then(|d| d.target.as_mut()) {
        t.first_time = false;
        t.writeconf = false;
        t.no_local_logs = false;
    }
    Output::ok("")
}

/// The MGS refuses a new (`first_time`, not `writeconf`) target whose
/// index its configuration logs already hold (`mgs_set_index` in 2.15's
/// `mgs_llog.c`: EADDRINUSE, "Use --writeconf to force"); `lctl
/// erase_lcfg` frees it.
fn index_taken(target: &Target, logs: &Llogs) -> bool {
    target.first_time && !target.writeconf && (target.mdt || target.ost) && logs.contains_key(&target.svname())
}

/// First mount (or first after `--writeconf`): the target registers with
/// its MGS (device `mgs`), which writes its configuration llogs
/// ([`config_log`]). The targets already registered are those of the same
/// file system on the same MGS: another MGS may hold a file system of
/// that name too.
fn register(target: &Target, mgs: &str, ctx: &mut Context<'_>) {
    if !(target.mdt || target.ost) {
        return;
    }
    let nid = ctx.state.host(&ctx.host).map(|h| h.nid.clone()).unwrap_or_default();
    if target.writeconf {
        config_log::erase_for_writeconf(ctx.state.llogs_mut(mgs), target);
    }
    let state = &*ctx.state;
    // Looked up once for the whole walk: per device, they made each mount
    // at a 2,000-OST site scan every mount and host again.
    let mounted_on: HashMap<&str, &str> = state
        .mounts
        .iter()
        .map(|m| (m.serial.as_str(), m.host.as_str()))
        .collect();
    let nid_of: HashMap<&str, &str> = state.hosts.iter().map(|h| (h.name.as_str(), h.nid.as_str())).collect();
    let registered: Vec<(Target, String)> = state
        .devices
        .values()
        .filter_map(|d| {
            let t = d.target.as_ref()?;
            if t.first_time || t.fsname != target.fsname || t.svname() == target.svname() {
                return None;
            }
            if state.mgs_of(&d.serial).as_deref() != Some(mgs) {
                return None;
            }
            let host = mounted_on
                .get(d.serial.as_str())
                .copied()
                .or_else(|| d.paths.keys().next().map(String::as_str))?;
            Some((t.clone(), nid_of.get(host)?.to_string()))
        })
        .collect();
    let logs = ctx.state.llogs_mut(mgs);
    if target.mdt {
        let mut osts: Vec<&(Target, String)> = registered.iter().filter(|(t, _)| t.ost).collect();
        osts.sort_by_key(|(t, _)| t.index);
        let osts: Vec<config_log::Registered<'_>> = osts
            .into_iter()
            // An OST's client-log section names it as registered.
            .filter(|(t, _)| logs.get(&t.svname()).is_some_and(|l| !l.is_empty()))
            .map(|(t, nid)| config_log::Registered {
                target: t,
                nid: nid.clone(),
            })
            .collect();
        config_log::register_mdt(logs, target, &nid, &osts);
    } else {
        let mut mdts: Vec<u32> = registered
            .iter()
            .filter(|(t, _)| t.mdt)
            .filter_map(|(t, _)| t.index)
            .collect();
        mdts.sort_unstable();
        config_log::register_ost(logs, target, &nid, &mdts);
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use crate::commands::test_support::{cluster, run};

    fn format_fs(state: &mut crate::state::ClusterState) {
        assert_eq!(run(state, "mds1", "mkfs.lustre --mgs /dev/sdb").code, 0);
        let mdt = "mkfs.lustre --mdt --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdc";
        assert_eq!(run(state, "mds1", mdt).code, 0);
        let ost = "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdb";
        assert_eq!(run(state, "oss1", ost).code, 0);
    }

    #[test]
    fn an_ost_needs_its_mgs() {
        let mut state = cluster();
        format_fs(&mut state);
        let out = run(&mut state, "oss1", "mount -t lustre /dev/sdb /mnt/ost0");
        assert_eq!(out.code, 5);
        assert_eq!(
            out.stderr,
            "mount.lustre: mount /dev/sdb at /mnt/ost0 failed: Input/output error\nIs the MGS running?\n"
        );
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mgs").code, 0);
        assert_eq!(run(&mut state, "oss1", "mount -t lustre /dev/sdb /mnt/ost0").code, 0);
        let serial = state.resolve_device("oss1", "/dev/sdb").unwrap();
        let target = state.devices[&serial].target.clone().unwrap();
        assert!(!target.first_time);
        assert_eq!(target.label(), "fs1-OST0000");
        let mgs = state.resolve_device("mds1", "/dev/sdb").unwrap();
        let client = state.llogs(&mgs)["fs1-client"].join("\n");
        assert!(
            client.contains("event: attach, device: fs1-OST0000-osc, type: osc"),
            "{client}"
        );
    }

    #[test]
    fn mounts_and_moves_are_counted_and_refused_mounts_are_not() {
        let mut state = cluster();
        format_fs(&mut state);
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mgs").code, 0);
        assert_eq!(run(&mut state, "oss1", "mount -t lustre /dev/sdb /mnt/ost0").code, 0);
        assert_eq!(run(&mut state, "oss1", "mount -t lustre /dev/sdb /mnt/ost0").code, 114);
        assert_eq!(run(&mut state, "oss1", "umount /mnt/ost0").code, 0);
        assert_eq!(run(&mut state, "oss2", "mount -t lustre /dev/sdb /mnt/ost0").code, 0);
        let serial = state.resolve_device("oss1", "/dev/sdb").unwrap();
        let counted = &state.counters.devices[&serial];
        assert_eq!((counted.mounts, counted.moves), (2, 1));
        assert_eq!(run(&mut state, "mds1", "lctl conf_param fs1.sys.timeout=40").code, 0);
        assert_eq!(state.counters.conf_params["fs1.sys.timeout=40"], 1);
    }

    #[test]
    fn a_shared_device_mounts_on_one_host_at_a_time() {
        let mut state = cluster();
        format_fs(&mut state);
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mgs").code, 0);
        assert_eq!(run(&mut state, "oss1", "mount -t lustre /dev/sdb /mnt/ost0").code, 0);
        let again = run(&mut state, "oss1", "mount -t lustre /dev/sdb /mnt/ost0");
        assert_eq!(again.code, 114);
        let partner = run(&mut state, "oss2", "mount -t lustre /dev/sdb /mnt/ost0");
        assert_eq!(partner.code, 16);
        assert!(partner.stderr.contains("Device or resource busy"));
        assert_eq!(
            run(&mut state, "oss1", "mount").stdout,
            "/dev/sdb on /mnt/ost0 type lustre (ro,svname=fs1-OST0000,mgsnode=10.0.0.1@tcp,osd=osd-ldiskfs)\n"
        );
    }

    #[test]
    fn two_mgss_each_keep_their_own_file_system_of_the_same_name() {
        let mut state = crate::commands::config_log::two_mgs_site();
        for (mgs_host, mdt_nid, ost_nid) in [
            ("mds1", "10.0.0.1@tcp", "10.0.0.2@tcp"),
            ("mds2", "10.0.0.4@tcp", "10.0.0.3@tcp"),
        ] {
            let cat = run(&mut state, mgs_host, "lctl llog_catlist").stdout;
            assert_eq!(
                cat,
                "config_log: fs1-MDT0000\nconfig_log: fs1-OST0000\nconfig_log: fs1-client\n"
            );
            let client = run(&mut state, mgs_host, "lctl llog_print fs1-client").stdout;
            for setup in [
                format!("event: setup, device: fs1-MDT0000-mdc, UUID: fs1-MDT0000_UUID, node: {mdt_nid} }}"),
                format!("event: setup, device: fs1-OST0000-osc, UUID: fs1-OST0000_UUID, node: {ost_nid} }}"),
            ] {
                assert!(client.contains(&setup), "{mgs_host}: {client}");
            }
            assert_eq!(client.matches("event: add_osc").count(), 1, "{mgs_host}: {client}");
        }
        let mgts: Vec<String> = ["mds1", "mds2"]
            .iter()
            .map(|h| state.resolve_device(h, "/dev/sdb").unwrap())
            .collect();
        assert_eq!(state.mgs_llogs.keys().cloned().collect::<Vec<_>>(), mgts);
    }

    #[test]
    fn a_host_runs_one_mgs() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "mds1", "mkfs.lustre --mgs /dev/sdb").code, 0);
        let combined = "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdc";
        assert_eq!(run(&mut state, "mds1", combined).code, 0);
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mgs").code, 0);
        let second = run(&mut state, "mds1", "mount -t lustre /dev/sdc /mnt/mdt0");
        assert_eq!(
            (second.code, second.stderr.as_str()),
            (
                114,
                "mount.lustre: mount /dev/sdc at /mnt/mdt0 failed: Operation already in progress\n\
                 The target service is already running. (/dev/sdc)\n"
            )
        );
    }

    #[test]
    fn an_unformatted_device_does_not_mount() {
        let mut state = cluster();
        let out = run(&mut state, "oss1", "mount -t lustre /dev/sde /mnt/x");
        assert_eq!(out.code, 19);
        assert!(out.stderr.contains("has not been formatted with mkfs.lustre"));
    }

    #[test]
    fn the_mount_list_shows_the_server_options() {
        let mut state = cluster();
        format_fs(&mut state);
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mgs").code, 0);
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdc /mnt/mdt0").code, 0);
        assert_eq!(
            run(&mut state, "mds1", "mount").stdout,
            "/dev/sdb on /mnt/mgs type lustre (ro,svname=MGS,nosvc,mgs,osd=osd-ldiskfs)\n\
             /dev/sdc on /mnt/mdt0 type lustre (ro,svname=fs1-MDT0000,mgsnode=10.0.0.1@tcp,osd=osd-ldiskfs)\n"
        );
    }
}
