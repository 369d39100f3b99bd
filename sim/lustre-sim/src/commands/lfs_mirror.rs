//! File level redundancy (FLR) on a Lustre client, as 2.15's `lfs`
//! (`lustre/utils/lfs.c`: `lfs_mirror_create`/`mirror_create`,
//! `mirror_extend`, `lfs_mirror_resync_file`, `lfs_mirror_verify_file`)
//! and liblustreapi (`lov_dump_comp_v1*`) do it:
//! - `lfs mirror create -N[COUNT] [-c N] [-S SIZE] [-p POOL] [-N…] FILE`
//!   makes a new mirrored file (options after each `-N` are that mirror's);
//! - `lfs mirror extend -N[COUNT] [-c N] [-S SIZE] [-p POOL] FILE` adds
//!   mirrors to an existing file;
//! - `dd … of=FILE` writes it: every mirror but one becomes `stale` and the
//!   file `wp` (write pending);
//! - `lfs mirror resync FILE` clears `stale`; `lfs mirror verify [-v] FILE`
//!   checks the mirrors that are in sync;
//! - `lfs getstripe FILE` prints the composite layout ([`composite_block`]).
//!
//! A mirrored file keeps its first mirror's layout as the [`Entry`]'s (what
//! `lfs getstripe -c` and the quota code read) and its composite layout in
//! [`Namespace::flr`], valid while the two agree.

use serde::{Deserialize, Serialize};

use super::lfs::{client_path, parse_size};
use super::{Context, Output};
use crate::namespace::{Entry, Kind, Layout, Namespace, DEFAULT_STRIPE_SIZE};
use crate::state::ClusterState;

/// Lustre's `LUSTRE_MIRROR_COUNT_MAX`.
const MIRROR_COUNT_MAX: usize = 16;
/// `MIRROR_ID_SHIFT`: a component id is `mirror_id << 16 | sequence`.
const MIRROR_ID_SHIFT: u32 = 16;
/// `LUSTRE_EOF` as `DEXT` prints it.
const EOF_HEX: &str = "0xffffffffffffffff";

/// A file's composite (mirrored) layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flr {
    /// `lcm_layout_gen`: bumped by every layout change.
    pub layout_gen: u32,
    /// `wp` (a write made mirrors stale) rather than `ro`.
    #[serde(default)]
    pub write_pending: bool,
    /// The mirrors, one component each (extent `[0, EOF)`).
    pub mirrors: Vec<Mirror>,
}

/// One mirror of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mirror {
    /// `lcme_mirror_id`.
    pub id: u32,
    /// `lcme_id`.
    pub component_id: u32,
    /// Out of date since a write (`lcme_flags: stale`).
    #[serde(default)]
    pub stale: bool,
    /// Preferred for reads and writes (`prefer`).
    #[serde(default)]
    pub prefer: bool,
    /// Its RAID0 layout with objects.
    pub layout: Layout,
}

/// The composite layout of `path` in `ns`, when it has a valid one.
pub fn flr_of<'a>(ns: &'a Namespace, path: &str) -> Option<&'a Flr> {
    let entry = ns.entries.get(path)?;
    let flr = ns.flr.get(path)?;
    (entry.kind == Kind::File && entry.layout.as_ref() == flr.mirrors.first().map(|m| &m.layout)).then_some(flr)
}

/// The OST indexes of pool `fsname.pool` as the file system's MGS holds
/// them (`lctl pool_new`/`pool_add`, [`super::pool::pools`]); `None` when
/// there is no such pool.
pub fn pool_members(state: &ClusterState, fsname: &str, pool: &str) -> Option<Vec<u32>> {
    let mgs = state.devices.values().find_map(|d| {
        let t = d.target.as_ref()?;
        (t.fsname == fsname && !t.mgs)
            .then(|| state.mgs_of(&d.serial))
            .flatten()
    })?;
    let pools = super::pool::pools(state.llogs(&mgs), fsname);
    let (_, osts) = pools.into_iter().find(|(name, _)| name == pool)?;
    Some(
        osts.iter()
            .filter_map(|uuid| {
                let hex = uuid.strip_suffix("_UUID")?.rsplit_once("-OST")?.1;
                u32::from_str_radix(hex, 16).ok()
            })
            .collect(),
    )
}

