//! `mount -t lustre [-o OPTS] NID[,NID][:NID…]:/FSNAME[/SUBDIR] DIR`: a
//! Lustre client mount, checked as 2.15's `mount.lustre` (`parse_source`,
//! `check_mtab_entry`, the errno hints in `main`) and llite
//! (`ll_options`, `ll_show_options`) do. Where a real client waits for a
//! timeout (MGS or MDT0 not reachable) this one fails at once with the
//! same errno and words.

use super::{Context, Output};
use crate::faults::Faults;
use crate::namespace::ClientMount;
use crate::state::{now_secs, ClusterState};

/// Is `source` a client mount source (`mount.lustre`: it contains `:/`)?
pub fn is_client_source(source: &str) -> bool {
    source.contains(":/")
}

/// A parsed client source: its MGS NIDs and file system name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Every NID given, failover nodes included.
    pub nids: Vec<String>,
    /// File system name.
    pub fsname: String,
}

/// Parses `nid[,nid][:nid…]:/fsname[/subdir]`; `None` when a NID or the
/// name is malformed (`convert_hostnames` and `convert_fsname` fail).
pub fn parse_source(source: &str) -> Option<Source> {
    let (nids, rest) = source.split_once(":/")?;
    let fsname = rest.split('/').next().unwrap_or_default();
    let fsname_ok = !fsname.is_empty()
        && fsname.len() <= 8
        && fsname
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let nids: Vec<String> = nids.split([':', ',']).map(str::to_string).collect();
    let nids_ok = nids.iter().all(|n| {
        n.split_once('@').is_some_and(|(addr, net)| {
            !addr.is_empty()
                && net.starts_with(|c: char| c.is_ascii_lowercase())
                && net.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
    });
    (fsname_ok && nids_ok).then(|| Source {
        nids,
        fsname: fsname.to_string(),
    })
}

/// llite's flags, in `ll_sbi_flags_name` order, and which are on by
/// default in 2.15 (`ll_init_sbi`; `encrypt` on an encryption-enabled
/// build such as the EL8 packages).
const FLAGS: [(&str, bool); 10] = [
    ("checksum", true),
    ("localflock", false),
    ("flock", true),
    ("user_xattr", false),
    ("lruresize", true),
    ("lazystatfs", true),
    ("32bitapi", false),
    ("user_fid2path", false),
    ("verbose", true),
    ("encrypt", true),
];

/// VFS options `/proc/mounts` shows after `rw`/`ro`.
const VFS_SHOWN: [&str; 4] = ["nosuid", "nodev", "noexec", "noatime"];

/// Options util-linux takes for itself and does not pass to the kernel.
const USERSPACE: [&str; 7] = ["defaults", "_netdev", "auto", "noauto", "user", "nouser", "nofail"];

/// The `/proc/mounts` options of a client mounted with `opts`, or the
/// option llite does not know (`ll_options`: "Unknown option", EINVAL).
pub fn shown_options(opts: &str) -> Result<String, String> {
    let mut flags: Vec<(&str, bool)> = FLAGS.to_vec();
    let mut set = |name: &str, on: bool| {
        if let Some(f) = flags.iter_mut().find(|(n, _)| *n == name) {
            f.1 = on;
        }
    };
    let mut ro = false;
    let mut vfs: Vec<&str> = Vec::new();
    for opt in opts.split(',').filter(|o| !o.is_empty()) {
        match opt {
            "ro" => ro = true,
            "rw" => ro = false,
            o if VFS_SHOWN.contains(&o) => vfs.push(o),
            // Not `acl`/`noacl`: 2.15's `ll_sbi_flags_name` has them
            // after its end marker, so `ll_options` does not know them.
            "relatime" | "atime" | "suid" | "dev" | "exec" | "async" => {}
            o if USERSPACE.contains(&o) => {}
            "noflock" => {
                set("flock", false);
                set("localflock", false);
            }
            "localflock" => {
                set("localflock", true);
                set("flock", false);
            }
            "flock" => {
                set("flock", true);
                set("localflock", false);
            }
            "always_ping" => {}
            o => match o.strip_prefix("no") {
                Some(n) if FLAGS.iter().any(|(f, _)| *f == n) && n != "localflock" && n != "32bitapi" => set(n, false),
                _ if FLAGS.iter().any(|(f, _)| *f == o) => set(o, true),
                _ => return Err(o.to_string()),
            },
        }
    }
    let mut out = String::from(if ro { "ro" } else { "rw" });
    for o in VFS_SHOWN.iter().filter(|o| vfs.contains(o)) {
        out.push(',');
        out.push_str(o);
    }
    let on = |name: &str| flags.iter().any(|(n, v)| *n == name && *v);
    for (name, _) in FLAGS {
        let text = match name {
            "flock" if on("localflock") => continue,
            "flock" | "checksum" | "lruresize" | "lazystatfs" | "verbose" | "encrypt" | "user_xattr"
            | "user_fid2path"
                if !on(name) =>
            {
                format!("no{name}")
            }
            n if on(n) => n.to_string(),
            _ => continue,
        };
        out.push(',');
        out.push_str(&text);
    }
    Ok(out)
}

fn failed(source: &str, dir: &str, errno: u32, reason: &str, hint: &str) -> Output {
    Output::fail(
        format!("mount.lustre: mount {source} at {dir} failed: {reason}\n{hint}"),
        errno,
    )
}

/// Mounts file system `source` at `dir` on `ctx.host` with `opts`.
pub fn mount(source: &str, dir: &str, opts: &str, ctx: &mut Context<'_>) -> Output {
    let Some(parsed) = parse_source(source) else {
        return Output::fail(
            format!(
                "mount.lustre: can't parse {source}\nusage: mount.lustre [-fhnvV] [-o <mntopt>] <device> <mountpt>\n"
            ),
            22,
        );
    };
    let Some(dir) = crate::namespace::normalize(dir).filter(|d| ctx.state.local_dir_exists(&ctx.host, d)) else {
        return Output::fail(
            format!("warning: {dir}: cannot resolve: No such file or directory\n"),
            2,
        );
    };
    let dir = dir.as_str();
    if let Some(m) = ctx
        .state
        .clients
        .mounts
        .iter()
        .find(|m| m.host == ctx.host && m.mountpoint == dir)
    {
        if m.source == source {
            return Output::fail(
                format!("mount.lustre: according to /etc/mtab {source} is already mounted on {dir}\n"),
                17,
            );
        }
        return failed(
            source,
            dir,
            16,
            "Device or resource busy",
            "Is the backend filesystem mounted?\n Check /proc/mounts\n",
        );
    }
    if ctx
        .state
        .mounts
        .iter()
        .any(|m| m.host == ctx.host && m.mountpoint == dir)
    {
        return failed(
            source,
            dir,
            16,
            "Device or resource busy",
            "Is the backend filesystem mounted?\n Check /proc/mounts\n",
        );
    }
    let shown = match shown_options(opts) {
        Ok(shown) => shown,
        Err(_) => return invalid(source, dir, &parsed.fsname),
    };
    // Stricter than mount.lustre, whose ptlrpc would bring LNet up: a
    // client whose LNet is down (or loopback only) reaches no MGS.
    let lnet_up = ctx.state.host(&ctx.host).is_some_and(|h| h.lnet_up && !h.lnet_lo_only);
    let Some(mgs) = ctx.state.mgs_reached(&parsed.nids).filter(|_| lnet_up) else {
        return failed(source, dir, 5, "Input/output error", "Is the MGS running?\n");
    };
    let registered = ctx
        .state
        .llogs(&mgs)
        .get(&format!("{}-client", parsed.fsname))
        .is_some_and(|l| !l.is_empty());
    if !registered {
        return failed(
            source,
            dir,
            2,
            "No such file or directory",
            "Is the MGS specification correct?\nIs the filesystem name correct?\n\
             If upgrading, is the copied client log valid? (see upgrade docs)\n",
        );
    }
    if !mdt0_mounted(ctx, &parsed.fsname, &mgs) {
        return failed(source, dir, 5, "Input/output error", "Is the MGS running?\n");
    }
    let host = ctx.host.clone();
    let now_us = crate::state::now_micros();
    for module in ["mgc", "lustre"] {
        ctx.state.load_module(&host, module, now_us);
    }
    ctx.state.namespace_mut(&parsed.fsname);
    ctx.state.clients.mounts.push(ClientMount {
        host,
        source: source.to_string(),
        fsname: parsed.fsname,
        mountpoint: dir.to_string(),
        options: shown,
        since: now_secs(),
        holders: Vec::new(),
    });
    Output::ok("")
}

fn invalid(source: &str, dir: &str, fsname: &str) -> Output {
    failed(
        source,
        dir,
        22,
        "Invalid argument",
        &format!(
            "This may have multiple causes.\nIs '{fsname}' the correct filesystem name?\n\
             Are the mount options correct?\nCheck the syslog for more info.\n"
        ),
    )
}

/// Is MDT0000 of `fsname` (registered with `mgs`) mounted somewhere?
fn mdt0_mounted(ctx: &Context<'_>, fsname: &str, mgs: &str) -> bool {
    let state = &*ctx.state;
    state.devices.values().any(|d| {
        d.target
            .as_ref()
            .is_some_and(|t| t.mdt && t.fsname == fsname && t.index == Some(0))
            && state.mount_of(&d.serial).is_some()
            && state.mgs_of(&d.serial).as_deref() == Some(mgs)
    })
}

/// A RHEL 8 server's `/etc/fstab` before anyone edits it.
pub const DEFAULT_FSTAB: &str = "\n#\n# /etc/fstab\n# Created by anaconda\n#\n\
# Accessible filesystems, by reference, are maintained under '/dev/disk/'.\n\
# See man pages fstab(5), findfs(8), mount(8) and/or blkid(8) for more info.\n\
#\n\
/dev/mapper/rhel-root   /                       xfs     defaults        0 0\n\
/dev/sda1               /boot                   xfs     defaults        0 0\n\
/dev/mapper/rhel-swap   none                    swap    defaults        0 0\n";

/// `/proc/mounts` of `ctx.host`: the root file systems, the targets
/// (`lustre`, server options), then the client mounts (`NID:/fs DIR
/// lustre rw,… 0 0`).
pub fn proc_mounts(ctx: &Context<'_>) -> String {
    let mut out = String::from(
        "sysfs /sys sysfs rw,seclabel,nosuid,nodev,noexec,relatime 0 0\n\
         proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n\
         /dev/mapper/rhel-root / xfs rw,seclabel,relatime,attr2,inode64,logbufs=8,logbsize=32k,noquota 0 0\n\
         /dev/sda1 /boot xfs rw,seclabel,relatime,attr2,inode64,logbufs=8,logbsize=32k,noquota 0 0\n",
    );
    for (source, dir, opts) in super::mount::target_mounts(ctx) {
        out.push_str(&format!("{source} {dir} lustre {opts} 0 0\n"));
    }
    for m in ctx.state.clients.mounts.iter().filter(|m| m.host == ctx.host) {
        out.push_str(&format!("{} {} lustre {} 0 0\n", m.source, m.mountpoint, m.options));
    }
    out
}

/// What systemd does at boot with the host's `/etc/fstab` (as written
/// by `install … /dev/stdin /etc/fstab`): each Lustre client line marked
/// `_netdev` and not `noauto` is a remote-fs.target mount, run once the
/// network is up as `mount -t lustre -o OPTS SOURCE DIR`; mount.lustre's
/// `modprobe` loads mgc and so ptlrpc, which brings LNet up with the
/// host's networks. A mount that fails (the MGS is not up yet) stays unmounted,
/// as its failed mount unit would leave it. Returns the directories
/// mounted.
pub fn mount_fstab_at_boot(state: &mut ClusterState, faults: &Faults, host: &str, now_us: u64) -> Vec<String> {
    let Some(fstab) = state
        .files
        .get(host)
        .and_then(|f| f.get("/etc/fstab"))
        .map(|f| f.content.clone())
    else {
        return Vec::new();
    };
    let mut mounted = Vec::new();
    for line in fstab.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [source, dir, "lustre", opts, ..] = fields.as_slice() else {
            continue;
        };
        let opts: Vec<&str> = opts.split(',').collect();
        if !is_client_source(source) || !opts.contains(&"_netdev") || opts.contains(&"noauto") {
            continue;
        }
        state.load_module(host, "mgc", now_us);
        let mut ctx = Context {
            host: host.to_string(),
            state: &mut *state,
            faults: faults.clone(),
        };
        let out = mount(source, dir, &opts.join(","), &mut ctx);
        if out.code == 0 {
            mounted.push((*dir).to_string());
        } else {
            tracing::info!(host, dir, "boot: the fstab client mount failed: {}", out.stderr.trim());
        }
    }
    mounted
}

/// `umount` of a client mount at `what` (its directory or source):
/// refused while a holder uses it, unless lazy (`-l`).
pub fn umount(what: &str, lazy: bool, ctx: &mut Context<'_>) -> Option<Output> {
    let dir = crate::namespace::normalize(what).unwrap_or_else(|| what.to_string());
    let i = ctx
        .state
        .clients
        .mounts
        .iter()
        .rposition(|m| m.host == ctx.host && (m.mountpoint == dir || m.source == what))?;
    if !lazy && !ctx.state.clients.mounts[i].holders.is_empty() {
        let mountpoint = &ctx.state.clients.mounts[i].mountpoint;
        return Some(Output::fail(format!("umount: {mountpoint}: target is busy.\n"), 32));
    }
    ctx.state.clients.mounts.remove(i);
    Some(Output::ok(""))
}

#[cfg(test)]
mod tests {
    use super::{parse_source, shown_options};

    #[test]
    fn sources_name_failover_nids_and_the_file_system() {
        let s = parse_source("10.0.0.1@tcp,10.1.0.1@o2ib1:10.0.0.2@tcp:/demo/sub").unwrap_or_else(|| panic!("parses"));
        assert_eq!(s.nids, ["10.0.0.1@tcp", "10.1.0.1@o2ib1", "10.0.0.2@tcp"]);
        assert_eq!(s.fsname, "demo");
        assert_eq!(parse_source("mds1:/demo"), None);
        assert_eq!(parse_source("10.0.0.1@tcp:/"), None);
        assert_eq!(parse_source("10.0.0.1@tcp:/toolongname"), None);
    }

    #[test]
    fn options_show_as_llite_prints_them() {
        assert_eq!(
            shown_options("defaults,_netdev").as_deref(),
            Ok("rw,checksum,flock,nouser_xattr,lruresize,lazystatfs,nouser_fid2path,verbose,encrypt")
        );
        assert_eq!(
            shown_options("ro,localflock,user_xattr,noatime").as_deref(),
            Ok("ro,noatime,checksum,localflock,user_xattr,lruresize,lazystatfs,nouser_fid2path,verbose,encrypt")
        );
        assert_eq!(shown_options("bogus"), Err("bogus".to_string()));
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
pub(crate) mod client_tests {
    use crate::commands::test_support::{cluster, run};
    use crate::state::ClusterState;

    /// fs1: MGS and MDT0 on mds1, OST0 on oss1, all mounted; oss2's LNet up.
    pub(crate) fn running_fs() -> ClusterState {
        let mut state = cluster();
        for (host, line) in [
            ("mds1", "mkfs.lustre --mgs /dev/sdb"),
            (
                "mds1",
                "mkfs.lustre --mdt --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdc",
            ),
            (
                "oss1",
                "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdb",
            ),
            ("mds1", "mount -t lustre /dev/sdb /mnt/mgs"),
            ("mds1", "mount -t lustre /dev/sdc /mnt/mdt0"),
            ("oss1", "mount -t lustre /dev/sdb /mnt/ost0"),
            ("oss2", "modprobe lnet"),
            ("oss2", "lnetctl lnet configure --all"),
            ("oss2", "mkdir -p /mnt/fs1"),
        ] {
            let out = run(&mut state, host, line);
            assert_eq!(out.code, 0, "{line}: {}", out.stderr);
        }
        state
    }

    #[test]
    fn a_client_mount_shows_in_proc_mounts_and_counts_as_an_export() {
        let mut state = running_fs();
        let before = run(&mut state, "mds1", "lctl get_param -n mdt.fs1-MDT0000.num_exports").stdout;
        let out = run(
            &mut state,
            "oss2",
            "mount -t lustre -o flock,_netdev 10.0.0.1@tcp:/fs1 /mnt/fs1",
        );
        assert_eq!((out.code, out.stderr.as_str()), (0, ""));
        let mounts = run(&mut state, "oss2", "cat /proc/mounts").stdout;
        assert!(
            mounts.ends_with(
                "10.0.0.1@tcp:/fs1 /mnt/fs1 lustre \
                 rw,checksum,flock,nouser_xattr,lruresize,lazystatfs,nouser_fid2path,verbose,encrypt 0 0\n"
            ),
            "{mounts}"
        );
        let after = run(&mut state, "mds1", "lctl get_param -n mdt.fs1-MDT0000.num_exports").stdout;
        let n = |s: &str| s.trim().parse::<u64>().unwrap();
        assert_eq!(n(&after), n(&before) + 1);
        let again = run(&mut state, "oss2", "mount -t lustre 10.0.0.1@tcp:/fs1 /mnt/fs1");
        assert_eq!(
            (again.code, again.stderr.as_str()),
            (
                17,
                "mount.lustre: according to /etc/mtab 10.0.0.1@tcp:/fs1 is already mounted on /mnt/fs1\n"
            )
        );
        assert_eq!(run(&mut state, "oss2", "umount /mnt/fs1").code, 0);
        assert!(!run(&mut state, "oss2", "cat /proc/mounts").stdout.contains("fs1"));
        assert_eq!(run(&mut state, "oss2", "umount /mnt/fs1").code, 32);
    }

    #[test]
    fn a_client_mount_fails_as_mount_lustre_does() {
        let mut state = running_fs();
        let missing_dir = run(&mut state, "oss2", "mount -t lustre 10.0.0.1@tcp:/fs1 /mnt/nowhere");
        assert_eq!(
            (missing_dir.code, missing_dir.stderr.as_str()),
            (2, "warning: /mnt/nowhere: cannot resolve: No such file or directory\n")
        );
        let wrong_fs = run(&mut state, "oss2", "mount -t lustre 10.0.0.1@tcp:/fs9 /mnt/fs1");
        assert_eq!(wrong_fs.code, 2);
        assert!(
            wrong_fs.stderr.contains("Is the filesystem name correct?"),
            "{}",
            wrong_fs.stderr
        );
        let no_mgs = run(&mut state, "oss2", "mount -t lustre 10.0.0.9@tcp:/fs1 /mnt/fs1");
        assert_eq!(
            (no_mgs.code, no_mgs.stderr.as_str()),
            (
                5,
                "mount.lustre: mount 10.0.0.9@tcp:/fs1 at /mnt/fs1 failed: Input/output error\nIs the MGS running?\n"
            )
        );
        let bad_opt = run(&mut state, "oss2", "mount -t lustre -o frob 10.0.0.1@tcp:/fs1 /mnt/fs1");
        assert_eq!(bad_opt.code, 22);
        assert!(bad_opt.stderr.contains("Are the mount options correct?"));
        assert_eq!(run(&mut state, "mds1", "umount /mnt/mdt0").code, 0);
        assert_eq!(
            run(&mut state, "oss2", "mount -t lustre 10.0.0.1@tcp:/fs1 /mnt/fs1").code,
            5
        );
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdc /mnt/mdt0").code, 0);
        // A host whose LNet is down reaches no MGS.
        assert_eq!(run(&mut state, "mds1", "mkdir /mnt/fs1").code, 0);
        assert_eq!(run(&mut state, "oss2", "lnetctl lnet unconfigure").code, 0);
        assert_eq!(
            run(&mut state, "oss2", "mount -t lustre 10.0.0.1@tcp:/fs1 /mnt/fs1").code,
            5
        );
        assert!(state.clients.mounts.is_empty());
    }

    #[test]
    fn acl_is_not_a_2_15_client_option() {
        let mut state = running_fs();
        for opts in ["acl", "flock,noacl"] {
            let out = run(
                &mut state,
                "oss2",
                &format!("mount -t lustre -o {opts} 10.0.0.1@tcp:/fs1 /mnt/fs1"),
            );
            assert_eq!(out.code, 22, "{opts}: {}", out.stderr);
            assert!(out.stderr.contains("Are the mount options correct?"), "{}", out.stderr);
        }
        assert!(state.clients.mounts.is_empty());
    }

    #[test]
    fn a_reboot_mounts_the_netdev_client_lines_of_fstab_again() {
        let mut state = running_fs();
        let fstab = "/dev/sda1 /boot xfs defaults 0 0\n\
                     10.0.0.1@tcp:/fs1 /mnt/fs1 lustre flock,_netdev 0 0\n\
                     10.0.0.1@tcp:/fs1 /mnt/later lustre _netdev,noauto 0 0\n";
        state.files.entry("oss2".into()).or_default().insert(
            "/etc/fstab".into(),
            crate::state::File {
                content: fstab.into(),
                mode: "0644".into(),
            },
        );
        assert_eq!(run(&mut state, "oss2", "mkdir -p /mnt/later").code, 0);
        let faults = crate::faults::Faults::default();
        state.reboot(&faults, "oss2", crate::state::now_micros());
        let mounts = run(&mut state, "oss2", "cat /proc/mounts").stdout;
        assert!(
            mounts.contains("10.0.0.1@tcp:/fs1 /mnt/fs1 lustre rw,checksum,flock,"),
            "{mounts}"
        );
        assert!(!mounts.contains("/mnt/later"), "noauto stays unmounted: {mounts}");
        let host = state.host("oss2").unwrap();
        assert!(host.lnet_up && host.loaded("mgc"), "{host:?}");
        // With the MGS down the boot's mount fails and nothing is mounted.
        assert_eq!(run(&mut state, "mds1", "umount /mnt/mgs").code, 0);
        state.reboot(&faults, "oss2", crate::state::now_micros());
        assert!(!run(&mut state, "oss2", "cat /proc/mounts").stdout.contains("/mnt/fs1"));
    }

    #[test]
    fn a_held_client_mount_is_busy() {
        let mut state = running_fs();
        assert_eq!(
            run(&mut state, "oss2", "mount -t lustre 10.0.0.1@tcp:/fs1 /mnt/fs1").code,
            0
        );
        state.clients.mounts[0].holders.push("lhsmtool_posix".into());
        let busy = run(&mut state, "oss2", "umount /mnt/fs1");
        assert_eq!(
            (busy.code, busy.stderr.as_str()),
            (32, "umount: /mnt/fs1: target is busy.\n")
        );
        assert_eq!(run(&mut state, "oss2", "umount -l /mnt/fs1").code, 0);
    }
}
