//! coreutils on a Lustre client, for paths under a client mount
//! ([`crate::namespace`]): `truncate -s SIZE FILE` and `fallocate -l SIZE
//! FILE` create or size a file (new files get their objects from the
//! inherited layout), `chown UID[:GID] PATH` and `chgrp GID PATH` give it
//! to a user or group (refused past the new owner's quota), `rm [-r]
//! [-f] PATH` removes it, and [`mkdir`] makes directories. This is how a
//! test fills a user's usage: `truncate -s 10G /mnt/demo/u/f && chown
//! 1000:1000 /mnt/demo/u/f`. Outside a client mount only `mkdir` works
//! (it records the directory, so it may become a mount point).

use super::{Context, Output};
use crate::namespace::{normalize, parent, Entry, Kind};

fn outside(cmd: &str, path: &str) -> Output {
    Output::fail(
        format!("lustre-sim: {cmd}: '{path}' is not under a Lustre client mount; only those are simulated\n"),
        1,
    )
}

/// `truncate -s SIZE FILE…` (`grow` false) or `fallocate -l SIZE FILE`
/// (`grow` true: never shrinks).
pub fn size(cmd: &str, args: &[String], grow: bool, ctx: &mut Context<'_>) -> Output {
    let flag = if grow { "-l" } else { "-s" };
    let mut size = None;
    let mut files = Vec::new();
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        match a.as_str() {
            f if f == flag || f == "--size" || f == "--length" => size = iter.next().cloned(),
            f if f.starts_with(flag) && f.len() > 2 => size = Some(f[2..].to_string()),
            f if f.starts_with('-') => {
                return Output::fail(format!("{cmd}: invalid option -- '{}'\n", f.trim_start_matches('-')), 1)
            }
            f => files.push(f.to_string()),
        }
    }
    let Some(text) = size else {
        return Output::fail(format!("{cmd}: you must specify a length\n"), 1);
    };
    let Some(bytes) = super::lfs::parse_size(&text) else {
        return Output::fail(format!("{cmd}: invalid number: '{text}'\n"), 1);
    };
    if files.is_empty() {
        return Output::fail(format!("{cmd}: missing file operand\n"), 1);
    }
    for file in files {
        let Some(c) = ctx.state.resolve_client_path(&ctx.host, &file) else {
            return outside(cmd, &file);
        };
        let fsname = c.fsname.clone();
        if let Err(refused) = super::lfs_quota::check_resize(ctx.state, cmd, &file, &c, bytes, grow) {
            return refused;
        }
        let osts = ctx.state.active_osts(&fsname);
        let ns = ctx.state.namespace_mut(&fsname);
        match ns.entries.get_mut(&c.path) {
            Some(e) if e.kind == Kind::Dir => {
                return Output::fail(format!("{cmd}: cannot open '{file}' for writing: Is a directory\n"), 1);
            }
            Some(e) => e.size = if grow { e.size.max(bytes) } else { bytes },
            None => {
                let dir = parent(&c.path);
                if !ns.entries.get(&dir).is_some_and(|e| e.kind == Kind::Dir) {
                    return Output::fail(
                        format!("{cmd}: cannot open '{file}' for writing: No such file or directory\n"),
                        1,
                    );
                }
                if !super::lfs_quota::check_create(ctx.state, &fsname, (0, 0, 0)) {
                    return Output::fail(
                        format!("{cmd}: cannot open '{file}' for writing: Disk quota exceeded\n"),
                        1,
                    );
                }
                let ns = ctx.state.namespace_mut(&fsname);
                let mut layout = ns.inherited(&dir);
                let candidates: Vec<u32> = match &layout.pool {
                    Some(pool) => {
                        let members = ctx.state.pool_osts(&fsname, pool).unwrap_or_default();
                        osts.into_iter().filter(|o| members.contains(o)).collect()
                    }
                    None => osts,
                };
                let ns = ctx.state.namespace_mut(&fsname);
                if !ns.allocate(&mut layout, &candidates) {
                    return Output::fail(
                        format!("{cmd}: cannot open '{file}' for writing: No space left on device\n"),
                        1,
                    );
                }
                ns.entries.insert(
                    c.path,
                    Entry {
                        kind: Kind::File,
                        uid: 0,
                        gid: 0,
                        projid: 0,
                        size: bytes,
                        layout: Some(layout),
                    },
                );
            }
        }
        super::lfs_quota::settle(ctx.state.namespace_mut(&fsname), crate::state::now_secs());
    }
    Output::ok("")
}

