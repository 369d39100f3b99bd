//! Figures for a large site (issue 19): how long 104 servers (4 MDS and
//! 100 OSS in failover pairs, 40 devices each) take to accept SSH logins
//! in one process, and how long the simulator takes to format and mount
//! 1,000 OSTs. Ignored by default (they print figures; they assert only
//! that the work was done); run them with
//! `cargo test --release -p lustre-sim --test site -- --ignored --nocapture --test-threads 1`.
#![expect(clippy::unwrap_used, reason = "a failing test should panic with the error")]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lustre_sim::exec::Simulator;
use lustre_sim::keys::generate_ed25519;
use lustre_sim::layout::SiteSpec;
use lustre_sim::state::{ClusterState, StateStore};
use lustre_sim::{Cluster, Layout, SimConfig};
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::{client, ChannelMsg};

/// OSTs each OSS serves in the setup figure (half of its pair's devices).
const OSTS_PER_OSS: usize = 20;

/// A directory removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("lustre-sim-site-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The site, without command latencies: the figures measure the
/// simulator, not the time a real `mkfs.lustre` would take.
fn site() -> Layout {
    Layout::site(&SiteSpec {
        latencies: false,
        ..SiteSpec::default()
    })
}

/// Accepts any host key.
struct AnyKey;

impl client::Handler for AnyKey {
    type Error = russh::Error;

