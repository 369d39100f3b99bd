//! OST pools: `lctl pool_new`, `pool_add`, `pool_remove`, `pool_destroy`
//! and `pool_list`, after Lustre 2.15.4's `jt_pool_cmd` (`lustre/utils/obd.c`)
//! and the MGS's `mgs_iocontrol_pool`/`mgs_pool_cmd` (`lustre/mgs/`).
//!
//! A pool lives in the configuration logs of the file system's MGS: each
//! change is a marked section (`new_pool`, `add_pool`, `remove_pool`,
//! `del_pool`) in every MDT log and the client log; `pool_remove` and
//! `pool_destroy` mark the section they cancel `SKIP`, so `llog_print` no
//! longer shows it. What a pool holds is read back from the client log.

use super::config_log::MARKER;
use super::{Context, Output};

/// Lustre's `LOV_MAXPOOLNAME`.
pub const MAX_POOL_NAME: usize = 15;
/// Lustre's `LUSTRE_MAXFSNAME`.
const MAX_FS_NAME: usize = 8;

const EINVAL: i32 = 22;
const ENOENT: i32 = 2;
const EEXIST: i32 = 17;
const ENOTEMPTY: i32 = 39;
const ENAMETOOLONG: i32 = 36;
const ENODEV: i32 = 19;

fn strerror(errno: i32) -> &'static str {
    match errno {
        EINVAL => "Invalid argument",
        ENOENT => "No such file or directory",
        EEXIST => "File exists",
        ENOTEMPTY => "Directory not empty",
        ENAMETOOLONG => "File name too long",
        ENODEV => "No such device",
        _ => "Unknown error",
    }
}

/// The help `lctl` prints for a pool command given the wrong arguments.
fn help(cmd: &str) -> Output {
    let text = match cmd {
        "pool_new" => "add a new pool\nusage: pool_new <fsname>.<poolname>",
        "pool_add" => "add the named OSTs to the pool\nusage: pool_add <fsname>.<poolname> <ostname indexed list>",
        "pool_remove" => {
            "remove the named OST from the pool\nusage: pool_remove <fsname>.<poolname> <ostname indexed list>"
        }
        "pool_destroy" => "destroy a pool\nusage: pool_destroy <fsname>.<poolname>",
        _ => "list pools and pools members\nusage: pool_list  <fsname>[.<poolname>] | <pathname>",
    };
    Output::fail(format!("{cmd}: {text}\n"), 1)
}

/// A pool command's event, as `class_config_yaml_output` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    New,
    Add,
    Rem,
    Del,
}

impl Cmd {
    fn event(self) -> &'static str {
        match self {
            Cmd::New => "new_pool",
            Cmd::Add => "add_pool",
            Cmd::Rem => "remove_pool",
            Cmd::Del => "del_pool",
        }
    }
}

/// Runs `lctl CMD ARGS…` for the five pool commands.
pub fn run(cmd: &str, args: &[String], ctx: &mut Context<'_>) -> Output {
    match (cmd, args) {
        ("pool_list", [target]) => list(target, ctx),
        ("pool_new", [full]) => single(Cmd::New, cmd, full, ctx),
        ("pool_destroy", [full]) => single(Cmd::Del, cmd, full, ctx),
        ("pool_add", [full, osts @ ..]) if !osts.is_empty() => members(Cmd::Add, cmd, full, osts, ctx),
        ("pool_remove", [full, osts @ ..]) if !osts.is_empty() => members(Cmd::Rem, cmd, full, osts, ctx),
        _ => help(cmd),
    }
}

/// What `lctl` prints where it finds no MGS device (`get_mgs_device`).
fn no_mgs_here(ctx: &Context<'_>) -> String {
    let loaded = ctx.state.host(&ctx.host).is_some_and(|h| h.loaded("obdclass"));
    let lookup = if loaded {
        "No device found for name MGS: Invalid argument\n"
    } else {
        "opening /dev/obd failed: No such file or directory\nhint: the kernel modules may not be loaded\n\
         No device found for name MGS: No such file or directory\n"
    };
    format!("{lookup}This command must be run on the MGS.\n")
}

