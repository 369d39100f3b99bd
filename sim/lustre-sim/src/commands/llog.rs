//! The MGS configuration llogs: `lctl conf_param`, `set_param -P`,
//! `llog_catlist` and `llog_print` (the YAML-ish lines Lustre 2.15 prints,
//! `- { index: N, event: …, … }`). Each acts on the logs of the MGS mounted
//! on the host it runs on; another host's MGS keeps its own.

use super::config_log::{self, Refused};
use super::{Context, Output};

/// What `get_mgs_device` in 2.15's `lustre/utils/obd.c` prints on a host
/// with no MGS: looking up device `MGS` fails (`parse_devname`), with
/// EINVAL from the kernel, or, before the Lustre modules are loaded,
/// because `/dev/obd` cannot be opened (`open_ioc_dev`).
fn no_mgs_here(ctx: &Context<'_>) -> String {
    let loaded = ctx.state.host(&ctx.host).is_some_and(|h| h.loaded("obdclass"));
    let lookup = if loaded {
        "No device found for name MGS: Invalid argument\n".to_string()
    } else {
        "opening /dev/obd failed: No such file or directory\nhint: the kernel modules may not be loaded\n\
         No device found for name MGS: No such file or directory\n"
            .to_string()
    };
    format!("{lookup}This command must be run on the MGS.\n")
}

/// `lctl conf_param [-d] FSNAME.PATH=VALUE` or `TARGET.PATH=VALUE` (on the
/// host's MGS); `mgs_set_conf_param` then [`config_log::write_param`]. Errors
/// print as `jt_lcfg_confparam` does: `error: conf_param: STRERROR`.
pub fn conf_param(args: &[String], ctx: &mut Context<'_>) -> Output {
    let delete = args.iter().any(|a| a == "-d");
    let Some(arg) = args.iter().find(|a| !a.starts_with('-')) else {
        return Output::fail("usage: conf_param [-d] <target.keyword=val>\n", 22);
    };
    let Some(mgs) = ctx.state.mgs_on(&ctx.host) else {
        return Output::fail(format!("{}error: conf_param: No such device\n", no_mgs_here(ctx)), 19);
    };
    let invalid = || Output::fail("error: conf_param: Invalid argument\n", 22);
    let Some((device, param)) = arg.split_once('.') else {
        return invalid();
    };
    if device.is_empty() || device.contains('=') {
        return invalid();
    }
    let param = if delete {
        format!("{}=", param.split('=').next().unwrap_or(param))
    } else {
        param.to_string()
    };
    let device = config_log::strip_client_suffix(device);
    // "No filesystem targets for FS": the MGS knows a file system by its
    // client log.
    let fs = ctx
        .state
        .llogs(&mgs)
        .keys()
        .filter_map(|k| k.strip_suffix("-client"))
        .filter(|fs| device == *fs || device.starts_with(&format!("{fs}-")))
        .max_by_key(|fs| fs.len())
        .map(str::to_string);
    let Some(fs) = fs else {
        return invalid();
    };
    match config_log::write_param(ctx.state.llogs_mut(&mgs), &fs, &device, &param) {
        Ok(()) => {
            ctx.state.counters.conf_param(&format!("{device}.{param}"));
            Output::ok("")
        }
        Err(Refused::Invalid) => invalid(),
        Err(Refused::NoDevice) => Output::fail("error: conf_param: No such device\n", 19),
    }
}

/// `lctl set_param -P NAME=VALUE`: recorded in the MGS `params` llog.
pub fn record_set_param(name: &str, value: &str, ctx: &mut Context<'_>) -> Output {
    let Some(mgs) = ctx.state.mgs_on(&ctx.host) else {
        // 2.15.4 prints `no_mgs_here`, then "error: executing set_param: No
        // such device", exit 1; kept as first modelled (see
        // docs/lustre-sim-formats.md).
        return Output::fail(
            "error: set_param: setting with -P requires the MGS: No such device\n",
            19,
        );
    };
    config_log::write_set_param(ctx.state.llogs_mut(&mgs), name, value);
    Output::ok("")
}

/// `lctl [--device MGS] llog_catlist`: `mgs_list_logs` prints only the
/// logs whose name has a `-` (so not `params`).
pub fn catlist(ctx: &mut Context<'_>) -> Output {
    let Some(mgs) = ctx.state.mgs_on(&ctx.host) else {
        return Output::fail("error: llog_catlist: No such device\n", 19);
    };
    Output::ok(
        ctx.state
            .llogs(&mgs)
            .keys()
            .filter(|name| name.contains('-'))
            .map(|name| format!("config_log: {name}\n"))
            .collect::<String>(),
    )
}

