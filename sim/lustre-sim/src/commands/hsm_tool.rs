//! The POSIX copytool and the process tools that see it:
//! `lhsmtool_posix --daemon [--pid-file FILE] --hsm-root DIR [--archive N]…
//! MOUNT` (2.15's `lhsmtool_posix.c`: `ct_parseopts`, `main`, `ct_setup`,
//! `ct_run`; `pid_file.c`),
//! `pgrep [-a] [-f] PATTERN`, `kill [-SIG] PID…` and `ps -p PID -o
//! pid=,args=`. Copytools are the only processes the simulator models;
//! see [`crate::hsm`].

use super::{Context, Output};
use crate::hsm::Copytool;

fn ct_error(pid: u32, what: &str, errno: u32, why: &str) -> Output {
    let now = crate::state::now_micros() as f64 / 1e6;
    Output::fail(
        format!("{now:.6} lhsmtool_posix[{pid}]: {what}: {why} ({errno})\n"),
        errno,
    )
}

/// `lhsmtool_posix ARGS`.
pub fn copytool(args: &[String], ctx: &mut Context<'_>) -> Output {
    let mut daemon = false;
    let mut root = None;
    let mut pid_file = None;
    let mut archive_ids = Vec::new();
    let mut rest = Vec::new();
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        let (flag, inline) = super::split_long(a);
        let mut value = || inline.map(str::to_string).or_else(|| iter.next().cloned());
        match flag {
            "--daemon" => daemon = true,
            "-p" | "--hsm-root" | "--hsm_root" => root = value(),
            "-P" | "--pid-file" => pid_file = value(),
            "-A" | "--archive" => match value().and_then(|v| v.parse::<u32>().ok()) {
                Some(id) if id >= 1 => archive_ids.push(id),
                _ => {
                    return Output::fail(
                        "lhsmtool_posix: invalid archive-id\ntry 'lhsmtool_posix --help' for more information\n",
                        22,
                    )
                }
            },
            "-q" | "--quiet" | "-v" | "--verbose" | "--no-attr" | "--no-xattr" | "--no-shadow" | "--abort-on-error" => {
            }
            f if f.starts_with('-') => {
                return Output::fail(
                    format!(
                        "lhsmtool_posix: unrecognized option '{f}'\ntry 'lhsmtool_posix --help' for more information\n"
                    ),
                    22,
                )
            }
            p => rest.push(p.to_string()),
        }
    }
    let pid = ctx.state.hsm.last_pid.max(4200) + 1;
    let [mount] = rest.as_slice() else {
        return Output::fail("lhsmtool_posix: no lustre mount point specified\n", 22);
    };
    if !daemon {
        return Output::fail(
            "lustre-sim: lhsmtool_posix runs here only with --daemon (in the foreground it never returns)\n",
            1,
        );
    }
    let Some(root) = root else {
        return ct_error(
            pid,
            "must specify a root directory for the backend",
            22,
            "Invalid argument",
        );
    };
    if !ctx.state.local_dir_exists(&ctx.host, &root) {
        return ct_error(
            pid,
            &format!("cannot open archive at '{root}'"),
            2,
            "No such file or directory",
        );
    }
    let mount = crate::namespace::normalize(mount).unwrap_or_else(|| mount.clone());
    let Some(cm) = ctx.state.client_mount(&ctx.host, &mount).cloned() else {
        return ct_error(
            pid,
            &format!("cannot find a Lustre filesystem mounted at '{mount}'"),
            2,
            "No such file or directory",
        );
    };
    ctx.state.hsm.last_pid = pid;
    // Registration happens after daemon(): a refusal ends the daemon, and
    // the shell that started it sees success.
    let mdts = ctx.state.hsm_mdts(&cm.fsname);
    if mdts.is_empty() || mdts.iter().any(|m| ctx.state.hsm_control(m) == "stopped") {
        return Output::ok("");
    }
    // `create_pid_file` (after `daemon()` too) takes an `F_SETLK` lock: a
    // second copytool given a running one's pid file exits.
    if pid_file.as_ref().is_some_and(|f| {
        ctx.state
            .hsm
            .copytools
            .iter()
            .any(|c| c.host == ctx.host && c.pid_file.as_ref() == Some(f))
    }) {
        return Output::ok("");
    }
    let boot_id = ctx.state.host(&ctx.host).map(|h| h.boot.id.clone()).unwrap_or_default();
    let seed = format!("{}{}{pid}", ctx.host, mount);
    let hash = seed.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let uuid = format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hash >> 32,
        (hash >> 16) & 0xffff,
        hash & 0xffff,
        pid & 0xffff,
        hash & 0xffff_ffff_ffff
    );
    let cmdline = std::iter::once("lhsmtool_posix".to_string())
        .chain(args.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    ctx.state.hsm.copytools.push(Copytool {
        pid,
        host: ctx.host.clone(),
        boot_id,
        cmdline,
        fsname: cm.fsname.clone(),
        mountpoint: mount.clone(),
        hsm_root: root,
        archive_ids,
        uuid,
        ok: 0,
        errors: 0,
        pid_file,
        // The shell running it says where its output goes (see
        // `crate::exec`).
        stdio: crate::hsm::Stdio::Detached,
    });
    if let Some(m) = ctx
        .state
        .clients
        .mounts
        .iter_mut()
        .find(|m| m.host == ctx.host && m.mountpoint == mount)
    {
        m.holders.push(format!("lhsmtool_posix[{pid}]"));
    }
    Output::ok("")
}

