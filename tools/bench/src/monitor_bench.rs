//! `chroma-monitor-bench`: statistics ingest at scale while a dashboard
//! reads. A simulated cluster of `--oss` servers with `--osts-per-oss`
//! mounted OSTs each (1,000 by default) plus an MDS is polled every
//! `--interval` seconds for `--rounds` rounds; every round runs the
//! monitor's own poll script on each server (in-process lustre-sim, no
//! SSH), parses it and records it with the monitor's recorder into a fresh
//! PostgreSQL database. Meanwhile a reader runs the console's dashboard
//! queries for one file system over the last 24 hours, against a day of
//! per-minute history written before the run. Prints the round times and
//! the query latencies.

mod scratch;

use anyhow::Context as _;
use chrono::Utc;
use clap::Parser;
use monitor::inventory::{Host, Inventory, TargetRow};
use monitor::round::{Polled, Recorder};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::metric_query::{self, Objects, SeriesRequest, Window};
use store::metrics::ObjectKind;
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(
    name = "chroma-monitor-bench",
    version,
    about = "Benchmark statistics ingest and dashboard queries"
)]
struct Args {
    /// Object storage servers.
    #[arg(long, default_value_t = 50)]
    oss: usize,
    /// OSTs mounted on each.
    #[arg(long, default_value_t = 20)]
    osts_per_oss: usize,
    /// Seconds between rounds.
    #[arg(long, default_value_t = 10)]
    interval: u64,
    /// Rounds to ingest.
    #[arg(long, default_value_t = 12)]
    rounds: usize,
    /// Keep the bench database.
    #[arg(long)]
    keep: bool,
}

const FINGERPRINT: &str = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.oss > 0 && args.osts_per_oss > 0 && args.rounds > 1,
        "need servers, OSTs and 2+ rounds"
    );
    let scratch = scratch::Scratch::create("chroma_bench_monitor").await?;
    let db = store::connect(&scratch.settings).await?;
    let result = run(&args, &db).await;
    db.close().await?;
    if args.keep {
        println!("kept database {}", scratch.name);
    } else {
        scratch.drop().await?;
    }
    result
}

async fn run(args: &Args, db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("chroma-monitor-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (sim, inventory, fs_id) = cluster(args, db, &dir).await?;
    let osts = args.oss * args.osts_per_oss;
    println!(
        "cluster: {} servers, {osts} OSTs, 1 MDT (set up in {:.1} s)",
        inventory.hosts.len(),
        started.elapsed().as_secs_f64()
    );
    let prefill = Instant::now();
    let rows = history(db).await?;
    println!(
        "history: {rows} per-minute and per-hour rows for the last 24 h (file-system series and 4 per OST) in {:.1} s",
        prefill.elapsed().as_secs_f64()
    );

    let stop = Arc::new(AtomicBool::new(false));
    let reader = tokio::spawn(dashboard(db.clone(), fs_id, stop.clone()));
    let mut recorder = Recorder {
        usage_alert_percent: 90.0,
        ..Recorder::default()
    };
    // Journals are read by the live streams, which this benchmark leaves out.
    let script = monitor::poll::script(monitor::poll::Journal::Skip, false)?;
    let mut polls = Vec::new();
    let mut records = Vec::new();
    let mut samples = 0;
    let mut ticker = tokio::time::interval(Duration::from_secs(args.interval));
    for _ in 0..args.rounds {
        ticker.tick().await;
        let at = Utc::now();
        let t = Instant::now();
        let mut polled = Vec::with_capacity(inventory.hosts.len());
        for host in &inventory.hosts {
            let out = sim.run_line(&host.name, &script).await;
            let reading = monitor::parse::reading(&monitor::poll::sections(&out.stdout));
            anyhow::ensure!(reading.problems.is_empty(), "{}: {:?}", host.name, reading.problems);
            polled.push(Polled {
                host: host.clone(),
                result: Ok(reading),
            });
        }
        polls.push(t.elapsed());
        let t = Instant::now();
        let (summary, _) = recorder.record(db, &inventory, &polled, at).await?;
        records.push(t.elapsed());
        samples += summary.samples;
    }
    stop.store(true, Ordering::Relaxed);
    let latencies = reader.await??;
    let _ = std::fs::remove_dir_all(&dir);

    println!("\ningest, {} rounds every {} s:", args.rounds, args.interval);
    println!(
        "  samples stored          {samples} ({:.0} per round)",
        samples as f64 / args.rounds as f64
    );
    report("  poll + parse (all servers)", &mut polls);
    report("  record (PostgreSQL)", &mut records);
    println!("\ndashboard queries while ingesting (24 h of one file system):");
    for (name, mut times) in latencies {
        report(&format!("  {name}"), &mut times);
    }
    Ok(())
}

fn report(name: &str, times: &mut [Duration]) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    if times.is_empty() {
        println!("{name}: no samples");
        return;
    }
    println!(
        "{name:<34} n={:<5} p50 {:>7.1} ms  p95 {:>7.1} ms  max {:>7.1} ms",
        times.len(),
        ms(at(0.5)),
        ms(at(0.95)),
        ms(at(1.0))
    );
}

