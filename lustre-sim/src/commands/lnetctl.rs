//! `lnetctl`: `lnet configure|unconfigure` and `net show` in the YAML that
//! Lustre 2.15's lnetctl prints.

use super::{Context, Output, LUSTRE_VERSION};

/// Runs `lnetctl lnet configure|unconfigure`, `lnetctl net show`, `--version`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["--version", ..] => Output::ok(format!("lnetctl {LUSTRE_VERSION}\n")),
        ["lnet", "configure", ..] => {
            set_lnet(ctx, true);
            Output::ok("")
        }
        ["lnet", "unconfigure", ..] => {
            if ctx.state.mounts.iter().any(|m| m.host == ctx.host) {
                return yaml_error(
                    "unconfigure",
                    "lnet",
                    -16,
                    "LNet unconfigure error: Device or resource busy",
                );
            }
            set_lnet(ctx, false);
            Output::ok("")
        }
        ["net", "show", ..] => net_show(ctx),
        [] => Output::fail("lnetctl: interactive mode is not supported\n", 1),
        [other, ..] => Output::fail(format!("lnetctl: no such command '{other}'\n"), 1),
    }
}

fn set_lnet(ctx: &mut Context<'_>, up: bool) {
    if let Some(host) = ctx.state.host_mut(&ctx.host) {
        host.lnet_up = up;
    }
}

fn yaml_error(verb: &str, object: &str, errno: i32, descr: &str) -> Output {
    Output {
        stdout: String::new(),
        stderr: format!("{verb}:\n    - {object}:\n          errno: {errno}\n          descr: \"{descr}\"\n"),
        code: 1,
    }
}

fn net_show(ctx: &Context<'_>) -> Output {
    let Some(host) = ctx.state.host(&ctx.host) else {
        return yaml_error("show", "net", -100, "cannot get networks: Network is down");
    };
    if !host.lnet_up {
        return yaml_error("show", "net", -100, "cannot get networks: Network is down");
    }
    let net_type = host.nid.rsplit_once('@').map_or("tcp", |(_, net)| net);
    Output::ok(format!(
        "net:\n    - net type: lo\n      local NI(s):\n        - nid: 0@lo\n          status: up\n\
         \x20   - net type: {net_type}\n      local NI(s):\n        - nid: {nid}\n          status: up\n\
         \x20         interfaces:\n              0: eth0\n",
        nid = host.nid
    ))
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn configure_and_show() {
        let mut state = cluster();
        let down = run(&mut state, "oss1", "lnetctl net show");
        assert_eq!(down.code, 1);
        assert!(down.stderr.contains("errno: -100"));
        assert_eq!(run(&mut state, "oss1", "lnetctl lnet configure").code, 0);
        let up = run(&mut state, "oss1", "lnetctl net show");
        assert!(up.stdout.starts_with("net:\n    - net type: lo\n"), "{}", up.stdout);
        assert!(up
            .stdout
            .contains("    - net type: tcp\n      local NI(s):\n        - nid: 10.0.0.2@tcp\n"));
        assert_eq!(run(&mut state, "oss1", "lnetctl lnet unconfigure").code, 0);
        assert_eq!(run(&mut state, "oss1", "lnetctl net show").code, 1);
    }

    #[test]
    fn mounting_brings_lnet_up_and_pins_it() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "mds1", "mkfs.lustre --mgs /dev/sdb").code, 0);
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mgs").code, 0);
        assert_eq!(run(&mut state, "mds1", "lnetctl net show").code, 0);
        assert_eq!(run(&mut state, "mds1", "lnetctl lnet unconfigure").code, 1);
    }
}
