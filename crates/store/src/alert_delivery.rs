//! Alert delivery: users' subscriptions to alerts, and the deliveries made
//! for them.
//!
//! A subscription names the alert kinds it wants (none: all), the least
//! severity, and one channel: an email address, or a webhook URL with the
//! secret its bodies are signed with. [`collect`] puts each alert raised
//! since a subscription was made, and not yet delivered to it, into that
//! subscription's open delivery: the first alert opens one whose digest
//! window closes at `due_at`, and later alerts join it until then, so a
//! burst of alerts makes one message. [`claim`] hands due deliveries to one
//! deliverer among several (`FOR UPDATE SKIP LOCKED`) under a lease;
//! [`finish`] records the outcome, and a failed attempt waits its backoff.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, TransactionTrait};
use std::collections::BTreeMap;
use std::time::Duration;
use uuid::Uuid;

use crate::alerts::Alert;
use crate::sql::{count_and_page, execute, query, Selection};

/// Where a subscription's messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    Email { address: String },
    Webhook { url: String, secret: String },
}

impl Channel {
    /// The stored name.
    pub fn name(&self) -> &'static str {
        match self {
            Channel::Email { .. } => "email",
            Channel::Webhook { .. } => "webhook",
        }
    }
}

/// One stored subscription.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    /// Alert kinds it wants; empty: every kind.
    pub kinds: Vec<String>,
    /// `info`, `warning` or `error`.
    pub min_severity: String,
    pub channel: Channel,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

/// The columns a [`Subscription`] is read from (`s` joined with `u`).
const SUBSCRIPTION: &str = "s.id, s.user_id, u.username, s.kinds, s.min_severity, s.channel, s.email,
     s.webhook_url, s.webhook_secret, s.enabled, s.created_at";

impl Subscription {
    fn from_row(r: &QueryResult) -> Result<Self, DbErr> {
        let channel = match r.try_get::<String>("", "channel")?.as_str() {
            "email" => Channel::Email {
                address: r.try_get("", "email")?,
            },
            _ => Channel::Webhook {
                url: r.try_get("", "webhook_url")?,
                secret: r.try_get("", "webhook_secret")?,
            },
        };
        Ok(Self {
            id: r.try_get("", "id")?,
            user_id: r.try_get("", "user_id")?,
            username: r.try_get("", "username")?,
            kinds: r.try_get("", "kinds")?,
            min_severity: r.try_get("", "min_severity")?,
            channel,
            enabled: r.try_get("", "enabled")?,
            created_at: r.try_get("", "created_at")?,
        })
    }
}

/// A subscription to make (the caller checked its values).
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub user_id: Uuid,
    pub kinds: Vec<String>,
    pub min_severity: String,
    pub channel: Channel,
}

/// What a change sets; `None` keeps a value.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionChange {
    pub kinds: Option<Vec<String>>,
    pub min_severity: Option<String>,
    pub enabled: Option<bool>,
    /// A new address (email) or URL and secret (webhook); the channel's
    /// kind cannot change.
    pub channel: Option<Channel>,
}

/// The channel's stored columns: email, webhook URL, webhook secret.
fn channel_values(channel: &Channel) -> [sea_orm::Value; 3] {
    match channel {
        Channel::Email { address } => [
            Some(address.clone()).into(),
            None::<String>.into(),
            None::<String>.into(),
        ],
        Channel::Webhook { url, secret } => [
            None::<String>.into(),
            Some(url.clone()).into(),
            Some(secret.clone()).into(),
        ],
    }
}

/// Stores a new subscription.
pub async fn create_subscription(db: &impl ConnectionTrait, new: &NewSubscription) -> Result<Subscription, DbErr> {
    let id = Uuid::now_v7();
    let [email, url, secret] = channel_values(&new.channel);
    execute(
        db,
        "INSERT INTO alert_subscription (id, user_id, kinds, min_severity, channel, email, webhook_url, webhook_secret)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            id.into(),
            new.user_id.into(),
            new.kinds.clone().into(),
            new.min_severity.clone().into(),
            new.channel.name().into(),
            email,
            url,
            secret,
        ],
    )
    .await?;
    subscription(db, id)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("alert subscription {id}")))
}

