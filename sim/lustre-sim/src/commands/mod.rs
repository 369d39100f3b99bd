//! The commands a simulated server answers. Each lives in its own module as
//! `run(args, ctx) -> Output`, where `args` excludes the command name, so it
//! can be tested without SSH.

pub mod blkid;
pub mod cat;
pub mod cibadmin;
pub mod client_files;
pub mod command;
pub mod conf_values;
pub mod config_log;
pub mod console;
pub mod corosync;
pub mod crm_attribute;
pub mod crm_mon;
pub mod crm_node;
pub mod crm_resource;
pub mod df;
pub mod flock;
pub mod held;
pub mod hostname;
pub mod hsm_tool;
pub mod install;
pub mod installed;
pub mod journal_output;
pub mod journalctl;
pub mod kmod;
pub mod lctl;
pub mod lctl_param;
pub mod ldd;
pub mod lfs;
pub mod lfs_df;
pub mod lfs_hsm;
pub mod lfs_migrate;
pub mod lfs_mirror;
pub mod lfs_quota;
pub mod llog;
pub mod lnet_nets;
pub mod lnetctl;
pub mod lsblk;
pub mod lsblk_tree;
pub mod lustre_rmmod;
pub mod meminfo;
pub mod mkdir;
pub mod mkfs;
pub mod mkfs_zfs;
pub mod modinfo;
pub mod modules;
pub mod mount;
pub mod mount_client;
pub mod multipath;
pub mod mv;
pub mod osp;
pub mod pacemaker;
pub mod params;
pub mod pool;
pub mod proc_stat;
pub mod readlink;
pub mod realpath;
pub mod stonith_admin;
pub mod systemctl;
pub mod timedatectl;
pub mod tunefs;
pub mod udevadm;
pub mod umount;
pub mod uname;
pub mod zfs;
pub mod zpool;

use crate::faults::Faults;
use crate::state::ClusterState;

/// The Lustre version the simulated servers run.
pub const LUSTRE_VERSION: &str = "2.15.4";

/// The kernel release the simulated servers run.
pub const KERNEL_RELEASE: &str = "4.18.0-477.27.1.el8_lustre.x86_64";

/// What a command sees: the host it runs on and the cluster.
#[derive(Debug)]
pub struct Context<'a> {
    /// Name of the host the command runs on.
    pub host: String,
    /// The whole cluster (shared devices are visible to both hosts).
    pub state: &'a mut ClusterState,
    /// Injected faults (Pacemaker reports down hosts as offline).
    pub faults: Faults,
}

/// What a command printed and how it exited.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// Exit status.
    pub code: u32,
}

impl Output {
    /// Success with this standard output.
    pub fn ok(stdout: impl Into<String>) -> Output {
        Output {
            stdout: stdout.into(),
            stderr: String::new(),
            code: 0,
        }
    }

    /// Failure with this standard error and exit status.
    pub fn fail(stderr: impl Into<String>, code: u32) -> Output {
        Output {
            stdout: String::new(),
            stderr: stderr.into(),
            code,
        }
    }

    /// Appends another command's output (for `a && b`).
    pub fn append(&mut self, other: Output) {
        self.stdout.push_str(&other.stdout);
        self.stderr.push_str(&other.stderr);
        self.code = other.code;
    }
}

/// Whether a command with `word` among its arguments reads its stdin:
/// `install … /dev/stdin PATH`, `cibadmin … --xml-pipe`.
pub fn reads_stdin_word(word: &str) -> bool {
    word == "/dev/stdin" || word == "--xml-pipe"
}

/// Runs one command (`argv[0]` is its name, possibly a full path).
pub fn dispatch(argv: &[String], ctx: &mut Context<'_>) -> Output {
    dispatch_with_stdin(argv, ctx, None)
}

