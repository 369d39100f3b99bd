//! `lustre_rmmod`, the script of Lustre 2.15 (`lustre/scripts/lustre_rmmod`):
//! with no argument (or only `ldiskfs`) it unloads ptlrpc and everything
//! using it, drops lnetctl's hold on LNet (`lnetctl lnet unconfigure`,
//! errors ignored), then `lnet_selftest`, `ldiskfs` and `libcfs` with
//! everything using them. Each module goes after those in its `lsmod`
//! "Used by" column, by `rmmod`; the first `rmmod` that fails (a target is
//! still mounted) stops the script with status 1, its message on stderr.

use super::{lnetctl, Context, Output};
use crate::state::now_micros;

/// Runs `lustre_rmmod [-h|--help] [-d|--debug-kernel] [MODULE…]`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let mut modules: Vec<String> = Vec::new();
    for arg in args {
        match arg.as_str() {
            "-h" | "--help" => return Output::fail(usage(), 0),
            "-d" | "--debug-kernel" => {}
            a if a.starts_with('-') => return Output::fail(format!("Error invalid option\n{}", usage()), 2),
            a => modules.push(a.to_string()),
        }
    }
    let unload_all = modules.is_empty() || modules == ["ldiskfs"];
    if unload_all {
        modules = ["lnet_selftest", "ldiskfs", "libcfs"].map(String::from).to_vec();
        if let Err(e) = unload_inclusive(ctx, "ptlrpc") {
            return Output::fail(e, 1);
        }
        let _ = lnetctl::run(&["lnet".to_string(), "unconfigure".to_string()], ctx);
    }
    for module in &modules {
        if let Err(e) = unload_inclusive(ctx, module) {
            return Output::fail(e, 1);
        }
    }
    Output::ok("")
}

/// `unload_dep_modules_inclusive`: what uses `module` (`lsmod`'s fourth
/// column), then `module` itself; nothing if it is not loaded.
fn unload_inclusive(ctx: &mut Context<'_>, module: &str) -> Result<(), String> {
    let host = ctx.host.clone();
    if ctx.state.host(&host).is_none_or(|h| !h.loaded(module)) {
        return Ok(());
    }
    for holder in ctx.state.holders(&host, module) {
        unload_inclusive(ctx, &holder)?;
    }
    ctx.state.unload_module(&host, module, now_micros())
}

fn usage() -> String {
    "lustre_rmmod -h|--help\nlustre_rmmod [-d|--debug-kernel] [modulesname...]\n\n\
     \t-h, --help\t\tDisplay this help message\n\
     \t-d, --debug-kernel\tDisplay lustre kernel debug messages\n\
     \tmodulesname\t\tList of lustre modules to unload. By default\n\
     \t\t\t\tldiskfs and libcfs (and their dependencies) are\n\
     \t\t\t\tselected.\n"
        .to_string()
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    fn mounted_mgs() -> crate::state::ClusterState {
        let mut state = cluster();
        assert_eq!(run(&mut state, "mds1", "mkfs.lustre --mgs /dev/sdb").code, 0);
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mgs").code, 0);
        state
    }

    #[test]
    fn refuses_while_a_target_is_mounted() {
        let mut state = mounted_mgs();
        let out = run(&mut state, "mds1", "lustre_rmmod");
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (1, "rmmod: ERROR: Module mgs is in use\n")
        );
        assert!(state.host("mds1").is_some_and(|h| h.lnet_up && h.loaded("ptlrpc")));
    }

    #[test]
    fn unloads_everything_once_unmounted() {
        let mut state = mounted_mgs();
        assert_eq!(run(&mut state, "mds1", "umount /mnt/mgs").code, 0);
        assert_eq!(run(&mut state, "mds1", "lnetctl lnet unconfigure").code, 240);
        let out = run(&mut state, "mds1", "lustre_rmmod");
        assert_eq!((out.code, out.stderr.as_str()), (0, ""));
        let host = state.host("mds1").cloned().unwrap_or_else(|| panic!("no mds1"));
        assert!(host.modules.is_empty() && !host.lnet_up, "{host:?}");
        assert_eq!(run(&mut state, "mds1", "lsmod").stdout.lines().count(), 1);
        assert_eq!(run(&mut state, "mds1", "lustre_rmmod").code, 0);
        let journal = &state.journals["mds1"];
        assert_eq!(
            journal.entries.back().map(|e| e.message.as_str()),
            Some("LNet: Removed LNI 10.0.0.1@tcp")
        );
    }

    #[test]
    fn unloads_lnet_configured_by_lnetctl() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "oss1", "modprobe lnet").code, 0);
        assert_eq!(run(&mut state, "oss1", "lnetctl lnet configure --all").code, 0);
        assert_eq!(run(&mut state, "oss1", "lustre_rmmod").code, 0);
        assert!(state.host("oss1").is_some_and(|h| h.modules.is_empty() && !h.lnet_up));
        let show = run(&mut state, "oss1", "lnetctl net show");
        assert_eq!((show.code, show.stdout.as_str()), (0, ""));
    }
}