/// `extract_fsname_poolname`: `FS.POOL` split, the pool name cut to
/// `LOV_MAXPOOLNAME` characters as lctl keeps it for its own checks.
fn split(full: &str) -> Result<(String, String), String> {
    let usage = || format!("argument {full} must be <fsname>.<poolname>\n");
    let Some((fs, pool)) = full.split_once('.') else {
        return Err(format!(". is missing in {full}\n{}", usage()));
    };
    if fs.is_empty() {
        return Err(format!("fsname is empty\n{}", usage()));
    }
    if pool.is_empty() {
        return Err(format!("poolname is empty\n{}", usage()));
    }
    let pool: String = pool.chars().take(MAX_POOL_NAME).collect();
    if is_reserved(&pool) {
        return Err(format!("poolname cannot be '{pool}'\n"));
    }
    Ok((fs.to_string(), pool))
}

/// `lov_pool_is_reserved`: `ignore`, `inherit` and `none`.
fn is_reserved(pool: &str) -> bool {
    matches!(pool, "ignore" | "inherit" | "none")
}

/// The pools of a file system as its MGS's client log holds them, each
/// with its OSTs (`FS-OSTxxxx_UUID`) in the order they were added.
pub fn pools(logs: &crate::state::Llogs, fs: &str) -> Vec<(String, Vec<String>)> {
    let mut pools: Vec<(String, Vec<String>)> = Vec::new();
    let Some(records) = logs.get(&format!("{fs}-client")) else {
        return pools;
    };
    for body in records.iter().filter(|b| b.as_str() != MARKER) {
        let Some((event, fields)) = parse_pool_record(body) else {
            continue;
        };
        if fields.fsname != fs {
            continue;
        }
        let position = pools.iter().position(|(name, _)| *name == fields.pool);
        match (event, position) {
            (Cmd::New, None) => pools.push((fields.pool, Vec::new())),
            (Cmd::Del, Some(i)) => {
                pools.remove(i);
            }
            (Cmd::Add, Some(i)) => {
                if let Some(ost) = fields.ost {
                    if !pools[i].1.contains(&ost) {
                        pools[i].1.push(ost);
                    }
                }
            }
            (Cmd::Rem, Some(i)) => pools[i].1.retain(|o| Some(o) != fields.ost.as_ref()),
            _ => {}
        }
    }
    pools
}

struct PoolFields {
    fsname: String,
    pool: String,
    ost: Option<String>,
}

/// `event: add_pool, device: D, fsname: F, pool: P, ost: O`.
fn parse_pool_record(body: &str) -> Option<(Cmd, PoolFields)> {
    let mut parts = body.split(", ");
    let event = parts.next()?.strip_prefix("event: ")?;
    let cmd = [Cmd::New, Cmd::Add, Cmd::Rem, Cmd::Del]
        .into_iter()
        .find(|c| c.event() == event)?;
    let mut fields = PoolFields {
        fsname: String::new(),
        pool: String::new(),
        ost: None,
    };
    for part in parts {
        let (key, value) = part.split_once(": ")?;
        match key {
            "fsname" => fields.fsname = value.to_string(),
            "pool" => fields.pool = value.to_string(),
            "ost" => fields.ost = Some(value.to_string()),
            _ => {}
        }
    }
    Some((cmd, fields))
}

/// The OSTs registered in the file system (`add_osc` in its client log),
/// as the MDT's LOD lists them in `lov.*.target_obd`.
fn registered(logs: &crate::state::Llogs, fs: &str, ost: &str) -> bool {
    logs.get(&format!("{fs}-client")).is_some_and(|records| {
        records
            .iter()
            .any(|b| b.starts_with("event: add_osc, ") && b.contains(&format!(" ost: {ost},")))
    })
}

/// `pool_new` and `pool_destroy`.
fn single(cmd: Cmd, name: &str, full: &str, ctx: &mut Context<'_>) -> Output {
    let (fs, pool) = match split(full) {
        Ok(split) => split,
        Err(message) => return errno_fail(name, message, EINVAL),
    };
    let Some(mgs) = ctx.state.mgs_on(&ctx.host) else {
        return errno_fail(name, no_mgs_here(ctx), ENODEV);
    };
    // `lctl_search_ost` checks against the MGS's `FS-client` log wherever
    // the MGS runs (since 2.13, LU-11743); MDT0000 need not be mounted.
    let mut stderr = String::new();
    let current = pools(ctx.state.llogs(&mgs), &fs);
    let found = current.iter().find(|(p, _)| *p == pool);
    match (cmd, found) {
        (Cmd::New, Some(_)) => {
            return errno_fail(name, format!("Pool {fs}.{pool} already exists\n"), EEXIST);
        }
        (Cmd::Del, None) => return errno_fail(name, format!("Pool {fs}.{pool} not found\n"), ENOENT),
        (Cmd::Del, Some((_, osts))) if !osts.is_empty() => {
            return errno_fail(
                name,
                format!("Pool {fs}.{pool} not empty, please remove all members\n"),
                ENOTEMPTY,
            );
        }
        _ => {}
    }
    if let Err(errno) = mgs_pool_cmd(ctx, &mgs, cmd, full, None) {
        stderr.push_str(&ioctl_error(name, errno));
        return errno_fail(name, stderr, errno);
    }
    let verb = if cmd == Cmd::New { "created" } else { "destroyed" };
    stderr.push_str(&format!("Pool {fs}.{pool} {verb}\n"));
    Output {
        stdout: String::new(),
        stderr,
        code: 0,
    }
}

