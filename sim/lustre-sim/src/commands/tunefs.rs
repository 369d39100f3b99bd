//! `tunefs.lustre`: prints (`--dryrun`) or changes a target's permanent
//! disk data: `--param`, `--erase-params`, `--mgsnode`, `--servicenode`,
//! `--failnode`, `--writeconf`, `--nolocallogs`. A mounted target is
//! refused.

use super::{ldd, split_long, Context, Output};
use crate::state::Target;

/// Options that change the disk data.
#[derive(Debug, Default)]
struct Changes {
    dryrun: bool,
    erase: bool,
    writeconf: bool,
    no_local_logs: bool,
    params: Vec<String>,
    mgsnodes: Vec<String>,
    servicenodes: Vec<String>,
    failnodes: Vec<String>,
    device: Option<String>,
}

fn parse(args: &[String]) -> Result<Changes, Output> {
    let mut c = Changes::default();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let (key, inline) = split_long(arg);
        let mut value = || {
            inline
                .map(str::to_string)
                .or_else(|| iter.next().cloned())
                .unwrap_or_default()
        };
        match key {
            "--dryrun" | "-n" => c.dryrun = true,
            "--erase-params" | "-e" => c.erase = true,
            "--writeconf" | "-w" => c.writeconf = true,
            "--nolocallogs" | "-l" => c.no_local_logs = true,
            "--param" | "-p" => c.params.push(value()),
            "--mgsnode" | "-m" => c.mgsnodes.push(value()),
            "--servicenode" | "-s" => c.servicenodes.push(value()),
            "--failnode" | "-f" => c.failnodes.push(value()),
            "--quiet" | "-q" | "--verbose" | "-v" => {}
            other if other.starts_with('-') => {
                return Err(Output::fail(
                    format!("tunefs.lustre: unrecognized option '{other}'\n"),
                    22,
                ));
            }
            device => c.device = Some(device.to_string()),
        }
    }
    Ok(c)
}

fn apply(target: &Target, c: &Changes) -> Target {
    let mut t = target.clone();
    if c.erase {
        t.params.clear();
    }
    let mut add = |key: &str, values: &[String]| {
        if !values.is_empty() {
            t.params.retain(|p| !p.starts_with(&format!("{key}=")));
            t.params.push(format!("{key}={}", values.join(":")));
        }
    };
    add("mgsnode", &c.mgsnodes);
    add(
        "failover.node",
        if c.servicenodes.is_empty() {
            &c.failnodes
        } else {
            &c.servicenodes
        },
    );
    if !c.servicenodes.is_empty() {
        t.no_primnode = true;
    }
    for p in &c.params {
        let key = p.split('=').next().unwrap_or(p);
        t.params.retain(|old| old.split('=').next() != Some(key));
        t.params.push(p.clone());
    }
    t.writeconf |= c.writeconf;
    t.no_local_logs |= c.no_local_logs;
    t
}