/// `lfs mirror SUBCOMMAND …`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let Some((sub, rest)) = args.split_first() else {
        return Output::fail(
            "lfs mirror: no command given\nTry 'lfs mirror help' for more information.\n",
            22,
        );
    };
    match sub.as_str() {
        "create" | "extend" => create_or_extend(sub, rest, ctx),
        "resync" => resync(rest, ctx),
        "verify" => verify(rest, ctx),
        other => Output::fail(
            format!("lfs mirror: '{other}' is not a valid command. See 'lfs mirror --list-commands'.\n"),
            22,
        ),
    }
}

/// What one `-N` asked for.
#[derive(Debug, Clone)]
struct Asked {
    count: usize,
    stripe_count: Option<i64>,
    stripe_size: Option<u64>,
    pool: Option<String>,
}

fn usage(prog: &str, what: &str) -> Output {
    Output::fail(
        format!(
            "{prog}: {what}\nusage: {prog} {{--mirror-count|-N[mirror_count]}} [SETSTRIPE_OPTIONS|-f <victim_file>] ... <filename|directory> ...\n"
        ),
        22,
    )
}

fn parse_mirrors(prog: &str, args: &[String]) -> Result<(Vec<Asked>, String), Output> {
    let mut asked: Vec<Asked> = Vec::new();
    let mut files = Vec::new();
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        let (flag, inline) = super::split_long(a);
        if let Some(count) = flag.strip_prefix("-N").or_else(|| flag.strip_prefix("--mirror-count")) {
            let count = inline.unwrap_or(count);
            let n = if count.is_empty() {
                1
            } else {
                match count.parse::<usize>() {
                    Ok(n) if (1..=MIRROR_COUNT_MAX).contains(&n) => n,
                    _ => return Err(Output::fail(format!("error: {prog}: bad mirror count: {count}\n"), 22)),
                }
            };
            asked.push(Asked {
                count: n,
                stripe_count: None,
                stripe_size: None,
                pool: None,
            });
            continue;
        }
        if !flag.starts_with('-') {
            files.push(a.clone());
            continue;
        }
        let Some(current) = asked.last_mut() else {
            return Err(Output::fail(
                format!("error: {prog}: --mirror-count|-N option is required\n"),
                22,
            ));
        };
        let value = inline.map(str::to_string).or_else(|| iter.next().cloned());
        match flag {
            "-c" | "--stripe-count" => match value.and_then(|v| v.parse::<i64>().ok()).filter(|c| *c >= -1) {
                Some(c) => current.stripe_count = Some(c),
                None => return Err(usage(prog, "invalid stripe count")),
            },
            "-S" | "--stripe-size" => match value.and_then(|v| parse_size(&v)) {
                Some(s) if s % 65536 == 0 && s > 0 && s < (4 << 30) => current.stripe_size = Some(s),
                _ => return Err(usage(prog, "invalid stripe size")),
            },
            "-p" | "--pool" => match value {
                Some(p) if p.len() > 15 && !p.contains('.') => {
                    return Err(Output::fail(
                        format!("Pool name '{}' is longer than 15\n", &p[..15]),
                        22,
                    ))
                }
                Some(p) if !p.is_empty() => current.pool = Some(p),
                _ => return Err(usage(prog, "invalid pool name")),
            },
            other => return Err(usage(prog, &format!("unrecognized option '{other}'"))),
        }
    }
    if asked.is_empty() {
        return Err(Output::fail(
            format!("error: {prog}: --mirror-count|-N option is required\n"),
            22,
        ));
    }
    match files.as_slice() {
        [one] => Ok((asked, one.clone())),
        [] => Err(Output::fail(format!("{prog}: FILE must be specified\n"), 22)),
        _ => Err(usage(prog, "only one file may be given")),
    }
}