/// Runs one command with what the exec channel sent on its stdin (only
/// `install … /dev/stdin PATH` and `cibadmin --xml-pipe` read it).
pub fn dispatch_with_stdin(argv: &[String], ctx: &mut Context<'_>, stdin: Option<&str>) -> Output {
    let Some((name, args)) = argv.split_first() else {
        return Output::default();
    };
    let base = name.rsplit('/').next().unwrap_or(name);
    if let Some(missing) = installed::missing(name, args, ctx) {
        return missing;
    }
    match base {
        "command" => command::run(args, ctx, stdin),
        "modinfo" => modinfo::run(args, ctx),
        "timedatectl" => timedatectl::run(args, ctx),
        "df" => df::run(args, ctx),
        "hostname" => hostname::run(args, ctx),
        "uname" => uname::run(args, ctx),
        "lsblk" => lsblk::run(args, ctx),
        "blkid" => blkid::run(args, ctx),
        "flock" => flock::run(args, ctx),
        "lctl" => lctl::run(args, ctx),
        "lnetctl" => lnetctl::run(args, ctx),
        "modprobe" => kmod::modprobe(args, ctx),
        "rmmod" => kmod::rmmod(args, ctx),
        "lsmod" => kmod::lsmod(ctx),
        "lustre_rmmod" => lustre_rmmod::run(args, ctx),
        "mkfs.lustre" => mkfs::run(args, ctx),
        "tunefs.lustre" => tunefs::run(args, ctx),
        "mount" | "mount.lustre" => mount::run(args, ctx),
        "umount" => umount::run(args, ctx),
        "crm_mon" => crm_mon::run(args, ctx),
        "crm_resource" => crm_resource::run(args, ctx),
        "crm_attribute" => crm_attribute::run(args, ctx),
        "crm_node" => crm_node::run(args, ctx),
        "cibadmin" => cibadmin::run(args, ctx, stdin),
        "stonith_admin" => stonith_admin::run(args, ctx),
        "corosync" => corosync::run(args, ctx),
        "systemctl" => systemctl::run(args, ctx),
        "udevadm" => udevadm::run(args, ctx),
        "multipath" => multipath::run(args, ctx),
        "install" => install::run(args, ctx, stdin),
        "mv" => mv::run(args, ctx),
        "mkdir" => mkdir::run(args, ctx),
        "lfs" => lfs::run(args, ctx),
        "truncate" => client_files::size("truncate", args, false, ctx),
        "fallocate" => client_files::size("fallocate", args, true, ctx),
        "chown" => client_files::chown(args, ctx),
        "chgrp" => client_files::chgrp(args, ctx),
        "rm" => client_files::rm(args, ctx),
        "lhsmtool_posix" => hsm_tool::copytool(args, ctx),
        "pgrep" => hsm_tool::pgrep(args, ctx),
        "kill" => hsm_tool::kill(args, ctx),
        "ps" => hsm_tool::ps(args, ctx),
        "dd" => lfs_mirror::dd(args, ctx),
        "readlink" => readlink::run(args, ctx),
        "realpath" => realpath::run(args, ctx),
        "cat" => cat::run(args, ctx),
        "journalctl" => journalctl::run(args, ctx),
        "zpool" => zpool::run(args, ctx),
        // coreutils: the hostid in /etc/hostid, which ZFS's SPL uses too.
        "hostid" => Output::ok(format!("{}\n", crate::zfs::hostid(&ctx.host))),
        "zfs" => zfs::run(args, ctx),
        "true" => Output::ok(""),
        "false" => Output::fail("", 1),
        "echo" => Output::ok(format!("{}\n", args.join(" "))),
        _ => Output::fail(format!("bash: {name}: command not found\n"), 127),
    }
}

/// Does `argv` only read the cluster? Such a command runs without the
/// copy of the state taken to notice changes (a monitor polls these on
/// every host, every interval). Anything not listed here is assumed to
/// write.
pub fn is_read_only(argv: &[String]) -> bool {
    let Some((name, args)) = argv.split_first() else {
        return true;
    };
    let base = name.rsplit('/').next().unwrap_or(name);
    let first = args.first().map(String::as_str);
    let second = args.get(1).map(String::as_str);
    match base {
        "hostname" => args.is_empty() || matches!(first, Some("-f" | "--fqdn" | "-s" | "--short" | "--long")),
        "uname" | "echo" | "true" | "false" | "cat" | "journalctl" | "crm_mon" | "crm_node" | "lsblk" | "blkid"
        | "readlink" | "realpath" | "udevadm" | "lsmod" => base != "udevadm" || first == Some("info"),
        "corosync" => first == Some("-v"),
        "lfs" => matches!(first, Some("df" | "getstripe" | "quota")),
        "modinfo" | "timedatectl" | "df" | "hostid" => true,
        // Listing what is mounted of one type: `mount -t lustre`.
        "mount" => first == Some("-t") && args.len() == 2,
        // The copytool processes (`crate::hsm`): the monitor looks every round.
        "pgrep" | "ps" => true,
        "zpool" | "zfs" => matches!(first, Some("list" | "get")),
        "command" => first == Some("-v"),
        "cibadmin" => args.iter().any(|a| a == "--query" || a == "-Q"),
        "crm_resource" => crm_resource::is_read_only(args),
        "crm_attribute" => crm_attribute::is_read_only(args),
        "systemctl" => systemctl::is_read_only(args),
        "lctl" => matches!(
            first,
            Some("get_param" | "list_param" | "dl" | "device_list" | "list_nids" | "--version" | "version")
        ),
        "lnetctl" => matches!(
            (first, second),
            (Some("net" | "stats"), Some("show")) | (Some("--version"), _)
        ),
        _ => false,
    }
}

