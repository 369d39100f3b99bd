//! `mkfs.lustre`: formats a device as an MGT, MDT or OST (ldiskfs), with the
//! output and refusals of Lustre 2.15's `mkfs.lustre`.

use super::{console, ldd, split_long, Context, Output};
use crate::state::{now_micros, Target};

/// Options parsed from the command line.
#[derive(Debug, Default)]
struct Options {
    mgs: bool,
    mdt: bool,
    ost: bool,
    fsname: Option<String>,
    index: Option<u32>,
    mgsnodes: Vec<String>,
    servicenodes: Vec<String>,
    failnodes: Vec<String>,
    params: Vec<String>,
    mount_opts: Option<String>,
    mkfs_options: Option<String>,
    reformat: bool,
    dryrun: bool,
    device: Option<String>,
    /// `--backfstype=zfs`: `device` is `pool/dataset`.
    zfs: bool,
    /// Positionals after the device: the vdevs of a pool to create.
    vdevs: Vec<String>,
}

const WITH_VALUE: [&str; 14] = [
    "--fsname",
    "--index",
    "--mgsnode",
    "--servicenode",
    "--failnode",
    "--param",
    "--mountfsoptions",
    "--mkfsoptions",
    "--backfstype",
    "--comment",
    "--device-size",
    "--stripe-count-hint",
    "--network",
    "--quota",
];

fn parse(args: &[String]) -> Result<Options, Output> {
    let mut opts = Options::default();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let (key, inline) = split_long(arg);
        let key = match key {
            "-L" => "--fsname",
            "-i" => "--index",
            "-m" => "--mgsnode",
            "-s" => "--servicenode",
            "-f" => "--failnode",
            "-p" => "--param",
            "-r" => "--reformat",
            "-n" => "--dryrun",
            other => other,
        };
        let value = if WITH_VALUE.contains(&key) {
            match inline.map(str::to_string).or_else(|| iter.next().cloned()) {
                Some(v) => Some(v),
                None => return Err(usage(&format!("mkfs.lustre: option '{key}' requires an argument\n"))),
            }
        } else {
            None
        };
        let value = value.unwrap_or_default();
        match key {
            "--mgs" => opts.mgs = true,
            "--mdt" => opts.mdt = true,
            "--ost" => opts.ost = true,
            "--reformat" => opts.reformat = true,
            "--dryrun" => opts.dryrun = true,
            "--verbose" | "-v" | "--quiet" | "-q" | "--replace" => {}
            "--fsname" => opts.fsname = Some(check_fsname(&value)?),
            "--index" => {
                let index = value
                    .parse::<u32>()
                    .ok()
                    .filter(|i| *i < 0xffff)
                    .ok_or_else(|| Output::fail(format!("mkfs.lustre: bad index '{value}'\n"), 22))?;
                opts.index = Some(index);
            }
            "--mgsnode" => opts.mgsnodes.push(value),
            "--servicenode" => opts.servicenodes.push(value),
            "--failnode" => opts.failnodes.push(value),
            "--param" => opts.params.push(value),
            "--mountfsoptions" => opts.mount_opts = Some(value),
            "--mkfsoptions" => opts.mkfs_options = Some(value),
            "--backfstype" => opts.zfs = value == "zfs",
            "--comment" | "--device-size" | "--stripe-count-hint" | "--network" | "--quota" => {}
            other if other.starts_with('-') => {
                return Err(usage(&format!("mkfs.lustre: unrecognized option '{other}'\n")));
            }
            device if opts.device.is_none() => opts.device = Some(device.to_string()),
            vdev => opts.vdevs.push(vdev.to_string()),
        }
    }
    Ok(opts)
}

fn usage(first: &str) -> Output {
    Output::fail(
        format!(
            "{first}Usage: mkfs.lustre <target type> [--backfstype=zfs] --fsname=<filesystem name>\n\
             \t--index=<target index> [options] <device>\n"
        ),
        22,
    )
}

/// Lustre's rule: 1 to 8 characters, letters, digits, `_` and `-`.
fn check_fsname(name: &str) -> Result<String, Output> {
    if name.is_empty() || name.len() > 8 {
        return Err(Output::fail("mkfs.lustre: filesystem name must be 1-8 chars\n", 1));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(Output::fail(
            format!("mkfs.lustre: char '{bad}' not allowed in filesystem name\n"),
            1,
        ));
    }
    Ok(name.to_string())
}

