//! The statistics the simulator prints parse with Whamcloud's
//! `lustre_collector` (`parse_lctl_output`), as Chroma's collection jobs
//! will parse them.
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
