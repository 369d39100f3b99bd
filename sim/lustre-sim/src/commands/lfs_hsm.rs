//! `lfs hsm_state|hsm_archive|hsm_release|hsm_restore|hsm_remove|hsm_action
//! FILE…` and `lfs path2fid FILE`, as 2.15's `lfs.c` (`lfs_hsm_state`,
//! `lfs_hsm_request`, `lfs_hsm_prepare_file`) prints them, with the MDT's
//! rules (`mdt_hsm_add_actions`, `hsm_action_is_needed`,
//! `mdt_hsm_is_action_compat`, `mdt_hsm_release_allow`). See
//! [`crate::hsm`].

use super::{Context, Output};
use crate::hsm::{
    Request, DEFAULT_ARCHIVE_ID, HS_ARCHIVED, HS_DIRTY, HS_EXISTS, HS_LOST, HS_NOARCHIVE, HS_NORELEASE, HS_RELEASED,
};
use crate::namespace::{ClientPath, Kind};

/// Runs `lfs SUB ARGS` for the HSM subcommands; `None` for others.
pub fn run(sub: &str, args: &[String], ctx: &mut Context<'_>) -> Option<Output> {
    Some(match sub {
        "hsm_state" => state(args, ctx),
        "hsm_action" => action(args, ctx),
        "path2fid" => path2fid(args, ctx),
        "hsm_archive" => request("ARCHIVE", args, ctx),
        "hsm_restore" => request("RESTORE", args, ctx),
        "hsm_remove" => request("REMOVE", args, ctx),
        "hsm_release" => request("RELEASE", args, ctx),
        _ => return None,
    })
}

fn strerror(errno: u32) -> &'static str {
    match errno {
        1 => "Operation not permitted",
        2 => "No such file or directory",
        11 => "Resource temporarily unavailable",
        16 => "Device or resource busy",
        22 => "Invalid argument",
        25 => "Inappropriate ioctl for device",
        _ => "Unknown error",
    }
}

/// The file `path` names: where it is and its kind, or the errno.
fn lookup(ctx: &Context<'_>, path: &str) -> Result<(ClientPath, Kind), u32> {
    let absolute = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/root/{path}")
    };
    let c = ctx.state.resolve_client_path(&ctx.host, &absolute).ok_or(2u32)?;
    let kind = ctx
        .state
        .clients
        .namespaces
        .get(&c.fsname)
        .and_then(|ns| ns.entries.get(&c.path))
        .map(|e| e.kind)
        .ok_or(2u32)?;
    Ok((c, kind))
}

fn flags_text(flags: u32, archive_id: u32) -> String {
    let mut s = format!("(0x{flags:08x})");
    for (bit, word) in [
        (HS_RELEASED, "released"),
        (HS_EXISTS, "exists"),
        (HS_DIRTY, "dirty"),
        (HS_ARCHIVED, "archived"),
        (HS_NORELEASE, "never_release"),
        (HS_NOARCHIVE, "never_archive"),
        (HS_LOST, "lost_from_hsm"),
    ] {
        if flags & bit != 0 {
            s.push(' ');
            s.push_str(word);
        }
    }
    if archive_id != 0 {
        s.push_str(&format!(", archive_id:{archive_id}"));
    }
    s
}

fn state(args: &[String], ctx: &mut Context<'_>) -> Output {
    if args.is_empty() {
        return Output::fail("usage: hsm_state FILE\n", 4);
    }
    let mut out = Output::ok("");
    for path in args {
        let c = match lookup(ctx, path) {
            Ok((c, _)) => c,
            Err(e) => {
                out.stderr
                    .push_str(&format!("can't get hsm state for {path}: {}\n", strerror(e)));
                out.code = e;
                return out;
            }
        };
        let (flags, id) = ctx
            .state
            .hsm_file(&c.fsname, &c.path)
            .map_or((0, 0), |f| (f.flags, f.archive_id));
        out.stdout.push_str(&format!("{path}: {}\n", flags_text(flags, id)));
    }
    out
}

fn path2fid(args: &[String], ctx: &mut Context<'_>) -> Output {
    let mut out = Output::ok("");
    for path in args {
        match lookup(ctx, path) {
            Ok((c, _)) => {
                let fid = ctx.state.hsm_file_mut(&c.fsname, &c.path).fid.clone();
                if args.len() > 1 {
                    out.stdout.push_str(&format!("{path}: [{fid}]\n"));
                } else {
                    out.stdout.push_str(&format!("[{fid}]\n"));
                }
            }
            Err(e) => {
                out.stderr
                    .push_str(&format!("lfs path2fid: cannot get fid for '{path}': {}\n", strerror(e)));
                out.code = e;
            }
        }
    }
    out
}

