//! `chroma-plugins`: runs every plugin of the plugin directory, asks each
//! to detect and monitor on its intervals, stores what it reports (checked
//! first), raises and clears the alerts its classes declare, naming the
//! Lustre targets and file systems that depend on the resource, and
//! restarts a plugin that crashes, hangs or answers nonsense.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use sea_orm::DatabaseConnection;
use serde_json::{json, Map, Value};
use setup::ops::Ops;
use setup::Settings;
use store::alerts::{AlertKind, Raise, Severity};
use store::metrics::{ObjectKind, Sample, SeriesKey, Writer};
use store::storage::{Detected, PluginState};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::metrics::Metrics;
use crate::process::{PluginError, PluginProcess, DETECT_LIMIT, INITIALIZE_LIMIT, MONITOR_LIMIT};
use crate::protocol::{self, HostInfo, InitializeParams, Level, Manifest, StatisticKind};
use crate::validate::{self, Definition, Inventory, StatValue};

/// The longest wait between restarts of a failing plugin.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// A plugin that ran this long before failing restarts without delay.
const HEALTHY_RUN: Duration = Duration::from_secs(60);

/// The manifests of `dir`, each with its file (a bad one is an error
/// naming its file, for the plugin's state).
pub fn manifests(dir: &Path) -> Vec<(String, Result<Manifest, String>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        tracing::warn!(dir = %dir.display(), "no plugin directory: no storage plugin runs");
        return Vec::new();
    };
    let mut found: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    found.sort();
    found
        .into_iter()
        .map(|path| {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let manifest = Manifest::load(&path)
                .map_err(|e| format!("{}: {e}", path.display()))
                .and_then(|m| {
                    // Workers find a plugin's manifest by its name.
                    if m.name == stem {
                        Ok(m)
                    } else {
                        Err(format!(
                            "{}: a manifest is named after its plugin: {}.json",
                            path.display(),
                            m.name
                        ))
                    }
                });
            (stem, manifest)
        })
        .collect()
}

/// How often the supervising loop shows it is alive, and how long it may
/// go without.
const BEAT_EVERY: Duration = Duration::from_secs(5);
const HUNG_AFTER: Duration = Duration::from_secs(60);

/// Runs every plugin until `shutdown`. The ops endpoint starts first; the
/// host is ready once the database answers and every plugin was started.
pub async fn run(settings: Settings, shutdown: CancellationToken) -> anyhow::Result<()> {
    crate::sandbox::request_user(settings.plugin_user.as_deref());
    let ops = Ops::start(&settings, "plugins")?;
    ops.stop_on(&shutdown);
    let health = ops.health();
    health.set("database", Err("not connected yet".into()));
    health.set("plugins", Err("not started yet".into()));
    let db = store::connect_patiently(&settings, Duration::from_secs(60))
        .await
        .context("failed to connect to the database")?;
    store::connect::probe_readiness(health, &db);
    let metrics = Arc::new(Metrics::new(health).context("failed to register the plugin metrics")?);
    let mut tasks = Vec::new();
    let found = manifests(&settings.plugin_dir);
    let names: Vec<String> = found
        .iter()
        .filter_map(|(_, m)| m.as_ref().ok().map(|m| m.name.clone()))
        .collect();
    // Several plugin hosts split the plugins (`crate::share`); leases last
    // as long as the monitors' (one monitoring interval, at least 1 s).
    let ttl = settings.monitor_interval.max(Duration::from_secs(1));
    let share = crate::share::Plugins::start(db.clone(), ttl, &names);
    for (file, manifest) in found {
        match manifest {
            Ok(manifest) => {
                let plugin = Plugin {
                    db: db.clone(),
                    metrics: metrics.clone(),
                    turn: share.turn(&manifest.name),
                    manifest,
                    ssh_key: settings.ssh_key_path.clone(),
                };
                tasks.push(tokio::spawn(plugin.supervise(shutdown.clone())));
            }
            Err(error) if protocol::is_plugin_name(&file) => {
                tracing::error!(%error, "invalid plugin manifest");
                set_state(&db, &file, "failed", Some(error), None).await;
            }
            Err(error) => tracing::error!(%error, "invalid plugin manifest (and its file name is no plugin name)"),
        }
    }
    tracing::info!(plugins = tasks.len(), dir = %settings.plugin_dir.display(), "storage plugins started");
    health.set("plugins", Ok(()));
    let heartbeat = health.heartbeat("supervise", HUNG_AFTER);
    loop {
        heartbeat.beat();
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(BEAT_EVERY) => {}
        }
    }
    for task in tasks {
        let _ = task.await;
    }
    // Only now that no plugin runs here may another host take them.
    share.stop().await;
    Ok(())
}