/// `pool_add` and `pool_remove` with one or more OST lists.
fn members(cmd: Cmd, name: &str, full: &str, lists: &[String], ctx: &mut Context<'_>) -> Output {
    let (fs, pool) = match split(full) {
        Ok(split) => split,
        Err(message) => return errno_fail(name, message, EINVAL),
    };
    let Some(mgs) = ctx.state.mgs_on(&ctx.host) else {
        return errno_fail(name, no_mgs_here(ctx), ENODEV);
    };
    let mut stderr = String::new();
    let mut first_error = 0;
    for list in lists {
        let Some(names) = expand(list) else {
            return help(name);
        };
        let mut done = Vec::new();
        for raw in names {
            let ost = match complete_ostname(&fs, &raw) {
                Ok(ost) => ost,
                Err(message) => {
                    stderr.push_str(&message);
                    let errno = if first_error == 0 { EINVAL } else { first_error };
                    return errno_fail(name, stderr, errno);
                }
            };
            let result = check_member(ctx, &mgs, cmd, &fs, &pool, &ost)
                .and_then(|()| mgs_pool_cmd(ctx, &mgs, cmd, full, Some(&ost)).map_err(|e| (ioctl_error(name, e), e)));
            match result {
                Ok(()) => done.push(ost),
                Err((message, errno)) => {
                    stderr.push_str(&message);
                    if first_error == 0 {
                        first_error = errno;
                    }
                }
            }
        }
        for ost in done {
            stderr.push_str(&match cmd {
                Cmd::Add => format!("OST {ost} added to pool {fs}.{pool}\n"),
                _ => format!("OST {ost} removed from pool {fs}.{pool}\n"),
            });
        }
    }
    if first_error != 0 {
        return errno_fail(name, stderr, first_error);
    }
    Output {
        stdout: String::new(),
        stderr,
        code: 0,
    }
}

/// `check_pool_cmd` for one OST of `pool_add`/`pool_remove`.
fn check_member(ctx: &Context<'_>, mgs: &str, cmd: Cmd, fs: &str, pool: &str, ost: &str) -> Result<(), (String, i32)> {
    let logs = ctx.state.llogs(mgs);
    let current = pools(logs, fs);
    let Some((_, osts)) = current.iter().find(|(p, _)| p == pool) else {
        return Err((format!("Pool {fs}.{pool} not found\n"), ENOENT));
    };
    let member = osts.iter().any(|o| o == ost);
    match cmd {
        Cmd::Add if member => Err((format!("OST {ost} is already in pool {fs}.{pool}\n"), EEXIST)),
        Cmd::Add if !registered(logs, fs, ost) => Err((format!("OST {ost} is not part of the '{fs}' fs.\n"), ENOENT)),
        Cmd::Rem if !member => Err((format!("OST {ost} not found in pool {fs}.{pool}\n"), ENOENT)),
        _ => Ok(()),
    }
}

/// What `pool_cmd` adds to an MGS error.
fn ioctl_error(name: &str, errno: i32) -> String {
    match errno {
        ENAMETOOLONG => format!(
            "error: {name}: either the pool or file system name is too long (max pool name len is {MAX_POOL_NAME} and file system name is {MAX_FS_NAME})\n"
        ),
        EINVAL => format!(
            "error: {name} can contain only alphanumeric characters, underscores, and dashes besides the required '.'\n"
        ),
        _ => String::new(),
    }
}

/// `jt_pool_cmd`'s end: `perror(argv[0])`, exit with the errno.
fn errno_fail(name: &str, mut stderr: String, errno: i32) -> Output {
    stderr.push_str(&format!("{name}: {}\n", strerror(errno)));
    Output::fail(stderr, errno.unsigned_abs())
}

