//! Lustre quotas as a client sees them (Lustre 2.15, `lustre/utils/lfs.c`
//! `lfs_quota`, `get_print_quota`, `print_quota`, `lfs_setquota`,
//! `lfs_setquota_times`): `lfs quota [-q] [-v] -u|-g|-p ID MOUNT`, `lfs
//! quota -t -u|-g|-p MOUNT`, `lfs setquota -u|-g|-p ID [-b N] [-B N] [-i N]
//! [-I N] MOUNT` and `lfs setquota -t -u|-g|-p [-b T] [-i T] MOUNT`.
//!
//! Usage is always accounted (from the client namespace: a file's size
//! rounded up to KiB, one inode per file or directory); limits are stored
//! per file system (what the quota master on MDT0000 keeps) and enforced
//! only for the types named by `lctl conf_param FS.quota.ost=…` (blocks)
//! and `FS.quota.mdt=…` (inodes) on the MGS. An enforced write past a hard
//! limit fails with EDQUOT ([`check_write`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Context, Output};
use crate::namespace::{Kind, Namespace};
use crate::state::ClusterState;

/// Lustre's default grace time, a week (`MAX_DQ_TIME`, `MAX_IQ_TIME`).
pub const DEFAULT_GRACE: u64 = 604_800;

/// Quota limits and grace times of one file system.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quotas {
    /// Limits by `usr:ID`, `grp:ID` or `prj:ID`.
    #[serde(default)]
    pub limits: BTreeMap<String, Limits>,
    /// Grace times (block, inode) in seconds by `usr`, `grp`, `prj`.
    #[serde(default)]
    pub grace: BTreeMap<String, (u64, u64)>,
}

/// One id's limits (blocks in KiB) and when its grace periods end
/// (seconds since the epoch, 0 while under the soft limit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub bsoft: u64,
    pub bhard: u64,
    pub isoft: u64,
    pub ihard: u64,
    #[serde(default)]
    pub btime: u64,
    #[serde(default)]
    pub itime: u64,
}

/// A quota type: `usr`, `grp` or `prj`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QType {
    Usr,
    Grp,
    Prj,
}

impl QType {
    fn name(self) -> &'static str {
        match self {
            QType::Usr => "usr",
            QType::Grp => "grp",
            QType::Prj => "prj",
        }
    }

    fn letter(self) -> char {
        match self {
            QType::Usr => 'u',
            QType::Grp => 'g',
            QType::Prj => 'p',
        }
    }

    fn of(flag: &str) -> Option<QType> {
        match flag {
            "-u" | "--user" => Some(QType::Usr),
            "-g" | "--group" => Some(QType::Grp),
            "-p" | "--projid" => Some(QType::Prj),
            _ => None,
        }
    }
}

fn key(t: QType, id: u32) -> String {
    format!("{}:{id}", t.name())
}

/// `(KiB, inodes)` that id `id` of type `t` uses in `ns`.
pub fn usage(ns: &Namespace, t: QType, id: u32) -> (u64, u64) {
    let mut kib = 0;
    let mut inodes = 0;
    for e in ns.entries.values() {
        let owner = match t {
            QType::Usr => e.uid,
            QType::Grp => e.gid,
            QType::Prj => e.projid,
        };
        if owner != id {
            continue;
        }
        inodes += 1;
        if e.kind == Kind::File {
            kib += e.size.div_ceil(1024);
        }
    }
    (kib, inodes)
}

/// The enforcement `lctl conf_param FS.quota.ost|mdt=` last set on an MGS
/// (`none` when never set or deleted): (`ost`, `mdt`).
pub fn enforcement(state: &ClusterState, fsname: &str) -> (String, String) {
    let mut ost = "none".to_string();
    let mut mdt = "none".to_string();
    let log = format!("{fsname}-MDT0000");
    for logs in state.mgs_llogs.values() {
        let Some(records) = logs.get(&log) else { continue };
        for body in records {
            let Some(at) = body.find("parameter: quota.") else {
                continue;
            };
            let param = &body[at + "parameter: quota.".len()..];
            let param = param.split(", ").next().unwrap_or(param);
            let Some((which, value)) = param.split_once('=') else {
                continue;
            };
            let value = if value.is_empty() { "none" } else { value };
            match which {
                "ost" => ost = value.to_string(),
                "mdt" => mdt = value.to_string(),
                _ => {}
            }
        }
    }
    (ost, mdt)
}

/// `mgs_write_log_quota`: `quota.mdt` or `quota.ost` only, set to letters
/// of `ugp` or `none`, or empty (deleted). 2.15 takes any value holding a
/// `u`, `g` or `p`; the sim takes only combinations of them.
pub fn valid_quota_param(param: &str) -> bool {
    let Some((name, value)) = param.split_once('=') else {
        return false;
    };
    matches!(name, "quota.mdt" | "quota.ost")
        && (value.is_empty() || value == "none" || value.chars().all(|c| matches!(c, 'u' | 'g' | 'p')))
}

fn enforced(setting: &str, t: QType) -> bool {
    setting != "none" && setting.contains(t.letter())
}