async fn set_state(db: &DatabaseConnection, name: &str, state: &str, error: Option<String>, def: Option<&Definition>) {
    let levels = def
        .map(|d| d.levels.iter().map(|l| level_name(*l).to_owned()).collect())
        .unwrap_or_default();
    let classes = def
        .and_then(|d| serde_json::to_value(&d.classes).ok())
        .unwrap_or(Value::Array(Vec::new()));
    let plugin = PluginState {
        name,
        state,
        error: error.map(|e| shortened(&e)),
        version: def.map(|d| d.version.clone()),
        levels,
        classes,
    };
    if let Err(e) = store::storage::set_plugin(db, plugin).await {
        tracing::error!(plugin = name, "failed to record the plugin's state: {e}");
    }
    notify(db).await;
}

/// The longest error kept for a plugin (a plugin writes what it likes).
const MAX_ERROR_CHARS: usize = 1024;

fn shortened(text: &str) -> String {
    match text.char_indices().nth(MAX_ERROR_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Detect => "detect",
        Level::Monitor => "monitor",
        Level::Configure => "configure",
    }
}

/// Tells consoles that storage changed.
async fn notify(db: &DatabaseConnection) {
    let _ = store::events::notify_change(db, &json!({"kind": "storage"})).await;
}

/// A resource's new statistics and changed attributes, from one answer.
type Changed = (Map<String, Value>, Map<String, Value>);

/// Why a plugin's run ended without failing.
enum Ended {
    /// Chroma is stopping.
    Stopped,
    /// The managed servers changed: the plugin starts again to learn them.
    HostsChanged,
    /// Another plugin host takes the plugin over.
    Released,
}

/// One plugin, run and restarted.
struct Plugin {
    db: DatabaseConnection,
    metrics: Arc<Metrics>,
    manifest: Manifest,
    ssh_key: std::path::PathBuf,
    /// Whether this host runs it (`crate::share`).
    turn: crate::share::Turn,
}

/// What a running plugin has reported, between calls.
#[derive(Default)]
struct Seen {
    inventory: Inventory,
    /// Chroma's id of each resource, by the plugin's.
    ids: HashMap<String, Uuid>,
    /// The latest value and time of each counter, for rates.
    counters: HashMap<(String, String), (f64, Instant)>,
    /// The latest gauge and counter values, for alerts.
    numbers: HashMap<String, BTreeMap<String, f64>>,
    writer: Writer,
    /// The alerts raised, by resource and kind.
    raised: HashSet<(Uuid, String)>,
}

impl Plugin {
    fn name(&self) -> &str {
        &self.manifest.name
    }

