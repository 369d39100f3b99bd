//! `store::alert_delivery` against a fresh migrated database: subscriptions,
//! collecting alerts into digests, claiming under a lease with several
//! deliverers, recording outcomes with backoff, and the list, one
//! behaviour each.

mod support;

use lustre::Item;
use serde_json::json;
use std::time::Duration;
use store::alert_delivery::{
    self as delivery, Channel, DeliveryFilter, DeliveryOrder, NewSubscription, Retry, SubscriptionChange,
};
use store::alerts::{self, AlertKind, Raise};
use uuid::Uuid;

const LEASE: Duration = Duration::from_secs(60);
const RETRY: Retry = Retry {
    limit: 3,
    base: Duration::from_millis(0),
    max: Duration::from_secs(1),
};

async fn user(db: &sea_orm::DatabaseConnection, name: &str) -> anyhow::Result<Uuid> {
    let user = store::users::create(db, name, "x", "readonly").await?;
    Ok(user.map(|u| u.id).unwrap_or_default())
}

async fn email(db: &sea_orm::DatabaseConnection, user_id: Uuid, min: &str) -> anyhow::Result<Uuid> {
    let new = NewSubscription {
        user_id,
        kinds: vec![],
        min_severity: min.into(),
        channel: Channel::Email {
            address: "ops@example.com".into(),
        },
    };
    Ok(delivery::create_subscription(db, &new).await?.id)
}

async fn raise(db: &sea_orm::DatabaseConnection, kind: AlertKind, n: u128) -> anyhow::Result<()> {
    let raised = alerts::raise(
        db,
        Raise {
            kind,
            item: Item::Host(Uuid::from_u128(n)),
            message: format!("host {n} is down"),
            details: json!({}),
        },
    )
    .await?;
    assert!(raised);
    Ok(())
}

/// Makes every open delivery due now.
async fn close_windows(db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    store::sql::execute(
        db,
        "UPDATE alert_delivery SET due_at = now() WHERE status <> 'sent'",
        [],
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn subscriptions_are_created_changed_listed_and_deleted() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (alice, bob) = (user(&t.db, "alice").await?, user(&t.db, "bob").await?);
    let a = email(&t.db, alice, "warning").await?;
    let webhook = NewSubscription {
        user_id: bob,
        kinds: vec!["host_unreachable".into()],
        min_severity: "info".into(),
        channel: Channel::Webhook {
            url: "http://127.0.0.1:9/hook".into(),
            secret: "s3cret-s3cret-s3cret".into(),
        },
    };
    let b = delivery::create_subscription(&t.db, &webhook).await?;
    assert_eq!(b.username, "bob");
    assert_eq!(b.channel, webhook.channel);
    assert_eq!(delivery::subscriptions(&t.db, Some(alice)).await?.len(), 1);
    assert_eq!(delivery::subscriptions(&t.db, None).await?.len(), 2);
    let change = SubscriptionChange {
        min_severity: Some("error".into()),
        enabled: Some(false),
        channel: Some(Channel::Email {
            address: "pager@example.com".into(),
        }),
        ..Default::default()
    };
    let changed = delivery::update_subscription(&t.db, a, &change).await?;
    let changed = changed.ok_or_else(|| anyhow::anyhow!("not found"))?;
    assert_eq!((changed.min_severity.as_str(), changed.enabled), ("error", false));
    assert_eq!(
        changed.channel,
        Channel::Email {
            address: "pager@example.com".into()
        }
    );
    // A channel of the other kind is refused by the table.
    let other = SubscriptionChange {
        channel: Some(Channel::Email {
            address: "x@example.com".into(),
        }),
        ..Default::default()
    };
    assert!(delivery::update_subscription(&t.db, b.id, &other).await.is_err());
    assert!(delivery::delete_subscription(&t.db, a).await?);
    assert!(!delivery::delete_subscription(&t.db, a).await?);
    assert!(delivery::update_subscription(&t.db, a, &change).await?.is_none());
    t.drop().await
}

#[tokio::test]
async fn alerts_within_the_window_are_collected_into_one_delivery() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let alice = user(&t.db, "alice").await?;
    let sub = email(&t.db, alice, "warning").await?;
    raise(&t.db, AlertKind::HostUnreachable, 1).await?;
    assert_eq!(delivery::collect(&t.db, Duration::from_secs(60)).await?, 1);
    raise(&t.db, AlertKind::HostUnreachable, 2).await?;
    // Below the subscription's severity: not collected.
    raise(
        &t.db,
        AlertKind::Storage {
            name: "fan_slow".into(),
            severity: alerts::Severity::Info,
        },
        3,
    )
    .await?;
    assert_eq!(delivery::collect(&t.db, Duration::from_secs(60)).await?, 1);
    // Nothing new: nothing collected twice.
    assert_eq!(delivery::collect(&t.db, Duration::from_secs(60)).await?, 0);
    let filter = DeliveryFilter {
        subscription_id: Some(sub),
        ..Default::default()
    };
    let (list, total) = delivery::deliveries(&t.db, &filter, DeliveryOrder::Newest, 10, 0).await?;
    assert_eq!(total, 1);
    assert_eq!((list[0].alert_count, list[0].status.as_str()), (2, "collecting"));
    // The window is open: nothing is due.
    assert!(delivery::claim(&t.db, 10, LEASE).await?.is_empty());
    t.drop().await
}

