//! `lfs`: the client's file-system tool, for paths under a client mount
//! ([`crate::namespace`]). Subcommands: `df`, `getstripe`, `setstripe`.
//! Later features add theirs (`quota`, `setquota`, `hsm_*`, `mirror`,
//! `migrate`, `project`) as a module each, dispatched from [`run`].

use super::{Context, Output};
use crate::namespace::{ClientPath, Entry, Kind, Layout, DEFAULT_STRIPE_SIZE};

/// Runs `lfs SUBCOMMAND ARGS…`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let Some((sub, rest)) = args.split_first() else {
        return Output::fail("lfs: no command given\nTry 'lfs help' for more information.\n", 1);
    };
    match sub.as_str() {
        "df" => super::lfs_df::run(rest, ctx),
        "getstripe" | "find_stripe" => getstripe(rest, ctx),
        "setstripe" => setstripe(rest, ctx),
        "mirror" => super::lfs_mirror::run(rest, ctx),
        "find" => super::lfs_migrate::find(rest, ctx),
        "migrate" => super::lfs_migrate::migrate(rest, ctx),
        "quota" => super::lfs_quota::quota(rest, ctx),
        "setquota" => super::lfs_quota::setquota(rest, ctx),
        other if other.starts_with("hsm_") || other == "path2fid" => super::lfs_hsm::run(other, rest, ctx)
            .unwrap_or_else(|| {
                Output::fail(
                    format!("lfs: '{other}' is not a valid command. See 'lfs --list-commands'.\n"),
                    22,
                )
            }),
        other => Output::fail(
            format!("lfs: '{other}' is not a valid command. See 'lfs --list-commands'.\n"),
            22,
        ),
    }
}

/// Where `path` lands under a client mount of `ctx.host`, or the error
/// `lfs SUB` prints for a path no client mount holds.
pub fn client_path(ctx: &Context<'_>, sub: &str, path: &str) -> Result<ClientPath, Output> {
    let absolute = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/root/{path}")
    };
    ctx.state.resolve_client_path(&ctx.host, &absolute).ok_or_else(|| {
        Output::fail(
            format!("lfs {sub}: '{path}' is not on a Lustre filesystem: Inappropriate ioctl for device (25)\n"),
            25,
        )
    })
}

/// Parses a size with an optional `k`/`M`/`G`/`T` suffix (binary units).
pub fn parse_size(text: &str) -> Option<u64> {
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, ""),
    };
    let n: u64 = digits.parse().ok()?;
    let shift = match unit {
        "" | "b" | "B" => 0,
        "k" | "K" => 10,
        "m" | "M" => 20,
        "g" | "G" => 30,
        "t" | "T" => 40,
        "p" | "P" => 50,
        _ => return None,
    };
    n.checked_mul(1u64 << shift)
}

fn getstripe(args: &[String], ctx: &mut Context<'_>) -> Output {
    let mut only = None;
    // `-d`: the directory itself, not its entries (`fp_max_depth = 0`), and
    // at depth 0 `lov_dump_user_lmm_header` prints no path line.
    let mut directory = false;
    let mut paths = Vec::new();
    for a in args {
        match a.as_str() {
            "-d" | "--directory" => directory = true,
            "-c" | "--stripe-count" => only = Some('c'),
            "-S" | "--stripe-size" => only = Some('S'),
            "-p" | "--pool" => only = Some('p'),
            "-i" | "--stripe-index" => only = Some('i'),
            a if a.starts_with('-') => {
                return Output::fail(format!("lfs getstripe: unrecognized option '{a}'\n"), 22);
            }
            p => paths.push(p.to_string()),
        }
    }
    if paths.is_empty() {
        return Output::fail("lfs getstripe: no file name given\n", 22);
    }
    let mut out = Output::ok("");
    for path in paths {
        let c = match client_path(ctx, "getstripe", &path) {
            Ok(c) => c,
            Err(e) => {
                out.stderr.push_str(&e.stderr);
                out.code = e.code;
                continue;
            }
        };
        let ns = ctx.state.clients.namespaces.get(&c.fsname);
        let Some(entry) = ns.and_then(|ns| ns.entries.get(&c.path)) else {
            out.stderr.push_str(&format!(
                "lfs getstripe: cannot open '{path}': No such file or directory (2)\n"
            ));
            out.code = 2;
            continue;
        };
        let inherited = ns.map(|ns| ns.inherited(&c.path));
        match (only, entry.kind) {
            (Some(field), _) => {
                let layout = entry.layout.clone().or(inherited).unwrap_or_else(default_layout);
                out.stdout.push_str(&field_value(&layout, field));
            }
            (None, Kind::Dir) if directory => {
                let layout = entry.layout.clone().or(inherited).unwrap_or_else(default_layout);
                out.stdout.push_str(&dir_line(&layout));
            }
            (None, Kind::File) if directory => {
                let block = file_block(&path, entry);
                out.stdout.push_str(block.split_once('\n').map_or("", |(_, rest)| rest));
            }
            (None, Kind::File) => match ns.and_then(|ns| super::lfs_mirror::flr_of(ns, &c.path)) {
                Some(flr) => out.stdout.push_str(&super::lfs_mirror::composite_block(&path, flr)),
                None => out.stdout.push_str(&file_block(&path, entry)),
            },
            (None, Kind::Dir) => {
                let layout = entry.layout.clone().or(inherited).unwrap_or_else(default_layout);
                out.stdout.push_str(&format!("{path}\n{}", dir_line(&layout)));
                if let Some(ns) = ns {
                    let prefix = if c.path == "/" {
                        "/".to_string()
                    } else {
                        format!("{}/", c.path)
                    };
                    for (child, e) in ns.entries.range(prefix.clone()..) {
                        let Some(name) = child.strip_prefix(&prefix) else { break };
                        if name.is_empty() || name.contains('/') || e.kind != Kind::File {
                            continue;
                        }
                        out.stdout
                            .push_str(&file_block(&format!("{}/{name}", path.trim_end_matches('/')), e));
                    }
                }
            }
        }
    }
    out
}