/// The simulator with every target formatted and mounted, and the same
/// objects in the database.
async fn cluster(
    args: &Args,
    db: &sea_orm::DatabaseConnection,
    dir: &std::path::Path,
) -> anyhow::Result<(lustre_sim::exec::Simulator, Inventory, Uuid)> {
    let mut layout = serde_json::json!({"hosts": [{"name": "mds1", "nid": "10.1.0.1@tcp", "devices": [
        {"path": "/dev/sdb", "size": 107_374_182_400_u64, "serial": "BENCHMDS0"},
        {"path": "/dev/sdc", "size": 107_374_182_400_u64, "serial": "BENCHMDS1"}]}]});
    for o in 0..args.oss {
        let devices: Vec<_> = (0..args.osts_per_oss)
            .map(|d| {
                serde_json::json!({"path": format!("/dev/sd{}", d + 2), "size": 17_592_186_044_416_u64,
                "serial": format!("BENCHOST{o:03}{d:02}")})
            })
            .collect();
        layout["hosts"]
            .as_array_mut()
            .context("layout")?
            .push(serde_json::json!({"name": format!("oss{o:03}"), "nid": format!("10.1.{}.{}@tcp", 1 + o / 200, 2 + o % 200), "devices": devices}));
    }
    let layout: lustre_sim::Layout = serde_json::from_value(layout)?;
    let state = lustre_sim::state::ClusterState::from_layout(&layout);
    let sim = lustre_sim::exec::Simulator::new(lustre_sim::state::StateStore::new(dir)?, state);
    let mut inventory = Inventory::default();
    let fs_id = Uuid::now_v7();
    let mut host_rows = Vec::new();
    for (i, h) in layout.hosts.iter().enumerate() {
        let id = Uuid::now_v7();
        host_rows.push((id, h.name.clone(), i));
        inventory.hosts.push(Host {
            id,
            name: h.name.clone(),
            nodename: Some(h.name.clone()),
            ha_node: None,
            ha_cluster_id: None,
            target: chroma_ssh::Target::new("127.0.0.1", u16::try_from(3000 + i)?, "root"),
            fingerprint: chroma_ssh::Fingerprint::parse(FINGERPRINT)?,
            lnet_state: "lnet_up".into(),
            journal_cursor: None,
        });
        inventory.names.insert(id, h.name.clone());
    }
    for (id, name, i) in &host_rows {
        store::hosts::insert_managed(
            db,
            &store::hosts::ManagedHost {
                id: *id,
                address: "127.0.0.1".into(),
                port: i32::try_from(3000 + i)?,
                fingerprint: FINGERPRINT.into(),
                nodename: name.clone(),
            },
        )
        .await?;
        sim_run(&sim, name, "modprobe lnet && lnetctl lnet configure --all").await?;
    }
    let mut add = |id: Uuid, name: String, kind: &str, host: Uuid, serial: String, index: Option<i32>| {
        inventory.targets.push(TargetRow {
            id,
            name: name.clone(),
            kind: kind.to_owned(),
            filesystem_id: (kind != "mgt").then_some(fs_id),
            state: "mounted".into(),
            primary_host_id: host,
            failover_host_ids: Vec::new(),
            active_host_id: Some(host),
            ha_resource: None,
        });
        (id, name, kind.to_owned(), host, serial, index)
    };
    let mds = host_rows[0].0;
    let mut targets = vec![
        add(Uuid::now_v7(), "MGS".into(), "mgt", mds, "BENCHMDS0".into(), None),
        add(
            Uuid::now_v7(),
            "bench-MDT0000".into(),
            "mdt",
            mds,
            "BENCHMDS1".into(),
            Some(0),
        ),
    ];
    sim_run(
        &sim,
        "mds1",
        "mkfs.lustre --mgs /dev/sdb && mount -t lustre /dev/sdb /mnt/mgs",
    )
    .await?;
    sim_run(
        &sim,
        "mds1",
        "mkfs.lustre --mdt --fsname=bench --index=0 --mgsnode=10.1.0.1@tcp /dev/sdc && mount -t lustre /dev/sdc /mnt/mdt0",
    )
    .await?;
    for (o, (host, name, _)) in host_rows.iter().skip(1).enumerate() {
        let mut line = Vec::new();
        for d in 0..args.osts_per_oss {
            let index = o * args.osts_per_oss + d;
            let dev = format!("/dev/sd{}", d + 2);
            line.push(format!(
                "mkfs.lustre --ost --fsname=bench --index={index} --mgsnode=10.1.0.1@tcp {dev} && mount -t lustre {dev} /mnt/ost{index}"
            ));
            targets.push(add(
                Uuid::now_v7(),
                format!("bench-OST{index:04x}"),
                "ost",
                *host,
                format!("BENCHOST{o:03}{d:02}"),
                Some(i32::try_from(index)?),
            ));
        }
        sim_run(&sim, name, &line.join(" && ")).await?;
    }
    let mgs_id = targets[0].0;
    for (id, name, kind, host, serial, index) in &targets {
        let volume = Uuid::now_v7();
        store::volumes::insert_one(db, volume, serial, 0).await?;
        store::targets::insert_mounted(
            db,
            &store::targets::MountedTarget {
                id: *id,
                kind: kind.clone(),
                index: *index,
                name: name.clone(),
                volume_id: volume,
                host_id: *host,
                filesystem_id: (kind != "mgt").then_some(fs_id),
            },
        )
        .await?;
        if *id == mgs_id {
            store::filesystems::insert_bare(db, fs_id, "bench", mgs_id).await?;
        }
    }
    Ok((sim, inventory, fs_id))
}

