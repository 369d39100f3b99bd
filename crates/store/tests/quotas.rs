//! `store::quotas` against a fresh migrated database.

mod support;

use store::quotas::{self, Limits, Selection, Usage};
use uuid::Uuid;

const FS: &str = "00000000-0000-0000-0000-000000000004";

async fn seeded() -> anyhow::Result<support::TestDb> {
    let t = support::TestDb::new().await?;
    sea_orm::ConnectionTrait::execute_unprepared(
        &t.db,
        "INSERT INTO host (id, address, port, nodename) VALUES ('00000000-0000-0000-0000-000000000001', 'c1', 22, 'client1');
         INSERT INTO volume (id, serial, size_bytes) VALUES ('00000000-0000-0000-0000-000000000002', 'v1', 1);
         INSERT INTO target (id, kind, name, volume_id, primary_host_id) VALUES
             ('00000000-0000-0000-0000-000000000003', 'mgt', 'MGS', '00000000-0000-0000-0000-000000000002',
              '00000000-0000-0000-0000-000000000001');
         INSERT INTO filesystem (id, name, mgs_id) VALUES
             ('00000000-0000-0000-0000-000000000004', 'fs1', '00000000-0000-0000-0000-000000000003');",
    )
    .await?;
    Ok(t)
}

fn usage(kib: i64, grace: &str) -> Usage {
    Usage {
        block_used: kib,
        inode_used: 1,
        block_grace: grace.into(),
        inode_grace: "-".into(),
        inaccurate: false,
    }
}

#[tokio::test]
async fn an_inaccurate_reading_and_a_spent_grace_show_in_the_view() -> anyhow::Result<()> {
    let t = seeded().await?;
    let fs = Uuid::parse_str(FS)?;
    let limits = Limits {
        block_soft: 100,
        ..Limits::default()
    };
    let id = quotas::store_limits(&t.db, fs, "user", 1000, limits).await?;
    let partial = Usage {
        inaccurate: true,
        ..usage(150, "none")
    };
    quotas::record_applied(&t.db, None, id, "set", &partial).await?;
    let v = quotas::view(&t.db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("stored"))?;
    assert_eq!((v.inaccurate, v.grace_expired, v.over_soft), (true, true, true));
    // The next full reading: accurate again, within its grace.
    quotas::record_usage(&t.db, id, &usage(150, "6d23h")).await?;
    let v = quotas::view(&t.db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("stored"))?;
    assert_eq!((v.inaccurate, v.grace_expired), (false, false));
    t.drop().await
}

#[tokio::test]
async fn the_filesystem_view_shows_the_enforcement_recorded() -> anyhow::Result<()> {
    let t = seeded().await?;
    let fs = Uuid::parse_str(FS)?;
    let shown = |t: &support::TestDb| {
        let db = t.db.clone();
        async move {
            let views = store::filesystems::views(&db, store::filesystems::FilesystemSelection::Id(fs)).await?;
            let v = views.first().ok_or_else(|| anyhow::anyhow!("listed"))?;
            anyhow::Ok((v.quota_ost.clone(), v.quota_mdt.clone()))
        }
    };
    assert_eq!(shown(&t).await?, ("none".into(), "none".into()));
    quotas::record_enforcement(&t.db, None, fs, "ugp", "u").await?;
    assert_eq!(shown(&t).await?, ("ugp".into(), "u".into()));
    t.drop().await
}

