//! `chroma-scale-bench`: the operator's day at a large site (issue 19),
//! end to end through the HTTP API, printing each figure beside its
//! target.
//!
//! lustre-sim serves the site `lustre-sim gen-cluster` describes (by
//! default 4 MDS and 50 OSS failover pairs seeing 40 shared devices each:
//! 104 servers, 2,000 OST devices) with its realistic command latencies,
//! in this process, over real SSH. The bench starts its own Chroma on a
//! fresh database and queue prefix (the API, one scheduler, `--workers`
//! workers and a monitor polling every `--interval` seconds), then:
//!
//! 1. adds every server at once (bounded), timing the host list meanwhile;
//! 2. makes each failover pair an HA cluster;
//! 3. plans (a dry run) and creates one file system: an MGT, an MDT on
//!    each MDS and an OST on every OSS device, primaries alternating
//!    within each pair; times the command's jobs page meanwhile;
//! 4. stops the file system and starts it again;
//! 5. a failover storm: `--storm` OSS (one of each of as many pairs) go
//!    down at once; Pacemaker moves their targets to the partners and the
//!    monitor raises an alert per target; the servers come back and one
//!    command fails every target back;
//! 6. monitors for `--monitor-minutes`, reading each round's duration off
//!    the monitor's `/metrics`.
//!
//! Everything it created is removed afterwards unless `--keep`.

mod stack;

use anyhow::{bail, Context as _};
use clap::Parser;
use futures::StreamExt;
use lustre_sim::layout::SiteSpec;
use lustre_sim::{FaultCommand, Layout, SimConfig};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use crate::stack::{Names, Stack};

#[derive(Debug, Parser)]
#[command(
    name = "chroma-scale-bench",
    version,
    about = "Drive Chroma through an operator's day at a large simulated site"
)]
struct Args {
    /// OSS failover pairs.
    #[arg(long, default_value_t = 50)]
    oss_pairs: usize,
    /// Devices each OSS sees (its pair's); one OST on each.
    #[arg(long, default_value_t = 40)]
    devices_per_oss: usize,
    /// MDS hosts (paired in order, at least 2); one MDT on each.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(2..=256))]
    mds: u16,
    /// Leave out the simulator's command latencies.
    #[arg(long)]
    no_latencies: bool,
    /// In-process workers.
    #[arg(long, default_value_t = 4)]
    workers: usize,
    /// Steps each worker runs at once (`CHROMA_WORKER_CONCURRENCY`); each
    /// worker still holds at most 4 SSH sessions per server.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    /// Seconds between monitoring rounds.
    #[arg(long, default_value_t = 10)]
    interval: u64,
    /// OSS that go down at once in the failover storm (at most one per pair).
    #[arg(long, default_value_t = 25)]
    storm: usize,
    /// Minutes of monitoring measured after the storm.
    #[arg(long, default_value_t = 5)]
    monitor_minutes: u64,
    /// Servers added at once.
    #[arg(long, default_value_t = 16)]
    parallel: usize,
    /// Give up on any one command after this many seconds.
    #[arg(long, default_value_t = 3600)]
    timeout: u64,
    /// Keep the database, queues and simulator state (for inspection).
    #[arg(long)]
    keep: bool,
}

