//! kmod's tools, `modprobe [-r] MODULE…`, `rmmod MODULE…` and `lsmod`, over the simulated kernel
//! modules (`commands::modules`), with kmod 25's messages
//! (`tools/modprobe.c`, `tools/rmmod.c`, `tools/log.c`: `LOG` prints
//! `FATAL`, `ERR` prints `ERROR`).

use super::{Context, Output, KERNEL_RELEASE};
use crate::state::now_micros;

/// Runs `modprobe [-r|--remove] [-q] MODULE [PARAM=VALUE…]`.
pub fn modprobe(args: &[String], ctx: &mut Context<'_>) -> Output {
    let remove = args.iter().any(|a| a == "-r" || a == "--remove");
    let names: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with('-') && !a.contains('='))
        .map(String::as_str)
        .collect();
    if names.is_empty() {
        return Output::fail("modprobe: ERROR: missing parameters. See -h.\n", 1);
    }
    if remove {
        return remove_all(&names, ctx);
    }
    // Without -r only the first word is a module; the rest are parameters.
    let name = names[0];
    let Some(module) = super::modules::known(name) else {
        return Output::fail(
            format!("modprobe: FATAL: Module {name} not found in directory /lib/modules/{KERNEL_RELEASE}\n"),
            1,
        );
    };
    let host = ctx.host.clone();
    ctx.state.load_module(&host, module, now_micros());
    Output::ok("")
}

/// `modprobe -r`: each module, then the dependencies nothing else uses.
fn remove_all(names: &[&str], ctx: &mut Context<'_>) -> Output {
    let host = ctx.host.clone();
    for name in names {
        let Some(module) = super::modules::known(name) else {
            return Output::fail(format!("modprobe: FATAL: Module {name} not found.\n"), 1);
        };
        if ctx.state.host(&host).is_none_or(|h| !h.loaded(module)) {
            return Output::fail(format!("modprobe: FATAL: Module {module} is not in kernel.\n"), 1);
        }
        if ctx.state.use_count(&host, module) > 0 {
            return Output::fail(format!("modprobe: FATAL: Module {module} is in use.\n"), 1);
        }
        let deps = super::modules::deps(module);
        let _ = ctx.state.unload_module(&host, module, now_micros());
        for dep in deps {
            if ctx.state.host(&host).is_some_and(|h| h.loaded(dep)) && ctx.state.use_count(&host, dep) == 0 {
                let _ = ctx.state.unload_module(&host, dep, now_micros());
            }
        }
    }
    Output::ok("")
}

/// Runs `rmmod MODULE…`: every module is tried; any failure fails it.
pub fn rmmod(args: &[String], ctx: &mut Context<'_>) -> Output {
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if names.is_empty() {
        return Output::fail("rmmod: ERROR: missing module name.\n", 1);
    }
    let host = ctx.host.clone();
    let mut out = Output::ok("");
    for name in names {
        let name = name.replace('-', "_");
        if let Err(e) = ctx.state.unload_module(&host, &name, now_micros()) {
            out.stderr.push_str(&e);
            out.code = 1;
        }
    }
    out
}

/// Runs `lsmod`: kmod's header, then the loaded modules newest first.
pub fn lsmod(ctx: &Context<'_>) -> Output {
    let mut out = String::from("Module                  Size  Used by\n");
    let modules = ctx.state.host(&ctx.host).map(|h| h.modules.clone()).unwrap_or_default();
    for name in modules.iter().rev() {
        out.push_str(&super::modules::lsmod_line(ctx.state, &ctx.host, name));
        out.push('\n');
    }
    Output::ok(out)
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn modprobe_loads_lnet_and_its_dependency() {
        let mut state = cluster();
        assert_eq!(
            run(&mut state, "oss1", "lsmod").stdout,
            "Module                  Size  Used by\n"
        );
        assert_eq!(run(&mut state, "oss1", "modprobe lnet").code, 0);
        assert_eq!(run(&mut state, "oss1", "modprobe lnet").code, 0);
        assert_eq!(
            run(&mut state, "oss1", "lsmod").stdout,
            "Module                  Size  Used by\n\
             lnet                  696320  0\n\
             libcfs                196608  1 lnet\n"
        );
        let unknown = run(&mut state, "oss1", "modprobe lustre_nope");
        assert_eq!(unknown.code, 1);
        assert_eq!(
            unknown.stderr,
            "modprobe: FATAL: Module lustre_nope not found in directory \
             /lib/modules/4.18.0-477.27.1.el8_lustre.x86_64\n"
        );
    }

    #[test]
    fn a_module_in_use_stays() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "oss1", "modprobe lnet").code, 0);
        assert_eq!(run(&mut state, "oss1", "lnetctl lnet configure --all").code, 0);
        let held = run(&mut state, "oss1", "rmmod lnet");
        assert_eq!(
            (held.code, held.stderr.as_str()),
            (1, "rmmod: ERROR: Module lnet is in use by: ksocklnd\n")
        );
        let busy = run(&mut state, "oss1", "modprobe -r lnet");
        assert_eq!(
            (busy.code, busy.stderr.as_str()),
            (1, "modprobe: FATAL: Module lnet is in use.\n")
        );
        assert_eq!(run(&mut state, "oss1", "lnetctl lnet unconfigure").code, 0);
        assert_eq!(run(&mut state, "oss1", "rmmod ksocklnd").code, 0);
        assert_eq!(run(&mut state, "oss1", "modprobe -r lnet").code, 0);
        assert!(state.host("oss1").is_some_and(|h| h.modules.is_empty()));
        let gone = run(&mut state, "oss1", "rmmod lnet");
        assert_eq!(gone.stderr, "rmmod: ERROR: Module lnet is not currently loaded\n");
    }
}