#[tokio::test]
async fn limits_are_stored_once_per_id_and_usage_flags_who_is_over() -> anyhow::Result<()> {
    let t = seeded().await?;
    let fs = Uuid::parse_str(FS)?;
    let limits = Limits {
        block_soft: 100,
        block_hard: 200,
        ..Limits::default()
    };
    let id = quotas::store_limits(&t.db, fs, "user", 1000, limits).await?;
    // The same id again replaces the limits of the same quota.
    let again = quotas::store_limits(
        &t.db,
        fs,
        "user",
        1000,
        Limits {
            block_hard: 300,
            ..limits
        },
    )
    .await?;
    assert_eq!(again, id);
    let v = quotas::view(&t.db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("stored"))?;
    assert_eq!(
        (v.state.as_str(), v.block_hard, v.block_used, v.over_soft),
        ("new", 300, None, false)
    );
    // A soft limit above the hard one is refused by the table too.
    assert!(quotas::store_limits(
        &t.db,
        fs,
        "group",
        5,
        Limits {
            block_soft: 9,
            block_hard: 3,
            ..limits
        }
    )
    .await
    .is_err());
    assert_eq!(quotas::record_applied(&t.db, None, id, "set", &usage(0, "-")).await?, 1);
    assert!(quotas::views(
        &t.db,
        Selection {
            over: true,
            ..Selection::default()
        }
    )
    .await?
    .is_empty());
    quotas::record_usage(&t.db, id, &usage(150, "6d23h59m")).await?;
    let over = quotas::views(
        &t.db,
        Selection {
            over: true,
            ..Selection::default()
        },
    )
    .await?;
    assert_eq!(over.len(), 1);
    assert_eq!(
        (
            over[0].over_soft,
            over[0].over_hard,
            over[0].block_grace_left.as_deref()
        ),
        (true, false, Some("6d23h59m"))
    );
    quotas::record_usage(&t.db, id, &usage(300, "-")).await?;
    let v = quotas::view(&t.db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("stored"))?;
    assert_eq!((v.over_hard, v.block_grace_left), (true, None));
    // Removed: not listed, and a new quota for the id may be stored.
    quotas::record_applied(&t.db, None, id, "removed", &usage(300, "-")).await?;
    assert!(quotas::views(&t.db, Selection::default()).await?.is_empty());
    let next = quotas::store_limits(&t.db, fs, "user", 1000, limits).await?;
    assert_ne!(next, id);
    t.drop().await
}

#[tokio::test]
async fn the_filesystem_view_shows_the_grace_times_recorded() -> anyhow::Result<()> {
    let t = seeded().await?;
    let fs = Uuid::parse_str(FS)?;
    let shown = |t: &support::TestDb| {
        let db = t.db.clone();
        async move {
            let views = store::filesystems::views(&db, store::filesystems::FilesystemSelection::Id(fs)).await?;
            let v = views.first().ok_or_else(|| anyhow::anyhow!("listed"))?;
            anyhow::Ok(
                v.quota_grace
                    .iter()
                    .map(|g| (g.kind.clone(), g.block_secs, g.inode_secs))
                    .collect::<Vec<_>>(),
            )
        }
    };
    assert!(shown(&t).await?.is_empty());
    quotas::record_grace(&t.db, None, fs, "project", 60, 0).await?;
    quotas::record_grace(&t.db, None, fs, "user", 604_800, 604_800).await?;
    // A second reading replaces the first.
    quotas::record_grace(&t.db, None, fs, "user", 183_600, 3_600).await?;
    assert_eq!(
        shown(&t).await?,
        [("user".into(), 183_600, 3_600), ("project".into(), 60, 0)]
    );
    // A stale step's reading is not recorded.
    let stale = store::steps::Fence {
        step_id: Uuid::now_v7(),
        attempt: 1,
    };
    assert_eq!(quotas::record_grace(&t.db, Some(stale), fs, "group", 1, 1).await?, 0);
    assert_eq!(shown(&t).await?.len(), 2);
    t.drop().await
}

#[tokio::test]
async fn enforcement_is_none_until_recorded() -> anyhow::Result<()> {
    let t = seeded().await?;
    let fs = Uuid::parse_str(FS)?;
    assert_eq!(
        quotas::enforcement(&t.db, fs).await?,
        Some(("none".into(), "none".into()))
    );
    assert_eq!(quotas::record_enforcement(&t.db, None, fs, "ug", "u").await?, 1);
    assert_eq!(quotas::enforcement(&t.db, fs).await?, Some(("ug".into(), "u".into())));
    assert!(quotas::record_enforcement(&t.db, None, fs, "gu", "u").await.is_err());
    assert_eq!(quotas::enforcement(&t.db, Uuid::now_v7()).await?, None);
    t.drop().await
}
