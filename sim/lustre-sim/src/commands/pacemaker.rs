//! What the Pacemaker command-line tools share: whether Pacemaker is
//! installed and running on the host they run on, and the cluster they
//! then talk to.

use super::{Context, Output};
use crate::pacemaker::{self, ClusterView, HaCluster};

/// How a tool reaches the cluster from this host.
pub(crate) enum Access {
    /// `--no-pacemaker`: the tool does not exist.
    NotInstalled,
    /// Pacemaker is not running here.
    NotRunning,
    /// Connected: the cluster's view and this host's node name.
    Running(ClusterView, String),
}

/// Where `ctx.host` stands.
pub(crate) fn access(ctx: &Context<'_>) -> Access {
    if !pacemaker::installed(ctx.state, &ctx.host) {
        return Access::NotInstalled;
    }
    match pacemaker::local(ctx.state, &ctx.faults, &ctx.host) {
        Some((view, me)) => Access::Running(view, me),
        None => Access::NotRunning,
    }
}

/// bash's answer for a tool that is not installed.
pub(crate) fn not_found(name: &str) -> Output {
    Output::fail(format!("bash: {name}: command not found\n"), 127)
}

/// The cluster's CIB, for reading.
pub(crate) fn cluster<'a>(ctx: &'a Context<'_>, view: &ClusterView) -> Option<&'a HaCluster> {
    ctx.state.ha.clusters.get(&view.name)
}

/// Seconds since the epoch, now.
pub(crate) fn now() -> u64 {
    crate::state::now_secs()
}

/// The value of `--long VALUE`, `--long=VALUE`, `-s VALUE` or `-sVALUE`.
pub(crate) fn value(args: &[String], long: &str, short: &str) -> Option<String> {
    args.iter().enumerate().find_map(|(i, a)| {
        if a == long || (!short.is_empty() && a == short) {
            args.get(i + 1).cloned()
        } else if let Some(v) = a.strip_prefix(&format!("{long}=")) {
            Some(v.to_string())
        } else if !short.is_empty() && a.len() > short.len() && a.starts_with(short) && !a.starts_with("--") {
            Some(a[short.len()..].to_string())
        } else {
            None
        }
    })
}

/// Is `--long` or `-s` given?
pub(crate) fn has(args: &[String], long: &str, short: &str) -> bool {
    args.iter().any(|a| a == long || (!short.is_empty() && a == short))
}