/// The subscription `id`, if it exists.
pub async fn subscription(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Subscription>, DbErr> {
    let rows = query(
        db,
        &format!("SELECT {SUBSCRIPTION} FROM alert_subscription s JOIN app_user u ON u.id = s.user_id WHERE s.id = $1"),
        [id.into()],
    )
    .await?;
    rows.first().map(Subscription::from_row).transpose()
}

/// The subscriptions of `user`, or of everyone with `None`, oldest first.
pub async fn subscriptions(db: &impl ConnectionTrait, user: Option<Uuid>) -> Result<Vec<Subscription>, DbErr> {
    query(
        db,
        &format!(
            "SELECT {SUBSCRIPTION} FROM alert_subscription s JOIN app_user u ON u.id = s.user_id
             WHERE $1::uuid IS NULL OR s.user_id = $1 ORDER BY s.created_at, s.id"
        ),
        [user.into()],
    )
    .await?
    .iter()
    .map(Subscription::from_row)
    .collect()
}

/// Changes the subscription `id`; `None` when there is none. A new
/// channel of another kind than the stored one is refused by the table.
pub async fn update_subscription(
    db: &impl ConnectionTrait,
    id: Uuid,
    change: &SubscriptionChange,
) -> Result<Option<Subscription>, DbErr> {
    let [email, url, secret] = match &change.channel {
        Some(channel) => channel_values(channel),
        None => [None::<String>.into(), None::<String>.into(), None::<String>.into()],
    };
    let rows = execute(
        db,
        "UPDATE alert_subscription SET
             kinds = COALESCE($2, kinds), min_severity = COALESCE($3, min_severity),
             enabled = COALESCE($4, enabled), email = CASE WHEN $5 THEN $6 ELSE email END,
             webhook_url = CASE WHEN $5 THEN $7 ELSE webhook_url END,
             webhook_secret = CASE WHEN $5 THEN $8 ELSE webhook_secret END
         WHERE id = $1",
        [
            id.into(),
            change.kinds.clone().into(),
            change.min_severity.clone().into(),
            change.enabled.into(),
            change.channel.is_some().into(),
            email,
            url,
            secret,
        ],
    )
    .await?;
    if rows == 0 {
        return Ok(None);
    }
    subscription(db, id).await
}

/// Deletes the subscription `id` with its deliveries; returns whether it
/// existed.
pub async fn delete_subscription(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(execute(db, "DELETE FROM alert_subscription WHERE id = $1", [id.into()]).await? > 0)
}

/// An SQL expression ranking the severity text `column` (info < warning
/// < error).
fn rank(column: &str) -> String {
    format!("(CASE {column} WHEN 'info' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END)")
}

/// How far back [`collect`] looks for alerts not yet delivered: a
/// deliverer stopped for longer does not flood its users when it starts.
const LOOK_BACK: &str = "1 day";

/// Puts every alert that an enabled subscription wants and has not had
/// into that subscription's open delivery, opening one (its digest window
/// closing `window` from now) when none is open. Subscriptions another
/// process is collecting for are skipped. Returns how many alerts were
/// added.
pub async fn collect(db: &impl TransactionTrait, window: Duration) -> Result<u64, DbErr> {
    let tx = db.begin().await?;
    let rows = query(
        &tx,
        &format!(
            "WITH s AS (SELECT id, kinds, min_severity, created_at FROM alert_subscription
                        WHERE enabled FOR UPDATE SKIP LOCKED)
             SELECT s.id AS subscription_id, a.id AS alert_id
               FROM s JOIN alert a ON a.raised_at >= s.created_at AND a.raised_at > now() - interval '{LOOK_BACK}'
                    AND (cardinality(s.kinds) = 0 OR a.kind = ANY(s.kinds))
                    AND {} >= {}
              WHERE NOT EXISTS (SELECT 1 FROM alert_delivery_item i
                                 WHERE i.subscription_id = s.id AND i.alert_id = a.id)
              ORDER BY s.id, a.raised_at",
            rank("a.severity"),
            rank("s.min_severity")
        ),
        [],
    )
    .await?;
    let mut wanted: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for row in &rows {
        wanted
            .entry(row.try_get("", "subscription_id")?)
            .or_default()
            .push(row.try_get("", "alert_id")?);
    }
    let mut added = 0;
    for (subscription_id, alert_ids) in wanted {
        // Locked, so that a deliverer cannot claim it half-filled; one
        // claimed meanwhile is no longer collecting, and a new one opens.
        let open = query(
            &tx,
            "SELECT id FROM alert_delivery
              WHERE subscription_id = $1 AND status = 'collecting' AND NOT test AND due_at > now()
              ORDER BY created_at DESC LIMIT 1 FOR UPDATE",
            [subscription_id.into()],
        )
        .await?;
        let delivery_id = match open.first() {
            Some(row) => row.try_get::<Uuid>("", "id")?,
            None => {
                let id = Uuid::now_v7();
                execute(
                    &tx,
                    "INSERT INTO alert_delivery (id, subscription_id, due_at)
                     VALUES ($1, $2, now() + make_interval(secs => $3))",
                    [id.into(), subscription_id.into(), window.as_secs_f64().into()],
                )
                .await?;
                id
            }
        };
        let n = execute(
            &tx,
            "INSERT INTO alert_delivery_item (subscription_id, alert_id, delivery_id)
             SELECT $1, unnest($2::uuid[]), $3 ON CONFLICT DO NOTHING",
            [subscription_id.into(), alert_ids.into(), delivery_id.into()],
        )
        .await?;
        execute(
            &tx,
            "UPDATE alert_delivery SET alert_count = alert_count + $2 WHERE id = $1",
            [delivery_id.into(), i32::try_from(n).unwrap_or(i32::MAX).into()],
        )
        .await?;
        added += n;
    }
    tx.commit().await?;
    Ok(added)
}