/// `get_array_idx`: `fs1-OST[0-3/2,5]` → the names with each index as
/// four hex digits; a name without brackets as it is. `None` where the
/// range does not parse (lctl then prints the command's help).
fn expand(rule: &str) -> Option<Vec<String>> {
    let (Some(open), Some(close)) = (rule.find('['), rule.find(']')) else {
        return Some(vec![rule.to_string()]);
    };
    if close < open {
        return None;
    }
    let (head, inner, tail) = (&rule[..open], &rule[open + 1..close], &rule[close + 1..]);
    let mut names = Vec::new();
    for part in inner.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, step.parse::<u32>().ok()?),
            None => (part, 1),
        };
        let (lo, hi) = match range.split_once('-') {
            Some((lo, hi)) => (u32::from_str_radix(lo, 16).ok()?, u32::from_str_radix(hi, 16).ok()?),
            None => {
                let lo = u32::from_str_radix(range, 16).ok()?;
                (lo, lo)
            }
        };
        if hi < lo || step == 0 {
            return None;
        }
        let mut i = lo;
        while i <= hi {
            names.push(format!("{head}{i:04x}{tail}"));
            i += step;
        }
    }
    Some(names)
}

/// `check_and_complete_ostname`: `OST0001`, `fs1-OST0001` and
/// `fs1-OST0001_UUID` all become `fs1-OST0001_UUID`.
fn complete_ostname(fs: &str, ost: &str) -> Result<String, String> {
    let full = if ost.contains('-') {
        if !ost.starts_with(fs) {
            return Err(format!("{ost} does not start with fsname {fs}\n"));
        }
        ost.to_string()
    } else {
        format!("{fs}-{ost}")
    };
    let rest = full.get(fs.len() + 1..).unwrap_or_default();
    let Some(rest) = rest.strip_prefix("OST") else {
        return Err(format!("{ost} does not start by {fs}-OST nor OST\n"));
    };
    let digits = rest.get(..4).unwrap_or(rest);
    if digits.len() < 4 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("ost's index in {ost} is not an hexa number\n"));
    }
    match &rest[4..] {
        "" => Ok(format!("{full}_UUID")),
        "_UUID" => Ok(full),
        _ => Err(format!("ostname {ost} does not end with _UUID\n")),
    }
}

/// The MGS's side (`mgs_iocontrol_pool`, `mgs_pool_cmd`): validates the
/// name, then writes the change to every MDT log and the client log.
fn mgs_pool_cmd(ctx: &mut Context<'_>, mgs: &str, cmd: Cmd, full: &str, ost: Option<&str>) -> Result<(), i32> {
    if !full
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        return Err(EINVAL);
    }
    let (fs, pool) = full.split_once('.').ok_or(EINVAL)?;
    if pool.is_empty() || is_reserved(pool) {
        return Err(EINVAL);
    }
    if pool.len() > MAX_POOL_NAME {
        return Err(ENAMETOOLONG);
    }
    if fs.is_empty() {
        return Err(EINVAL);
    }
    if fs.len() > MAX_FS_NAME {
        return Err(ENAMETOOLONG);
    }
    let logs = ctx.state.llogs_mut(mgs);
    let client = format!("{fs}-client");
    // "FS is not defined": the MGS has no client log of that name.
    if logs.get(&client).is_none_or(Vec::is_empty) {
        return Err(EINVAL);
    }
    if let Some(ost) = ost {
        if ost.rsplit_once('-').is_none_or(|(prefix, _)| prefix != fs) {
            return Err(EINVAL);
        }
    }
    // A pool or member that already has its live section: EEXIST from
    // `mgs_check_marker`.
    let current = pools(logs, fs);
    let found = current.iter().find(|(p, _)| p == pool);
    match (cmd, found) {
        (Cmd::New, Some(_)) => return Err(EEXIST),
        (Cmd::Add, Some((_, osts))) if ost.is_some_and(|o| osts.iter().any(|m| m == o)) => return Err(EEXIST),
        _ => {}
    }
    let mut targets: Vec<(String, String)> = logs
        .keys()
        .filter(|name| is_mdt_log(name, fs))
        .map(|name| (name.clone(), format!("{name}-mdtlov")))
        .collect();
    targets.push((client, format!("{fs}-clilov")));
    for (log, lov) in targets {
        let mut body = format!("event: {}, device: {lov}, fsname: {fs}, pool: {pool}", cmd.event());
        if let Some(ost) = ost {
            body.push_str(&format!(", ost: {ost}"));
        }
        let records = logs.entry(log).or_default();
        // `mgs_modify(…, CM_SKIP)`: the section this change cancels.
        let cancelled = match cmd {
            Cmd::Rem => Some(body.replacen("event: remove_pool", "event: add_pool", 1)),
            Cmd::Del => Some(body.replacen("event: del_pool", "event: new_pool", 1)),
            _ => None,
        };
        if let Some(cancelled) = cancelled {
            for record in records.iter_mut().filter(|r| **r == cancelled) {
                *record = MARKER.to_string();
            }
        }
        records.push(MARKER.to_string());
        records.push(body);
        records.push(MARKER.to_string());
    }
    Ok(())
}

