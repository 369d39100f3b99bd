//! `metric_raw`'s day partitions against a fresh migrated database: old
//! days expire as whole partitions, recent samples stay, a sample for a
//! day without a partition is kept in DEFAULT until its day gets one, and
//! the migration's `down` gives back a plain table with every row.

mod support;

use chrono::{Days, Utc};
use sea_orm::ConnectionTrait;

async fn count(t: &support::TestDb, sql: &str) -> anyhow::Result<i64> {
    let rows = store::sql::query(&t.db, sql, []).await?;
    Ok(rows.first().map(|r| r.try_get("", "n")).transpose()?.unwrap_or(0))
}

async fn exists(t: &support::TestDb, table: &str) -> anyhow::Result<bool> {
    Ok(count(t, &format!("SELECT count(to_regclass('{table}')) AS n")).await? == 1)
}

/// A series to write samples to; its id.
async fn series(t: &support::TestDb) -> anyhow::Result<i32> {
    let rows = store::sql::query(
        &t.db,
        "INSERT INTO metric_series (object_kind, object_id, name)
         VALUES ('host', gen_random_uuid(), 'cpu') RETURNING id",
        [],
    )
    .await?;
    Ok(rows.first().map(|r| r.try_get("", "id")).transpose()?.unwrap_or(0))
}

#[tokio::test]
async fn raw_samples_expire_by_dropping_whole_days_and_recent_ones_stay() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = series(&t).await?;
    let old_day = Utc::now().date_naive() - Days::new(3);
    store::metric_partitions::create_day(&t.db, old_day).await?;
    let old = store::metric_partitions::partition_name(old_day);
    t.db.execute_unprepared(&format!(
        "INSERT INTO metric_raw (series_id, at, value)
             SELECT {id}, '{old_day} 00:00:00+00'::timestamptz + n * interval '10 s', n FROM generate_series(0, 99) n;
         INSERT INTO metric_raw (series_id, at, value)
             SELECT {id}, now() - n * interval '10 s', n FROM generate_series(0, 9) n;
         -- A week old, of a day that never had a partition.
         INSERT INTO metric_raw (series_id, at, value) VALUES ({id}, now() - interval '7 days', 1);"
    ))
    .await?;
    assert_eq!(count(&t, &format!("SELECT count(*) AS n FROM {old}")).await?, 100);
    assert_eq!(count(&t, "SELECT count(*) AS n FROM metric_raw_default").await?, 1);

    store::metrics::expire(&t.db).await?;

    assert!(!exists(&t, &old).await?, "{old} is dropped");
    assert_eq!(count(&t, "SELECT count(*) AS n FROM metric_raw_default").await?, 0);
    assert_eq!(
        count(&t, "SELECT count(*) AS n FROM metric_raw").await?,
        10,
        "the last 100 s stay"
    );
    for ahead in 0..=store::metric_partitions::DAYS_AHEAD {
        let day = Utc::now().date_naive() + Days::new(ahead);
        let name = store::metric_partitions::partition_name(day);
        assert!(exists(&t, &name).await?, "{name} is created ahead");
    }
    t.drop().await
}

#[tokio::test]
async fn a_sample_of_a_day_without_partition_waits_in_default_until_its_day_gets_one() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let id = series(&t).await?;
    let later = Utc::now().date_naive() + Days::new(10);
    t.db.execute_unprepared(&format!(
        "INSERT INTO metric_raw (series_id, at, value) VALUES ({id}, '{later} 12:00:00+00', 42)"
    ))
    .await?;
    assert_eq!(count(&t, "SELECT count(*) AS n FROM metric_raw_default").await?, 1);

    assert!(store::metric_partitions::create_day(&t.db, later).await?);
    assert!(!store::metric_partitions::create_day(&t.db, later).await?, "once only");

    let name = store::metric_partitions::partition_name(later);
    assert_eq!(count(&t, "SELECT count(*) AS n FROM metric_raw_default").await?, 0);
    assert_eq!(
        count(&t, &format!("SELECT count(*) AS n FROM {name} WHERE value = 42")).await?,
        1
    );
    // A duplicate still conflicts on the primary key through the parent.
    t.db.execute_unprepared(&format!(
        "INSERT INTO metric_raw (series_id, at, value) VALUES ({id}, '{later} 12:00:00+00', 7) ON CONFLICT DO NOTHING"
    ))
    .await?;
    assert_eq!(count(&t, "SELECT count(*) AS n FROM metric_raw").await?, 1);
    t.drop().await
}

#[tokio::test]
async fn the_migration_down_gives_back_a_plain_table_with_every_sample() -> anyhow::Result<()> {
    use migrations::MigratorTrait;
    let t = support::TestDb::new().await?;
    let id = series(&t).await?;
    t.db.execute_unprepared(&format!(
        "INSERT INTO metric_raw (series_id, at, value)
             SELECT {id}, now() - n * interval '1 hour', n FROM generate_series(0, 47) n;"
    ))
    .await?;
    let names: Vec<String> = migrations::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let partitioned = names
        .iter()
        .position(|n| n == "m20261207_000043_partition_metric_raw")
        .ok_or_else(|| anyhow::anyhow!("no migration partitions metric_raw"))?;
    migrations::Migrator::down(&t.db, Some(u32::try_from(names.len() - partitioned)?)).await?;
    assert_eq!(
        count(&t, "SELECT count(*) AS n FROM pg_partitioned_table").await?,
        0,
        "no partitioned table is left"
    );
    assert_eq!(count(&t, "SELECT count(*) AS n FROM metric_raw").await?, 48);

    migrations::Migrator::up(&t.db, None).await?;
    assert_eq!(count(&t, "SELECT count(*) AS n FROM metric_raw").await?, 48);
    assert_eq!(
        count(&t, "SELECT count(*) AS n FROM metric_raw_default").await?,
        0,
        "each row in its day"
    );
    t.drop().await
}
