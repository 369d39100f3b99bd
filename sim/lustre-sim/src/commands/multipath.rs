//! `multipath -ll` (and `-l`): the host's dm-multipath maps in
//! multipath-tools 0.8.4's topology format (`libmultipath/print.c`,
//! `_snprint_multipath_topology`): `NAME (WWID) dm-N VENDOR,PRODUCT`, the
//! map properties, then one path group per path (the default `failover`
//! grouping) with its paths as `%i %d %D %t %T %o`, fields padded to a
//! common width.

use super::{Context, Output};
use crate::block::Multipath;
use crate::state::naa_id;

/// Runs `multipath -ll|-l`.
pub fn run(args: &[String], ctx: &mut Context<'_>) -> Output {
    if !matches!(args, [a] if a == "-ll" || a == "-l") {
        return Output::fail("lustre-sim: multipath supports -l and -ll only\n", 1);
    }
    let mut maps: Vec<(&Multipath, &str, u64)> = ctx
        .state
        .devices
        .values()
        .filter_map(|d| Some((d.multipath.get(&ctx.host)?, d.serial.as_str(), d.size)))
        .collect();
    maps.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    Output::ok(
        maps.into_iter()
            .map(|(map, serial, size)| topology(map, serial, size))
            .collect::<String>(),
    )
}

/// One map's topology.
fn topology(map: &Multipath, serial: &str, size: u64) -> String {
    let rows: Vec<[String; 6]> = map
        .paths
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let dev = path.trim_start_matches("/dev/");
            [
                format!("{}:0:0:{}", 3 + i, map.dm),
                dev.to_string(),
                dev_t(dev),
                "active".into(),
                "ready".into(),
                "running".into(),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..6)
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    let mut out = format!(
        "{} (3{}) dm-{} LIO-ORG,disk{:02}\nsize={} features='0' hwhandler='1 alua' wp=rw\n",
        map.name,
        naa_id(serial),
        map.dm,
        map.dm,
        human(size)
    );
    for (i, row) in rows.iter().enumerate() {
        let last = i + 1 == rows.len();
        let status = if i == 0 { "active" } else { "enabled" };
        let (group, path) = if last { ("`-+-", "  `-") } else { ("|-+-", "| `-") };
        out.push_str(&format!("{group} policy='service-time 0' prio=50 status={status}\n"));
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(&format!("{path} {}\n", cells.join(" ").trim_end()));
    }
    out
}

/// `8:16` for `sdb`: SCSI disks have major 8 and 16 minors each.
pub fn dev_t(dev: &str) -> String {
    let letter = dev.strip_prefix("sd").and_then(|l| l.bytes().next()).unwrap_or(b'a');
    format!("8:{}", 16 * u32::from(letter.saturating_sub(b'a')))
}

/// `snprint_size`: `100G`, one decimal under 10 (`1.5T`).
fn human(bytes: u64) -> String {
    const UNITS: [char; 5] = ['K', 'M', 'G', 'T', 'P'];
    let mut s = (bytes >> 10) as f64;
    let mut unit = 0;
    while s >= 1024.0 && unit + 1 < UNITS.len() {
        s /= 1024.0;
        unit += 1;
    }
    let precision = usize::from(s < 10.0);
    format!("{s:.precision$}{}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::run;
    use crate::layout::Layout;
    use crate::state::ClusterState;

    #[test]
    fn lists_each_map_with_its_two_paths() {
        let names: Vec<String> = ["mds1", "oss1", "oss2"].iter().map(|s| s.to_string()).collect();
        let mut state = ClusterState::from_layout(&Layout::multipath_for(&names));
        let out = run(&mut state, "oss1", "multipath -ll");
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.len(), 4 * 6, "{}", out.stdout);
        assert!(lines[0].starts_with("mpatha (36001405"), "{}", lines[0]);
        assert!(lines[0].ends_with(") dm-0 LIO-ORG,disk00"));
        assert_eq!(lines[1], "size=100G features='0' hwhandler='1 alua' wp=rw");
        assert_eq!(lines[2], "|-+- policy='service-time 0' prio=50 status=active");
        assert_eq!(lines[3], "| `- 3:0:0:0 sdb 8:16 active ready running");
        assert_eq!(lines[4], "`-+- policy='service-time 0' prio=50 status=enabled");
        assert_eq!(lines[5], "  `- 4:0:0:0 sdf 8:80 active ready running");
        let partner = run(&mut state, "oss2", "multipath -ll").stdout;
        let wwid = &lines[0][8..41];
        assert!(
            partner.contains(&format!("mpathd ({wwid})")),
            "the pair names the LUN otherwise:\n{partner}"
        );
        assert_eq!(run(&mut state, "mds1", "multipath").code, 1);
    }
}