/// Splits `--key=value` into `("--key", Some("value"))`.
pub(crate) fn split_long(arg: &str) -> (&str, Option<&str>) {
    match arg.split_once('=') {
        Some((k, v)) if k.starts_with("--") => (k, Some(v)),
        _ => (arg, None),
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
pub(crate) mod test_support {
    use crate::faults::Faults;
    use crate::layout::Layout;
    use crate::state::ClusterState;

    use super::{dispatch, Context, Output};

    /// A default three-host cluster: mds1, oss1, oss2 (a pair).
    pub fn cluster() -> ClusterState {
        let names: Vec<String> = ["mds1", "oss1", "oss2"].iter().map(|s| s.to_string()).collect();
        ClusterState::from_layout(&Layout::default_for(&names))
    }

    /// Runs a shell-quoted line on `host`.
    pub fn run(state: &mut ClusterState, host: &str, line: &str) -> Output {
        run_with(state, host, line, &Faults::default())
    }

    /// Runs a shell-quoted line on `host` with these faults in force.
    pub fn run_with(state: &mut ClusterState, host: &str, line: &str, faults: &Faults) -> Output {
        let argv = shell_words::split(line).unwrap();
        let mut ctx = Context {
            host: host.to_string(),
            state,
            faults: faults.clone(),
        };
        dispatch(&argv, &mut ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{cluster, run};

    #[test]
    fn unknown_command_fails_like_bash() {
        let mut state = cluster();
        let out = run(&mut state, "mds1", "frobnicate --now");
        assert_eq!(out.code, 127);
        assert_eq!(out.stderr, "bash: frobnicate: command not found\n");
        assert!(out.stdout.is_empty());
    }

    #[test]
    fn full_paths_resolve_to_the_command() {
        let mut state = cluster();
        let out = run(&mut state, "oss1", "/usr/bin/hostname");
        assert_eq!(out.stdout, "oss1\n");
    }

    #[test]
    fn read_only_commands_leave_the_state_alone() {
        let mut state = cluster();
        for (host, line) in [
            ("mds1", "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb"),
            ("mds1", "mount -t lustre /dev/sdb /mnt/mdt0"),
            (
                "oss1",
                "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdb",
            ),
            ("oss1", "mount -t lustre /dev/sdb /mnt/ost0"),
        ] {
            assert_eq!(run(&mut state, host, line).code, 0, "{line}");
        }
        let reads = [
            "hostname",
            "uname -r",
            "echo hi",
            "cat /proc/stat /proc/meminfo /nothing",
            "journalctl -o json -n 5",
            "crm_mon -1 --as-xml",
            "lsblk -J -b -o NAME,SIZE,SERIAL,TYPE",
            "blkid -o export /dev/sdb",
            "lctl get_param obdfilter.*.stats osd-*.*.kbytesfree timeout",
            "lctl list_param mdt.*.*",
            "lctl dl",
            "lctl list_nids",
            "lnetctl net show",
            "lnetctl stats show",
            "command -v mkfs.lustre",
            "modinfo -n lnet",
            "timedatectl show -p NTPSynchronized --value",
            "df -B1 --output=avail /var/log",
            "lsmod",
            "hostname -f",
            "crm_node -n",
            "corosync -v",
            "cibadmin --query --scope resources",
            "crm_resource --resource x --locate",
            "crm_resource --resource x --get-parameter target-role --meta",
            "crm_attribute --type crm_config --name stonith-enabled --query",
            "systemctl is-active corosync",
            "systemctl is-enabled pacemaker",
            "udevadm info --query=symlink --name=/dev/sdb",
            "mount -t lustre",
        ];
        for line in reads {
            let argv = shell_words::split(line).unwrap_or_default();
            assert!(super::is_read_only(&argv), "{line}");
            for host in ["mds1", "oss1", "oss2"] {
                let before = state.clone();
                run(&mut state, host, line);
                assert!(state == before, "{line} on {host} changed the state");
            }
        }
        for line in [
            "lctl set_param x=1",
            "lnetctl lnet configure",
            "modprobe lnet",
            "lustre_rmmod",
            "mount",
            "hostname other",
            "umount /mnt",
            "systemctl start pacemaker",
            "cibadmin --create -o resources --xml-text '<primitive/>'",
            "crm_resource --resource x --move --node n",
            "crm_attribute --type crm_config --name x --update 1",
            "install -D -m 0644 /dev/stdin /etc/x",
        ] {
            let argv = shell_words::split(line).unwrap_or_default();
            assert!(!super::is_read_only(&argv), "{line}");
        }
    }
}