pub(super) fn fatal(message: &str, code: u32, strerror: &str) -> Output {
    Output {
        stdout: format!("mkfs.lustre: exiting with {code} ({strerror})\n"),
        stderr: format!("\nmkfs.lustre FATAL: {message}\n"),
        code,
    }
}

fn build_target(opts: &Options) -> Result<Target, Output> {
    if !(opts.mgs || opts.mdt || opts.ost) {
        return Err(fatal("must set target type: MDT,OST,MGS", 22, "Invalid argument"));
    }
    if opts.ost && (opts.mdt || opts.mgs) {
        return Err(fatal("OST type is exclusive with MDT,MGS", 22, "Invalid argument"));
    }
    if !opts.mgs && opts.mgsnodes.is_empty() {
        return Err(fatal("Must specify --mgs or --mgsnode", 22, "Invalid argument"));
    }
    if (opts.mdt || opts.ost) && opts.index.is_none() {
        return Err(fatal(
            "The target index must be specified with --index",
            22,
            "Invalid argument",
        ));
    }
    if !opts.servicenodes.is_empty() && !opts.failnodes.is_empty() {
        return Err(fatal(
            "--servicenode and --failnode cannot be used together",
            22,
            "Invalid argument",
        ));
    }
    let mut params = Vec::new();
    if !opts.mgsnodes.is_empty() {
        params.push(format!("mgsnode={}", opts.mgsnodes.join(":")));
    }
    let failover = if opts.servicenodes.is_empty() {
        &opts.failnodes
    } else {
        &opts.servicenodes
    };
    if !failover.is_empty() {
        params.push(format!("failover.node={}", failover.join(":")));
    }
    params.extend(opts.params.iter().cloned());
    let default_opts = if opts.zfs {
        ""
    } else if opts.ost {
        ",errors=remount-ro"
    } else {
        "user_xattr,errors=remount-ro"
    };
    Ok(Target {
        mgs: opts.mgs,
        mdt: opts.mdt,
        ost: opts.ost,
        fsname: opts.fsname.clone().unwrap_or_else(|| {
            if opts.mdt || opts.ost {
                "lustre".to_string()
            } else {
                String::new()
            }
        }),
        index: if opts.mdt || opts.ost { opts.index } else { None },
        params,
        mount_opts: opts.mount_opts.clone().unwrap_or_else(|| default_opts.to_string()),
        first_time: true,
        no_primnode: !opts.servicenodes.is_empty(),
        writeconf: false,
        no_local_logs: false,
        mkfs_options: opts.mkfs_options.clone(),
        zfs_dataset: None,
        uuid: String::new(),
    })
}

/// What mke2fs says of an `-I`/`-i` value it refuses (`misc/mke2fs.c`:
/// "invalid inode size %d (min %d/max %d)", "invalid inode ratio %s (min
/// %d/max %d)"; 4096-byte blocks).
fn mke2fs_refusal(options: &str) -> Option<String> {
    let words: Vec<&str> = options.split_whitespace().collect();
    for pair in words.windows(2) {
        let value = pair[1];
        let number: Option<u32> = value.parse().ok();
        match pair[0] {
            "-I" if !number.is_some_and(|n| (128..=4096).contains(&n) && n.is_power_of_two()) => {
                return Some(format!("invalid inode size {value} (min 128/max 4096)"));
            }
            "-i" if !number.is_some_and(|n| (1024..=67_108_864).contains(&n)) => {
                return Some(format!("invalid inode ratio {value} (min 1024/max 67108864)"));
            }
            _ => {}
        }
    }
    None
}

