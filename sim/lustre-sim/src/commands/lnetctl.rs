//! `lnetctl`: `lnet configure|unconfigure`, `net show` and `stats show`
//! in the YAML that Lustre 2.15's lnetctl prints (cYAML: four spaces an
//! indent level; errors on standard error). Its exit status is the
//! negative errno `main` returns (`-16` exits 240), as `lnetctl.c` does.
//! Without the `lnet` module there is no `/dev/lnet` to open
//! (`l_ioctl.c`'s `open_ioc_dev`); see `commands::modules`.

use super::{Context, Output, LUSTRE_VERSION};
use crate::state::{now_micros, now_secs, ClusterState};

/// What `open_ioc_dev` prints when `/dev/lnet` is missing.
const NO_DEVICE: &str = "opening /dev/lnet failed: No such file or directory\n\
                         hint: the kernel modules may not be loaded\n";

/// Runs `lnetctl lnet configure [--all]|unconfigure`, `lnetctl net show`,
/// `lnetctl stats show`, `--version`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["--version", ..] => Output::ok(format!("lnetctl {LUSTRE_VERSION}\n")),
        ["lnet", "configure", rest @ ..] => configure(ctx, rest.iter().any(|a| *a == "--all" || *a == "-a")),
        ["lnet", "unconfigure", ..] => unconfigure(ctx),
        ["net", "show", ..] => net_show(ctx),
        ["import", rest @ ..] => {
            if !device(ctx) {
                return no_device("add");
            }
            super::lnet_nets::import(rest, ctx)
        }
        ["stats", "show", ..] => stats_show(ctx.state, &ctx.host, now_secs()),
        [] => Output::fail("lnetctl: interactive mode is not supported\n", 1),
        [other, ..] => Output::fail(format!("lnetctl: no such command '{other}'\n"), 1),
    }
}

/// Is `/dev/lnet` there (the lnet module loaded)?
fn device(ctx: &Context<'_>) -> bool {
    ctx.state
        .host(&ctx.host)
        .is_some_and(|h| h.loaded(super::modules::LNET))
}

/// `lnet_configure`: LNet up, held by lnetctl, and a reference on the
/// module; a no-op when lnetctl holds it already (so `--all` after a
/// plain `configure` adds no network).
fn configure(ctx: &mut Context<'_>, all: bool) -> Output {
    if !device(ctx) {
        return no_device("configure");
    }
    let host = ctx.host.clone();
    if ctx.state.host(&host).is_some_and(|h| !h.lnet_self) {
        ctx.state.lnet_ni_init(&host, all, now_micros());
        if let Some(h) = ctx.state.host_mut(&host) {
            h.lnet_self = true;
        }
    }
    Output::ok("")
}

/// `lnet_unconfigure`: drops lnetctl's hold; EBUSY while something else
/// (ptlrpc) still holds LNet.
fn unconfigure(ctx: &mut Context<'_>) -> Output {
    if !device(ctx) {
        return no_device("unconfigure");
    }
    let host = ctx.host.clone();
    let ptlrpc = ctx.state.host(&host).is_some_and(|h| h.loaded("ptlrpc"));
    if let Some(h) = ctx.state.host_mut(&host) {
        h.lnet_self = false;
    }
    if ptlrpc {
        return yaml_error(
            "unconfigure",
            "lnet",
            -16,
            "LNet unconfigure error: Device or resource busy",
        );
    }
    ctx.state.set_lnet(&host, false, now_micros());
    Output::ok("")
}

/// `lustre_lnet_config_ni_system` when `l_ioctl` cannot open the device.
fn no_device(verb: &str) -> Output {
    let mut out = yaml_error(
        verb,
        "lnet",
        -2,
        &format!("LNet {verb} error: No such file or directory"),
    );
    out.stderr.insert_str(0, NO_DEVICE);
    out
}

/// A cYAML error on stderr; lnetctl exits with the negative errno.
pub(super) fn yaml_error(verb: &str, object: &str, errno: i32, descr: &str) -> Output {
    Output {
        stdout: String::new(),
        stderr: format!("{verb}:\n    - {object}:\n          errno: {errno}\n          descr: \"{descr}\"\n"),
        code: u32::try_from(errno.rem_euclid(256)).unwrap_or(1),
    }
}

