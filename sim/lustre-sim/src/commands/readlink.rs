//! `readlink -f [--] PATH…`: each path made canonical, one per line, as
//! GNU coreutils prints it. A device link (`/dev/disk/by-id/…`) resolves to
//! the host's kernel name of that device (`/dev/sdb`, `/dev/dm-0` for a
//! multipath map or its `/dev/mapper` name); any other path that
//! exists nowhere in the simulation is printed as given (GNU `-f` allows a
//! missing last component); a path under a missing directory prints
//! nothing and makes the exit status 1, as the real one does.

use super::{Context, Output};
use crate::block::Node;

/// Runs `readlink -f …`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let mut canonical = false;
    let mut paths = Vec::new();
    let mut options_done = false;
    for a in args {
        match a.as_str() {
            "--" if !options_done => options_done = true,
            "-f" | "--canonicalize" if !options_done => canonical = true,
            other if other.starts_with('-') && !options_done => {
                return Output::fail(format!("lustre-sim: readlink supports -f only, not {other}\n"), 1)
            }
            path => paths.push(path.to_owned()),
        }
    }
    if !canonical {
        return Output::fail("lustre-sim: readlink supports -f only\n", 1);
    }
    if paths.is_empty() {
        return Output::fail(
            "readlink: missing operand\nTry 'readlink --help' for more information.\n",
            1,
        );
    }
    let mut out = Output::ok("");
    for path in paths {
        let device = kernel_name(ctx, &path);
        match device {
            Some(kernel) => out.stdout.push_str(&format!("{kernel}\n")),
            None if path.starts_with("/dev/disk/") => out.code = 1,
            None => out.stdout.push_str(&format!("{path}\n")),
        }
    }
    out
}

/// The kernel path `path` names on the host: a multipath map's `dm-N`, a
/// path's or partition's own name.
pub(super) fn kernel_name(ctx: &Context<'_>, path: &str) -> Option<String> {
    let (host, state) = (ctx.host.as_str(), &*ctx.state);
    match state.node(host, path) {
        Some(Node::Member { path, .. }) => Some(path),
        Some(Node::Partition { serial, number }) => state.partition_path(host, &serial, number),
        None => state.kernel_path(host, &state.resolve_device(host, path)?),
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn device_links_resolve_to_the_kernel_name() {
        let mut state = cluster();
        let link = run(&mut state, "oss1", "udevadm info --query=symlink --name=/dev/sdb")
            .stdout
            .split_whitespace()
            .next()
            .map(|l| format!("/dev/{l}"))
            .unwrap_or_default();
        let out = run(&mut state, "oss1", &format!("readlink -f -- {link} /dev/sdb /mnt/x"));
        assert_eq!(out.stdout, "/dev/sdb\n/dev/sdb\n/mnt/x\n");
        assert_eq!(out.code, 0);
        let missing = run(&mut state, "oss1", "readlink -f /dev/disk/by-id/wwn-0xnothing");
        assert_eq!((missing.stdout.as_str(), missing.code), ("", 1));
        assert_eq!(run(&mut state, "oss1", "readlink /dev/sdb").code, 1);
    }
}
