//! `lfs df [-i] [-h|-H] [PATH]`: space (or inodes) of each MDT and OST of
//! the file systems mounted on this client, then the file-system summary,
//! as 2.15's `lfs.c` (`lfs_df`, `mntdf`, `showdf`) prints them. The
//! numbers are those the targets' servers report (`osd-*.kbytes*`,
//! `files*` in `lctl get_param`); a target that is not mounted answers
//! EAGAIN and is left out, as `mntdf` skips it.

use super::{params, Context, Output};
use crate::namespace::ClientMount;
use crate::state::now_secs;

/// One target's statistics in KiB and inodes.
#[derive(Debug, Clone, Copy, Default)]
struct Statfs {
    kb_total: u64,
    kb_free: u64,
    kb_avail: u64,
    files: u64,
    ffree: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Units {
    Kib,
    Binary,
    Decimal,
}

/// Runs `lfs df`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    let mut inodes = false;
    let mut units = Units::Kib;
    let mut path = None;
    for a in args {
        match a.as_str() {
            "-i" | "--inodes" => inodes = true,
            "-h" | "--human-readable" => units = Units::Binary,
            "-H" | "--si" => units = Units::Decimal,
            "-l" | "--lazy" | "-v" | "--verbose" => {}
            a if a.starts_with('-') => {
                return Output::fail(format!("lfs df: unrecognized option '{a}'\n"), 22);
            }
            p => path = Some(p.to_string()),
        }
    }
    let mounts: Vec<ClientMount> = match &path {
        Some(p) => match super::lfs::client_path(ctx, "df", p) {
            Ok(c) => ctx
                .state
                .client_mount(&ctx.host, &c.mountpoint)
                .cloned()
                .into_iter()
                .collect(),
            Err(_) => {
                return Output::fail(
                    format!("lfs df: cannot find mountpoint for '{p}': No such device (19)\n"),
                    19,
                )
            }
        },
        None => ctx
            .state
            .clients
            .mounts
            .iter()
            .filter(|m| m.host == ctx.host)
            .cloned()
            .collect(),
    };
    let mut out = String::new();
    for m in mounts {
        out.push_str(&mount_df(&m, inodes, units, ctx));
    }
    Output::ok(out)
}

/// The statistics of every mounted target of `fsname`, MDTs then OSTs, by
/// index: `(is_mdt, index, statfs)`.
fn targets(fsname: &str, ctx: &Context<'_>) -> Vec<(bool, u32, Statfs)> {
    let now = now_secs();
    let mut hosts: Vec<String> = ctx
        .state
        .mounts
        .iter()
        .filter(|m| {
            ctx.state.devices[&m.serial]
                .target
                .as_ref()
                .is_some_and(|t| t.fsname == fsname && (t.mdt || t.ost))
        })
        .map(|m| m.host.clone())
        .collect();
    hosts.sort();
    hosts.dedup();
    let mut state = ctx.state.clone();
    let mut found = Vec::new();
    for host in hosts {
        let server = Context {
            host: host.clone(),
            state: &mut state,
            faults: ctx.faults.clone(),
        };
        let table = params::table(&server, now);
        for m in ctx.state.mounts.iter().filter(|m| m.host == host) {
            let Some(t) = ctx.state.devices[&m.serial].target.as_ref() else {
                continue;
            };
            if t.fsname != fsname || !(t.mdt || t.ost) {
                continue;
            }
            let svname = t.svname();
            let get = |key: &str| {
                table
                    .iter()
                    .find(|(n, _)| n.starts_with("osd-") && n.ends_with(&format!(".{svname}.{key}")))
                    .and_then(|(_, v)| v.trim().parse::<u64>().ok())
                    .unwrap_or(0)
            };
            let st = Statfs {
                kb_total: get("kbytestotal"),
                kb_free: get("kbytesfree"),
                kb_avail: get("kbytesavail"),
                files: get("filestotal"),
                ffree: get("filesfree"),
            };
            found.push((t.mdt, t.index.unwrap_or(0), st));
        }
    }
    found.sort_by_key(|(mdt, index, _)| (!mdt, *index));
    found
}

