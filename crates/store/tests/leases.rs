//! `store::leases` and `store::login_failures` against a fresh migrated
//! database.

mod support;

use std::collections::HashSet;
use std::time::Duration;
use store::leases::{self, Kind, Share};
use store::login_failures::{self, Counted};

fn units(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("servers/{i}")).collect()
}

#[tokio::test]
async fn two_processes_split_the_units_and_one_takes_over_when_the_other_stops_renewing() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let ttl = Duration::from_millis(800);
    let all = units(7);
    let none = HashSet::new();
    let mut a = Share::new(t.db.clone(), Kind::Monitor, ttl);
    let first = a.balance(&all, &none).await?;
    assert_eq!(first.gained.len(), 7, "alone, it takes everything");

    let mut b = Share::new(t.db.clone(), Kind::Monitor, ttl);
    b.balance(&all, &none).await?;
    // a sees b, lets go of what is over its share; b takes it.
    let shrunk = a.balance(&all, &none).await?;
    assert_eq!(shrunk.lost.len(), 3);
    let grown = b.balance(&all, &none).await?;
    assert_eq!(grown.gained.len(), 3);
    assert_eq!((a.held().len(), b.held().len()), (4, 3));
    assert!(a.held().is_disjoint(b.held()));
    let holders = leases::holders(&t.db, Kind::Monitor).await?;
    assert_eq!(holders.len(), 7);

    // a stops renewing: once its leases expire, b takes them all.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(b.balance(&all, &none).await?.gained.is_empty(), "a's leases still run");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let taken = b.balance(&all, &none).await?;
    assert_eq!(taken.gained.len(), 4);
    assert_eq!(b.held().len(), 7);
    // a, back, finds it lost them and holds nothing over b.
    let back = a.balance(&all, &none).await?;
    assert_eq!(back.lost.len(), 4);
    assert!(a.held().is_empty());
    t.drop().await
}

#[tokio::test]
async fn a_busy_unit_over_the_share_is_kept_until_its_work_stops() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let ttl = Duration::from_secs(5);
    let all = units(2);
    let mut a = Share::new(t.db.clone(), Kind::PluginHost, ttl);
    a.balance(&all, &HashSet::new()).await?;
    let mut b = Share::new(t.db.clone(), Kind::PluginHost, ttl);
    b.balance(&all, &HashSet::new()).await?;
    let busy: HashSet<String> = all.iter().cloned().collect();
    let kept = a.balance(&all, &busy).await?;
    assert_eq!((kept.lost.len(), kept.surplus.len()), (0, 1));
    assert!(b.balance(&all, &HashSet::new()).await?.gained.is_empty());
    let let_go = a.balance(&all, &HashSet::new()).await?;
    assert_eq!(let_go.lost.len(), 1);
    assert_eq!(b.balance(&all, &HashSet::new()).await?.gained.len(), 1);
    leases::leave(&t.db, Kind::PluginHost, a.instance).await?;
    assert_eq!(leases::holders(&t.db, Kind::PluginHost).await?.len(), 1);
    t.drop().await
}

#[tokio::test]
async fn failures_over_the_limit_block_until_the_oldest_expires() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let window = Duration::from_secs(300);
    let keys = [Counted {
        key: "name/192.0.2.1/admin".into(),
        limit: 2,
    }];
    let first = login_failures::reserve(&t.db, "client/192.0.2.1", &keys, window).await?;
    let second = login_failures::reserve(&t.db, "client/192.0.2.1", &keys, window).await?;
    assert!(first.is_ok() && second.is_ok());
    let blocked = login_failures::reserve(&t.db, "client/192.0.2.1", &keys, window).await?;
    assert!(blocked.is_err_and(|wait| wait <= window && wait > Duration::from_secs(290)));
    // Taking one back lets one more in.
    if let Ok(rows) = second {
        login_failures::forget(&t.db, &rows).await?;
    }
    assert!(login_failures::reserve(&t.db, "client/192.0.2.1", &keys, window)
        .await?
        .is_ok());
    login_failures::clear(&t.db, "name/192.0.2.1/admin").await?;
    assert!(login_failures::reserve(&t.db, "client/192.0.2.1", &keys, window)
        .await?
        .is_ok());
    t.drop().await
}