    async fn supervise(self, shutdown: CancellationToken) {
        let mut backoff = Duration::from_secs(1);
        loop {
            if !self.turn.clone().wait(&shutdown).await {
                return;
            }
            set_state(&self.db, self.name(), "starting", None, None).await;
            let started = Instant::now();
            // `run_once` stops its plugin gracefully on shutdown itself.
            let outcome = self.run_once(&shutdown).await;
            self.turn.stopped();
            let error = match outcome {
                Ok(Ended::Stopped) => return,
                Ok(Ended::Released) => {
                    tracing::info!(plugin = self.name(), "another plugin host runs the plugin now");
                    backoff = Duration::from_secs(1);
                    continue;
                }
                Ok(Ended::HostsChanged) => {
                    tracing::info!(
                        plugin = self.name(),
                        "the managed servers changed: starting the plugin again"
                    );
                    backoff = Duration::from_secs(1);
                    continue;
                }
                Err(error) => error,
            };
            tracing::warn!(plugin = self.name(), "plugin stopped: {error:#}");
            self.metrics.restarts.with_label_values(&[self.name()]).inc();
            set_state(&self.db, self.name(), "restarting", Some(format!("{error:#}")), None).await;
            if started.elapsed() >= HEALTHY_RUN {
                backoff = Duration::from_secs(1);
            }
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                () = shutdown.cancelled() => return,
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// Starts the plugin and serves it until shutdown, until the managed
    /// servers change (a plugin learns them at `initialize`), or until its
    /// first failure.
    async fn run_once(&self, shutdown: &CancellationToken) -> anyhow::Result<Ended> {
        let mut process = PluginProcess::spawn(&self.manifest)?;
        let known = hosts(&self.db).await?;
        let params = InitializeParams {
            protocol: protocol::PROTOCOL_VERSION,
            chroma_version: env!("CARGO_PKG_VERSION").to_owned(),
            hosts: known.clone(),
            ssh_key: self.ssh_key.clone(),
        };
        let answer = process
            .call(protocol::INITIALIZE, serde_json::to_value(&params)?, INITIALIZE_LIMIT)
            .await?;
        let def = validate::check_initialize(&answer, self.name()).map_err(|e| anyhow::anyhow!("initialize: {e}"))?;
        set_state(&self.db, self.name(), "running", None, Some(&def)).await;
        tracing::info!(plugin = self.name(), version = %def.version, "plugin running");

        let mut seen = Seen::default();
        let mut detect = tokio::time::interval(Duration::from_secs(self.manifest.detect_interval_seconds));
        let mut monitor = tokio::time::interval(Duration::from_secs(self.manifest.monitor_interval_seconds));
        detect.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        monitor.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let monitors = def.has_level(Level::Monitor);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => {
                    if let Err(e) = process.shutdown().await {
                        tracing::warn!(plugin = self.name(), "plugin did not stop cleanly: {e}");
                    }
                    return Ok(Ended::Stopped);
                }
                () = self.turn.lost() => {
                    if let Err(e) = process.shutdown().await {
                        tracing::warn!(plugin = self.name(), "plugin did not stop cleanly: {e}");
                    }
                    return Ok(Ended::Released);
                }
                _ = detect.tick() => {
                    if hosts(&self.db).await? != known {
                        if let Err(e) = process.shutdown().await {
                            tracing::warn!(plugin = self.name(), "plugin did not stop cleanly: {e}");
                        }
                        return Ok(Ended::HostsChanged);
                    }
                    let done = self.detect(&mut process, &def, &mut seen).await;
                    self.metrics.polled(self.name(), "detect", &done);
                    self.answered(done, &def).await?;
                }
                _ = monitor.tick(), if monitors && !seen.ids.is_empty() => {
                    let done = self.monitor(&mut process, &def, &mut seen).await;
                    self.metrics.polled(self.name(), "monitor", &done);
                    self.answered(done, &def).await?;
                }
            }
        }
    }

    /// A call's outcome: an error answer (the plugin runs on, and says
    /// why it could not answer) is recorded and the plugin keeps running;
    /// anything else that failed stops it.
    async fn answered(&self, done: anyhow::Result<()>, def: &Definition) -> anyhow::Result<()> {
        match done {
            Ok(()) => Ok(()),
            Err(e) => match e.downcast_ref::<PluginError>() {
                Some(answer) if !answer.is_fatal() => {
                    tracing::warn!(plugin = self.name(), "{answer}");
                    set_state(&self.db, self.name(), "running", Some(answer.to_string()), Some(def)).await;
                    Ok(())
                }
                _ => Err(e),
            },
        }
    }

    async fn detect(&self, process: &mut PluginProcess, def: &Definition, seen: &mut Seen) -> anyhow::Result<()> {
        let answer = call(process, protocol::DETECT, DETECT_LIMIT).await?;
        let inventory = validate::check_detect(def, &answer)?;
        let (detected, relationships) = detection(def, &inventory);
        seen.ids = store::storage::record_detection(&self.db, self.name(), &detected, &relationships).await?;
        seen.inventory = inventory;
        self.clear_removed().await?;
        self.evaluate(def, seen).await?;
        notify(&self.db).await;
        Ok(())
    }

