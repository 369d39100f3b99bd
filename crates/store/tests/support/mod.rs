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

/// A managed host (fixture), a volume and the MGT mounted on it; the host
/// and MGT ids.
#[allow(dead_code)] // not every test binary uses it
pub async fn mounted_mgt(db: &sea_orm::DatabaseConnection) -> anyhow::Result<(uuid::Uuid, uuid::Uuid)> {
    let host = uuid::Uuid::now_v7();
    store::hosts::insert_managed(
        db,
        &store::hosts::ManagedHost {
            id: host,
            address: "127.0.0.1".into(),
            port: 3000,
            fingerprint: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU".into(),
            nodename: "mds1".into(),
        },
    )
    .await?;
    let volume = uuid::Uuid::now_v7();
    store::volumes::insert_one(db, volume, "SERIAL0", 0).await?;
    let mgt = uuid::Uuid::now_v7();
    store::targets::insert_mounted(
        db,
        &store::targets::MountedTarget {
            id: mgt,
            kind: "mgt".into(),
            index: None,
            name: "MGS".into(),
            volume_id: volume,
            host_id: host,
            filesystem_id: None,
        },
    )
    .await?;
    Ok((host, mgt))
}