/// What the issue asks of each figure.
const PLAN_TARGET: Duration = Duration::from_secs(2);
const PAGE_TARGET_MS: f64 = 100.0;
const ROUND_SHARE_TARGET: f64 = 0.25;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.oss_pairs > 0 && args.devices_per_oss > 0,
        "need OSS pairs with devices"
    );
    anyhow::ensure!(
        args.workers > 0 && args.parallel > 0,
        "--workers and --parallel must be at least 1"
    );
    anyhow::ensure!(args.interval > 0, "--interval must be at least 1");
    anyhow::ensure!(
        args.storm <= args.oss_pairs,
        "--storm {} is more than the {} OSS pairs",
        args.storm,
        args.oss_pairs
    );
    if std::env::var_os("RUST_LOG").is_some() {
        setup::telemetry::init();
    }
    let base = setup::Settings::from_env()?;
    let names = Names::fresh(&base)?;
    let dir = std::env::temp_dir().join(format!("chroma-scale-bench-{}", names.prefix));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut settings = names.apply(&base);
    settings.ssh_key_path = dir.join("chroma_key");
    settings.monitor_interval = Duration::from_secs(args.interval);
    settings.worker_concurrency = args.concurrency;
    println!(
        "chroma-scale-bench: {} workers × concurrency {}; database {}, queue prefix {}, state {}",
        args.workers,
        args.concurrency,
        names.database,
        names.prefix,
        dir.display()
    );
    let outcome = run(&args, &settings, &dir).await;
    if args.keep {
        println!(
            "kept database {}, queues {}.* and {}",
            names.database,
            names.prefix,
            dir.display()
        );
    } else {
        if let Err(e) = stack::remove_queues(&settings).await {
            eprintln!("error: cannot delete the bench queues: {e:#}");
        }
        if let Err(e) = stack::drop_database(&names).await {
            eprintln!("error: cannot drop the bench database: {e:#}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    outcome
}

/// Starts the simulated site and Chroma, runs the day, stops both.
async fn run(args: &Args, settings: &setup::Settings, dir: &Path) -> anyhow::Result<()> {
    let spec = SiteSpec {
        mds: usize::from(args.mds),
        oss_pairs: args.oss_pairs,
        devices_per_oss: args.devices_per_oss,
        latencies: !args.no_latencies,
        ..SiteSpec::default()
    };
    let key = chroma_ssh::KeyPair::load_or_create(&settings.ssh_key_path)?;
    let authorized = dir.join("authorized_keys");
    std::fs::write(&authorized, format!("{}\n", key.public_key_openssh()))?;
    let state = dir.join("state");
    let started = Instant::now();
    let config = SimConfig {
        layout: Some(Layout::site(&spec)),
        ..SimConfig::new(&state, &[], 0, &authorized)
    };
    let cluster = lustre_sim::Cluster::start(config).await?;
    println!(
        "site: {} servers ({} MDS, {} OSS in pairs), {} OST devices, latencies {}; serving in {:.2} s",
        cluster.hosts.len(),
        spec.mds,
        2 * spec.oss_pairs,
        spec.oss_pairs * spec.devices_per_oss,
        if spec.latencies { "realistic" } else { "none" },
        started.elapsed().as_secs_f64()
    );
    let mut monitor = settings.clone();
    let ops = free_port()?;
    monitor.ops_bind = Some(ops);
    let stack = Stack::start(settings, args.workers, Some(monitor)).await?;
    let api = Api::new(stack.port, &stack.token)?;
    let rounds = Rounds::watch(format!("http://{ops}/metrics"));
    let day = Day {
        args,
        api: &api,
        hosts: &cluster.hosts,
        state: &state,
        rounds: &rounds,
    };
    let outcome = day.run().await;
    rounds.stop();
    stack.stop().await;
    cluster.shutdown().await;
    outcome
}

/// A port free just now on 127.0.0.1, for the monitor's `/metrics`.
fn free_port() -> anyhow::Result<std::net::SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// The bench's HTTP client of the API.
struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    fn new(port: u16, token: &str) -> anyhow::Result<Self> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))?,
        );
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(Duration::from_secs(300))
            .build()?;
        Ok(Self {
            base: format!("http://127.0.0.1:{port}"),
            http,
        })
    }

    /// Sends a request; the status, the envelope and how long it took.
    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> anyhow::Result<(StatusCode, Value, f64)> {
        let started = Instant::now();
        let mut request = self.http.request(method.clone(), format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {path} failed"))?;
        let status = response.status();
        let envelope: Value = response
            .json()
            .await
            .with_context(|| format!("{method} {path} answered {status} without JSON"))?;
        Ok((status, envelope, started.elapsed().as_secs_f64() * 1000.0))
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let (status, envelope, _) = self.call(Method::GET, path, None).await?;
        anyhow::ensure!(status == StatusCode::OK, "GET {path} answered {status}: {envelope}");
        Ok(envelope["response"].clone())
    }

    /// Sends a change that must be accepted (202); its envelope's response.
    async fn accepted(&self, method: Method, path: &str, body: Option<&Value>) -> anyhow::Result<Value> {
        let (status, envelope, _) = self.call(method.clone(), path, body).await?;
        if status != StatusCode::ACCEPTED {
            bail!("{method} {path} answered {status}: {}", brief(&envelope));
        }
        Ok(envelope["response"].clone())
    }

    /// Every object of a paged list.
    async fn all(&self, path: &str) -> anyhow::Result<Vec<Value>> {
        let mut objects = Vec::new();
        let joiner = if path.contains('?') { '&' } else { '?' };
        loop {
            let page = self
                .get(&format!("{path}{joiner}limit=1000&offset={}", objects.len()))
                .await?;
            let batch = page["objects"].as_array().cloned().unwrap_or_default();
            let total = page["meta"]["total_count"].as_u64().unwrap_or(0) as usize;
            let empty = batch.is_empty();
            objects.extend(batch);
            if empty || objects.len() >= total {
                return Ok(objects);
            }
        }
    }

    /// How many objects a list holds (one row read).
    async fn count(&self, path: &str) -> anyhow::Result<u64> {
        let joiner = if path.contains('?') { '&' } else { '?' };
        let page = self.get(&format!("{path}{joiner}limit=1")).await?;
        Ok(page["meta"]["total_count"].as_u64().unwrap_or(0))
    }

    /// Waits until command `id` has finished (polling every `every`); fails
    /// unless it succeeded.
    async fn succeeded(&self, id: &str, every: Duration, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let command = self.get(&format!("/api/command/{id}")).await?;
            match command["state"].as_str().unwrap_or_default() {
                "succeeded" => return Ok(()),
                "failed" | "cancelled" => bail!("command {id} did not succeed: {}", failure(&command)),
                _ if Instant::now() > deadline => bail!("command {id} still runs after {timeout:?}"),
                _ => tokio::time::sleep(every).await,
            }
        }
    }
}