/// The OSTs a mirror on `pool` may use: the running OSTs of `fsname`, in
/// the pool when one is named. The pool must exist and hold OSTs
/// (`llapi_file_open_param`'s check; see docs/lustre-sim-formats.md).
fn candidates(state: &ClusterState, prog: &str, fsname: &str, pool: Option<&str>) -> Result<Vec<u32>, Output> {
    let active = state.active_osts(fsname);
    let Some(pool) = pool else {
        return Ok(active);
    };
    match pool_members(state, fsname, pool) {
        Some(members) if !members.is_empty() => Ok(active.into_iter().filter(|o| members.contains(o)).collect()),
        found => Err(Output::fail(
            format!(
                "{prog}: pool '{fsname}.{pool}' {}\n",
                if found.is_some() {
                    "has no OSTs"
                } else {
                    "does not exist"
                }
            ),
            22,
        )),
    }
}

/// Strips an `FS.` prefix off a pool name, refusing another file system's.
fn pool_name(prog: &str, fsname: &str, pool: &str) -> Result<String, Output> {
    match pool.split_once('.') {
        Some((fs, name)) if fs == fsname => Ok(name.to_string()),
        Some(_) => Err(Output::fail(
            format!("{prog}: Pool '{pool}' is not on filesystem '{fsname}'\n"),
            22,
        )),
        None => Ok(pool.to_string()),
    }
}

