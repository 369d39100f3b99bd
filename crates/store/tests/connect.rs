//! `store::connect` against the test PostgreSQL server.

#[tokio::test]
async fn drop_database_drops_a_database_with_open_sessions() -> anyhow::Result<()> {
    let server = std::env::var("TEST_DATABASE_SERVER").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let id = uuid::Uuid::now_v7().simple().to_string();
    let url = format!("{server}/chroma_test_drop_{}", &id[id.len() - 10..]);
    store::ensure_database(&url).await?;
    let open = sea_orm::Database::connect(url.clone()).await?;
    sea_orm::ConnectionTrait::execute_unprepared(&open, "SELECT 1").await?;
    store::connect::drop_database(&url).await?;
    assert!(
        sea_orm::Database::connect(url.clone()).await.is_err(),
        "the database is gone"
    );
    // Dropping what is not there is not an error.
    store::connect::drop_database(&url).await?;
    Ok(())
}