/// The first failed step's job and output, not the whole command.
fn failure(command: &Value) -> String {
    let jobs = command["jobs"].as_array().cloned().unwrap_or_default();
    match jobs.iter().find(|j| j["state"] == "failed") {
        Some(job) => brief(job),
        None => format!("{} ({} jobs)", command["state"], jobs.len()),
    }
}

/// A value shown in at most 2,000 characters.
fn brief(value: &Value) -> String {
    let shown = value.to_string();
    match shown.char_indices().nth(2_000) {
        Some((at, _)) => format!("{}…", &shown[..at]),
        None => shown,
    }
}

/// Reads `path` over and over (one request at a time, `every` apart)
/// until stopped; each answer's time in milliseconds.
struct Sampler {
    stop: CancellationToken,
    task: tokio::task::JoinHandle<Vec<f64>>,
}

impl Sampler {
    fn start(api: &Api, path: String, every: Duration) -> Self {
        let stop = CancellationToken::new();
        let (http, url, token) = (api.http.clone(), format!("{}{path}", api.base), stop.clone());
        let task = tokio::spawn(async move {
            let mut times = Vec::new();
            while !token.is_cancelled() {
                let started = Instant::now();
                match http.get(&url).send().await {
                    Ok(r) if r.status().is_success() => {
                        if r.bytes().await.is_ok() {
                            times.push(started.elapsed().as_secs_f64() * 1000.0);
                        }
                    }
                    Ok(r) => eprintln!("warning: GET {url} answered {}", r.status()),
                    Err(e) => eprintln!("warning: GET {url} failed: {:#}", anyhow::Error::from(e)),
                }
                tokio::select! {
                    () = token.cancelled() => {}
                    () = tokio::time::sleep(every) => {}
                }
            }
            times
        });
        Self { stop, task }
    }

    async fn finish(self) -> Vec<f64> {
        self.stop.cancel();
        self.task.await.unwrap_or_default()
    }
}

/// p50, p95 and the largest of `values`, in their unit.
fn pcts(values: &mut [f64]) -> (f64, f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95), at(1.0))
}

/// One line of the report: a latency list's figures, beside its target
/// (at p95) if it has one.
fn page_line(what: &str, mut times: Vec<f64>, target_ms: Option<f64>) {
    let n = times.len();
    let (p50, p95, max) = pcts(&mut times);
    let verdict = match target_ms {
        None => String::new(),
        Some(_) if n == 0 => " (not measured)".to_owned(),
        Some(t) if p95 <= t => format!(" (target p95 {t:.0} ms: met)"),
        Some(t) => format!(" (target p95 {t:.0} ms: missed)"),
    };
    println!("  {what}: {n} requests, p50 {p50:.1} ms, p95 {p95:.1} ms, max {max:.1} ms{verdict}");
}