async fn sim_run(sim: &lustre_sim::exec::Simulator, host: &str, line: &str) -> anyhow::Result<()> {
    let out = sim.run_line(host, line).await;
    anyhow::ensure!(out.code == 0, "{host}: {line}: {}", out.stderr);
    Ok(())
}

/// A day of per-minute history: every file-system metric, and the space
/// and bandwidth of every OST (what the balance chart and heat map read).
async fn history(db: &sea_orm::DatabaseConnection) -> anyhow::Result<u64> {
    let fs_metrics: Vec<String> = metric_query::metrics(ObjectKind::Filesystem)
        .iter()
        .map(|m| m.name.to_owned())
        .collect();
    Ok(store::metrics::seed_random_day(db, &fs_metrics).await?)
}

type Latencies = Vec<(&'static str, Vec<Duration>)>;

/// Runs the dashboard's queries one after another until `stop`.
async fn dashboard(db: sea_orm::DatabaseConnection, fs_id: Uuid, stop: Arc<AtomicBool>) -> anyhow::Result<Latencies> {
    let fs_metric = |names: &[&str]| -> anyhow::Result<Vec<&'static metric_query::Metric>> {
        names
            .iter()
            .map(|n| metric_query::metric(ObjectKind::Filesystem, n).context("metric"))
            .collect()
    };
    let ost_metric = |n: &str| metric_query::metric(ObjectKind::Target, n).context("metric");
    let mut out: Latencies = vec![
        ("bandwidth + space, fs, 24 h", Vec::new()),
        ("metadata ops, fs, 24 h", Vec::new()),
        ("heat map, every OST, 24 h", Vec::new()),
        ("OST balance, last 5 min", Vec::new()),
    ];
    while !stop.load(Ordering::Relaxed) {
        let now = Utc::now();
        let day = Window::plan(now - chrono::Duration::hours(24), now, 300, now);
        let requests = [
            SeriesRequest {
                kind: ObjectKind::Filesystem,
                objects: Objects::One(fs_id),
                metrics: fs_metric(&["read_bytes", "write_bytes", "space_used", "space_total"])?,
                window: day,
                reduce: None,
            },
            SeriesRequest {
                kind: ObjectKind::Filesystem,
                objects: Objects::One(fs_id),
                metrics: fs_metric(&[
                    "md_ops_open",
                    "md_ops_close",
                    "md_ops_getattr",
                    "md_ops_setattr",
                    "md_ops_mknod",
                ])?,
                window: day,
                reduce: None,
            },
            SeriesRequest {
                kind: ObjectKind::Target,
                objects: Objects::All {
                    filesystem_id: Some(fs_id),
                    target_kind: Some("ost"),
                },
                metrics: vec![ost_metric("write_bytes")?],
                window: Window::plan(now - chrono::Duration::hours(24), now, 96, now),
                reduce: None,
            },
            SeriesRequest {
                kind: ObjectKind::Target,
                objects: Objects::All {
                    filesystem_id: Some(fs_id),
                    target_kind: Some("ost"),
                },
                metrics: vec![ost_metric("space_used")?, ost_metric("space_total")?],
                window: Window::plan(now - chrono::Duration::minutes(5), now, 1, now),
                reduce: None,
            },
        ];
        for (i, request) in requests.iter().enumerate() {
            let t = Instant::now();
            let request = metric_query::fit(&db, request.clone()).await?;
            let series = metric_query::series(&db, &request).await?.unwrap_or_default();
            out[i].1.push(t.elapsed());
            anyhow::ensure!(!series.is_empty(), "{} returned nothing", out[i].0);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(out)
}
