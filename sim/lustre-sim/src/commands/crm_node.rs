//! `crm_node -n|-l|-p|-q|-i`: the local node name, the cluster's nodes
//! and quorum, as Pacemaker 2.1.5's `tools/crm_node.c` prints them (it
//! asks the controller, so it fails when Pacemaker is not running here).

use super::pacemaker::{access, not_found, Access};
use super::{Context, Output};

/// Runs `crm_node`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let (view, me) = match access(ctx) {
        Access::NotInstalled => return not_found("crm_node"),
        Access::NotRunning => return Output::fail("error: Could not connect to controller: Connection refused\n", 102),
        Access::Running(view, me) => (view, me),
    };
    let flag = args.iter().find(|a| a.starts_with('-')).map(String::as_str);
    match flag {
        Some("-n" | "--name") => Output::ok(format!("{me}\n")),
        Some("-i" | "--cluster-id") => Output::ok(format!("{}\n", view.node(&me).map_or(0, |n| n.id))),
        Some("-q" | "--quorum") => {
            let mut out = Output::ok(format!("{}\n", u8::from(view.quorate)));
            if !view.quorate {
                out.code = 106;
            }
            out
        }
        Some("-l" | "--list" | "-p" | "--partition") => {
            let mut nodes = view.nodes.clone();
            nodes.sort_by_key(|n| n.name.to_lowercase());
            if matches!(flag, Some("-l" | "--list")) {
                let lines: String = nodes
                    .iter()
                    .map(|n| format!("{} {} {}\n", n.id, n.name, if n.member { "member" } else { "lost" }))
                    .collect();
                Output::ok(lines)
            } else {
                let names: String = nodes
                    .iter()
                    .filter(|n| n.member)
                    .map(|n| format!("{} ", n.name))
                    .collect();
                Output::ok(format!("{names}\n"))
            }
        }
        _ => Output::fail("crm_node: lustre-sim supports -n, -i, -q, -l and -p\n", 64),
    }
}