#[tokio::test]
async fn alerts_after_the_window_closed_open_a_new_delivery() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let alice = user(&t.db, "alice").await?;
    email(&t.db, alice, "info").await?;
    raise(&t.db, AlertKind::HostUnreachable, 1).await?;
    delivery::collect(&t.db, Duration::from_secs(60)).await?;
    close_windows(&t.db).await?;
    raise(&t.db, AlertKind::LnetDown, 1).await?;
    delivery::collect(&t.db, Duration::from_secs(60)).await?;
    let (list, total) = delivery::deliveries(&t.db, &DeliveryFilter::default(), DeliveryOrder::Oldest, 10, 0).await?;
    assert_eq!(total, 2);
    assert_eq!((list[0].alert_count, list[1].alert_count), (1, 1));
    t.drop().await
}

#[tokio::test]
async fn a_due_delivery_is_claimed_by_one_deliverer_with_its_alerts() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let alice = user(&t.db, "alice").await?;
    email(&t.db, alice, "warning").await?;
    raise(&t.db, AlertKind::HostUnreachable, 1).await?;
    raise(&t.db, AlertKind::TargetFailedOver, 2).await?;
    delivery::collect(&t.db, Duration::from_secs(60)).await?;
    close_windows(&t.db).await?;
    let (first, second) = tokio::join!(delivery::claim(&t.db, 10, LEASE), delivery::claim(&t.db, 10, LEASE));
    let (first, second) = (first?, second?);
    assert_eq!(first.len() + second.len(), 1, "claimed twice: {first:?} {second:?}");
    let claimed = first.into_iter().chain(second).next();
    let claimed = claimed.ok_or_else(|| anyhow::anyhow!("nothing claimed"))?;
    assert_eq!(claimed.attempt, 1);
    assert_eq!(claimed.subscription.username, "alice");
    let kinds: Vec<&str> = claimed.alerts.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["host_unreachable", "target_failed_over"]);
    // Held under its lease.
    assert!(delivery::claim(&t.db, 10, LEASE).await?.is_empty());
    t.drop().await
}

#[tokio::test]
async fn a_failed_attempt_is_retried_until_the_limit() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let alice = user(&t.db, "alice").await?;
    email(&t.db, alice, "warning").await?;
    raise(&t.db, AlertKind::HostUnreachable, 1).await?;
    delivery::collect(&t.db, Duration::from_secs(60)).await?;
    close_windows(&t.db).await?;
    for attempt in 1..=3 {
        let claimed = delivery::claim(&t.db, 10, LEASE).await?;
        assert_eq!(claimed.len(), 1, "attempt {attempt}");
        assert_eq!(claimed[0].attempt, attempt);
        let counted =
            delivery::finish(&t.db, claimed[0].id, attempt, Err(format!("refused {attempt}")), &RETRY).await?;
        assert!(counted);
    }
    let (list, _) = delivery::deliveries(&t.db, &DeliveryFilter::default(), DeliveryOrder::Newest, 10, 0).await?;
    assert_eq!(list[0].status, "failed");
    assert_eq!(list[0].attempts, 3);
    assert_eq!(list[0].last_error.as_deref(), Some("refused 3"));
    assert!(delivery::claim(&t.db, 10, LEASE).await?.is_empty());
    t.drop().await
}

