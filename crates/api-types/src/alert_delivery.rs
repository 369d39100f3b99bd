//! Alert subscriptions and deliveries as `/api/alert_subscription` and
//! `/api/alert_delivery` show and accept them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The least severity a subscription wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MinSeverity {
    Info,
    Warning,
    Error,
}

impl MinSeverity {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MinSeverity::Info => "info",
            MinSeverity::Warning => "warning",
            MinSeverity::Error => "error",
        }
    }
}

/// Where a subscription's messages go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// Email to `email`, through the configured SMTP server.
    Email,
    /// A signed JSON POST to `webhook_url`.
    Webhook,
}

/// One subscription. The webhook's secret is never shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionView {
    pub id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    /// Alert kinds it wants; empty: every kind.
    pub kinds: Vec<String>,
    pub min_severity: MinSeverity,
    pub channel: ChannelKind,
    pub email: Option<String>,
    pub webhook_url: Option<String>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

/// The body of `POST /api/alert_subscription`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    pub channel: ChannelKind,
    /// The address, for `email`.
    #[schema(max_length = 254)]
    pub email: Option<String>,
    /// `http://` or `https://`, for `webhook`.
    #[schema(max_length = 2048)]
    pub webhook_url: Option<String>,
    /// 16 to 256 printable characters, for `webhook`: the key its bodies
    /// are signed with (`X-Chroma-Signature: sha256=HMAC(secret,
    /// "{X-Chroma-Timestamp}.{body}")`).
    #[schema(min_length = 16, max_length = 256)]
    pub webhook_secret: Option<String>,
    /// Alert kinds to send (e.g. `host_unreachable`); empty or absent:
    /// every kind.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// `warning` when absent.
    pub min_severity: Option<MinSeverity>,
    /// Superusers only: the user it is for (default: the caller).
    pub username: Option<String>,
}

/// The body of `PATCH /api/alert_subscription/{id}`; absent fields stay.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionChange {
    pub kinds: Option<Vec<String>>,
    pub min_severity: Option<MinSeverity>,
    pub enabled: Option<bool>,
    /// A new address (email subscriptions only).
    #[schema(max_length = 254)]
    pub email: Option<String>,
    /// A new URL (webhook subscriptions only).
    #[schema(max_length = 2048)]
    pub webhook_url: Option<String>,
    /// A new secret (webhook subscriptions only).
    #[schema(min_length = 16, max_length = 256)]
    pub webhook_secret: Option<String>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Its digest window is open: alerts raised until `due_at` join it.
    Collecting,
    /// Waiting for its next attempt at `due_at`.
    Pending,
    /// Being sent.
    Sending,
    Sent,
    /// Given up after its last attempt.
    Failed,
}

/// One message to a subscription: a digest of alerts, or a test.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub username: String,
    pub channel: ChannelKind,
    /// A test message (no alerts).
    pub test: bool,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    /// When its window closes or its next attempt is due.
    pub due_at: DateTime<Utc>,
    /// Alerts it carries.
    pub alert_count: i32,
    pub created_at: DateTime<Utc>,
}
