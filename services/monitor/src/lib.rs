//! The monitor: polls every managed server over the pooled SSH sessions
//! once per interval and records statistics, per-job I/O, journal lines,
//! where each target runs (Pacemaker's view and Lustre's), persistent
//! parameters, and the alerts whose conditions start or end, those of the
//! HA clusters' Pacemaker and corosync included (see [`ha`]). It also rolls
//! statistics up and expires old ones.
//!
//! Each server's journal is also followed live (`journalctl -f`, see
//! [`watch`]): its lines are stored as they come, and a Pacemaker or Lustre
//! message starts a round at once.
//!
//! Several monitors may run: they split the servers between them through
//! leases in PostgreSQL ([`share`]), so each server is polled by one
//! monitor, and a stopped monitor's servers are taken over within one
//! interval. What they write is keyed besides, so that a duplicate sample
//! or alert is not stored twice.
//!
//! Each monitor also runs an alert deliverer (`alert_delivery`), which
//! sends raised alerts to the users subscribed to them; deliverers claim
//! their work, so several monitors send each message once.

pub mod client_mounts;
pub mod copytools;
pub mod ha;
pub mod inventory;
pub mod journal;
pub mod metrics;
pub mod params;
pub mod parse;
pub mod poll;
pub mod quotas;
pub mod rates;
pub mod round;
pub mod samples;
pub mod share;
pub mod watch;

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use setup::ops::Ops;
use setup::Settings;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use round::Recorder;

/// How often statistics are rolled up.
const ROLLUP_EVERY: Duration = Duration::from_secs(60);
/// How often old statistics are deleted (log lines: the scheduler's retention).
const EXPIRE_EVERY: Duration = Duration::from_secs(600);
/// Shortest time between the starts of two rounds a journal line started.
const MIN_GAP: Duration = Duration::from_secs(1);
/// How often the list of servers to stream journals from is refreshed.
const WATCH_REFRESH: Duration = Duration::from_secs(5);
/// How often persistent parameters are read back.
const PARAMS_EVERY: Duration = Duration::from_secs(30);

/// A running monitor.
pub struct Monitor {
    settings: Settings,
    db: DatabaseConnection,
    ssh: chroma_ssh::Pools,
    recorder: Recorder,
    watchers: watch::Watchers,
    /// Taken when it starts running beside the polling.
    deliverer: Option<alert_delivery::Deliverer>,
    /// Liveness, readiness and metrics (`CHROMA_OPS_BIND`).
    ops: Ops,
    metrics: metrics::Metrics,
    /// Its share of the servers, among the monitors running.
    share: store::leases::Share,
    /// The lease names of the server groups last seen.
    units: Vec<String>,
}

/// How long a monitor's lease on a group of servers lasts without renewal:
/// one interval, so a stopped monitor's servers are taken over within one
/// interval (at least a second, so a busy database does not make live
/// monitors lose their servers).
pub fn lease_ttl(interval: Duration) -> Duration {
    interval.max(Duration::from_secs(1))
}

impl Monitor {
    /// Starts the ops endpoint, connects to the database (migrated) and
    /// loads Chroma's SSH key. Ready once the database answers.
    pub async fn build(settings: Settings) -> anyhow::Result<Monitor> {
        let ops = Ops::start(&settings, "monitor")?;
        let health = ops.health();
        health.set("database", Err("not connected yet".into()));
        let db = store::connect_patiently(&settings, Duration::from_secs(60)).await?;
        store::connect::probe_readiness(health, &db);
        let key = chroma_ssh::KeyPair::load_or_create(&settings.ssh_key_path)
            .with_context(|| format!("failed to load the SSH key {}", settings.ssh_key_path.display()))?;
        let journal = std::sync::Arc::new(journal::Limits::new(
            settings.journal_lines_per_sec,
            settings.journal_burst,
        ));
        let watchers = watch::Watchers::new(db.clone(), key.clone(), journal.clone());
        let ssh = chroma_ssh::Pools::new(key, chroma_ssh::PoolConfig::default());
        let deliverer = alert_delivery::Deliverer::new(db.clone(), &settings.alert_delivery, settings.retention.alerts)
            .context("failed to set up alert delivery")?
            .count_on(health)
            .context("failed to register the alert delivery metrics")?;
        let metrics = metrics::Metrics::new(health).context("failed to register the monitor's metrics")?;
        let share = store::leases::Share::new(
            db.clone(),
            store::leases::Kind::Monitor,
            lease_ttl(settings.monitor_interval),
        );
        let recorder = Recorder {
            usage_alert_percent: settings.usage_alert_percent,
            journal,
            ..Recorder::default()
        };
        Ok(Monitor {
            settings,
            db,
            ssh,
            recorder,
            watchers,
            deliverer: Some(deliverer),
            ops,
            metrics,
            share,
            units: Vec::new(),
        })
    }

