//! The MGS configuration llogs: `lctl conf_param`, `set_param -P`,
//! `llog_catlist` and `llog_print` (the YAML-ish lines Lustre 2.15 prints,
//! `- { index: N, event: …, … }`).

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

fn push(ctx: &mut Context<'_>, log: &str, body: String) {
    ctx.state.llogs.entry(log.to_string()).or_default().push(body);
}

/// `lctl conf_param FSNAME.PATH=VALUE` or `TARGET.PATH=VALUE` (on the MGS).
pub fn conf_param(args: &[String], ctx: &mut Context<'_>) -> Output {
    let delete = args.iter().any(|a| a == "-d");
    let Some(arg) = args.iter().find(|a| !a.starts_with('-')) else {
        return Output::fail("usage: conf_param [-d] <target.keyword=val>\n", 22);
    };
    if !mgs_here(ctx) {
        return Output::fail("error: conf_param: No such device\n", 19);
    }
    let (path, value) = arg.split_once('=').unwrap_or((arg.as_str(), ""));
    let Some((device, param)) = path.split_once('.') else {
        return Output::fail(format!("error: conf_param: setting {arg}: Invalid argument\n"), 22);
    };
    let fsname = device.split('-').next().unwrap_or(device).to_string();
    let client_log = format!("{fsname}-client");
    if !ctx.state.llogs.contains_key(&client_log) {
        return Output::fail(format!("error: conf_param: {fsname}: No such file or directory\n"), 2);
    }
    let record_device = match param.split('.').next() {
        Some("osc") => format!("{device}-osc"),
        Some("mdc") => format!("{device}-mdc"),
        _ if device == fsname => format!("{fsname}-client"),
        _ => device.to_string(),
    };
    let parameter = if delete {
        param.to_string()
    } else {
        format!("{param}={value}")
    };
    let body = format!("event: conf_param, device: {record_device}, parameter: {parameter}");
    push(ctx, &client_log, body.clone());
    if device != fsname && !client_log.ends_with(device) {
        push(ctx, device, body);
    }
    Output::ok("")
}

/// `lctl set_param -P NAME=VALUE`: recorded in the MGS `params` llog.
pub fn record_set_param(name: &str, value: &str, ctx: &mut Context<'_>) -> Output {
    if !mgs_here(ctx) {
        return Output::fail(
            "error: set_param: setting with -P requires the MGS: No such device\n",
            19,
        );
    }
    push(
        ctx,
        "params",
        format!("event: set_param, device: general, parameter: {name}, value: {value}"),
    );
    Output::ok("")
}

/// `lctl [--device MGS] llog_catlist`.
pub fn catlist(ctx: &mut Context<'_>) -> Output {
    if !mgs_here(ctx) {
        return Output::fail("error: llog_catlist: No such device\n", 19);
    }
    Output::ok(
        ctx.state
            .llogs
            .keys()
            .map(|name| format!("config_log: {name}\n"))
            .collect::<String>(),
    )
}

/// `lctl [--device MGS] llog_print LOG`.
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
                .map(|(i, body)| format!("- {{ index: {}, {body} }}\n", i + 2))
                .collect::<String>(),
        ),
        None => Output::fail(format!("error: llog_print: {name}: No such file or directory\n"), 2),
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn conf_params_land_in_the_client_llog() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "mds1", "lctl conf_param fs1.sys.timeout=40").code, 19);
        for line in [
            "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb",
            "mount -t lustre /dev/sdb /mnt/mdt0",
            "lctl conf_param fs1.sys.timeout=40",
            "lctl conf_param fs1-MDT0000.mdt.identity_upcall=NONE",
            "lctl set_param -P osc.*.max_dirty_mb=64",
        ] {
            let out = run(&mut state, "mds1", line);
            assert_eq!(out.code, 0, "{line}: {}", out.stderr);
        }
        let cat = run(&mut state, "mds1", "lctl --device MGS llog_catlist").stdout;
        assert!(
            cat.contains("config_log: fs1-client\n") && cat.contains("config_log: params\n"),
            "{cat}"
        );
        let client = run(&mut state, "mds1", "lctl --device MGS llog_print fs1-client").stdout;
        assert!(
            client.contains("event: conf_param, device: fs1-client, parameter: sys.timeout=40 }\n"),
            "{client}"
        );
        let mdt = run(&mut state, "mds1", "lctl llog_print fs1-MDT0000").stdout;
        assert!(
            mdt.contains("device: fs1-MDT0000, parameter: mdt.identity_upcall=NONE }"),
            "{mdt}"
        );
        let params = run(&mut state, "mds1", "lctl llog_print params").stdout;
        assert_eq!(
            params,
            "- { index: 2, event: set_param, device: general, parameter: osc.*.max_dirty_mb, value: 64 }\n"
        );
        assert_eq!(run(&mut state, "mds1", "lctl conf_param other.sys.timeout=40").code, 2);
    }
}
