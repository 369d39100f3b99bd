//! The database schema for operators (`chroma-api migrate`) and for the
//! API's start: applying, listing and undoing migrations. Each runs in
//! one transaction holding the schema's advisory lock, so API processes
//! starting together apply the migrations once, one after the other.

use anyhow::Context;
use migrations::MigratorTrait;
use sea_orm::{DatabaseConnection, TransactionTrait};
use secrecy::ExposeSecret;
use setup::Settings;

/// One migration and whether it is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    pub name: String,
    pub applied: bool,
}

async fn open(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    store::ensure_database(settings.database_url.expose_secret())
        .await
        .context("failed to create the database")?;
    store::connect(settings)
        .await
        .context("failed to connect to the database")
}

/// Applies pending migrations, creating the database first if needed.
pub async fn upgrade(settings: &Settings) -> anyhow::Result<()> {
    let db = open(settings).await?;
    let txn = db.begin().await.context("failed to begin the migration")?;
    store::lock_schema(&txn)
        .await
        .context("failed to take the schema lock")?;
    migrations::Migrator::up(&txn, None)
        .await
        .context("failed to apply migrations")?;
    txn.commit().await.context("failed to commit the migrations")?;
    db.close().await.context("failed to close the database pool")?;
    Ok(())
}

/// Every migration this build knows, oldest first, with its state.
pub async fn status(settings: &Settings) -> anyhow::Result<Vec<MigrationState>> {
    let db = open(settings).await?;
    let txn = db.begin().await.context("failed to begin")?;
    store::lock_schema(&txn)
        .await
        .context("failed to take the schema lock")?;
    let states = migrations::Migrator::get_migration_with_status(&txn)
        .await
        .context("failed to read the applied migrations")?
        .iter()
        .map(|m| MigrationState {
            name: m.name().to_owned(),
            applied: m.status() == migrations::MigrationStatus::Applied,
        })
        .collect();
    txn.commit().await.context("failed to commit")?;
    db.close().await.context("failed to close the database pool")?;
    Ok(states)
}

/// Undoes the last `steps` applied migrations (each migration's `down`),
/// newest first; answers the names undone.
pub async fn downgrade(settings: &Settings, steps: u32) -> anyhow::Result<Vec<String>> {
    let before = status(settings).await?;
    let db = open(settings).await?;
    let txn = db.begin().await.context("failed to begin")?;
    store::lock_schema(&txn)
        .await
        .context("failed to take the schema lock")?;
    migrations::Migrator::down(&txn, Some(steps))
        .await
        .context("failed to undo migrations")?;
    txn.commit().await.context("failed to commit the downgrade")?;
    db.close().await.context("failed to close the database pool")?;
    let after = status(settings).await?;
    Ok(before
        .iter()
        .rev()
        .filter(|m| m.applied && after.iter().any(|a| a.name == m.name && !a.applied))
        .map(|m| m.name.clone())
        .collect())
}