/// `lustre_lnet_show_net`: without `/dev/lnet` its first ioctl fails with
/// ENOENT, which it takes for the end of the list: nothing printed, exit 0.
fn net_show(ctx: &Context<'_>) -> Output {
    if !device(ctx) {
        return Output {
            stderr: NO_DEVICE.to_string(),
            ..Output::default()
        };
    }
    let Some(host) = ctx.state.host(&ctx.host).filter(|h| h.lnet_up) else {
        return yaml_error("show", "net", -100, "cannot get networks: Network is down");
    };
    let mut out =
        String::from("net:\n    - net type: lo\n      local NI(s):\n        - nid: 0@lo\n          status: up\n");
    let mut nis: Vec<(String, String)> = Vec::new();
    if !host.lnet_lo_only {
        let net_type = host.nid.rsplit_once('@').map_or("tcp", |(_, net)| net);
        nis.push((net_type.to_owned(), "eth0".to_owned()));
    }
    nis.extend(host.lnet_nis.iter().cloned());
    let mut shown: Vec<&str> = Vec::new();
    for (net, _) in &nis {
        if shown.contains(&net.as_str()) {
            continue;
        }
        shown.push(net);
        out.push_str(&format!("    - net type: {net}\n      local NI(s):\n"));
        for (_, interface) in nis.iter().filter(|(n, _)| n == net) {
            let addr = super::lnet_nets::address(host, interface).unwrap_or_default();
            out.push_str(&format!(
                "        - nid: {addr}@{net}\n          status: up\n          interfaces:\n              0: {interface}\n"
            ));
        }
    }
    Output::ok(out)
}