#[tokio::test]
async fn a_stale_attempt_does_not_overwrite_a_newer_one() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let alice = user(&t.db, "alice").await?;
    email(&t.db, alice, "warning").await?;
    raise(&t.db, AlertKind::HostUnreachable, 1).await?;
    delivery::collect(&t.db, Duration::from_secs(60)).await?;
    close_windows(&t.db).await?;
    let old = delivery::claim(&t.db, 10, Duration::ZERO).await?;
    // Its lease expired: another deliverer takes it over.
    let new = delivery::claim(&t.db, 10, LEASE).await?;
    assert_eq!((old[0].attempt, new[0].attempt), (1, 2));
    assert!(!delivery::finish(&t.db, old[0].id, 1, Err("late".into()), &RETRY).await?);
    assert!(delivery::finish(&t.db, new[0].id, 2, Ok(()), &RETRY).await?);
    let shown = delivery::delivery(&t.db, new[0].id).await?;
    assert_eq!(shown.map(|d| d.status), Some("sent".to_owned()));
    t.drop().await
}

#[tokio::test]
async fn a_test_message_is_claimed_at_once_and_not_retried() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let alice = user(&t.db, "alice").await?;
    let sub = email(&t.db, alice, "warning").await?;
    let test = delivery::claim_test(&t.db, sub, LEASE).await?;
    assert!(test.test && test.alerts.is_empty());
    assert!(delivery::finish(&t.db, test.id, 1, Err("no route".into()), &RETRY).await?);
    let shown = delivery::delivery(&t.db, test.id).await?;
    assert_eq!(shown.map(|d| d.status), Some("failed".to_owned()));
    t.drop().await
}

#[tokio::test]
async fn deliveries_page_by_user_and_status() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (alice, bob) = (user(&t.db, "alice").await?, user(&t.db, "bob").await?);
    let (a, b) = (
        email(&t.db, alice, "warning").await?,
        email(&t.db, bob, "warning").await?,
    );
    for sub in [a, a, b] {
        let test = delivery::claim_test(&t.db, sub, LEASE).await?;
        delivery::finish(&t.db, test.id, 1, Ok(()), &RETRY).await?;
    }
    let mine = DeliveryFilter {
        user_id: Some(alice),
        status: Some("sent".into()),
        ..Default::default()
    };
    let (page, total) = delivery::deliveries(&t.db, &mine, DeliveryOrder::Newest, 1, 1).await?;
    assert_eq!((page.len(), total), (1, 2));
    assert_eq!(page[0].username, "alice");
    t.drop().await
}

#[tokio::test]
async fn ended_deliveries_older_than_the_cut_off_are_deleted() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let alice = user(&t.db, "alice").await?;
    let sub = email(&t.db, alice, "warning").await?;
    let old = delivery::claim_test(&t.db, sub, LEASE).await?;
    delivery::finish(&t.db, old.id, 1, Ok(()), &RETRY).await?;
    store::sql::execute(
        &t.db,
        "UPDATE alert_delivery SET sent_at = now() - interval '2 days' WHERE id = $1",
        [old.id.into()],
    )
    .await?;
    let recent = delivery::claim_test(&t.db, sub, LEASE).await?;
    delivery::finish(&t.db, recent.id, 1, Ok(()), &RETRY).await?;
    // Still being sent: kept however old.
    let sending = delivery::claim_test(&t.db, sub, LEASE).await?;
    let cut_off = chrono::Utc::now() - chrono::Duration::days(1);
    assert_eq!(delivery::delete_ended(&t.db, cut_off, 10).await?, 1);
    assert!(delivery::delivery(&t.db, old.id).await?.is_none());
    assert!(delivery::delivery(&t.db, recent.id).await?.is_some());
    assert!(delivery::delivery(&t.db, sending.id).await?.is_some());
    t.drop().await
}

#[test]
fn backoff_doubles_up_to_the_longest_wait() {
    let retry = Retry {
        limit: 10,
        base: Duration::from_secs(30),
        max: Duration::from_secs(600),
    };
    let waits: Vec<u64> = (1..=7).map(|a| retry.backoff(a).as_secs()).collect();
    assert_eq!(waits, [30, 60, 120, 240, 480, 600, 600]);
}