fn create_or_extend(sub: &str, args: &[String], ctx: &mut Context<'_>) -> Output {
    let prog = format!("lfs mirror {sub}");
    let (asked, file) = match parse_mirrors(&prog, args) {
        Ok(parsed) => parsed,
        Err(out) => return out,
    };
    let c = match client_path(ctx, &format!("mirror {sub}"), &file) {
        Ok(c) => c,
        Err(out) => return out,
    };
    let fsname = c.fsname.clone();
    let ns = ctx.state.namespace_mut(&fsname);
    let existing = ns.entries.get(&c.path).cloned();
    let parent = crate::namespace::parent(&c.path);
    let inherited = ns.inherited(&parent);
    let mut flr = match (sub, &existing) {
        ("create", Some(e)) => {
            let what = if e.kind == Kind::Dir {
                "set default composite layout for"
            } else {
                "create composite file"
            };
            return Output::fail(format!("{prog}: cannot {what} '{file}': File exists\n"), 17);
        }
        ("create", None) => {
            if !ns.entries.get(&parent).is_some_and(|e| e.kind == Kind::Dir) {
                return Output::fail(
                    format!("{prog}: cannot create composite file '{file}': No such file or directory\n"),
                    2,
                );
            }
            Flr {
                layout_gen: 0,
                write_pending: false,
                mirrors: Vec::new(),
            }
        }
        (_, None) => {
            return Output::fail(
                format!("error: {prog}: {file}: cannot open source file: No such file or directory\n"),
                2,
            )
        }
        (_, Some(e)) if e.kind == Kind::Dir => {
            return Output::fail(
                format!("error: {prog}: {file}: cannot open source file: Is a directory\n"),
                21,
            )
        }
        (_, Some(e)) => match flr_of(ns, &c.path) {
            Some(flr) => flr.clone(),
            None => Flr {
                layout_gen: 1,
                write_pending: false,
                mirrors: vec![Mirror {
                    id: 1,
                    component_id: (1 << MIRROR_ID_SHIFT) | 1,
                    stale: false,
                    prefer: false,
                    layout: e.layout.clone().unwrap_or_else(|| inherited.clone()),
                }],
            },
        },
    };
    let wanted: usize = asked.iter().map(|a| a.count).sum();
    if flr.mirrors.len() + wanted > MIRROR_COUNT_MAX {
        return Output::fail(format!("{prog}: cannot {sub} '{file}': Invalid argument\n"), 22);
    }
    // Check every pool before allocating anything: nothing is made when one fails.
    let mut plans = Vec::new();
    for a in &asked {
        let pool = match a.pool.as_deref().map(|p| pool_name(&prog, &fsname, p)).transpose() {
            Ok(pool) => pool,
            Err(out) => return out,
        };
        let osts = match candidates(ctx.state, &prog, &fsname, pool.as_deref()) {
            Ok(osts) => osts,
            Err(out) => return out,
        };
        // `lfs mirror extend` without options inherits the last mirror's striping.
        let base = match flr.mirrors.last() {
            Some(m) if sub == "extend" => m.layout.clone(),
            _ => inherited.clone(),
        };
        for _ in 0..a.count {
            plans.push((
                Layout {
                    stripe_count: a.stripe_count.unwrap_or(base.stripe_count),
                    stripe_size: a.stripe_size.unwrap_or(if base.stripe_size == 0 {
                        DEFAULT_STRIPE_SIZE
                    } else {
                        base.stripe_size
                    }),
                    stripe_offset: -1,
                    pool: pool
                        .clone()
                        .or_else(|| if sub == "create" { inherited.pool.clone() } else { None }),
                    objects: Vec::new(),
                },
                osts.clone(),
            ));
        }
    }
    let ns = ctx.state.namespace_mut(&fsname);
    let mut sequence = flr.mirrors.iter().map(|m| m.component_id & 0xffff).max().unwrap_or(0);
    for (mut layout, osts) in plans {
        // Like LOD, keep a new mirror off the OSTs the others use when it can.
        let used: Vec<u32> = flr
            .mirrors
            .iter()
            .flat_map(|m| m.layout.objects.iter().map(|o| o.0))
            .collect();
        let free: Vec<u32> = osts.iter().copied().filter(|o| !used.contains(o)).collect();
        let want = usize::try_from(layout.stripe_count.max(1)).unwrap_or(1);
        let pick = if free.len() >= want { free } else { osts };
        if !ns.allocate(&mut layout, &pick) {
            return Output::fail(format!("{prog}: cannot {sub} '{file}': No space left on device\n"), 28);
        }
        let id = flr.mirrors.iter().map(|m| m.id).max().unwrap_or(0) + 1;
        sequence += 1;
        flr.mirrors.push(Mirror {
            id,
            component_id: (id << MIRROR_ID_SHIFT) | sequence,
            stale: false,
            prefer: false,
            layout,
        });
        flr.layout_gen += 1;
    }
    let first = flr.mirrors.first().map(|m| m.layout.clone());
    match ns.entries.get_mut(&c.path) {
        Some(e) => e.layout = first,
        None => {
            ns.entries.insert(
                c.path.clone(),
                Entry {
                    kind: Kind::File,
                    uid: 0,
                    gid: 0,
                    projid: 0,
                    size: 0,
                    layout: first,
                },
            );
        }
    }
    ns.flr.insert(c.path, flr);
    Output::ok("")
}

/// One regular file's composite layout, or the error `prog` prints.
fn regular<'a>(
    prog: &str,
    ns: Option<&'a Namespace>,
    path: &str,
    file: &str,
) -> Result<(&'a Entry, Option<&'a Flr>), Output> {
    let Some((ns, entry)) = ns.and_then(|ns| Some((ns, ns.entries.get(path)?))) else {
        return Err(Output::fail(
            format!("{prog}: cannot stat file '{file}': No such file or directory.\n"),
            2,
        ));
    };
    if entry.kind != Kind::File {
        return Err(Output::fail(format!("{prog}: '{file}' is not a regular file.\n"), 22));
    }
    Ok((entry, flr_of(ns, path)))
}