fn default_layout() -> Layout {
    Layout {
        stripe_count: 1,
        stripe_size: DEFAULT_STRIPE_SIZE,
        stripe_offset: -1,
        pool: None,
        objects: Vec::new(),
    }
}

fn field_value(layout: &Layout, field: char) -> String {
    match field {
        'c' if !layout.objects.is_empty() => format!("{}\n", layout.objects.len()),
        'c' => format!("{}\n", layout.stripe_count),
        'S' => format!("{}\n", layout.stripe_size),
        'p' => format!("{}\n", layout.pool.clone().unwrap_or_default()),
        _ => match layout.objects.first() {
            Some((ost, _)) => format!("{ost}\n"),
            None => format!("{}\n", layout.stripe_offset),
        },
    }
}

/// A directory's (default) layout on one line, then a blank line.
fn dir_line(l: &Layout) -> String {
    let mut line = format!(
        "stripe_count:  {} stripe_size:   {} pattern:       raid0 stripe_offset: {}",
        l.stripe_count, l.stripe_size, l.stripe_offset
    );
    if let Some(pool) = &l.pool {
        line.push_str(&format!(" pool:          {pool}"));
    }
    line.push_str("\n\n");
    line
}

/// A file's layout with its objects (`lov_dump_user_lmm_v1v3`).
fn file_block(path: &str, entry: &Entry) -> String {
    let l = entry.layout.clone().unwrap_or_else(default_layout);
    let offset = l.objects.first().map_or(0, |(ost, _)| *ost);
    let mut s = format!(
        "{path}\nlmm_stripe_count:  {}\nlmm_stripe_size:   {}\nlmm_pattern:       raid0\nlmm_layout_gen:    0\n\
         lmm_stripe_offset: {offset}\n",
        l.objects.len(),
        l.stripe_size
    );
    if let Some(pool) = &l.pool {
        s.push_str(&format!("lmm_pool:          {pool}\n"));
    }
    s.push_str("\tobdidx\t\t objid\t\t objid\t\t group\n");
    for (ost, objid) in &l.objects {
        // OST object sequences as a fresh 2.15 file system hands them out.
        let seq = 0x2_8000_0400_u64 + u64::from(*ost) * 0x4000_0000;
        s.push_str(&format!("\t{ost:6}\t{objid:14}\t{:>#13x}\t{:>#14x}\n", objid, seq));
    }
    s.push('\n');
    s
}

/// `lfs setstripe [-c N] [-S SIZE] [-i IDX] [-p POOL] PATH…`: a
/// directory's default layout, or a new empty file with this layout; a
/// file that has one already is refused (EEXIST, "stripe already set").
fn setstripe(args: &[String], ctx: &mut Context<'_>) -> Output {
    let mut layout = Layout {
        stripe_count: 0,
        stripe_size: 0,
        stripe_offset: -1,
        pool: None,
        objects: Vec::new(),
    };
    let mut paths = Vec::new();
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        let (flag, inline) = super::split_long(a);
        let mut value = || inline.map(str::to_string).or_else(|| iter.next().cloned());
        match flag {
            "-c" | "--stripe-count" => match value().and_then(|v| v.parse::<i64>().ok()).filter(|c| *c >= -1) {
                Some(c) => layout.stripe_count = c,
                None => return usage("invalid stripe count"),
            },
            "-S" | "--stripe-size" => match value().and_then(|v| parse_size(&v)) {
                Some(s) if s == 0 || (s % 65536 == 0 && s < (4 << 30)) => layout.stripe_size = s,
                _ => return usage("invalid stripe size"),
            },
            "-i" | "--stripe-index" => match value().and_then(|v| v.parse::<i64>().ok()).filter(|i| *i >= -1) {
                Some(i) => layout.stripe_offset = i,
                None => return usage("invalid stripe offset"),
            },
            "-p" | "--pool" => match value() {
                Some(p) if !p.is_empty() => layout.pool = Some(p),
                _ => return usage("invalid pool name"),
            },
            f if f.starts_with('-') => return usage(&format!("unrecognized option '{f}'")),
            p => paths.push(p.to_string()),
        }
    }
    if paths.is_empty() {
        return usage("missing filename");
    }
    let mut out = Output::ok("");
    for path in paths {
        if let Err(e) = setstripe_one(&path, &layout, ctx) {
            out.stderr.push_str(&e.stderr);
            if out.code == 0 {
                out.code = e.code;
            }
        }
    }
    out
}

