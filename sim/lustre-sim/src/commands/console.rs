//! What the kernel and Pacemaker log on a host when things happen there:
//! the Lustre and LNet console lines real servers print (after
//! `LCONSOLE_*` calls in Lustre 2.15: `tgt_lastrcvd.c`, `ldlm_lib.c`,
//! `obd_config.c`, `obd_mount_server.c`, `lnet/api-ni.c`, `acceptor.c`)
//! and `pacemaker-controld`'s operation results, written to the host's
//! journal ([`crate::journal`]).

use super::{conf_values, KERNEL_RELEASE, LUSTRE_VERSION};
use crate::journal::Line;
use crate::state::{ClusterState, Target};

/// Kernel priorities: `KERN_NOTICE`, `KERN_WARNING` (`LCONSOLE_WARN`),
/// `KERN_INFO` (`LCONSOLE_INFO`).
const NOTICE: u8 = 5;
const WARNING: u8 = 4;
const INFO: u8 = 6;

/// Clients a simulated target expects back after a restart.
const CLIENTS: u32 = 2;

fn kernel(state: &mut ClusterState, host: &str, now_us: u64, priority: u8, message: String) {
    state.log(host, now_us, Line::kernel(priority, message));
}

/// A host booted: the kernel's banner.
pub fn booted(state: &mut ClusterState, host: &str, now_us: u64) {
    let banner = format!(
        "Linux version {KERNEL_RELEASE} (mockbuild@lustre-sim) (gcc version 8.5.0 20210514 (Red Hat 8.5.0-18) (GCC)) \
         #1 SMP"
    );
    kernel(state, host, now_us, NOTICE, banner);
}

/// A host came back after being down: it booted, and its HA stack started
/// LNet and the targets it held again.
pub fn restarted(state: &mut ClusterState, host: &str, now_us: u64) {
    let lnet = state.host(host).is_some_and(|h| h.lnet_up);
    if lnet {
        lnet_started(state, host, now_us);
    }
    let serials: Vec<String> = state
        .mounts
        .iter()
        .filter(|m| m.host == host)
        .map(|m| m.serial.clone())
        .collect();
    for serial in serials {
        mounted(state, host, &serial, false, now_us);
        if let Some(id) = svname(state, &serial) {
            operation_result(state, host, "start", &id, now_us);
        }
    }
}

/// `lnetctl lnet configure`, or LNet started by a mount.
pub fn lnet_started(state: &mut ClusterState, host: &str, now_us: u64) {
    let Some(nid) = state.host(host).map(|h| h.nid.clone()) else {
        return;
    };
    let credits = if nid.contains("@o2ib") {
        "32/256/0/180"
    } else {
        "8/256/0/180"
    };
    let cpus = super::proc_stat::CPUS;
    for message in [
        format!("LNet: HW NUMA nodes: 1, HW CPU cores: {cpus}, npartitions: 2"),
        format!("LNet: Added LNI {nid} [{credits}]"),
        "LNet: Accept secure, port 988".to_string(),
    ] {
        kernel(state, host, now_us, INFO, message);
    }
}

/// `lnetctl lnet unconfigure`.
pub fn lnet_stopped(state: &mut ClusterState, host: &str, now_us: u64) {
    if let Some(nid) = state.host(host).map(|h| h.nid.clone()) {
        kernel(state, host, now_us, INFO, format!("LNet: Removed LNI {nid}"));
    }
}

/// The Lustre modules loaded (a mount that had to start LNet).
pub fn lustre_loaded(state: &mut ClusterState, host: &str, now_us: u64) {
    kernel(
        state,
        host,
        now_us,
        INFO,
        format!("Lustre: Lustre: Build Version: {LUSTRE_VERSION}"),
    );
}

/// The kernel's name of a device path (`/dev/sdb` is `sdb`).
fn kernel_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `mkfs.lustre` mounts the new ldiskfs, without options, to write its
/// mount data.
pub fn formatted(state: &mut ClusterState, host: &str, device: &str, now_us: u64) {
    let message = format!(
        "LDISKFS-fs ({}): mounted filesystem with ordered data mode. Opts: (null)",
        kernel_name(device)
    );
    kernel(state, host, now_us, INFO, message);
}

fn svname(state: &ClusterState, serial: &str) -> Option<String> {
    state.devices.get(serial)?.target.as_ref().map(Target::svname)
}

