//! A fresh, migrated PostgreSQL database per test, dropped afterwards.

use migrations::MigratorTrait;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

fn server() -> String {
    std::env::var("TEST_DATABASE_SERVER").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A database of its own, migrated to the newest schema.
pub struct TestDb {
    pub db: DatabaseConnection,
    name: String,
}

impl TestDb {
    /// Creates and migrates a new database.
    pub async fn new() -> anyhow::Result<TestDb> {
        let id = Uuid::now_v7().simple().to_string();
        // The last digits: a v7 id's first ones are its time.
        let name = format!("chroma_test_store_{}", &id[id.len() - 10..]);
        let url = format!("{}/{name}", server());
        store::ensure_database(&url).await?;
        let db = sea_orm::Database::connect(url).await?;
        migrations::Migrator::up(&db, None).await?;
        Ok(TestDb { db, name })
    }

    /// Closes the connection and drops the database.
    pub async fn drop(self) -> anyhow::Result<()> {
        self.db.close().await?;
        let admin = sea_orm::Database::connect(format!("{}/postgres", server())).await?;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name))
            .await?;
        Ok(())
    }
}
