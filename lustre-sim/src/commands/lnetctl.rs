//! `lnetctl`: `lnet configure|unconfigure`, `net show` and `stats show`
//! in the YAML that Lustre 2.15's lnetctl prints (cYAML: four spaces an
//! indent level; errors on standard error).

use super::{Context, Output, LUSTRE_VERSION};
use crate::state::{now_micros, now_secs, ClusterState};

/// Runs `lnetctl lnet configure|unconfigure`, `lnetctl net show`,
/// `lnetctl stats show`, `--version`.
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
        ["stats", "show", ..] => stats_show(ctx.state, &ctx.host, now_secs()),
        [] => Output::fail("lnetctl: interactive mode is not supported\n", 1),
        [other, ..] => Output::fail(format!("lnetctl: no such command '{other}'\n"), 1),
    }
}

fn set_lnet(ctx: &mut Context<'_>, up: bool) {
    let host = ctx.host.clone();
    ctx.state.set_lnet(&host, up, now_micros());
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

/// `lustre_lnet_show_stats`: the global LNet counters, in its order.
/// They count from when LNet came up: a little traffic of its own, and
/// per target-second served ([`ClusterState::activity`]) a few hundred
/// messages and some MiB of bulk data.
fn stats_show(state: &ClusterState, host: &str, now: u64) -> Output {
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
    fn stats_grow_while_lnet_is_up() {
        let mut state = cluster();
        let down = run(&mut state, "oss1", "lnetctl stats show");
        assert_eq!(down.code, 1);
        assert_eq!(
            down.stderr,
            "show:\n    - statistics:\n          errno: -100\n          \
             descr: \"cannot get lnet statistics: Network is down\"\n"
        );
        assert_eq!(run(&mut state, "oss1", "lnetctl lnet configure").code, 0);
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
    fn mounting_brings_lnet_up_and_pins_it() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "mds1", "mkfs.lustre --mgs /dev/sdb").code, 0);
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mgs").code, 0);
        assert_eq!(run(&mut state, "mds1", "lnetctl net show").code, 0);
        assert_eq!(run(&mut state, "mds1", "lnetctl lnet unconfigure").code, 1);
    }
}