/// A target started on `host`: its backing ldiskfs, then a new disk's
/// initialisation or a restarted target's recovery.
pub fn mounted(state: &mut ClusterState, host: &str, serial: &str, first_time: bool, now_us: u64) {
    let Some(dev) = state.devices.get(serial) else {
        return;
    };
    let Some(target) = dev.target.clone() else {
        return;
    };
    let path = dev.paths.get(host).cloned().unwrap_or_default();
    let opts = format!("{},no_mbcache,nodelalloc", target.mount_opts.trim_start_matches(','));
    let mut lines = vec![(
        INFO,
        format!(
            "LDISKFS-fs ({}): mounted filesystem with ordered data mode. Opts: {opts}",
            kernel_name(&path)
        ),
    )];
    let name = target.svname();
    if target.mdt || target.ost {
        if first_time {
            lines.push((WARNING, format!("Lustre: {name}: new disk, initializing")));
        } else {
            // `target_recovery_init`: obd_timeout * 3 to * 9, halved by
            // Imperative Recovery.
            // The timeout its own MGS holds (none found: no logs, default).
            let mgs = state.mgs_of(serial).unwrap_or_default();
            let soft = conf_values::timeout(state.llogs(&mgs), &target) * 3;
            let (hard, shrunk) = (soft * 3, soft / 2);
            lines.push((
                INFO,
                format!(
                    "Lustre: {name}: Imperative Recovery enabled, recovery window shrunk from {soft}-{hard} down to \
                     {shrunk}-{hard}"
                ),
            ));
            lines.push((
                WARNING,
                format!(
                    "Lustre: {name}: Will be in recovery for at least {}:{:02}, or until {CLIENTS} clients reconnect",
                    shrunk / 60,
                    shrunk % 60
                ),
            ));
            lines.push((
                INFO,
                format!(
                    "Lustre: {name}: Recovery over after 0:01, of {CLIENTS} clients {CLIENTS} recovered and 0 were \
                     evicted."
                ),
            ));
        }
    }
    for (priority, message) in lines {
        kernel(state, host, now_us, priority, message);
    }
}

/// A target stopped on `host` (`umount`; `-f` skips the failover notice).
pub fn unmounted(state: &mut ClusterState, host: &str, target: &Target, force: bool, now_us: u64) {
    let name = target.svname();
    if !force {
        kernel(state, host, now_us, WARNING, format!("Lustre: Failing over {name}"));
    }
    kernel(
        state,
        host,
        now_us,
        WARNING,
        format!("Lustre: server umount {name} complete"),
    );
}

/// `pacemaker-controld`'s pid on a host (stable, like a daemon that has
/// run since boot).
fn controld_pid(host: &str) -> u32 {
    2000 + host.bytes().map(u32::from).sum::<u32>() % 1000
}

fn controld(state: &mut ClusterState, host: &str, now_us: u64, message: String) {
    // The syslog format Pacemaker sets is "%g %p: %b": an empty tag, then
    // the priority name.
    let line = Line::daemon(
        "pacemaker-controld",
        controld_pid(host),
        NOTICE,
        format!(" notice: {message}"),
    );
    state.log(host, now_us, line);
}

/// The controller on `host` reports an operation it ran.
fn operation_result(state: &mut ClusterState, host: &str, op: &str, id: &str, now_us: u64) {
    controld(
        state,
        host,
        now_us,
        format!("Result of {op} operation for {id} on {host}: ok"),
    );
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use crate::commands::test_support::{cluster, run};

    fn messages(state: &crate::state::ClusterState, host: &str) -> Vec<String> {
        state.journals[host].entries.iter().map(|e| e.message.clone()).collect()
    }

    #[test]
    fn mounting_and_unmounting_log_lustre_console_lines() {
        let mut state = cluster();
        assert_eq!(
            run(
                &mut state,
                "mds1",
                "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb"
            )
            .code,
            0
        );
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mdt0").code, 0);
        let ost = "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdb";
        assert_eq!(run(&mut state, "oss1", ost).code, 0);
        assert_eq!(run(&mut state, "oss1", "modprobe lnet").code, 0);
        assert_eq!(run(&mut state, "oss1", "lnetctl lnet configure --all").code, 0);
        assert_eq!(run(&mut state, "oss1", "mount -t lustre /dev/sdb /mnt/ost0").code, 0);
        assert_eq!(run(&mut state, "oss1", "umount /mnt/ost0").code, 0);
        assert_eq!(run(&mut state, "oss1", "mount -t lustre /dev/sdb /mnt/ost0").code, 0);
        let got = messages(&state, "oss1");
        let expected = [
            "LDISKFS-fs (sdb): mounted filesystem with ordered data mode. Opts: (null)",
            "LNet: HW NUMA nodes: 1, HW CPU cores: 8, npartitions: 2",
            "LNet: Added LNI 10.0.0.2@tcp [8/256/0/180]",
            "LNet: Accept secure, port 988",
            "Lustre: Lustre: Build Version: 2.15.4",
            "LDISKFS-fs (sdb): mounted filesystem with ordered data mode. Opts: errors=remount-ro,no_mbcache,nodelalloc",
            "Lustre: fs1-OST0000: new disk, initializing",
            "Lustre: Failing over fs1-OST0000",
            "Lustre: server umount fs1-OST0000 complete",
            "LDISKFS-fs (sdb): mounted filesystem with ordered data mode. Opts: errors=remount-ro,no_mbcache,nodelalloc",
            "Lustre: fs1-OST0000: Imperative Recovery enabled, recovery window shrunk from 300-900 down to 150-900",
            "Lustre: fs1-OST0000: Will be in recovery for at least 2:30, or until 2 clients reconnect",
            "Lustre: fs1-OST0000: Recovery over after 0:01, of 2 clients 2 recovered and 0 were evicted.",
        ];
        assert_eq!(got[got.len() - expected.len()..], expected, "{got:#?}");
        let mds = messages(&state, "mds1");
        assert!(
            mds.contains(&"Lustre: Lustre: Build Version: 2.15.4".to_string()),
            "{mds:#?}"
        );
        let entry = state.journals["oss1"].entries.back().cloned().unwrap();
        assert_eq!((entry.identifier.as_str(), entry.priority), ("kernel", 6));
    }
}
