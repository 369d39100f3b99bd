//! What software a simulated server has installed, and the commands it
//! therefore lacks. A host started with `--no-lustre` has neither Lustre's
//! utilities nor its kernel modules: its Lustre tools answer as bash does
//! for a command that does not exist (`bash: lctl: command not found`,
//! status 127), `mount -t lustre` as util-linux does without the
//! `mount.lustre` helper or the module (`unknown filesystem type`, status
//! 32) and `modprobe` of a Lustre module as kmod does for a module that is
//! not there. Pacemaker's tools answer for themselves (`--no-pacemaker`,
//! see `commands::pacemaker`).

use super::{pacemaker, Context, Output, KERNEL_RELEASE};

/// The commands the `lustre` package installs (lustre-release
/// `lustre.spec.in`), as the simulator answers them.
pub const LUSTRE_TOOLS: [&str; 7] = [
    "lctl",
    "lfs",
    "lnetctl",
    "mkfs.lustre",
    "tunefs.lustre",
    "mount.lustre",
    "lustre_rmmod",
];

/// util-linux's second line after a failed mount(2).
const DMESG_HINT: &str = "       dmesg(1) may have more information after failed mount system call.\n";

/// Is Lustre installed on `ctx.host`?
pub fn lustre(ctx: &Context<'_>) -> bool {
    ctx.state.host(&ctx.host).is_some_and(|h| !h.no_lustre)
}

/// The answer of command `name` (a name or a path; `args` after it) when
/// what it needs is not installed on the host; `None` when it may run.
pub fn missing(name: &str, args: &[String], ctx: &Context<'_>) -> Option<Output> {
    if lustre(ctx) {
        return None;
    }
    let base = name.rsplit('/').next().unwrap_or(name);
    if LUSTRE_TOOLS.contains(&base) {
        if name.contains('/') {
            return Some(Output::fail(format!("bash: {name}: No such file or directory\n"), 127));
        }
        return Some(pacemaker::not_found(base));
    }
    match base {
        // Listing (`mount -t lustre` alone) works without Lustre.
        "mount" if lustre_type(args) && positional(args).len() >= 2 => {
            let target = positional(args).last().copied().unwrap_or_default();
            Some(Output::fail(
                format!("mount: {target}: unknown filesystem type 'lustre'.\n{DMESG_HINT}"),
                32,
            ))
        }
        "modprobe" => {
            let module = args.iter().find(|a| !a.starts_with('-') && !a.contains('='))?;
            super::modules::known(module)?;
            Some(Output::fail(
                format!("modprobe: FATAL: Module {module} not found in directory /lib/modules/{KERNEL_RELEASE}\n"),
                1,
            ))
        }
        _ => None,
    }
}

/// mount's arguments that are neither options nor their values.
fn positional(args: &[String]) -> Vec<&str> {
    let mut words = Vec::new();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "-t" | "--types" | "-o" | "--options" | "-L" | "-U" => {
                iter.next();
            }
            other if other.starts_with('-') => {}
            other => words.push(other),
        }
    }
    words
}

/// `-t lustre` / `-tlustre` / `--types lustre` among mount's arguments.
fn lustre_type(args: &[String]) -> bool {
    args.iter().enumerate().any(|(i, a)| {
        let next = args.get(i + 1).map(String::as_str);
        match a.as_str() {
            "-t" | "--types" => next == Some("lustre"),
            other => other == "-tlustre" || other == "--types=lustre",
        }
    })
}

/// Where bash finds `name` on a simulated EL8 server (root's `PATH` puts
/// `/usr/sbin` before `/usr/bin`; `/sbin` and `/bin` are links to them),
/// or the name itself for a shell builtin; `None` when it is not
/// installed there.
pub fn path(name: &str, ctx: &Context<'_>) -> Option<String> {
    const BUILTINS: [&str; 4] = ["command", "echo", "true", "false"];
    const SBIN: [&str; 21] = [
        "zpool",
        "zfs",
        "blkid",
        "lctl",
        "lnetctl",
        "mkfs.lustre",
        "tunefs.lustre",
        "mount.lustre",
        "lustre_rmmod",
        "crm_mon",
        "crm_resource",
        "crm_attribute",
        "crm_node",
        "cibadmin",
        "stonith_admin",
        "corosync",
        "modinfo",
        "modprobe",
        "rmmod",
        "lsmod",
        "multipath",
    ];
    const BIN: [&str; 16] = [
        "hostid",
        "hostname",
        "uname",
        "lsblk",
        "flock",
        "mount",
        "umount",
        "systemctl",
        "udevadm",
        "install",
        "mkdir",
        "readlink",
        "cat",
        "journalctl",
        "timedatectl",
        "df",
    ];
    const PACEMAKER: [&str; 7] = [
        "crm_mon",
        "crm_resource",
        "crm_attribute",
        "crm_node",
        "cibadmin",
        "stonith_admin",
        "corosync",
    ];
    if BUILTINS.contains(&name) {
        return Some(name.to_owned());
    }
    if (LUSTRE_TOOLS.contains(&name) && !lustre(ctx))
        || (PACEMAKER.contains(&name) && !crate::pacemaker::installed(ctx.state, &ctx.host))
    {
        return None;
    }
    if SBIN.contains(&name) {
        Some(format!("/usr/sbin/{name}"))
    } else if BIN.contains(&name) {
        Some(format!("/usr/bin/{name}"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    #[test]
    fn without_lustre_its_tools_do_not_exist() {
        let mut state = cluster();
        if let Some(h) = state.host_mut("oss1") {
            h.no_lustre = true;
        }
        for tool in ["lctl --version", "lnetctl --version", "mkfs.lustre --help"] {
            let out = run(&mut state, "oss1", tool);
            let name = tool.split(' ').next().unwrap_or_default();
            assert_eq!(out.code, 127, "{tool}");
            assert_eq!(out.stderr, format!("bash: {name}: command not found\n"));
        }
        let out = run(&mut state, "oss1", "/usr/sbin/tunefs.lustre");
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (127, "bash: /usr/sbin/tunefs.lustre: No such file or directory\n")
        );
        let out = run(&mut state, "oss1", "mount -t lustre /dev/sdb /mnt/ost0");
        assert_eq!(out.code, 32);
        assert_eq!(
            out.stderr,
            "mount: /mnt/ost0: unknown filesystem type 'lustre'.\n       \
             dmesg(1) may have more information after failed mount system call.\n"
        );
        let out = run(&mut state, "oss1", "mount -t lustre");
        assert_eq!((out.code, out.stdout.as_str()), (0, ""), "listing needs no Lustre");
        let out = run(&mut state, "oss1", "modprobe lnet");
        assert_eq!(out.code, 1);
        assert!(
            out.stderr.starts_with("modprobe: FATAL: Module lnet not found"),
            "{}",
            out.stderr
        );
        // The other servers still have it, and the host keeps its other tools.
        assert_eq!(run(&mut state, "oss2", "lctl --version").code, 0);
        assert_eq!(run(&mut state, "oss1", "uname -r").code, 0);
    }
}
