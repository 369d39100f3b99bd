//! `lctl get_param`, `set_param` and `list_param` over the parameter tree
//! of [`super::params`].

use super::params::{matches, table};
use super::{Context, Output};
use crate::state::now_secs;

/// A value printed on the lines after `name=` rather than after the `=`.
fn multi_line(name: &str, value: &str) -> bool {
    value.contains('\n') || name.ends_with("stats")
}

fn no_such(verb: &str, pattern: &str) -> Output {
    Output::fail(
        format!("error: {verb}: param_path '{pattern}': No such file or directory\n"),
        2,
    )
}

/// `lctl get_param [-n] [-N] PATTERN…`.
pub fn get_param(args: &[String], ctx: &mut Context<'_>) -> Output {
    let values_only = args.iter().any(|a| a == "-n");
    let names_only = args.iter().any(|a| a == "-N");
    let params = table(ctx, now_secs());
    let mut out = Output::ok("");
    for pattern in args.iter().filter(|a| !a.starts_with('-')) {
        let found: Vec<&(String, String)> = params.iter().filter(|(name, _)| matches(pattern, name)).collect();
        if found.is_empty() {
            let err = no_such("get_param", pattern);
            out.stderr.push_str(&err.stderr);
            out.code = err.code;
        }
        for (name, value) in found {
            let value = value.trim_end_matches('\n');
            let text = if names_only {
                format!("{name}\n")
            } else if values_only {
                format!("{value}\n")
            } else if multi_line(name, value) {
                format!("{name}=\n{value}\n")
            } else {
                format!("{name}={value}\n")
            };
            out.stdout.push_str(&text);
        }
    }
    out
}

/// `lctl list_param PATTERN…`: the matching names.
pub fn list_param(args: &[String], ctx: &mut Context<'_>) -> Output {
    let mut names: Vec<String> = args.iter().filter(|a| !a.starts_with('-')).cloned().collect();
    names.insert(0, "-N".into());
    get_param(&names, ctx)
}