/// Each monitoring round's duration, and its parts', read off the
/// monitor's `/metrics` (the histograms' sums and counts, scraped often
/// enough to see rounds one by one).
struct Rounds {
    seen: Arc<Mutex<Vec<(Instant, Round)>>>,
    stop: CancellationToken,
}

/// One round's durations in seconds: the whole, and its parts.
#[derive(Debug, Clone, Copy, Default)]
struct Round {
    total: f64,
    inventory: f64,
    poll: f64,
    record: f64,
    observe: f64,
}

/// The round histograms' sums (the whole, then each part) and count.
fn round_sums(text: &str) -> Option<([f64; 5], f64)> {
    let phase = |p: &str| {
        metric(
            text,
            &format!("chroma_monitor_round_phase_duration_seconds_sum{{phase=\"{p}\"}}"),
        )
    };
    let sums = [
        metric(text, "chroma_monitor_round_duration_seconds_sum")?,
        phase("inventory")?,
        phase("poll")?,
        phase("record")?,
        phase("observe")?,
    ];
    Some((sums, metric(text, "chroma_monitor_round_duration_seconds_count")?))
}

impl Rounds {
    fn watch(url: String) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = CancellationToken::new();
        let (out, token) = (seen.clone(), stop.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            // The sums at the last scrape that saw a round end: a part
            // ends before its round does, so a scrape between the two
            // must not move this, or the part is counted in no round.
            let mut last: Option<([f64; 5], f64)> = None;
            while !token.is_cancelled() {
                let text = async { http.get(&url).send().await?.text().await }.await;
                if let Some((sums, count)) = text.ok().as_deref().and_then(round_sums) {
                    if let Some((s0, c0)) = last.filter(|(_, c0)| count > *c0) {
                        // Rounds finishing between two scrapes share their mean.
                        let n = count - c0;
                        let each = |i: usize| (sums[i] - s0[i]) / n;
                        let round = Round {
                            total: each(0),
                            inventory: each(1),
                            poll: each(2),
                            record: each(3),
                            observe: each(4),
                        };
                        let mut seen = out.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        seen.extend(std::iter::repeat_n((Instant::now(), round), n as usize));
                    }
                    if last.is_none_or(|(_, c0)| count > c0) {
                        last = Some((sums, count));
                    }
                }
                tokio::select! {
                    () = token.cancelled() => {}
                    () = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
        });
        Self { seen, stop }
    }

    /// The rounds that ended after `since`.
    fn since(&self, since: Instant) -> Vec<Round> {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .filter(|(at, _)| *at >= since)
            .map(|(_, r)| *r)
            .collect()
    }

    fn stop(&self) {
        self.stop.cancel();
    }
}

/// The value of a sample (`name` with its labels, if any) in Prometheus text.
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// The run's shared parts.
struct Day<'a> {
    args: &'a Args,
    api: &'a Api,
    hosts: &'a [lustre_sim::HostEndpoint],
    state: &'a Path,
    rounds: &'a Rounds,
}

/// A server as Chroma knows it.
struct Server {
    id: String,
    name: String,
}