/// Runs `tunefs.lustre [OPTIONS] DEVICE`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let changes = match parse(args) {
        Ok(c) => c,
        Err(out) => return out,
    };
    let Some(device) = changes.device.clone() else {
        return Output::fail("tunefs.lustre: Not enough arguments - device name not specified.\n", 22);
    };
    let Some(serial) = ctx.state.resolve_device(&ctx.host, &device) else {
        return Output {
            stdout: "tunefs.lustre: exiting with 2 (No such file or directory)\n".to_string(),
            stderr: format!("tunefs.lustre: Unable to open {device}: No such file or directory\n"),
            code: 2,
        };
    };
    if let Some(m) = ctx.state.mount_of(&serial).filter(|_| !changes.dryrun) {
        return Output::fail(
            format!(
                "tunefs.lustre: according to /proc/mounts {device} is already mounted on {}\n",
                m.mountpoint
            ),
            17,
        );
    }
    let Some(target) = ctx.state.devices.get(&serial).and_then(|d| d.target.clone()) else {
        return Output {
            stdout: "checking for existing Lustre data: not found\ntunefs.lustre: exiting with 19 (No such device)\n"
                .to_string(),
            stderr: format!("\ntunefs.lustre FATAL: Device {device} has not been formatted with mkfs.lustre\n"),
            code: 19,
        };
    };
    let updated = apply(&target, &changes);
    let mut out = String::from("checking for existing Lustre data: found\nReading CONFIGS/mountdata\n");
    out.push_str(&ldd::print("Read previous values", &target));
    out.push_str(&ldd::print("Permanent disk data", &updated));
    if changes.dryrun {
        out.push_str("exiting before disk write.\n");
    } else {
        out.push_str("Writing CONFIGS/mountdata\n");
        if let Some(dev) = ctx.state.devices.get_mut(&serial) {
            dev.target = Some(updated);
        }
    }
    Output::ok(out)
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn dryrun_prints_the_disk_data() {
        let mut state = cluster();
        let out = run(&mut state, "oss1", "tunefs.lustre --dryrun /dev/sdc");
        assert_eq!(out.code, 19);
        assert!(out.stderr.contains("has not been formatted with mkfs.lustre"));
        let mkfs = "mkfs.lustre --ost --fsname=fs1 --index=1 --mgsnode=10.0.0.1@tcp /dev/sdc";
        assert_eq!(run(&mut state, "oss1", mkfs).code, 0);
        let out = run(&mut state, "oss2", "tunefs.lustre --dryrun /dev/sdc");
        assert_eq!(out.code, 0);
        assert!(out
            .stdout
            .contains("   Read previous values:\nTarget:     fs1:OST0001\nIndex:      1\n"));
        assert!(out.stdout.contains("Parameters: mgsnode=10.0.0.1@tcp\n"));
        assert!(out.stdout.ends_with("exiting before disk write.\n"));
    }

    #[test]
    fn writeconf_and_params_change_the_disk_data() {
        let mut state = cluster();
        for line in [
            "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb",
            "mount -t lustre /dev/sdb /mnt/mdt0",
            "lctl conf_param fs1.sys.timeout=40",
        ] {
            assert_eq!(run(&mut state, "mds1", line).code, 0, "{line}");
        }
        let busy = run(&mut state, "mds1", "tunefs.lustre --writeconf /dev/sdb");
        assert_eq!(busy.code, 17);
        assert_eq!(run(&mut state, "mds1", "umount /mnt/mdt0").code, 0);
        let out = run(
            &mut state,
            "mds1",
            "tunefs.lustre --writeconf --param sys.timeout=80 /dev/sdb",
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stdout
                .contains("Flags:      0x105\n              (MDT MGS writeconf )\n"),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains("Parameters: sys.timeout=80\n"));
        let label = |state: &mut crate::state::ClusterState| {
            let serial = state.resolve_device("mds1", "/dev/sdb").unwrap();
            state.devices[&serial].target.as_ref().unwrap().label()
        };
        assert_eq!(label(&mut state), "fs1=MDT0000", "server_make_name's writeconf label");
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mdt0").code, 0);
        assert_eq!(label(&mut state), "fs1-MDT0000", "mount.lustre relabels");
        assert_eq!(run(&mut state, "mds1", "umount /mnt/mdt0").code, 0);
        let local = run(&mut state, "mds1", "tunefs.lustre --nolocallogs /dev/sdb");
        assert!(local.stdout.contains("(MDT MGS nolocallogs )"), "{}", local.stdout);
        assert_eq!(label(&mut state), "fs1+MDT0000");
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mdt0").code, 0);
        let log = run(&mut state, "mds1", "lctl llog_print fs1-client").stdout;
        assert!(!log.contains("conf_param"), "{log}");
        let dry = run(&mut state, "mds1", "tunefs.lustre --dryrun /dev/sdb").stdout;
        assert!(dry.contains("Flags:      0x5\n"), "{dry}");
    }
}