/// `qmt_space_exhausted` (Lustre 2.15 `lustre/quota/qmt_entry.c`): an id
/// may take no more once at or past its hard limit, or past its soft limit
/// with the grace time spent.
fn exhausted(used_after: u64, soft: u64, hard: u64, grace_ends: u64, now: u64) -> bool {
    (hard > 0 && used_after > hard) || (soft > 0 && used_after > soft && grace_ends != 0 && now >= grace_ends)
}

/// Whether `owner` (uid, gid, projid) may be charged `more_kib` more KiB
/// and `more_inodes` more inodes on `fsname`: each charge is checked only
/// for the types its enforcement (`quota.ost` for blocks, `quota.mdt` for
/// inodes) names. Root (id 0) is never limited.
fn may_charge(state: &ClusterState, fsname: &str, owner: (u32, u32, u32), more_kib: u64, more_inodes: u64) -> bool {
    let Some(ns) = state.clients.namespaces.get(fsname) else {
        return true;
    };
    let (ost, mdt) = enforcement(state, fsname);
    let now = crate::state::now_secs();
    for (t, id) in [(QType::Usr, owner.0), (QType::Grp, owner.1), (QType::Prj, owner.2)] {
        if id == 0 {
            continue;
        }
        let Some(l) = ns.quotas.limits.get(&key(t, id)) else {
            continue;
        };
        let (kib, inodes) = usage(ns, t, id);
        if more_kib > 0 && enforced(&ost, t) && exhausted(kib + more_kib, l.bsoft, l.bhard, l.btime, now) {
            return false;
        }
        if more_inodes > 0 && enforced(&mdt, t) && exhausted(inodes + more_inodes, l.isoft, l.ihard, l.itime, now) {
            return false;
        }
    }
    true
}

/// Whether growing a file owned by `owner` (uid, gid, projid) by
/// `more_bytes` passes an enforced block limit of `fsname` (the hard
/// limit, or the soft one once its grace is spent).
pub fn check_write(state: &ClusterState, fsname: &str, owner: (u32, u32, u32), more_bytes: u64) -> bool {
    may_charge(state, fsname, owner, more_bytes.div_ceil(1024), 0)
}

/// Whether `owner` may create one more file or directory on `fsname`
/// under its enforced inode limits. The sim's `mkdir`, `truncate` and
/// `fallocate` create as root, whom no limit binds.
pub fn check_create(state: &ClusterState, fsname: &str, owner: (u32, u32, u32)) -> bool {
    may_charge(state, fsname, owner, 0, 1)
}

/// `chown`/`chgrp` of the entries `paths` (inside `fsname`) to `uid`
/// and/or `gid`: the new owner is charged their inodes and KiB, refused
/// with EDQUOT past an enforced limit (2.15's MDT and OSTs check the new
/// id's quota when a uid or gid changes; the sim does not model root's
/// `CAP_SYS_RESOURCE` there).
pub fn check_chown(state: &ClusterState, fsname: &str, paths: &[String], uid: Option<u32>, gid: Option<u32>) -> bool {
    let Some(ns) = state.clients.namespaces.get(fsname) else {
        return true;
    };
    let mut moved: BTreeMap<(u8, u32), (u64, u64)> = BTreeMap::new();
    for p in paths {
        let Some(e) = ns.entries.get(p) else { continue };
        let kib = if e.kind == Kind::File { e.size.div_ceil(1024) } else { 0 };
        for (slot, new, old) in [(0u8, uid, e.uid), (1u8, gid, e.gid)] {
            if let Some(new) = new.filter(|n| *n != old) {
                let m = moved.entry((slot, new)).or_default();
                m.0 += kib;
                m.1 += 1;
            }
        }
    }
    moved.into_iter().all(|((slot, id), (kib, inodes))| {
        let owner = if slot == 0 { (id, 0, 0) } else { (0, id, 0) };
        may_charge(state, fsname, owner, kib, inodes)
    })
}

/// The quota types a target's quota slave enforces, as `lctl get_param
/// osd-*.TARGET.quota_slave.enabled` prints them (`qsd_enabled_seq_show`
/// in 2.15 `lustre/quota/qsd_lib.c`): the letters of `ugp` in that order,
/// or `none`. An MDT's slave follows `quota.mdt`, an OST's `quota.ost`.
pub fn slave_enabled(state: &ClusterState, fsname: &str, mdt: bool) -> String {
    let (ost, md) = enforcement(state, fsname);
    let setting = if mdt { md } else { ost };
    let letters: String = [QType::Usr, QType::Grp, QType::Prj]
        .into_iter()
        .filter(|t| enforced(&setting, *t))
        .map(QType::letter)
        .collect();
    if letters.is_empty() {
        "none".into()
    } else {
        letters
    }
}

/// The OSTs of `fsname` a client cannot reach: registered once (mounted
/// before) and not mounted now, unless deactivated for good (`lctl
/// conf_param FS-OSTxxxx.osc.active=0`, which 2.15's `lov_quotactl` skips
/// without an error).
pub fn down_osts(state: &ClusterState, fsname: &str) -> Vec<u32> {
    let up = state.active_osts(fsname);
    let mut down: Vec<u32> = state
        .devices
        .values()
        .filter_map(|d| {
            let t = d.target.as_ref()?;
            (t.ost && t.fsname == fsname && !t.first_time).then_some(t.index?)
        })
        .filter(|i| !up.contains(i))
        .filter(|i| !deactivated(state, fsname, *i))
        .collect();
    down.sort_unstable();
    down.dedup();
    down
}