/// `FS-MDTxxxx`: an MDT's own log.
fn is_mdt_log(name: &str, fs: &str) -> bool {
    name.strip_prefix(fs)
        .and_then(|rest| rest.strip_prefix("-MDT"))
        .is_some_and(|index| index.len() == 4 && index.chars().all(|c| c.is_ascii_hexdigit()))
}

/// `lctl pool_list FS` or `lctl pool_list FS.POOL`: through the MDT's
/// `lov` pools where it runs here (`llapi_poollist`), else from the MGS's
/// client log (`llog_poollist`); both print the same lines.
fn list(target: &str, ctx: &mut Context<'_>) -> Output {
    let (fs, pool) = match target.split_once('.') {
        Some((fs, pool)) => {
            if fs.is_empty() || pool.is_empty() {
                return errno_fail("pool_list", split(target).err().unwrap_or_default(), EINVAL);
            }
            (
                fs.to_string(),
                Some(pool.chars().take(MAX_POOL_NAME).collect::<String>()),
            )
        }
        None => (target.to_string(), None),
    };
    let Some(mgs) = ctx.state.mgs_on(&ctx.host) else {
        let mut out = help("pool_list");
        out.stderr = format!(
            "{}Cannot run pool_list command since there is no local MGS/MDT or client\n{}",
            no_mgs_here(ctx),
            out.stderr
        );
        return out;
    };
    let logs = ctx.state.llogs(&mgs);
    let known = logs.contains_key(&format!("{fs}-client"));
    let current = pools(logs, &fs);
    match pool {
        None => {
            let mut stdout = format!("Pools from {fs}:\n");
            for (name, _) in &current {
                stdout.push_str(&format!("{fs}.{name}\n"));
            }
            if known {
                Output::ok(stdout)
            } else {
                Output {
                    stdout,
                    stderr: String::new(),
                    code: ENOENT.unsigned_abs(),
                }
            }
        }
        Some(pool) => {
            let mut stdout = format!("Pool: {fs}.{pool}\n");
            match current.iter().find(|(p, _)| *p == pool) {
                Some((_, osts)) => {
                    for ost in osts {
                        stdout.push_str(&format!("{ost}\n"));
                    }
                    Output::ok(stdout)
                }
                None => Output {
                    stdout,
                    stderr: String::new(),
                    code: ENOENT.unsigned_abs(),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::{cluster, run};

    /// fs1: MGS+MDT0 on mds1, OST0000 and OST0001 on oss1, OST0002 on oss2.
    fn file_system(state: &mut crate::state::ClusterState) {
        for (host, line) in [
            ("mds1", "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb"),
            ("mds1", "mount -t lustre /dev/sdb /mnt/mdt0"),
            (
                "oss1",
                "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdb",
            ),
            ("oss1", "mount -t lustre /dev/sdb /mnt/ost0"),
            (
                "oss1",
                "mkfs.lustre --ost --fsname=fs1 --index=1 --mgsnode=10.0.0.1@tcp /dev/sdc",
            ),
            ("oss1", "mount -t lustre /dev/sdc /mnt/ost1"),
            (
                "oss2",
                "mkfs.lustre --ost --fsname=fs1 --index=2 --mgsnode=10.0.0.1@tcp /dev/sdd",
            ),
            ("oss2", "mount -t lustre /dev/sdd /mnt/ost2"),
        ] {
            let out = run(state, host, line);
            assert_eq!(out.code, 0, "{line}: {}", out.stderr);
        }
    }

    #[test]
    fn a_pool_is_created_filled_listed_emptied_and_destroyed() {
        let mut state = cluster();
        file_system(&mut state);
        let new = run(&mut state, "mds1", "lctl pool_new fs1.fast");
        assert_eq!((new.code, new.stderr.as_str()), (0, "Pool fs1.fast created\n"));
        assert_eq!(
            run(&mut state, "mds1", "lctl pool_list fs1").stdout,
            "Pools from fs1:\nfs1.fast\n"
        );
        let add = run(&mut state, "mds1", "lctl pool_add fs1.fast fs1-OST[0-2/2]");
        assert_eq!(
            (add.code, add.stderr.as_str()),
            (
                0,
                "OST fs1-OST0000_UUID added to pool fs1.fast\nOST fs1-OST0002_UUID added to pool fs1.fast\n"
            )
        );
        assert_eq!(run(&mut state, "mds1", "lctl pool_add fs1.fast OST0001").code, 0);
        assert_eq!(
            run(&mut state, "mds1", "lctl pool_list fs1.fast").stdout,
            "Pool: fs1.fast\nfs1-OST0000_UUID\nfs1-OST0002_UUID\nfs1-OST0001_UUID\n"
        );
        let busy = run(&mut state, "mds1", "lctl pool_destroy fs1.fast");
        assert_eq!(
            (busy.code, busy.stderr.as_str()),
            (
                39,
                "Pool fs1.fast not empty, please remove all members\npool_destroy: Directory not empty\n"
            )
        );
        let remove = run(&mut state, "mds1", "lctl pool_remove fs1.fast fs1-OST0000_UUID");
        assert_eq!(
            (remove.code, remove.stderr.as_str()),
            (0, "OST fs1-OST0000_UUID removed from pool fs1.fast\n")
        );
        // The cancelled `add` section no longer prints; the removal does.
        let client = run(&mut state, "mds1", "lctl llog_print fs1-client").stdout;
        assert!(!client.contains("add_pool, device: fs1-clilov, fsname: fs1, pool: fast, ost: fs1-OST0000_UUID"));
        assert!(
            client.contains("event: remove_pool, device: fs1-clilov, fsname: fs1, pool: fast, ost: fs1-OST0000_UUID }"),
            "{client}"
        );
        let mdt = run(&mut state, "mds1", "lctl llog_print fs1-MDT0000").stdout;
        assert!(mdt.contains("event: new_pool, device: fs1-MDT0000-mdtlov, fsname: fs1, pool: fast }"));
        assert_eq!(run(&mut state, "mds1", "lctl pool_remove fs1.fast OST[1-2]").code, 0);
        let gone = run(&mut state, "mds1", "lctl pool_destroy fs1.fast");
        assert_eq!((gone.code, gone.stderr.as_str()), (0, "Pool fs1.fast destroyed\n"));
        assert_eq!(
            run(&mut state, "mds1", "lctl pool_list fs1").stdout,
            "Pools from fs1:\n"
        );
        let missing = run(&mut state, "mds1", "lctl pool_list fs1.fast");
        assert_eq!((missing.code, missing.stdout.as_str()), (2, "Pool: fs1.fast\n"));
        // The name can be used again.
        assert_eq!(run(&mut state, "mds1", "lctl pool_new fs1.fast").code, 0);
    }

    #[test]
    fn refusals_print_what_lctl_prints() {
        let mut state = cluster();
        file_system(&mut state);
        assert_eq!(run(&mut state, "mds1", "lctl pool_new fs1.p").code, 0);
        let cases = [
            ("lctl pool_new fs1.p", 17, "Pool fs1.p already exists\npool_new: File exists\n"),
            (
                "lctl pool_new fs1.a+b",
                22,
                "error: pool_new can contain only alphanumeric characters, underscores, and dashes besides the required '.'\npool_new: Invalid argument\n",
            ),
            (
                "lctl pool_new fs1.sixteen_chars_xx",
                36,
                "error: pool_new: either the pool or file system name is too long (max pool name len is 15 and file system name is 8)\npool_new: File name too long\n",
            ),
            ("lctl pool_new fs1.inherit", 22, "poolname cannot be 'inherit'\npool_new: Invalid argument\n"),
            (
                "lctl pool_new fs1",
                22,
                ". is missing in fs1\nargument fs1 must be <fsname>.<poolname>\npool_new: Invalid argument\n",
            ),
            ("lctl pool_add fs1.q OST0000", 2, "Pool fs1.q not found\npool_add: No such file or directory\n"),
            (
                "lctl pool_add fs1.p OST0009",
                2,
                "OST fs1-OST0009_UUID is not part of the 'fs1' fs.\npool_add: No such file or directory\n",
            ),
            (
                "lctl pool_add fs1.p fs2-OST0000",
                22,
                "fs2-OST0000 does not start with fsname fs1\npool_add: Invalid argument\n",
            ),
            (
                "lctl pool_add fs1.p MDT0000",
                22,
                "MDT0000 does not start by fs1-OST nor OST\npool_add: Invalid argument\n",
            ),
            (
                "lctl pool_remove fs1.p OST0001",
                2,
                "OST fs1-OST0001_UUID not found in pool fs1.p\npool_remove: No such file or directory\n",
            ),
            ("lctl pool_destroy fs1.q", 2, "Pool fs1.q not found\npool_destroy: No such file or directory\n"),
            ("lctl pool_new other.p", 22, "error: pool_new can contain only alphanumeric characters, underscores, and dashes besides the required '.'\npool_new: Invalid argument\n"),
        ];
        for (line, code, stderr) in cases {
            let out = run(&mut state, "mds1", line);
            assert_eq!((out.code, out.stderr.as_str()), (code, stderr), "{line}");
        }
        assert_eq!(run(&mut state, "mds1", "lctl pool_add fs1.p OST0000").code, 0);
        let twice = run(&mut state, "mds1", "lctl pool_add fs1.p OST0000 OST0001");
        assert_eq!(
            (twice.code, twice.stderr.as_str()),
            (
                17,
                "OST fs1-OST0000_UUID is already in pool fs1.p\nOST fs1-OST0001_UUID added to pool fs1.p\npool_add: File exists\n"
            )
        );
        assert_eq!(
            run(&mut state, "mds1", "lctl pool_list fs1.p").stdout,
            "Pool: fs1.p\nfs1-OST0000_UUID\nfs1-OST0001_UUID\n"
        );
    }

    #[test]
    fn pools_need_only_the_mgs_running_here() {
        let mut state = cluster();
        let cold = run(&mut state, "mds1", "lctl pool_new fs1.p");
        assert_eq!(cold.code, 19, "{cold:?}");
        assert!(cold
            .stderr
            .ends_with("This command must be run on the MGS.\npool_new: No such device\n"));
        // A standalone MGS on mds1, MDT0000 on oss2: lctl checks against
        // the MGS's client log (2.13+, LU-11743).
        for (host, line) in [
            ("mds1", "mkfs.lustre --mgs /dev/sdb"),
            ("mds1", "mount -t lustre /dev/sdb /mnt/mgs"),
            (
                "oss2",
                "mkfs.lustre --mdt --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdd",
            ),
            ("oss2", "mount -t lustre /dev/sdd /mnt/mdt0"),
            (
                "oss1",
                "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdb",
            ),
            ("oss1", "mount -t lustre /dev/sdb /mnt/ost0"),
        ] {
            let out = run(&mut state, host, line);
            assert_eq!(out.code, 0, "{line}: {}", out.stderr);
        }
        let new = run(&mut state, "mds1", "lctl pool_new fs1.p");
        assert_eq!((new.code, new.stderr.as_str()), (0, "Pool fs1.p created\n"));
        let add = run(&mut state, "mds1", "lctl pool_add fs1.p OST0000");
        assert_eq!(
            (add.code, add.stderr.as_str()),
            (0, "OST fs1-OST0000_UUID added to pool fs1.p\n")
        );
        // MDT0000 stopped: the MGS alone still checks and changes pools.
        assert_eq!(run(&mut state, "oss2", "umount /mnt/mdt0").code, 0);
        let remove = run(&mut state, "mds1", "lctl pool_remove fs1.p OST0000");
        assert_eq!(remove.code, 0, "{remove:?}");
        assert_eq!(run(&mut state, "mds1", "lctl pool_list fs1.p").stdout, "Pool: fs1.p\n");
        let twice = run(&mut state, "mds1", "lctl pool_remove fs1.p OST0000");
        assert_eq!(twice.code, 2, "{twice:?}");
        let oss = run(&mut state, "oss1", "lctl pool_list fs1");
        assert_eq!(oss.code, 1);
        assert!(oss
            .stderr
            .contains("Cannot run pool_list command since there is no local MGS/MDT or client\n"));
    }
}
