//! The `lctl get_param` tree of a host: one entry per parameter of each
//! target mounted there. Statistics grow with the time since the mount,
//! like a file system under steady load, so repeated reads see them move.
//! Values set persistently on a target's MGS ([`super::conf_values`]) and by
//! `lctl set_param` override the defaults; a `fill` fault overrides the
//! space a target reports.

use super::{conf_values, Context, LUSTRE_VERSION};
use crate::faults::Faults;
use crate::state::{Mount, Target};

/// A parameter path (dot-separated) and its value (multi-line for stats).
pub type Param = (String, String);

/// Every parameter of the host, evaluated at `now` (seconds since the epoch).
pub fn table(ctx: &Context<'_>, now: u64) -> Vec<Param> {
    let mut out: Vec<Param> = vec![
        ("version".into(), format!("lustre: {LUSTRE_VERSION}")),
        ("health_check".into(), "healthy".into()),
        ("memused".into(), "68237921".into()),
        ("memused_max".into(), "77991501".into()),
        ("lnet_memused".into(), "17448".into()),
    ];
    out.extend(
        conf_values::SYS_DEFAULTS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let mounts: Vec<&Mount> = ctx.state.mounts.iter().filter(|m| m.host == ctx.host).collect();
    let mut persistent = Vec::new();
    // The MGSs the host's targets belong to, in mount order.
    let mut mgss: Vec<Option<String>> = Vec::new();
    // Each file system's quota enforcement, read from its MDT0000 log once
    // (that log grows with every OST: reading it per target made a poll of
    // a 2,000-OST site's server take as long as 40 reads of it).
    let mut quota_slaves: std::collections::HashMap<(&str, bool), String> = std::collections::HashMap::new();
    for m in &mounts {
        let Some(dev) = ctx.state.devices.get(&m.serial) else {
            continue;
        };
        let Some(target) = dev.target.as_ref() else { continue };
        let mgs = ctx.state.mgs_of(&m.serial);
        if !mgss.contains(&mgs) {
            mgss.push(mgs.clone());
        }
        let space = Space {
            size: dev.size,
            fill: fill_percent(&ctx.faults, &target.svname()),
        };
        let path = dev.paths.get(&ctx.host).cloned().unwrap_or_default();
        target_params(&mut out, m, target, space, path, now);
        if target.mdt || target.ost {
            // The quota slave follows the MGS's `quota.mdt`/`quota.ost`
            // (the sim applies a conf_param at once).
            let enabled = quota_slaves
                .entry((target.fsname.as_str(), target.mdt))
                .or_insert_with(|| super::lfs_quota::slave_enabled(ctx.state, &target.fsname, target.mdt));
            out.push((
                format!("osd-ldiskfs.{}.quota_slave.enabled", target.svname()),
                enabled.clone(),
            ));
        }
        if let Some(mgs) = &mgs {
            persistent.extend(conf_values::for_target(ctx.state.llogs(mgs), target));
            if target.mdt {
                out.extend(super::osp::params(ctx.state.llogs(mgs), target));
            }
        }
    }
    // Each client mount of a target's file system is one more export.
    ctx.state.count_client_exports(&mut out);
    for (name, value) in persistent {
        if let Some(entry) = out.iter_mut().find(|(n, _)| *n == name) {
            entry.1 = value;
        }
    }
    // `set_param -P` reaches a server through the MGC of a mounted target:
    // the `params` log of each MGS its targets belong to.
    let set_params = mgss
        .iter()
        .flatten()
        .flat_map(|mgs| conf_values::set_params(ctx.state.llogs(mgs)));
    for (pattern, value) in set_params {
        for entry in out.iter_mut().filter(|(n, _)| matches(&pattern, n)) {
            entry.1.clone_from(&value);
        }
    }
    for m in mounts {
        for (k, v) in &m.tunables {
            match out.iter_mut().find(|(name, _)| name == k) {
                Some(entry) => entry.1.clone_from(v),
                None => out.push((k.clone(), v.clone())),
            }
        }
    }
    // HSM coordinators of the MDTs here (their state over any raw value).
    for (k, v) in crate::hsm::params(ctx.state, &ctx.host) {
        match out.iter_mut().find(|(name, _)| *name == k) {
            Some(entry) => entry.1 = v,
            None => out.push((k, v)),
        }
    }
    out
}

/// A `fill TARGET PERCENT` fault in force for `svname`, on any host.
fn fill_percent(faults: &Faults, svname: &str) -> Option<u64> {
    faults
        .hosts
        .values()
        .find_map(|h| h.fill.get(svname))
        .map(|p| u64::from(*p))
}

/// A target's device size and the fill a fault imposes on it.
struct Space {
    size: u64,
    fill: Option<u64>,
}

fn target_params(out: &mut Vec<Param>, m: &Mount, target: &Target, space: Space, path: String, now: u64) {
    let t = now.saturating_sub(m.since);
    let svname = target.svname();
    let seed = u64::from(target.index.unwrap_or(0) % 4) + 1;
    let kb_total = space.size / 1024 * 95 / 100;
    let files_total = if target.ost {
        space.size / 1024 / 16
    } else {
        space.size / 1024 / 4
    };
    // Data arrives at `seed` MiB/s on an OST until it is 80 % full.
    let (used_kb, used_files) = match space.fill {
        Some(percent) => (kb_total * percent / 100, files_total * percent / 100),
        None if target.ost => (
            (t * seed * 1024).min(kb_total * 4 / 5),
            (t * seed / 4).min(files_total / 2),
        ),
        None => ((t * seed * 4).min(kb_total / 2), (t * seed * 2).min(files_total / 2)),
    };
    let free_kb = kb_total - used_kb;
    // ldiskfs keeps 5 % for root; a fill fault gives it away, so usage
    // computed from kbytesfree and from kbytesavail both read PERCENT.
    let avail_kb = match space.fill {
        Some(_) => free_kb,
        None => free_kb.saturating_sub(kb_total / 20),
    };
    let osd = format!("osd-ldiskfs.{svname}");
    let mut space = vec![
        ("kbytestotal", kb_total.to_string()),
        ("kbytesfree", free_kb.to_string()),
        ("kbytesavail", avail_kb.to_string()),
        ("filestotal", files_total.to_string()),
        ("filesfree", (files_total - used_files).to_string()),
    ];
    for (k, v) in &space {
        out.push((format!("{osd}.{k}"), v.clone()));
    }
    out.push((format!("{osd}.fstype"), "ldiskfs".into()));
    out.push((format!("{osd}.mntdev"), path));
    let exports = 2 + seed;
    if target.ost {
        let obd = format!("obdfilter.{svname}");
        for (k, v) in space.drain(..) {
            out.push((format!("{obd}.{k}"), v));
        }
        out.push((format!("{obd}.stats"), ost_stats(now, m.since, t, seed)));
        out.push((format!("{obd}.num_exports"), exports.to_string()));
        out.push((format!("{obd}.tot_dirty"), "0".into()));
        out.push((
            format!("{obd}.tot_granted"),
            (t * seed * 4096 % 1_887_764_159).to_string(),
        ));
        out.push((format!("{obd}.tot_pending"), "0".into()));
        out.push((format!("{obd}.job_stats"), job_stats(now, t, seed, true)));
        out.push((format!("{obd}.readcache_max_filesize"), u64::MAX.to_string()));
        out.push((format!("{obd}.sync_journal"), "0".into()));
    }
    if target.mdt {
        let mdt = format!("mdt.{svname}");
        out.push((format!("{mdt}.md_stats"), md_stats(now, m.since, t, seed)));
        out.push((format!("{mdt}.num_exports"), (exports + 2).to_string()));
        out.push((format!("{mdt}.job_stats"), job_stats(now, t, seed, false)));
        out.push((format!("{mdt}.identity_upcall"), "/usr/sbin/l_getidentity".into()));
    }
    if target.mgs {
        out.push(("mgs.MGS.num_exports".into(), "3".into()));
    }
}

/// One stats line, `name samples [unit] min max sum sumsq`; none when 0.
fn stat(name: &str, samples: u64, unit: &str, min: u64, max: u64) -> String {
    if samples == 0 {
        return String::new();
    }
    let mean = (min + max) / 2;
    let sum = samples.saturating_mul(mean);
    let sumsq = samples.saturating_mul(mean.saturating_mul(mean));
    format!("{name:<25} {samples} samples [{unit}] {min} {max} {sum} {sumsq}\n")
}

fn header(now: u64, since: u64, t: u64) -> String {
    format!(
        "snapshot_time             {now}.{:09} secs.nsecs\nstart_time                {since}.000000000 secs.nsecs\n\
         elapsed_time              {t}.000000000 secs.nsecs\n",
        (now % 1000) * 1_000_123
    )
}

fn ost_stats(now: u64, since: u64, t: u64, seed: u64) -> String {
    let writes = t * seed;
    let reads = t * seed * 3 / 2;
    let mut s = header(now, since, t);
    s.push_str(&stat("read_bytes", reads, "bytes", 4096, 1_048_576));
    s.push_str(&stat("write_bytes", writes, "bytes", 4096, 1_048_576));
    s.push_str(&stat("read", reads, "usecs", 80, 16_000));
    s.push_str(&stat("write", writes, "usecs", 86, 16_684));
    s.push_str(&stat("create", 4 + t / 600, "usecs", 2, 3605));
    s.push_str(&stat("statfs", t / 5, "usecs", 0, 129));
    s.push_str(&stat("get_info", 4, "usecs", 346, 495));
    s
}

fn md_stats(now: u64, since: u64, t: u64, seed: u64) -> String {
    let ops = t * seed;
    let mut s = header(now, since, t);
    s.push_str(&stat("open", ops * 2, "usecs", 8, 16_407));
    s.push_str(&stat("close", ops * 2, "usecs", 4, 157));
    s.push_str(&stat("mknod", ops / 4, "usecs", 60, 16_392));
    s.push_str(&stat("unlink", ops / 8, "usecs", 40, 9_000));
    s.push_str(&stat("mkdir", ops / 32, "usecs", 50, 12_000));
    s.push_str(&stat("getattr", ops * 3, "usecs", 2, 192));
    s.push_str(&stat("setattr", ops / 2, "usecs", 5, 300));
    s.push_str(&stat("getxattr", ops / 3, "usecs", 18, 29));
    s.push_str(&stat("statfs", t / 5, "usecs", 0, 43));
    s
}

/// `job_stats` YAML: one job (`dd.0`) once anything ran.
fn job_stats(now: u64, t: u64, seed: u64, ost: bool) -> String {
    if t == 0 {
        return "job_stats:".to_string();
    }
    let n = t * seed;
    let mut s = format!("job_stats:\n- job_id:          dd.0\n  snapshot_time:   {now}\n");
    let line = |name: &str, samples: u64, unit: &str, min: u64, max: u64| {
        let sum = samples.saturating_mul((min + max) / 2);
        format!(
            "  {:<16} {{ samples: {samples:>11}, unit: {unit:>5}, min: {min:>7}, max: {max:>7}, sum: {sum:>15} }}\n",
            format!("{name}:")
        )
    };
    if ost {
        s.push_str(&line("read_bytes", n * 3 / 2, "bytes", 4096, 1_048_576));
        s.push_str(&line("write_bytes", n, "bytes", 4096, 1_048_576));
        s.push_str(&line("punch", n / 64, "usecs", 21, 15_664));
        s.push_str(&line("statfs", t / 5, "usecs", 0, 129));
    } else {
        s.push_str(&line("open", n * 2, "usecs", 8, 16_407));
        s.push_str(&line("close", n * 2, "usecs", 4, 157));
        s.push_str(&line("getattr", n * 3, "usecs", 2, 192));
    }
    s.truncate(s.trim_end().len());
    s
}

/// Does `name` match the glob `pattern` (`*` and `?` stay within one
/// dot-separated component; `/` counts as `.`)?
pub fn matches(pattern: &str, name: &str) -> bool {
    let pattern = pattern.replace('/', ".");
    glob(pattern.as_bytes(), name.as_bytes())
}

fn glob(p: &[u8], n: &[u8]) -> bool {
    match (p.split_first(), n.split_first()) {
        (None, None) => true,
        (Some((b'*', rest)), _) => {
            glob(rest, n) || n.split_first().is_some_and(|(c, tail)| *c != b'.' && glob(p, tail))
        }
        (Some((b'?', rest)), Some((c, tail))) => *c != b'.' && glob(rest, tail),
        (Some((pc, rest)), Some((nc, tail))) => pc == nc && glob(rest, tail),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs_stay_within_a_component() {
        assert!(matches("obdfilter.*.stats", "obdfilter.fs1-OST0000.stats"));
        assert!(matches(
            "obdfilter/*OST*/kbytesfree",
            "obdfilter.fs1-OST0000.kbytesfree"
        ));
        assert!(!matches("obdfilter.*", "obdfilter.fs1-OST0000.stats"));
        assert!(matches("osd-*.*.filesfree", "osd-ldiskfs.fs1-MDT0000.filesfree"));
        assert!(!matches("mdt.*.md_stats", "obdfilter.fs1-OST0000.stats"));
    }
}
