//! What every request handler shares.

use broker::{Broker, Publisher};
use common::messages::SchedulerMessage;
use common::Settings;
use sea_orm::DatabaseConnection;

/// Shared by all handlers through `web::Data`.
pub struct AppState {
    pub settings: Settings,
    pub db: DatabaseConnection,
    pub broker: Broker,
    pub publisher: Publisher,
}

impl AppState {
    /// Tells the scheduler something changed. The change is already in
    /// PostgreSQL, so a failure here only delays it until the scheduler's
    /// next sweep; it is logged, not returned.
    pub async fn notify_scheduler(&self, message: SchedulerMessage) {
        let queue = &self.broker.topology().jobs;
        if let Err(err) = self.publisher.publish_json(queue, &[message]).await {
            tracing::warn!("could not notify the scheduler (its sweep will catch up): {err}");
        }
    }
}
