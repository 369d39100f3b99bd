//! `store::metrics` against a fresh migrated database.

mod support;

#[tokio::test]
async fn seed_random_day_writes_a_day_of_minutes_and_their_hours() -> anyhow::Result<()> {
    let t = support::TestDb::new().await?;
    let (_, mgt) = support::mounted_mgt(&t.db).await?;
    store::filesystems::insert_bare(&t.db, uuid::Uuid::now_v7(), "bench", mgt).await?;
    let written = store::metrics::seed_random_day(&t.db, &["clients".to_owned()]).await?;
    let count = |sql: &'static str| {
        let db = t.db.clone();
        async move {
            let rows = store::sql::query(&db, sql, []).await?;
            anyhow::Ok(
                rows.first()
                    .map(|r| r.try_get::<i64>("", "n"))
                    .transpose()?
                    .unwrap_or(0),
            )
        }
    };
    // One file-system series (no OST here) of 24 × 60 minutes.
    assert_eq!(count("SELECT count(*) AS n FROM metric_series").await?, 1);
    let minutes = count("SELECT count(*) AS n FROM metric_minute").await?;
    let hours = count("SELECT count(*) AS n FROM metric_hour").await?;
    assert_eq!(minutes, 24 * 60);
    assert!((24..=25).contains(&hours), "{hours}");
    assert_eq!(written, u64::try_from(minutes + hours)?);
    assert_eq!(
        count("SELECT count(*) AS n FROM metric_rollup WHERE upto <= now()").await?,
        2
    );
    t.drop().await
}
