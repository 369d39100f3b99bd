//! A host's network interfaces and the LNet networks on them, for
//! `lnetctl import FILE`, `lnetctl net show` and `lctl list_nids`.
//!
//! Every simulated host has four interfaces: `eth0` (its layout NID's
//! address, the network `lnetctl lnet configure --all` uses, as the
//! default `networks=tcp(eth0)` module option would), `eth1`, `ib0` and
//! `ib1` on parallel subnets (second octet +1, +2, +3). `lnetctl import`
//! adds one local NI per interface listed under a network's `local NI(s)`,
//! in the YAML Lustre 2.15's `lustre/conf/lnet.conf` documents; like the
//! kernel it refuses an interface the host does not have (ENODEV) and a
//! network already configured (EEXIST), and needs LNet up (ENETDOWN).

use super::lnetctl::yaml_error;
use super::{Context, Output};
use crate::state::HostState;

/// The interfaces every simulated host has, with the offset of their
/// subnet from `eth0`'s.
const INTERFACES: [(&str, u8); 4] = [("eth0", 0), ("eth1", 1), ("ib0", 2), ("ib1", 3)];

/// The IPv4 address of `interface` on `host`, if it has that interface.
pub fn address(host: &HostState, interface: &str) -> Option<String> {
    let (_, offset) = INTERFACES.iter().find(|(name, _)| *name == interface)?;
    let base = host.nid.split('@').next()?;
    let octets: Vec<u8> = base.split('.').filter_map(|o| o.parse().ok()).collect();
    let [a, b, c, d] = octets[..] else {
        return None;
    };
    Some(format!("{a}.{}.{c}.{d}", b.wrapping_add(*offset)))
}

/// The host's NIDs while LNet is up, primary first: the module-option
/// network unless LNet was configured without it, then the imported NIs.
pub fn nids(host: &HostState) -> Vec<String> {
    if !host.lnet_up {
        return Vec::new();
    }
    let mut nids = Vec::new();
    if !host.lnet_lo_only {
        nids.push(host.nid.clone());
    }
    for (net, interface) in &host.lnet_nis {
        if let Some(addr) = address(host, interface) {
            nids.push(format!("{addr}@{net}"));
        }
    }
    nids
}

/// `(net, [interfaces])` in file order from `lnetctl import` YAML: each
/// `- net type: NET` starts a network; each `N: IFACE` line under an
/// `interfaces:` key names one of its interfaces. Other keys are ignored.
pub fn parse(yaml: &str) -> Vec<(String, Vec<String>)> {
    let mut nets: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_interfaces = false;
    for line in yaml.lines().map(|l| l.split('#').next().unwrap_or("")) {
        let trimmed = line.trim().trim_start_matches("- ").trim();
        if let Some(net) = trimmed.strip_prefix("net type:") {
            nets.push((net.trim().to_owned(), Vec::new()));
            in_interfaces = false;
        } else if trimmed == "interfaces:" {
            in_interfaces = true;
        } else if let Some((key, value)) = trimmed.split_once(':') {
            let numbered = !key.is_empty() && key.chars().all(|c| c.is_ascii_digit());
            if in_interfaces && numbered {
                if let Some((_, interfaces)) = nets.last_mut() {
                    interfaces.push(value.trim().to_owned());
                }
            } else {
                in_interfaces = false;
            }
        }
    }
    nets
}