fn usage(what: &str) -> Output {
    Output::fail(
        format!("lfs setstripe: {what}\nusage: setstripe [--stripe-count|-c <stripe_count>] [--stripe-index|-i <start_ost_idx>] [--stripe-size|-S <stripe_size>] [--pool|-p <pool_name>] <directory|filename>\n"),
        22,
    )
}

fn setstripe_one(path: &str, asked: &Layout, ctx: &mut Context<'_>) -> Result<(), Output> {
    let c = client_path(ctx, "setstripe", path)?;
    let mut layout = asked.clone();
    if let Some(pool) = &asked.pool {
        let name = match pool.split_once('.') {
            Some((fs, _)) if fs != c.fsname => {
                return Err(Output::fail(
                    format!("lfs setstripe: Pool '{pool}' is not on filesystem '{}'\n", c.fsname),
                    22,
                ))
            }
            Some((_, name)) => name.to_string(),
            None => pool.clone(),
        };
        match ctx.state.pool_osts(&c.fsname, &name) {
            Some(osts) if !osts.is_empty() => layout.pool = Some(name),
            found => {
                let why = if found.is_some() {
                    "has no OSTs"
                } else {
                    "does not exist"
                };
                return Err(Output::fail(
                    format!("lfs setstripe: pool '{}.{name}' {why}\n", c.fsname),
                    22,
                ));
            }
        }
    }
    let parent = crate::namespace::parent(&c.path);
    let inherited = ctx.state.namespace_mut(&c.fsname).inherited(&parent);
    let pool = layout.pool.clone().or_else(|| inherited.pool.clone());
    let candidates: Vec<u32> = match &pool {
        Some(pool) => {
            let members = ctx.state.pool_osts(&c.fsname, pool).unwrap_or_default();
            ctx.state
                .active_osts(&c.fsname)
                .into_iter()
                .filter(|o| members.contains(o))
                .collect()
        }
        None => ctx.state.active_osts(&c.fsname),
    };
    let ns = ctx.state.namespace_mut(&c.fsname);
    match ns.entries.get(&c.path).map(|e| (e.kind, e.layout.is_some())) {
        Some((Kind::Dir, _)) => {
            let Some(dir) = ns.entries.get_mut(&c.path) else {
                return Ok(());
            };
            // A default of all zeroes removes the directory's default.
            let keep = layout.stripe_count != 0
                || layout.stripe_size != 0
                || layout.pool.is_some()
                || layout.stripe_offset != -1;
            if layout.stripe_size == 0 {
                layout.stripe_size = inherited.stripe_size;
            }
            if layout.stripe_count == 0 {
                layout.stripe_count = inherited.stripe_count;
            }
            dir.layout = keep.then_some(layout);
            Ok(())
        }
        Some((Kind::File, _)) => Err(Output::fail(
            format!("lfs setstripe: setstripe error for '{path}': stripe already set\n"),
            17,
        )),
        None => {
            if !ns.entries.get(&parent).is_some_and(|e| e.kind == Kind::Dir) {
                return Err(Output::fail(
                    format!("lfs setstripe: cannot create '{path}': No such file or directory (2)\n"),
                    2,
                ));
            }
            if layout.stripe_count == 0 {
                layout.stripe_count = inherited.stripe_count;
            }
            if layout.stripe_size == 0 {
                layout.stripe_size = inherited.stripe_size;
            }
            layout.pool = pool;
            if !ns.allocate(&mut layout, &candidates) {
                return Err(Output::fail(
                    format!("lfs setstripe: setstripe error for '{path}': No space left on device\n"),
                    28,
                ));
            }
            ns.entries.insert(
                c.path,
                Entry {
                    kind: Kind::File,
                    uid: 0,
                    gid: 0,
                    projid: 0,
                    size: 0,
                    layout: Some(layout),
                },
            );
            Ok(())
        }
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use crate::commands::mount_client::client_tests::running_fs;
    use crate::commands::test_support::run;
    use crate::state::ClusterState;

    fn mounted() -> ClusterState {
        let mut state = running_fs();
        assert_eq!(
            run(&mut state, "oss2", "mount -t lustre 10.0.0.1@tcp:/fs1 /mnt/fs1").code,
            0
        );
        state
    }

    #[test]
    fn df_lists_each_target_then_the_summary() {
        let mut state = mounted();
        let out = run(&mut state, "oss2", "lfs df /mnt/fs1");
        assert_eq!(out.code, 0, "{}", out.stderr);
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(
            lines[0],
            "UUID                   1K-blocks        Used   Available Use% Mounted on"
        );
        assert!(lines[1].starts_with("fs1-MDT0000_UUID     ") && lines[1].ends_with(" /mnt/fs1[MDT:0]"));
        assert!(lines[2].starts_with("fs1-OST0000_UUID     ") && lines[2].ends_with(" /mnt/fs1[OST:0]"));
        assert_eq!(lines[3], "");
        assert!(lines[4].starts_with("filesystem_summary:  ") && lines[4].ends_with("% /mnt/fs1"));
        // With OSTs, the summary's space is the OSTs' alone.
        let field = |line: &str, i: usize| line.split_whitespace().nth(i).unwrap().to_string();
        assert_eq!(field(lines[4], 1), field(lines[2], 1));
        let inodes = run(&mut state, "oss2", "lfs df -i");
        assert!(inodes
            .stdout
            .starts_with("UUID                      Inodes       IUsed       IFree IUse% Mounted on\n"));
        let elsewhere = run(&mut state, "oss1", "lfs df /mnt/fs1");
        assert_eq!(elsewhere.code, 19);
    }

    #[test]
    fn setstripe_and_getstripe_follow_the_namespace() {
        let mut state = mounted();
        assert_eq!(run(&mut state, "oss2", "mkdir /mnt/fs1/d").code, 0);
        assert_eq!(run(&mut state, "oss2", "lfs setstripe -c -1 -S 4M /mnt/fs1/d").code, 0);
        let dir = run(&mut state, "oss2", "lfs getstripe /mnt/fs1/d").stdout;
        assert_eq!(
            dir,
            "/mnt/fs1/d\nstripe_count:  -1 stripe_size:   4194304 pattern:       raid0 stripe_offset: -1\n\n"
        );
        assert_eq!(run(&mut state, "oss2", "truncate -s 1M /mnt/fs1/d/g").code, 0);
        let only = run(&mut state, "oss2", "lfs getstripe -d /mnt/fs1/d").stdout;
        assert_eq!(
            only, "stripe_count:  -1 stripe_size:   4194304 pattern:       raid0 stripe_offset: -1\n\n",
            "-d lists neither the path nor the files"
        );
        assert_eq!(run(&mut state, "oss2", "truncate -s 10G /mnt/fs1/d/f").code, 0);
        assert_eq!(run(&mut state, "oss2", "chown 1000:100 /mnt/fs1/d/f").code, 0);
        let file = run(&mut state, "oss2", "lfs getstripe /mnt/fs1/d/f").stdout;
        assert!(
            file.starts_with(
                "/mnt/fs1/d/f\nlmm_stripe_count:  1\nlmm_stripe_size:   4194304\nlmm_pattern:       raid0\n\
                 lmm_layout_gen:    0\nlmm_stripe_offset: 0\n\tobdidx\t\t objid\t\t objid\t\t group\n\t     0\t"
            ),
            "{file}"
        );
        let ns = &state.clients.namespaces["fs1"];
        assert_eq!(ns.usage_by_uid()[&1000], 10 << 30);
        let again = run(&mut state, "oss2", "lfs setstripe -c 1 /mnt/fs1/d/f");
        assert_eq!(
            (again.code, again.stderr.as_str()),
            (
                17,
                "lfs setstripe: setstripe error for '/mnt/fs1/d/f': stripe already set\n"
            )
        );
        let pool = run(&mut state, "oss2", "lfs setstripe -c 1 -p flash /mnt/fs1/g");
        assert_eq!(
            (pool.code, pool.stderr.as_str()),
            (22, "lfs setstripe: pool 'fs1.flash' does not exist\n")
        );
        let outside = run(&mut state, "oss2", "lfs getstripe /tmp/x");
        assert_eq!(outside.code, 25);
        assert_eq!(run(&mut state, "oss2", "mkdir /mnt/fs1/a/b").code, 1);
        assert_eq!(run(&mut state, "oss2", "mkdir -p /mnt/fs1/a/b").code, 0);
    }
}