/// `lctl [--device MGS] llog_print LOG`: one line per record in the form of
/// `class_config_yaml_output`; markers keep their index but print nothing.
pub fn print(args: &[String], ctx: &mut Context<'_>) -> Output {
    let Some(mgs) = ctx.state.mgs_on(&ctx.host) else {
        return Output::fail("error: llog_print: No such device\n", 19);
    };
    let Some(name) = args.iter().find(|a| !a.starts_with('-')) else {
        return Output::fail("usage: llog_print <$logname|#oid#ogen> [start_index] [end_index]\n", 22);
    };
    match ctx.state.llogs(&mgs).get(name) {
        Some(records) => Output::ok(
            records
                .iter()
                .enumerate()
                .filter(|(_, body)| body.as_str() != config_log::MARKER)
                .map(|(i, body)| format!("- {{ index: {}, {body} }}\n", i + 1))
                .collect::<String>(),
        ),
        None => Output::fail(format!("error: llog_print: {name}: No such file or directory\n"), 2),
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    fn file_system(state: &mut crate::state::ClusterState) {
        for (host, line) in [
            ("mds1", "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb"),
            ("mds1", "mount -t lustre /dev/sdb /mnt/mdt0"),
            (
                "oss1",
                "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp \
                 --failnode=10.0.0.3@tcp /dev/sdb",
            ),
            ("oss1", "mount -t lustre /dev/sdb /mnt/ost0"),
        ] {
            let out = run(state, host, line);
            assert_eq!(out.code, 0, "{line}: {}", out.stderr);
        }
    }

    #[test]
    fn the_client_log_holds_what_registration_wrote() {
        let mut state = cluster();
        file_system(&mut state);
        let out = run(&mut state, "mds1", "lctl --device MGS llog_print fs1-client");
        assert_eq!(out.code, 0, "{}", out.stderr);
        let expected = "\
- { index: 2, event: attach, device: fs1-clilov, type: lov, UUID: fs1-clilov_UUID }
- { index: 3, event: setup, device: fs1-clilov, UUID:  }
- { index: 6, event: attach, device: fs1-clilmv, type: lmv, UUID: fs1-clilmv_UUID }
- { index: 7, event: setup, device: fs1-clilmv, UUID:  }
- { index: 10, event: add_uuid, nid: 10.0.0.1@tcp(0x200000a000001), node: 10.0.0.1@tcp }
- { index: 11, event: attach, device: fs1-MDT0000-mdc, type: mdc, UUID: fs1-clilmv_UUID }
- { index: 12, event: setup, device: fs1-MDT0000-mdc, UUID: fs1-MDT0000_UUID, node: 10.0.0.1@tcp }
- { index: 13, event: add_mdc, device: fs1-clilmv, mdt: fs1-MDT0000_UUID, index: 0, gen: 1, UUID: fs1-MDT0000-mdc_UUID }
- { index: 16, event: new_profile, name: fs1-client, lov: fs1-clilov, lmv: fs1-clilmv }
- { index: 19, event: add_uuid, nid: 10.0.0.2@tcp(0x200000a000002), node: 10.0.0.2@tcp }
- { index: 20, event: attach, device: fs1-OST0000-osc, type: osc, UUID: fs1-clilov_UUID }
- { index: 21, event: setup, device: fs1-OST0000-osc, UUID: fs1-OST0000_UUID, node: 10.0.0.2@tcp }
- { index: 22, event: add_uuid, nid: 10.0.0.3@tcp(0x200000a000003), node: 10.0.0.3@tcp }
- { index: 23, event: add_conn, device: fs1-OST0000-osc, node: 10.0.0.3@tcp }
- { index: 24, event: add_osc, device: fs1-clilov, ost: fs1-OST0000_UUID, index: 0, gen: 1 }
";
        assert_eq!(out.stdout, expected);
        let mdt = run(&mut state, "mds1", "lctl llog_print fs1-MDT0000").stdout;
        assert!(
            mdt.contains("event: attach, device: fs1-OST0000-osc-MDT0000, type: osc, UUID: fs1-MDT0000-mdtlov_UUID }"),
            "{mdt}"
        );
        assert!(mdt.contains(
            "event: setup, device: fs1-MDT0000, UUID: fs1-MDT0000_UUID, node: 0, options: fs1-MDT0000-mdtlov, failout: f }"
        ));
        let ost = run(&mut state, "mds1", "lctl llog_print fs1-OST0000").stdout;
        assert_eq!(
            ost,
            "- { index: 2, event: attach, device: fs1-OST0000, type: obdfilter, UUID: fs1-OST0000_UUID }\n\
             - { index: 3, event: setup, device: fs1-OST0000, UUID: dev, node: type, options: f }\n"
        );
    }

    #[test]
    fn a_conf_param_on_one_mgs_is_not_seen_on_the_other() {
        let mut state = crate::commands::config_log::two_mgs_site();
        assert_eq!(run(&mut state, "mds1", "lctl conf_param fs1.sys.timeout=40").code, 0);
        let set = run(&mut state, "mds2", "lctl set_param -P obdfilter.*.sync_journal=1");
        assert_eq!(set.code, 0, "{}", set.stderr);
        let mds1 = run(&mut state, "mds1", "lctl llog_print fs1-client").stdout;
        assert!(mds1.contains("parameter: sys.timeout=40 }"), "{mds1}");
        let mds2 = run(&mut state, "mds2", "lctl llog_print fs1-client").stdout;
        assert!(!mds2.contains("sys.timeout"), "{mds2}");
        assert_eq!(run(&mut state, "mds1", "lctl llog_print params").code, 2);
        assert!(run(&mut state, "mds2", "lctl llog_print params")
            .stdout
            .contains("parameter: obdfilter.*.sync_journal, value: 1 }"));
        // Each OST runs with what its own MGS holds.
        let get = "lctl get_param -n timeout obdfilter.fs1-OST0000.sync_journal";
        assert_eq!(run(&mut state, "oss1", get).stdout, "40\n0\n");
        assert_eq!(run(&mut state, "oss2", get).stdout, "100\n1\n");
    }

    #[test]
    fn conf_param_runs_on_an_mgs() {
        let mut state = cluster();
        let cold = run(&mut state, "oss1", "lctl conf_param fs1.sys.timeout=40");
        assert_eq!(
            (cold.code, cold.stderr.as_str()),
            (
                19,
                "opening /dev/obd failed: No such file or directory\nhint: the kernel modules may not be loaded\n\
                 No device found for name MGS: No such file or directory\nThis command must be run on the MGS.\n\
                 error: conf_param: No such device\n"
            )
        );
        file_system(&mut state);
        let oss = run(&mut state, "oss1", "lctl conf_param fs1.sys.timeout=40");
        assert_eq!(
            (oss.code, oss.stderr.as_str()),
            (
                19,
                "No device found for name MGS: Invalid argument\nThis command must be run on the MGS.\n\
                 error: conf_param: No such device\n"
            )
        );
    }

    #[test]
    fn conf_params_land_where_the_mgs_writes_them() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "mds1", "lctl conf_param fs1.sys.timeout=40").code, 19);
        file_system(&mut state);
        for line in [
            "lctl conf_param fs1.sys.timeout=40",
            "lctl conf_param fs1-OST0000.osc.max_dirty_mb=64",
            "lctl conf_param fs1-MDT0000.mdt.identity_upcall=NONE",
            "lctl set_param -P osc.*.max_dirty_mb=64",
        ] {
            let out = run(&mut state, "mds1", line);
            assert_eq!(out.code, 0, "{line}: {}", out.stderr);
        }
        let client = run(&mut state, "mds1", "lctl llog_print fs1-client").stdout;
        let tail: Vec<&str> = client.lines().rev().take(2).collect();
        assert_eq!(
            tail,
            [
                "- { index: 30, event: conf_param, device: fs1-OST0000-osc, parameter: osc.max_dirty_mb=64 }",
                "- { index: 27, event: set_timeout, num: 0x000028, parameter: sys.timeout=40 }",
            ]
        );
        let mdt = run(&mut state, "mds1", "lctl llog_print fs1-MDT0000").stdout;
        assert!(mdt.contains("event: conf_param, device: fs1-OST0000-osc-MDT0000, parameter: osc.max_dirty_mb=64 }"));
        assert!(mdt.contains("event: conf_param, device: fs1-MDT0000, parameter: mdt.identity_upcall=NONE }"));
        assert!(!client.contains("identity_upcall"), "{client}");
        let ost = run(&mut state, "mds1", "lctl llog_print fs1-OST0000").stdout;
        assert!(
            ost.contains("event: set_timeout, num: 0x000028, parameter: sys.timeout=40 }"),
            "{ost}"
        );
        let params = run(&mut state, "mds1", "lctl llog_print params").stdout;
        assert_eq!(
            params,
            "- { index: 2, event: set_param, device: *, parameter: osc.*.max_dirty_mb, value: 64 }\n"
        );
        let cat = run(&mut state, "mds1", "lctl --device MGS llog_catlist").stdout;
        assert_eq!(
            cat,
            "config_log: fs1-MDT0000\nconfig_log: fs1-OST0000\nconfig_log: fs1-client\n"
        );
        let unknown = run(&mut state, "mds1", "lctl conf_param other.sys.timeout=40");
        assert_eq!(
            (unknown.code, unknown.stderr.as_str()),
            (22, "error: conf_param: Invalid argument\n")
        );
        assert_eq!(run(&mut state, "mds1", "lctl conf_param fs1.sys.bogus=1").code, 22);
    }
}