/// A user or group given as a number (or `root`).
fn id(text: &str) -> Option<u32> {
    if text == "root" {
        return Some(0);
    }
    text.parse().ok()
}

/// `chown [-R] OWNER[:GROUP] PATH…` with numeric ids.
pub fn chown(args: &[String], ctx: &mut Context<'_>) -> Output {
    let recursive = args.iter().any(|a| a == "-R" || a == "--recursive");
    let rest: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let Some((spec, paths)) = rest.split_first() else {
        return Output::fail("chown: missing operand\n", 1);
    };
    if paths.is_empty() {
        return Output::fail(format!("chown: missing operand after '{spec}'\n"), 1);
    }
    let (user, group) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec.as_str(), None),
    };
    let uid = if user.is_empty() {
        None
    } else {
        match id(user) {
            Some(u) => Some(u),
            None => return Output::fail(format!("chown: invalid user: '{spec}'\n"), 1),
        }
    };
    let gid = match group.filter(|g| !g.is_empty()) {
        None => None,
        Some(g) => match id(g) {
            Some(g) => Some(g),
            None => return Output::fail(format!("chown: invalid group: '{spec}'\n"), 1),
        },
    };
    give("chown", paths, recursive, uid, gid, ctx)
}

/// `chgrp [-R] GROUP PATH…` with a numeric group.
pub fn chgrp(args: &[String], ctx: &mut Context<'_>) -> Output {
    let recursive = args.iter().any(|a| a == "-R" || a == "--recursive");
    let rest: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let Some((group, paths)) = rest.split_first() else {
        return Output::fail("chgrp: missing operand\n", 1);
    };
    if paths.is_empty() {
        return Output::fail(format!("chgrp: missing operand after '{group}'\n"), 1);
    }
    let Some(gid) = id(group) else {
        return Output::fail(format!("chgrp: invalid group: '{group}'\n"), 1);
    };
    give("chgrp", paths, recursive, None, Some(gid), ctx)
}

/// Gives `paths` (and what is below them when `recursive`) to `uid`
/// and/or `gid`; refused with EDQUOT, nothing changed, when the new owner
/// would pass an enforced quota (coreutils' wording for each command).
fn give(
    cmd: &str,
    paths: &[&String],
    recursive: bool,
    uid: Option<u32>,
    gid: Option<u32>,
    ctx: &mut Context<'_>,
) -> Output {
    for path in paths {
        let Some(c) = ctx.state.resolve_client_path(&ctx.host, path) else {
            return outside(cmd, path);
        };
        let ns = ctx.state.namespace_mut(&c.fsname);
        if !ns.entries.contains_key(&c.path) {
            return Output::fail(format!("{cmd}: cannot access '{path}': No such file or directory\n"), 1);
        }
        let below = if c.path == "/" {
            "/".to_string()
        } else {
            format!("{}/", c.path)
        };
        let chosen: Vec<String> = ns
            .entries
            .keys()
            .filter(|p| **p == c.path || (recursive && p.starts_with(&below)))
            .cloned()
            .collect();
        if !super::lfs_quota::check_chown(ctx.state, &c.fsname, &chosen, uid, gid) {
            let what = if cmd == "chgrp" { "group" } else { "ownership" };
            return Output::fail(format!("{cmd}: changing {what} of '{path}': Disk quota exceeded\n"), 1);
        }
        let ns = ctx.state.namespace_mut(&c.fsname);
        for p in &chosen {
            if let Some(e) = ns.entries.get_mut(p) {
                e.uid = uid.unwrap_or(e.uid);
                e.gid = gid.unwrap_or(e.gid);
            }
        }
        super::lfs_quota::settle(ns, crate::state::now_secs());
    }
    Output::ok("")
}

