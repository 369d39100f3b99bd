//! Alert delivery: each user's subscriptions (which alerts, by kind and
//! least severity, go to which email address or webhook), the deliveries
//! made for them (one message each, a digest of the alerts raised within
//! the digest window, retried with backoff), and which alerts each
//! delivery carries.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            r#"
CREATE TABLE alert_subscription (
    id             uuid PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    -- The alert kinds it wants; empty: every kind.
    kinds          text[] NOT NULL DEFAULT '{}',
    min_severity   text NOT NULL DEFAULT 'warning'
                   CHECK (min_severity IN ('info', 'warning', 'error')),
    channel        text NOT NULL CHECK (channel IN ('email', 'webhook')),
    email          text CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    webhook_url    text CHECK (webhook_url ~ '^https?://'),
    -- The key webhook bodies are signed with (HMAC-SHA256); never shown.
    webhook_secret text,
    enabled        boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((channel = 'email' AND email IS NOT NULL AND webhook_url IS NULL AND webhook_secret IS NULL)
        OR (channel = 'webhook' AND webhook_url IS NOT NULL AND webhook_secret IS NOT NULL AND email IS NULL))
);
CREATE INDEX alert_subscription_user ON alert_subscription (user_id);

CREATE TABLE alert_delivery (
    id              uuid PRIMARY KEY,
    subscription_id uuid NOT NULL REFERENCES alert_subscription (id) ON DELETE CASCADE,
    -- A test message asked for by its user, carrying no alert.
    test            boolean NOT NULL DEFAULT false,
    -- collecting: its digest window is open (until due_at); pending: to
    -- be sent at due_at; sending: claimed by a deliverer until due_at (a
    -- lease: past it, another may take it); sent; failed: gave up.
    status          text NOT NULL DEFAULT 'collecting'
                    CHECK (status IN ('collecting', 'pending', 'sending', 'sent', 'failed')),
    due_at          timestamptz NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    last_attempt_at timestamptz,
    sent_at         timestamptz,
    -- Alerts it carries (kept when old alerts are deleted).
    alert_count     integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_delivery_due ON alert_delivery (due_at) WHERE status IN ('collecting', 'pending', 'sending');
CREATE INDEX alert_delivery_subscription ON alert_delivery (subscription_id, created_at);

-- Each alert goes into at most one delivery per subscription.
CREATE TABLE alert_delivery_item (
    subscription_id uuid NOT NULL REFERENCES alert_subscription (id) ON DELETE CASCADE,
    alert_id        uuid NOT NULL REFERENCES alert (id) ON DELETE CASCADE,
    delivery_id     uuid NOT NULL REFERENCES alert_delivery (id) ON DELETE CASCADE,
    PRIMARY KEY (subscription_id, alert_id)
);
CREATE INDEX alert_delivery_item_delivery ON alert_delivery_item (delivery_id);
"#,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "DROP TABLE alert_delivery_item; DROP TABLE alert_delivery; DROP TABLE alert_subscription;",
        )
        .await
    }
}