/// A delivery a deliverer holds: what to send, and where.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Uuid,
    /// This attempt's number (from 1): the fencing token [`finish`] checks.
    pub attempt: i32,
    pub test: bool,
    pub subscription: Subscription,
    /// The alerts it carries, oldest first (none for a test message).
    pub alerts: Vec<Alert>,
}

/// Reads what a claimed delivery carries.
async fn claimed(db: &impl ConnectionTrait, row: &QueryResult) -> Result<Option<Claimed>, DbErr> {
    let id: Uuid = row.try_get("", "id")?;
    let Some(subscription) = subscription(db, row.try_get("", "subscription_id")?).await? else {
        return Ok(None);
    };
    let alerts = query(
        db,
        "SELECT a.id, a.kind, a.severity, a.item, a.message, a.details, a.raised_at, a.cleared_at,
                a.acknowledged_at, a.acknowledged_by
           FROM alert_delivery_item i JOIN alert a ON a.id = i.alert_id
          WHERE i.delivery_id = $1 ORDER BY a.raised_at, a.id",
        [id.into()],
    )
    .await?
    .iter()
    .map(Alert::from_row)
    .collect::<Result<_, _>>()?;
    Ok(Some(Claimed {
        id,
        attempt: row.try_get("", "attempts")?,
        test: row.try_get("", "test")?,
        subscription,
        alerts,
    }))
}