    async fn monitor(&self, process: &mut PluginProcess, def: &Definition, seen: &mut Seen) -> anyhow::Result<()> {
        let mut answer = call(process, protocol::MONITOR, MONITOR_LIMIT).await?;
        // Readings of a resource made since the last detection (an action,
        // a disk hot-plugged) wait for the next one.
        for list in ["statistics", "attributes"] {
            if let Some(items) = answer.get_mut(list).and_then(Value::as_array_mut) {
                items.retain(|item| {
                    item["resource"]
                        .as_str()
                        .is_none_or(|id| seen.inventory.get(id).is_some())
                });
            }
        }
        let readings = validate::check_monitor(def, &seen.inventory, &answer)?;
        seen.inventory.apply(&readings);
        let now = Instant::now();
        let mut samples = Vec::new();
        let mut latest: HashMap<String, Map<String, Value>> = HashMap::new();
        for reading in &readings.statistics {
            let Some(id) = seen.ids.get(&reading.resource) else {
                continue;
            };
            let class = seen
                .inventory
                .get(&reading.resource)
                .map(|r| r.class.as_str())
                .unwrap_or_default();
            let kind = def
                .class(class)
                .and_then(|c| c.statistic(&reading.name))
                .map(|s| s.kind);
            let value = match (&reading.value, kind) {
                (StatValue::Number(v), Some(StatisticKind::Counter)) => {
                    let key = (reading.resource.clone(), reading.name.clone());
                    let rate = seen.counters.get(&key).and_then(|(before, at)| {
                        let seconds = now.duration_since(*at).as_secs_f64();
                        (*v >= *before && seconds > 0.0).then(|| (v - before) / seconds)
                    });
                    seen.counters.insert(key, (*v, now));
                    rate
                }
                (StatValue::Number(v), _) => Some(*v),
                (StatValue::Histogram(_), _) => None,
            };
            let shown = match &reading.value {
                StatValue::Number(v) => json!(v),
                StatValue::Histogram(counts) => json!(counts),
            };
            latest
                .entry(reading.resource.clone())
                .or_default()
                .insert(reading.name.clone(), shown);
            if let StatValue::Number(v) = reading.value {
                seen.numbers
                    .entry(reading.resource.clone())
                    .or_default()
                    .insert(reading.name.clone(), v);
            }
            if let Some(value) = value {
                samples.push(Sample {
                    key: SeriesKey {
                        kind: ObjectKind::StorageResource,
                        object_id: *id,
                        name: reading.name.clone(),
                    },
                    value,
                });
            }
        }
        seen.writer.write(&self.db, Utc::now(), &samples).await?;
        // Per resource: its new statistics, and its changed attributes.
        let mut changed: HashMap<String, Changed> = HashMap::new();
        for (resource, statistics) in latest {
            changed.entry(resource).or_default().0 = statistics;
        }
        for update in &readings.attributes {
            changed.entry(update.resource.clone()).or_default().1 = update.values.clone();
        }
        let rows: Vec<(Uuid, Value, Value)> = changed
            .into_iter()
            .filter_map(|(resource, (statistics, attributes))| {
                let id = seen.ids.get(&resource)?;
                Some((*id, Value::Object(statistics), Value::Object(attributes)))
            })
            .collect();
        store::storage::record_readings(&self.db, self.name(), &rows).await?;
        self.evaluate(def, seen).await?;
        notify(&self.db).await;
        Ok(())
    }

    /// Raises the alerts whose conditions hold and clears the others
    /// (those of alerts the class no longer declares too), for every
    /// resource of the plugin. An alert already raised is left as it is.
    async fn evaluate(&self, def: &Definition, seen: &mut Seen) -> anyhow::Result<()> {
        let empty = BTreeMap::new();
        let mut holding = HashSet::new();
        for resource in seen.inventory.resources() {
            let Some(id) = seen.ids.get(&resource.id) else {
                continue;
            };
            let numbers = seen.numbers.get(&resource.id).unwrap_or(&empty);
            let raised = validate::alerts(def, &resource.class, &resource.attributes, numbers);
            let item = lustre::Item::StorageResource(*id);
            let kinds: Vec<AlertKind> = raised
                .iter()
                .map(|r| AlertKind::Storage {
                    name: r.name.clone(),
                    severity: severity(r.severity),
                })
                .collect();
            for (holds, kind) in raised.iter().zip(&kinds) {
                let key = (*id, kind.text().into_owned());
                holding.insert(key.clone());
                if seen.raised.contains(&key) {
                    continue;
                }
                let dependents = store::storage::dependents(&self.db, *id).await?;
                store::alerts::raise(
                    &self.db,
                    Raise {
                        kind: kind.clone(),
                        item: item.clone(),
                        message: endangering(&holds.message, &dependents),
                        details: json!({
                            "plugin": self.name(),
                            "resource": resource.id,
                            "class": resource.class,
                            "targets": dependents.targets,
                            "filesystems": dependents.filesystems,
                        }),
                    },
                )
                .await?;
            }
            store::alerts::clear_storage_except(&self.db, &item, &kinds).await?;
        }
        seen.raised = holding;
        Ok(())
    }