/// Runs `mkfs.lustre OPTIONS DEVICE`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let opts = match parse(args) {
        Ok(opts) => opts,
        Err(out) => return out,
    };
    let Some(device) = opts.device.clone() else {
        return fatal(
            "Not enough arguments - device name or pool/dataset name not specified.",
            22,
            "Invalid argument",
        );
    };
    let mut target = match build_target(&opts) {
        Ok(t) => t,
        Err(out) => return out,
    };
    if opts.zfs {
        return super::mkfs_zfs::run(&device, &opts.vdevs, target, opts.reformat, opts.dryrun, ctx);
    }
    if !opts.vdevs.is_empty() {
        return usage("mkfs.lustre: vdevs are only for --backfstype=zfs\n");
    }
    if let Some(refused) = super::held::refuse_mkfs(ctx, &device) {
        return refused;
    }
    let Some(serial) = ctx.state.resolve_device(&ctx.host, &device) else {
        return fatal(
            &format!("Unable to open {device}: No such file or directory"),
            2,
            "No such file or directory",
        );
    };
    if let Some(why) = target.mkfs_options.as_deref().and_then(mke2fs_refusal) {
        return Output {
            stdout: format!("   mke2fs: {why}\n"),
            stderr: format!(
                "\nmkfs.lustre FATAL: Unable to build fs {device} (256)\n\nmkfs.lustre FATAL: mkfs failed 256\n"
            ),
            code: 1,
        };
    }
    // Like Lustre 2.15's `check_mtab_entry`, only this host's mounts are
    // checked: `--reformat` runs mke2fs with `-F`, past multi-mount
    // protection, so a target live on the partner server is overwritten.
    if let Some(mount) = ctx.state.mount_of(&serial).filter(|m| m.host == ctx.host) {
        return Output::fail(
            format!(
                "mkfs.lustre: according to /proc/mounts {device} is already mounted on {}\n",
                mount.mountpoint
            ),
            16,
        );
    }
    let Some(dev) = ctx.state.devices.get_mut(&serial) else {
        return fatal(
            &format!("Unable to open {device}: No such file or directory"),
            2,
            "No such file or directory",
        );
    };
    let mut stdout = ldd::print("Permanent disk data", &target);
    if !opts.reformat {
        // A ZFS vdev holds no ldiskfs Lustre data (mke2fs -F overwrites it).
        if dev.target.as_ref().is_some_and(|t| t.zfs_dataset.is_none()) {
            stdout.push_str("checking for existing Lustre data: found\n");
            let mut out = fatal(
                &format!(
                    "Device {device} was previously formatted for lustre. Use --reformat to reformat it, \
                     or tunefs.lustre to modify."
                ),
                17,
                "File exists",
            );
            out.stdout = format!("{stdout}{}", out.stdout);
            return out;
        }
        stdout.push_str("checking for existing Lustre data: not found\n");
    }
    let kib = dev.size / 1024;
    let label = target.label();
    let options = if target.ost {
        "-J size=1024 -I 512 -i 69905 -q -O extents,uninit_bg,dir_nlink,quota,project,huge_file,^fast_commit,flex_bg \
         -G 256 -E resize=\"4290772992\",lazy_journal_init=\"0\",lazy_itable_init=\"0\" -F"
    } else {
        "-J size=4096 -I 1024 -i 2560 -q -O dirdata,uninit_bg,^extents,dir_nlink,quota,project,huge_file,\
         ea_inode,large_dir,^fast_commit,flex_bg -E lazy_journal_init=\"0\",lazy_itable_init=\"0\" -F"
    };
    stdout.push_str(&format!(
        "device size = {mb}MB\nformatting backing filesystem ldiskfs on {device}\n\
         \ttarget name   {label}\n\tkilobytes     {kib}\n\toptions        {options}\n\
         mkfs_cmd = mke2fs -j -b 4096 -L {label}  {options} {device} {kib}k\n",
        mb = dev.size >> 20,
    ));
    if opts.dryrun {
        stdout.push_str("exiting before disk write.\n");
        return Output::ok(stdout);
    }
    stdout.push_str("Writing CONFIGS/mountdata\n");
    dev.format_count += 1;
    target.uuid = fs_uuid(&serial, dev.format_count);
    dev.target = Some(target);
    ctx.state.zpools.retain(|p| !p.vdevs.contains(&serial));
    let host = ctx.host.clone();
    console::formatted(ctx.state, &host, &device, now_micros());
    Output::ok(stdout)
}

