//! A benchmark-shaped cluster from a `--config` layout file: an MDS and
//! OSS hosts in failover pairs, 20 OSTs mounted on each OSS. Every host
//! answers the monitor's poll (one exec) quickly, and the cluster serves
//! over SSH on a port per host.
//!
//! By default 6 OSS hosts (120 OSTs), so the suite stays quick; the
//! benchmark's size, 50 hosts and 1,000 OSTs, with
//! `LUSTRE_SIM_SCALE_OSS=50 cargo test --release -p lustre-sim --test scale -- --nocapture`.
#![expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]

use std::time::{Duration, Instant};

use lustre_sim::exec::Simulator;
use lustre_sim::state::{ClusterState, StateStore};
use lustre_sim::{Cluster, Layout, SimConfig};

const OSTS_PER_OSS: usize = 20;

/// OSS hosts to simulate (an even number: they pair up).
fn oss_count() -> usize {
    std::env::var("LUSTRE_SIM_SCALE_OSS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6)
}

/// The layout JSON: `mds1` with two devices; `oss01`… in pairs that both
/// see the pair's 40 devices.
fn layout_json(oss: usize) -> serde_json::Value {
    let dev = |path: String, serial: String| serde_json::json!({"path": path, "size": 1u64 << 40, "serial": serial});
    let mut hosts = vec![serde_json::json!({
        "name": "mds1",
        "devices": [dev("/dev/sdb".into(), "MDS0".into()), dev("/dev/sdc".into(), "MDS1".into())],
    })];
    for i in 0..oss {
        let pair = i / 2;
        let devices: Vec<serde_json::Value> = (0..2 * OSTS_PER_OSS)
            .map(|d| dev(format!("/dev/mapper/ost{d:02}"), format!("P{pair:02}D{d:02}")))
            .collect();
        hosts.push(serde_json::json!({"name": format!("oss{:02}", i + 1), "devices": devices}));
    }
    serde_json::json!({ "hosts": hosts })
}

/// The monitor's poll (`services/monitor/src/poll.rs`).
fn poll_line() -> &'static str {
    "lctl get_param memused lnet_memused health_check osd-*.*.filesfree osd-*.*.filestotal osd-*.*.kbytesavail \
     osd-*.*.kbytesfree osd-*.*.kbytestotal obdfilter.*OST*.stats obdfilter.*OST*.num_exports mdt.*.md_stats \
     mdt.*MDT*.num_exports 2>/dev/null; echo @@chroma-cpu; cat /proc/stat; echo @@chroma-mem; cat /proc/meminfo; \
     echo @@chroma-lnet; lnetctl stats show; echo @@chroma-jobs; \
     lctl get_param 'obdfilter.*.job_stats' 'mdt.*.job_stats' 2>/dev/null; echo @@chroma-crm; \
     crm_mon -1 --as-xml 2>/dev/null; echo @@chroma-journal; journalctl -o json --no-pager -n 200 2>/dev/null"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_host_with_twenty_osts_polls_quickly() {
    let oss = oss_count();
    let dir = std::env::temp_dir().join(format!("lustre-sim-scale-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("layout.json");
    std::fs::write(&config, layout_json(oss).to_string()).unwrap();
    let layout = Layout::from_file(&config).unwrap();
    assert_eq!(layout.hosts.len(), oss + 1);

    // The layout serves: a port and a host key per host.
    let keys = dir.join("authorized_keys");
    std::fs::write(&keys, "").unwrap();
    let config = SimConfig {
        layout: Some(layout.clone()),
        ..SimConfig::new(&dir.join("served"), &[], 0, &keys)
    };
    let cluster = Cluster::start(config).await.unwrap();
    assert_eq!(cluster.hosts.len(), oss + 1);
    cluster.shutdown().await;

    let state_dir = dir.join("state");
    let sim = Simulator::new(StateStore::new(&state_dir).unwrap(), ClusterState::from_layout(&layout));
    let setup = Instant::now();
    let mds = "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/sdb && mount -t lustre /dev/sdb /mnt/mdt0";
    assert_eq!(sim.run_line("mds1", mds).await.code, 0);
    for i in 0..oss {
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
    assert_eq!(sim.snapshot().await.mounts.len(), oss * OSTS_PER_OSS + 1);

    // One host alone, then every host at once, as the monitor polls.
    let alone = Instant::now();
    let out = sim.run_line("oss01", poll_line()).await;
    let alone = alone.elapsed();
    assert_eq!(out.stdout.matches(".stats=\n").count(), OSTS_PER_OSS);
    assert!(out.stdout.contains("@@chroma-journal\n-- Logs begin at "));
    let sim = std::sync::Arc::new(sim);
    let started = Instant::now();
    let polls: Vec<_> = std::iter::once("mds1".to_string())
        .chain((1..=oss).map(|i| format!("oss{i:02}")))
        .map(|host| {
            let sim = sim.clone();
            tokio::spawn(async move {
                let out = sim.run_line(&host, poll_line()).await;
                (host, out)
            })
        })
        .collect();
    for poll in polls {
        let (host, out) = poll.await.unwrap();
        if host != "mds1" {
            assert_eq!(out.stdout.matches(".stats=\n").count(), OSTS_PER_OSS, "{host}");
        }
    }
    let round = started.elapsed();
    eprintln!(
        "{} OSTs on {oss} OSS: setup {setup:?}; one host's poll {alone:?}; all {} hosts at once {round:?}",
        oss * OSTS_PER_OSS,
        oss + 1
    );
    // Generous bounds for an unoptimised build on a busy machine: in a
    // release build one poll takes about a millisecond.
    assert!(alone < Duration::from_secs(1), "{alone:?}");
    assert!(round < Duration::from_secs(20), "{round:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
