//! `udevadm info --query=symlink --name=DEV`: the device's udev links,
//! relative to `/dev` and space-separated, as systemd 239 prints them
//! (see [`crate::state::ClusterState::device_links`]); `udevadm settle`
//! and `trigger` succeed at once. A multipath path lists the LUN's by-id
//! links too (it claims them; the map wins them) and its own by-path.

use super::pacemaker::value;
use super::{Context, Output};
use crate::block::Node;

/// Runs `udevadm info|settle|trigger …`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    match args.first().map(String::as_str) {
        Some("settle" | "trigger") => return Output::ok(""),
        Some("info") => {}
        _ => return Output::fail("lustre-sim: udevadm supports info, settle and trigger\n", 2),
    }
    let rest = &args[1..];
    let query = value(rest, "--query", "-q").unwrap_or_else(|| "all".into());
    let Some(name) = value(rest, "--name", "-n").or_else(|| rest.iter().find(|a| !a.starts_with('-')).cloned()) else {
        return Output::fail("a device name or path is required\n", 2);
    };
    let path = if name.starts_with("/dev/") {
        name.clone()
    } else {
        format!("/dev/{name}")
    };
    let host = ctx.host.as_str();
    let state = &*ctx.state;
    let (links, kernel) = match state.node(host, &path) {
        Some(Node::Member {
            serial, path: member, ..
        }) => (state.member_links(host, &serial, &member), Some(member)),
        Some(Node::Partition { serial, number }) => (
            state.partition_links(host, &serial, number),
            state.partition_path(host, &serial, number),
        ),
        None => match state.resolve_device(host, &path) {
            Some(serial) => (state.device_links(host, &serial), state.kernel_path(host, &serial)),
            None => return Output::fail("device node not found\n", 2),
        },
    };
    let kernel = kernel.unwrap_or_default();
    match query.as_str() {
        "symlink" => Output::ok(format!("{}\n", links.join(" "))),
        "name" => Output::ok(format!("{}\n", kernel.trim_start_matches("/dev/"))),
        _ => Output::fail(
            format!("lustre-sim: udevadm info --query={query} is not simulated\n"),
            2,
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn links_resolve_on_every_host_that_sees_the_device() {
        let mut state = cluster();
        let out = run(&mut state, "oss1", "udevadm info --query=symlink --name=/dev/sdb");
        let links: Vec<&str> = out.stdout.trim_end().split(' ').collect();
        assert!(links[0].starts_with("disk/by-id/scsi-36001405"), "{}", out.stdout);
        assert_eq!(links[0].len(), "disk/by-id/scsi-3".len() + 32);
        assert!(links[1].starts_with("disk/by-id/wwn-0x6001405"));
        assert!(links[2].starts_with("disk/by-path/"));
        let by_id = format!("/dev/{}", links[0]);
        let partner = run(&mut state, "oss2", &format!("udevadm info -q symlink -n {by_id}"));
        assert!(
            partner.stdout.starts_with(links[0]),
            "the partner sees the same by-id link"
        );
        assert_eq!(
            run(
                &mut state,
                "mds1",
                &format!("udevadm info --query=symlink --name={by_id}")
            )
            .code,
            2
        );
        let mkfs = format!("mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp {by_id}");
        assert_eq!(run(&mut state, "oss1", &mkfs).code, 0);
        let blkid = run(&mut state, "oss2", &format!("blkid -o value -s LABEL {by_id}"));
        assert_eq!(blkid.stdout, "fs1:OST0000\n");
    }
}