/// `lfs mirror resync FILE…`: copies the in-sync mirror over the stale ones.
fn resync(args: &[String], ctx: &mut Context<'_>) -> Output {
    let prog = "lfs mirror resync";
    let files: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if let Some(flag) = args.iter().find(|a| a.starts_with('-')) {
        return Output::fail(format!("{prog}: unrecognized option '{flag}'\n"), 22);
    }
    if files.is_empty() {
        return Output::fail(format!("{prog}: no file name given.\n"), 22);
    }
    let mut out = Output::ok("");
    for file in files {
        let c = match client_path(ctx, "mirror resync", file) {
            Ok(c) => c,
            Err(e) => return e,
        };
        let ns = ctx.state.clients.namespaces.get(&c.fsname);
        match regular(prog, ns, &c.path, file) {
            Err(e) => out.append(e),
            Ok((_, None)) => out.append(Output::fail(format!("{prog}: '{file}' is not a FLR file.\n"), 22)),
            Ok((_, Some(flr))) if !flr.mirrors.iter().any(|m| m.stale) => {}
            Ok(_) => {
                let ns = ctx.state.namespace_mut(&c.fsname);
                if let Some(flr) = ns.flr.get_mut(&c.path) {
                    for m in &mut flr.mirrors {
                        m.stale = false;
                    }
                    flr.write_pending = false;
                    flr.layout_gen += 1;
                }
            }
        }
    }
    out
}

/// `lfs mirror verify [-v…] FILE…`: one chunk `[0, EOF)` per file,
/// checked across the mirrors not stale.
fn verify(args: &[String], ctx: &mut Context<'_>) -> Output {
    let prog = "lfs mirror verify";
    let mut verbose = 0;
    let mut files = Vec::new();
    for a in args {
        match a.as_str() {
            "-v" | "--verbose" => verbose += 1,
            f if f.starts_with("-v") && f[1..].chars().all(|c| c == 'v') => verbose += f.len() - 1,
            f if f.starts_with('-') => return Output::fail(format!("{prog}: unrecognized option '{f}'\n"), 22),
            f => files.push(f.to_string()),
        }
    }
    if files.is_empty() {
        return Output::fail(format!("{prog}: no file name given.\n"), 22);
    }
    let mut out = Output::ok("");
    for file in files {
        let c = match client_path(ctx, "mirror verify", &file) {
            Ok(c) => c,
            Err(e) => return e,
        };
        let ns = ctx.state.clients.namespaces.get(&c.fsname);
        let (entry, flr) = match regular(prog, ns, &c.path, &file) {
            Ok(found) => found,
            Err(e) => {
                out.append(e);
                continue;
            }
        };
        if entry.size == 0 {
            if verbose > 0 {
                out.stdout.push_str(&format!("{prog}: '{file}' file size is 0.\n"));
            }
            continue;
        }
        let Some(flr) = flr else {
            out.append(Output::fail(format!("{prog}: '{file}' file state error: 0.\n"), 22));
            continue;
        };
        let valid: Vec<String> = flr
            .mirrors
            .iter()
            .filter(|m| !m.stale)
            .map(|m| m.id.to_string())
            .collect();
        let chunk = format!("[0, {EOF_HEX})");
        match valid.len() {
            0 => {
                out.append(Output::fail(
                    format!("{prog}: '{file}' chunk {chunk} is invalid in all of the mirrors: failed\n"),
                    22,
                ));
            }
            1 => {
                if verbose > 0 {
                    out.stdout.push_str(&format!(
                        "{prog}: '{file}' chunk {chunk} is only valid in mirror {}: skipped\n",
                        valid[0]
                    ));
                }
            }
            _ => {
                if verbose > 1 {
                    let ids = valid.join(" ");
                    out.stdout.push_str(&format!(
                        "Verifying chunk {chunk} on mirror: {ids}\nVerifying chunk {chunk} on mirror: {ids} PASS\n\n"
                    ));
                }
            }
        }
    }
    out
}

/// A write to `path` of namespace `ns` made at `now`: on a mirrored file
/// every mirror but the one written (the preferred one in sync, else the
/// first in sync) turns stale and the file write pending.
pub fn written(ns: &mut Namespace, path: &str) {
    if flr_of(ns, path).is_none() {
        return;
    }
    let Some(flr) = ns.flr.get_mut(path) else { return };
    let keep = flr
        .mirrors
        .iter()
        .position(|m| m.prefer && !m.stale)
        .or_else(|| flr.mirrors.iter().position(|m| !m.stale))
        .unwrap_or(0);
    let mut changed = false;
    for (i, m) in flr.mirrors.iter_mut().enumerate() {
        if i != keep && !m.stale {
            m.stale = true;
            changed = true;
        }
    }
    if changed || !flr.write_pending {
        flr.write_pending = true;
        flr.layout_gen += 1;
    }
}