impl Day<'_> {
    fn timeout(&self) -> Duration {
        Duration::from_secs(self.args.timeout)
    }

    async fn run(&self) -> anyhow::Result<()> {
        let day = Instant::now();
        let servers = self.add_servers().await?;
        self.ha_clusters(&servers).await?;
        let fs = self.create_filesystem(&servers).await?;
        self.stop_and_start(&fs).await?;
        self.storm(&servers, &fs).await?;
        self.monitoring().await?;
        println!("day done in {:.1} min", day.elapsed().as_secs_f64() / 60.0);
        Ok(())
    }

    /// Step 1: every server added at once, `--parallel` requests at a time.
    async fn add_servers(&self) -> anyhow::Result<Vec<Server>> {
        println!("1. adding {} servers", self.hosts.len());
        let started = Instant::now();
        let list = Sampler::start(self.api, "/api/host".into(), Duration::from_millis(200));
        let submitted: Vec<anyhow::Result<(String, String, f64)>> = futures::stream::iter(self.hosts.iter())
            .map(|host| async move {
                let body = json!({"address": "127.0.0.1", "port": host.addr.port()});
                let (status, envelope, ms) = self.api.call(Method::POST, "/api/host", Some(&body)).await?;
                anyhow::ensure!(
                    status == StatusCode::ACCEPTED,
                    "adding {} answered {status}: {}",
                    host.name,
                    brief(&envelope)
                );
                let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
                let id = envelope["response"]["host"]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                Ok((command, id, ms))
            })
            .buffered(self.args.parallel)
            .collect()
            .await;
        let mut servers = Vec::new();
        let mut submit_ms = Vec::new();
        for (host, result) in self.hosts.iter().zip(submitted) {
            let (command, id, ms) = result?;
            self.api
                .succeeded(&command, Duration::from_millis(500), self.timeout())
                .await
                .with_context(|| format!("adding {}", host.name))?;
            submit_ms.push(ms);
            servers.push(Server {
                id,
                name: host.name.clone(),
            });
        }
        let took = started.elapsed();
        page_line("POST /api/host", submit_ms, None);
        page_line("GET /api/host while adding", list.finish().await, Some(PAGE_TARGET_MS));
        println!("  all {} managed in {:.1} s", servers.len(), took.as_secs_f64());
        Ok(servers)
    }

    /// Step 2: each pair (`mds1`+`mds2`, …, `oss1`+`oss2`, …) an HA cluster.
    async fn ha_clusters(&self, servers: &[Server]) -> anyhow::Result<()> {
        let pairs: Vec<&[Server]> = servers.chunks_exact(2).collect();
        println!("2. making {} failover pairs HA clusters", pairs.len());
        let started = Instant::now();
        let commands: Vec<anyhow::Result<String>> = futures::stream::iter(pairs.iter())
            .map(|pair| async move {
                let devices: Vec<Value> = pair
                    .iter()
                    .map(|s| json!({"host_id": s.id, "agent": "fence_lustre_sim"}))
                    .collect();
                let body = json!({
                    "name": format!("pair-{}-{}", pair[0].name, pair[1].name),
                    "host_ids": [pair[0].id, pair[1].id],
                    "fencing": {"devices": devices},
                });
                let response = self.api.accepted(Method::POST, "/api/ha_cluster", Some(&body)).await?;
                Ok(response["command"].as_str().unwrap_or_default().to_owned())
            })
            .buffered(self.args.parallel)
            .collect()
            .await;
        for command in commands {
            self.api
                .succeeded(&command?, Duration::from_millis(500), self.timeout())
                .await
                .context("setting up an HA cluster")?;
        }
        println!("  all set up in {:.1} s", started.elapsed().as_secs_f64());
        Ok(())
    }

    /// The request for the file system: which volume each target takes.
    async fn filesystem_request(&self, servers: &[Server]) -> anyhow::Result<Value> {
        let volumes = self.api.all("/api/volume").await?;
        // Each pair's shared volumes, in device path order.
        let mut shared: HashMap<(String, String), Vec<(String, String)>> = HashMap::new();
        for volume in &volumes {
            let nodes = volume["nodes"].as_array().cloned().unwrap_or_default();
            let mut hosts: Vec<String> = nodes
                .iter()
                .filter_map(|n| n["host_id"].as_str().map(str::to_owned))
                .collect();
            if hosts.len() != 2 {
                continue;
            }
            hosts.sort();
            let path = nodes[0]["path"].as_str().unwrap_or_default().to_owned();
            let id = volume["id"].as_str().unwrap_or_default().to_owned();
            shared
                .entry((hosts[0].clone(), hosts[1].clone()))
                .or_default()
                .push((path, id));
        }
        let mut pair_volumes = |a: &Server, b: &Server| -> anyhow::Result<Vec<String>> {
            let mut key = [a.id.clone(), b.id.clone()];
            key.sort();
            let mut list = shared
                .remove(&(key[0].clone(), key[1].clone()))
                .with_context(|| format!("no volumes shared by {} and {}", a.name, b.name))?;
            list.sort();
            Ok(list.into_iter().map(|(_, id)| id).collect())
        };
        let target = |volume: &str, primary: &Server, failover: &Server| json!({"volume_id": volume, "primary_host_id": primary.id, "failover_host_ids": [failover.id]});
        let mds = usize::from(self.args.mds);
        let mut mgt = Value::Null;
        let mut mdts = Vec::new();
        for pair in servers[..mds].chunks_exact(2) {
            let volumes = pair_volumes(&pair[0], &pair[1])?;
            let mut free = volumes.iter();
            if mgt.is_null() {
                mgt = target(free.next().context("no volume for the MGT")?, &pair[0], &pair[1]);
            }
            mdts.push(target(free.next().context("no volume for an MDT")?, &pair[0], &pair[1]));
            mdts.push(target(free.next().context("no volume for an MDT")?, &pair[1], &pair[0]));
        }
        let mut osts = Vec::new();
        for pair in servers[mds..].chunks_exact(2) {
            for (d, volume) in pair_volumes(&pair[0], &pair[1])?.iter().enumerate() {
                let (primary, failover) = if d % 2 == 0 {
                    (&pair[0], &pair[1])
                } else {
                    (&pair[1], &pair[0])
                };
                osts.push(target(volume, primary, failover));
            }
        }
        Ok(json!({"name": "scale", "mgt": mgt, "mdts": mdts, "osts": osts}))
    }

    /// Step 3: plan, then create, the file system.
    async fn create_filesystem(&self, servers: &[Server]) -> anyhow::Result<String> {
        let request = self.filesystem_request(servers).await?;
        let osts = request["osts"].as_array().map_or(0, Vec::len);
        let mdts = request["mdts"].as_array().map_or(0, Vec::len);
        println!("3. creating a file system of {osts} OSTs and {mdts} MDTs");
        let mut plans = Vec::new();
        let mut jobs = 0;
        for _ in 0..3 {
            let (status, envelope, ms) = self
                .api
                .call(Method::POST, "/api/filesystem?dry_run=true", Some(&request))
                .await?;
            anyhow::ensure!(
                status == StatusCode::OK,
                "the dry run answered {status}: {}",
                brief(&envelope)
            );
            jobs = envelope["response"]["jobs"].as_array().map_or(0, Vec::len);
            plans.push(ms);
        }
        let (p50, _, max) = pcts(&mut plans);
        println!(
            "  dry run: {jobs} jobs planned; p50 {:.2} s, max {:.2} s of 3 (target {:.0} s: {})",
            p50 / 1000.0,
            max / 1000.0,
            PLAN_TARGET.as_secs_f64(),
            if max <= PLAN_TARGET.as_secs_f64() * 1000.0 {
                "met"
            } else {
                "missed"
            }
        );
        let started = Instant::now();
        let (status, envelope, ms) = self.api.call(Method::POST, "/api/filesystem", Some(&request)).await?;
        anyhow::ensure!(
            status == StatusCode::ACCEPTED,
            "creating the file system answered {status}: {}",
            brief(&envelope)
        );
        println!(
            "  stored and queued: {:.2} s (target {:.0} s: {})",
            ms / 1000.0,
            PLAN_TARGET.as_secs_f64(),
            if ms <= PLAN_TARGET.as_secs_f64() * 1000.0 {
                "met"
            } else {
                "missed"
            }
        );
        let command = envelope["response"]["command"].as_str().unwrap_or_default().to_owned();
        let fs = envelope["response"]["filesystem"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let page = Sampler::start(
            self.api,
            format!("/api/job?command={command}&limit=50"),
            Duration::from_millis(500),
        );
        let running = Sampler::start(
            self.api,
            format!("/api/job?command={command}&state=running&limit=50"),
            Duration::from_millis(500),
        );
        let targets = Sampler::start(self.api, "/api/target?limit=50".into(), Duration::from_millis(500));
        let ran = self
            .api
            .succeeded(&command, Duration::from_secs(2), self.timeout())
            .await;
        let took = started.elapsed();
        page_line("jobs page, first 50", page.finish().await, Some(PAGE_TARGET_MS));
        page_line("jobs page, running ones", running.finish().await, Some(PAGE_TARGET_MS));
        page_line("target list, first 50", targets.finish().await, Some(PAGE_TARGET_MS));
        ran.context("creating the file system")?;
        let steps = self.api.count(&format!("/api/job?command={command}")).await?;
        println!(
            "  created: {steps} jobs in {:.1} s ({:.1} jobs/s)",
            took.as_secs_f64(),
            steps as f64 / took.as_secs_f64()
        );
        self.mounted_per_server()?;
        Ok(fs)
    }

    /// How many targets the simulator has mounted, and on how many servers.
    fn mounted_per_server(&self) -> anyhow::Result<()> {
        let shown = lustre_sim::show(self.state)?;
        let mut per_host: BTreeMap<String, usize> = BTreeMap::new();
        for device in shown["devices"].as_array().cloned().unwrap_or_default() {
            if let Some(host) = device["mounted_on"].as_str() {
                *per_host.entry(host.to_owned()).or_default() += 1;
            }
        }
        let mounted: usize = per_host.values().sum();
        println!("  {mounted} targets mounted on {} servers", per_host.len());
        Ok(())
    }

    /// Step 4: the whole file system stopped, then started.
    async fn stop_and_start(&self, fs: &str) -> anyhow::Result<()> {
        println!("4. stopping and starting the file system");
        for state in ["stopped", "available"] {
            let started = Instant::now();
            let path = format!("/api/filesystem/{fs}");
            let body = json!({"state": state});
            let (status, envelope, _) = self.api.call(Method::PATCH, &path, Some(&body)).await?;
            let response = if status == StatusCode::CONFLICT {
                // The change touches objects the request did not name.
                let body = json!({"state": state, "confirm": true});
                self.api.accepted(Method::PATCH, &path, Some(&body)).await?
            } else if status == StatusCode::ACCEPTED {
                envelope["response"].clone()
            } else {
                bail!(
                    "setting the file system {state} answered {status}: {}",
                    brief(&envelope)
                );
            };
            let command = response["command"].as_str().unwrap_or_default().to_owned();
            let jobs = response["jobs"].as_array().map_or(0, Vec::len);
            self.api
                .succeeded(&command, Duration::from_secs(1), self.timeout())
                .await
                .with_context(|| format!("setting the file system {state}"))?;
            println!("  {state}: {jobs} jobs in {:.1} s", started.elapsed().as_secs_f64());
        }
        Ok(())
    }

    /// Each mounted target's label and the server it is mounted on, from
    /// the simulator.
    fn mounted(&self) -> anyhow::Result<HashMap<String, String>> {
        let shown = lustre_sim::show(self.state)?;
        Ok(shown["devices"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|d| Some((d["label"].as_str()?.to_owned(), d["mounted_on"].as_str()?.to_owned())))
            .collect())
    }

    async fn alerts(&self, kind: &str) -> anyhow::Result<u64> {
        self.api.count(&format!("/api/alert?active=true&kind={kind}")).await
    }

    /// Checks `done` every second for at most `patience`: how long it took
    /// to say so, or `None` if it never did.
    async fn within<F, Fut>(patience: Duration, mut done: F) -> anyhow::Result<Option<Duration>>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<bool>>,
    {
        let started = Instant::now();
        while !done().await? {
            if started.elapsed() >= patience {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        Ok(Some(started.elapsed()))
    }

    /// Step 5: `--storm` OSS down at once, back, and one failback command.
    async fn storm(&self, servers: &[Server], fs: &str) -> anyhow::Result<()> {
        let mds = usize::from(self.args.mds);
        let victims: Vec<&Server> = servers[mds..]
            .chunks_exact(2)
            .take(self.args.storm)
            .map(|pair| &pair[1])
            .collect();
        if victims.is_empty() {
            println!("5. no failover storm (--storm 0)");
            return Ok(());
        }
        let before = self.mounted()?;
        let moving: Vec<String> = before
            .iter()
            .filter(|(_, host)| victims.iter().any(|v| &v.name == *host))
            .map(|(label, _)| label.clone())
            .collect();
        println!(
            "5. failover storm: {} OSS down at once, serving {} targets",
            victims.len(),
            moving.len()
        );
        for victim in &victims {
            lustre_sim::inject_fault(self.state, &victim.name, FaultCommand::Down)?;
        }
        let down = Instant::now();
        let alerts = Sampler::start(
            self.api,
            "/api/alert?active=true&limit=50".into(),
            Duration::from_millis(500),
        );
        let moved = Self::within(self.timeout(), || async {
            let now = self.mounted()?;
            Ok(moving
                .iter()
                .all(|label| now.get(label).is_some_and(|h| !victims.iter().any(|v| &v.name == h))))
        })
        .await?
        .with_context(|| {
            format!(
                "every target of the down servers running on its partner: not after {:?}",
                self.timeout()
            )
        })?;
        println!("  Pacemaker moved all {} in {:.1} s", moving.len(), moved.as_secs_f64());
        // The monitor should see every move within a round or two; a
        // monitor that cannot keep up is a finding, not a reason to hang.
        let wanted = moving.len() as u64;
        let patience = Duration::from_secs(60.max(6 * self.args.interval));
        Self::within(patience, || async {
            Ok(self.alerts("target_failed_over").await? >= wanted)
        })
        .await?;
        let raised = self.alerts("target_failed_over").await?;
        println!(
            "  {raised} of {wanted} target_failed_over alerts raised {:.1} s after the servers went down{}; {} ha_node_fenced, {} host_unreachable",
            down.elapsed().as_secs_f64(),
            if raised < wanted { " (gave up waiting)" } else { "" },
            self.alerts("ha_node_fenced").await?,
            self.alerts("host_unreachable").await?
        );
        for victim in &victims {
            lustre_sim::inject_fault(self.state, &victim.name, FaultCommand::Up)?;
        }
        let up = Instant::now();
        let back = Self::within(patience, || async {
            Ok(self.alerts("ha_node_fenced").await? + self.alerts("ha_peer_missing").await? == 0)
        })
        .await?;
        println!(
            "  servers back: fence and peer alerts {} in {:.1} s",
            if back.is_some() {
                "all cleared"
            } else {
                "not all cleared"
            },
            up.elapsed().as_secs_f64()
        );
        let started = Instant::now();
        let path = format!("/api/filesystem/{fs}/failback");
        let (status, envelope, _) = self.api.call(Method::POST, &path, None).await?;
        let jobs = envelope["response"]["jobs"].as_array().map_or(0, Vec::len);
        match (status, envelope["response"]["command"].as_str()) {
            (StatusCode::ACCEPTED, Some(command)) => self
                .api
                .succeeded(command, Duration::from_secs(1), self.timeout())
                .await
                .context("failing back")?,
            // Nothing Chroma knows of is away from its primary.
            (StatusCode::OK, None) => {}
            _ => bail!("POST {path} answered {status}: {}", brief(&envelope)),
        }
        let failed_back = started.elapsed();
        let now = self.mounted()?;
        let home = moving.iter().filter(|l| now.get(*l) == before.get(*l)).count();
        let cleared = Instant::now();
        let gone = Self::within(patience, || async { Ok(self.alerts("target_failed_over").await? == 0) }).await?;
        println!(
            "  one failback command of {jobs} jobs: {:.1} s; {home} of {} targets home; failover alerts {} {:.1} s later",
            failed_back.as_secs_f64(),
            moving.len(),
            if gone.is_some() { "all cleared" } else { "not all cleared" },
            cleared.elapsed().as_secs_f64()
        );
        page_line(
            "GET /api/alert during the storm",
            alerts.finish().await,
            Some(PAGE_TARGET_MS),
        );
        Ok(())
    }

    /// Step 6: monitoring alone for `--monitor-minutes`.
    async fn monitoring(&self) -> anyhow::Result<()> {
        let interval = self.args.interval as f64;
        println!(
            "6. monitoring every {interval:.0} s for {} min",
            self.args.monitor_minutes
        );
        let from = Instant::now();
        tokio::time::sleep(Duration::from_secs(self.args.monitor_minutes * 60)).await;
        let rounds = self.rounds.since(from);
        let n = rounds.len();
        let target = interval * ROUND_SHARE_TARGET;
        let part = |what: &str, pick: fn(&Round) -> f64, judged: bool| {
            let mut values: Vec<f64> = rounds.iter().map(pick).collect();
            let (p50, p95, max) = pcts(&mut values);
            let verdict = match (judged, n) {
                (false, _) => String::new(),
                (true, 0) => " (not measured)".to_owned(),
                (true, _) => format!(
                    " (target {target:.1} s = {:.0} % of the interval: {})",
                    ROUND_SHARE_TARGET * 100.0,
                    if max <= target { "met" } else { "missed" }
                ),
            };
            println!("  {what}: p50 {p50:.2} s, p95 {p95:.2} s, max {max:.2} s{verdict}");
        };
        println!("  {n} rounds");
        part("whole round", |r| r.total, false);
        part(
            "  reading the servers, renewing this monitor's share",
            |r| r.inventory,
            false,
        );
        part("  polling every server at once (SSH)", |r| r.poll, false);
        part("  recording what they said", |r| r.record, true);
        part("  quotas, copytools, client mounts, parameters", |r| r.observe, false);
        let hosts = self.api.count("/api/host").await?;
        let targets = self.api.count("/api/target").await?;
        println!("  {hosts} servers and {targets} targets monitored");
        Ok(())
    }
}
