//! Moving file data between OSTs on a Lustre client, as 2.15's `lfs`
//! does it (`lustre/utils/lfs.c`: `lfs_find`, `lfs_setstripe_internal`
//! in migrate mode, `lfs_migrate`/`migrate_open_files`):
//! - `lfs find PATH [--ost|-O IDX|UUID[,…]] [[!] --pool POOL]
//!   [--mirror-count|-N [+-]N] [-type f|d] [-print0]` lists the entries
//!   under PATH (itself included) that match; `--ost` matches a file with
//!   an object on one of those OSTs (in any mirror); `--mirror-count`
//!   matches mirrored (composite) files only, as liblustreapi's
//!   `find_check_mirror_options` compares `lcm_mirror_count + 1`;
//! - `lfs migrate [-c N] [-S SIZE] [-p POOL] [-o IDX[,IDX|A-B…]] FILE…`
//!   gives each regular file a new layout with new objects (a mirrored file
//!   becomes a plain one). A directory is refused: real `lfs migrate` opens
//!   its argument `O_RDWR`, which a directory fails with EISDIR; the manual
//!   drains an OST with `lfs find DIR --ost IDX -type f | lfs_migrate -y`,
//!   and Chroma runs the find, then `lfs migrate` on the files it printed.

use super::lfs::{client_path, parse_size};
use super::{Context, Output};
use crate::namespace::{Kind, Layout};

/// `lfs find …`.
pub fn find(args: &[String], ctx: &mut Context<'_>) -> Output {
    let mut osts: Option<Vec<u32>> = None;
    let mut pool = None;
    // `! --pool P`: entries not in pool P.
    let mut pool_negated = false;
    let mut negate = false;
    // `--mirror-count [+-]N`: (1 more than, -1 fewer than, 0 exactly, N).
    let mut mirror_count: Option<(i8, usize)> = None;
    let mut kind = None;
    let mut print0 = false;
    let mut paths = Vec::new();
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        let (flag, inline) = super::split_long(a);
        if negate && !matches!(flag, "--pool" | "!") {
            return Output::fail(
                format!("lustre-sim: lfs find: '!' before {flag} is not simulated\n"),
                22,
            );
        }
        let mut value = || inline.map(str::to_string).or_else(|| iter.next().cloned());
        match flag {
            "--ost" | "-O" | "--obd" => {
                let Some(list) = value() else {
                    return Output::fail("lfs find: option '--ost' requires an argument\n", 22);
                };
                let mut parsed = Vec::new();
                for item in list.split(',') {
                    match ost_index(item) {
                        Some(i) => parsed.push(i),
                        None => return Output::fail(format!("lfs find: invalid OST '{item}'\n"), 22),
                    }
                }
                osts.get_or_insert_with(Vec::new).extend(parsed);
            }
            "!" => {
                negate = true;
                continue;
            }
            "--pool" => {
                pool = value();
                pool_negated = std::mem::take(&mut negate);
            }
            "--mirror-count" | "-N" => {
                let text = value().unwrap_or_default();
                let (sign, digits) = match text.split_at(text.starts_with(['+', '-']) as usize) {
                    ("+", d) => (1, d),
                    ("-", d) => (-1, d),
                    (_, d) => (0, d),
                };
                match digits.parse::<usize>() {
                    Ok(n) => mirror_count = Some((sign, n)),
                    Err(_) => return Output::fail(format!("lfs find: bad mirror count '{text}'\n"), 22),
                }
            }
            "-type" | "--type" | "-t" => match value().as_deref() {
                Some("f") => kind = Some(Kind::File),
                Some("d") => kind = Some(Kind::Dir),
                other => {
                    return Output::fail(format!("lfs find: invalid type '{}'\n", other.unwrap_or("")), 22);
                }
            },
            "-print0" | "--print0" | "-0" => print0 = true,
            "-print" | "--print" | "-P" => print0 = false,
            f if f.starts_with('-') => return Output::fail(format!("lfs find: unrecognized option '{f}'\n"), 22),
            p => paths.push(p.to_string()),
        }
    }
    if paths.is_empty() {
        return Output::fail("lfs find: no path given\n", 22);
    }
    let end = if print0 { '\0' } else { '\n' };
    let mut out = Output::ok("");
    for path in paths {
        let c = match client_path(ctx, "find", &path) {
            Ok(c) => c,
            Err(e) => {
                out.append(e);
                continue;
            }
        };
        let Some(ns) = ctx.state.clients.namespaces.get(&c.fsname) else {
            out.append(Output::fail(
                format!("lfs find: cannot open '{path}': No such file or directory\n"),
                2,
            ));
            continue;
        };
        if !ns.entries.contains_key(&c.path) && c.path != "/" {
            out.append(Output::fail(
                format!("lfs find: cannot open '{path}': No such file or directory\n"),
                2,
            ));
            continue;
        }
        let below = if c.path == "/" {
            "/".to_string()
        } else {
            format!("{}/", c.path)
        };
        let shown = path.trim_end_matches('/');
        for (p, e) in ns.entries.range(c.path.clone()..) {
            let rest = if *p == c.path {
                ""
            } else if let Some(rest) = p.strip_prefix(&below) {
                rest
            } else {
                break;
            };
            if kind.is_some_and(|k| k != e.kind) {
                continue;
            }
            let layouts: Vec<&Layout> = match super::lfs_mirror::flr_of(ns, p) {
                Some(flr) => flr.mirrors.iter().map(|m| &m.layout).collect(),
                None => e.layout.iter().collect(),
            };
            if let Some(osts) = &osts {
                let on =
                    e.kind == Kind::File && layouts.iter().any(|l| l.objects.iter().any(|(o, _)| osts.contains(o)));
                if !on {
                    continue;
                }
            }
            if let Some((sign, n)) = mirror_count {
                // `find_check_mirror_options`: only a composite layout
                // matches, by `lcm_mirror_count + 1`.
                let count = super::lfs_mirror::flr_of(ns, p).map(|f| f.mirrors.len());
                let hit = count.is_some_and(|c| match sign {
                    1 => c > n,
                    -1 => c < n,
                    _ => c == n,
                });
                if !hit {
                    continue;
                }
            }
            if let Some(pool) = &pool {
                if layouts.iter().any(|l| l.pool.as_deref() == Some(pool.as_str())) == pool_negated {
                    continue;
                }
            }
            let name = if rest.is_empty() {
                if shown.is_empty() {
                    "/".to_string()
                } else {
                    shown.to_string()
                }
            } else {
                format!("{shown}/{rest}")
            };
            out.stdout.push_str(&name);
            out.stdout.push(end);
        }
    }
    out
}