/// `lfs getstripe FILE` for a mirrored file (`lov_dump_comp_v1` with the
/// default verbosity: header, then each component and its sub-layout).
pub fn composite_block(path: &str, flr: &Flr) -> String {
    let mut s = format!(
        "{path}\n  lcm_layout_gen:    {}\n  lcm_mirror_count:  {}\n  lcm_entry_count:   {}\n",
        flr.layout_gen,
        flr.mirrors.len(),
        flr.mirrors.len()
    );
    for m in &flr.mirrors {
        let mut flags = vec!["init"];
        if m.stale {
            flags.push("stale");
        }
        if m.prefer {
            flags.push("prefer");
        }
        let l = &m.layout;
        let offset = l.objects.first().map_or(0, |(ost, _)| *ost);
        s.push_str(&format!(
            "    lcme_id:             {}\n    lcme_mirror_id:      {}\n    lcme_flags:          {}\n    \
             lcme_extent.e_start: 0\n    lcme_extent.e_end:   EOF\n      lmm_stripe_count:  {}\n      \
             lmm_stripe_size:   {}\n      lmm_pattern:       raid0\n      lmm_layout_gen:    0\n      \
             lmm_stripe_offset: {offset}\n",
            m.component_id,
            m.id,
            flags.join(","),
            l.objects.len(),
            l.stripe_size,
        ));
        if let Some(pool) = &l.pool {
            s.push_str(&format!("      lmm_pool:          {pool}\n"));
        }
        s.push_str("      lmm_objects:\n");
        for (i, (ost, objid)) in l.objects.iter().enumerate() {
            let seq = 0x2_8000_0400_u64 + u64::from(*ost) * 0x4000_0000;
            s.push_str(&format!(
                "      - {i}: {{ l_ost_idx: {ost}, l_fid: [{seq:#x}:{objid:#x}:0x0] }}\n"
            ));
        }
        s.push('\n');
    }
    s
}