/// `rm [-r] [-f] PATH…` under a client mount.
pub fn rm(args: &[String], ctx: &mut Context<'_>) -> Output {
    let flags: String = args
        .iter()
        .filter(|a| a.starts_with('-'))
        .map(|a| a.trim_start_matches('-'))
        .collect();
    let (recursive, force) = (flags.contains('r') || flags.contains('R'), flags.contains('f'));
    let mut out = Output::ok("");
    for path in args.iter().filter(|a| !a.starts_with('-')) {
        let Some(c) = ctx.state.resolve_client_path(&ctx.host, path) else {
            return outside("rm", path);
        };
        let ns = ctx.state.namespace_mut(&c.fsname);
        let below = format!("{}/", c.path);
        match ns.entries.get(&c.path).map(|e| e.kind) {
            None if force => {}
            None => {
                out.stderr
                    .push_str(&format!("rm: cannot remove '{path}': No such file or directory\n"));
                out.code = 1;
            }
            Some(Kind::Dir) if !recursive || c.path == "/" => {
                out.stderr
                    .push_str(&format!("rm: cannot remove '{path}': Is a directory\n"));
                out.code = 1;
            }
            Some(_) => ns.entries.retain(|p, _| *p != c.path && !p.starts_with(&below)),
        }
        super::lfs_quota::settle(ns, crate::state::now_secs());
    }
    out
}

/// `mkdir [-p] [-m MODE] DIR…`: under a client mount a directory of the
/// namespace (owned by root); elsewhere a local directory, recorded so
/// it can be a mount point (and made with its parents, as mount points
/// always were here).
pub fn mkdir(args: &[String], ctx: &mut Context<'_>) -> Output {
    let parents = args.iter().any(|a| a == "-p" || a == "--parents");
    let mut out = Output::ok("");
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        if a == "-m" || a == "--mode" {
            iter.next();
            continue;
        }
        if a.starts_with('-') {
            continue;
        }
        let absolute = if a.starts_with('/') {
            a.clone()
        } else {
            format!("/root/{a}")
        };
        let Some(dir) = normalize(&absolute) else { continue };
        let Some(c) = ctx.state.resolve_client_path(&ctx.host, &dir) else {
            let dirs = ctx.state.clients.dirs.entry(ctx.host.clone()).or_default();
            let mut at = dir.clone();
            while at != "/" {
                dirs.insert(at.clone());
                at = parent(&at);
            }
            continue;
        };
        let ns = ctx.state.namespace_mut(&c.fsname);
        if ns.entries.contains_key(&c.path) {
            if !parents {
                out.stderr
                    .push_str(&format!("mkdir: cannot create directory '{a}': File exists\n"));
                out.code = 1;
            }
            continue;
        }
        if !parents && !ns.entries.get(&parent(&c.path)).is_some_and(|e| e.kind == Kind::Dir) {
            out.stderr.push_str(&format!(
                "mkdir: cannot create directory '{a}': No such file or directory\n"
            ));
            out.code = 1;
            continue;
        }
        let mut at = c.path.clone();
        let mut missing = Vec::new();
        while !ns.entries.contains_key(&at) {
            missing.push(at.clone());
            at = parent(&at);
        }
        if ns.entries.get(&at).is_some_and(|e| e.kind != Kind::Dir) {
            out.stderr
                .push_str(&format!("mkdir: cannot create directory '{a}': Not a directory\n"));
            out.code = 1;
            continue;
        }
        if !super::lfs_quota::check_create(ctx.state, &c.fsname, (0, 0, 0)) {
            out.stderr
                .push_str(&format!("mkdir: cannot create directory '{a}': Disk quota exceeded\n"));
            out.code = 1;
            continue;
        }
        let ns = ctx.state.namespace_mut(&c.fsname);
        for p in missing {
            ns.entries.insert(p, Entry::dir(0, 0));
        }
    }
    out
}