/// An OST given as an index (`3`, `0x3`) or a name (`fs-OST0003_UUID`).
fn ost_index(text: &str) -> Option<u32> {
    if let Some((_, hex)) = text.trim_end_matches("_UUID").rsplit_once("-OST") {
        return u32::from_str_radix(hex, 16).ok();
    }
    match text.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// `-o 1,3,5-7`: OST indexes in the order given.
fn ost_list(text: &str) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    for part in text.trim_matches(|c| c == '[' || c == ']').split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
                if a > b {
                    return None;
                }
                out.extend(a..=b);
            }
            None => out.push(part.parse().ok()?),
        }
    }
    (!out.is_empty()).then_some(out)
}

fn usage(what: &str) -> Output {
    Output::fail(
        format!("lfs migrate: {what}\nusage: migrate [--stripe-count|-c <stripe_count>] [--stripe-size|-S <stripe_size>] [--pool|-p <pool_name>] [--ost|-o <ost_indices>] <file|directory> ...\n"),
        22,
    )
}

/// `lfs migrate …`.
pub fn migrate(args: &[String], ctx: &mut Context<'_>) -> Output {
    let (mut count, mut size, mut pool, mut list) = (None, None, None, None);
    let mut files = Vec::new();
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        let (flag, inline) = super::split_long(a);
        let mut value = || inline.map(str::to_string).or_else(|| iter.next().cloned());
        match flag {
            "-c" | "--stripe-count" => match value().and_then(|v| v.parse::<i64>().ok()).filter(|c| *c >= -1) {
                Some(c) => count = Some(c),
                None => return usage("invalid stripe count"),
            },
            "-S" | "--stripe-size" => match value().and_then(|v| parse_size(&v)) {
                Some(s) if s > 0 && s % 65536 == 0 && s < (4 << 30) => size = Some(s),
                _ => return usage("invalid stripe size"),
            },
            "-p" | "--pool" => match value() {
                Some(p) if !p.is_empty() => pool = Some(p),
                _ => return usage("invalid pool name"),
            },
            "-o" | "--ost" | "--ost-list" => match value().as_deref().and_then(ost_list) {
                Some(l) => list = Some(l),
                None => return usage("invalid OST target(s)"),
            },
            "-y" | "--yes" | "-n" | "--non-block" | "-b" | "--block" | "-v" | "--verbose" => {}
            f if f.starts_with('-') => return usage(&format!("unrecognized option '{f}'")),
            f => files.push(f.to_string()),
        }
    }
    if let (Some(c), Some(l)) = (count, &list) {
        if c > 0 && usize::try_from(c).ok() != Some(l.len()) {
            return Output::fail(format!("stripe_count({c}) != nr_tgts({})\n", l.len()), 22);
        }
    }
    if files.is_empty() {
        return usage("FILE must be specified");
    }
    let mut out = Output::ok("");
    for file in files {
        if let Err(e) = migrate_one(&file, count, size, pool.as_deref(), list.as_deref(), ctx) {
            out.append(e);
        }
    }
    out
}

