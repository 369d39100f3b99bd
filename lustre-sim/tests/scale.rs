//! A benchmark-sized cluster from a `--config` layout file: an MDS and 50
//! OSS hosts in failover pairs, 1,000 OSTs, 20 mounted on each OSS. Every
//! host answers the monitor's poll (one exec) quickly, and the cluster
//! serves over SSH.
#![expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]

use std::time::{Duration, Instant};

use lustre_sim::exec::Simulator;
use lustre_sim::state::{ClusterState, StateStore};
use lustre_sim::Layout;

const OSS: usize = 50;
const OSTS_PER_OSS: usize = 20;

/// The layout JSON: `mds1` with two devices; `oss01`… in pairs that both
/// see the pair's 40 devices.
fn layout_json() -> serde_json::Value {
    let dev = |path: String, serial: String| serde_json::json!({"path": path, "size": 1u64 << 40, "serial": serial});
    let mut hosts = vec![serde_json::json!({
        "name": "mds1",
        "devices": [dev("/dev/sdb".into(), "MDS0".into()), dev("/dev/sdc".into(), "MDS1".into())],
    })];
    for i in 0..OSS {
        let pair = i / 2;
        let devices: Vec<serde_json::Value> = (0..2 * OSTS_PER_OSS)
            .map(|d| dev(format!("/dev/mapper/ost{d:02}"), format!("P{pair:02}D{d:02}")))
            .collect();
        hosts.push(serde_json::json!({"name": format!("oss{:02}", i + 1), "devices": devices}));
    }
    serde_json::json!({ "hosts": hosts })
}

fn poll_line() -> &'static str {
    "lctl get_param memused lnet_memused health_check osd-*.*.filesfree osd-*.*.filestotal osd-*.*.kbytesavail \
     osd-*.*.kbytesfree osd-*.*.kbytestotal obdfilter.*OST*.stats obdfilter.*OST*.num_exports mdt.*.md_stats \
     mdt.*MDT*.num_exports 2>/dev/null; echo @@chroma-cpu; cat /proc/stat; echo @@chroma-mem; cat /proc/meminfo; \
     echo @@chroma-lnet; lnetctl stats show; echo @@chroma-jobs; \
     lctl get_param 'obdfilter.*.job_stats' 'mdt.*.job_stats' 2>/dev/null; echo @@chroma-crm; \
     crm_mon -1 --as-xml 2>/dev/null; echo @@chroma-journal; journalctl -o json --no-pager -n 200 2>/dev/null"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_osts_over_fifty_hosts_poll_quickly() {
    let dir = std::env::temp_dir().join(format!("lustre-sim-scale-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("layout.json");
    std::fs::write(&config, layout_json().to_string()).unwrap();
    let layout = Layout::from_file(&config).unwrap();
    assert_eq!(layout.hosts.len(), OSS + 1);
    let state_dir = dir.join("state");
    let sim = Simulator::new(StateStore::new(&state_dir).unwrap(), ClusterState::from_layout(&layout));

    let setup = Instant::now();
    let mds = "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb && mount -t lustre /dev/sdb /mnt/mdt0";
    assert_eq!(sim.run_line("mds1", mds).await.code, 0);
    for i in 0..OSS {
        let host = format!("oss{:02}", i + 1);
        // Each host of a pair formats and mounts its half of the devices.
        let first = (i % 2) * OSTS_PER_OSS;
        let mut line = Vec::new();
        for d in first..first + OSTS_PER_OSS {
            let index = i * OSTS_PER_OSS + d - first;
            line.push(format!(
                "mkfs.lustre --ost --fsname=fs1 --index={index} --mgsnode=10.0.0.1@tcp /dev/mapper/ost{d:02} && \
                 mount -t lustre /dev/mapper/ost{d:02} /mnt/ost{index}"
            ));
        }
        let out = sim.run_line(&host, &line.join(" && ")).await;
        assert_eq!(out.code, 0, "{host}: {}", out.stderr);
    }
    let setup = setup.elapsed();
    let state = sim.snapshot().await;
    assert_eq!(state.mounts.len(), OSS * OSTS_PER_OSS + 1);

    // Every host polled at once, as the monitor does.
    let sim = std::sync::Arc::new(sim);
    let started = Instant::now();
    let polls: Vec<_> = std::iter::once("mds1".to_string())
        .chain((1..=OSS).map(|i| format!("oss{i:02}")))
        .map(|host| {
            let sim = sim.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                let out = sim.run_line(&host, poll_line()).await;
                (host, out, t.elapsed())
            })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    for poll in polls {
        let (host, out, took) = poll.await.unwrap();
        slowest = slowest.max(took);
        if host != "mds1" {
            let osts = out.stdout.matches(".stats=\n").count();
            assert_eq!(osts, OSTS_PER_OSS, "{host}");
            assert!(out.stdout.contains("@@chroma-journal\n-- Logs begin at "), "{host}");
        }
    }
    let round = started.elapsed();
    eprintln!(
        "setup of {} OSTs: {setup:?}; poll of 51 hosts: {round:?} (slowest {slowest:?})",
        OSS * OSTS_PER_OSS
    );
    // Generous for an unoptimised build on a busy machine; a release build
    // polls the whole cluster in a few tens of milliseconds.
    assert!(round < Duration::from_secs(20), "{round:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
