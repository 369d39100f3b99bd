//! Alert delivery: turns newly raised alerts into messages for the users
//! subscribed to them, by email and by signed webhook, one message per
//! digest window, retried with exponential backoff and recorded.
//!
//! Every statement is in `store::alert_delivery`; this crate decides when
//! and how to send. Several deliverers may run at once (one per monitor):
//! each claims deliveries with `FOR UPDATE SKIP LOCKED` under a lease, so
//! a message goes out once, and one whose deliverer died is taken over
//! when its lease ends.

pub mod email;
pub mod message;
pub mod signature;
pub mod webhook;

use sea_orm::DatabaseConnection;
use setup::config::AlertDelivery;
use setup::ops::prometheus::{self, IntCounterVec, Opts};
use setup::ops::Health;
use std::time::Duration;
use store::alert_delivery::{Channel, Claimed, Retry};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// How often the deliverer looks for alerts and due deliveries.
const TICK: Duration = Duration::from_secs(1);
/// How long a claimed delivery is held: longer than one attempt can take.
const LEASE: Duration = Duration::from_secs(120);
/// Deliveries claimed at once.
const BATCH: u32 = 16;
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// How often ended deliveries past their retention are deleted.
const EXPIRE_EVERY: Duration = Duration::from_secs(3600);
/// Deliveries deleted per statement.
const EXPIRE_BATCH: u64 = 1000;

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("email is not configured: set CHROMA_SMTP_HOST and CHROMA_SMTP_FROM")]
    NoSmtp,
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Email(String),
    #[error("{0}")]
    Webhook(String),
    #[error(transparent)]
    Database(#[from] store::DbErr),
}

/// Sends deliveries: shared by the deliverer loop and the API's test
/// message.
#[derive(Clone)]
pub struct Sender {
    mailer: Option<email::Mailer>,
    http: reqwest::Client,
    retry: Retry,
    webhook_hosts: Option<Vec<String>>,
}

impl Sender {
    /// A sender with `settings`; fails when the SMTP settings cannot be
    /// used (a CA file that does not read, a sender that is no address).
    pub fn new(settings: &AlertDelivery) -> Result<Self, SendError> {
        let mailer = settings.smtp.as_ref().map(email::Mailer::new).transpose()?;
        let http = reqwest::Client::builder()
            .timeout(webhook::TIMEOUT)
            .user_agent(concat!("chroma/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SendError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            mailer,
            http,
            retry: Retry {
                limit: settings.retry_limit,
                base: settings.retry_base,
                max: MAX_BACKOFF,
            },
            webhook_hosts: settings.webhook_hosts.clone(),
        })
    }

    /// Sends one claimed delivery through its subscription's channel.
    pub async fn send(&self, delivery: &Claimed) -> Result<(), SendError> {
        match &delivery.subscription.channel {
            Channel::Email { address } => {
                let mailer = self.mailer.as_ref().ok_or(SendError::NoSmtp)?;
                mailer
                    .send(address, &message::subject(delivery), message::text(delivery))
                    .await
            }
            Channel::Webhook { url, secret } => {
                webhook::post(
                    &self.http,
                    self.webhook_hosts.as_deref(),
                    url,
                    secret,
                    delivery.id,
                    &message::json(delivery),
                )
                .await
            }
        }
    }

    /// Sends and records one claimed delivery; returns the error it
    /// recorded, if any.
    pub async fn deliver(&self, db: &DatabaseConnection, delivery: &Claimed) -> Result<Option<String>, store::DbErr> {
        let outcome = self.send(delivery).await.map_err(|e| e.to_string());
        let error = outcome.as_ref().err().cloned();
        match &error {
            None => tracing::info!(delivery_id = %delivery.id, alerts = delivery.alerts.len(), "alert delivery sent"),
            Some(e) => {
                tracing::warn!(delivery_id = %delivery.id, attempt = delivery.attempt, "alert delivery failed: {e}")
            }
        }
        store::alert_delivery::finish(db, delivery.id, delivery.attempt, outcome, &self.retry).await?;
        Ok(error)
    }

