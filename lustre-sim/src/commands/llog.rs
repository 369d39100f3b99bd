//! The MGS configuration llogs: `lctl conf_param`, `set_param -P`,
//! `llog_catlist` and `llog_print` (the YAML-ish lines Lustre 2.15 prints,
//! `- { index: N, event: …, … }`).

use super::config_log::{self, Refused};
use super::{Context, Output};

/// Is an MGS mounted on this host?
fn mgs_here(ctx: &Context<'_>) -> bool {
    ctx.state.mounts.iter().filter(|m| m.host == ctx.host).any(|m| {
        ctx.state
            .devices
            .get(&m.serial)
            .and_then(|d| d.target.as_ref())
            .is_some_and(|t| t.mgs)
    })
}

/// `lctl conf_param [-d] FSNAME.PATH=VALUE` or `TARGET.PATH=VALUE` (on the
/// MGS); `mgs_set_conf_param` then [`config_log::write_param`]. Errors
/// print as `jt_lcfg_confparam` does: `error: conf_param: STRERROR`.
pub fn conf_param(args: &[String], ctx: &mut Context<'_>) -> Output {
    let delete = args.iter().any(|a| a == "-d");
    let Some(arg) = args.iter().find(|a| !a.starts_with('-')) else {
        return Output::fail("usage: conf_param [-d] <target.keyword=val>\n", 22);
    };
    if !mgs_here(ctx) {
        return Output::fail("error: conf_param: No such device\n", 19);
    }
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
        .llogs
        .keys()
        .filter_map(|k| k.strip_suffix("-client"))
        .filter(|fs| device == *fs || device.starts_with(&format!("{fs}-")))
        .max_by_key(|fs| fs.len())
        .map(str::to_string);
    let Some(fs) = fs else {
        return invalid();
    };
    match config_log::write_param(&mut ctx.state.llogs, &fs, &device, &param) {
        Ok(()) => Output::ok(""),
        Err(Refused::Invalid) => invalid(),
        Err(Refused::NoDevice) => Output::fail("error: conf_param: No such device\n", 19),
    }
}

/// `lctl set_param -P NAME=VALUE`: recorded in the MGS `params` llog.
pub fn record_set_param(name: &str, value: &str, ctx: &mut Context<'_>) -> Output {
    if !mgs_here(ctx) {
        return Output::fail(
            "error: set_param: setting with -P requires the MGS: No such device\n",
            19,
        );
    }
    config_log::write_set_param(&mut ctx.state.llogs, name, value);
    Output::ok("")
}

/// `lctl [--device MGS] llog_catlist`: `mgs_list_logs` prints only the
/// logs whose name has a `-` (so not `params`).
pub fn catlist(ctx: &mut Context<'_>) -> Output {
    if !mgs_here(ctx) {
        return Output::fail("error: llog_catlist: No such device\n", 19);
    }
    Output::ok(
        ctx.state
            .llogs
            .keys()
            .filter(|name| name.contains('-'))
            .map(|name| format!("config_log: {name}\n"))
            .collect::<String>(),
    )
}

/// `lctl [--device MGS] llog_print LOG`: one line per record in the form of
/// `class_config_yaml_output`; markers keep their index but print nothing.
pub fn print(args: &[String], ctx: &mut Context<'_>) -> Output {
    if !mgs_here(ctx) {
        return Output::fail("error: llog_print: No such device\n", 19);
    }
    let Some(name) = args.iter().find(|a| !a.starts_with('-')) else {
        return Output::fail("usage: llog_print <$logname|#oid#ogen> [start_index] [end_index]\n", 22);
    };
    match ctx.state.llogs.get(name) {
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
