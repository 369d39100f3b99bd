//! `/proc/meminfo` with the lines of a RHEL 8 (Linux 4.18) server, in
//! `meminfo_proc_show`'s layout: the name padded to 16 columns, the value
//! right-aligned in 8, then ` kB` (the `HugePages_*` counts have no unit).
//!
//! A 64 GiB server: each mounted target holds about 1.5 GiB of Lustre and
//! ldiskfs memory (anonymous, slab, buffers) and brings page cache with it;
//! the page cache breathes a little with the time of day.

use crate::state::ClusterState;

/// MemTotal of a simulated server, kB.
pub const MEM_TOTAL: u64 = 65_689_436;

const SWAP_TOTAL: u64 = 4_194_300;

/// `/proc/meminfo` of `host` at `now` (seconds since the epoch).
pub fn render(state: &ClusterState, host: &str, now: u64) -> String {
    let n = state.mounted_count(host);
    let anon = 1_214_000 + n * 700_000;
    let slab = 640_000 + n * 330_000;
    let reclaimable = slab * 2 / 5;
    let buffers = 118_000 + n * 210_000;
    let kernel = 96_000 + n * 6_000;
    let shmem = 41_000;
    let wobble = (now / 60 % 10) * 65_536;
    let floor = MEM_TOTAL / 50;
    let held = anon + slab + buffers + kernel + shmem;
    let cached = (1_540_000 + n * 420_000 + wobble).min(MEM_TOTAL.saturating_sub(held + floor));
    let free = MEM_TOTAL.saturating_sub(held + cached).max(floor);
    let available = (free + cached + buffers + reclaimable).saturating_sub(MEM_TOTAL / 100 * 2);
    let file = cached + buffers;
    let (active_anon, inactive_anon) = (anon * 85 / 100, anon * 15 / 100 + shmem);
    let (active_file, inactive_file) = (file * 55 / 100, file - file * 55 / 100);
    let swap_used = 1_024 + n * 512;
    let lines: &[(&str, u64)] = &[
        ("MemTotal", MEM_TOTAL),
        ("MemFree", free),
        ("MemAvailable", available),
        ("Buffers", buffers),
        ("Cached", cached),
        ("SwapCached", swap_used / 4),
        ("Active", active_anon + active_file),
        ("Inactive", inactive_anon + inactive_file),
        ("Active(anon)", active_anon),
        ("Inactive(anon)", inactive_anon),
        ("Active(file)", active_file),
        ("Inactive(file)", inactive_file),
        ("Unevictable", 0),
        ("Mlocked", 0),
        ("SwapTotal", SWAP_TOTAL),
        ("SwapFree", SWAP_TOTAL - swap_used),
        ("Dirty", (now % 97) * 36 + n * 2_048),
        ("Writeback", 0),
        ("AnonPages", anon - shmem / 2),
        ("Mapped", 183_112),
        ("Shmem", shmem),
        ("KReclaimable", reclaimable),
        ("Slab", slab),
        ("SReclaimable", reclaimable),
        ("SUnreclaim", slab - reclaimable),
        ("KernelStack", 19_840 + n * 1_536),
        ("PageTables", 14_212 + n * 256),
        ("NFS_Unstable", 0),
        ("Bounce", 0),
        ("WritebackTmp", 0),
        ("CommitLimit", MEM_TOTAL / 2 + SWAP_TOTAL),
        ("Committed_AS", anon * 8 / 5),
        ("VmallocTotal", 34_359_738_367),
        ("VmallocUsed", 0),
        ("VmallocChunk", 0),
        ("Percpu", 30_720 + n * 512),
        ("HardwareCorrupted", 0),
        ("AnonHugePages", 407_552),
        ("ShmemHugePages", 0),
        ("ShmemPmdMapped", 0),
        ("FileHugePages", 0),
        ("FilePmdMapped", 0),
        ("HugePages_Total", 0),
        ("HugePages_Free", 0),
        ("HugePages_Rsvd", 0),
        ("HugePages_Surp", 0),
        ("Hugepagesize", 2_048),
        ("Hugetlb", 0),
        ("DirectMap4k", 405_268),
        ("DirectMap2M", 14_276_608),
        ("DirectMap1G", 54_525_952),
    ];
    lines.iter().map(|(name, value)| line(name, *value)).collect()
}

/// One line as the kernel prints it (`show_val_kb`, and the fixed
/// formats of `HardwareCorrupted` and the huge-page counts).
fn line(name: &str, value: u64) -> String {
    match name {
        "HardwareCorrupted" => format!("HardwareCorrupted: {value:5} kB\n"),
        "HugePages_Total" | "HugePages_Free" | "HugePages_Rsvd" | "HugePages_Surp" => {
            format!("{:<19}{value:5}\n", format!("{name}:"))
        }
        _ => format!("{:<16}{value:8} kB\n", format!("{name}:")),
    }
}

#[cfg(test)]
#[expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]
mod tests {
    use super::*;
    use crate::commands::test_support::{cluster, run};

    fn value(text: &str, name: &str) -> u64 {
        let line = text.lines().find(|l| l.starts_with(&format!("{name}:"))).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    #[test]
    fn lines_have_the_kernel_layout_and_memory_follows_targets() {
        let mut state = cluster();
        let idle = render(&state, "mds1", 1_700_000_000);
        assert!(
            idle.starts_with("MemTotal:       65689436 kB\nMemFree:        "),
            "{idle}"
        );
        assert!(idle.contains("\nVmallocTotal:   34359738367 kB\n"), "{idle}");
        assert!(idle.contains("\nHardwareCorrupted:     0 kB\n"), "{idle}");
        assert!(
            idle.contains("\nHugePages_Total:       0\nHugePages_Free:        0\n"),
            "{idle}"
        );
        assert!(idle.contains("\nHugepagesize:       2048 kB\n"), "{idle}");
        assert!(idle.ends_with("DirectMap1G:    54525952 kB\n"), "{idle}");
        assert_eq!(run(&mut state, "mds1", "mkfs.lustre --mgs /dev/sdb").code, 0);
        assert_eq!(run(&mut state, "mds1", "mount -t lustre /dev/sdb /mnt/mgs").code, 0);
        let busy = render(&state, "mds1", 1_700_000_000);
        assert!(value(&busy, "MemFree") < value(&idle, "MemFree"));
        assert!(value(&busy, "MemAvailable") <= MEM_TOTAL);
        // Even a host full of targets keeps some memory free.
        for i in 0..40 {
            state.mounts.push(crate::state::Mount {
                host: "oss1".into(),
                serial: format!("X{i}"),
                mountpoint: String::new(),
                since: 0,
                tunables: Default::default(),
            });
        }
        let full = render(&state, "oss1", 1_700_000_000);
        assert!(value(&full, "MemFree") >= MEM_TOTAL / 50, "{full}");
    }
}