/// A stable, UUID-shaped file-system id for the n-th format of a device.
pub(super) fn fs_uuid(serial: &str, n: u64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in serial.bytes().chain(n.to_le_bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let g = h.rotate_left(29).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xffff,
        g >> 48,
        g & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use crate::commands::test_support::{cluster, run};

    const OST: &str = "mkfs.lustre --ost --fsname=fs1 --index=3 --mgsnode=10.0.0.1@tcp \
                       --servicenode=10.0.0.2@tcp --servicenode=10.0.0.3@tcp /dev/sdb";

    #[test]
    fn formats_an_ost_and_prints_its_disk_data() {
        let mut state = cluster();
        let out = run(&mut state, "oss1", OST);
        assert_eq!(out.code, 0, "{out:?}");
        assert!(out
            .stdout
            .starts_with("\n   Permanent disk data:\nTarget:     fs1:OST0003\nIndex:      3\n"));
        assert!(out
            .stdout
            .contains("Flags:      0x1062\n              (OST first_time update no_primnode )\n"));
        assert!(out.stdout.contains("Persistent mount opts: ,errors=remount-ro\n"));
        assert!(out
            .stdout
            .contains("Parameters: mgsnode=10.0.0.1@tcp failover.node=10.0.0.2@tcp:10.0.0.3@tcp\n"));
        assert!(out.stdout.contains("checking for existing Lustre data: not found\n"));
        assert!(out.stdout.ends_with("Writing CONFIGS/mountdata\n"));
        let serial = state.resolve_device("oss2", "/dev/sdb").unwrap();
        assert_eq!(state.devices[&serial].format_count, 1);
    }

    #[test]
    fn refuses_to_overwrite_a_target_without_reformat() {
        let mut state = cluster();
        assert_eq!(run(&mut state, "oss1", OST).code, 0);
        // The partner host sees the same device.
        let out = run(&mut state, "oss2", OST);
        assert_eq!(out.code, 17);
        assert!(out
            .stderr
            .contains("mkfs.lustre FATAL: Device /dev/sdb was previously formatted for lustre."));
        assert!(out.stdout.contains("checking for existing Lustre data: found\n"));
        let reformat = run(&mut state, "oss2", &format!("{OST} --reformat"));
        assert_eq!(reformat.code, 0);
        assert!(!reformat.stdout.contains("checking for existing"));
        let serial = state.resolve_device("oss2", "/dev/sdb").unwrap();
        assert_eq!(state.devices[&serial].format_count, 2);
    }

    #[test]
    fn reformat_checks_this_hosts_mounts_only() {
        let mut state = cluster();
        let mgs = "mkfs.lustre --mgs /dev/sdb";
        assert_eq!(run(&mut state, "oss1", mgs).code, 0);
        assert_eq!(run(&mut state, "oss1", "mount -t lustre /dev/sdb /mnt/MGS").code, 0);
        let here = run(&mut state, "oss1", &format!("{mgs} --reformat"));
        assert_eq!(here.code, 16);
        assert_eq!(
            here.stderr,
            "mkfs.lustre: according to /proc/mounts /dev/sdb is already mounted on /mnt/MGS\n"
        );
        // As with the real tool, the partner's live mount does not stop it.
        assert_eq!(run(&mut state, "oss2", &format!("{mgs} --reformat")).code, 0);
        let serial = state.resolve_device("oss2", "/dev/sdb").unwrap();
        assert_eq!(state.devices[&serial].format_count, 2);
    }

    #[test]
    fn validates_the_fsname_and_target_type() {
        let mut state = cluster();
        let long = run(
            &mut state,
            "mds1",
            "mkfs.lustre --mdt --fsname=waytoolongname --index=0 --mgsnode=x@tcp /dev/sdc",
        );
        assert_eq!(
            (long.code, long.stderr.as_str()),
            (1, "mkfs.lustre: filesystem name must be 1-8 chars\n")
        );
        let bad = run(
            &mut state,
            "mds1",
            "mkfs.lustre --mdt --fsname=a.b --index=0 --mgsnode=x@tcp /dev/sdc",
        );
        assert_eq!(bad.stderr, "mkfs.lustre: char '.' not allowed in filesystem name\n");
        let none = run(&mut state, "mds1", "mkfs.lustre --fsname=fs /dev/sdc");
        assert_eq!(none.code, 22);
        let no_mgs = run(&mut state, "mds1", "mkfs.lustre --ost --fsname=fs --index=0 /dev/sdc");
        assert!(no_mgs.stderr.contains("Must specify --mgs or --mgsnode"));
        let missing = run(&mut state, "mds1", "mkfs.lustre --mgs /dev/sdz");
        assert_eq!(missing.code, 2);
    }

    #[test]
    fn a_lone_mgs_has_no_index() {
        let mut state = cluster();
        let out = run(&mut state, "mds1", "mkfs.lustre --mgs /dev/sdb");
        assert_eq!(out.code, 0);
        assert!(out
            .stdout
            .contains("Target:     MGS\nIndex:      unassigned\nLustre FS:  \n"));
        assert!(out
            .stdout
            .contains("Flags:      0x64\n              (MGS first_time update )\n"));
        assert!(out.stdout.contains("Parameters:\n"));
    }
}