fn mount_df(m: &ClientMount, inodes: bool, units: Units, ctx: &Context<'_>) -> String {
    let mut out = format!(
        "{:<20} {:>11} {:>11} {:>11} {:>4} {}\n",
        "UUID",
        if inodes {
            "Inodes"
        } else if units == Units::Kib {
            "1K-blocks"
        } else {
            "bytes"
        },
        if inodes { "IUsed" } else { "Used" },
        if inodes { "IFree" } else { "Available" },
        if inodes { "IUse%" } else { "Use%" },
        "Mounted on"
    );
    let mut sum = Statfs::default();
    let (mut ost_files, mut ost_ffree, mut have_ost) = (0, 0, false);
    for (mdt, index, st) in targets(&m.fsname, ctx) {
        let kind = if mdt { "MDT" } else { "OST" };
        let uuid = format!("{}-{kind}{index:04x}_UUID", m.fsname);
        out.push_str(&line(
            &uuid,
            &st,
            inodes,
            units,
            &format!("{}[{kind}:{index}]", m.mountpoint),
        ));
        if mdt {
            sum.files += st.files;
            sum.ffree += st.ffree;
        } else {
            if !have_ost {
                // With OSTs, MDT space is not part of the summary.
                have_ost = true;
                sum.kb_total = 0;
                sum.kb_free = 0;
                sum.kb_avail = 0;
            }
            ost_files += st.files;
            ost_ffree += st.ffree;
        }
        sum.kb_total += st.kb_total;
        sum.kb_free += st.kb_free;
        sum.kb_avail += st.kb_avail;
    }
    if ost_files > 0 && ost_ffree < sum.ffree {
        sum.files = (sum.files - sum.ffree) + ost_ffree;
        sum.ffree = ost_ffree;
    }
    out.push('\n');
    out.push_str(&line("filesystem_summary:", &sum, inodes, units, &m.mountpoint));
    out.push('\n');
    out
}

fn line(uuid: &str, st: &Statfs, inodes: bool, units: Units, mounted_on: &str) -> String {
    let (total, used, avail) = if inodes {
        (st.files, st.files - st.ffree.min(st.files), st.ffree)
    } else {
        (st.kb_total, st.kb_total - st.kb_free.min(st.kb_total), st.kb_avail)
    };
    // `obd_statfs_ratio`: used / (used + avail), rounded up.
    let ratio = if used + avail == 0 {
        0
    } else {
        (used * 100).div_ceil(used + avail)
    };
    let cook = |v: u64| -> String {
        if units == Units::Kib {
            return v.to_string();
        }
        let bytes = if inodes { v } else { v * 1024 };
        cooked(bytes, units == Units::Decimal)
    };
    format!(
        "{uuid:<20} {:>11} {:>11} {:>11} {:>3}% {mounted_on}\n",
        cook(total),
        cook(used),
        cook(avail),
        ratio
    )
}

/// `COOK` then `HDF` (`%8.1f%c`): the value divided down while above the
/// base, with its unit; plain below it.
fn cooked(value: u64, decimal: bool) -> String {
    let base = if decimal { 1000.0 } else { 1024.0 };
    let suffix: &[u8] = if decimal { b"kMGTPEZY" } else { b"KMGTPEZY" };
    let mut v = value as f64;
    let mut radix = 0;
    while v > base {
        v /= base;
        radix += 1;
    }
    if radix == 0 {
        return value.to_string();
    }
    format!("{v:8.1}{}", suffix[radix - 1] as char)
}

#[cfg(test)]
mod tests {
    use super::cooked;

    #[test]
    fn sizes_cook_as_lfs_prints_them() {
        assert_eq!(cooked(512, false), "512");
        assert_eq!(cooked(3 << 30, false), "     3.0G");
        assert_eq!(cooked(1_500_000, true), "     1.5M");
    }
}