/// `dd if=/dev/zero of=FILE [bs=SIZE] [count=N] [seek=N] [conv=notrunc]`
/// under a client mount: writes `bs × count` bytes at `seek × bs`, creating
/// the file with its inherited layout when missing. The way a test writes
/// to a mirrored file (see [`written`]).
pub fn dd(args: &[String], ctx: &mut Context<'_>) -> Output {
    let (mut of, mut bs, mut count, mut seek, mut notrunc) = (None, 512u64, 0u64, 0u64, false);
    for a in args {
        let Some((k, v)) = a.split_once('=') else {
            return Output::fail(format!("dd: unrecognized operand '{a}'\n"), 1);
        };
        let number = || parse_size(v);
        match k {
            "if" if v == "/dev/zero" || v == "/dev/urandom" => {}
            "if" => {
                return Output::fail(
                    format!("lustre-sim: dd: only /dev/zero or /dev/urandom as input, not '{v}'\n"),
                    1,
                )
            }
            "of" => of = Some(v.to_string()),
            "bs" | "count" | "seek" => match number() {
                Some(n) if k == "bs" && n > 0 => bs = n,
                Some(n) if k == "count" => count = n,
                Some(n) if k == "seek" => seek = n,
                _ => return Output::fail(format!("dd: invalid number: '{v}'\n"), 1),
            },
            "conv" if v == "notrunc" => notrunc = true,
            "status" | "oflag" | "iflag" | "conv" => {}
            _ => return Output::fail(format!("dd: unrecognized operand '{a}'\n"), 1),
        }
    }
    let Some(of) = of else {
        return Output::fail("lustre-sim: dd: give of=FILE (writing to stdout is not simulated)\n", 1);
    };
    let Some(c) = ctx.state.resolve_client_path(&ctx.host, &of) else {
        return Output::fail(
            format!("lustre-sim: dd: '{of}' is not under a Lustre client mount; only those are simulated\n"),
            1,
        );
    };
    let bytes = bs.saturating_mul(count);
    let end = bs.saturating_mul(seek).saturating_add(bytes);
    let exists = ctx
        .state
        .clients
        .namespaces
        .get(&c.fsname)
        .and_then(|ns| ns.entries.get(&c.path))
        .map(|e| e.kind);
    match exists {
        Some(Kind::Dir) => return Output::fail(format!("dd: failed to open '{of}': Is a directory\n"), 1),
        Some(Kind::File) => {}
        None => {
            let created = super::client_files::size("truncate", &["-s".into(), "0".into(), of.clone()], false, ctx);
            if created.code != 0 {
                return Output::fail(created.stderr.replace("truncate: cannot open", "dd: failed to open"), 1);
            }
        }
    }
    let ns = ctx.state.namespace_mut(&c.fsname);
    if let Some(e) = ns.entries.get_mut(&c.path) {
        e.size = if notrunc { e.size.max(end) } else { end };
    }
    written(ns, &c.path);
    Output {
        stdout: String::new(),
        stderr: format!("{count}+0 records in\n{count}+0 records out\n{bytes} bytes copied, 0.01 s, 0 B/s\n"),
        code: 0,
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use crate::commands::mount_client::client_tests::running_fs;
    use crate::commands::test_support::run;

    #[test]
    fn find_by_mirror_count_sees_only_mirrored_files() {
        let mut state = running_fs();
        assert_eq!(
            run(&mut state, "oss2", "mount -t lustre 10.0.0.1@tcp:/fs1 /mnt/fs1").code,
            0
        );
        assert_eq!(run(&mut state, "oss2", "lfs mirror create -N2 /mnt/fs1/m").code, 0);
        assert_eq!(run(&mut state, "oss2", "truncate -s 1M /mnt/fs1/p").code, 0);
        let find = |state: &mut _, count: &str| {
            run(
                state,
                "oss2",
                &format!("lfs find /mnt/fs1 -type f --mirror-count {count}"),
            )
            .stdout
        };
        assert_eq!(find(&mut state, "+1"), "/mnt/fs1/m\n");
        assert_eq!(find(&mut state, "2"), "/mnt/fs1/m\n");
        assert_eq!(find(&mut state, "+2"), "");
        // A plain file has no composite layout: even `-2` misses it.
        assert_eq!(find(&mut state, "-2"), "");
        for line in ["lctl pool_new fs1.p1", "lctl pool_add fs1.p1 fs1-OST0000"] {
            assert_eq!(run(&mut state, "mds1", line).code, 0, "{line}");
        }
        let moved = run(&mut state, "oss2", "lfs migrate -p p1 -o 0 /mnt/fs1/p");
        assert_eq!(moved.code, 0, "{moved:?}");
        let out = run(&mut state, "oss2", "lfs find /mnt/fs1 -type f ! --pool p1").stdout;
        assert_eq!(out, "/mnt/fs1/m\n");
        let out = run(&mut state, "oss2", "lfs find /mnt/fs1 -type f --pool p1").stdout;
        assert_eq!(out, "/mnt/fs1/p\n");
    }

    #[test]
    fn a_write_makes_all_mirrors_but_one_stale_until_resync() {
        let mut state = running_fs();
        assert_eq!(
            run(&mut state, "oss2", "mount -t lustre 10.0.0.1@tcp:/fs1 /mnt/fs1").code,
            0
        );
        let made = run(&mut state, "oss2", "lfs mirror create -N2 /mnt/fs1/f");
        assert_eq!(made.code, 0, "{}", made.stderr);
        let again = run(&mut state, "oss2", "lfs mirror create -N2 /mnt/fs1/f");
        assert_eq!(
            (again.code, again.stderr.as_str()),
            (
                17,
                "lfs mirror create: cannot create composite file '/mnt/fs1/f': File exists\n"
            )
        );
        let layout = run(&mut state, "oss2", "lfs getstripe /mnt/fs1/f").stdout;
        assert!(
            layout.starts_with(
                "/mnt/fs1/f\n  lcm_layout_gen:    2\n  lcm_mirror_count:  2\n  lcm_entry_count:   2\n    \
                 lcme_id:             65537\n    lcme_mirror_id:      1\n    lcme_flags:          init\n"
            ),
            "{layout}"
        );
        assert!(layout.contains("    lcme_id:             131074\n    lcme_mirror_id:      2\n"));
        assert_eq!(
            run(&mut state, "oss2", "dd if=/dev/zero of=/mnt/fs1/f bs=1M count=4").code,
            0
        );
        let stale = run(&mut state, "oss2", "lfs getstripe /mnt/fs1/f").stdout;
        assert!(
            stale.contains("lcme_mirror_id:      2\n    lcme_flags:          init,stale\n"),
            "{stale}"
        );
        let verify = run(&mut state, "oss2", "lfs mirror verify -v /mnt/fs1/f");
        assert_eq!(
            verify.stdout,
            "lfs mirror verify: '/mnt/fs1/f' chunk [0, 0xffffffffffffffff) is only valid in mirror 1: skipped\n"
        );
        assert_eq!(run(&mut state, "oss2", "lfs mirror resync /mnt/fs1/f").code, 0);
        assert!(!run(&mut state, "oss2", "lfs getstripe /mnt/fs1/f")
            .stdout
            .contains("stale"));
        let extend = run(&mut state, "oss2", "lfs mirror extend -N -p flash /mnt/fs1/f");
        assert_eq!(
            (extend.code, extend.stderr.as_str()),
            (22, "lfs mirror extend: pool 'fs1.flash' does not exist\n")
        );
        assert_eq!(run(&mut state, "oss2", "lfs mirror extend -N /mnt/fs1/f").code, 0);
        assert!(run(&mut state, "oss2", "lfs getstripe /mnt/fs1/f")
            .stdout
            .contains("lcm_mirror_count:  3\n"));
        let plain = run(&mut state, "oss2", "truncate -s 1M /mnt/fs1/p");
        assert_eq!(plain.code, 0);
        let resync = run(&mut state, "oss2", "lfs mirror resync /mnt/fs1/p");
        assert_eq!(resync.stderr, "lfs mirror resync: '/mnt/fs1/p' is not a FLR file.\n");
    }

    #[test]
    fn migrate_moves_objects_and_refuses_a_directory() {
        let mut state = running_fs();
        assert_eq!(
            run(&mut state, "oss2", "mount -t lustre 10.0.0.1@tcp:/fs1 /mnt/fs1").code,
            0
        );
        assert_eq!(run(&mut state, "oss2", "mkdir -p /mnt/fs1/d/e").code, 0);
        assert_eq!(run(&mut state, "oss2", "truncate -s 1M /mnt/fs1/d/e/f").code, 0);
        let found = run(&mut state, "oss2", "lfs find /mnt/fs1/d --ost 0 -type f");
        assert_eq!(found.stdout, "/mnt/fs1/d/e/f\n");
        let none = run(&mut state, "oss2", "lfs find /mnt/fs1/d --ost fs1-OST0001_UUID -type f");
        assert_eq!(none.stdout, "");
        let dir = run(&mut state, "oss2", "lfs migrate -c 1 /mnt/fs1/d");
        assert_eq!(
            (dir.code, dir.stderr.as_str()),
            (
                21,
                "error: lfs migrate: /mnt/fs1/d: cannot open source file: Is a directory\n"
            )
        );
        let off = run(&mut state, "oss2", "lfs migrate -o 1 /mnt/fs1/d/e/f");
        assert_eq!(off.code, 22, "OST0001 does not run");
        assert_eq!(run(&mut state, "oss2", "lfs migrate -o 0 /mnt/fs1/d/e/f").code, 0);
        let ns = &state.clients.namespaces["fs1"];
        assert_eq!(ns.entries["/d/e/f"].layout.as_ref().unwrap().objects[0], (0, 3));
    }
}