fn migrate_one(
    file: &str,
    count: Option<i64>,
    size: Option<u64>,
    pool: Option<&str>,
    list: Option<&[u32]>,
    ctx: &mut Context<'_>,
) -> Result<(), Output> {
    let fail = |why: &str, code: u32| Output::fail(format!("error: lfs migrate: {file}: {why}\n"), code);
    let c = client_path(ctx, "migrate", file)?;
    let current = match ctx
        .state
        .clients
        .namespaces
        .get(&c.fsname)
        .and_then(|ns| ns.entries.get(&c.path))
    {
        None => return Err(fail("cannot open source file: No such file or directory", 2)),
        Some(e) if e.kind == Kind::Dir => return Err(fail("cannot open source file: Is a directory", 21)),
        Some(e) => e
            .layout
            .clone()
            .unwrap_or_else(|| ctx.state.namespace_mut(&c.fsname).inherited("/")),
    };
    let pool = match pool {
        Some(p) => Some(match p.split_once('.') {
            Some((fs, _)) if fs != c.fsname => {
                return Err(Output::fail(
                    format!("lfs migrate: Pool '{p}' is not on filesystem '{}'\n", c.fsname),
                    22,
                ))
            }
            Some((_, name)) => name.to_string(),
            None => p.to_string(),
        }),
        None => current.pool.clone(),
    };
    let active = ctx.state.active_osts(&c.fsname);
    let members = match &pool {
        Some(p) => match super::lfs_mirror::pool_members(ctx.state, &c.fsname, p) {
            Some(m) if !m.is_empty() => Some(m),
            found => {
                return Err(Output::fail(
                    format!(
                        "lfs migrate: pool '{}.{p}' {}\n",
                        c.fsname,
                        if found.is_some() {
                            "has no OSTs"
                        } else {
                            "does not exist"
                        }
                    ),
                    22,
                ))
            }
        },
        None => None,
    };
    let allowed: Vec<u32> = active
        .into_iter()
        .filter(|o| members.as_ref().is_none_or(|m| m.contains(o)))
        .collect();
    let mut layout = Layout {
        stripe_count: count.unwrap_or(current.stripe_count),
        stripe_size: size.unwrap_or(current.stripe_size),
        stripe_offset: -1,
        pool,
        objects: Vec::new(),
    };
    let ns = ctx.state.namespace_mut(&c.fsname);
    match list {
        Some(list) => {
            // LOD refuses an OST it cannot use (not running, not in the pool).
            if list.iter().any(|o| !allowed.contains(o)) {
                return Err(fail("cannot create volatile file: Invalid argument", 22));
            }
            layout.stripe_count = i64::try_from(list.len()).unwrap_or(i64::MAX);
            layout.objects = list
                .iter()
                .map(|ost| {
                    let id = ns.next_objid.entry(*ost).or_insert(2);
                    let objid = *id;
                    *id += 1;
                    (*ost, objid)
                })
                .collect();
        }
        None => {
            if !ns.allocate(&mut layout, &allowed) {
                return Err(fail("cannot create volatile file: No space left on device", 28));
            }
        }
    }
    ns.flr.remove(&c.path);
    if let Some(e) = ns.entries.get_mut(&c.path) {
        e.layout = Some(layout);
    }
    Ok(())
}