    /// Polls, and delivers alerts, until `shutdown`.
    pub async fn run_until_stopped(mut self, shutdown: CancellationToken) -> anyhow::Result<()> {
        self.ops.stop_on(&shutdown);
        let deliverer = self
            .deliverer
            .take()
            .map(|d| tokio::spawn(d.run_until_stopped(shutdown.clone())));
        // Renewed until the polling has stopped: only then may another
        // monitor take these servers.
        let release = CancellationToken::new();
        let leases = self.share.spawn_renewal(release.clone());
        let result = self.poll_until_stopped(shutdown).await;
        release.cancel();
        if let Err(e) = leases.await {
            tracing::error!("the lease renewal stopped: {e}");
        }
        if let Some(task) = deliverer {
            if let Err(e) = task.await {
                tracing::error!("the alert deliverer stopped: {e}");
            }
        }
        result
    }

    /// Polls until `shutdown`.
    async fn poll_until_stopped(mut self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let interval = self.settings.monitor_interval;
        tracing::info!(interval_ms = interval.as_millis() as u64, "monitor started");
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let (mut rolled, mut expired, mut params) = (Instant::now(), Instant::now(), None::<Instant>);
        let mut refresh = tokio::time::interval(WATCH_REFRESH);
        // Often enough to take over a stopped monitor's servers soon after
        // its leases expire.
        let mut leases = tokio::time::interval(lease_ttl(interval) / 4);
        leases.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_round = Instant::now();
        // A round polls every server, each within the poll timeout, and
        // reads quotas, copytools, mounts and parameters the same way.
        let limit = interval.max(Duration::from_secs(5)) * 10 + Duration::from_secs(60);
        let heartbeat = self.ops.health().heartbeat("poll", limit);
        loop {
            heartbeat.beat();
            let wake = self.watchers.wake.clone();
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = ticker.tick() => {}
                _ = refresh.tick() => {
                    // Servers added since the last round get their stream
                    // now rather than at the next round.
                    match self.mine().await {
                        Ok(inventory) => self.watchers.keep(&inventory.hosts),
                        Err(e) => tracing::warn!("cannot read the servers to stream from: {e:#}"),
                    }
                    continue;
                }
                _ = leases.tick() => {
                    // Servers another monitor let go of, or whose monitor
                    // stopped, are polled at once.
                    let units = self.units.clone();
                    match self.share.balance(&units, &Default::default()).await {
                        Ok(changes) if !changes.gained.is_empty() => {
                            tracing::info!(gained = ?changes.gained, "took over servers");
                        }
                        Ok(_) => continue,
                        Err(e) => {
                            tracing::warn!("cannot renew this monitor's share of the servers: {e}");
                            continue;
                        }
                    }
                }
                _ = wake.notified() => {
                    // A streamed line said something changed: let the rest
                    // of the burst arrive, then look (at most once a second).
                    let since = last_round.elapsed();
                    tokio::time::sleep(watch::SETTLE.max(MIN_GAP.saturating_sub(since))).await;
                }
            }
            last_round = Instant::now();
            let read_params = params.is_none_or(|at| at.elapsed() >= PARAMS_EVERY);
            let timer = self.metrics.round.start_timer();
            let done = self.round(read_params).await;
            timer.observe_duration();
            let outcome = if done.is_ok() { "ok" } else { "failed" };
            self.metrics.rounds.with_label_values(&[outcome]).inc();
            match done {
                Ok(()) if read_params => params = Some(Instant::now()),
                Ok(()) => {}
                Err(e) => tracing::error!("monitoring round failed: {e:#}"),
            }
            if rolled.elapsed() >= ROLLUP_EVERY {
                rolled = Instant::now();
                // Samples stamped up to one interval ago may still arrive.
                match store::metrics::roll_up(&self.db, interval * 2 + Duration::from_secs(5)).await {
                    Ok((minutes, hours)) => tracing::debug!(minutes, hours, "rolled up statistics"),
                    Err(e) => tracing::error!("rolling up statistics failed: {e}"),
                }
            }
            if expired.elapsed() >= EXPIRE_EVERY {
                expired = Instant::now();
                match store::metrics::expire(&self.db).await {
                    Ok(rows) => tracing::debug!(rows, "expired old statistics and log lines"),
                    Err(e) => tracing::error!("expiring statistics failed: {e}"),
                }
            }
        }
        self.watchers.stop().await;
        tracing::info!(instance = %self.share.instance, "monitor stopped");
        Ok(())
    }

    /// One round: poll, record, and every so often read parameters back.
    async fn round(&mut self, read_params: bool) -> anyhow::Result<()> {
        let timeout = self.settings.monitor_interval.max(Duration::from_secs(5));
        let phases = self.metrics.round_phase.clone();
        let phase = |name: &str| phases.with_label_values(&[name]).start_timer();
        let mining = phase("inventory");
        let inventory = self.mine().await?;
        mining.observe_duration();
        self.watchers.keep(&inventory.hosts);
        tracing::debug!(
            target: "monitor::share",
            instance = %self.share.instance,
            hosts = ?inventory.hosts.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
            "round polls"
        );
        let at = chrono::Utc::now();
        let watchers = &self.watchers;
        let polling = phase("poll");
        let polled = round::poll_all(&self.ssh, inventory.hosts.clone(), timeout, |id| watchers.is_live(id)).await;
        polling.observe_duration();
        for poll in &polled {
            let outcome = match &poll.result {
                Ok(_) => "ok",
                Err(round::Failure::Unreachable(_)) => "unreachable",
                Err(round::Failure::KeyChanged { .. }) => "key_changed",
            };
            self.metrics.polls.with_label_values(&[outcome]).inc();
        }
        let recording = phase("record");
        let (summary, locations) = self.recorder.record(&self.db, &inventory, &polled, at).await?;
        recording.observe_duration();
        tracing::debug!(?summary, "monitoring round recorded");
        let _observing = phase("observe");
        if let Err(e) = quotas::observe(&self.db, &self.ssh, &inventory, timeout).await {
            tracing::warn!("cannot read quota usage: {e:#}");
        }
        if let Err(e) = copytools::observe(&self.db, &self.ssh, &inventory, timeout).await {
            tracing::warn!("cannot look for copytools: {e:#}");
        }
        if let Err(e) = client_mounts::observe(&self.db, &self.ssh, &inventory, timeout).await {
            tracing::warn!("cannot read client mounts back: {e:#}");
        }
        if read_params {
            params::observe(&self.db, &self.ssh, &inventory, &locations, timeout).await?;
        }
        Ok(())
    }

    /// The servers this monitor looks after now: reads the inventory,
    /// takes or lets go of groups of servers for its share, and keeps the
    /// part it holds (all of it when it runs alone).
    async fn mine(&mut self) -> anyhow::Result<inventory::Inventory> {
        let all = inventory::load(&self.db).await?;
        let ties = store::leases::server_ties(&self.db).await?;
        let units = share::units(&all, &ties);
        self.units = units.iter().map(|u| u.key.clone()).collect();
        let changes = self
            .share
            .balance(&self.units, &Default::default())
            .await
            .context("failed to renew this monitor's share of the servers")?;
        if !changes.gained.is_empty() || !changes.lost.is_empty() {
            tracing::info!(gained = ?changes.gained, lost = ?changes.lost, "this monitor's share of the servers changed");
        }
        Ok(share::scoped(all, &units, |key| self.share.holds(key)))
    }
}