/// Claims up to `limit` due deliveries of enabled subscriptions (digest
/// window closed, backoff over, or another deliverer's lease expired),
/// each for `lease`: until then no other deliverer takes it. Rows another
/// process is claiming are skipped.
pub async fn claim(db: &impl ConnectionTrait, limit: u32, lease: Duration) -> Result<Vec<Claimed>, DbErr> {
    let rows = query(
        db,
        "UPDATE alert_delivery d SET status = 'sending', attempts = attempts + 1, last_attempt_at = now(),
                due_at = now() + make_interval(secs => $2)
          WHERE d.id IN (SELECT x.id FROM alert_delivery x JOIN alert_subscription s ON s.id = x.subscription_id
                          WHERE x.status IN ('collecting', 'pending', 'sending') AND x.due_at <= now() AND s.enabled
                          ORDER BY x.due_at LIMIT $1 FOR UPDATE OF x SKIP LOCKED)
          RETURNING d.id, d.subscription_id, d.attempts, d.test",
        [i64::from(limit).into(), lease.as_secs_f64().into()],
    )
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.extend(claimed(db, row).await?);
    }
    Ok(out)
}

/// Makes a test message for `subscription_id`, already claimed (attempt
/// 1) for `lease` by the caller, who sends it at once.
pub async fn claim_test(db: &impl ConnectionTrait, subscription_id: Uuid, lease: Duration) -> Result<Claimed, DbErr> {
    let rows = query(
        db,
        "INSERT INTO alert_delivery (id, subscription_id, test, status, attempts, last_attempt_at, due_at)
         VALUES ($1, $2, true, 'sending', 1, now(), now() + make_interval(secs => $3))
         RETURNING id, subscription_id, attempts, test",
        [
            Uuid::now_v7().into(),
            subscription_id.into(),
            lease.as_secs_f64().into(),
        ],
    )
    .await?;
    let row = rows.first().ok_or(DbErr::RecordNotInserted)?;
    claimed(db, row)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("alert subscription {subscription_id}")))
}

/// How a delivery's failed attempts are retried.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Attempts in all, after which it is `failed`.
    pub limit: u32,
    /// The wait after the first failed attempt; it doubles each time.
    pub base: Duration,
    /// The longest wait.
    pub max: Duration,
}

impl Retry {
    /// The wait after failed attempt number `attempt` (from 1).
    pub fn backoff(&self, attempt: i32) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(30);
        self.base.saturating_mul(1 << doublings).min(self.max)
    }
}

/// Records the outcome of attempt `attempt` of delivery `id`: sent, or
/// failed with `error` (retried after its backoff while attempts remain;
/// a test message is not retried). A delivery sent after failed attempts
/// keeps the last error, so its history shows. An attempt whose lease another
/// deliverer took over changes nothing; returns whether it counted.
pub async fn finish(
    db: &impl ConnectionTrait,
    id: Uuid,
    attempt: i32,
    outcome: Result<(), String>,
    retry: &Retry,
) -> Result<bool, DbErr> {
    let (sent, error) = match outcome {
        Ok(()) => (true, None),
        Err(e) => (false, Some(e)),
    };
    let limit = i32::try_from(retry.limit).unwrap_or(i32::MAX);
    let rows = execute(
        db,
        "UPDATE alert_delivery SET
             status = CASE WHEN $3 THEN 'sent' WHEN test OR attempts >= $5 THEN 'failed' ELSE 'pending' END,
             sent_at = CASE WHEN $3 THEN now() END,
             last_error = COALESCE($4, last_error),
             due_at = CASE WHEN $3 THEN due_at ELSE now() + make_interval(secs => $6) END
         WHERE id = $1 AND attempts = $2 AND status = 'sending'",
        [
            id.into(),
            attempt.into(),
            sent.into(),
            error.into(),
            limit.into(),
            retry.backoff(attempt).as_secs_f64().into(),
        ],
    )
    .await?;
    Ok(rows > 0)
}

/// One delivery, as lists show it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: Uuid,
    pub subscription_id: Uuid,
    pub username: String,
    pub channel: String,
    pub test: bool,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    /// When its window closes, its next attempt is due, or its lease ends.
    pub due_at: DateTime<Utc>,
    pub alert_count: i32,
    pub created_at: DateTime<Utc>,
}