fn deactivated(state: &ClusterState, fsname: &str, index: u32) -> bool {
    let device = format!("device: {fsname}-OST{index:04x}-osc");
    let log = format!("{fsname}-client");
    let mut inactive = false;
    for logs in state.mgs_llogs.values() {
        for body in logs.get(&log).into_iter().flatten() {
            if body.contains(&device) {
                if body.contains("parameter: osc.active=0") {
                    inactive = true;
                } else if body.contains("parameter: osc.active=") {
                    inactive = false;
                }
            }
        }
    }
    inactive
}

/// `truncate`/`fallocate` of `file` (at `c`) to `bytes`: refused with
/// EDQUOT when growing it passes an enforced hard limit of its owner.
/// Sizes are blocks here (no sparse files), so `truncate` is refused too.
pub fn check_resize(
    state: &ClusterState,
    cmd: &str,
    file: &str,
    c: &crate::namespace::ClientPath,
    bytes: u64,
    grow: bool,
) -> Result<(), Output> {
    let Some(e) = state
        .clients
        .namespaces
        .get(&c.fsname)
        .and_then(|ns| ns.entries.get(&c.path))
        .filter(|e| e.kind == Kind::File)
    else {
        return Ok(());
    };
    let new = if grow { e.size.max(bytes) } else { bytes };
    if new <= e.size || check_write(state, &c.fsname, (e.uid, e.gid, e.projid), new - e.size) {
        return Ok(());
    }
    Err(if cmd == "fallocate" {
        Output::fail("fallocate: fallocate failed: Disk quota exceeded\n", 1)
    } else {
        Output::fail(
            format!("{cmd}: failed to truncate '{file}' at {new} bytes: Disk quota exceeded\n"),
            1,
        )
    })
}

/// Starts or stops each id's grace timers after its usage changed, as the
/// quota master does when an id crosses its soft limit.
pub fn settle(ns: &mut Namespace, now: u64) {
    let keys: Vec<String> = ns.quotas.limits.keys().cloned().collect();
    for k in keys {
        let Some((t, id)) = k.split_once(':') else { continue };
        let t = match t {
            "usr" => QType::Usr,
            "grp" => QType::Grp,
            _ => QType::Prj,
        };
        let Ok(id) = id.parse::<u32>() else { continue };
        let (kib, inodes) = usage(ns, t, id);
        let (bgrace, igrace) = ns
            .quotas
            .grace
            .get(t.name())
            .copied()
            .unwrap_or((DEFAULT_GRACE, DEFAULT_GRACE));
        if let Some(l) = ns.quotas.limits.get_mut(&k) {
            if l.bsoft > 0 && kib > l.bsoft {
                if l.btime == 0 {
                    l.btime = now + bgrace;
                }
            } else {
                l.btime = 0;
            }
            if l.isoft > 0 && inodes > l.isoft {
                if l.itime == 0 {
                    l.itime = now + igrace;
                }
            } else {
                l.itime = 0;
            }
        }
    }
}

/// `__sec2str`: `1w2d3h4m5s`, zero fields left out, `0s` for zero.
pub fn sec2str(mut seconds: u64) -> String {
    let units = [(604_800, 'w'), (86_400, 'd'), (3_600, 'h'), (60, 'm'), (1, 's')];
    let mut out = String::new();
    for (mult, c) in units {
        let n = seconds / mult;
        if n > 0 || (mult == 1 && out.is_empty()) {
            out.push_str(&format!("{n}{c}"));
        }
        seconds %= mult;
    }
    out
}

/// `str2sec`: a number of seconds or `1w2d3h4m5s`.
fn str2sec(text: &str) -> Option<u64> {
    if let Ok(n) = text.parse() {
        return Some(n);
    }
    let mut total = 0u64;
    let mut num = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let mult = match c {
            'w' => 604_800,
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        let n: u64 = num.parse().ok()?;
        total = total.checked_add(n.checked_mul(mult)?)?;
        num.clear();
    }
    num.is_empty().then_some(total)
}

/// A limit as `lfs setquota` reads it: a number in `unit` bytes, or with a
/// `k`/`M`/`G`/`T`/`P` suffix (binary), returned in `unit`s.
fn parse_limit(text: &str, unit: u64) -> Option<u64> {
    let (digits, suffix) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, ""),
    };
    let n: u64 = digits.parse().ok()?;
    let shift = match suffix {
        "" => return Some(n),
        "k" | "K" => 10,
        "m" | "M" => 20,
        "g" | "G" => 30,
        "t" | "T" => 40,
        "p" | "P" => 50,
        _ => return None,
    };
    n.checked_mul(1u64 << shift).map(|b| b / unit)
}

fn quota_id(text: &str) -> Option<u32> {
    if text == "root" {
        return Some(0);
    }
    text.parse().ok()
}

/// The file system a mount point argument names (the client mount itself
/// or a path under it).
fn fs_of(ctx: &Context<'_>, cmd: &str, mnt: &str) -> Result<String, Output> {
    super::lfs::client_path(ctx, cmd, mnt).map(|c| c.fsname)
}

