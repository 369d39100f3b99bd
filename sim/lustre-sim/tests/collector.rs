//! The statistics the simulator prints parse with Whamcloud's
//! `lustre_collector` (`parse_lctl_output`, `parse_cpustats_output`,
//! `parse_meminfo_output`, `parse_lnetctl_stats`), as Chroma's monitor
//! parses them.
#![expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]

use lustre_sim::exec::Simulator;
use lustre_sim::state::{ClusterState, StateStore};
use lustre_sim::Layout;

/// The parameters lustre_collector reads that the simulator serves.
const PARAMS: &str = "memused memused_max lnet_memused health_check \
    osd-*.*.filesfree osd-*.*.filestotal osd-*.*.fstype osd-*.*.kbytesavail osd-*.*.kbytesfree osd-*.*.kbytestotal \
    obdfilter.*OST*.stats obdfilter.*OST*.num_exports obdfilter.*OST*.tot_dirty obdfilter.*OST*.tot_granted \
    obdfilter.*OST*.tot_pending mdt.*.md_stats mdt.*MDT*.num_exports";

#[tokio::test]
async fn get_param_output_parses_with_lustre_collector() {
    let dir = std::env::temp_dir().join(format!("lustre-sim-collector-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let hosts: Vec<String> = ["mds1", "oss1"].iter().map(|s| s.to_string()).collect();
    let sim = Simulator::new(
        StateStore::new(&dir).unwrap(),
        ClusterState::from_layout(&Layout::default_for(&hosts)),
    );
    for (host, line) in [
        ("mds1", "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb"),
        ("mds1", "mount -t lustre /dev/sdb /mnt/mdt0"),
        (
            "oss1",
            "mkfs.lustre --ost --fsname=fs1 --index=0 --mgsnode=10.0.0.1@tcp /dev/sdb",
        ),
        (
            "oss1",
            "mkfs.lustre --ost --fsname=fs1 --index=1 --mgsnode=10.0.0.1@tcp /dev/sdc",
        ),
        (
            "oss1",
            "mount -t lustre /dev/sdb /mnt/ost0 && mount -t lustre /dev/sdc /mnt/ost1",
        ),
    ] {
        assert_eq!(sim.run_line(host, line).await.code, 0, "{line}");
    }
    // Let a second pass so the counters are non-zero.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for host in ["mds1", "oss1"] {
        let out = sim.run_line(host, &format!("lctl get_param {PARAMS}")).await;
        let records = lustre_collector::parse_lctl_output(out.stdout.as_bytes())
            .unwrap_or_else(|e| panic!("{host}: {e}\n{}", out.stdout));
        let text = format!("{records:?}");
        assert!(records.len() >= 8, "{host}: {text}");
        if host == "oss1" {
            assert!(text.contains("write_bytes") && text.contains("fs1-OST0001"), "{text}");
            assert!(text.contains("KBytesFree") || text.contains("kbytesfree"), "{text}");
        } else {
            assert!(text.contains("fs1-MDT0000") && text.contains("open"), "{text}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `Debug` of the records, to look for names and values in.
fn text(records: &[lustre_collector::Record]) -> String {
    format!("{records:?}")
}

#[tokio::test]
async fn proc_and_lnet_output_parses_with_lustre_collector() {
    let dir = std::env::temp_dir().join(format!("lustre-sim-collector-node-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let hosts: Vec<String> = ["mds1", "oss1"].iter().map(|s| s.to_string()).collect();
    let sim = Simulator::new(
        StateStore::new(&dir).unwrap(),
        ClusterState::from_layout(&Layout::default_for(&hosts)),
    );
    for line in [
        "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb",
        "mount -t lustre /dev/sdb /mnt/mdt0",
    ] {
        assert_eq!(sim.run_line("mds1", line).await.code, 0, "{line}");
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    // Chroma hands the collector the first line of /proc/stat.
    let stat = sim.run_line("mds1", "cat /proc/stat").await;
    let first = stat.stdout.lines().next().unwrap();
    let cpu = lustre_collector::parse_cpustats_output(first.as_bytes()).unwrap_or_else(|e| panic!("{e}: {first}"));
    assert_eq!(cpu.len(), 4, "{}", text(&cpu));
    let fields: Vec<u64> = first.split_whitespace().skip(1).map(|n| n.parse().unwrap()).collect();
    let total = text(&cpu);
    assert!(
        total.contains(&format!("value: {}", fields[..6].iter().sum::<u64>())),
        "{total}"
    );
    assert!(fields[0] > 0 && fields[2] > 0, "{first}");

    let meminfo = sim.run_line("mds1", "cat /proc/meminfo").await;
    let mem = lustre_collector::parse_meminfo_output(meminfo.stdout.as_bytes())
        .unwrap_or_else(|e| panic!("{e}\n{}", meminfo.stdout));
    let mem_text = text(&mem);
    assert_eq!(mem.len(), 4, "{mem_text}");
    assert!(
        mem_text.contains("mem_total") && mem_text.contains("value: 65689436"),
        "{mem_text}"
    );
    assert!(mem_text.contains("swap_free"), "{mem_text}");

    let stats = sim.run_line("mds1", "lnetctl stats show").await;
    assert_eq!(stats.code, 0, "{}", stats.stderr);
    let lnet = lustre_collector::parse_lnetctl_stats(stats.stdout.as_bytes())
        .unwrap_or_else(|e| panic!("{e}\n{}", stats.stdout));
    let lnet_text = text(&lnet);
    assert_eq!(lnet.len(), 3, "{lnet_text}");
    assert!(
        lnet_text.contains("send_length") && lnet_text.contains("drop_length"),
        "{lnet_text}"
    );
    // LNet down: the error goes to stderr and stdout parses to nothing.
    let down = sim.run_line("oss1", "lnetctl stats show").await;
    assert_ne!(down.code, 0);
    assert!(lustre_collector::parse_lnetctl_stats(down.stdout.as_bytes())
        .unwrap()
        .is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}