/// `lctl set_param [-P] NAME=VALUE…`. Without `-P` the value lives until
/// the target is unmounted; with `-P` it is recorded in the MGS `params` llog.
pub fn set_param(args: &[String], ctx: &mut Context<'_>) -> Output {
    let permanent = args.iter().any(|a| a == "-P");
    let mut out = Output::ok("");
    for arg in args.iter().filter(|a| !a.starts_with('-')) {
        let Some((pattern, value)) = arg.split_once('=') else {
            out.append(Output::fail(
                format!("error: set_param: setting {arg}: Invalid argument\n"),
                22,
            ));
            continue;
        };
        if let Some(done) = crate::hsm::set_control(pattern, value, permanent, ctx) {
            out.append(done);
            continue;
        }
        if permanent {
            out.append(super::llog::record_set_param(pattern, value, ctx));
            continue;
        }
        let names: Vec<String> = table(ctx, now_secs())
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| matches(pattern, n))
            .collect();
        if names.is_empty() {
            out.append(no_such("set_param", pattern));
            continue;
        }
        for name in names {
            let host = ctx.host.clone();
            let state = &mut *ctx.state;
            let devices = &state.devices;
            let mount = state.mounts.iter_mut().filter(|m| m.host == host).find(|m| {
                devices
                    .get(&m.serial)
                    .and_then(|d| d.target.as_ref())
                    .is_some_and(|t| name.contains(&t.svname()) || super::osp::of_mdt(&name, t))
            });
            if let Some(mount) = mount {
                mount.tunables.insert(name.clone(), value.to_string());
                out.stdout.push_str(&format!("{name}={value}\n"));
            } else {
                out.append(Output::fail(
                    format!("error: set_param: setting {name}: Permission denied\n"),
                    13,
                ));
            }
        }
    }
    out
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use crate::commands::test_support::{cluster, run, run_with};

    fn mounted_fs() -> crate::state::ClusterState {
        let mut state = cluster();
        for (host, line) in [
            ("mds1", "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb"),
            ("mds1", "mount -t lustre /dev/sdb /mnt/mdt0"),
            (
                "oss1",
                "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdb",
            ),
            ("oss1", "mount -t lustre /dev/sdb /mnt/ost0"),
        ] {
            assert_eq!(run(&mut state, host, line).code, 0, "{line}");
        }
        // Pretend the targets were mounted an hour ago.
        for m in &mut state.mounts {
            m.since -= 3600;
        }
        state
    }

    #[test]
    fn get_param_prints_space_and_moving_stats() {
        let mut state = mounted_fs();
        let out = run(
            &mut state,
            "oss1",
            "lctl get_param obdfilter.*.kbytesfree obdfilter.*.stats",
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        let mut lines = out.stdout.lines();
        let free = lines.next().unwrap();
        assert!(free.starts_with("obdfilter.fs1-OST0000.kbytesfree="), "{free}");
        assert_eq!(lines.next(), Some("obdfilter.fs1-OST0000.stats="));
        assert!(lines.next().unwrap().starts_with("snapshot_time             "));
        assert!(out
            .stdout
            .contains("\nwrite_bytes               3600 samples [bytes] 4096 1048576 "));
        let md = run(&mut state, "mds1", "lctl get_param -n mdt.*.num_exports");
        assert_eq!(md.stdout, "5\n");
        let missing = run(&mut state, "oss1", "lctl get_param mdt.*.md_stats");
        assert_eq!(missing.code, 2);
        assert!(missing
            .stderr
            .starts_with("error: get_param: param_path 'mdt.*.md_stats'"));
    }

    #[test]
    fn a_fill_fault_sets_space_and_inodes_used() {
        let mut state = mounted_fs();
        let mut faults = crate::faults::Faults::default();
        let fill = |percent| crate::faults::FaultCommand::Fill {
            target: "fs1-OST0000".into(),
            percent,
        };
        faults.apply("oss2", fill(Some(92)));
        let names = "obdfilter.fs1-OST0000.kbytestotal obdfilter.fs1-OST0000.kbytesfree \
                     obdfilter.fs1-OST0000.kbytesavail osd-*.fs1-OST0000.filestotal osd-*.fs1-OST0000.filesfree";
        let read = |state: &mut crate::state::ClusterState, faults: &crate::faults::Faults| -> Vec<u64> {
            let out = run_with(state, "oss1", &format!("lctl get_param -n {names}"), faults);
            out.stdout.lines().map(|l| l.parse().unwrap()).collect()
        };
        let v = read(&mut state, &faults);
        let (total, free, avail, files, ffree) = (v[0], v[1], v[2], v[3], v[4]);
        assert_eq!(total - free, total * 92 / 100);
        assert_eq!(avail, free);
        assert_eq!(files - ffree, files * 92 / 100);
        // The MDT is not filled.
        let mdt = run_with(&mut state, "mds1", "lctl get_param -n osd-*.*.kbytesfree", &faults);
        let mdt_total = run(&mut state, "mds1", "lctl get_param -n osd-*.*.kbytestotal");
        assert!(mdt.stdout.trim().parse::<u64>().unwrap() > mdt_total.stdout.trim().parse::<u64>().unwrap() / 2);
        faults.apply("oss1", fill(None));
        let cleared = read(&mut state, &faults);
        assert!(cleared[1] > total / 2, "{cleared:?}");
    }

    #[test]
    fn persistent_values_are_live_on_every_server_of_the_file_system() {
        let mut state = mounted_fs();
        let get = |state: &mut crate::state::ClusterState, host: &str, name: &str| {
            run(state, host, &format!("lctl get_param -n {name}"))
                .stdout
                .trim()
                .to_string()
        };
        assert_eq!(get(&mut state, "oss1", "timeout"), "100");
        assert_eq!(get(&mut state, "oss1", "jobid_var"), "disable");
        assert_eq!(
            get(&mut state, "mds1", "mdt.fs1-MDT0000.identity_upcall"),
            "/usr/sbin/l_getidentity"
        );
        assert_eq!(
            get(&mut state, "oss1", "obdfilter.fs1-OST0000.readcache_max_filesize"),
            "18446744073709551615"
        );
        for line in [
            "lctl conf_param fs1.sys.timeout=70",
            "lctl conf_param fs1.sys.at_max=900",
            "lctl conf_param fs1.sys.jobid_var=procname_uid",
            "lctl conf_param fs1-MDT0000.mdt.identity_upcall=NONE",
            "lctl conf_param fs1-OST0000.ost.sync_journal=1",
            "lctl set_param -P obdfilter.*.readcache_max_filesize=1048576",
        ] {
            let out = run(&mut state, "mds1", line);
            assert_eq!(out.code, 0, "{line}: {}", out.stderr);
        }
        for host in ["mds1", "oss1"] {
            assert_eq!(get(&mut state, host, "timeout"), "70", "{host}");
            assert_eq!(get(&mut state, host, "at_max"), "900", "{host}");
            assert_eq!(get(&mut state, host, "jobid_var"), "procname_uid", "{host}");
        }
        // A server with no target of the file system keeps the defaults.
        assert_eq!(get(&mut state, "oss2", "timeout"), "100");
        assert_eq!(get(&mut state, "mds1", "mdt.fs1-MDT0000.identity_upcall"), "NONE");
        assert_eq!(get(&mut state, "oss1", "obdfilter.fs1-OST0000.sync_journal"), "1");
        assert_eq!(
            get(&mut state, "oss1", "obdfilter.fs1-OST0000.readcache_max_filesize"),
            "1048576"
        );
        assert_eq!(
            run(&mut state, "oss1", "lctl get_param at_min ldlm_timeout").stdout,
            "at_min=0\nldlm_timeout=20\n"
        );
    }

    #[test]
    fn set_param_changes_a_value_until_unmount() {
        let mut state = mounted_fs();
        let set = run(&mut state, "oss1", "lctl set_param obdfilter.fs1-OST0000.tot_dirty=7");
        assert_eq!(set.stdout, "obdfilter.fs1-OST0000.tot_dirty=7\n");
        assert_eq!(
            run(&mut state, "oss1", "lctl get_param -n obdfilter.*.tot_dirty").stdout,
            "7\n"
        );
        assert_eq!(
            run(&mut state, "oss1", "lctl list_param osd-*.*.fstype").stdout,
            "osd-ldiskfs.fs1-OST0000.fstype\n"
        );
    }
}