fn action(args: &[String], ctx: &mut Context<'_>) -> Output {
    let mut out = Output::ok("");
    for path in args {
        let c = match lookup(ctx, path) {
            Ok((c, _)) => c,
            Err(e) => {
                return Output::fail(format!("can't get hsm action for {path}: {}\n", strerror(e)), e);
            }
        };
        let fid = ctx.state.hsm_file(&c.fsname, &c.path).map(|f| f.fid.clone());
        let current = ctx
            .state
            .hsm
            .actions
            .iter()
            .rev()
            .find(|r| Some(&r.fid) == fid.as_ref() && matches!(r.status.as_str(), "WAITING" | "STARTED"));
        match current {
            None => out.stdout.push_str(&format!("{path}: NOOP\n")),
            Some(r) => {
                let state = if r.status == "STARTED" { "RUNNING" } else { "WAITING" };
                let tail = if state == "RUNNING" {
                    "(0 bytes moved)".to_string()
                } else {
                    "(from 0 to EOF)".to_string()
                };
                out.stdout.push_str(&format!("{path}: {} {state} {tail}\n", r.action));
            }
        }
    }
    out
}

/// `lfs hsm_archive|hsm_restore|hsm_remove|hsm_release [-a ID] FILE…`.
fn request(action: &str, args: &[String], ctx: &mut Context<'_>) -> Output {
    let sub = format!("hsm_{}", action.to_lowercase());
    let mut archive_id: u32 = 0;
    let mut files = Vec::new();
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        let (flag, inline) = super::split_long(a);
        match flag {
            "-a" | "--archive" => {
                if action != "ARCHIVE" && action != "REMOVE" {
                    return Output::fail("error: -a is supported only when archiving or removing\n", 4);
                }
                // atoi(): anything not a number is 0.
                let v = inline
                    .map(str::to_string)
                    .or_else(|| iter.next().cloned())
                    .unwrap_or_default();
                archive_id = v.parse().unwrap_or(0);
            }
            f if f.starts_with("-a") && f.len() > 2 && (action == "ARCHIVE" || action == "REMOVE") => {
                archive_id = f[2..].parse().unwrap_or(0);
            }
            f if f.starts_with('-') => {
                return Output::fail(
                    format!("lfs: unrecognized option '{f}'\nusage: {sub} [--archive NUM] FILE...\n"),
                    4,
                );
            }
            f => files.push(f.to_string()),
        }
    }
    if files.is_empty() {
        return Output::fail(format!("usage: {sub} [--archive NUM] FILE...\n"), 4);
    }
    let mut targets = Vec::new();
    let mut fsname: Option<String> = None;
    for file in &files {
        match lookup(ctx, file) {
            Err(e) => return Output::fail(format!("Cannot stat {file}: {}\n", strerror(e)), e),
            Ok((_, Kind::Dir)) => {
                return Output::fail(format!("error: \"{file}\" is not a regular file\n"), 4);
            }
            Ok((c, Kind::File)) => {
                if fsname.as_ref().is_some_and(|f| *f != c.fsname) {
                    return Output::fail(format!("All files should be on the same filesystem: {file}\n"), 22);
                }
                fsname = Some(c.fsname.clone());
                targets.push(c);
            }
        }
    }
    let fail = |errno: u32| {
        Output::fail(
            format!("Cannot send HSM request (use of {}): {}\n", files[0], strerror(errno)),
            errno,
        )
    };
    if action == "RELEASE" {
        for c in &targets {
            let f = ctx.state.hsm_file_mut(&c.fsname, &c.path);
            if f.flags & HS_RELEASED != 0 {
                continue;
            }
            if f.flags & (HS_DIRTY | HS_NORELEASE | HS_LOST) != 0 || f.flags & HS_ARCHIVED == 0 {
                return fail(1);
            }
            let busy = {
                let fid = f.fid.clone();
                ctx.state
                    .hsm
                    .actions
                    .iter()
                    .any(|r| r.fid == fid && matches!(r.status.as_str(), "WAITING" | "STARTED"))
            };
            if busy {
                return fail(16);
            }
            ctx.state.hsm_file_mut(&c.fsname, &c.path).flags |= HS_RELEASED;
        }
        return Output::ok("");
    }
    let Some(fsname) = fsname else {
        return Output::ok("");
    };
    // The request goes to MDT0000 of the file system (one MDT modelled).
    let Some(mdt) = ctx.state.hsm_mdts(&fsname).into_iter().next() else {
        return fail(11);
    };
    if ctx.state.hsm_control(&mdt) == "stopped" {
        return fail(11);
    }
    let mut records = Vec::new();
    for c in &targets {
        let f = ctx.state.hsm_file_mut(&c.fsname, &c.path).clone();
        let pending = ctx
            .state
            .hsm
            .actions
            .iter()
            .any(|r| r.fid == f.fid && r.action == action && matches!(r.status.as_str(), "WAITING" | "STARTED"));
        let needed = match action {
            "ARCHIVE" => f.flags & HS_DIRTY != 0 || f.flags & HS_ARCHIVED == 0,
            "RESTORE" => f.flags & HS_RELEASED != 0,
            _ => f.flags & (HS_ARCHIVED | HS_EXISTS) != 0,
        };
        if pending || !needed {
            continue;
        }
        let compat = match action {
            "ARCHIVE" => {
                f.flags & HS_NOARCHIVE == 0
                    && !(f.flags & HS_EXISTS != 0 && archive_id != 0 && archive_id != f.archive_id)
            }
            "RESTORE" => f.flags & (HS_DIRTY | HS_LOST) == 0 && f.flags & HS_ARCHIVED != 0,
            _ => f.flags & HS_RELEASED == 0,
        };
        if !compat {
            return fail(1);
        }
        let id = if archive_id != 0 {
            archive_id
        } else if f.archive_id != 0 {
            f.archive_id
        } else {
            DEFAULT_ARCHIVE_ID
        };
        records.push((c.clone(), f.fid.clone(), id));
    }
    let now = crate::state::now_micros();
    for (c, fid, id) in records {
        let hsm = &mut ctx.state.hsm;
        hsm.last_cookie += 1;
        hsm.last_idx += 1;
        hsm.actions.push(Request {
            mdt: mdt.clone(),
            fsname: c.fsname.clone(),
            idx: hsm.last_idx,
            cookie: 0x5f00_0000 + hsm.last_cookie,
            action: action.to_string(),
            path: c.path.clone(),
            fid,
            archive_id: id,
            status: "WAITING".into(),
            since_us: now,
            agent: None,
        });
    }
    Output::ok("")
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use crate::commands::mount_client::client_tests::running_fs;
    use crate::commands::test_support::run;
    use crate::state::ClusterState;

    fn mounted() -> ClusterState {
        let mut state = running_fs();
        for line in [
            "mount -t lustre 10.0.0.1@tcp:/fs1 /mnt/fs1",
            "truncate -s 1M /mnt/fs1/f",
            "mkdir -p /srv/archive",
        ] {
            assert_eq!(run(&mut state, "oss2", line).code, 0, "{line}");
        }
        state
    }

    /// Moves time on until no request is waiting or running.
    fn settle(state: &mut ClusterState) {
        let mut now = crate::state::now_micros();
        for _ in 0..10 {
            now += 1_100_000;
            crate::hsm::tick(state, now);
        }
    }

    #[test]
    fn an_archive_copy_is_removed_only_from_a_file_not_released() {
        let mut state = mounted();
        for line in [
            "lctl set_param mdt.fs1-MDT0000.hsm_control=enabled",
            "lhsmtool_posix --daemon --hsm-root /srv/archive --archive 1 /mnt/fs1",
        ] {
            let host = if line.starts_with("lctl") { "mds1" } else { "oss2" };
            assert_eq!(run(&mut state, host, line).code, 0, "{line}");
        }
        // Nothing archived: no request is needed, none is queued.
        assert_eq!(run(&mut state, "oss2", "lfs hsm_remove /mnt/fs1/f").code, 0);
        assert!(state.hsm.actions.is_empty());
        assert_eq!(run(&mut state, "oss2", "lfs hsm_archive /mnt/fs1/f").code, 0);
        settle(&mut state);
        assert_eq!(run(&mut state, "oss2", "lfs hsm_release /mnt/fs1/f").code, 0);
        let refused = run(&mut state, "oss2", "lfs hsm_remove /mnt/fs1/f");
        assert_eq!(
            (refused.code, refused.stderr.as_str()),
            (
                1,
                "Cannot send HSM request (use of /mnt/fs1/f): Operation not permitted\n"
            )
        );
        assert_eq!(run(&mut state, "oss2", "lfs hsm_restore /mnt/fs1/f").code, 0);
        settle(&mut state);
        assert_eq!(run(&mut state, "oss2", "lfs hsm_remove /mnt/fs1/f").code, 0);
        settle(&mut state);
        assert_eq!(
            run(&mut state, "oss2", "lfs hsm_state /mnt/fs1/f").stdout,
            "/mnt/fs1/f: (0x00000000), archive_id:1\n"
        );
        assert!(state.hsm.archived.get("oss2").is_some_and(|s| s.is_empty()));
    }

    #[test]
    fn a_file_is_archived_released_and_restored() {
        let mut state = mounted();
        let archive = run(&mut state, "oss2", "lfs hsm_archive /mnt/fs1/f");
        assert_eq!(
            (archive.code, archive.stderr.as_str()),
            (
                11,
                "Cannot send HSM request (use of /mnt/fs1/f): Resource temporarily unavailable\n"
            )
        );
        assert_eq!(
            run(&mut state, "mds1", "lctl set_param mdt.fs1-MDT0000.hsm_control=enabled").code,
            0
        );
        assert_eq!(
            run(&mut state, "oss2", "lfs hsm_state /mnt/fs1/f").stdout,
            "/mnt/fs1/f: (0x00000000)\n"
        );
        let release = run(&mut state, "oss2", "lfs hsm_release /mnt/fs1/f");
        assert_eq!(release.code, 1, "{}", release.stderr);
        assert_eq!(run(&mut state, "oss2", "lfs hsm_archive -a 1 /mnt/fs1/f").code, 0);
        settle(&mut state);
        // No copytool: the request waits.
        let actions = run(&mut state, "mds1", "lctl get_param -n mdt.fs1-MDT0000.hsm.actions").stdout;
        assert!(actions.contains(" action=ARCHIVE archive#=1 flags=0x0 extent=0x0-0xffffffffffffffff gid=0x0 datalen=0 status=WAITING data=[]"), "{actions}");
        let ct = run(
            &mut state,
            "oss2",
            "lhsmtool_posix --daemon --hsm-root /srv/archive --archive 1 /mnt/fs1",
        );
        assert_eq!((ct.code, ct.stderr.as_str()), (0, ""));
        let pids = run(&mut state, "oss2", "pgrep -f lhsmtool_posix").stdout;
        assert_eq!(pids.lines().count(), 1);
        settle(&mut state);
        assert_eq!(
            run(&mut state, "oss2", "lfs hsm_state /mnt/fs1/f").stdout,
            "/mnt/fs1/f: (0x00000009) exists archived, archive_id:1\n"
        );
        let agents = run(&mut state, "mds1", "lctl get_param -n mdt.fs1-MDT0000.hsm.agents").stdout;
        assert!(
            agents.ends_with(" archive_id=1 requests=[current:0 ok:1 errors:0]\n"),
            "{agents}"
        );
        assert_eq!(run(&mut state, "oss2", "lfs hsm_release /mnt/fs1/f").code, 0);
        assert_eq!(
            run(&mut state, "oss2", "lfs hsm_state /mnt/fs1/f").stdout,
            "/mnt/fs1/f: (0x0000000d) released exists archived, archive_id:1\n"
        );
        assert_eq!(run(&mut state, "oss2", "lfs hsm_restore /mnt/fs1/f").code, 0);
        settle(&mut state);
        assert_eq!(
            run(&mut state, "oss2", "lfs hsm_state /mnt/fs1/f").stdout,
            "/mnt/fs1/f: (0x00000009) exists archived, archive_id:1\n"
        );
        // The copytool holds the client mount.
        assert_eq!(run(&mut state, "oss2", "umount /mnt/fs1").code, 32);
        let pid = pids.trim().to_string();
        assert_eq!(run(&mut state, "oss2", &format!("kill {pid}")).code, 0);
        assert_eq!(run(&mut state, "oss2", "pgrep -f lhsmtool_posix").code, 1);
        assert_eq!(run(&mut state, "oss2", "umount /mnt/fs1").code, 0);
        let disable = run(&mut state, "mds1", "lctl set_param mdt.fs1-MDT0000.hsm_control=bogus");
        assert_eq!(disable.code, 22);
        let _ = state.hsm.archived.get("oss2").unwrap();
    }
}