/// `lfs quota …`.
pub fn quota(args: &[String], ctx: &mut Context<'_>) -> Output {
    let mut qtype = None;
    let mut times = false;
    let mut quiet = false;
    let mut verbose = false;
    let mut rest = Vec::new();
    for a in args {
        if let Some(t) = QType::of(a) {
            if qtype.is_some() {
                return Output::fail("lfs quota: only one of -u, -g, or -p may be specified\n", 1);
            }
            qtype = Some(t);
            continue;
        }
        match a.as_str() {
            "-t" => times = true,
            "-q" => quiet = true,
            "-v" => verbose = true,
            "-h" => {
                return Output::fail("lfs quota: -h (human readable) is not simulated\n", 1);
            }
            o if o.starts_with('-') => return Output::fail(format!("lfs quota: unrecognized option '{o}'\n"), 1),
            _ => rest.push(a.clone()),
        }
    }
    if times {
        let (Some(t), [mnt]) = (qtype, rest.as_slice()) else {
            return Output::fail("lfs quota: missing quota info argument(s)\n", 1);
        };
        let fsname = match fs_of(ctx, "quota", mnt) {
            Ok(f) => f,
            Err(e) => return e,
        };
        let ns = ctx.state.namespace_mut(&fsname);
        let (b, i) = ns
            .quotas
            .grace
            .get(t.name())
            .copied()
            .unwrap_or((DEFAULT_GRACE, DEFAULT_GRACE));
        return Output::ok(format!(
            "Block grace time: {}; Inode grace time: {}\n",
            sec2str(b),
            sec2str(i)
        ));
    }
    let (Some(t), [name, mnt]) = (qtype, rest.as_slice()) else {
        return Output::fail("lfs quota: name and mount point must be specified\n", 1);
    };
    let Some(id) = quota_id(name) else {
        return Output::fail(format!("lfs quota: invalid id '{name}'\n"), 1);
    };
    let fsname = match fs_of(ctx, "quota", mnt) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let now = crate::state::now_secs();
    let osts = ctx.state.active_osts(&fsname);
    let down = down_osts(ctx.state, &fsname);
    let ns = ctx.state.namespace_mut(&fsname);
    let mut limits = ns.quotas.limits.get(&key(t, id)).copied().unwrap_or_default();
    if id == 0 {
        limits = Limits::default();
    }
    let (mut kib, inodes) = usage(ns, t, id);
    // `lov_quotactl` sums only the OSTs it reaches and then answers
    // -ENETDOWN, so the client's block usage lacks `QIF_SPACE`.
    let per_ost = ost_kib(ns, t, id, &osts);
    for ost in &down {
        kib = kib.saturating_sub(per_ost.get(ost).copied().unwrap_or(0));
    }
    let mut out = String::new();
    if !quiet {
        out.push_str(&format!(
            "Disk quotas for {} {name} ({}id {id}):\n",
            t.name(),
            t.letter()
        ));
        out.push_str(&format!(
            "{:>15}{:>8} {:>7}{:>8}{:>8}{:>8} {:>7}{:>8}{:>8}\n",
            "Filesystem", "kbytes", "quota", "limit", "grace", "files", "quota", "limit", "grace"
        ));
    }
    out.push_str(&row(mnt, kib, inodes, &limits, now, !down.is_empty()));
    let mut stderr = String::new();
    if verbose {
        out.push_str(&target_rows(ns, &fsname, t, id, &osts));
        // `print_obd_quota`: a target that does not answer.
        for ost in &down {
            stderr.push_str(&format!("quotactl osc{ost} failed.\n"));
        }
        out.push_str("Total allocated inode limit: 0, total allocated block limit: 0\n");
    }
    if down.is_empty() {
        return Output::ok(out);
    }
    // `get_print_quota`: the usage is inaccurate, said on stdout; -EIO,
    // which `lfs`'s `main` turns into exit status 5.
    out.push_str(INACCURATE);
    Output {
        stdout: out,
        stderr,
        code: 5,
    }
}

/// What `get_print_quota` prints after a row with values in brackets.
pub const INACCURATE: &str = "Some errors happened when getting quota info. Some devices may be not working or \
                              deactivated. The data in \"[]\" is inaccurate.\n";

/// `bover`/`iover` of `print_quota`: 1 at or past the hard limit, 2 over
/// the soft one within grace, 3 over it with grace spent.
fn over(used: u64, soft: u64, hard: u64, time: u64, now: u64) -> u8 {
    if hard > 0 && used >= hard {
        1
    } else if soft > 0 && time > 0 {
        if time > now {
            2
        } else {
            3
        }
    } else {
        0
    }
}

/// `diff2str`: what is left of a grace period, `none` once spent.
fn diff2str(time: u64, now: u64) -> String {
    if time == 0 {
        String::new()
    } else if time <= now {
        "none".into()
    } else {
        sec2str(time - now)
    }
}