/// `lnetctl import [--add] FILE`: adds the file's networks.
pub fn import(args: &[&str], ctx: &mut Context<'_>) -> Output {
    let file = match args {
        [file] | ["--add" | "-a", file] => *file,
        _ => return Output::fail("lustre-sim: lnetctl import takes a FILE ([--add] FILE)\n", 1),
    };
    let Some(content) = ctx
        .state
        .files
        .get(&ctx.host)
        .and_then(|files| files.get(file))
        .map(|f| f.content.clone())
    else {
        let descr = format!("cannot open '{file}': No such file or directory");
        // The builder's error tree says -1; lnetctl exits with
        // LUSTRE_CFG_RC_BAD_PARAM (-2).
        let mut out = yaml_error("yaml", "builder", -1, &descr);
        out.code = 254;
        return out;
    };
    let host_name = ctx.host.clone();
    let Some(host) = ctx.state.host(&host_name).cloned() else {
        return yaml_error("add", "net", -19, "cannot add network: No such device");
    };
    if !host.lnet_up {
        return yaml_error("add", "net", -100, "cannot add network: Network is down");
    }
    let mut added = host.lnet_nis.clone();
    for (net, interfaces) in parse(&content) {
        let configured =
            nids(&host).iter().any(|n| n.ends_with(&format!("@{net}"))) || added.iter().any(|(n, _)| *n == net);
        if configured {
            return yaml_error("add", "net", -17, "cannot add network: File exists");
        }
        for interface in interfaces {
            if address(&host, &interface).is_none() {
                return yaml_error("add", "net", -19, "cannot add network: No such device");
            }
            added.push((net.clone(), interface));
        }
    }
    if let Some(h) = ctx.state.host_mut(&host_name) {
        h.lnet_nis = added;
    }
    Output::ok("")
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;

    const CONF: &str = "# Written by Chroma\nnet:\n    - net type: tcp\n      local NI(s):\n        \
                        - interfaces:\n              0: eth0\n    - net type: o2ib\n      local NI(s):\n        \
                        - interfaces:\n              0: ib0\n          tunables:\n              peer_credits: 128\n        \
                        - interfaces:\n              0: ib1\n";

    #[test]
    fn import_adds_one_ni_per_interface_and_refuses_what_the_kernel_would() {
        use crate::commands::test_support::{cluster, run};
        let mut state = cluster();
        let file = crate::state::File {
            content: CONF.to_owned(),
            mode: "0644".into(),
        };
        state
            .files
            .entry("oss1".into())
            .or_default()
            .insert("/etc/lnet.conf".into(), file);
        let down = run(&mut state, "oss1", "lnetctl import /etc/lnet.conf");
        assert_eq!(down.code, 254, "no module: {down:?}");
        assert_eq!(run(&mut state, "oss1", "modprobe lnet").code, 0);
        let missing = run(&mut state, "oss1", "lnetctl import /etc/nothing.conf");
        assert!(
            missing.stderr.contains("cannot open '/etc/nothing.conf'"),
            "{missing:?}"
        );
        assert_eq!(run(&mut state, "oss1", "lnetctl lnet configure").code, 0);
        assert_eq!(run(&mut state, "oss1", "lnetctl import /etc/lnet.conf").code, 0);
        let shown = run(&mut state, "oss1", "lnetctl net show").stdout;
        assert!(
            shown.contains("    - net type: tcp\n      local NI(s):\n        - nid: 10.0.0.2@tcp\n"),
            "{shown}"
        );
        assert!(
            shown.contains(
                "        - nid: 10.2.0.2@o2ib\n          status: up\n          interfaces:\n              0: ib0\n"
            ),
            "{shown}"
        );
        assert!(shown.contains("        - nid: 10.3.0.2@o2ib\n"), "{shown}");
        assert_eq!(
            run(&mut state, "oss1", "lctl list_nids").stdout,
            "10.0.0.2@tcp\n10.2.0.2@o2ib\n10.3.0.2@o2ib\n"
        );
        let again = run(&mut state, "oss1", "lnetctl import /etc/lnet.conf");
        assert!(again.stderr.contains("cannot add network: File exists"), "{again:?}");
        assert_eq!(run(&mut state, "oss1", "lustre_rmmod").code, 0);
        assert!(
            state.host("oss1").unwrap().lnet_nis.is_empty(),
            "LNet down drops its NIs"
        );
    }

    #[test]
    fn reads_networks_and_their_interfaces() {
        assert_eq!(
            parse(CONF),
            vec![
                ("tcp".to_owned(), vec!["eth0".to_owned()]),
                ("o2ib".to_owned(), vec!["ib0".to_owned(), "ib1".to_owned()]),
            ]
        );
    }
}
