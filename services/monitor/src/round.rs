//! One polling round: every managed server is asked once, then what they
//! said is recorded: samples, per-job statistics, journal lines, where each
//! target runs now, and the alerts whose condition started or ended.

use chrono::{DateTime, Utc};
use futures::StreamExt;
use lustre::Item;
use sea_orm::DatabaseConnection;
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;
use store::alerts::{self, AlertKind, Raise};
use store::metrics::{JobSample, Sample, Writer};
use uuid::Uuid;

use crate::inventory::{Host, Inventory, TargetRow};
use crate::parse::{self, Reading};
use crate::poll;
use crate::rates::Rates;
use crate::samples::{self, Role};

/// How many servers are polled at once.
const CONCURRENCY: usize = 64;
/// Per-job statistics kept per target and round: the biggest consumers.
const TOP_JOBS: usize = 10;

/// Why a server could not be read.
#[derive(Debug, Clone)]
pub enum Failure {
    KeyChanged { expected: String, seen: String },
    Unreachable(String),
}

/// One server's answer.
#[derive(Debug)]
pub struct Polled {
    pub host: Host,
    pub result: Result<Reading, Failure>,
}

/// Asks every host in the inventory, `timeout` each; the journal only of
/// those for which `streaming` is false.
pub async fn poll_all(
    pools: &chroma_ssh::Pools,
    hosts: Vec<Host>,
    timeout: Duration,
    streaming: impl Fn(Uuid) -> bool,
) -> Vec<Polled> {
    futures::stream::iter(hosts)
        .map(|host| {
            let stream = streaming(host.id);
            async move {
                let result = poll_one(pools, &host, timeout, stream).await;
                Polled { host, result }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await
}

async fn poll_one(
    pools: &chroma_ssh::Pools,
    host: &Host,
    timeout: Duration,
    streaming: bool,
) -> Result<Reading, Failure> {
    let journal = match (&host.journal_cursor, streaming) {
        (_, true) => poll::Journal::Skip,
        (Some(cursor), false) => poll::Journal::After(cursor),
        (None, false) => poll::Journal::Latest,
    };
    let script =
        poll::script(journal, host.ha_cluster_id.is_some()).map_err(|e| Failure::Unreachable(e.to_string()))?;
    let argv = ["sh", "-c", script.as_str()];
    match pools.exec(&host.target, &host.fingerprint, &argv, timeout).await {
        Ok(output) => {
            let mut reading = parse::reading(&poll::sections(&output.stdout));
            reading.read_at = Some(Utc::now());
            if !reading.problems.is_empty() {
                tracing::warn!(host = %host.name, problems = ?reading.problems, "parts of a poll could not be read");
            }
            Ok(reading)
        }
        Err(chroma_ssh::SshError::HostKeyMismatch { expected, seen, .. }) => Err(Failure::KeyChanged {
            expected: expected.to_string(),
            seen: seen.to_string(),
        }),
        Err(e) => Err(Failure::Unreachable(e.to_string())),
    }
}

/// What one round recorded, for logs and the benchmark.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    pub hosts_read: usize,
    pub hosts_failed: usize,
    pub samples: u64,
    pub log_lines: usize,
}

/// Everything the recording of rounds keeps between rounds.
#[derive(Debug, Default)]
pub struct Recorder {
    pub writer: Writer,
    pub rates: Rates,
    /// Percent of space or inodes in use that raises an alert.
    pub usage_alert_percent: f64,
    /// Each server's budget of journal lines, shared with the live streams.
    pub journal: std::sync::Arc<crate::journal::Limits>,
}

impl Recorder {
    /// Records one round's answers, taken at `at`.
    pub async fn record(
        &mut self,
        db: &DatabaseConnection,
        inventory: &Inventory,
        polled: &[Polled],
        at: DateTime<Utc>,
    ) -> anyhow::Result<(Summary, HashMap<Uuid, Location>)> {
        let mut summary = Summary::default();
        let busy = busy(db, inventory, at).await?;
        let mut readings: HashMap<Uuid, &Reading> = HashMap::new();
        for p in polled {
            match &p.result {
                Ok(reading) => {
                    summary.hosts_read += 1;
                    summary.log_lines += reading.journal.len();
                    readings.insert(p.host.id, reading);
                    let lnet_busy = busy.contains(&Item::Lnet(p.host.id));
                    host_answered(db, &self.journal, &p.host, reading, at, lnet_busy).await?;
                }
                Err(failure) => {
                    summary.hosts_failed += 1;
                    host_failed(db, &p.host, failure).await?;
                }
            }
        }
        // A removed server, target or HA cluster has no condition left to end.
        alerts::clear_removed_objects(db).await?;
        let polled_ids: HashSet<Uuid> = polled.iter().map(|p| p.host.id).collect();
        let locations = locate(inventory, &polled_ids, &readings);
        targets(db, inventory, &locations, &readings, &busy, self.usage_alert_percent).await?;
        crate::ha::record(db, inventory, &readings, &busy, at).await?;

        let mut samples: Vec<Sample> = Vec::new();
        let mut roles = BTreeMap::new();
        let mut jobs = Vec::new();
        for target in &inventory.targets {
            let Some(Location::On(host_id)) = locations.get(&target.id) else {
                continue;
            };
            let Some(reading) = readings.get(host_id) else { continue };
            let Some(stats) = reading.targets.get(&target.name) else {
                continue;
            };
            let is_mdt = target.kind == "mdt";
            let read_at = reading.read_at.unwrap_or(at);
            samples::target(&mut samples, &mut self.rates, read_at, target.id, is_mdt, stats);
            if let Some(fs) = target.filesystem_id {
                match target.kind.as_str() {
                    "mdt" => roles.insert(target.id, (fs, Role::Mdt)),
                    "ost" => roles.insert(target.id, (fs, Role::Ost)),
                    _ => None,
                };
            }
            if let Some(counters) = reading.jobs.get(&target.name) {
                jobs.extend(self.job_rates(read_at, target.id, counters));
            }
        }
        for p in polled {
            if let Ok(reading) = &p.result {
                let read_at = reading.read_at.unwrap_or(at);
                samples::host(&mut samples, &mut self.rates, read_at, p.host.id, reading);
            }
        }
        samples::filesystems(&mut samples, &roles, &expected(inventory));
        summary.samples = self.writer.write(db, at, &samples).await?;
        store::metrics::write_jobs(db, at, &jobs).await?;
        self.rates.forget_older_than(at - chrono::Duration::hours(1));
        // One notification per round: charts fetch what they show.
        let note = json!({"kind": "metrics", "at": at, "hosts": summary.hosts_read, "samples": summary.samples});
        store::events::notify_change(db, &note).await?;
        Ok((summary, locations))
    }

    /// Rates of each job on one target; the top consumers only.
    fn job_rates(&mut self, at: DateTime<Utc>, target_id: Uuid, counters: &[parse::JobCounters]) -> Vec<JobSample> {
        let mut jobs: Vec<JobSample> = counters
            .iter()
            .filter_map(|c| {
                let key = |what: &str| format!("job/{target_id}/{}/{what}", c.job);
                let read = self.rates.rate_over(key("read"), at, c.read_bytes as f64);
                let write = self.rates.rate(key("write"), at, c.write_bytes as f64);
                let ops = self.rates.rate(key("ops"), at, c.ops as f64);
                let (read_bytes, seconds) = read?;
                Some(JobSample {
                    target_id,
                    job: c.job.clone(),
                    read_bytes,
                    write_bytes: write?,
                    ops: ops?,
                    seconds,
                })
            })
            .collect();
        jobs.sort_by(|a, b| {
            (b.read_bytes + b.write_bytes, b.ops)
                .partial_cmp(&(a.read_bytes + a.write_bytes, a.ops))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        jobs.truncate(TOP_JOBS);
        jobs
    }
}

/// A reachable server: contact time, journal, LNet.
async fn host_answered(
    db: &DatabaseConnection,
    journal: &crate::journal::Limits,
    host: &Host,
    reading: &Reading,
    at: DateTime<Utc>,
    lnet_busy: bool,
) -> anyhow::Result<()> {
    let item = Item::Host(host.id);
    alerts::clear(db, &AlertKind::HostUnreachable, &item).await?;
    // It answered with the pinned key: whatever presented another is gone.
    alerts::clear(db, &AlertKind::HostKeyChanged, &item).await?;
    alerts::set(
        db,
        reading.healthy == Some(false),
        Raise {
            kind: AlertKind::LustreUnhealthy,
            item: item.clone(),
            message: format!("Lustre on {} reports itself unhealthy (health_check)", host.name),
            details: json!({ "host_id": host.id }),
        },
    )
    .await?;
    crate::journal::store(db, journal, host.id, &host.name, &reading.journal).await?;
    store::hosts::record_contact(db, host.id, at).await?;
    // A job starting or stopping LNet changes it on purpose.
    if lnet_busy {
        return Ok(());
    }
    let lnet_down = host.lnet_state == "lnet_up" && reading.lnet.is_none();
    alerts::set(
        db,
        lnet_down,
        Raise {
            kind: AlertKind::LnetDown,
            item,
            message: format!("LNet is not running on {}, which Chroma keeps it up on", host.name),
            details: json!({ "host_id": host.id }),
        },
    )
    .await?;
    Ok(())
}

async fn host_failed(db: &DatabaseConnection, host: &Host, failure: &Failure) -> anyhow::Result<()> {
    let item = Item::Host(host.id);
    let alert = match failure {
        Failure::KeyChanged { expected, seen } => Raise {
            kind: AlertKind::HostKeyChanged,
            item,
            message: format!(
                "host key of {} changed: expected {expected}, the server presented {seen}; \
                 Chroma refuses to connect until the key is checked",
                host.name
            ),
            details: json!({ "host_id": host.id, "expected": expected, "seen": seen }),
        },
        Failure::Unreachable(reason) => Raise {
            kind: AlertKind::HostUnreachable,
            item,
            message: format!("{} ({}) does not answer: {reason}", host.name, host.target),
            details: json!({ "host_id": host.id }),
        },
    };
    let other = if alert.kind == AlertKind::HostKeyChanged {
        AlertKind::HostUnreachable
    } else {
        AlertKind::HostKeyChanged
    };
    alerts::clear(db, &other, &alert.item).await?;
    alerts::raise(db, alert).await?;
    Ok(())
}

/// Where a target runs, as far as this round can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    On(Uuid),
    /// Every host it may run on answered and none runs it.
    Nowhere,
    /// A host it may run on did not answer.
    Unknown,
}

/// Where each target runs: on the host whose `lctl` shows it, else where
/// Pacemaker says its resource (the id Chroma stored) is started.
pub fn locate(
    inventory: &Inventory,
    polled: &HashSet<Uuid>,
    readings: &HashMap<Uuid, &Reading>,
) -> HashMap<Uuid, Location> {
    // crm_mon names nodes by their Pacemaker node name, which may differ
    // from the host name.
    let by_node: HashMap<&str, Uuid> = inventory
        .hosts
        .iter()
        .filter_map(|h| h.ha_node.as_deref().or(h.nodename.as_deref()).map(|n| (n, h.id)))
        .collect();
    let mut out = HashMap::new();
    for target in &inventory.targets {
        let hosts: Vec<Uuid> = target.hosts().collect();
        let by_pacemaker = readings.values().find_map(|r| {
            let id = target.ha_resource.as_deref()?;
            let resource = r.pacemaker.as_ref()?.resource(id)?;
            resource
                .nodes
                .iter()
                .filter_map(|node| by_node.get(node.as_str()))
                .find(|id| hosts.contains(id))
                .copied()
        });
        let by_lctl = hosts
            .iter()
            .find(|h| readings.get(h).is_some_and(|r| r.targets.contains_key(&target.name)))
            .copied();
        // Nowhere only when every host it may run on showed its targets: a
        // host whose statistics could not be read tells nothing.
        let all_read = hosts
            .iter()
            .filter(|h| polled.contains(h))
            .all(|h| readings.get(h).is_some_and(|r| r.lctl_ok));
        let location = match by_lctl.or(by_pacemaker) {
            Some(host) => Location::On(host),
            None if hosts.iter().any(|h| polled.contains(h)) && all_read => Location::Nowhere,
            None => Location::Unknown,
        };
        out.insert(target.id, location);
    }
    out
}

/// Records where targets run and raises or clears their alerts.
async fn targets(
    db: &DatabaseConnection,
    inventory: &Inventory,
    locations: &HashMap<Uuid, Location>,
    readings: &HashMap<Uuid, &Reading>,
    busy: &HashSet<Item>,
    usage_alert_percent: f64,
) -> anyhow::Result<()> {
    let name = |id: Uuid| inventory.names.get(&id).cloned().unwrap_or_else(|| id.to_string());
    for target in &inventory.targets {
        let item = Item::Target(target.id);
        let location = locations.get(&target.id).copied().unwrap_or(Location::Unknown);
        if location == Location::Unknown {
            continue;
        }
        let active = match location {
            Location::On(host) => Some(host),
            _ => None,
        };
        if active != target.active_host_id && !busy.contains(&item) {
            // Only over what this round started from: a job that moved the
            // target meanwhile wrote where it put it.
            store::targets::record_location(db, target.id, active, target.active_host_id, &target.state).await?;
        }
        let offline = active.is_none() && target.state == "mounted" && !busy.contains(&item);
        alerts::set(
            db,
            offline,
            Raise {
                kind: AlertKind::TargetOffline,
                item: item.clone(),
                message: format!("{} should be mounted but runs on none of its servers", target.name),
                details: json!({ "target_id": target.id }),
            },
        )
        .await?;
        let failed_over = active.filter(|h| *h != target.primary_host_id);
        alerts::set(
            db,
            failed_over.is_some(),
            Raise {
                kind: AlertKind::TargetFailedOver,
                item: item.clone(),
                message: format!(
                    "{} runs on its failover server {}, not on its primary {}; fail it back when {} is healthy",
                    target.name,
                    failed_over.map(name).unwrap_or_default(),
                    name(target.primary_host_id),
                    name(target.primary_host_id),
                ),
                details: json!({
                    "target_id": target.id,
                    "host_id": failed_over,
                    "primary_host_id": target.primary_host_id,
                    "action": "failback",
                }),
            },
        )
        .await?;
        let Some(stats) = active
            .and_then(|h| readings.get(&h))
            .and_then(|r| r.targets.get(&target.name))
        else {
            continue;
        };
        if target.kind != "mgt" {
            usage_alerts(db, target, &item, stats, usage_alert_percent).await?;
        }
    }
    Ok(())
}

async fn usage_alerts(
    db: &DatabaseConnection,
    target: &TargetRow,
    item: &lustre::Item,
    stats: &parse::TargetReading,
    threshold: f64,
) -> anyhow::Result<()> {
    // As `lfs df` counts: used / (used + available to users), so space
    // reserved for root counts as full.
    let used = |total: Option<u64>, free: Option<u64>, avail: Option<u64>| {
        let (total, free) = total.zip(free)?;
        let used = total.saturating_sub(free);
        let usable = used + avail.unwrap_or(free);
        (usable > 0).then(|| used as f64 / usable as f64 * 100.0)
    };
    for (kind, what, percent) in [
        (
            AlertKind::SpaceHigh,
            "space",
            used(stats.kbytes_total, stats.kbytes_free, stats.kbytes_avail),
        ),
        (
            AlertKind::InodesHigh,
            "inodes",
            used(stats.files_total, stats.files_free, None),
        ),
    ] {
        let Some(percent) = percent else { continue };
        let alert = Raise {
            kind,
            item: item.clone(),
            message: format!(
                "{} has {percent:.1} % of its {what} in use (alert above {threshold} %)",
                target.name
            ),
            details: json!({ "target_id": target.id, "percent_used": percent, "threshold": threshold }),
        };
        if percent > threshold {
            alerts::raise(db, alert).await?;
        } else if percent < threshold - USAGE_HYSTERESIS {
            alerts::clear(db, &alert.kind, item).await?;
        }
    }
    Ok(())
}

/// Percent points below the threshold at which a usage alert clears, so a
/// target hovering at the threshold does not raise a new alert every round.
const USAGE_HYSTERESIS: f64 = 2.0;

/// Objects a job is changing now, or changed since `since` (the round's
/// start): what the round read of them may already be out of date.
async fn busy(db: &DatabaseConnection, inventory: &Inventory, since: DateTime<Utc>) -> anyhow::Result<HashSet<Item>> {
    let mut items: Vec<Item> = inventory.targets.iter().map(|t| Item::Target(t.id)).collect();
    items.extend(inventory.hosts.iter().map(|h| Item::Lnet(h.id)));
    items.extend(inventory.hosts.iter().map(|h| Item::Host(h.id)));
    items.extend(inventory.clusters.iter().map(|c| Item::HaCluster(c.id)));
    Ok(store::jobs::busy_items(db, &items, since).await?)
}

/// How many MDTs and OSTs each file system has, for its totals.
fn expected(inventory: &Inventory) -> BTreeMap<(Uuid, Role), usize> {
    let mut out = BTreeMap::new();
    for target in &inventory.targets {
        let role = match target.kind.as_str() {
            "mdt" => Role::Mdt,
            "ost" => Role::Ost,
            _ => continue,
        };
        if let Some(fs) = target.filesystem_id {
            *out.entry((fs, role)).or_insert(0) += 1;
        }
    }
    out
}