/// One line of `print_quota` for the whole file system; `partial`: the
/// block usage lacks an OST (`[%s]`, no `QIF_SPACE`).
fn row(mnt: &str, kib: u64, inodes: u64, l: &Limits, now: u64, partial: bool) -> String {
    let mut out = if mnt.len() > 15 {
        format!("{mnt}\n{:15}", "")
    } else {
        format!("{mnt:>15}")
    };
    let bover = over(kib, l.bsoft, l.bhard, l.btime, now);
    let iover = over(inodes, l.isoft, l.ihard, l.itime, now);
    let bgrace = if bover > 1 { diff2str(l.btime, now) } else { "-".into() };
    let igrace = if iover > 1 { diff2str(l.itime, now) } else { "-".into() };
    let kib = if partial { format!("[{kib}]") } else { kib.to_string() };
    out.push_str(&format!(
        " {kib:>7}{} {:>6} {:>7} {bgrace:>7}",
        if bover > 0 { '*' } else { ' ' },
        l.bsoft,
        l.bhard
    ));
    out.push_str(&format!(
        " {inodes:>7}{} {:>6} {:>7} {igrace:>7}\n",
        if iover > 0 { '*' } else { ' ' },
        l.isoft,
        l.ihard
    ));
    out
}

/// `lfs quota -v`'s per-target lines: MDT0000 holds every inode, each OST
/// the KiB of its objects; the targets' granted limits are shown as 0.
fn target_rows(ns: &Namespace, fsname: &str, t: QType, id: u32, osts: &[u32]) -> String {
    let (_, inodes) = usage(ns, t, id);
    let mut out = format!(
        "{fsname}-MDT0000_UUID\n{:15} {:>7}  {:>6} {:>7} {:>7} {inodes:>7}  {:>6} {:>7} {:>7}\n",
        "", 0, "-", 0, "-", "-", 0, "-"
    );
    for (ost, kib) in ost_kib(ns, t, id, osts) {
        if !osts.contains(&ost) {
            continue;
        }
        out.push_str(&format!(
            "{fsname}-OST{ost:04x}_UUID\n{:15} {kib:>7}  {:>6} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}\n",
            "", "-", 0, "-", "-", "-", "-", "-"
        ));
    }
    out
}

/// The KiB of id `id`'s file objects on each OST (every OST in `osts`
/// listed, with 0 when it holds none).
fn ost_kib(ns: &Namespace, t: QType, id: u32, osts: &[u32]) -> BTreeMap<u32, u64> {
    let mut per_ost: BTreeMap<u32, u64> = osts.iter().map(|o| (*o, 0)).collect();
    for e in ns.entries.values().filter(|e| e.kind == Kind::File) {
        let owner = match t {
            QType::Usr => e.uid,
            QType::Grp => e.gid,
            QType::Prj => e.projid,
        };
        let Some(layout) = e.layout.as_ref().filter(|l| owner == id && !l.objects.is_empty()) else {
            continue;
        };
        let n = layout.objects.len() as u64;
        let ss = layout.stripe_size.max(1);
        let chunks = e.size / ss;
        let tail = e.size % ss;
        for (j, (ost, _)) in layout.objects.iter().enumerate() {
            let j = j as u64;
            let mut bytes = (chunks / n + u64::from(j < chunks % n)) * ss;
            if j == chunks % n {
                bytes += tail;
            }
            *per_ost.entry(*ost).or_default() += bytes.div_ceil(1024);
        }
    }
    per_ost
}

/// `lfs setquota …`.
pub fn setquota(args: &[String], ctx: &mut Context<'_>) -> Output {
    if args.iter().any(|a| a == "-t") {
        return setquota_times(args, ctx);
    }
    let mut target: Option<(QType, u32)> = None;
    let mut set: [Option<u64>; 4] = [None; 4];
    let mut rest = Vec::new();
    let mut warnings = String::new();
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        let (flag, inline) = super::split_long(a);
        if let Some(t) = QType::of(flag) {
            let Some(text) = inline.map(str::to_string).or_else(|| iter.next().cloned()) else {
                return Output::fail(format!("lfs setquota: option '{flag}' requires an argument\n"), 1);
            };
            let Some(id) = quota_id(&text) else {
                return Output::fail(format!("lfs setquota: invalid id '{text}'\n"), 1);
            };
            if id == 0 {
                return Output::fail("lfs setquota: can't set quota for root usr/group/project.\n", 1);
            }
            if target.is_some() {
                return Output::fail(
                    "lfs setquota: only one of -u, -U, -g, -G, -p or -P may be specified\n",
                    1,
                );
            }
            target = Some((t, id));
            continue;
        }
        let slot = match flag {
            "-b" | "--block-softlimit" => 0,
            "-B" | "--block-hardlimit" => 1,
            "-i" | "--inode-softlimit" => 2,
            "-I" | "--inode-hardlimit" => 3,
            o if o.starts_with('-') => {
                return Output::fail(format!("lfs setquota: unrecognized option '{o}'\n"), 1);
            }
            _ => {
                rest.push(a.clone());
                continue;
            }
        };
        let Some(text) = inline.map(str::to_string).or_else(|| iter.next().cloned()) else {
            return Output::fail(format!("lfs setquota: option '{flag}' requires an argument\n"), 1);
        };
        let unit = if slot < 2 { 1024 } else { 1 };
        let Some(v) = parse_limit(&text, unit) else {
            return Output::fail(format!("lfs: invalid limit '{text}'\n"), 1);
        };
        if v > 0 && v <= 1024 {
            let what = [
                "block softlimit",
                "block hardlimit",
                "inode softlimit",
                "inode hardlimit",
            ][slot];
            warnings.push_str(&format!(
                "lfs setquota: warning: {what} '{v}' smaller than minimum qunit size\n\
                 See 'lfs help setquota' or Lustre manual for details\n"
            ));
        }
        set[slot] = Some(v);
    }
    let Some((t, id)) = target else {
        return Output::fail("lfs setquota: either -u or -g must be specified\n", 1);
    };
    if set.iter().all(Option::is_none) {
        return Output::fail("lfs setquota: at least one limit must be specified\n", 1);
    }
    let [mnt] = rest.as_slice() else {
        let extra = rest.get(1).cloned().unwrap_or_default();
        return Output::fail(
            format!("lfs setquota: filesystem not specified or unexpected argument '{extra}'\n"),
            1,
        );
    };
    let fsname = match fs_of(ctx, "setquota", mnt) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let ns = ctx.state.namespace_mut(&fsname);
    let mut l = ns.quotas.limits.get(&key(t, id)).copied().unwrap_or_default();
    l.bsoft = set[0].unwrap_or(l.bsoft);
    l.bhard = set[1].unwrap_or(l.bhard);
    l.isoft = set[2].unwrap_or(l.isoft);
    l.ihard = set[3].unwrap_or(l.ihard);
    // The quota master refuses a soft limit above a non-zero hard one
    // (stricter than 2.15, which stores it; see docs/lustre-sim-formats.md).
    if (l.bhard > 0 && l.bsoft > l.bhard) || (l.ihard > 0 && l.isoft > l.ihard) {
        let mut out = Output::fail("setquota failed: Invalid argument\n", 22);
        out.stderr.insert_str(0, &warnings);
        return out;
    }
    if l == Limits::default() || (l.bsoft, l.bhard, l.isoft, l.ihard) == (0, 0, 0, 0) {
        ns.quotas.limits.remove(&key(t, id));
    } else {
        ns.quotas.limits.insert(key(t, id), l);
    }
    settle(ns, crate::state::now_secs());
    let mut out = Output::ok("");
    out.stderr = warnings;
    out
}