/// `pgrep [-a] [-f] [-x] PATTERN`: copytools and still-running commands
/// whose name (or, with `-f`, command line) contains PATTERN (exactly,
/// with `-x`).
pub fn pgrep(args: &[String], ctx: &mut Context<'_>) -> Output {
    let list = args.iter().any(|a| a == "-a" || a == "-af" || a == "-fa");
    let full = args.iter().any(|a| a == "-f" || a == "-af" || a == "-fa");
    let exact = args.iter().any(|a| a == "-x");
    let Some(pattern) = args.iter().find(|a| !a.starts_with('-')) else {
        return Output::fail(
            "pgrep: no matching criteria specified\nTry `pgrep --help' for more information.\n",
            2,
        );
    };
    let mut out = String::new();
    let copytools = ctx
        .state
        .hsm
        .copytools
        .iter()
        .filter(|c| c.host == ctx.host)
        .map(|c| (c.pid, c.cmdline.as_str(), "lhsmtool_posix"));
    // Other commands still running (`crate::processes`), by their name.
    let others = ctx.state.running.iter().map(|r| {
        let first = r.cmdline.split(' ').next().unwrap_or_default();
        (r.pid, r.cmdline.as_str(), first.rsplit('/').next().unwrap_or(first))
    });
    for (pid, cmdline, name) in copytools.chain(others) {
        let hay = if full { cmdline } else { name };
        let hit = if exact {
            hay == pattern
        } else {
            hay.contains(pattern.as_str())
        };
        if hit {
            if list {
                out.push_str(&format!("{pid} {cmdline}\n"));
            } else {
                out.push_str(&format!("{pid}\n"));
            }
        }
    }
    if out.is_empty() {
        Output::fail("", 1)
    } else {
        Output::ok(out)
    }
}

/// `kill [-TERM|-KILL|-9|-15|-0] PID…`: ends copytools (`-0` only checks).
pub fn kill(args: &[String], ctx: &mut Context<'_>) -> Output {
    let check_only = args.iter().any(|a| a == "-0");
    let mut out = Output::ok("");
    for a in args.iter().filter(|a| !a.starts_with('-')) {
        let Ok(pid) = a.parse::<u32>() else {
            out.stderr
                .push_str(&format!("bash: kill: {a}: arguments must be process or job IDs\n"));
            out.code = 1;
            continue;
        };
        let at = ctx
            .state
            .hsm
            .copytools
            .iter()
            .position(|c| c.pid == pid && c.host == ctx.host);
        match at {
            None => {
                out.stderr.push_str(&format!("bash: kill: ({pid}) - No such process\n"));
                out.code = 1;
            }
            Some(_) if check_only => {}
            Some(i) => {
                let c = ctx.state.hsm.copytools.remove(i);
                crate::hsm::stopped(ctx.state, &c);
            }
        }
    }
    out
}

/// `ps -p PID [-o pid=,args=]`.
pub fn ps(args: &[String], ctx: &mut Context<'_>) -> Output {
    let pid = args
        .iter()
        .position(|a| a == "-p")
        .and_then(|i| args.get(i + 1))
        .and_then(|p| p.parse::<u32>().ok());
    let Some(pid) = pid else {
        return Output::fail("lustre-sim: ps: only `ps -p PID [-o pid=,args=]` is simulated\n", 1);
    };
    match ctx
        .state
        .hsm
        .copytools
        .iter()
        .find(|c| c.pid == pid && c.host == ctx.host)
    {
        Some(c) => Output::ok(format!("{:>7} {}\n", c.pid, c.cmdline)),
        None => Output::fail("", 1),
    }
}
