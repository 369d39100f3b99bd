//! How often the monitor restarted a copytool that keeps dying: the count
//! of restarts in the current run (each within an hour of the one before)
//! and when the last was submitted, so restarts back off and stop.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "ALTER TABLE copytool
                 ADD COLUMN restarts integer NOT NULL DEFAULT 0 CHECK (restarts >= 0),
                 ADD COLUMN last_restart_at timestamptz;",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(
            manager,
            "ALTER TABLE copytool DROP COLUMN last_restart_at, DROP COLUMN restarts;",
        )
        .await
    }
}