    /// Clears the alerts of the plugin's resources gone from its detection.
    async fn clear_removed(&self) -> anyhow::Result<()> {
        store::alerts::clear_removed_storage(&self.db, self.name()).await?;
        Ok(())
    }
}

async fn call(process: &mut PluginProcess, method: &str, limit: Duration) -> Result<Value, PluginError> {
    process.call(method, json!({}), limit).await
}

/// A checked detection as the store records it: the resources, and the
/// relationships as `(from, to, kind)`.
pub fn detection(def: &Definition, inventory: &Inventory) -> (Vec<Detected>, Vec<(String, String, String)>) {
    let detected = inventory
        .resources()
        .iter()
        .map(|r| Detected {
            local_id: r.id.clone(),
            class: r.class.clone(),
            parent: r.parent.clone(),
            attributes: Value::Object(r.attributes.clone()),
            links: links(def, &r.class, &r.attributes),
        })
        .collect();
    let relationships = inventory
        .relationships()
        .iter()
        .map(|r| (r.from.clone(), r.to.clone(), r.kind.clone()))
        .collect();
    (detected, relationships)
}

/// The attributes of a resource that carry a `link` key, by that key.
fn links(def: &Definition, class: &str, attributes: &Map<String, Value>) -> Value {
    let mut links = Map::new();
    for attribute in def.class(class).map(|c| c.attributes.as_slice()).unwrap_or_default() {
        if let (Some(key), Some(value)) = (&attribute.link, attributes.get(&attribute.name)) {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            links.insert(key.clone(), Value::String(text));
        }
    }
    Value::Object(links)
}

/// An alert's message, with what depends on the resource.
fn endangering(message: &str, dependents: &store::storage::Dependents) -> String {
    if dependents.filesystems.is_empty() && dependents.targets.is_empty() {
        return format!("{message} (no Lustre target depends on it)");
    }
    let targets: Vec<&str> = dependents.targets.iter().map(String::as_str).collect();
    if dependents.filesystems.is_empty() {
        return format!("{message}; it endangers {}", targets.join(", "));
    }
    let filesystems: Vec<&str> = dependents.filesystems.iter().map(String::as_str).collect();
    let noun = if filesystems.len() == 1 {
        "file system"
    } else {
        "file systems"
    };
    format!(
        "{message}; it endangers {noun} {} ({})",
        filesystems.join(", "),
        targets.join(", ")
    )
}

fn severity(severity: protocol::Severity) -> Severity {
    match severity {
        protocol::Severity::Info => Severity::Info,
        protocol::Severity::Warning => Severity::Warning,
        protocol::Severity::Error => Severity::Error,
    }
}

/// The managed servers, as plugins are told of them.
pub async fn hosts(db: &DatabaseConnection) -> anyhow::Result<Vec<HostInfo>> {
    Ok(store::hosts::managed_with_keys(db)
        .await?
        .into_iter()
        .map(|h| HostInfo {
            id: h.id,
            name: h.name,
            address: h.address,
            port: u16::try_from(h.port).unwrap_or(22),
            fingerprint: h.fingerprint,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn alert_messages_name_what_a_fault_endangers() {
        let none = store::storage::Dependents::default();
        assert_eq!(
            endangering("disk 3 failed", &none),
            "disk 3 failed (no Lustre target depends on it)"
        );
        let some = store::storage::Dependents {
            targets: BTreeSet::from(["demo-OST0000".to_owned(), "demo-OST0001".to_owned()]),
            filesystems: BTreeSet::from(["demo".to_owned()]),
        };
        assert_eq!(
            endangering("disk 3 failed", &some),
            "disk 3 failed; it endangers file system demo (demo-OST0000, demo-OST0001)"
        );
    }
}