/// `lfs setquota -t -u|-g|-p [-b|--block-grace T] [-i|--inode-grace T] MNT`.
fn setquota_times(args: &[String], ctx: &mut Context<'_>) -> Output {
    let mut qtype = None;
    let mut block = None;
    let mut inode = None;
    let mut rest = Vec::new();
    let mut iter = args.iter();
    while let Some(a) = iter.next() {
        let (flag, inline) = super::split_long(a);
        match flag {
            "-t" | "--times" => {}
            "-u" | "--user" | "-g" | "--group" | "-p" | "--projid" => {
                if qtype.is_some() {
                    return Output::fail("lfs: -u/g/p cannot be used more than once\n", 1);
                }
                qtype = QType::of(flag);
            }
            "-b" | "--block-grace" | "-i" | "--inode-grace" => {
                let Some(text) = inline.map(str::to_string).or_else(|| iter.next().cloned()) else {
                    return Output::fail(format!("lfs: option '{flag}' requires an argument\n"), 1);
                };
                let block_flag = flag == "-b" || flag == "--block-grace";
                let Some(secs) = str2sec(&text).filter(|s| *s < (1 << 48) - 1) else {
                    let which = if block_flag { "block-grace" } else { "inode-grace" };
                    return Output::fail(format!("lfs: bad {which}: {text}\n"), 1);
                };
                if block_flag {
                    block = Some(secs);
                } else {
                    inode = Some(secs);
                }
            }
            o if o.starts_with('-') => return Output::fail(format!("lfs: unrecognized option '{o}'\n"), 1),
            _ => rest.push(a.clone()),
        }
    }
    let Some(t) = qtype else {
        return Output::fail("lfs: neither -u, -g nor -p specified\n", 1);
    };
    let [mnt] = rest.as_slice() else {
        let extra = rest.get(1).cloned().unwrap_or_default();
        return Output::fail(format!("lfs: unexpected parameter '{extra}'\n"), 1);
    };
    let fsname = match fs_of(ctx, "setquota", mnt) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let ns = ctx.state.namespace_mut(&fsname);
    let g = ns
        .quotas
        .grace
        .entry(t.name().to_string())
        .or_insert((DEFAULT_GRACE, DEFAULT_GRACE));
    g.0 = block.unwrap_or(g.0);
    g.1 = inode.unwrap_or(g.1);
    Output::ok("")
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::sec2str;
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
    fn seconds_print_as_lfs_does() {
        assert_eq!(sec2str(0), "0s");
        assert_eq!(sec2str(604_800), "1w");
        assert_eq!(sec2str(694_861), "1w1d1h1m1s");
        assert_eq!(sec2str(3_601), "1h1s");
    }

    #[test]
    fn quota_prints_usage_limits_and_the_over_mark() {
        let mut state = mounted();
        assert_eq!(run(&mut state, "oss2", "truncate -s 3M /mnt/fs1/f").code, 0);
        assert_eq!(run(&mut state, "oss2", "chown 1000:100 /mnt/fs1/f").code, 0);
        let out = run(&mut state, "oss2", "lfs quota -u 1000 /mnt/fs1");
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(
            out.stdout,
            "Disk quotas for usr 1000 (uid 1000):\n     \
             Filesystem  kbytes   quota   limit   grace   files   quota   limit   grace\n       \
             /mnt/fs1    3072       0       0       -       1       0       0       -\n"
        );
        let set = run(
            &mut state,
            "oss2",
            "lfs setquota -u 1000 -b 1M -B 10M -i 100 -I 200 /mnt/fs1",
        );
        assert_eq!(set.code, 0, "{}", set.stderr);
        assert!(set
            .stderr
            .contains("block softlimit '1024' smaller than minimum qunit size"));
        let q = run(&mut state, "oss2", "lfs quota -q -u 1000 /mnt/fs1").stdout;
        // Over the soft limit: marked, with the grace left (a week, less
        // the second that may have passed).
        assert!(q.starts_with("       /mnt/fs1    3072*   1024   10240 "), "{q}");
        assert!(q.ends_with("       1     100     200       -\n"), "{q}");
        let grace = q.split_whitespace().nth(4).unwrap();
        assert!(grace == "1w" || grace == "6d23h59m59s", "{q}");
        let t = run(&mut state, "oss2", "lfs quota -t -u /mnt/fs1").stdout;
        assert_eq!(t, "Block grace time: 1w; Inode grace time: 1w\n");
        assert_eq!(
            run(&mut state, "oss2", "lfs setquota -t -u --block-grace 2d -i 1h /mnt/fs1").code,
            0
        );
        let t = run(&mut state, "oss2", "lfs quota -t -u /mnt/fs1").stdout;
        assert_eq!(t, "Block grace time: 2d; Inode grace time: 1h\n");
        let bad = run(&mut state, "oss2", "lfs setquota -u 1000 -b 20M -B 10M /mnt/fs1");
        assert_eq!(
            (bad.code, bad.stderr.as_str()),
            (22, "setquota failed: Invalid argument\n")
        );
        let root = run(&mut state, "oss2", "lfs setquota -u 0 -B 10M /mnt/fs1");
        assert_eq!(
            root.stderr,
            "lfs setquota: can't set quota for root usr/group/project.\n"
        );
    }

    #[test]
    fn hard_limits_refuse_writes_only_when_enforced() {
        let mut state = mounted();
        assert_eq!(run(&mut state, "oss2", "truncate -s 1M /mnt/fs1/f").code, 0);
        assert_eq!(run(&mut state, "oss2", "chown 1000 /mnt/fs1/f").code, 0);
        assert_eq!(run(&mut state, "oss2", "lfs setquota -u 1000 -B 4M /mnt/fs1").code, 0);
        // Accounted, not enforced.
        assert_eq!(run(&mut state, "oss2", "truncate -s 8M /mnt/fs1/f").code, 0);
        assert_eq!(run(&mut state, "mds1", "lctl conf_param fs1.quota.ost=ug").code, 0);
        let refused = run(&mut state, "oss2", "fallocate -l 16M /mnt/fs1/f");
        assert_eq!(refused.code, 1);
        assert_eq!(refused.stderr, "fallocate: fallocate failed: Disk quota exceeded\n");
        let trunc = run(&mut state, "oss2", "truncate -s 9M /mnt/fs1/f");
        assert_eq!(
            trunc.stderr,
            "truncate: failed to truncate '/mnt/fs1/f' at 9437184 bytes: Disk quota exceeded\n"
        );
        // Shrinking is always allowed.
        assert_eq!(run(&mut state, "oss2", "truncate -s 1M /mnt/fs1/f").code, 0);
        let bad = run(&mut state, "mds1", "lctl conf_param fs1.quota.ost=x");
        assert_eq!(bad.code, 22);
        assert_eq!(run(&mut state, "mds1", "lctl conf_param fs1.quota.mdt=none").code, 0);
    }

    #[test]
    fn the_quota_slaves_show_the_enforcement_the_mgs_holds() {
        let mut state = mounted();
        let slaves = |state: &mut ClusterState, host: &str| {
            run(state, host, "lctl get_param osd-*.fs1-*.quota_slave.enabled").stdout
        };
        assert_eq!(
            slaves(&mut state, "mds1"),
            "osd-ldiskfs.fs1-MDT0000.quota_slave.enabled=none\n"
        );
        // Written `gu`, shown in `qsd_enabled_seq_show`'s order.
        assert_eq!(run(&mut state, "mds1", "lctl conf_param fs1.quota.mdt=gu").code, 0);
        assert_eq!(run(&mut state, "mds1", "lctl conf_param fs1.quota.ost=p").code, 0);
        assert_eq!(
            slaves(&mut state, "mds1"),
            "osd-ldiskfs.fs1-MDT0000.quota_slave.enabled=ug\n"
        );
        assert_eq!(
            run(
                &mut state,
                "oss1",
                "lctl get_param -n osd-*.fs1-OST0000.quota_slave.enabled"
            )
            .stdout,
            "p\n"
        );
    }

    #[test]
    fn an_unreachable_ost_brackets_the_block_usage_and_fails_with_eio() {
        let mut state = mounted();
        for (host, line) in [
            (
                "oss1",
                "mkfs.lustre --ost --fsname=fs1 --index=1 --mgsnode=10.0.0.1@tcp /dev/sdc",
            ),
            ("oss1", "mount -t lustre /dev/sdc /mnt/ost1"),
            ("oss2", "lfs setstripe -c -1 /mnt/fs1"),
            ("oss2", "fallocate -l 4M /mnt/fs1/f"),
            ("oss2", "chown 1000 /mnt/fs1/f"),
            ("oss2", "lfs setquota -u 1000 -b 10M -B 20M /mnt/fs1"),
            ("oss1", "umount /mnt/ost1"),
        ] {
            let out = run(&mut state, host, line);
            assert_eq!(out.code, 0, "{line}: {}", out.stderr);
        }
        let out = run(&mut state, "oss2", "lfs quota -q -u 1000 /mnt/fs1");
        assert_eq!(out.code, 5, "{out:?}");
        assert_eq!(
            out.stdout,
            "       /mnt/fs1  [2048]   10240   20480       -       1       0       0       -\n\
             Some errors happened when getting quota info. Some devices may be not working or \
             deactivated. The data in \"[]\" is inaccurate.\n"
        );
        // Deactivated for good, the OST is no longer asked.
        assert_eq!(
            run(&mut state, "mds1", "lctl conf_param fs1-OST0001.osc.active=0").code,
            0
        );
        let out = run(&mut state, "oss2", "lfs quota -q -u 1000 /mnt/fs1");
        assert_eq!((out.code, out.stdout.contains('[')), (0, false), "{out:?}");
    }

    #[test]
    fn inode_limits_refuse_a_chown_or_chgrp_past_them() {
        let mut state = mounted();
        for line in [
            "mkdir /mnt/fs1/d",
            "fallocate -l 1M /mnt/fs1/d/a",
            "fallocate -l 1M /mnt/fs1/d/b",
            "lfs setquota -u 1000 -I 2 /mnt/fs1",
            "lfs setquota -g 100 -B 1500 /mnt/fs1",
        ] {
            let out = run(&mut state, "oss2", line);
            assert_eq!(out.code, 0, "{line}: {}", out.stderr);
        }
        // Not enforced: only accounted.
        assert_eq!(run(&mut state, "oss2", "chown -R 1000 /mnt/fs1/d").code, 0);
        assert_eq!(run(&mut state, "oss2", "chown -R 0 /mnt/fs1/d").code, 0);
        assert_eq!(run(&mut state, "mds1", "lctl conf_param fs1.quota.mdt=ug").code, 0);
        assert_eq!(run(&mut state, "mds1", "lctl conf_param fs1.quota.ost=ug").code, 0);
        let refused = run(&mut state, "oss2", "chown -R 1000:1000 /mnt/fs1/d");
        assert_eq!(
            (refused.code, refused.stderr.as_str()),
            (1, "chown: changing ownership of '/mnt/fs1/d': Disk quota exceeded\n")
        );
        assert_eq!(run(&mut state, "oss2", "chown 1000 /mnt/fs1/d/a /mnt/fs1/d/b").code, 0);
        let third = run(&mut state, "oss2", "chown 1000 /mnt/fs1/d");
        assert_eq!(third.code, 1, "{third:?}");
        let group = run(&mut state, "oss2", "chgrp -R 100 /mnt/fs1/d");
        assert_eq!(
            (group.code, group.stderr.as_str()),
            (1, "chgrp: changing group of '/mnt/fs1/d': Disk quota exceeded\n")
        );
        assert_eq!(run(&mut state, "oss2", "chgrp 100 /mnt/fs1/d/a").code, 0);
        let q = run(&mut state, "oss2", "lfs quota -q -g 100 /mnt/fs1").stdout;
        assert!(q.starts_with("       /mnt/fs1    1024 "), "{q}");
        // Root creates freely.
        assert_eq!(run(&mut state, "oss2", "mkdir /mnt/fs1/e").code, 0);
        assert!(!super::check_create(&state, "fs1", (1000, 0, 0)));
        assert!(super::check_create(&state, "fs1", (1001, 0, 0)));
    }

    #[test]
    fn a_spent_grace_time_refuses_writes_as_a_hard_limit() {
        let mut state = mounted();
        for line in [
            "fallocate -l 2M /mnt/fs1/f",
            "chown 1000 /mnt/fs1/f",
            "lfs setquota -u 1000 -b 1M /mnt/fs1",
        ] {
            let out = run(&mut state, "oss2", line);
            assert_eq!(out.code, 0, "{line}: {}", out.stderr);
        }
        assert_eq!(run(&mut state, "mds1", "lctl conf_param fs1.quota.ost=u").code, 0);
        // Within grace, over the soft limit: allowed.
        assert_eq!(run(&mut state, "oss2", "fallocate -l 3M /mnt/fs1/f").code, 0);
        let ns = state.clients.namespaces.get_mut("fs1").unwrap();
        ns.quotas.limits.get_mut("usr:1000").unwrap().btime = 1;
        let q = run(&mut state, "oss2", "lfs quota -q -u 1000 /mnt/fs1").stdout;
        assert_eq!(q.split_whitespace().nth(4), Some("none"), "{q}");
        let refused = run(&mut state, "oss2", "fallocate -l 4M /mnt/fs1/f");
        assert_eq!(
            (refused.code, refused.stderr.as_str()),
            (1, "fallocate: fallocate failed: Disk quota exceeded\n")
        );
        // Freeing space is always allowed, and ends the grace.
        assert_eq!(run(&mut state, "oss2", "truncate -s 512K /mnt/fs1/f").code, 0);
        assert_eq!(run(&mut state, "oss2", "fallocate -l 1M /mnt/fs1/f").code, 0);
    }
}
