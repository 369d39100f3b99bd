//! `stonith_admin`: exists where Pacemaker is installed; fails like the
//! real tool when the fencer is not running. Only `--list-registered`
//! (`-L`) is simulated.

use super::pacemaker::{access, cluster, not_found, Access};
use super::{Context, Output};
use crate::pacemaker::cib;

/// Runs `stonith_admin`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let view = match access(ctx) {
        Access::NotInstalled => return not_found("stonith_admin"),
        Access::NotRunning => {
            return Output::fail(
                "Could not connect to fencer: Transport endpoint is not connected\n",
                102,
            )
        }
        Access::Running(view, _) => view,
    };
    if !args.iter().any(|a| a == "-L" || a == "--list-registered") {
        return Output::fail("lustre-sim: stonith_admin supports --list-registered\n", 64);
    }
    let devices: Vec<String> = cluster(ctx, &view)
        .map(|c| {
            cib::primitives(&c.config)
                .into_iter()
                .filter(|p| p.is_stonith())
                .map(|p| p.id)
                .collect()
        })
        .unwrap_or_default();
    let mut out: String = devices.iter().map(|d| format!(" {d}\n")).collect();
    out.push_str(&format!(
        "{} fence device{} found\n",
        devices.len(),
        if devices.len() == 1 { "" } else { "s" }
    ));
    Output::ok(out)
}
