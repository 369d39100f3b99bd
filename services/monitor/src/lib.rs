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
//! Several monitors may run (each would poll every server); what they
//! write is keyed so that a duplicate sample or alert is not stored twice.
//!
//! Each monitor also runs an alert deliverer (`alert_delivery`), which
//! sends raised alerts to the users subscribed to them; deliverers claim
//! their work, so several monitors send each message once.

pub mod client_mounts;
pub mod copytools;
pub mod ha;
pub mod inventory;
pub mod journal;
pub mod params;
pub mod parse;
pub mod poll;
pub mod quotas;
pub mod rates;
pub mod round;
pub mod samples;
pub mod watch;

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
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
}

impl Monitor {
    /// Connects to the database (migrated) and loads Chroma's SSH key.
    pub async fn build(settings: Settings) -> anyhow::Result<Monitor> {
        let db = store::connect_patiently(&settings, Duration::from_secs(60)).await?;
        let key = chroma_ssh::KeyPair::load_or_create(&settings.ssh_key_path)
            .with_context(|| format!("failed to load the SSH key {}", settings.ssh_key_path.display()))?;
        let journal = std::sync::Arc::new(journal::Limits::new(
            settings.journal_lines_per_sec,
            settings.journal_burst,
        ));
        let watchers = watch::Watchers::new(db.clone(), key.clone(), journal.clone());
        let ssh = chroma_ssh::Pools::new(key, chroma_ssh::PoolConfig::default());
        let deliverer = alert_delivery::Deliverer::new(db.clone(), &settings.alert_delivery, settings.retention.alerts)
            .context("failed to set up alert delivery")?;
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
        })
    }

    /// Polls, and delivers alerts, until `shutdown`.
    pub async fn run_until_stopped(mut self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let deliverer = self
            .deliverer
            .take()
            .map(|d| tokio::spawn(d.run_until_stopped(shutdown.clone())));
        let result = self.poll_until_stopped(shutdown).await;
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
        let mut last_round = Instant::now();
        loop {
            let wake = self.watchers.wake.clone();
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = ticker.tick() => {}
                _ = refresh.tick() => {
                    // Servers added since the last round get their stream
                    // now rather than at the next round.
                    match inventory::load(&self.db).await {
                        Ok(inventory) => self.watchers.keep(&inventory.hosts),
                        Err(e) => tracing::warn!("cannot read the servers to stream from: {e}"),
                    }
                    continue;
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
            match self.round(read_params).await {
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
        tracing::info!("monitor stopped");
        Ok(())
    }

    /// One round: poll, record, and every so often read parameters back.
    async fn round(&mut self, read_params: bool) -> anyhow::Result<()> {
        let timeout = self.settings.monitor_interval.max(Duration::from_secs(5));
        let inventory = inventory::load(&self.db).await?;
        self.watchers.keep(&inventory.hosts);
        let at = chrono::Utc::now();
        let watchers = &self.watchers;
        let polled = round::poll_all(&self.ssh, inventory.hosts.clone(), timeout, |id| watchers.is_live(id)).await;
        let (summary, locations) = self.recorder.record(&self.db, &inventory, &polled, at).await?;
        tracing::debug!(?summary, "monitoring round recorded");
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
}