/// `lustre_lnet_show_stats`: the global LNet counters, in its order.
/// They count from when LNet came up: a little traffic of its own, and
/// per target-second served ([`ClusterState::activity`]) a few hundred
/// messages and some MiB of bulk data.
fn stats_show(state: &ClusterState, host: &str, now: u64) -> Output {
    if state.host(host).is_some_and(|h| !h.loaded(super::modules::LNET)) {
        let mut out = yaml_error(
            "show",
            "statistics",
            -2,
            "cannot get lnet statistics: No such file or directory",
        );
        out.stderr.insert_str(0, NO_DEVICE);
        return out;
    }
    let Some(h) = state.host(host).filter(|h| h.lnet_up) else {
        return yaml_error(
            "show",
            "statistics",
            -100,
            "cannot get lnet statistics: Network is down",
        );
    };
    let up = now.saturating_sub(h.activity.lnet_since);
    let served = state.activity(host, now).saturating_sub(h.activity.lnet_base);
    let targets = state.mounted_count(host);
    let send_count = up * 20 + served * 400;
    let recv_count = up * 20 + served * 420;
    let drop_count = served / 50_000;
    let counters: [(&str, u64); 24] = [
        ("msgs_alloc", targets * 4 + now % 7),
        ("msgs_max", (32 + served / 60).min(4_096)),
        ("rst_alloc", targets * 2),
        ("errors", 0),
        ("send_count", send_count),
        ("resend_count", served / 100_000),
        ("response_timeout_count", 0),
        ("local_interrupt_count", 0),
        ("local_dropped_count", 0),
        ("local_aborted_count", 0),
        ("local_no_route_count", 0),
        ("local_timeout_count", 0),
        ("local_error_count", 0),
        ("remote_dropped_count", served / 250_000),
        ("remote_error_count", 0),
        ("remote_timeout_count", 0),
        ("network_timeout_count", 0),
        ("recv_count", recv_count),
        ("route_count", 0),
        ("drop_count", drop_count),
        ("send_length", up * 20 * 224 + served * 3 * 1_048_576),
        ("recv_length", up * 20 * 224 + served * 2 * 1_048_576),
        ("route_length", 0),
        ("drop_length", drop_count * 224),
    ];
    let mut out = String::from("statistics:\n");
    for (name, value) in counters {
        out.push_str(&format!("    {name}: {value}\n"));
    }
    Output::ok(out)
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn configure_needs_the_module() {
        let mut state = cluster();
        let out = run(&mut state, "oss1", "lnetctl lnet configure --all");
        assert_eq!(out.code, 254);
        assert_eq!(
            out.stderr,
            "opening /dev/lnet failed: No such file or directory\n\
             hint: the kernel modules may not be loaded\n\
             configure:\n    - lnet:\n          errno: -2\n          \
             descr: \"LNet configure error: No such file or directory\"\n"
        );
        let show = run(&mut state, "oss1", "lnetctl net show");
        assert_eq!((show.code, show.stdout.as_str()), (0, ""));
        assert!(show.stderr.starts_with("opening /dev/lnet failed"));
        assert_eq!(run(&mut state, "oss1", "modprobe lnet").code, 0);
        let down = run(&mut state, "oss1", "lnetctl net show");
        assert_eq!(down.code, 156);
        assert!(down.stderr.contains("errno: -100"));
    }

    #[test]
    fn configure_and_show() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "oss1", "modprobe lnet").code, 0);
        assert_eq!(run(&mut state, "oss1", "lnetctl lnet configure --all").code, 0);
        let up = run(&mut state, "oss1", "lnetctl net show");
        assert!(up.stdout.starts_with("net:\n    - net type: lo\n"), "{}", up.stdout);
        assert!(up
            .stdout
            .contains("    - net type: tcp\n      local NI(s):\n        - nid: 10.0.0.2@tcp\n"));
        assert_eq!(run(&mut state, "oss1", "lnetctl lnet unconfigure").code, 0);
        assert_eq!(run(&mut state, "oss1", "lnetctl net show").code, 156);
    }

    #[test]
    fn configure_without_all_starts_only_the_loopback() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "oss1", "modprobe lnet").code, 0);
        assert_eq!(run(&mut state, "oss1", "lnetctl lnet configure").code, 0);
        // Already configured: `--all` adds nothing (`lnet_configure`).
        assert_eq!(run(&mut state, "oss1", "lnetctl lnet configure --all").code, 0);
        let up = run(&mut state, "oss1", "lnetctl net show");
        assert_eq!(
            up.stdout,
            "net:\n    - net type: lo\n      local NI(s):\n        - nid: 0@lo\n          status: up\n"
        );
    }

    #[test]
    fn stats_grow_while_lnet_is_up() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "oss1", "modprobe lnet").code, 0);
        let down = run(&mut state, "oss1", "lnetctl stats show");
        assert_eq!(down.code, 156);
        assert_eq!(
            down.stderr,
            "show:\n    - statistics:\n          errno: -100\n          \
             descr: \"cannot get lnet statistics: Network is down\"\n"
        );
        assert_eq!(run(&mut state, "oss1", "lnetctl lnet configure --all").code, 0);
        let since = state.host("oss1").map(|h| h.activity.lnet_since).unwrap_or_default();
        let early = super::stats_show(&state, "oss1", since + 10).stdout;
        let later = super::stats_show(&state, "oss1", since + 100).stdout;
        assert!(early.starts_with("statistics:\n    msgs_alloc: "), "{early}");
        assert!(
            early.contains("\n    rst_alloc: 0\n    errors: 0\n    send_count: 200\n"),
            "{early}"
        );
        assert!(later.contains("\n    send_count: 2000\n"), "{later}");
        assert!(later.ends_with("    route_length: 0\n    drop_length: 0\n"), "{later}");
        assert_eq!(later.lines().count(), 25);
    }

    #[test]
    fn ptlrpc_pins_lnet_after_the_targets_are_gone() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "mds1", "mkfs.lustre --mgs /dev/sdb").code, 0);
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mgs").code, 0);
        assert_eq!(run(&mut state, "mds1", "lnetctl net show").code, 0);
        assert_eq!(run(&mut state, "mds1", "umount /mnt/mgs").code, 0);
        let busy = run(&mut state, "mds1", "lnetctl lnet unconfigure");
        assert_eq!(busy.code, 240);
        assert_eq!(
            busy.stderr,
            "unconfigure:\n    - lnet:\n          errno: -16\n          \
             descr: \"LNet unconfigure error: Device or resource busy\"\n"
        );
        assert!(run(&mut state, "mds1", "lnetctl net show")
            .stdout
            .contains("10.0.0.1@tcp"));
    }
}