    async fn check_server_key(&mut self, _key: &PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// Logs in to `addr` and runs `hostname`; what it printed.
async fn hostname(addr: std::net::SocketAddr, key: Arc<PrivateKey>) -> anyhow::Result<String> {
    let config = Arc::new(client::Config::default());
    let mut handle = client::connect(config, addr, AnyKey).await?;
    let auth = handle
        .authenticate_publickey("root", PrivateKeyWithHashAlg::new(key, None))
        .await?;
    anyhow::ensure!(auth.success(), "{addr} refused the key");
    let mut channel = handle.channel_open_session().await?;
    channel.exec(true, "hostname").await?;
    let mut out = String::new();
    while let Some(msg) = channel.wait().await {
        match msg {
            ChannelMsg::Data { data } => out.push_str(&String::from_utf8_lossy(&data)),
            ChannelMsg::Close => break,
            _ => {}
        }
    }
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: prints figures"]
async fn a_site_of_104_servers_accepts_ssh_within_seconds() {
    let dir = TempDir::new("ssh");
    let key = generate_ed25519().unwrap();
    let authorized = dir.0.join("authorized_keys");
    std::fs::write(&authorized, format!("{}\n", key.public_key().to_openssh().unwrap())).unwrap();
    let layout = site();
    assert_eq!(layout.hosts.len(), 104);
    let key = Arc::new(key);

    for round in ["fresh state directory", "restart from the saved state"] {
        let started = Instant::now();
        let config = SimConfig {
            layout: Some(layout.clone()),
            ..SimConfig::new(&dir.0.join("state"), &[], 0, &authorized)
        };
        let cluster = Cluster::start(config).await.unwrap();
        let listening = started.elapsed();
        let logins: Vec<_> = cluster
            .hosts
            .iter()
            .map(|h| {
                let (addr, name, key) = (h.addr, h.name.clone(), key.clone());
                tokio::spawn(async move { (name, hostname(addr, key).await) })
            })
            .collect();
        for login in logins {
            let (name, out) = login.await.unwrap();
            assert_eq!(out.unwrap(), format!("{name}\n"));
        }
        let serving = started.elapsed();
        eprintln!(
            "{round}: {} servers listening after {listening:?}; every one answered `hostname` over SSH after {serving:?}; \
             open descriptors {}",
            cluster.hosts.len(),
            open_descriptors()
        );
        cluster.shutdown().await;
    }
}

/// File descriptors this process has open.
fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or_default()
}

/// Formats and mounts the MDT, then `osts` OSTs: OSS *i* formats and
/// mounts its half of its pair's devices, one exec per command as Chroma
/// runs them, every OSS at once when `parallel`. How long it took.
async fn set_up(sim: Arc<Simulator>, layout: &Layout, osts: usize, parallel: bool) -> Duration {
    let started = Instant::now();
    let mds = &layout.hosts[0].name;
    for line in [
        "mkfs.lustre --mgs --mdt --fsname=fs1 --index=0 /dev/mapper/mdt00",
        "mount -t lustre /dev/mapper/mdt00 /mnt/mdt0",
    ] {
        let out = sim.run_line(mds, line).await;
        assert_eq!(out.code, 0, "{mds}: {}", out.stderr);
    }
    let oss: Vec<String> = layout
        .hosts
        .iter()
        .filter(|h| h.name.starts_with("oss"))
        .take(osts / OSTS_PER_OSS)
        .map(|h| h.name.clone())
        .collect();
    let mut tasks = Vec::new();
    for (i, host) in oss.into_iter().enumerate() {
        let sim = sim.clone();
        let work = async move {
            let first = (i % 2) * OSTS_PER_OSS;
            for d in first..first + OSTS_PER_OSS {
                let index = i * OSTS_PER_OSS + d - first;
                let dev = format!("/dev/mapper/ost{d:02}");
                for line in [
                    format!("mkfs.lustre --ost --fsname=fs1 --index={index} --mgsnode=10.0.0.1@tcp {dev}"),
                    format!("mount -t lustre {dev} /mnt/ost{index}"),
                ] {
                    let out = sim.run_line(&host, &line).await;
                    assert_eq!(out.code, 0, "{host}: {line}: {}", out.stderr);
                }
            }
        };
        if parallel {
            tasks.push(tokio::spawn(work));
        } else {
            work.await;
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

/// A simulator over a fresh state of `layout` in `dir`.
fn simulator(dir: &Path, layout: &Layout) -> Arc<Simulator> {
    Arc::new(Simulator::new(
        StateStore::new(dir).unwrap(),
        ClusterState::from_layout(layout),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: prints figures"]
async fn a_thousand_osts_are_set_up_within_seconds() {
    let dir = TempDir::new("setup");
    let layout = site();
    let osts = 1_000;
    for parallel in [false, true] {
        let state = dir.0.join(if parallel { "parallel" } else { "serial" });
        let sim = simulator(&state, &layout);
        let took = set_up(sim.clone(), &layout, osts, parallel).await;
        drop(sim);
        // What a restart finds: every OST formatted and mounted.
        let saved = StateStore::new(&state).unwrap().load().unwrap().unwrap();
        assert_eq!(saved.mounts.len(), osts + 1);
        let how = if parallel {
            "every OSS at once"
        } else {
            "one command at a time"
        };
        eprintln!(
            "{osts} OSTs formatted and mounted ({} execs), {how}: {took:?}; state.json {} KiB",
            2 * osts + 2,
            std::fs::metadata(state.join("state.json")).unwrap().len() / 1024
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: prints figures"]
async fn where_the_time_of_a_change_goes_at_a_thousand_osts() {
    let dir = TempDir::new("parts");
    let layout = site();
    let sim = simulator(&dir.0.join("state"), &layout);
    set_up(sim.clone(), &layout, 1_000, true).await;
    let state = sim.snapshot().await;
    let store = StateStore::new(&dir.0.join("copy")).unwrap();
    let time = |what: &str, f: &mut dyn FnMut()| {
        let started = Instant::now();
        for _ in 0..10 {
            f();
        }
        eprintln!("{what}: {:?}", started.elapsed() / 10);
    };
    time("clone the state", &mut || drop(std::hint::black_box(state.clone())));
    let copy = state.clone();
    time("compare two states", &mut || {
        assert!(std::hint::black_box(copy == state))
    });
    time("serialise the state", &mut || drop(serde_json::to_vec(&state).unwrap()));
    time("write and fsync state.json and journals", &mut || {
        store.save(&state).unwrap()
    });
    let started = Instant::now();
    for _ in 0..10 {
        assert_eq!(sim.run_line("oss1", "lctl dl").await.code, 0);
    }
    eprintln!("an exec that reads (lctl dl): {:?}", started.elapsed() / 10);
    // The two `lctl get_param` reads of a monitor's poll of an OSS
    // (services/monitor/src/poll.rs), of its 20 OSTs.
    for line in [
        "lctl get_param memused lnet_memused health_check 'osd-*.*.filesfree' 'osd-*.*.filestotal' \
         'osd-*.*.kbytesavail' 'osd-*.*.kbytesfree' 'osd-*.*.kbytestotal' 'obdfilter.*OST*.stats' \
         'obdfilter.*OST*.num_exports' 'mdt.*.md_stats' 'mdt.*MDT*.num_exports'",
        "lctl get_param 'obdfilter.*.job_stats' 'mdt.*.job_stats'",
    ] {
        let started = Instant::now();
        for _ in 0..10 {
            // Exit status 2 here: an OSS has no `mdt.*`, as on a real one.
            assert!(!sim.run_line("oss1", line).await.stdout.is_empty(), "{line}");
        }
        eprintln!("{line:.45}…: {:?}", started.elapsed() / 10);
    }
    let started = Instant::now();
    for n in 0..10 {
        let line = format!("lctl set_param obdfilter.fs1-OST0000.tot_dirty={n}");
        assert_eq!(sim.run_line("oss1", &line).await.code, 0, "{line}");
    }
    eprintln!("an exec that changes a tunable: {:?}", started.elapsed() / 10);
}