    /// Sends a test message for subscription `id` now (one attempt, not
    /// retried) and records it; returns the delivery's id.
    pub async fn send_test(&self, db: &DatabaseConnection, id: Uuid) -> Result<Uuid, store::DbErr> {
        let delivery = store::alert_delivery::claim_test(db, id, LEASE).await?;
        self.deliver(db, &delivery).await?;
        Ok(delivery.id)
    }
}

/// The loop that collects alerts into deliveries and sends those due.
pub struct Deliverer {
    db: DatabaseConnection,
    sender: Sender,
    window: Duration,
    /// How long ended deliveries are kept.
    keep: Duration,
    /// Deliveries sent or failed, by channel and outcome, once
    /// [`Deliverer::count_on`] registered it.
    counted: Option<IntCounterVec>,
}

impl Deliverer {
    /// A deliverer over `db` with `settings`, keeping ended deliveries
    /// for `keep` (as long as alerts: `CHROMA_RETAIN_ALERTS_DAYS`).
    pub fn new(db: DatabaseConnection, settings: &AlertDelivery, keep: Duration) -> Result<Self, SendError> {
        Ok(Self {
            db,
            sender: Sender::new(settings)?,
            window: settings.digest_window,
            keep,
            counted: None,
        })
    }

    /// Counts deliveries in `chroma_alert_deliveries_total{channel,
    /// outcome}` (channel `email` or `webhook`, outcome `sent` or
    /// `failed`) on `health`'s registry.
    pub fn count_on(mut self, health: &Health) -> Result<Self, prometheus::Error> {
        let counted = health.register(IntCounterVec::new(
            Opts::new(
                "chroma_alert_deliveries_total",
                "Alert deliveries attempted, by channel (email, webhook) and outcome (sent, failed)",
            ),
            &["channel", "outcome"],
        )?)?;
        for channel in ["email", "webhook"] {
            for outcome in ["sent", "failed"] {
                counted.with_label_values(&[channel, outcome]);
            }
        }
        self.counted = Some(counted);
        Ok(self)
    }

    /// Deletes ended deliveries older than the retention, a batch at a time.
    async fn expire(&self) -> Result<u64, store::DbErr> {
        let keep = chrono::Duration::from_std(self.keep).unwrap_or(chrono::Duration::MAX);
        let cut_off = chrono::Utc::now()
            .checked_sub_signed(keep)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
        let mut deleted = 0;
        loop {
            let n = store::alert_delivery::delete_ended(&self.db, cut_off, EXPIRE_BATCH).await?;
            deleted += n;
            if n < EXPIRE_BATCH {
                return Ok(deleted);
            }
        }
    }

    /// One pass: collect new alerts, then send what is due.
    pub async fn pass(&self) -> Result<(), store::DbErr> {
        let collected = store::alert_delivery::collect(&self.db, self.window).await?;
        if collected > 0 {
            tracing::debug!(collected, "alerts collected for delivery");
        }
        loop {
            let due = store::alert_delivery::claim(&self.db, BATCH, LEASE).await?;
            if due.is_empty() {
                return Ok(());
            }
            let sends = due.iter().map(|d| self.sender.deliver(&self.db, d));
            for (delivery, result) in due.iter().zip(futures::future::join_all(sends).await) {
                let error = result?;
                if let Some(counted) = &self.counted {
                    let channel = match delivery.subscription.channel {
                        Channel::Email { .. } => "email",
                        Channel::Webhook { .. } => "webhook",
                    };
                    let outcome = if error.is_none() { "sent" } else { "failed" };
                    counted.with_label_values(&[channel, outcome]).inc();
                }
            }
        }
    }

    /// Runs passes every second until `shutdown`; a pass under way
    /// finishes first (its sends are bounded by their timeouts).
    pub async fn run_until_stopped(self, shutdown: CancellationToken) {
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut expired: Option<tokio::time::Instant> = None;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = ticker.tick() => {}
            }
            if expired.is_none_or(|at| at.elapsed() >= EXPIRE_EVERY) {
                expired = Some(tokio::time::Instant::now());
                match self.expire().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(deleted = n, "deleted ended alert deliveries past their retention"),
                    Err(e) => tracing::warn!("deleting old alert deliveries failed: {e}"),
                }
            }
            if let Err(e) = self.pass().await {
                tracing::warn!("alert delivery pass failed: {e}");
            }
        }
    }
}
