//! What every request handler shares.

use broker::{Broker, Publisher};
use sea_orm::DatabaseConnection;
use setup::Settings;
use tokio::sync::mpsc;
use wire::messages::SchedulerMessage;

/// Shared by all handlers through `web::Data`.
pub struct AppState {
    pub settings: Settings,
    pub db: DatabaseConnection,
    pub broker: Broker,
    /// Writes the audit trail.
    pub audit: crate::auth::audit::Audit,
    /// Cancelled when the server stops: live streams end.
    pub closing: tokio_util::sync::CancellationToken,
    /// Committed changes, for the live stream (`routes::stream`).
    pub changes: tokio::sync::broadcast::Sender<String>,
    /// Request counts and latencies.
    pub metrics: crate::metrics::Metrics,
    /// Failed logins, for rate limiting.
    pub logins: crate::auth::limiter::Limiter,
    notifications: mpsc::UnboundedSender<SchedulerMessage>,
}

/// Notifications sent in one confirmed batch at most.
const NOTIFY_BATCH: usize = 500;

impl AppState {
    /// Shares the connections and starts the task that notifies the
    /// scheduler (must be called inside the runtime).
    pub fn new(settings: Settings, db: DatabaseConnection, broker: Broker) -> Result<Self, prometheus::Error> {
        let metrics = crate::metrics::Metrics::new()?;
        let audit = crate::auth::audit::Audit::start(db.clone());
        let logins = crate::auth::limiter::Limiter::new(db.clone());
        let (changes, _) = tokio::sync::broadcast::channel(1024);
        tokio::spawn(crate::routes::stream::listen(db.clone(), changes.clone()));
        let (notifications, pending) = mpsc::unbounded_channel();
        tokio::spawn(notify(
            Publisher::new(broker.clone()),
            broker.topology().jobs.clone(),
            pending,
        ));
        Ok(Self {
            settings,
            db,
            broker,
            logins,
            audit,
            closing: Default::default(),
            changes,
            metrics,
            notifications,
        })
    }

    /// Tells the scheduler something changed. The change is already in
    /// PostgreSQL, so the request does not wait for the broker: messages
    /// go out in batches, and a lost one only delays the change until the
    /// scheduler's next sweep.
    pub fn notify_scheduler(&self, message: SchedulerMessage) {
        if self.notifications.send(message).is_err() {
            tracing::warn!("scheduler notifier stopped; the scheduler's sweep will catch up");
        }
    }
}

/// Publishes queued notifications, as many per confirm round trip as are
/// waiting.
async fn notify(publisher: Publisher, queue: String, mut pending: mpsc::UnboundedReceiver<SchedulerMessage>) {
    let mut batch = Vec::with_capacity(NOTIFY_BATCH);
    while pending.recv_many(&mut batch, NOTIFY_BATCH).await > 0 {
        if let Err(err) = publisher.publish_json(&queue, &batch).await {
            tracing::warn!(
                count = batch.len(),
                "could not notify the scheduler (its sweep will catch up): {err}"
            );
        }
        batch.clear();
    }
}