impl Delivery {
    fn from_row(r: &QueryResult) -> Result<Self, DbErr> {
        Ok(Self {
            id: r.try_get("", "id")?,
            subscription_id: r.try_get("", "subscription_id")?,
            username: r.try_get("", "username")?,
            channel: r.try_get("", "channel")?,
            test: r.try_get("", "test")?,
            status: r.try_get("", "status")?,
            attempts: r.try_get("", "attempts")?,
            last_error: r.try_get("", "last_error")?,
            last_attempt_at: r.try_get("", "last_attempt_at")?,
            sent_at: r.try_get("", "sent_at")?,
            due_at: r.try_get("", "due_at")?,
            alert_count: r.try_get("", "alert_count")?,
            created_at: r.try_get("", "created_at")?,
        })
    }
}

/// Which deliveries a list shows; `None` leaves a criterion out.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// Only those of this user's subscriptions.
    pub user_id: Option<Uuid>,
    pub subscription_id: Option<Uuid>,
    pub status: Option<String>,
}

/// The order of a list of deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeliveryOrder {
    #[default]
    Newest,
    Oldest,
    /// By status name, newest first within one.
    Status,
}

/// One page of the deliveries `filter` selects, and how many it selects.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    filter: &DeliveryFilter,
    order: DeliveryOrder,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Delivery>, i64), DbErr> {
    let order = match order {
        DeliveryOrder::Newest => "d.created_at DESC, d.id DESC",
        DeliveryOrder::Oldest => "d.created_at, d.id",
        DeliveryOrder::Status => "d.status, d.created_at DESC, d.id DESC",
    };
    let (rows, total) = count_and_page(
        db,
        Selection {
            columns: "d.id, d.subscription_id, u.username, s.channel, d.test, d.status, d.attempts, d.last_error,
                      d.last_attempt_at, d.sent_at, d.due_at, d.alert_count, d.created_at",
            from: "alert_delivery d JOIN alert_subscription s ON s.id = d.subscription_id
                   JOIN app_user u ON u.id = s.user_id",
            filter: "($1::uuid IS NULL OR s.user_id = $1) AND ($2::uuid IS NULL OR d.subscription_id = $2)
                     AND ($3::text IS NULL OR d.status = $3)",
            order,
            values: vec![
                filter.user_id.into(),
                filter.subscription_id.into(),
                filter.status.clone().into(),
            ],
        },
        limit,
        offset,
    )
    .await?;
    let deliveries = rows.iter().map(Delivery::from_row).collect::<Result<_, _>>()?;
    Ok((deliveries, total))
}

/// The delivery `id`, if it exists.
pub async fn delivery(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Delivery>, DbErr> {
    let rows = query(
        db,
        "SELECT d.id, d.subscription_id, u.username, s.channel, d.test, d.status, d.attempts, d.last_error,
                d.last_attempt_at, d.sent_at, d.due_at, d.alert_count, d.created_at
           FROM alert_delivery d JOIN alert_subscription s ON s.id = d.subscription_id
           JOIN app_user u ON u.id = s.user_id WHERE d.id = $1",
        [id.into()],
    )
    .await?;
    rows.first().map(Delivery::from_row).transpose()
}

/// Deletes up to `batch` deliveries that ended (sent or failed) before
/// `before`, with what they carried; returns how many.
pub async fn delete_ended(db: &impl ConnectionTrait, before: DateTime<Utc>, batch: u64) -> Result<u64, DbErr> {
    execute(
        db,
        "DELETE FROM alert_delivery WHERE id IN (
             SELECT id FROM alert_delivery
              WHERE status IN ('sent', 'failed') AND COALESCE(sent_at, last_attempt_at, created_at) < $1
              LIMIT $2)",
        [before.into(), i64::try_from(batch).unwrap_or(i64::MAX).into()],
    )
    .await
}
